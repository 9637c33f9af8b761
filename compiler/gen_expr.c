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

/* The value of N as a new reference (for storing), converted to type TO
 * (int to float is the only implicit conversion). */
const char *owned(Gen *g, Node *n, Type *to) {
    CExpr e = gen_expr(g, n);
    if (to && to->kind == TY_FLOAT && n->type->kind == TY_INT) return gstr(g, "(double)%s", e.code);
    if (!is_heap(n->type) || e.owned) return e.code;
    return gstr(g, "%s(%s)", n->type->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", e.code);
}

/* A borrowed value converted to TO. */
const char *borrow_as(Gen *g, Node *n, Type *to) {
    const char *c = borrow(g, n);
    if (to && to->kind == TY_FLOAT && n->type->kind == TY_INT) return gstr(g, "(double)%s", c);
    return c;
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

/* Computes operand I of OPS now, into a temporary. */
void pin(Gen *g, Ops *ops, int i) {
    Type *t = ops->items[i].type;
    const char *code = ops->items[i].code;
    if (settled(code)) return;
    if (is_heap(t) && !ops->items[i].owned) {
        /* a borrowed element: keep it alive while later operands run */
        ops->items[i].code =
            hold(g, t, gstr(g, "%s(%s)", t->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", code));
        return;
    }
    const char *name = new_tmp(g, "o");
    emit(g, "%s = %s;", decl(g, t, name), code);
    ops->items[i].code = name;
}

/* Before the operands' codes are combined into one C expression, where C
 * leaves their order open: all but the last one still to run are computed
 * now, in order. */
static void ops_settle(Gen *g, Ops *ops) {
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
    Side later;
    side_begin(g, &later);
    const char *code = own ? owned(g, n, to) : borrow(g, n);
    side_end(g, &later);
    if (later.buf.len)
        for (int i = 0; i < (int)ops->len; i++) pin(g, ops, i);
    side_splice(g, &later);
    return ops_add(ops, code, own && to && to->kind == TY_FLOAT ? to : n->type, own);
}

static int ops_add(Ops *ops, const char *code, Type *t, bool own) {
    vec_push(ops, ((Operand){code, t, own}));
    return (int)ops->len - 1;
}

/* Appends str() of the value of N to the mp_buf named BUF. */
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
    if (n->type->kind == TY_ARRAY) {
        /* A guarded array prints as one snapshot, under its lock. */
        const char *a = borrow(g, n);
        bool lock = locked_read(g, n);
        if (lock) emit(g, "mp_array_lock(%s, %s);", a, loc(g, n->span));
        emit(g, "mp_buf_array(&%s, %s);", buf, a);
        if (lock) emit(g, "mp_array_unlock(%s, %s);", a, loc(g, n->span));
        return;
    }
    const char *v = borrow(g, n);
    if (n->type->kind == TY_EXC) { /* str(e): its message */
        emit(g, "mp_buf_exc(&%s, %s);", buf, v);
        return;
    }
    emit(g, "mp_buf_val(&%s, %s, %s);", buf, tdesc(g, n->type), mpval(g, n->type, v));
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

static CExpr gen_compare(Gen *g, Node *n) {
    Type *lt = n->lhs->type, *rt = n->rhs->type;
    const char *l, *r;
    sides(g, n, &l, &r);
    const char *op = c_operator(n->op);
    if (lt->kind == TY_STR) {
        if (n->op == OP_EQ || n->op == OP_NE)
            return (CExpr){gstr(g, "(%smp_str_eq(%s, %s))", n->op == OP_NE ? "!" : "", l, r),
                           false};
        return (CExpr){gstr(g, "(mp_str_cmp(%s, %s) %s 0)", l, r, op), false};
    }
    if (lt->kind == TY_LIST)
        return (CExpr){gstr(g, "(%smp_list_eq(%s, %s))", n->op == OP_NE ? "!" : "", l, r), false};
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

static CExpr gen_binary(Gen *g, Node *n) {
    switch (n->op) {
    case OP_AND:
    case OP_OR: return gen_logic(g, n);
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: return gen_compare(g, n);
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

/* Element access a[i] for reading. */
static CExpr gen_index(Gen *g, Node *n) {
    if (g->cas_sym && n->lhs->kind == ND_NAME && n->lhs->sym == g->cas_sym)
        return (CExpr){g->cas_old, false};
    Type *ot = n->lhs->type;
    const char *o, *i;
    sides(g, n, &o, &i);
    const char *at = loc(g, n->span);
    switch (ot->kind) {
    case TY_STR: return (CExpr){gstr(g, "mp_str_index(%s, %s, %s)", o, i, at), true};
    case TY_LIST:
        return (CExpr){gstr(g, "mp_list_get(%s, %s, %s).%s", o, i, at, vfield(n->type)), false};
    case TY_ARRAY:
        return (CExpr){gstr(g, "mp_array_%s_%s(%s, %s, %s)",
                            locked_read(g, n->lhs) ? "read" : "load", ksuffix(ot->elem), o, i, at),
                       false};
    default: /* group[i] */
        return (CExpr){
            gstr(g, "%s[mp_group_index(%s, %s, %s)]", o, companion(g, "count", n->lhs->sym), i, at),
            false};
    }
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

static CExpr emit_print(Gen *g, const BEmit *e) {
    Node *n = e->n;
    Node **a = e->a;
    bool interpolated = n->argc == 1 && a[0]->kind == ND_STR && a[0]->parts &&
                        (a[0]->parts->kind != ND_STRPART || a[0]->parts->next);
    if (n->argc == 1 && a[0]->type->kind == TY_STR && !interpolated) {
        emit(g, "mp_print(%s);", borrow(g, a[0]));
        return done();
    }
    const char *b = new_tmp(g, "b");
    emit(g, "mp_buf %s;", b);
    emit(g, "mp_buf_init(&%s);", b);
    bool held = buf_held(g, b);
    for (int i = 0; i < n->argc; i++) {
        if (i > 0) emit(g, "mp_buf_cstr(&%s, \" \", 1);", b);
        append_value(g, b, a[i]);
    }
    emit(g, "mp_print_buf(&%s);", b);
    if (!held) emit(g, "mp_buf_free(&%s);", b);
    return done();
}

static CExpr emit_len(Gen *g, const BEmit *e) {
    Node *x = e->a[0];
    const char *v = borrow(g, x);
    switch (x->type->kind) {
    case TY_STR: return (CExpr){gstr(g, "mp_str_len(%s)", v), false};
    case TY_LIST: return (CExpr){gstr(g, "mp_list_len(%s)", v), false};
    case TY_ARRAY: return (CExpr){gstr(g, "mp_array_len(%s)", v), false};
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

static CExpr emit_int(Gen *g, const BEmit *e) {
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

static CExpr emit_min(Gen *g, const BEmit *e) { return minmax(g, e->n, false); }
static CExpr emit_max(Gen *g, const BEmit *e) { return minmax(g, e->n, true); }

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
 * bytes, so a borrowed value is enough. */
static CExpr put(Gen *g, const BEmit *e, const char *fn) {
    const char *v = borrow_as(g, e->a[0], e->et);
    emit(g, "%s(%s, %s, %s);", fn, e->o, mpval(g, e->et, v), e->at);
    return done();
}

static CExpr emit_put(Gen *g, const BEmit *e) { return put(g, e, "mp_put"); }
static CExpr emit_put_nowait(Gen *g, const BEmit *e) { return put(g, e, "mp_put_nowait"); }

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

static CExpr emit_append(Gen *g, const BEmit *e) {
    emit(g, "mp_list_push(%s, %s);", e->o, mpval(g, e->et, owned(g, e->a[0], e->et)));
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

/* ---- attributes ---- */

static CExpr emit_value(Gen *g, const BEmit *e) {
    Node *n = e->n;
    if (locked_read(g, n->lhs))
        return (CExpr){gstr(g, "mp_value_read_%s(%s, %s)", ksuffix(n->type), e->o, loc(g, n->span)),
                       false};
    return (CExpr){gstr(g, "mp_value_load_%s(%s)", ksuffix(n->type), e->o), false};
}

static CExpr emit_pid(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_proc_pid(%s)", e->o), false};
}

static CExpr emit_exitcode(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "(int64_t)mp_proc_exitcode(%s)", e->o), false};
}

static CExpr emit_name(Gen *g, const BEmit *e) {
    return (CExpr){gstr(g, "mp_str_cstr(mp_proc_name(%s))", e->o), true};
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
    if (n->argc > 0 && n->argv[0]) {
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
void def_args(Gen *g, Node *n, bool own, const char **args) {
    Node *def = n->callee->sym->decl;
    Ops ops = {0};
    int *slot = xcalloc((size_t)n->argc + 1, sizeof *slot);
    for (Node *a = n->args; a; a = a->next) {
        Node *v = a->kind == ND_KWARG ? a->lhs : a;
        Node *param = def->params;
        for (int k = 0; k < n->argc; k++, param = param->next)
            if (n->argv[k] == v)
                slot[k] = operand(g, &ops, v, own && v->type->kind != TY_LIST, param->decl_type);
    }
    ops_settle(g, &ops);
    Node *param = def->params;
    for (int k = 0; k < n->argc; k++, param = param->next) {
        const char *c = ops.items[slot[k]].code;
        if (!ops.items[slot[k]].owned && param->decl_type->kind == TY_FLOAT &&
            n->argv[k]->type->kind == TY_INT)
            c = gstr(g, "(double)%s", c);
        if (own && n->argv[k]->type->kind == TY_LIST) c = gstr(g, "mp_list_copy(%s)", c);
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
        return (CExpr){cname(g, s), false};
    }
    case ND_LIST: return gen_list(g, n);
    case ND_UNARY: return gen_unary(g, n);
    case ND_BINARY: return gen_binary(g, n);
    case ND_CALL: return gen_call(g, n);
    case ND_INDEX: return gen_index(g, n);
    case ND_MEMBER: return gen_member(g, n);
    default: return (CExpr){"0", false};
    }
}
