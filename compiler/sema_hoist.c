/* sema_hoist: bounds checks hoisted out of range loops.
 *
 * In `for i in range(lo, hi)` (or a constant positive step) every value of
 * i lies in [lo, hi). A shared array has a fixed length, and an array name
 * always denotes the same array (handles are never reassigned), so when the
 * body never assigns i, one test before the loop (the range is empty, or
 * lo >= 0 and hi <= len(a)) proves every `a[i]` of the body in bounds. The
 * emitter then writes the loop twice: with unchecked accesses, run when the
 * test passes, and as before otherwise, so an IndexError is raised at the
 * same iteration, with the same text and place, after the same effects.
 *
 * The loop variable's Symbol carries the result (Symbol.hoist): the arrays
 * whose `a[i]` the unchecked copy may index without a test. */
#include "sema_impl.h"

#include <string.h>

typedef struct HoistScan {
    Symbol *var;               /* the loop variable */
    Symbol *arrays[HOIST_MAX]; /* arrays indexed with exactly var */
    int n;
    bool blocked; /* a guarded array is indexed with var, or a nested
                     loop is hoisted (the body would be written 4 times) */
} HoistScan;

/* Whether E is a range() call whose values only grow: no step, or a
 * literal positive one. */
static bool rising_range(const Node *e) {
    if (e->kind != ND_CALL || e->builtin != B_RANGE || !e->argv || e->argc < 1) return false;
    if (e->argc < 3) return true;
    const Node *step = e->argv[2];
    return step && step->kind == ND_INT && step->ival > 0;
}

static void scan_add(HoistScan *h, Symbol *a) {
    for (int k = 0; k < h->n; k++)
        if (h->arrays[k] == a) return;
    if (h->n == HOIST_MAX) {
        h->blocked = true;
        return;
    }
    h->arrays[h->n++] = a;
}

static bool scan_body(void *ctx, Node *c, const char *role) {
    (void)role;
    HoistScan *h = ctx;
    if (c->kind == ND_FOR && c->sym && c->sym->hoist) h->blocked = true;
    if (c->kind == ND_INDEX && c->rhs->kind == ND_NAME && c->rhs->sym == h->var &&
        c->lhs->kind == ND_NAME && c->lhs->sym && c->lhs->type && c->lhs->type->kind == TY_ARRAY) {
        /* a guarded array's reads take its lock: nothing to gain */
        if (c->lhs->sym->guarded) h->blocked = true;
        else scan_add(h, c->lhs->sym);
    }
    ast_children(c, true, scan_body, ctx);
    return false;
}

static void hoist_loop(Arena *a, Node *n) {
    Symbol *var = n->sym;
    if (!var || (var->flags & SF_ASSIGNED) || !rising_range(n->rhs) || !n->body) return;
    HoistScan h = {.var = var};
    scan_body(&h, n->body, NULL);
    if (h.blocked || h.n == 0) return;
    var->hoist = arena_alloc_aligned(a, (size_t)(h.n + 1) * sizeof *var->hoist, _Alignof(Symbol *));
    memcpy(var->hoist, h.arrays, (size_t)h.n * sizeof *var->hoist);
    var->hoist[h.n] = NULL;
}

typedef struct HoistWalk {
    Arena *arena;
    bool in_comp; /* inside a comprehension, whose loops are written once */
} HoistWalk;

/* Innermost loops first: an outer loop whose body holds a hoisted one is
 * left alone (scan_body). */
static bool hoist_walk(void *ctx, Node *n, const char *role) {
    (void)role;
    HoistWalk *w = ctx;
    bool outer = w->in_comp;
    if (n->kind == ND_LISTCOMP) w->in_comp = true;
    ast_children(n, true, hoist_walk, ctx);
    w->in_comp = outer;
    if (n->kind == ND_FOR && !w->in_comp) hoist_loop(w->arena, n);
    return false;
}

void sema_hoist(Program *p, Arena *a) {
    HoistWalk w = {a, false};
    for (Node *d = p->defs; d; d = d->next) hoist_walk(&w, d, NULL);
    for (Node *n = p->top; n; n = n->next) hoist_walk(&w, n, NULL);
}
