/* sema_const: `const NAME = EXPR`, folded at compile time.
 *
 * A constant is checked before any def or top-level statement (in source
 * order among the constants), bound in the scope of the defs, so every def
 * sees it wherever it stands, as Python's module globals are seen. Its
 * expression is made of literals, other constants and operators; the value
 * is computed here, with Python's rules and errors, into a literal node
 * (ND_CONST's lhs) that code generation emits at each use. */
#include "sema_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The longest string a constant may fold to. */
enum { CONST_STR_MAX = 1 << 20 };

typedef struct CVal {
    TypeKind k; /* TY_INT, TY_FLOAT, TY_BOOL, TY_STR; TY_ERROR: reported */
    int64_t i;  /* int, bool */
    double f;
    const char *s; /* str (arena), len bytes */
    size_t len;
} CVal;

static CVal cerr(void) { return (CVal){.k = TY_ERROR}; }
static CVal cint(int64_t i) { return (CVal){.k = TY_INT, .i = i}; }
static CVal cflt(double f) { return (CVal){.k = TY_FLOAT, .f = f}; }
static CVal cbool(bool b) { return (CVal){.k = TY_BOOL, .i = b}; }

static CVal fail(Sema *S, Span at, const char *msg) {
    diag_error(S->d, at, "%s", msg);
    return cerr();
}

static double as_f(CVal v) { return v.k == TY_FLOAT ? v.f : (double)v.i; }

static CVal fold(Sema *S, Node *e);

/* Python's float // and %: the sign of the divisor, floor of the quotient. */
static void float_divmod(double x, double y, double *div, double *mod) {
    double m = fmod(x, y);
    double d = (x - m) / y;
    if (m != 0) {
        if ((y < 0) != (m < 0)) {
            m += y;
            d -= 1.0;
        }
    } else {
        m = copysign(0.0, y);
    }
    if (d != 0) {
        double fl = floor(d);
        if (d - fl > 0.5) fl += 1.0;
        d = fl;
    } else {
        d = copysign(0.0, x / y);
    }
    *div = d;
    *mod = m;
}

static CVal int_pow(Sema *S, Span at, int64_t b, int64_t x) {
    if (x < 0)
        return fail(S, at, "'**' with a negative exponent gives a float; write a float base");
    int64_t r = 1;
    while (x > 0) {
        if ((x & 1) && __builtin_mul_overflow(r, b, &r)) break;
        x >>= 1;
        if (x > 0 && __builtin_mul_overflow(b, b, &b)) {
            x = -1;
            break;
        }
    }
    if (x != 0) return fail(S, at, "integer overflow in a constant");
    return cint(r);
}

static CVal int_arith(Sema *S, Node *e, Op op, int64_t a, int64_t b) {
    int64_t r = 0;
    bool ovf = false;
    switch (op) {
    case OP_ADD: ovf = __builtin_add_overflow(a, b, &r); break;
    case OP_SUB: ovf = __builtin_sub_overflow(a, b, &r); break;
    case OP_MUL: ovf = __builtin_mul_overflow(a, b, &r); break;
    case OP_FLOORDIV:
    case OP_MOD:
        if (b == 0)
            return fail(S, e->span,
                        op == OP_MOD ? "integer modulo by zero"
                                     : "integer division or modulo by zero");
        if (a == INT64_MIN && b == -1) {
            if (op == OP_MOD) return cint(0);
            ovf = true;
            break;
        }
        r = op == OP_MOD ? a % b : a / b;
        if (op == OP_MOD && r != 0 && ((r < 0) != (b < 0))) r += b;
        if (op == OP_FLOORDIV && (a % b != 0) && ((a < 0) != (b < 0))) r -= 1;
        break;
    case OP_POW: return int_pow(S, e->span, a, b);
    case OP_BITAND: r = a & b; break;
    case OP_BITOR: r = a | b; break;
    case OP_BITXOR: r = a ^ b; break;
    case OP_SHL:
    case OP_SHR:
        if (b < 0) return fail(S, e->rhs->span, "negative shift count");
        if (op == OP_SHR) {
            r = b >= 64 ? (a < 0 ? -1 : 0) : a >> b;
        } else if (a != 0) {
            ovf = b >= 63 || (a > 0 ? a > (INT64_MAX >> b) : a < (INT64_MIN >> b));
            if (!ovf) r = (int64_t)((uint64_t)a << b);
        }
        break;
    default: return cerr();
    }
    if (ovf) return fail(S, e->span, "integer overflow in a constant");
    return cint(r);
}

