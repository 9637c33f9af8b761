/* gen_expr: expressions, with operands evaluated in Python's order,
 * built-in functions and methods. */
#include "builtins.h"
#include "gen_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- expressions -------------------------------------------------------- */

/* The value of N as a borrowed reference (or plain scalar). */
const char *borrow(Gen *g, Node *n) {
    CExpr e = gen_expr(g, n);
    if (e.owned) return hold(g, n->type, e.code);
    return e.code;
}

/* Whether a value of type FROM becomes a new box as a TO: a scalar
 * stored where `T | None` is expected. */
static bool boxes(const Type *from, const Type *to) {
    return to && to->kind == TY_OPTIONAL && !is_heap(to->elem) && from->kind != TY_OPTIONAL &&
           from->kind != TY_NULL;
}

/* CODE, a value of type FROM, as a TO, for the implicit conversions: int
 * to float, None and T to T | None (a scalar into a new box). */
static const char *convert(Gen *g, const char *code, const Type *from, const Type *to) {
    if (!to) return code;
    if (to->kind == TY_FLOAT && from->kind == TY_INT) return gstr(g, "(double)%s", code);
    if (to->kind != TY_OPTIONAL) return code;
    if (from->kind == TY_NULL) return "NULL";
    if (boxes(from, to)) return gstr(g, "mp_box_%s(%s)", ksuffix(to->elem), code);
    return code;
}

/* The value of N as a new reference (for storing), converted to type TO
 * (int to float, and T or None to T | None). */
const char *owned(Gen *g, Node *n, Type *to) {
    CExpr e = gen_expr(g, n);
    if (boxes(n->type, to) || (to && n->type->kind == TY_NULL))
        return convert(g, e.code, n->type, to);
    if (to && to->kind == TY_FLOAT && n->type->kind == TY_INT)
        return convert(g, e.code, n->type, to);
    if (!is_heap(n->type) || e.owned) return e.code;
    return gstr(g, "%s(%s)", ref_fn(n->type), e.code);
}

/* A borrowed value converted to TO. */
const char *borrow_as(Gen *g, Node *n, Type *to) {
    const char *c = borrow(g, n);
    if (boxes(n->type, to)) return hold(g, to, convert(g, c, n->type, to));
    return convert(g, c, n->type, to);
}

/* The key type of dict or set type T. */
static Type *key_of(Type *t) { return t->kind == TY_DICT ? t->items[0] : t->elem; }

/* CODE, the borrowed value of N, as a value of key type KT (an int
 * looked up among float keys converted, a scalar boxed for an optional
 * key and the box held), borrowed. */
const char *key_val(Gen *g, Node *n, const char *code, Type *kt) {
    if (boxes(n->type, kt)) return hold(g, kt, convert(g, code, n->type, kt));
    return convert(g, code, n->type, kt);
}

/* ---- operands in Python's order ---------------------------------------------- */

