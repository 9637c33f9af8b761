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

/* ---- element-wise bodies -------------------------------------------------
 *
 * A hoisted loop is element-wise when each iteration reads and writes only
 * index i of raw int or float arrays, locals of the body and values the
 * body does not change, through + - * alone: no call, no other effect, no
 * exception but an int operation's OverflowError. Its iterations are then
 * independent, and gen runs it in blocks whose overflow is found first
 * (gen_vec.c). */

static bool scalar(const Type *t) { return t && (t->kind == TY_INT || t->kind == TY_FLOAT); }

/* Whether S is declared by a `let` among the body's statements. */
static bool body_local(const Node *body, const Symbol *s) {
    for (const Node *st = body->body; st; st = st->next)
        if (st->kind == ND_LET && st->sym == s) return true;
    return false;
}

/* `a[i]` of a raw int or float array the loop's bounds test covers. */
static bool elem_index(const Symbol *var, const Node *e) {
    if (e->kind != ND_INDEX || e->rhs->kind != ND_NAME || e->rhs->sym != var ||
        e->lhs->kind != ND_NAME)
        return false;
    const Type *at = e->lhs->type;
    if (!at || at->kind != TY_ARRAY || !at->raw || !scalar(at->elem)) return false;
    for (int k = 0; var->hoist[k]; k++)
        if (var->hoist[k] == e->lhs->sym) return true;
    return false;
}

static bool elem_expr(const Symbol *var, const Node *body, const Node *e) {
    if (!scalar(e->type)) return false;
    switch (e->kind) {
    case ND_INT:
    case ND_FLOAT: return true;
    case ND_NAME: {
        /* the loop variable, a local of the body, or a value no statement
         * of the body changes (only body locals and elements are assigned) */
        const Symbol *s = e->sym;
        if (!s || s->type != e->type) return false; /* a narrowed optional */
        return s->kind == SYM_VAR || s->kind == SYM_PARAM || s->kind == SYM_CONST ||
               body_local(body, s);
    }
    case ND_INDEX: return elem_index(var, e);
    case ND_UNARY: return (e->op == OP_NEG || e->op == OP_POS) && elem_expr(var, body, e->lhs);
    case ND_BINARY:
        return (e->op == OP_ADD || e->op == OP_SUB || e->op == OP_MUL) &&
               elem_expr(var, body, e->lhs) && elem_expr(var, body, e->rhs);
    default: return false;
    }
}

static bool elem_stmt(const Symbol *var, const Node *body, const Node *st) {
    switch (st->kind) {
    case ND_PASS: return true;
    case ND_LET:
        return st->sym && scalar(st->sym->type) && st->rhs && st->rhs->type == st->sym->type &&
               elem_expr(var, body, st->rhs);
    case ND_ASSIGN: {
        const Node *t = st->lhs;
        if (st->op != OP_NONE && st->op != OP_ADD && st->op != OP_SUB && st->op != OP_MUL)
            return false;
        bool to_local = t->kind == ND_NAME && t->sym && body_local(body, t->sym);
        if (!to_local && !elem_index(var, t)) return false;
        /* an int target takes int values only; a float one converts */
        if (!scalar(t->type) || (t->type->kind == TY_INT && st->rhs->type != t->type)) return false;
        return elem_expr(var, body, st->rhs);
    }
    default: return false;
    }
}

static bool elementwise(const Node *n) {
    const Node *range = n->rhs;
    if (range->argc == 3 && range->argv[2]->ival != 1) return false; /* blocks step by 1 */
    for (const Node *st = n->body->body; st; st = st->next)
        if (!elem_stmt(n->sym, n->body, st)) return false;
    return true;
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
    var->elementwise = elementwise(n);
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
    /* a def that names no array has no `a[i]` to hoist */
    for (Node *d = p->defs; d; d = d->next)
        if (d->sym && (d->sym->flags & SF_DEF_SHARED)) hoist_walk(&w, d, NULL);
    for (Node *n = p->top; n; n = n->next) hoist_walk(&w, n, NULL);
}
