/* gen_vec: element-wise range loops, run in blocks (sema_hoist.c finds
 * them: each iteration touches only index i of raw arrays, its own locals
 * and values the loop does not change, through + - * alone).
 *
 * A whole block of BLOCK iterations first runs as an overflow pass: the int
 * operations of the body computed wrapping and without a branch, each one's
 * overflow ORed into the sign bit of a flag (mp_add_ov, ... in mpr.h), and
 * no array element stored. When none would overflow, the block's stores
 * are made: when the body stores int elements only, the overflow pass kept
 * each written array's new elements in a buffer of the block, and the
 * buffers are copied (the arrays are read once); otherwise the block runs
 * again with plain C operators and stores. Both kinds of loop vectorize
 * (the trip count is a constant, and MP_VECTOR says the iterations are
 * independent). When an operation would overflow, the block runs checked,
 * element by element, as the loop is written: the OverflowError comes at
 * the same element, with the same message and location, after the same
 * stores. So does the last, partial block, and every block when a written
 * int array is also passed under another name (then one iteration's
 * statements depend on each other through memory, which the passes do not
 * follow). A body without int operations has no overflow pass. */
#include "gen_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 256 };     /* iterations: 2 KiB of each int array, in L1 */
enum { BUFFERS_MAX = 4 }; /* written int arrays buffered: 8 KiB of stack */

/* A statement of the overflow pass: CODE, declared as int64_t NAME when a
 * later statement reads it, kept as an expression when it checks or
 * stores into a buffer. */
typedef struct Pre {
    Node *at;
    const char *name;
    const char *code;
    bool keep;
} Pre;

/* An int array the body stores into: its position in Symbol.hoist, the
 * last statement storing into it, its buffer in the overflow pass. */
typedef struct Written {
    int k;
    Node *at;
    const char *buf;
} Written;

/* The latest value of a body local or int array in the overflow pass. */
typedef struct LatestValue {
    const Symbol *s;
    const char *name;
} LatestValue;

typedef struct Vec {
    Gen *g;
    Symbol *var;
    const char *i;     /* the block loops' variable: the loop variable's C name */
    const char *ov;    /* the overflow pass's flag; NULL in the plain pass */
    bool checks;       /* the expression being written ORs into the flag */
    bool float_stores; /* the body stores float elements */
    VEC(Pre) pres;
    VEC(LatestValue) vals;
    VEC(Written) written;
} Vec;

static const char *vexpr(Vec *x, Node *e);

static const char *held_value(const Vec *x, const Symbol *s) {
    for (size_t k = x->vals.len; k-- > 0;)
        if (x->vals.items[k].s == s) return x->vals.items[k].name;
    return NULL;
}