/* Whether CODE is a name or a literal: nothing left to run. */
static bool settled(const char *code) {
    if (code[0] == '&') code++;
    if (code[0] == '-') code++;
    for (const char *c = code; *c; c++)
        if (!(*c == '_' || *c == '.' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z')))
            return false;
    return code[0] != '\0';
}

/* Whether CODE is "REF(NAME)": a new reference to something held. */
static bool ref_of_settled(const char *code) {
    const char *open = strstr(code, "_ref(");
    size_t n = strlen(code);
    if (!open || code[n - 1] != ')') return false;
    const char *inner = open + 5;
    char name[64];
    size_t len = (size_t)(code + n - 1 - inner);
    if (len == 0 || len >= sizeof name) return false;
    memcpy(name, inner, len);
    name[len] = '\0';
    for (const char *c = code; c < open; c++)
        if (!(*c == '_' || (*c >= 'a' && *c <= 'z'))) return false;
    return settled(name);
}

/* Computes operand I of OPS now, into a temporary. */
void pin(Gen *g, Ops *ops, int i) {
    Type *t = ops->items[i].type;
    const char *code = ops->items[i].code;
    if (ops->items[i].pinned || settled(code) || ref_of_settled(code)) return;
    ops->items[i].pinned = true;
    if (is_heap(t) && !ops->items[i].owned) {
        /* a borrowed element: keep it alive while later operands run */
        ops->items[i].code = hold(g, t, gstr(g, "%s(%s)", ref_fn(t), code));
        return;
    }
    if (is_heap(t) && temps_scope(g)) {
        /* an exception in a later operand must not leak it: held until the
         * statement ends, and the construct gets its own reference */
        ops->items[i].code = gstr(g, "%s(%s)", ref_fn(t), hold(g, t, code));
        return;
    }
    const char *name = new_tmp(g, "o");
    emit(g, "%s = %s;", decl(g, t, name), code);
    ops->items[i].code = name;
}

/* Before the operands' codes are combined into one C expression, where C
 * leaves their order open: all but the last one still to run are computed
 * now, in order. */
void ops_settle(Gen *g, Ops *ops) {
    int last = ops->len - 1;
    while (last >= 0 && settled(ops->items[last].code)) last--;
    for (int i = 0; i < last; i++) pin(g, ops, i);
}

/* Adds CODE, already generated, as the next operand. */
static int ops_add(Ops *ops, const char *code, Type *t, bool own);

/* CODE without one pair of enclosing parentheses, for `if (...)`. */
const char *unparen(Gen *g, const char *code) {
    size_t n = strlen(code);
    if (n < 2 || code[0] != '(' || code[n - 1] != ')') return code;
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (code[i] == '(') depth++;
        else if (code[i] == ')' && --depth == 0 && i != n - 1) return code;
    }
    return gstr(g, "%.*s", (int)(n - 2), code + 1);
}

int operand(Gen *g, Ops *ops, Node *n, bool own, Type *to) {
    /* Where an exception may unwind, an earlier operand that owns a new
     * value is held before this one is generated, so that the unwinding
     * code this one emits releases it. */
    if (temps_scope(g))
        for (int i = 0; i < (int)ops->len; i++)
            if (ops->items[i].owned && is_heap(ops->items[i].type)) pin(g, ops, i);
    Side later;
    side_begin(g, &later);
    const char *code = own ? owned(g, n, to) : borrow(g, n);
    side_end(g, &later);
    if (later.buf.len)
        for (int i = 0; i < (int)ops->len; i++) pin(g, ops, i);
    side_splice(g, &later);
    bool converted = to && (to->kind == TY_FLOAT || to->kind == TY_OPTIONAL);
    return ops_add(ops, code, own && converted ? to : n->type, own);
}

static int ops_add(Ops *ops, const char *code, Type *t, bool own) {
    vec_push(ops, ((Operand){code, t, own, false}));
    return (int)ops->len - 1;
}

/* The value and the spec of format(x, spec) call N, evaluated in order:
 * *X the mp_val of x, *SPEC the spec string ("" when not given). */
static void format_args(Gen *g, Node *n, const char **x, const char **spec) {
    Ops ops = {0};
    Node *v = n->argv[0];
    operand(g, &ops, v, false, NULL);
    if (n->argc > 1) operand(g, &ops, n->argv[1], false, NULL);
    ops_settle(g, &ops);
    *x = mpval(g, v->type, ops.items[0].code);
    *spec = n->argc > 1 ? ops.items[1].code : str_literal(g, "", 0);
    vec_free(&ops);
}

/* Appends str() of the value of N to the mp_buf named BUF. */
/* Appends str() of V, a value of type T already computed, to BUF. */
static void append_code(Gen *g, const char *buf, Type *t, const char *v) {
    if (t->kind == TY_EXC) { /* str(e): its message */
        emit(g, "mp_buf_exc(&%s, %s);", buf, v);
        return;
    }
    emit(g, "mp_buf_val(&%s, %s, %s);", buf, tdesc(g, t), mpval(g, t, v));
}

static void append_value(Gen *g, const char *buf, Node *n) {
    if (n->kind == ND_STR) {
        for (Node *p = n->parts; p; p = p->next) {
            if (p->kind == ND_STRPART) {
                if (p->len == 0) continue;
                Buf b = {0};
                put_c_string(&b, p->str, p->len);
                emit(g, "mp_buf_cstr(&%s, \"%s\", %zu);", buf, b.data, p->len);
                free(b.data);
            } else {
                append_value(g, buf, p);
            }
        }
        return;
    }
    if (n->kind == ND_CALL && n->builtin == B_FORMAT) { /* "{x:spec}" */
        const char *x, *spec;
        format_args(g, n, &x, &spec);
        emit(g, "mp_buf_format(&%s, %s, %s, %s, %s);", buf, tdesc(g, n->argv[0]->type), x, spec,
             loc(g, n->span));
        return;
    }
    if (n->type->kind == TY_ARRAY) {
        /* A guarded array prints as one snapshot, under its lock. */
        const char *a = borrow(g, n);
        bool lock = locked_read(g, n);
        if (lock) emit(g, "mp_array_lock(%s, %s);", a, loc(g, n->span));
        emit(g, "mp_buf_array(&%s, %s);", buf, a);
        if (lock) emit(g, "mp_array_unlock(%s, %s);", a, loc(g, n->span));
        return;
    }
    append_code(g, buf, n->type, borrow(g, n));
}

/* A print buffer declared where an exception may be pending is freed by
 * the unwinding too (freeing it again after it is finished is harmless). */
static bool buf_held(Gen *g, const char *b) {
    Scope *s = g->checking ? temps_scope(g) : NULL;
    if (s) scope_add(s, b, NULL);
    return s != NULL;
}

static CExpr gen_fstring(Gen *g, Node *n) {
    if (!n->parts || (n->parts->kind == ND_STRPART && !n->parts->next))
        return (CExpr){str_literal(g, n->parts ? n->parts->str : "", n->parts ? n->parts->len : 0),
                       false};
    const char *b = new_tmp(g, "b");
    emit(g, "mp_buf %s;", b);
    emit(g, "mp_buf_init(&%s);", b);
    buf_held(g, b);
    append_value(g, b, n);
    return (CExpr){gstr(g, "mp_buf_finish(&%s)", b), true};
}

static const char *arith_fn(Op op, bool flt) {
    switch (op) {
    case OP_ADD: return flt ? NULL : "mp_add";
    case OP_SUB: return flt ? NULL : "mp_sub";
    case OP_MUL: return flt ? NULL : "mp_mul";
    case OP_DIV: return "mp_fdiv";
    case OP_FLOORDIV: return flt ? "mp_ffloordiv" : "mp_floordiv";
    case OP_MOD: return flt ? "mp_fmod" : "mp_mod";
    case OP_POW: return flt ? "mp_fpow" : "mp_pow";
    default: return NULL;
    }
}

static const char *c_operator(Op op) {
    switch (op) {
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_BITAND: return "&";
    case OP_BITOR: return "|";
    case OP_BITXOR: return "^";
    case OP_EQ: return "==";
    case OP_NE: return "!=";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    default: return "?";
    }
}

/* L op R on already generated operands of type T (after promotion). */
const char *arith(Gen *g, Op op, Type *t, const char *l, const char *r, Span at) {
    bool flt = t->kind == TY_FLOAT;
    if (op == OP_SHL || op == OP_SHR)
        return gstr(g, "%s(%s, %s, %s)", op == OP_SHL ? "mp_shl" : "mp_shr", l, r, loc(g, at));
    const char *fn = arith_fn(op, flt);
    if (op == OP_DIV && !flt) /* int / int: exact, correctly rounded */
        return gstr(g, "mp_idiv(%s, %s, %s)", l, r, loc(g, at));
    if (op == OP_DIV) return gstr(g, "mp_fdiv((double)%s, (double)%s, %s)", l, r, loc(g, at));
    if (fn) return gstr(g, "%s(%s, %s, %s)", fn, l, r, loc(g, at));
    return gstr(g, "(%s %s %s)", l, c_operator(op), r);
}

static Type *numeric_join(Type *a, Type *b) {
    return a->kind == TY_FLOAT || b->kind == TY_FLOAT ? type_basic(TY_FLOAT) : a;
}

/* Both operands of N, borrowed, the left one first. */
void sides(Gen *g, Node *n, const char **l, const char **r) {
    Ops ops = {0};
    operand(g, &ops, n->lhs, false, NULL);
    operand(g, &ops, n->rhs, false, NULL);
    ops_settle(g, &ops);
    *l = ops.items[0].code;
    *r = ops.items[1].code;
    vec_free(&ops);
}

/* `x is None`, `x == None`, ... (either side may be the None). */
static CExpr gen_none_test(Gen *g, Node *n) {
    bool eq = n->op == OP_IS || n->op == OP_EQ;
    Node *x = n->lhs->kind == ND_NONE ? n->rhs : n->lhs;
    if (x->type->kind == TY_NULL) { /* None is None */
        gen_expr(g, n->lhs);
        gen_expr(g, n->rhs);
        return (CExpr){eq ? "true" : "false", false};
    }
    const char *v = borrow(g, x);
    return (CExpr){gstr(g, "(%s %s NULL)", v, eq ? "==" : "!="), false};
}

/* == and != where a side is `T | None`: Python's equality on both sides
 * as T | None. */
static CExpr gen_optional_eq(Gen *g, Node *n) {
    Type *t = n->lhs->type->kind == TY_OPTIONAL ? n->lhs->type : n->rhs->type;
    Ops ops = {0};
    operand(g, &ops, n->lhs, false, NULL);
    operand(g, &ops, n->rhs, false, NULL);
    ops_settle(g, &ops);
    const char *side[2];
    for (int i = 0; i < 2; i++) {
        Node *x = i ? n->rhs : n->lhs;
        const char *c = ops.items[i].code;
        side[i] = boxes(x->type, t) ? hold(g, t, convert(g, c, x->type, t)) : c;
    }
    vec_free(&ops);
    return (CExpr){gstr(g, "(%smp_val_eq(%s, %s, %s))", n->op == OP_NE ? "!" : "", tdesc(g, t),
                        mpval(g, t, side[0]), mpval(g, t, side[1])),
                   false};
}

static CExpr gen_compare(Gen *g, Node *n) {
    Type *lt = n->lhs->type, *rt = n->rhs->type;
    if (n->op == OP_IS || n->op == OP_ISNOT || lt->kind == TY_NULL || rt->kind == TY_NULL)
        return gen_none_test(g, n);
    if (lt->kind == TY_OPTIONAL || rt->kind == TY_OPTIONAL) return gen_optional_eq(g, n);
    const char *l, *r;
    sides(g, n, &l, &r);
    const char *op = c_operator(n->op);
    if (lt->kind == TY_TUPLE) {
        const char *d = tdesc(g, lt), *a = mpval(g, lt, l), *b = mpval(g, lt, r);
        if (n->op == OP_EQ || n->op == OP_NE)
            return (CExpr){gstr(g, "(%smp_val_eq(%s, %s, %s))", n->op == OP_NE ? "!" : "", d, a, b),
                           false};
        return (CExpr){gstr(g, "(mp_val_cmp(%s, %s, %s) %s 0)", d, a, b, op), false};
    }
    if (lt->kind == TY_DICT || (lt->kind == TY_SET && (n->op == OP_EQ || n->op == OP_NE))) {
        const char *d = tdesc(g, lt), *a = mpval(g, lt, l), *b = mpval(g, lt, r);
        return (CExpr){gstr(g, "(%smp_val_eq(%s, %s, %s))", n->op == OP_NE ? "!" : "", d, a, b),
                       false};
    }
    if (lt->kind == TY_SET) { /* subset and superset; strict ones differ in size */
        bool sup = n->op == OP_GT || n->op == OP_GE;
        const char *a = sup ? r : l, *b = sup ? l : r;
        if (n->op == OP_LE || n->op == OP_GE)
            return (CExpr){gstr(g, "mp_set_le(%s, %s)", a, b), false};
        return (CExpr){
            gstr(g, "(mp_dict_len(%s) < mp_dict_len(%s) && mp_set_le(%s, %s))", a, b, a, b), false};
    }
    if (lt->kind == TY_STR) {
        if (n->op == OP_EQ || n->op == OP_NE)
            return (CExpr){gstr(g, "(%smp_str_eq(%s, %s))", n->op == OP_NE ? "!" : "", l, r),
                           false};
        return (CExpr){gstr(g, "(mp_str_cmp(%s, %s) %s 0)", l, r, op), false};
    }
    if (lt->kind == TY_LIST && (n->op == OP_EQ || n->op == OP_NE))
        return (CExpr){gstr(g, "(%smp_list_eq(%s, %s))", n->op == OP_NE ? "!" : "", l, r), false};
    if (lt->kind == TY_LIST) { /* lexicographic, as Python */
        static const char *const ord[] = {
            [OP_LT] = "lt", [OP_LE] = "le", [OP_GT] = "gt", [OP_GE] = "ge"};
        return (CExpr){gstr(g, "mp_ord_%s(mp_list_order(%s, %s))", ord[n->op], l, r), false};
    }
    if (lt->kind != rt->kind) {
        /* int against float compares exactly, as Python (no rounding) */
        static const char *const names[] = {
            [OP_EQ] = "eq", [OP_NE] = "ne", [OP_LT] = "lt",
            [OP_LE] = "le", [OP_GT] = "gt", [OP_GE] = "ge",
        };
        return (CExpr){
            gstr(g, "mp_%s_%s(%s, %s)", lt->kind == TY_INT ? "if" : "fi", names[n->op], l, r),
            false};
    }
    return (CExpr){gstr(g, "(%s %s %s)", l, op, r), false};
}

/* `a and b`, `a or b`: B is evaluated only when needed, even when it needs
 * statements of its own. */
static CExpr gen_logic(Gen *g, Node *n) {
    const char *l = borrow(g, n->lhs);
    Side rhs;
    side_begin(g, &rhs);
    g->indent++;
    Scope temps;
    scope_push(g, &temps, false);
    temps.temps = true;
    const char *r = borrow(g, n->rhs);
    bool simple = rhs.buf.len == 0 && temps.held.len == 0;
    side_end(g, &rhs);
    g->indent--;
    if (simple) {
        scope_pop(g, false);
        side_free(&rhs);
        return (CExpr){gstr(g, "(%s %s %s)", l, n->op == OP_AND ? "&&" : "||", r), false};
    }
    const char *t = new_tmp(g, "c");
    g->mapped = rhs.mapped;
    emit(g, "bool %s = %s;", t, l);
    emit(g, "if (%s%s) {", n->op == OP_AND ? "" : "!", t);
    side_splice(g, &rhs);
    g->indent++;
    emit(g, "%s = %s;", t, r);
    scope_pop(g, true);
    g->indent--;
    emit(g, "}");
    g->mapped = 0;
    return (CExpr){t, false};
}

/* `x in c`, `x not in c`, by the container's type. */
static CExpr gen_in(Gen *g, Node *n) {
    Type *xt = n->lhs->type, *ct = n->rhs->type;
    const char *x, *c;
    sides(g, n, &x, &c);
    const char *neg = n->op == OP_NOTIN ? "!" : "";
    if (ct->kind == TY_STR)
        return (CExpr){gstr(g, "(%smp_str_contains(%s, %s))", neg, c, x), false};
    if (ct->kind == TY_DICT || ct->kind == TY_SET)
        return (CExpr){gstr(g, "(%smp_dict_contains(%s, %s))", neg, c,
                            mpval(g, key_of(ct), key_val(g, n->lhs, x, key_of(ct)))),
                       false};
    const char *v = mpval(g, xt, x);
    if (ct->kind == TY_LIST)
        return (CExpr){gstr(g, "(%smp_list_contains(%s, %s, %s))", neg, c, tdesc(g, xt), v), false};
    /* an array: one snapshot, under its lock when guarded */
    bool lock = locked_read(g, n->rhs);
    const char *at = loc(g, n->span);
    const char *t = new_tmp(g, "c");
    if (lock) emit(g, "mp_array_lock(%s, %s);", c, at);
    emit(g, "bool %s = mp_array_contains(%s, %s, %s);", t, c, tdesc(g, xt), v);
    if (lock) emit(g, "mp_array_unlock(%s, %s);", c, at);
    return (CExpr){gstr(g, "%s%s", neg, t), false};
}

static CExpr gen_binary(Gen *g, Node *n) {
    switch (n->op) {
    case OP_IN:
    case OP_NOTIN: return gen_in(g, n);
    case OP_AND:
    case OP_OR: return gen_logic(g, n);
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
    case OP_IS:
    case OP_ISNOT: return gen_compare(g, n);
    default: break;
    }
    Type *lt = n->lhs->type, *rt = n->rhs->type;
    if (lt->kind == TY_STR && n->op == OP_ADD) {
        const char *l, *r;
        sides(g, n, &l, &r);
        return (CExpr){gstr(g, "mp_str_concat(%s, %s)", l, r), true};
    }
    if (lt->kind == TY_LIST && n->op == OP_ADD) {
        const char *l, *r;
        sides(g, n, &l, &r);
        return (CExpr){gstr(g, "mp_list_concat(%s, %s)", l, r), true};
    }
    if (lt->kind == TY_SET) {
        const char *l, *r;
        sides(g, n, &l, &r);
        const char *fn = n->op == OP_BITOR    ? "or"
                         : n->op == OP_BITAND ? "and"
                         : n->op == OP_SUB    ? "sub"
                                              : "xor";
        return (CExpr){gstr(g, "mp_set_%s(%s, %s)", fn, l, r), true};
    }
    if (is_heap(lt) || is_heap(rt)) { /* str * int, int * list, ... */
        Type *seq = is_heap(lt) ? lt : rt;
        const char *l, *r;
        sides(g, n, &l, &r);
        bool first = is_heap(lt);
        return (CExpr){gstr(g, "%s(%s, %s)",
                            seq->kind == TY_STR ? "mp_str_repeat" : "mp_list_repeat", first ? l : r,
                            first ? r : l),
                       true};
    }
    Type *t = numeric_join(lt, rt);
    const char *l, *r;
    sides(g, n, &l, &r);
    if (t->kind == TY_FLOAT) {
        if (lt->kind == TY_INT) l = gstr(g, "(double)%s", l);
        if (rt->kind == TY_INT) r = gstr(g, "(double)%s", r);
    }
    return (CExpr){arith(g, n->op, t, l, r, n->span), false};
}

static CExpr gen_unary(Gen *g, Node *n) {
    if (n->op == OP_NEG && n->lhs->kind == ND_INT && n->lhs->ival != INT64_MIN)
        return (CExpr){gstr(g, "%" PRId64, -n->lhs->ival), false};
    const char *v = borrow(g, n->lhs);
    switch (n->op) {
    case OP_NOT: return (CExpr){gstr(g, "(!%s)", v), false};
    case OP_BITNOT: return (CExpr){gstr(g, "(~%s)", v), false};
    case OP_POS: return (CExpr){v, false};
    default:
        if (n->type->kind == TY_FLOAT) return (CExpr){gstr(g, "(-%s)", v), false};
        return (CExpr){gstr(g, "mp_neg(%s, %s)", v, loc(g, n->span)), false};
    }
}

static CExpr gen_list(Gen *g, Node *n) {
    int count = 0;
    for (Node *e = n->elems; e; e = e->next) count++;
    const char *l = new_tmp(g, "l");
    emit(g, "mp_list *%s = mp_list_new(%s, %d);", l, tdesc(g, n->type), count);
    /* Where an element may raise, the list is held while it is built. */
    Scope *held = g->checking ? temps_scope(g) : NULL;
    if (held) scope_add(held, l, n->type);
    for (Node *e = n->elems; e; e = e->next) {
        const char *v = owned(g, e, n->type->elem);
        emit(g, "mp_list_push(%s, %s);", l, mpval(g, n->type->elem, v));
    }
    return (CExpr){l, !held};
}

/* {k: v, ...} and {a, b, ...}: filled in order, held while built where an
 * element may raise (as a list literal). */
static CExpr gen_dict(Gen *g, Node *n) {
    Type *t = n->type;
    bool dict = t->kind == TY_DICT;
    const char *d = new_tmp(g, "d");
    emit(g, "%s = mp_dict_new(%s);", decl(g, t, d), tdesc(g, t));
    Scope *held = g->checking ? temps_scope(g) : NULL;
    if (held) scope_add(held, d, t);
    Type *kt = key_of(t);
    for (Node *e = n->elems; e; e = dict ? e->next->next : e->next) {
        if (!dict) {
            emit(g, "mp_set_add(%s, %s);", d, mpval(g, kt, owned(g, e, kt)));
            continue;
        }
        Ops ops = {0}; /* the key, then the value, as Python evaluates them */
        operand(g, &ops, e, true, kt);
        operand(g, &ops, e->next, true, t->elem);
        ops_settle(g, &ops);
        emit(g, "mp_dict_set(%s, %s, %s);", d, mpval(g, kt, ops.items[0].code),
             mpval(g, t->elem, ops.items[1].code));
        vec_free(&ops);
    }
    return (CExpr){d, !held};
}

/* (a, b): the elements, owned and converted to the tuple's element
 * types, evaluated left to right, then packed. */
static CExpr gen_tuple(Gen *g, Node *n) {
    Type *t = n->type;
    Ops ops = {0};
    int k = 0;
    for (Node *e = n->elems; e; e = e->next, k++) operand(g, &ops, e, true, t->items[k]);
    ops_settle(g, &ops);
    Buf args = {0};
    for (k = 0; k < t->n; k++) buf_printf(&args, ", %s", mpval(g, t->items[k], ops.items[k].code));
    const char *code = gstr(g, "mp_tuple_pack(%s%s)", tdesc(g, t), args.data ? args.data : "");
    free(args.data);
    vec_free(&ops);
    return (CExpr){code, true};
}

/* The index of t[k] when it is a constant (sema checked it is in range),
 * from the start: K; else -1. */
static int64_t tuple_const_index(const Node *n) {
    const Node *i = n->rhs;
    int64_t k = -1;
    if (i->kind == ND_INT) k = i->ival;
    else if (i->kind == ND_UNARY && i->op == OP_NEG && i->lhs->kind == ND_INT)
        k = n->lhs->type->n - i->lhs->ival;
    return k;
}

/* Element access a[i] for reading. */
static CExpr gen_index(Gen *g, Node *n) {
    if (g->cas_sym && n->lhs->kind == ND_NAME && n->lhs->sym == g->cas_sym)
        return (CExpr){g->cas_old, false};
    Type *ot = n->lhs->type;
    if (ot->kind == TY_DICT) {
        const char *d, *k;
        sides(g, n, &d, &k);
        const char *kv = mpval(g, ot->items[0], key_val(g, n->rhs, k, ot->items[0]));
        return (CExpr){
            gstr(g, "mp_dict_get(%s, %s, %s).%s", d, kv, loc(g, n->span), vfield(n->type)), false};
    }
    if (ot->kind == TY_TUPLE && tuple_const_index(n) >= 0)
        return (CExpr){gstr(g, "mp_tuple_item(%s, %" PRId64 ").%s", borrow(g, n->lhs),
                            tuple_const_index(n), vfield(n->type)),
                       false};
    if (ot->kind == TY_HANDLES && n->argc > 0 && n->lhs->kind == ND_NAME && n->lhs->sym->elems)
        return (CExpr){cname(g, n->lhs->sym->elems[n->argc - 1]), false}; /* checked by sema */
    const char *o, *i;
    sides(g, n, &o, &i);
    const char *at = loc(g, n->span);
    switch (ot->kind) {
    case TY_HANDLES:
        return (CExpr){gstr(g, "mp_%s_at(%s, %s, %s)",
                            ot->elem->kind == TY_CONN ? "conns" : "queues", o, i, at),
                       false};
    case TY_TUPLE:
        return (CExpr){gstr(g, "mp_tuple_get(%s, %s, %s).%s", o, i, at, vfield(n->type)), false};
    case TY_STR: return (CExpr){gstr(g, "mp_str_index(%s, %s, %s)", o, i, at), true};
    case TY_LIST:
        return (CExpr){gstr(g, "mp_list_get(%s, %s, %s).%s", o, i, at, vfield(n->type)), false};
    case TY_ARRAY:
        if (index_unchecked(g, n)) return (CExpr){unchecked_load(g, n, o, i), false};
        if (ot->raw)
            return (CExpr){gstr(g, "mp_raw_load_%s(%s, %s, %s)", ksuffix(ot->elem), o, i, at),
                           false};
        return (CExpr){gstr(g, "mp_array_%s_%s(%s, %s, %s)",
                            locked_read(g, n->lhs) ? "read" : "load", ksuffix(ot->elem), o, i, at),
                       false};
    default: /* group[i] */
        return (CExpr){
            gstr(g, "%s[mp_group_index(%s, %s, %s)]", o, companion(g, "count", n->lhs->sym), i, at),
            false};
    }
}

/* a[lo:hi:step] of a shared array: a list read under the array's lock
 * when it is guarded, so it is one snapshot. SLICE is an mp_slice. */
static const char *array_slice(Gen *g, Node *arr, const char *a, const char *slice, Span at) {
    Type *lt = type_of(TY_LIST, arr->type->elem);
    bool lock = locked_read(g, arr);
    const char *where = loc(g, at);
    if (lock) emit(g, "mp_array_lock(%s, %s);", a, where);
    const char *l =
        hold(g, lt, gstr(g, "mp_array_slice(%s, %s, %s, %s)", a, slice, tdesc(g, lt), where));
    if (lock) emit(g, "mp_array_unlock(%s, %s);", a, where);
    return l;
}

/* xs[lo:hi:step]: bounds not written are not given (mp_slice). */
static CExpr gen_slice(Gen *g, Node *n) {
    Ops ops = {0};
    Node *parts[3] = {n->lo, n->hi, n->step};
    int at[3];
    operand(g, &ops, n->lhs, false, NULL);
    for (int i = 0; i < 3; i++) at[i] = parts[i] ? operand(g, &ops, parts[i], false, NULL) : -1;
    ops_settle(g, &ops);
    const char *b[3];
    for (int i = 0; i < 3; i++) b[i] = at[i] >= 0 ? ops.items[at[i]].code : i == 2 ? "1" : "0";
    const char *slice = gstr(g, "(mp_slice){%s, %s, %s, %s, %s}", b[0], b[1], b[2],
                             n->lo ? "true" : "false", n->hi ? "true" : "false");
    const char *o = ops.items[0].code;
    vec_free(&ops);
    switch (n->lhs->type->kind) {
    case TY_STR:
        return (CExpr){gstr(g, "mp_str_slice(%s, %s, %s)", o, slice, loc(g, n->span)), true};
    case TY_LIST:
        return (CExpr){gstr(g, "mp_list_slice(%s, %s, %s)", o, slice, loc(g, n->span)), true};
    default: return (CExpr){array_slice(g, n->lhs, o, slice, n->span), false};
    }
}

/* [elem for x in xs if c]: a list filled by the loop the parser built. */
static CExpr gen_listcomp(Gen *g, Node *n) {
    const char *make = n->argc == COMP_LIST ? "mp_list_new(%s, 0)" : "mp_dict_new(%s)";
    const char *l = hold(g, n->type, gstr(g, make, tdesc(g, n->type)));
    const char *outer = g->comp;
    Type *outer_type = g->comp_type;
    g->comp = l;
    g->comp_type = n->type;
    gen_stmt(g, n->body);
    g->comp = outer;
    g->comp_type = outer_type;
    return (CExpr){l, false};
}

/* A built-in's use, for its EMIT hook (builtins.def). */
typedef struct BEmit {
    Node *n;        /* the call, or the attribute (ND_MEMBER) */
    Node **a;       /* a call's arguments (a method's by parameter) */
    const char *o;  /* methods and attributes: the object, borrowed */
    Type *et;       /* methods and attributes: the object's element type */
    const char *at; /* MP_LOC of the call */
} BEmit;

static CExpr done(void) { return (CExpr){NULL, false}; }

/* ---- functions ---- */

/* ---- print: every value is evaluated before the line is formatted ---- */

static bool holds_mutable(const Type *t) {
    switch (t->kind) {
    case TY_LIST:
    case TY_DICT:
    case TY_SET: return true;
    case TY_OPTIONAL: return holds_mutable(t->elem);
    case TY_TUPLE:
        for (int i = 0; i < t->n; i++)
            if (holds_mutable(t->items[i])) return true;
        return false;
    default: return false;
    }
}

/* Whether N may change a list, dict or set: it calls a def or a method
 * (a built-in function changes nothing, unless given a def: key=f). */
static bool may_mutate(Node *n);

static bool mutate_child(void *ctx, Node *child, const char *role) {
    (void)ctx;
    (void)role;
    return may_mutate(child);
}

static bool may_mutate(Node *n) {
    if (n->kind == ND_CALL && builtin_defs[n->builtin].kind != BK_FUNC) return true;
    if (n->kind == ND_NAME && n->sym && n->sym->kind == SYM_FUNC) return true; /* key=f */
    return ast_children(n, true, mutate_child, NULL);
}

/* Whether formatting value I when it is evaluated could show a state that
 * a later value changes (print(xs, xs.pop()) prints xs after the pop in
 * Python): I holds something mutable and a later value may change it. */
static bool print_defers(Node **a, int i, int nv) {
    if (!holds_mutable(a[i]->type) || a[i]->kind == ND_STR) return false;
    for (int j = i + 1; j < nv; j++)
        if (may_mutate(a[j])) return true;
    return false;
}

/* Appends the values of print to buffer B, separated by SEP (a str, or
 * NULL for " "). When a value print_defers, all are computed first, in
 * order, and then formatted. */
static void print_values(Gen *g, const char *b, Node **a, int nv, const char *sep) {
    bool defer = false;
    for (int i = 0; i < nv && !defer; i++) defer = print_defers(a, i, nv);
    Ops ops = {0};
    if (defer) {
        for (int i = 0; i < nv; i++) operand(g, &ops, a[i], false, NULL);
        for (int i = 0; i < nv; i++) pin(g, &ops, i);
    }
    for (int i = 0; i < nv; i++) {
        if (i > 0 && sep) emit(g, "mp_buf_cstr(&%s, (%s)->data, (%s)->len);", b, sep, sep);
        else if (i > 0) emit(g, "mp_buf_cstr(&%s, \" \", 1);", b);
        if (defer && a[i]->type->kind != TY_ARRAY) append_code(g, b, a[i]->type, ops.items[i].code);
        else append_value(g, b, a[i]); /* an array is a name: printed under its lock */
    }
    vec_free(&ops);
}

/* print(..., sep=, end=, file=, flush=): the keywords are evaluated first
 * (docs/language.md), then the values, joined into one buffer written at
 * once. */
static void print_kwargs(Gen *g, const BEmit *e, int nv) {
    Node **kw = e->a + nv;
    /* a literal separator of fewer than two values is never used */
    bool literal_sep = kw[0] && kw[0]->kind == ND_STR &&
                       (!kw[0]->parts || (kw[0]->parts->kind == ND_STRPART && !kw[0]->parts->next));
    const char *sep = kw[0] && (nv > 1 || !literal_sep) ? borrow(g, kw[0]) : NULL;
    const char *end = kw[1] ? borrow(g, kw[1]) : NULL;
    const char *file = kw[2] ? borrow(g, kw[2]) : "mp_stdout()";
    if (kw[3]) {
        const char *flush = borrow(g, kw[3]);
        if (!settled(flush)) emit(g, "(void)%s;", flush);
    }
    const char *b = new_tmp(g, "b");
    emit(g, "mp_buf %s;", b);
    emit(g, "mp_buf_init(&%s);", b);
    buf_held(g, b);
    print_values(g, b, e->a, nv, sep);
    if (end) emit(g, "mp_buf_cstr(&%s, (%s)->data, (%s)->len);", b, end, end);
    else emit(g, "mp_buf_cstr(&%s, \"\\n\", 1);", b);
    emit(g, "mp_print_file(%s, &%s, %s);", file, b, e->at);
}

static CExpr emit_print(Gen *g, const BEmit *e) {
    Node *n = e->n;
    Node **a = e->a;
    int nv = n->argc - PRINT_KWARGS;
    bool kwargs = false;
    for (int i = nv; i < n->argc; i++) kwargs = kwargs || a[i];
    if (kwargs) {
        print_kwargs(g, e, nv);
        return done();
    }
    bool interpolated = nv == 1 && a[0]->kind == ND_STR && a[0]->parts &&
                        (a[0]->parts->kind != ND_STRPART || a[0]->parts->next);
    if (nv == 1 && a[0]->type->kind == TY_STR && !interpolated) {
        emit(g, "mp_print(%s);", borrow(g, a[0]));
        return done();
    }
    const char *b = new_tmp(g, "b");
    emit(g, "mp_buf %s;", b);
    emit(g, "mp_buf_init(&%s);", b);
    buf_held(g, b);
    print_values(g, b, a, nv, NULL);
    emit(g, "mp_print_buf(&%s);", b);
    return done();
}

static CExpr emit_len(Gen *g, const BEmit *e) {
    Node *x = e->a[0];
    const char *v = borrow(g, x);
    switch (x->type->kind) {
    case TY_STR: return (CExpr){gstr(g, "mp_str_len(%s)", v), false};
    case TY_LIST: return (CExpr){gstr(g, "mp_list_len(%s)", v), false};
    case TY_ARRAY: return (CExpr){gstr(g, "mp_array_len(%s)", v), false};
    case TY_TUPLE: return (CExpr){gstr(g, "mp_tuple_len(%s)", v), false};
    case TY_DICT:
    case TY_SET: return (CExpr){gstr(g, "mp_dict_len(%s)", v), false};
    case TY_HANDLES: return (CExpr){gstr(g, "%s.n", v), false};
    default: return (CExpr){companion(g, "count", x->sym), false}; /* a group */
    }
}

/* Never reached: range() stands only as a for loop's iterable, which
 * gen_for emits as a counting loop. */
static CExpr emit_range(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"0", false};
}