static CVal float_arith(Sema *S, Node *e, Op op, double a, double b) {
    double d, m;
    switch (op) {
    case OP_ADD: return cflt(a + b);
    case OP_SUB: return cflt(a - b);
    case OP_MUL: return cflt(a * b);
    case OP_DIV:
        if (b == 0) return fail(S, e->span, "float division by zero");
        return cflt(a / b);
    case OP_FLOORDIV:
    case OP_MOD:
        if (b == 0)
            return fail(S, e->span, op == OP_MOD ? "float modulo" : "float floor division by zero");
        float_divmod(a, b, &d, &m);
        return cflt(op == OP_MOD ? m : d);
    case OP_POW:
        if (a == 0 && b < 0) return fail(S, e->span, "0.0 cannot be raised to a negative power");
        if (a < 0 && b != floor(b))
            return fail(S, e->span, "a negative number raised to a fractional power is complex");
        return cflt(pow(a, b));
    default: return cerr();
    }
}

/* Exact comparison of any two numbers, as Python compares int and float. */
static int num_cmp(CVal a, CVal b) {
    if (a.k == TY_INT && b.k == TY_INT) return (a.i > b.i) - (a.i < b.i);
    long double x = a.k == TY_FLOAT ? (long double)a.f : (long double)a.i;
    long double y = b.k == TY_FLOAT ? (long double)b.f : (long double)b.i;
    if (x != x || y != y) return 2; /* NaN: unordered */
    return (x > y) - (x < y);
}

static int str_cmp(CVal a, CVal b) {
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.s, b.s, n);
    if (c) return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

static CVal compare(Op op, int c) {
    if (c == 2) return cbool(op == OP_NE);
    switch (op) {
    case OP_EQ: return cbool(c == 0);
    case OP_NE: return cbool(c != 0);
    case OP_LT: return cbool(c < 0);
    case OP_LE: return cbool(c <= 0);
    case OP_GT: return cbool(c > 0);
    default: return cbool(c >= 0);
    }
}

static CVal str_of(Sema *S, const char *a, size_t la, const char *b, size_t lb, int64_t times) {
    char *s = arena_alloc(S->arena, la + lb * (size_t)times + 1);
    memcpy(s, a, la);
    for (int64_t k = 0; k < times; k++) memcpy(s + la + lb * (size_t)k, b, lb);
    s[la + lb * (size_t)times] = 0;
    return (CVal){.k = TY_STR, .s = s, .len = la + lb * (size_t)times};
}

static CVal str_binary(Sema *S, Node *e, CVal a, CVal b) {
    if (e->op == OP_ADD) {
        if (a.len + b.len > CONST_STR_MAX) return fail(S, e->span, "constant string too long");
        return str_of(S, a.s, a.len, b.s, b.len, 1);
    }
    CVal s = a.k == TY_STR ? a : b, n = a.k == TY_STR ? b : a;
    int64_t times = n.i < 0 ? 0 : n.i;
    if (s.len && (uint64_t)times > CONST_STR_MAX / s.len)
        return fail(S, e->span, "constant string too long");
    return str_of(S, "", 0, s.s, s.len, times);
}

static CVal fold_binary(Sema *S, Node *e) {
    Op op = e->op;
    CVal a = fold(S, e->lhs);
    if (a.k == TY_ERROR) return a;
    if (op == OP_AND || op == OP_OR) { /* short-circuit, as at run time */
        if ((op == OP_AND) != (a.i != 0)) return a;
        return fold(S, e->rhs);
    }
    CVal b = fold(S, e->rhs);
    if (b.k == TY_ERROR) return b;
    bool nums = (a.k == TY_INT || a.k == TY_FLOAT) && (b.k == TY_INT || b.k == TY_FLOAT);
    if (op >= OP_EQ && op <= OP_GE) {
        if (nums) return compare(op, num_cmp(a, b));
        if (a.k == TY_STR) return compare(op, str_cmp(a, b));
        return compare(op, (a.i > b.i) - (a.i < b.i)); /* bools */
    }
    if (a.k == TY_STR || b.k == TY_STR) return str_binary(S, e, a, b);
    if (a.k == TY_INT && b.k == TY_INT && op != OP_DIV) return int_arith(S, e, op, a.i, b.i);
    if (op == OP_DIV && a.k == TY_INT && b.k == TY_INT && b.i == 0)
        return fail(S, e->span, "division by zero");
    return float_arith(S, e, op, as_f(a), as_f(b));
}