/* L op R of type T (+ - *); an int operand of a float one is converted. */
static const char *combine(Vec *x, Op op, const Type *t, const char *l, const Type *lt, Node *rhs) {
    static const char *const c_op[] = {[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*"};
    static const char *const fn[] = {[OP_ADD] = "add", [OP_SUB] = "sub", [OP_MUL] = "mul"};
    Gen *g = x->g;
    const char *r = vexpr(x, rhs);
    if (t->kind == TY_INT && x->ov) {
        x->checks = true;
        return gstr(g, "mp_%s_ov(%s, %s, &%s)", fn[op], l, r, x->ov);
    }
    if (t->kind == TY_FLOAT && lt->kind == TY_INT) l = gstr(g, "(double)%s", l);
    if (t->kind == TY_FLOAT && rhs->type->kind == TY_INT) r = gstr(g, "(double)%s", r);
    return gstr(g, "(%s %s %s)", l, c_op[op], r);
}

static const char *vexpr(Vec *x, Node *e) {
    Gen *g = x->g;
    switch (e->kind) {
    case ND_INDEX: {
        const char *v = x->ov ? held_value(x, e->lhs->sym) : NULL;
        return v ? v : unchecked_load(g, e, cname(g, e->lhs->sym), x->i);
    }
    case ND_NAME: {
        if (e->sym == x->var) return x->i;
        const char *v = x->ov ? held_value(x, e->sym) : NULL;
        return v ? v : gen_expr(g, e).code; /* a constant's value, a local's name */
    }
    case ND_UNARY: {
        if (e->op == OP_POS) return vexpr(x, e->lhs);
        if (e->lhs->kind == ND_INT && e->lhs->ival != INT64_MIN)
            return gstr(g, "%" PRId64, -e->lhs->ival);
        const char *v = vexpr(x, e->lhs);
        if (e->type->kind == TY_FLOAT || !x->ov) return gstr(g, "(-%s)", v);
        x->checks = true;
        return gstr(g, "mp_neg_ov(%s, &%s)", v, x->ov);
    }
    case ND_BINARY: return combine(x, e->op, e->type, vexpr(x, e->lhs), e->lhs->type, e->rhs);
    default: return gen_expr(g, e).code; /* a literal */
    }
}

/* ---- the overflow pass ------------------------------------------------- */

/* The position of array S in the loop's Symbol.hoist. */
static int hoist_at(const Vec *x, const Symbol *s) {
    int k = 0;
    while (x->var->hoist[k] != s) k++;
    return k;
}

/* Records a store into element i of array S by statement AT. */
static void note_store(Vec *x, Node *at, const Symbol *s) {
    if (s->type->elem->kind != TY_INT) {
        x->float_stores = true;
        return;
    }
    int k = hoist_at(x, s);
    for (size_t j = 0; j < x->written.len; j++)
        if (x->written.items[j].k == k) {
            x->written.items[j].at = at;
            return;
        }
    vec_push(&x->written, ((Written){k, at, NULL}));
}

static void pre_add(Vec *x, Node *at, const Symbol *s, const char *name, const char *code) {
    vec_push(&x->pres, ((Pre){at, s ? name : NULL, code, x->checks}));
    if (s) vec_push(&x->vals, ((LatestValue){s, name}));
    x->checks = false;
}

/* In a float statement, each largest int part holding an operation. */
static void pre_int_parts(Vec *x, Node *st, Node *e) {
    if (e->type->kind == TY_INT) {
        const char *code = vexpr(x, e);
        if (x->checks) pre_add(x, st, NULL, NULL, code);
        return;
    }
    if (e->kind == ND_UNARY) pre_int_parts(x, st, e->lhs);
    if (e->kind == ND_BINARY) {
        pre_int_parts(x, st, e->lhs);
        pre_int_parts(x, st, e->rhs);
    }
}

static void pre_stmt(Vec *x, Node *st) {
    Gen *g = x->g;
    if (st->kind == ND_PASS) return;
    bool let = st->kind == ND_LET;
    Type *t = let ? st->sym->type : st->lhs->type;
    if (!let && st->lhs->kind == ND_INDEX) note_store(x, st, st->lhs->lhs->sym);
    if (t->kind == TY_FLOAT) { /* int values never depend on float ones */
        pre_int_parts(x, st, st->rhs);
        return;
    }
    if (let) {
        pre_add(x, st, st->sym, cname(g, st->sym), vexpr(x, st->rhs));
        return;
    }
    /* a store: kept in a local, which later reads of the element see */
    Node *target = st->lhs;
    const Symbol *s = target->kind == ND_INDEX ? target->lhs->sym : target->sym;
    const char *code =
        st->op == OP_NONE ? vexpr(x, st->rhs) : combine(x, st->op, t, vexpr(x, target), t, st->rhs);
    pre_add(x, st, s, new_tmp(g, "w"), code);
}

/* Whether CODE names the C identifier NAME. */
static bool mentions(const char *code, const char *name) {
    size_t n = strlen(name);
    for (const char *p = strstr(code, name); p; p = strstr(p + 1, name)) {
        bool start = p == code || !(p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
                                    ((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z'));
        char c = p[n];
        bool end = !(c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'));
        if (start && end) return true;
    }
    return false;
}

/* The overflow pass's statements: a value is declared only when a later
 * statement that is written reads it; an unread one that checks is kept
 * as an expression; an unread one that does not is dropped. */
static void emit_pres(Vec *x) {
    Gen *g = x->g;
    size_t n = x->pres.len;
    bool *decl = xcalloc(n + 1, sizeof *decl), *kept = xcalloc(n + 1, sizeof *kept);
    for (size_t k = n; k-- > 0;) {
        const Pre *p = &x->pres.items[k];
        for (size_t j = k + 1; j < n && p->name && !decl[k]; j++)
            decl[k] = kept[j] && mentions(x->pres.items[j].code, p->name);
        kept[k] = decl[k] || p->keep;
    }
    for (size_t k = 0; k < n; k++) {
        const Pre *p = &x->pres.items[k];
        if (!kept[k]) continue;
        map(g, p->at);
        if (decl[k]) emit(g, "int64_t %s = %s;", p->name, p->code);
        else emit(g, "%s;", p->code);
    }
    free(decl);
    free(kept);
}

/* ---- the plain pass ------------------------------------------------------ */

static void plain_stmt(Vec *x, Node *st) {
    Gen *g = x->g;
    if (st->kind == ND_PASS) return;
    map(g, st);
    if (st->kind == ND_LET) {
        emit(g, "%s = %s;", decl(g, st->sym->type, cname(g, st->sym)),
             unparen(g, vexpr(x, st->rhs)));
        mark_unread(g, st->sym);
        return;
    }
    Node *target = st->lhs;
    const char *lv = vexpr(x, target);
    const char *value = st->op == OP_NONE
                            ? vexpr(x, st->rhs)
                            : combine(x, st->op, target->type, lv, target->type, st->rhs);
    emit(g, "%s = %s;", lv, unparen(g, value));
}

/* The condition that a written int array is no other int array of the
 * body: " && e1 != e2 ...", or "". */
static const char *distinct_arrays(Vec *x) {
    Gen *g = x->g;
    Buf b = {0};
    for (size_t j = 0; j < x->written.len; j++)
        for (int k = 0; x->var->hoist[k]; k++) {
            int w = x->written.items[j].k;
            bool seen = false; /* a pair of two written arrays is tested once */
            for (size_t m = 0; m < j; m++) seen |= x->written.items[m].k == k;
            if (k == w || seen || x->var->hoist[k]->type->elem->kind != TY_INT ||
                !g->unchecked_elems[k])
                continue;
            buf_printf(&b, " && %s != %s", g->unchecked_elems[w], g->unchecked_elems[k]);
        }
    const char *r = gstr(g, "%s", b.data ? b.data : "");
    free(b.data);
    return r;
}

/* The overflow pass's last statements: each written array's new element
 * into its buffer (declared here). */
static void add_buffer_stores(Vec *x, const char *i) {
    Gen *g = x->g;
    for (size_t j = 0; j < x->written.len; j++) {
        Written *w = &x->written.items[j];
        w->buf = new_tmp(g, "b");
        emit(g, "int64_t %s[%d]; /* the block's new elements of '%s' */", w->buf, BLOCK,
             x->var->hoist[w->k]->name);
        const char *v = held_value(x, x->var->hoist[w->k]);
        vec_push(&x->pres,
                 ((Pre){w->at, NULL, gstr(g, "%s[%s - %s] = %s", w->buf, x->i, i, v), true}));
    }
}

/* Before the overflow pass reads the block: each written array's last
 * element of the block, written (mp_touch_for_write). */
static void touch_written(Vec *x, const char *i) {
    for (size_t j = 0; j < x->written.len; j++)
        emit(x->g, "mp_touch_for_write(&%s[%s + %d]);",
             x->g->unchecked_elems[x->written.items[j].k], i, BLOCK - 1);
}

/* The block's stores: the buffers copied, or the body again with C
 * operators and stores. */
static void emit_stores(Vec *x, Node *n, const char *head, bool buffered, const char *i) {
    Gen *g = x->g;
    map(g, n);
    emit(g, "%s", head);
    g->indent++;
    if (buffered) {
        for (size_t j = 0; j < x->written.len; j++) {
            const Written *w = &x->written.items[j];
            emit(g, "%s[%s] = %s[%s - %s];", g->unchecked_elems[w->k], x->i, w->buf, x->i, i);
        }
    } else {
        for (Node *st = n->body->body; st; st = st->next) plain_stmt(x, st);
    }
    g->indent--;
    emit(g, "}");
}

/* Inside `for (int64_t I = start; I < HI;) {` of element-wise loop N, whose
 * arrays' element pointers are set (Gen.unchecked_elems): the whole blocks,
 * then the end of the block the caller runs checked from I. */
const char *gen_vec_blocks(Gen *g, Node *n, const char *i, const char *hi) {
    Vec x = {.g = g, .var = n->sym, .i = cname(g, n->sym), .ov = new_tmp(g, "ov")};
    for (Node *st = n->body->body; st; st = st->next) pre_stmt(&x, st);
    bool overflow_pass = false;
    for (size_t k = 0; k < x.pres.len; k++) overflow_pass |= x.pres.items[k].keep;
    bool buffered =
        overflow_pass && !x.float_stores && x.written.len > 0 && x.written.len <= BUFFERS_MAX;
    const char *ov = x.ov;
    x.ov = NULL;
    const char *head = gstr(g, "MP_VECTOR for (int64_t %s = %s; %s < %s + %d; %s++) {", x.i, i, x.i,
                            i, BLOCK, x.i);
    emit(g,
         "if (%s - %s >= %d%s) { /* a whole block: unchecked (vectorized) if nothing overflows */",
         hi, i, BLOCK, overflow_pass ? distinct_arrays(&x) : "");
    g->indent++;
    if (overflow_pass) {
        emit(g, "int64_t %s = 0; /* its sign bit: an operation would overflow */", ov);
        if (buffered) add_buffer_stores(&x, i);
        touch_written(&x, i);
        map(g, n);
        emit(g, "%s", head);
        g->indent++;
        emit_pres(&x);
        g->indent--;
        emit(g, "}");
        emit(g, "if (%s >= 0) {", ov);
        g->indent++;
    }
    emit_stores(&x, n, head, buffered, i);
    emit(g, "%s += %d;", i, BLOCK);
    emit(g, "continue;");
    if (overflow_pass) {
        g->indent--;
        emit(g, "}");
    }
    g->indent--;
    emit(g, "}");
    const char *end = new_tmp(g, "m");
    emit(g,
         "int64_t %s = %s - %s >= %d ? %s + %d : %s; /* checked: a partial block, or one that "
         "overflows */",
         end, hi, i, BLOCK, i, BLOCK, hi);
    vec_free(&x.pres);
    vec_free(&x.vals);
    vec_free(&x.written);
    return end;
}