static CExpr emit_str(Gen *g, const BEmit *e) {
    Node *x = e->a[0];
    if (x->type->kind == TY_STR) return gen_expr(g, x);
    if (x->type->kind == TY_ARRAY) {
        /* An array is no mp_val: formatted as "{a}" is. */
        const char *b = new_tmp(g, "b");
        emit(g, "mp_buf %s;", b);
        emit(g, "mp_buf_init(&%s);", b);
        buf_held(g, b);
        append_value(g, b, x);
        return (CExpr){gstr(g, "mp_buf_finish(&%s)", b), true};
    }
    const char *v = borrow(g, x);
    if (x->type->kind == TY_EXC) return (CExpr){gstr(g, "mp_str_ref(mp_exc_message(%s))", v), true};
    return (CExpr){gstr(g, "mp_str_of(%s, %s)", tdesc(g, x->type), mpval(g, x->type, v)), true};
}

static CExpr emit_repr(Gen *g, const BEmit *e) {
    Node *x = e->a[0];
    if (x->type->kind == TY_ARRAY) return emit_str(g, e); /* elements are numbers: the same */
    const char *v = borrow(g, x);
    if (x->type->kind == TY_EXC) return (CExpr){gstr(g, "mp_exc_repr(%s)", v), true};
    return (CExpr){gstr(g, "mp_repr_of(%s, %s)", tdesc(g, x->type), mpval(g, x->type, v)), true};
}

