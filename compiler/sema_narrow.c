/* sema_narrow: where a variable of type `T | None` is known not to be
 * None, so that it reads as a T.
 *
 * A narrowing starts where a condition proves it (`x is not None`, the
 * else side of `x is None`, either side of `and`/`or`, `not`), or after an
 * `if x is None:` whose body cannot complete, or after `x = e` with e a T.
 * It holds to the end of the statement list it was made for, and ends
 * before the first statement of that list that may assign None to x
 * (sema checks statements in order, so a loop's later assignment ends it
 * before the loop is checked: no path reaches a use without a test). */
#include "sema_impl.h"

#include <string.h>

static bool narrowable(const Node *e) {
    return e->kind == ND_NAME && e->sym && e->sym->type && e->sym->type->kind == TY_OPTIONAL &&
           (e->sym->kind == SYM_VAR || e->sym->kind == SYM_PARAM);
}

size_t narrow_mark(Sema *S) { return S->narrowed.len; }

void narrow_reset(Sema *S, size_t mark) {
    if (mark < S->narrowed.len) S->narrowed.len = mark;
}

void narrow_push(Sema *S, Symbol *s) { vec_push(&S->narrowed, s); }

bool narrow_has(const Sema *S, const Symbol *s) {
    for (size_t i = 0; i < S->narrowed.len; i++)
        if (S->narrowed.items[i] == s) return true;
    return false;
}

void narrow_drop(Sema *S, const Symbol *s) {
    for (size_t i = 0; i < S->narrowed.len; i++)
        if (S->narrowed.items[i] == s) S->narrowed.items[i] = NULL;
}

/* `x is None` (IS true) or `x is not None` (false), either way round,
 * also spelled == / !=: the name compared, else NULL. */
static Node *none_test(Node *c, bool *is) {
    if (c->kind != ND_BINARY) return NULL;
    if (c->op == OP_IS || c->op == OP_EQ) *is = true;
    else if (c->op == OP_ISNOT || c->op == OP_NE) *is = false;
    else return NULL;
    Node *x = c->lhs->kind == ND_NONE ? c->rhs : c->rhs->kind == ND_NONE ? c->lhs : NULL;
    return x && narrowable(x) ? x : NULL;
}

void narrow_cond(Sema *S, Node *c, bool truth) {
    bool is;
    Node *x = none_test(c, &is);
    if (x) {
        if (is != truth) narrow_push(S, x->sym);
        return;
    }
    if (c->kind == ND_UNARY && c->op == OP_NOT) {
        narrow_cond(S, c->lhs, !truth);
    } else if (c->kind == ND_BINARY && ((c->op == OP_AND && truth) || (c->op == OP_OR && !truth))) {
        narrow_cond(S, c->lhs, truth);
        narrow_cond(S, c->rhs, truth);
    }
}

typedef struct Scan {
    Sema *S;
    Node *skip; /* a plain `x = e` statement decides after it is checked */
} Scan;

static bool drop_assigned(void *ctx, Node *n, const char *role) {
    (void)role;
    Scan *sc = ctx;
    if (n->kind == ND_ASSIGN && n != sc->skip && n->lhs->kind == ND_NAME) {
        for (size_t i = 0; i < sc->S->narrowed.len; i++) {
            Symbol *s = sc->S->narrowed.items[i];
            if (s && strcmp(s->name, n->lhs->name) == 0) sc->S->narrowed.items[i] = NULL;
        }
    }
    ast_children(n, false, drop_assigned, ctx);
    return false;
}

void narrow_before(Sema *S, Node *st) {
    if (!S->narrowed.len) return;
    Scan sc = {S, NULL};
    if (st->kind == ND_ASSIGN && st->op == OP_NONE && st->lhs->kind == ND_NAME) sc.skip = st;
    drop_assigned(&sc, st, NULL);
}

void narrow_after(Sema *S, Node *st) {
    if (st->kind != ND_ASSIGN || st->op != OP_NONE || !narrowable(st->lhs)) return;
    Type *t = st->rhs->type;
    narrow_drop(S, st->lhs->sym);
    if (t && t->kind != TY_OPTIONAL && t->kind != TY_NULL && t->kind != TY_ERROR)
        narrow_push(S, st->lhs->sym);
}