static CVal fold_unary(Sema *S, Node *e) {
    CVal v = fold(S, e->lhs);
    if (v.k == TY_ERROR) return v;
    switch (e->op) {
    case OP_NOT: return cbool(!v.i);
    case OP_POS: return v;
    case OP_BITNOT: return cint(~v.i);
    default:
        if (v.k == TY_FLOAT) return cflt(-v.f);
        if (v.i == INT64_MIN) return fail(S, e->span, "integer overflow in a constant");
        return cint(-v.i);
    }
}

static CVal fold_str(Sema *S, Node *e) {
    Node *p = e->parts;
    if (!p) return str_of(S, "", 0, "", 0, 0);
    if (p->kind != ND_STRPART || p->next)
        return fail(S, e->span, "a constant cannot interpolate values; join strings with '+'");
    return (CVal){.k = TY_STR, .s = p->str, .len = p->len};
}

static CVal fold_literal(Node *n) {
    switch (n->kind) {
    case ND_INT: return cint(n->ival);
    case ND_FLOAT: return cflt(n->fval);
    case ND_BOOL: return cbool(n->ival != 0);
    default: return (CVal){.k = TY_STR, .s = n->parts->str, .len = n->parts->len};
    }
}

/* The value of E, already checked by sema_value without errors. */
static CVal fold(Sema *S, Node *e) {
    switch (e->kind) {
    case ND_INT:
    case ND_FLOAT:
    case ND_BOOL: return fold_literal(e);
    case ND_STR: return fold_str(S, e);
    case ND_NAME:
        if (e->sym && e->sym->kind == SYM_CONST && e->sym->decl->lhs)
            return fold_literal(e->sym->decl->lhs);
        if (e->sym && e->sym->kind == SYM_CONST) return cerr(); /* its own error */
        diag_error(S->d, e->span, "'%s' is not a constant", e->name);
        diag_note(S->d, e->span, "a constant is made of literals, other constants and operators");
        return cerr();
    case ND_UNARY: return fold_unary(S, e);
    case ND_BINARY: return fold_binary(S, e);
    default:
        diag_error(S->d, e->span, "this is not a constant expression");
        diag_note(S->d, e->span,
                  "a constant is made of literals, other constants and operators, computed "
                  "before the program runs");
        return cerr();
    }
}

/* A literal node holding V, at SPAN. */
static Node *literal(Sema *S, CVal v, Span at) {
    Node *n;
    switch (v.k) {
    case TY_INT:
        n = node_new(S->arena, ND_INT, at);
        n->ival = v.i;
        break;
    case TY_FLOAT:
        n = node_new(S->arena, ND_FLOAT, at);
        n->fval = v.f;
        break;
    case TY_BOOL:
        n = node_new(S->arena, ND_BOOL, at);
        n->ival = v.i;
        break;
    default: {
        n = node_new(S->arena, ND_STR, at);
        Node *p = node_new(S->arena, ND_STRPART, at);
        p->str = v.s;
        p->len = v.len;
        p->type = type_basic(TY_STR);
        n->parts = p;
        break;
    }
    }
    n->type = type_basic(v.k);
    return n;
}

void sema_const(Sema *S, Node *n) {
    S->in_const = true;
    int errors = S->d->errors;
    Type *t = sema_value(S, n->rhs, NULL);
    S->in_const = false;
    bool ok = S->d->errors == errors && t->kind != TY_ERROR;
    if (ok && t->kind != TY_INT && t->kind != TY_FLOAT && t->kind != TY_BOOL && t->kind != TY_STR) {
        diag_error(S->d, n->rhs->span, "a constant is an int, float, bool or str, not %s",
                   sema_tname(t));
        ok = false;
    }
    CVal v = ok ? fold(S, n->rhs) : cerr();
    if (v.k != TY_ERROR) n->lhs = literal(S, v, n->rhs->span);
    else t = type_basic(TY_ERROR);
    SymX *x = sema_declare_const(S, n, t);
    n->sym = &x->s;
}