static CExpr emit_format(Gen *g, const BEmit *e) {
    const char *x, *spec;
    format_args(g, e->n, &x, &spec);
    return (CExpr){gstr(g, "mp_format(%s, %s, %s, %s)", tdesc(g, e->a[0]->type), x, spec, e->at),
                   true};
}

static CExpr emit_int(Gen *g, const BEmit *e) {
    if (e->n->argc == 2) { /* int(s, base) */
        Ops ops = {0};
        operand(g, &ops, e->a[0], false, NULL);
        operand(g, &ops, e->a[1], false, NULL);
        ops_settle(g, &ops);
        CExpr r = {
            gstr(g, "mp_int_of_str_base(%s, %s, %s)", ops.items[0].code, ops.items[1].code, e->at),
            false};
        vec_free(&ops);
        return r;
    }
    const char *v = borrow(g, e->a[0]);
    switch (e->a[0]->type->kind) {
    case TY_STR: return (CExpr){gstr(g, "mp_int_of_str(%s, %s)", v, e->at), false};
    case TY_FLOAT: return (CExpr){gstr(g, "mp_int_of_float(%s, %s)", v, e->at), false};
    case TY_BOOL: return (CExpr){gstr(g, "(int64_t)%s", v), false};
    default: return (CExpr){v, false};
    }
}

static CExpr emit_float(Gen *g, const BEmit *e) {
    const char *v = borrow(g, e->a[0]);
    if (e->a[0]->type->kind == TY_STR)
        return (CExpr){gstr(g, "mp_float_of_str(%s, %s)", v, e->at), false};
    return (CExpr){gstr(g, "(double)%s", v), false};
}

static CExpr emit_bool(Gen *g, const BEmit *e) {
    const char *v = borrow(g, e->a[0]);
    switch (e->a[0]->type->kind) {
    case TY_STR: return (CExpr){gstr(g, "(mp_str_len(%s) != 0)", v), false};
    case TY_LIST: return (CExpr){gstr(g, "(mp_list_len(%s) != 0)", v), false};
    case TY_DICT:
    case TY_SET: return (CExpr){gstr(g, "(mp_dict_len(%s) != 0)", v), false};
    default: return (CExpr){gstr(g, "(%s != 0)", v), false};
    }
}

static CExpr emit_abs(Gen *g, const BEmit *e) {
    const char *v = borrow(g, e->a[0]);
    if (e->a[0]->type->kind == TY_FLOAT) return (CExpr){gstr(g, "mp_fabs(%s)", v), false};
    return (CExpr){gstr(g, "mp_abs(%s, %s)", v, e->at), false};
}

/* min/max over two or more numbers. */
static CExpr minmax(Gen *g, Node *n, bool max) {
    Type *t = n->type;
    const char *acc = new_tmp(g, "m");
    Node **argv = n->argv;
    emit(g, "%s = %s;", decl(g, t, acc), borrow_as(g, argv[0], t));
    for (int i = 1; i < n->argc; i++) {
        const char *v = borrow_as(g, argv[i], t);
        emit(g, "if (%s %s %s) %s = %s;", v, max ? ">" : "<", acc, acc, v);
    }
    return (CExpr){acc, false};
}

static const char *iter_list(Gen *g, Node *x);
static const char *key_list(Gen *g, const char *l, Type *et, Node *key, const char *at);

/* min(xs, key=f) / max(xs, key=f): the first smallest / largest. */
static CExpr minmax_of_list(Gen *g, const BEmit *e, bool max) {
    Node *xs = e->a[0];
    const char *l = iter_list(g, xs);
    const char *keys = e->a[1] ? key_list(g, l, e->n->type, e->a[1], e->at) : "NULL";
    const char *i = new_tmp(g, "i");
    emit(g, "int64_t %s = mp_list_minmax(%s, %s, %s, %s);", i, l, keys, max ? "true" : "false",
         e->at);
    return (CExpr){gstr(g, "mp_list_get(%s, %s, %s).%s", l, i, e->at, vfield(e->n->type)), false};
}

static bool numbers(const BEmit *e) {
    Type *t = e->a[0]->type;
    return t->kind == TY_INT || t->kind == TY_FLOAT;
}

static CExpr emit_min(Gen *g, const BEmit *e) {
    return numbers(e) ? minmax(g, e->n, false) : minmax_of_list(g, e, false);
}

static CExpr emit_max(Gen *g, const BEmit *e) {
    return numbers(e) ? minmax(g, e->n, true) : minmax_of_list(g, e, true);
}

static CExpr emit_getpid(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_getpid()", false};
}

static CExpr emit_getppid(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_getppid()", false};
}

static CExpr emit_sleep(Gen *g, const BEmit *e) {
    emit(g, "mp_sleep(%s, %s);", borrow_as(g, e->a[0], type_basic(TY_FLOAT)), e->at);
    return done();
}

static CExpr emit_exit(Gen *g, const BEmit *e) {
    emit(g, "mp_exit((int)%s);", borrow(g, e->a[0]));
    return done();
}

/* ---- on lists and other iterables ---- */

/* range(...) as a new list (held). */
static const char *range_list(Gen *g, Node *r) {
    Ops ops = {0};
    for (int k = 0; k < r->argc; k++) operand(g, &ops, r->argv[k], false, NULL);
    ops_settle(g, &ops);
    const char *start = r->argc > 1 ? ops.items[0].code : "0";
    const char *stop = ops.items[r->argc > 1 ? 1 : 0].code;
    const char *step = r->argc == 3 ? ops.items[2].code : "1";
    vec_free(&ops);
    Type *lt = type_of(TY_LIST, type_basic(TY_INT));
    const char *l = hold(g, lt, gstr(g, "mp_list_new(%s, 0)", tdesc(g, lt)));
    const char *s = new_tmp(g, "s"), *i = new_tmp(g, "i"), *hi = new_tmp(g, "n");
    emit(g, "int64_t %s = %s;", hi, stop);
    emit(g, "int64_t %s = mp_range_step(%s, %s);", s, step, loc(g, r->span));
    /* room for every value at once: no regrowth, no copies */
    emit(g, "mp_list_reserve(%s, mp_range_count(%s, %s, %s));", l, start, hi, s);
    emit(g, "for (int64_t %s = %s; %s > 0 ? %s < %s : %s > %s; %s = mp_range_next(%s, %s, %s))", i,
         start, s, i, hi, i, hi, i, i, s, hi);
    g->indent++;
    emit(g, "mp_list_push(%s, (mp_val){ .i = %s });", l, i);
    g->indent--;
    return l;
}

/* The elements of X (a list, str, array or range) as a list, borrowed: X
 * itself when it is a list. */
static const char *iter_list(Gen *g, Node *x) {
    Type *xt = x->type;
    Type *lt = type_of(TY_LIST, xt->kind == TY_STR                          ? xt
                                : xt->kind == TY_DICT || xt->kind == TY_SET ? key_of(xt)
                                                                            : xt->elem);
    if (x->kind == ND_CALL && x->builtin == B_RANGE) return range_list(g, x);
    if (x->type->kind == TY_LIST) return borrow(g, x);
    /* one call at a time: C leaves the order of arguments open, and each
     * may declare a type or emit statements */
    const char *o = borrow(g, x);
    switch (x->type->kind) {
    case TY_DICT:
    case TY_SET: {
        const char *d = tdesc(g, lt);
        return hold(g, lt, gstr(g, "mp_dict_keys(%s, %s)", o, d));
    }
    case TY_STR: {
        const char *d = tdesc(g, lt);
        return hold(g, lt, gstr(g, "mp_list_of_str(%s, %s)", o, d));
    }
    default: return array_slice(g, x, o, "(mp_slice){0, 0, 1, false, false}", x->span);
    }
}

/* ---- process pools ---- */

/* The element type of iterating X's type (as iter_list makes it). */
static Type *iter_elem(Type *xt) {
    if (xt->kind == TY_STR) return xt;
    if (xt->kind == TY_DICT || xt->kind == TY_SET) return key_of(xt);
    return xt->elem;
}

/* How a pool's def takes its item: the item itself (map), the elements of
 * a tuple (starmap, apply_async), nothing (apply_async of a def of none:
 * the item is a dummy 0). */
enum { POOL_ITEM, POOL_SPREAD, POOL_NO_ARGS };

/* What a pool's workers run for one call site: a function applying def F
 * to one item of type ET as HOW says, and its mp_pool_fn, written at file
 * scope after the prototypes. Returns the descriptor's C name. */
static const char *pool_fn(Gen *g, Symbol *f, Type *et, int how) {
    Node *def = f->decl;
    bool star = how == POOL_SPREAD;
    for (size_t j = 0; j < g->pool_fns.len; j++) {
        PoolFn *o = &g->pool_fns.items[j];
        if (o->def == f && o->item == et && o->how == how) return gstr(g, "pool_fn%zu", j + 1);
    }
    vec_push(&g->pool_fns, ((PoolFn){f, et, how}));
    int k = (int)g->pool_fns.len;
    Buf args = {0}, boxes = {0}, unboxes = {0};
    int i = 0;
    for (Node *p = def->params; p; p = p->next, i++) {
        Type *it = star ? et->items[i] : et, *pt = p->sym->type;
        const char *v = star ? gstr(g, "mp_tuple_item(item.t, %d).%s", i, vfield(it))
                             : gstr(g, "item.%s", vfield(it));
        if (pt->kind == TY_FLOAT && it->kind == TY_INT) {
            v = gstr(g, "(double)%s", v);
        } else if (pt != it && !is_heap(it)) { /* a scalar where T | None is taken: a box */
            buf_printf(&boxes, "    mp_box *a%d = mp_box_%s(%s);\n", i, ksuffix(it), v);
            buf_printf(&unboxes, "    mp_box_unref(a%d);\n", i);
            v = gstr(g, "a%d", i);
        } /* else T into T | None: the same pointer */
        buf_printf(&args, "%s%s", i ? ", " : "", v);
    }
    Type *rt = def->ret_type;
    const char *call = gstr(g, "%s(%s)", cname(g, f), args.data ? args.data : "");
    free(args.data);
    const char *items = tdesc(g, type_of(TY_LIST, et)), *results = tdesc(g, type_of(TY_LIST, rt));
    Buf *b = &g->protos;
    buf_printf(b, "\n/* %s(%s), run by a pool's workers. */\n", def->name,
               star               ? "*item"
               : how == POOL_ITEM ? "item"
                                  : "");
    buf_printf(b, "static mp_val pool_call%d(mp_val item)\n{\n", k);
    if (how == POOL_NO_ARGS) buf_printf(b, "    (void)item;\n");
    if (boxes.data) {
        buf_printf(b, "%s    mp_val r = %s;\n%s    return r;\n}\n", boxes.data, mpval(g, rt, call),
                   unboxes.data);
    } else {
        buf_printf(b, "    return %s;\n}\n", mpval(g, rt, call));
    }
    free(boxes.data);
    free(unboxes.data);
    buf_printf(b, "static const mp_pool_fn pool_fn%d = {\"%s\", pool_call%d, %s, %s};\n", k,
               def->name, k, items, results);
    return gstr(g, "pool_fn%d", k);
}

static CExpr emit_pool_map(Gen *g, const BEmit *e) {
    Builtin id = e->n->builtin;
    Node *f = e->a[0], *xs = e->a[1], *size = e->a[2];
    const char *items = iter_list(g, xs);
    const char *chunks = size                                       ? borrow(g, size)
                         : id == M_POOL_MAP || id == M_POOL_STARMAP ? "MP_POOL_AUTO"
                                                                    : "1";
    const char *fn =
        pool_fn(g, f->sym, iter_elem(xs->type), id == M_POOL_STARMAP ? POOL_SPREAD : POOL_ITEM);
    const char *order = id == M_POOL_IMAP_UNORDERED ? "MP_POOL_UNORDERED" : "MP_POOL_ORDERED";
    const char *l = hold(
        g, e->n->type,
        gstr(g, "mp_pool_map(%s, &%s, %s, %s, %s, %s)", e->o, fn, items, chunks, order, e->at));
    return (CExpr){l, false};
}

/* P.apply_async(f, args): the handle, an int64_t. */
static CExpr emit_pool_apply(Gen *g, const BEmit *e) {
    Node *f = e->a[0], *args = e->a[1];
    Type *at = args ? args->type : type_basic(TY_INT);
    const char *item = args ? mpval(g, at, borrow(g, args)) : "(mp_val){ .i = 0 }";
    const char *fn = pool_fn(g, f->sym, at, args ? POOL_SPREAD : POOL_NO_ARGS);
    const char *h = new_tmp(g, "h");
    emit(g, "int64_t %s = mp_pool_apply_async(%s, &%s, %s, %s);", h, e->o, fn, item, e->at);
    return (CExpr){h, false};
}

static CExpr emit_pool_close(Gen *g, const BEmit *e) {
    emit(g, "mp_pool_close(%s);", e->o);
    return done();
}

static CExpr emit_pool_join(Gen *g, const BEmit *e) {
    emit(g, "mp_pool_join(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_pool_terminate(Gen *g, const BEmit *e) {
    emit(g, "mp_pool_terminate(%s);", e->o);
    return done();
}

/* The key function KEY applied to each element of list L (held). */
static const char *key_list(Gen *g, const char *l, Type *et, Node *key, const char *at) {
    Symbol *f = key->sym;
    Builtin b = f->kind == SYM_BUILTIN ? (Builtin)f->builtin : B_NONE;
    Type *kt = b == B_LEN   ? type_basic(TY_INT)
               : b == B_STR ? type_basic(TY_STR)
               : b == B_ABS ? et
                            : f->decl->ret_type;
    Type *klt = type_of(TY_LIST, kt);
    const char *k =
        hold(g, klt, gstr(g, "mp_list_new(%s, (size_t)mp_list_len(%s))", tdesc(g, klt), l));
    const char *i = new_tmp(g, "i");
    emit(g, "for (int64_t %s = 0; %s < mp_list_len(%s); %s++) {", i, i, l, i);
    g->indent++;
    const char *item = gstr(g, "mp_list_get(%s, %s, %s).%s", l, i, at, vfield(et));
    const char *call;
    switch (b) {
    case B_LEN: call = gstr(g, "mp_%s_len(%s)", et->kind == TY_STR ? "str" : "list", item); break;
    case B_STR: call = gstr(g, "mp_str_of(%s, %s)", tdesc(g, et), mpval(g, et, item)); break;
    case B_ABS:
        call = et->kind == TY_FLOAT ? gstr(g, "mp_fabs(%s)", item)
                                    : gstr(g, "mp_abs(%s, %s)", item, at);
        break;
    default: {
        Type *pt = f->decl->params->sym->type;
        if (pt->kind == TY_FLOAT && et->kind == TY_INT) item = gstr(g, "(double)%s", item);
        emit(g, "mp_stack_check(%s);", at);
        call = gstr(g, "%s(%s)", cname(g, f), item);
        break;
    }
    }
    emit(g, "mp_list_push(%s, %s);", k, mpval(g, kt, call));
    g->indent--;
    emit(g, "}");
    return k;
}

/* Sorts list L (elements ET) in place by KEY (NULL: none), REVERSE
 * (NULL: false), the reverse flag evaluated first as Python does. */
static void sort_list(Gen *g, const char *l, Type *et, Node *key, Node *reverse, const char *at) {
    const char *rev = reverse ? borrow(g, reverse) : "false";
    const char *keys = key ? key_list(g, l, et, key, at) : "NULL";
    emit(g, "mp_list_sort(%s, %s, %s, %s);", l, keys, rev, at);
}

static CExpr emit_sorted(Gen *g, const BEmit *e) {
    Type *lt = e->n->type;
    const char *l = hold(g, lt, gstr(g, "mp_list_shallow(%s)", iter_list(g, e->a[0])));
    sort_list(g, l, lt->elem, e->a[1], e->a[2], e->at);
    return (CExpr){l, false};
}

static CExpr emit_sum(Gen *g, const BEmit *e) {
    Ops ops = {0};
    const char *l = iter_list(g, e->a[0]);
    ops_add(&ops, l, e->a[0]->type, false);
    if (e->n->argc > 1) operand(g, &ops, e->a[1], false, NULL);
    ops_settle(g, &ops);
    const char *start = e->n->argc > 1 ? ops.items[1].code : "0";
    vec_free(&ops);
    if (e->n->type->kind == TY_INT)
        return (CExpr){gstr(g, "mp_list_sum_i(%s, %s, %s)", l, start, e->at), false};
    return (CExpr){gstr(g, "mp_list_sum_f(%s, (double)%s)", l, start), false};
}

static CExpr emit_any(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_list_any(%s)", iter_list(g, e->a[0])), false};
}

static CExpr emit_all(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_list_all(%s)", iter_list(g, e->a[0])), false};
}

static CExpr emit_reversed(Gen *g, const BEmit *e) {
    const char *l = hold(g, e->n->type, gstr(g, "mp_list_shallow(%s)", iter_list(g, e->a[0])));
    emit(g, "mp_list_reverse(%s);", l);
    return (CExpr){l, false};
}

static CExpr emit_list(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_list_shallow(%s)", iter_list(g, e->a[0])), true};
}

static CExpr emit_round(Gen *g, const BEmit *e) {
    Ops ops = {0};
    for (int k = 0; k < e->n->argc; k++) operand(g, &ops, e->a[k], false, NULL);
    ops_settle(g, &ops);
    const char *x = ops.items[0].code, *nd = e->n->argc > 1 ? ops.items[1].code : NULL;
    bool flt = e->a[0]->type->kind == TY_FLOAT;
    vec_free(&ops);
    if (!nd) return (CExpr){flt ? gstr(g, "mp_round_f(%s, %s)", x, e->at) : x, false};
    return (CExpr){gstr(g, "mp_round_%s(%s, %s, %s)", flt ? "fn" : "in", x, nd, e->at), false};
}

/* A sequence argument of zip()/enumerate(), as its descriptor and value. */
static const char *seq_arg(Gen *g, Ops *ops, int i) {
    Operand *o = &ops->items[i];
    return gstr(g, "%s, %s", tdesc(g, o->type), mpval(g, o->type, o->code));
}

static CExpr emit_enumerate(Gen *g, const BEmit *e) {
    Ops ops = {0};
    operand(g, &ops, e->a[0], false, NULL);
    if (e->n->argc > 1) operand(g, &ops, e->a[1], false, NULL);
    ops_settle(g, &ops);
    const char *t = tdesc(g, e->n->type), *seq = seq_arg(g, &ops, 0);
    const char *code = gstr(g, "mp_enumerate(%s, %s, %s, %s)", t, seq,
                            ops.len > 1 ? ops.items[1].code : "0", e->at);
    vec_free(&ops);
    return (CExpr){code, true};
}

static CExpr emit_zip(Gen *g, const BEmit *e) {
    Ops ops = {0};
    for (int i = 0; i < e->n->argc; i++) operand(g, &ops, e->a[i], false, NULL);
    ops_settle(g, &ops);
    Buf args = {0};
    for (int i = 0; i < e->n->argc; i++) buf_printf(&args, ", %s", seq_arg(g, &ops, i));
    const char *code =
        gstr(g, "mp_zip%d(%s%s)", e->n->argc, tdesc(g, e->n->type), args.data ? args.data : "");
    free(args.data);
    vec_free(&ops);
    return (CExpr){code, true};
}

static CExpr emit_divmod(Gen *g, const BEmit *e) {
    Type *t = e->n->type->items[0];
    const char *a, *b;
    Ops ops = {0};
    operand(g, &ops, e->a[0], false, NULL);
    operand(g, &ops, e->a[1], false, NULL);
    ops_settle(g, &ops);
    a = ops.items[0].code;
    b = ops.items[1].code;
    if (t->kind == TY_FLOAT) {
        if (e->a[0]->type->kind == TY_INT) a = gstr(g, "(double)%s", a);
        if (e->a[1]->type->kind == TY_INT) b = gstr(g, "(double)%s", b);
    }
    vec_free(&ops);
    return (CExpr){
        gstr(g, "mp_divmod_%s(%s, %s, %s, %s)", ksuffix(t), tdesc(g, e->n->type), a, b, e->at),
        true};
}

/* ---- input, output and the program's surroundings ---- */

/* The code of two arguments of a built-in, evaluated left to right; an
 * absent second one is the string literal ABSENT, or NULL (None). */
static void two_args(Gen *g, const BEmit *e, const char *absent, const char **x, const char **y) {
    Ops ops = {0};
    operand(g, &ops, e->a[0], false, NULL);
    if (e->a[1]) operand(g, &ops, e->a[1], false, NULL);
    ops_settle(g, &ops);
    *x = ops.items[0].code;
    *y = e->a[1] ? ops.items[1].code : absent ? str_literal(g, absent, strlen(absent)) : "NULL";
    vec_free(&ops);
}

static CExpr emit_open(Gen *g, const BEmit *e) {
    const char *path, *mode;
    two_args(g, e, "r", &path, &mode);
    return (CExpr){gstr(g, "mp_open(%s, %s, %s)", path, mode, e->at), true};
}

static CExpr emit_getenv(Gen *g, const BEmit *e) {
    const char *key, *dflt;
    two_args(g, e, NULL, &key, &dflt);
    return (CExpr){gstr(g, "mp_getenv(%s, %s)", key, dflt), true};
}

static CExpr emit_time(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_time()", false};
}

static CExpr emit_monotonic(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_monotonic()", false};
}

static CExpr emit_cpu_count(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_cpu_count()", false};
}

static CExpr emit_argv(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_argv()", false};
}

static CExpr emit_stdin(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_stdin()", false};
}

static CExpr emit_stdout(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_stdout()", false};
}

static CExpr emit_stderr(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_stderr()", false};
}

static CExpr emit_f_read(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_file_read(%s, %s)", e->o, e->at), true};
}

static CExpr emit_f_readline(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_file_readline(%s, %s)", e->o, e->at), true};
}

static CExpr emit_f_readlines(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_file_readlines(%s, %s, %s)", e->o, tdesc(g, e->n->type), e->at),
                   true};
}

static CExpr emit_f_write(Gen *g, const BEmit *e) {
    const char *r = new_tmp(g, "r");
    emit(g, "int64_t %s = mp_file_write(%s, %s, %s);", r, e->o, borrow(g, e->a[0]), e->at);
    return (CExpr){r, false};
}

static CExpr emit_f_flush(Gen *g, const BEmit *e) {
    emit(g, "mp_file_flush(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_f_close(Gen *g, const BEmit *e) {
    emit(g, "mp_file_close(%s);", e->o);
    return done();
}

static CExpr emit_f_closed(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_file_closed(%s)", e->o), false};
}

/* ---- methods ---- */

/* `timeout` keyword or positional argument of a method call, as a double;
 * ABSENT when not given. */
static const char *timeout_arg(Gen *g, const BEmit *e, const char *absent) {
    if (e->n->argc > 0 && e->a[0]) return borrow_as(g, e->a[0], type_basic(TY_FLOAT));
    return absent;
}

/* An element received from a queue or pipe: an owned reference when heap. */
static CExpr received(Gen *g, const BEmit *e, const char *call) {
    return (CExpr){gstr(g, "%s.%s", call, vfield(e->et)), is_heap(e->et)};
}

static CExpr emit_async_get(Gen *g, const BEmit *e) {
    const char *t = timeout_arg(g, e, "-1.0");
    return received(g, e, gstr(g, "mp_async_get(%s, %s, %s)", e->o, t, e->at));
}

static CExpr emit_async_wait(Gen *g, const BEmit *e) {
    emit(g, "mp_async_wait(%s, %s, %s);", e->o, timeout_arg(g, e, "-1.0"), e->at);
    return done();
}

static CExpr emit_async_ready(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_async_ready(%s, %s)", e->o, e->at), false};
}

static CExpr emit_send(Gen *g, const BEmit *e) {
    emit(g, "mp_send(%s, %s, %s);", e->o, mpval(g, e->et, borrow_as(g, e->a[0], e->et)), e->at);
    return done();
}

static CExpr emit_recv(Gen *g, const BEmit *e) {
    return received(g, e, gstr(g, "mp_recv(%s, %s)", e->o, e->at));
}

static CExpr emit_poll(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_poll(%s, %s, %s)", e->o, timeout_arg(g, e, "0.0"), e->at), false};
}

static CExpr emit_close(Gen *g, const BEmit *e) {
    emit(g, "mp_close(%s, %s);", e->o, e->at);
    return done();
}

/* put() hands its reference to the queue's copy; the runtime copies the
 * bytes, so a borrowed value is enough. TIMEOUT: NULL waits for room. */
static CExpr put(Gen *g, const BEmit *e, const char *timeout) {
    Ops ops = {0};
    operand(g, &ops, e->a[0], false, NULL);
    if (e->n->argc > 1 && e->a[1]) operand(g, &ops, e->a[1], false, type_basic(TY_FLOAT));
    ops_settle(g, &ops);
    const char *v = convert(g, ops.items[0].code, e->a[0]->type, e->et);
    if (boxes(e->a[0]->type, e->et)) v = hold(g, e->et, v);
    v = mpval(g, e->et, v);
    if (ops.len > 1) timeout = convert(g, ops.items[1].code, e->a[1]->type, type_basic(TY_FLOAT));
    if (timeout) emit(g, "mp_put_wait(%s, %s, %s, %s);", e->o, v, timeout, e->at);
    else emit(g, "mp_put(%s, %s, %s);", e->o, v, e->at);
    vec_free(&ops);
    return done();
}

static CExpr emit_put(Gen *g, const BEmit *e) { return put(g, e, NULL); }
static CExpr emit_put_nowait(Gen *g, const BEmit *e) { return put(g, e, "0.0"); }

static CExpr emit_get(Gen *g, const BEmit *e) {
    if (e->n->argc > 0 && e->a[0])
        return received(g, e,
                        gstr(g, "mp_get_wait(%s, %s, %s)", e->o, timeout_arg(g, e, "-1.0"), e->at));
    return received(g, e, gstr(g, "mp_get(%s, %s)", e->o, e->at));
}

static CExpr emit_get_nowait(Gen *g, const BEmit *e) {
    return received(g, e, gstr(g, "mp_get_wait(%s, 0.0, %s)", e->o, e->at));
}

static CExpr emit_empty(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_queue_empty(%s)", e->o), false};
}

static CExpr emit_qsize(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_queue_size(%s)", e->o), false};
}

static CExpr emit_task_done(Gen *g, const BEmit *e) {
    emit(g, "mp_task_done(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_queue_join(Gen *g, const BEmit *e) {
    emit(g, "mp_queue_join_all(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_append(Gen *g, const BEmit *e) {
    emit(g, "mp_list_push(%s, %s);", e->o, mpval(g, e->et, owned(g, e->a[0], e->et)));
    return done();
}

static CExpr emit_list_pop(Gen *g, const BEmit *e) {
    const char *i = e->n->argc > 0 && e->a[0] ? borrow(g, e->a[0]) : "-1";
    return received(g, e, gstr(g, "mp_list_pop(%s, %s, %s)", e->o, i, e->at));
}

static CExpr emit_list_insert(Gen *g, const BEmit *e) {
    Ops ops = {0};
    operand(g, &ops, e->a[0], false, NULL);
    operand(g, &ops, e->a[1], true, e->et);
    ops_settle(g, &ops);
    emit(g, "mp_list_insert(%s, %s, %s);", e->o, ops.items[0].code,
         mpval(g, e->et, ops.items[1].code));
    vec_free(&ops);
    return done();
}

static CExpr emit_list_extend(Gen *g, const BEmit *e) {
    emit(g, "mp_list_extend(%s, %s);", e->o, borrow(g, e->a[0]));
    return done();
}

/* The argument of index/count/remove as an mp_val and its descriptor (an
 * int looked for among floats stays an int: compared exactly). */
static const char *search_arg(Gen *g, const BEmit *e, const char **desc) {
    Type *t = e->a[0]->type;
    *desc = tdesc(g, t);
    return mpval(g, t, borrow(g, e->a[0]));
}

static CExpr emit_list_index(Gen *g, const BEmit *e) {
    const char *d, *v = search_arg(g, e, &d);
    const char *i = new_tmp(g, "r");
    emit(g, "int64_t %s = mp_list_index(%s, %s, %s, %s);", i, e->o, d, v, e->at);
    return (CExpr){i, false};
}

static CExpr emit_list_count(Gen *g, const BEmit *e) {
    const char *d, *v = search_arg(g, e, &d);
    return (CExpr){gstr(g, "mp_list_count(%s, %s, %s)", e->o, d, v), false};
}

static CExpr emit_list_remove(Gen *g, const BEmit *e) {
    const char *d, *v = search_arg(g, e, &d);
    emit(g, "mp_list_remove(%s, %s, %s, %s);", e->o, d, v, e->at);
    return done();
}

static CExpr emit_list_clear(Gen *g, const BEmit *e) {
    emit(g, "mp_list_clear(%s);", e->o);
    return done();
}

static CExpr emit_list_copy(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_list_shallow(%s)", e->o), true};
}

static CExpr emit_list_reverse(Gen *g, const BEmit *e) {
    emit(g, "mp_list_reverse(%s);", e->o);
    return done();
}

static CExpr emit_list_sort(Gen *g, const BEmit *e) {
    sort_list(g, e->o, e->et, e->a[0], e->a[1], e->at);
    return done();
}

static CExpr emit_is_alive(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_proc_is_alive(%s)", e->o), false};
}

static CExpr emit_terminate(Gen *g, const BEmit *e) {
    emit(g, "mp_terminate(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_kill(Gen *g, const BEmit *e) {
    emit(g, "mp_kill(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_join(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_join_timeout(%s, %s, %s)", e->o, timeout_arg(g, e, "-1.0"), e->at),
                   false};
}

/* ---- methods of str ---- */

/* The arguments of a str method call as C code, ARGS[k] for parameter k
 * (ABSENT[k] when omitted), evaluated in source order after the object. */
static void str_args(Gen *g, const BEmit *e, const char **args, const char *const *absent) {
    Node *n = e->n;
    Ops ops = {0};
    int slot[8];
    for (int k = 0; k < n->argc && k < 8; k++) slot[k] = -1;
    for (Node *a = n->args; a; a = a->next) {
        Node *v = a->kind == ND_KWARG ? a->lhs : a;
        for (int k = 0; k < n->argc && k < 8; k++)
            if (e->a[k] == v) slot[k] = operand(g, &ops, v, false, NULL);
    }
    ops_settle(g, &ops);
    for (int k = 0; k < n->argc && k < 8; k++)
        args[k] = slot[k] >= 0 ? ops.items[slot[k]].code : absent[k];
    vec_free(&ops);
}

static const char *const no_args[] = {"NULL", "NULL", "NULL"};
static const char *const range_args[] = {"NULL", "0", "INT64_MAX"};

static CExpr str_call(Gen *g, const BEmit *e, const char *fn, const char *const *absent,
                      bool loc_arg, bool owned_result) {
    const char *a[3] = {"", "", ""};
    str_args(g, e, a, absent);
    const char *args = "";
    for (int k = 0; k < e->n->argc && k < 3; k++) args = gstr(g, "%s, %s", args, a[k]);
    if (loc_arg) args = gstr(g, "%s, %s", args, e->at);
    return (CExpr){gstr(g, "%s(%s%s)", fn, e->o, args), owned_result};
}

static CExpr split_call(Gen *g, const BEmit *e, const char *fn) {
    static const char *const absent[] = {"NULL", "-1"};
    return str_call(g, e, fn, absent, true, true);
}

static CExpr emit_s_split(Gen *g, const BEmit *e) { return split_call(g, e, "mp_str_split"); }
static CExpr emit_s_rsplit(Gen *g, const BEmit *e) { return split_call(g, e, "mp_str_rsplit"); }

static CExpr emit_s_splitlines(Gen *g, const BEmit *e) {
    static const char *const absent[] = {"false"};
    return str_call(g, e, "mp_str_splitlines", absent, false, true);
}

static CExpr emit_s_join(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_join", no_args, false, true);
}

static CExpr strip(Gen *g, const BEmit *e, const char *sides) {
    const char *a[1];
    str_args(g, e, a, no_args);
    return (CExpr){gstr(g, "mp_str_strip(%s, %s, %s)", e->o, a[0], sides), true};
}

static CExpr emit_s_strip(Gen *g, const BEmit *e) { return strip(g, e, "MP_STRIP_BOTH"); }
static CExpr emit_s_lstrip(Gen *g, const BEmit *e) { return strip(g, e, "MP_STRIP_LEFT"); }
static CExpr emit_s_rstrip(Gen *g, const BEmit *e) { return strip(g, e, "MP_STRIP_RIGHT"); }

static CExpr emit_s_removeprefix(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_removeprefix", no_args, false, true);
}

static CExpr emit_s_removesuffix(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_removesuffix", no_args, false, true);
}

static CExpr emit_s_startswith(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_startswith", range_args, false, false);
}

static CExpr emit_s_endswith(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_endswith", range_args, false, false);
}

static CExpr emit_s_find(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_find", range_args, false, false);
}

static CExpr emit_s_rfind(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_rfind", range_args, false, false);
}

static CExpr emit_s_index(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_find_index", range_args, true, false);
}

static CExpr emit_s_rindex(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_rfind_index", range_args, true, false);
}

static CExpr emit_s_count(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_count", range_args, false, false);
}

static CExpr emit_s_replace(Gen *g, const BEmit *e) {
    static const char *const absent[] = {"NULL", "NULL", "-1"};
    return str_call(g, e, "mp_str_replace", absent, false, true);
}

static CExpr emit_s_upper(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_upper(%s)", e->o), true};
}

static CExpr emit_s_lower(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_lower(%s)", e->o), true};
}

static CExpr emit_s_isdigit(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_isdigit(%s)", e->o), false};
}

static CExpr emit_s_isalpha(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_isalpha(%s)", e->o), false};
}

static CExpr emit_s_isalnum(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_isalnum(%s)", e->o), false};
}

static CExpr emit_s_isspace(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_isspace(%s)", e->o), false};
}

static CExpr emit_s_zfill(Gen *g, const BEmit *e) {
    return str_call(g, e, "mp_str_zfill", no_args, false, true);
}

/* ljust, rjust, center: mp_str_pad with Python's alignment character. */
static CExpr pad(Gen *g, const BEmit *e, char align) {
    static const char *const absent[] = {"0", "&mp_str_space"};
    const char *a[2];
    str_args(g, e, a, absent);
    return (CExpr){gstr(g, "mp_str_pad(%s, %s, %s, '%c', %s)", e->o, a[0], a[1], align, e->at),
                   true};
}

static CExpr emit_s_center(Gen *g, const BEmit *e) { return pad(g, e, '^'); }
static CExpr emit_s_ljust(Gen *g, const BEmit *e) { return pad(g, e, '<'); }
static CExpr emit_s_rjust(Gen *g, const BEmit *e) { return pad(g, e, '>'); }

/* ---- attributes ---- */

static CExpr emit_value(Gen *g, const BEmit *e) {
    Node *n = e->n;
    if (locked_read(g, n->lhs))
        return (CExpr){gstr(g, "mp_value_read_%s(%s, %s)", ksuffix(n->type), e->o, loc(g, n->span)),
                       false};
    return (CExpr){gstr(g, "mp_value_load_%s(%s)", ksuffix(n->type), e->o), false};
}

/* An int where sema knows the process started, else int | None. */
static CExpr emit_pid(Gen *g, const BEmit *e) {
    if (e->n->type->kind == TY_INT) return (CExpr){gstr(g, "mp_proc_pid(%s)", e->o), false};
    return (CExpr){gstr(g, "mp_proc_pid_opt(%s)", e->o), true};
}

/* An int after `join p` (sema's type), else int | None. */
static CExpr emit_exitcode(Gen *g, const BEmit *e) {
    if (e->n->type->kind == TY_INT)
        return (CExpr){gstr(g, "(int64_t)mp_proc_exitcode(%s)", e->o), false};
    return (CExpr){gstr(g, "mp_proc_exitcode_opt(%s)", e->o), true};
}

static CExpr emit_name(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_cstr(mp_proc_name(%s))", e->o), true};
}

static CExpr emit_daemon(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_proc_daemon(%s)", e->o), false};
}

static CExpr emit_current_process(Gen *g, const BEmit *e) {
    (void)g;
    (void)e;
    return (CExpr){"mp_current_process()", false};
}

/* ---- synchronization objects ---- */

/* A timeout argument K: the user's seconds through mp_sync_timeout (a
 * negative one is 0, as Python's), or -1.0 (none: wait forever). */
static const char *sync_timeout(Gen *g, const BEmit *e, const char *const *a, int k) {
    return e->a[k] ? gstr(g, "mp_sync_timeout(%s)", a[k]) : "-1.0";
}

static CExpr emit_sync_acquire(Gen *g, const BEmit *e) {
    static const char *const absent[] = {"true", ""};
    const char *a[2];
    str_args(g, e, a, absent);
    return (CExpr){
        gstr(g, "mp_sync_acquire(%s, %s, %s, %s)", e->o, a[0], sync_timeout(g, e, a, 1), e->at),
        false};
}

static CExpr emit_sync_release(Gen *g, const BEmit *e) {
    emit(g, "mp_sync_release(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_sync_locked(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_sync_locked(%s)", e->o), false};
}

static CExpr emit_sync_get_value(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_sync_get_value(%s)", e->o), false};
}

static CExpr emit_sync_set(Gen *g, const BEmit *e) {
    emit(g, "mp_sync_set(%s);", e->o);
    return done();
}

static CExpr emit_sync_clear(Gen *g, const BEmit *e) {
    emit(g, "mp_sync_clear(%s);", e->o);
    return done();
}

static CExpr emit_sync_is_set(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_sync_is_set(%s)", e->o), false};
}

static CExpr emit_sync_wait(Gen *g, const BEmit *e) {
    const char *a[1];
    str_args(g, e, a, no_args);
    return (CExpr){gstr(g, "mp_sync_wait(%s, %s, %s)", e->o, sync_timeout(g, e, a, 0), e->at),
                   false};
}

static CExpr emit_sync_notify(Gen *g, const BEmit *e) {
    static const char *const absent[] = {"1"};
    const char *a[1];
    str_args(g, e, a, absent);
    emit(g, "mp_sync_notify(%s, %s, %s);", e->o, a[0], e->at);
    return done();
}

static CExpr emit_sync_notify_all(Gen *g, const BEmit *e) {
    emit(g, "mp_sync_notify_all(%s, %s);", e->o, e->at);
    return done();
}

static CExpr emit_barrier_wait(Gen *g, const BEmit *e) {
    const char *a[1];
    str_args(g, e, a, no_args);
    return (CExpr){gstr(g, "mp_barrier_wait_at(%s, %s, %s)", e->o, sync_timeout(g, e, a, 0), e->at),
                   false};
}

static CExpr emit_sync_reset(Gen *g, const BEmit *e) {
    emit(g, "mp_sync_reset(%s);", e->o);
    return done();
}

static CExpr emit_sync_abort(Gen *g, const BEmit *e) {
    emit(g, "mp_sync_abort(%s);", e->o);
    return done();
}

static CExpr emit_sync_parties(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_sync_parties(%s)", e->o), false};
}

static CExpr emit_sync_n_waiting(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_sync_n_waiting(%s)", e->o), false};
}

static CExpr emit_sync_broken(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_sync_broken(%s)", e->o), false};
}

/* ---- dicts and sets ---- */

/* dict() and set(): empty, of the type sema gave the call; set(xs) of a
 * list (or of a str's characters, a dict's keys...). */
static CExpr emit_dict(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_dict_new(%s)", tdesc(g, e->n->type)), true};
}

static CExpr emit_set(Gen *g, const BEmit *e) {
    if (e->n->argc == 0 || !e->a[0]) return emit_dict(g, e);
    const char *l = iter_list(g, e->a[0]);
    return (CExpr){gstr(g, "mp_set_of_list(%s, %s)", tdesc(g, e->n->type), l), true};
}

/* The dict or set type of a method call's object. */
static Type *obj_type(const BEmit *e) { return e->n->callee->lhs->type; }

/* Argument I of method call E, a key, as an mp_val of the key type. */
static const char *key_arg(Gen *g, const BEmit *e, int i) {
    Type *kt = key_of(obj_type(e));
    return mpval(g, kt, key_val(g, e->a[i], borrow(g, e->a[i]), kt));
}

/* The key and the default of d.get/d.pop call E, evaluated in order: *K
 * the key as an mp_val, *DV the default (NULL: none) converted to the
 * call's type RT (a scalar boxed for `V | None`, the box held). */
static void lookup_args(Gen *g, const BEmit *e, Type *rt, const char **k, const char **dv) {
    Ops ops = {0};
    operand(g, &ops, e->a[0], false, NULL);
    if (e->a[1]) operand(g, &ops, e->a[1], false, NULL);
    ops_settle(g, &ops);
    Type *kt = key_of(obj_type(e));
    *k = mpval(g, kt, key_val(g, e->a[0], ops.items[0].code, kt));
    *dv = NULL;
    if (e->a[1]) {
        const char *c = ops.items[1].code;
        Type *at = e->a[1]->type;
        *dv = boxes(at, rt) ? hold(g, rt, convert(g, c, at, rt)) : convert(g, c, at, rt);
    }
    vec_free(&ops);
}

/* d.get(k): `V | None`, owned. d.get(k, default): borrowed, or, when the
 * default makes the result `V | None` (a V that is not), owned. */
static CExpr emit_d_get(Gen *g, const BEmit *e) {
    Type *rt = e->n->type;
    const char *k, *dv;
    lookup_args(g, e, rt, &k, &dv);
    const char *opt = gstr(g, "mp_dict_get_opt(%s, %s).%s", e->o, k, vfield(rt));
    if (!dv) return (CExpr){opt, true};
    if (rt == e->et)
        return (CExpr){
            gstr(g, "mp_dict_get_or(%s, %s, %s).%s", e->o, k, mpval(g, rt, dv), vfield(rt)), false};
    return (CExpr){
        gstr(g, "(mp_dict_contains(%s, %s) ? %s : %s(%s))", e->o, k, opt, ref_fn(rt), dv), true};
}

/* d.pop(k) (KeyError), d.pop(k, default): owned when heap. */
static CExpr emit_d_pop(Gen *g, const BEmit *e) {
    Type *rt = e->n->type;
    const char *k, *dv;
    lookup_args(g, e, rt, &k, &dv);
    const char *f = vfield(rt), *code;
    if (!dv) code = gstr(g, "mp_dict_pop(%s, %s, %s).%s", e->o, k, e->at, f);
    else if (rt == e->et)
        code = gstr(g, "mp_dict_pop_or(%s, %s, %s).%s", e->o, k, mpval(g, rt, dv), f);
    else
        code = gstr(g, "(mp_dict_contains(%s, %s) ? mp_dict_pop_opt(%s, %s).%s : %s(%s))", e->o, k,
                    e->o, k, f, ref_fn(rt), dv);
    return (CExpr){code, is_heap(rt)};
}

static CExpr emit_d_setdefault(Gen *g, const BEmit *e) {
    Type *vt = e->et;
    Ops ops = {0};
    operand(g, &ops, e->a[0], false, NULL);
    operand(g, &ops, e->a[1], false, NULL);
    ops_settle(g, &ops);
    Type *kt = key_of(obj_type(e));
    const char *k = mpval(g, kt, key_val(g, e->a[0], ops.items[0].code, kt));
    const char *dv = ops.items[1].code;
    if (boxes(e->a[1]->type, vt)) dv = hold(g, vt, convert(g, dv, e->a[1]->type, vt));
    else dv = convert(g, dv, e->a[1]->type, vt);
    vec_free(&ops);
    return (CExpr){
        gstr(g, "mp_dict_setdefault(%s, %s, %s).%s", e->o, k, mpval(g, vt, dv), vfield(vt)), false};
}

static CExpr emit_d_update(Gen *g, const BEmit *e) {
    emit(g, "mp_dict_update(%s, %s);", e->o, borrow(g, e->a[0]));
    return done();
}

static CExpr emit_d_clear(Gen *g, const BEmit *e) {
    emit(g, "mp_dict_clear(%s);", e->o);
    return done();
}

static CExpr emit_d_copy(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_dict_shallow(%s)", e->o), true};
}

static CExpr dict_list(Gen *g, const BEmit *e, const char *what) {
    return (CExpr){gstr(g, "mp_dict_%s(%s, %s)", what, e->o, tdesc(g, e->n->type)), true};
}

static CExpr emit_d_keys(Gen *g, const BEmit *e) { return dict_list(g, e, "keys"); }
static CExpr emit_d_values(Gen *g, const BEmit *e) { return dict_list(g, e, "values"); }
static CExpr emit_d_items(Gen *g, const BEmit *e) { return dict_list(g, e, "items"); }

static CExpr emit_set_add(Gen *g, const BEmit *e) {
    emit(g, "mp_set_add(%s, %s);", e->o, mpval(g, e->et, owned(g, e->a[0], e->et)));
    return done();
}

static CExpr emit_set_discard(Gen *g, const BEmit *e) {
    emit(g, "mp_set_discard(%s, %s);", e->o, key_arg(g, e, 0));
    return done();
}

static CExpr emit_set_remove(Gen *g, const BEmit *e) {
    emit(g, "mp_set_remove(%s, %s, %s);", e->o, key_arg(g, e, 0), e->at);
    return done();
}

static CExpr emit_set_pop(Gen *g, const BEmit *e) {
    return received(g, e, gstr(g, "mp_set_pop(%s, %s)", e->o, e->at));
}

typedef CExpr (*EmitFn)(Gen *g, const BEmit *e);

/* The EMIT column of builtins.def. */
static const EmitFn emitters[B__COUNT] = {
#define BUILTIN(id, name, kind, on, param, ptype, flags, lo, hi, result, check, emit) [id] = emit,
#include "builtins.def"
#undef BUILTIN
};

static CExpr gen_member(Gen *g, Node *n) {
    if (g->cas_sym && n->builtin == A_VALUE && n->lhs->kind == ND_NAME && n->lhs->sym == g->cas_sym)
        return (CExpr){g->cas_old, false};
    BEmit e = {n, NULL, borrow(g, n->lhs), n->lhs->type->elem, NULL};
    e.at = loc(g, n->span);
    return emitters[n->builtin](g, &e);
}

static CExpr gen_builtin(Gen *g, Node *n) {
    BEmit e = {n, n->argv, NULL, NULL, loc(g, n->span)};
    return emitters[n->builtin](g, &e);
}

static CExpr gen_method(Gen *g, Node *n) {
    Node *obj = n->callee->lhs;
    const char *o = borrow(g, obj);
    bool args = false;
    for (int i = 0; i < n->argc; i++) args = args || n->argv[i];
    if (args) {
        /* the object (`xs[i()]`) before the argument (`.append(f())`) */
        Ops ops = {0};
        ops_add(&ops, o, obj->type, false);
        pin(g, &ops, 0);
        o = ops.items[0].code;
        vec_free(&ops);
    }
    BEmit e = {n, n->argv, o, obj->type->elem, loc(g, n->span)};
    return emitters[n->builtin](g, &e);
}

/* The arguments of call N to a def, generated in source order (keyword
 * arguments too, as Python evaluates them, not in parameter order): the
 * code of parameter k's argument ends up in ARGS[k], converted to the
 * parameter's type. OWN (a process declaration): owned, and lists copied,
 * so later changes to them do not reach the process. */
/* Whether a value of type T holds a list, dict or set (mutable), which a
 * process gets a copy of. */
static bool has_list(const Type *t) {
    if (t->kind == TY_TUPLE) {
        for (int i = 0; i < t->n; i++)
            if (has_list(t->items[i])) return true;
        return false;
    }
    return t->kind == TY_LIST || t->kind == TY_DICT || t->kind == TY_SET ||
           (t->kind == TY_OPTIONAL && has_list(t->elem));
}

void def_args(Gen *g, Node *n, bool own, const char **args) {
    Node *def = n->callee->sym->decl;
    Ops ops = {0};
    int *slot = xcalloc((size_t)n->argc + 1, sizeof *slot);
    for (Node *a = n->args; a; a = a->next) {
        Node *v = a->kind == ND_KWARG ? a->lhs : a;
        Node *param = def->params;
        for (int k = 0; k < n->argc; k++, param = param->next)
            if (n->argv[k] == v)
                slot[k] = operand(g, &ops, v, own && !has_list(param->decl_type), param->decl_type);
    }
    ops_settle(g, &ops);
    Node *param = def->params;
    for (int k = 0; k < n->argc; k++, param = param->next) {
        const char *c = ops.items[slot[k]].code;
        Type *at = n->argv[k]->type, *pt = param->decl_type;
        if (!ops.items[slot[k]].owned) {
            if (boxes(at, pt)) c = hold(g, pt, convert(g, c, at, pt));
            else c = convert(g, c, at, pt);
        }
        if (own && at->kind == TY_LIST) c = gstr(g, "mp_list_copy(%s)", c);
        else if (own && has_list(pt)) /* lists inside a tuple or optional */
            c = gstr(g, "mp_val_copy(%s, %s).%s", tdesc(g, pt), mpval(g, pt, c), vfield(pt));
        args[k] = c;
    }
    free(slot);
    vec_free(&ops);
}

static CExpr gen_call(Gen *g, Node *n) {
    if (n->callee->kind == ND_MEMBER) return gen_method(g, n);
    if (n->builtin != B_NONE) return gen_builtin(g, n);
    Symbol *f = n->callee->sym;
    Buf args = {0};
    const char **argv = xmalloc(((size_t)n->argc + 1) * sizeof *argv);
    def_args(g, n, false, argv);
    for (int i = 0; i < n->argc; i++) buf_printf(&args, "%s%s", i ? ", " : "", argv[i]);
    free(argv);
    const char *call = gstr(g, "%s(%s)", cname(g, f), args.data ? args.data : "");
    free(args.data);
    /* Deep recursion is a located runtime error, not a SIGSEGV. */
    emit(g, "mp_stack_check(%s);", loc(g, n->span));
    if (n->type->kind == TY_NONE) {
        emit(g, "%s;", call);
        gen_check(g);
        return (CExpr){NULL, false};
    }
    if (is_heap(n->type)) return (CExpr){call, true};
    /* Scalars from calls are held too, so calls run left to right. */
    const char *t = new_tmp(g, "r");
    emit(g, "%s = %s;", decl(g, n->type, t), call);
    gen_check(g);
    return (CExpr){t, false};
}

static CExpr gen_expr_raw(Gen *g, Node *n);

CExpr gen_expr(Gen *g, Node *n) {
    CExpr e = gen_expr_raw(g, n);
    return g->checking ? settle_raising(g, n, e) : e;
}

static CExpr gen_expr_raw(Gen *g, Node *n) {
    switch (n->kind) {
    case ND_INT:
        if (n->ival == INT64_MIN) return (CExpr){"INT64_MIN", false};
        return (CExpr){gstr(g, "%" PRId64, n->ival), false};
    case ND_FLOAT: {
        if (n->fval != n->fval) return (CExpr){"MP_NAN", false};
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", n->fval);
        if (!strpbrk(buf, ".eEni")) strcat(buf, ".0");
        if (strcmp(buf, "inf") == 0) return (CExpr){"MP_INFINITY", false};
        return (CExpr){gstr(g, "%s", buf), false};
    }
    case ND_BOOL: return (CExpr){n->ival ? "true" : "false", false};
    case ND_STR: return gen_fstring(g, n);
    case ND_NAME: {
        Symbol *s = n->sym;
        if (s->kind == SYM_CONST) return gen_expr(g, s->decl->lhs); /* its folded value */
        /* narrowed by `x is not None`: a box is opened */
        if (s->type && s->type->kind == TY_OPTIONAL && n->type->kind != TY_OPTIONAL &&
            !is_heap(n->type))
            return (CExpr){gstr(g, "%s->v.%s", cname(g, s), vfield(n->type)), false};
        if (s->kind == SYM_BUILTIN) { /* argv, stdin, ... */
            BEmit e = {n, NULL, NULL, NULL, NULL};
            return emitters[s->builtin](g, &e);
        }
        return (CExpr){cname(g, s), false};
    }
    case ND_NONE: return (CExpr){"0", false}; /* printed through mp_t_none */
    case ND_LIST: return gen_list(g, n);
    case ND_DICT:
    case ND_SET: return gen_dict(g, n);
    case ND_TUPLE: return gen_tuple(g, n);
    case ND_UNARY: return gen_unary(g, n);
    case ND_BINARY: return gen_binary(g, n);
    case ND_CALL: return gen_call(g, n);
    case ND_INDEX: return gen_index(g, n);
    case ND_SLICE: return gen_slice(g, n);
    case ND_LISTCOMP: return gen_listcomp(g, n);
    case ND_MEMBER: return gen_member(g, n);
    default: return (CExpr){"0", false};
    }
}
