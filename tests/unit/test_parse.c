/* Unit tests of the parser (grammar/parser.y, compiler/parse.c) and the
 * AST utilities (compiler/ast.c): precedence, every statement and
 * declaration, types, syntax errors and recovery, limits, the dump. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ast.h"
#include "parse.h"

#include "front_test.h"

typedef Front Run;

static Run *parse_len(const char *text, size_t len) {
    Run *r = malloc(sizeof *r);
    assert_non_null(r);
    front_open(r, text, len);
    r->diag.limit = 0;
    front_parse(r);
    front_end_diag(r);
    return r;
}

static Run *parse(const char *text) { return parse_len(text, strlen(text)); }

static void done(Run *r) {
    front_close(r);
    free(r);
}

static Run *parse_ok(const char *text) {
    Run *r = parse(text);
    if (!r->parsed) {
        fprintf(stderr, "--- source:\n%s\n--- diagnostics:\n%s", text, r->out);
        fail_msg("expected a clean parse");
    }
    return r;
}

/* TEXT must give exactly N errors, the first one containing MSG at LINE:COL. */
static void want_errors(const char *text, int n, const char *msg, int line, int col) {
    Run *r = parse(text);
    char where[64];
    snprintf(where, sizeof where, "t.mp:%d:%d: error: ", line, col);
    if (r->diag.errors != n || !strstr(r->out, msg) || strncmp(r->out, where, strlen(where)) != 0) {
        fprintf(stderr, "--- source:\n%s\n--- want %d error(s), first %s%s\n--- got:\n%s", text, n,
                where, msg, r->out);
        fail();
    }
    done(r);
}

static void want_error(const char *text, const char *msg, int line, int col) {
    want_errors(text, 1, msg, line, col);
}

/* ---- expressions as s-expressions ------------------------------------------ */

typedef struct Buf {
    char data[4096];
    size_t len;
} Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, sizeof b->data - b->len, fmt, ap);
    va_end(ap);
    if (n > 0) b->len += (size_t)n;
    if (b->len >= sizeof b->data) b->len = sizeof b->data - 1;
}

static void sexpr(Buf *b, const Node *n);

static void sexpr_list(Buf *b, const Node *n) {
    for (; n; n = n->next) {
        put(b, " ");
        sexpr(b, n);
    }
}

static void sexpr(Buf *b, const Node *n) {
    switch (n->kind) {
    case ND_INT: put(b, "%lld", (long long)n->ival); break;
    case ND_FLOAT: put(b, "%g", n->fval); break;
    case ND_BOOL: put(b, "%s", n->ival ? "true" : "false"); break;
    case ND_STRPART: put(b, "'%s'", n->str); break;
    case ND_STR:
        put(b, "(str");
        sexpr_list(b, n->parts);
        put(b, ")");
        break;
    case ND_NAME: put(b, "%s", n->name); break;
    case ND_LIST:
        put(b, "[");
        sexpr_list(b, n->elems);
        put(b, " ]");
        break;
    case ND_UNARY:
        put(b, "(%s ", n->op == OP_NEG ? "neg" : n->op == OP_POS ? "pos" : op_spelling(n->op));
        sexpr(b, n->lhs);
        put(b, ")");
        break;
    case ND_BINARY:
        put(b, "(%s ", op_spelling(n->op));
        sexpr(b, n->lhs);
        put(b, " ");
        sexpr(b, n->rhs);
        put(b, ")");
        break;
    case ND_CALL:
        put(b, "(call ");
        sexpr(b, n->callee);
        sexpr_list(b, n->args);
        put(b, ")");
        break;
    case ND_KWARG:
        put(b, "%s=", n->name);
        sexpr(b, n->lhs);
        break;
    case ND_INDEX:
        put(b, "(index ");
        sexpr(b, n->lhs);
        put(b, " ");
        sexpr(b, n->rhs);
        put(b, ")");
        break;
    case ND_MEMBER:
        put(b, "(. ");
        sexpr(b, n->lhs);
        put(b, " %s)", n->name);
        break;
    case ND_SLICE: {
        const Node *parts[3] = {n->lo, n->hi, n->step};
        put(b, "(slice ");
        sexpr(b, n->lhs);
        for (int i = 0; i < 3; i++) {
            put(b, " ");
            if (parts[i]) sexpr(b, parts[i]);
            else put(b, "_");
        }
        put(b, ")");
        break;
    }
    case ND_TUPLE:
        put(b, "(tuple");
        sexpr_list(b, n->elems);
        put(b, ")");
        break;
    case ND_DICT:
    case ND_SET:
        put(b, n->kind == ND_DICT ? "{dict" : "{set");
        sexpr_list(b, n->elems);
        put(b, " }");
        break;
    case ND_LISTCOMP: /* the loop, innermost the element */
        put(b, n->argc == COMP_DICT ? "(dictcomp" : n->argc == COMP_SET ? "(setcomp" : "(listcomp");
        for (const Node *c = n->body; c;) {
            put(b, " ");
            if (c->kind == ND_FOR) {
                put(b, "(for %s ", c->name);
                sexpr(b, c->rhs);
                put(b, ")");
                c = c->body->body;
            } else if (c->kind == ND_IF) {
                put(b, "(if ");
                sexpr(b, c->cond);
                put(b, ")");
                c = c->then->body;
            } else if (c->kind == ND_LET) { /* for a, b in: the unpacking */
                put(b, "(let %s)", c->name);
                c = c->next;
            } else {
                sexpr(b, c->lhs); /* ND_COMP_PUSH */
                if (c->rhs) {
                    put(b, ": ");
                    sexpr(b, c->rhs);
                }
                c = NULL;
            }
        }
        put(b, ")");
        break;
    default: put(b, "<kind %d>", n->kind); break;
    }
}

/* The expression statement TEXT must read as the s-expression WANT. */
static void want_expr(const char *text, const char *want) {
    Run *r = parse_ok(text);
    const Node *st = r->prog.top;
    assert_non_null(st);
    assert_int_equal(st->kind, ND_EXPR_STMT);
    assert_null(st->next);
    Buf b = {.len = 0};
    b.data[0] = '\0';
    sexpr(&b, st->lhs);
    if (strcmp(b.data, want) != 0) {
        fprintf(stderr, "source: %s\n  got: %s\n want: %s\n", text, b.data, want);
        fail();
    }
    done(r);
}

static void test_precedence(void **state) {
    (void)state;
    want_expr("1 + 2 * 3", "(+ 1 (* 2 3))");
    want_expr("(1 + 2) * 3", "(* (+ 1 2) 3)");
    want_expr("1 - 2 - 3", "(- (- 1 2) 3)");
    want_expr("a / b // c % d * e", "(* (% (// (/ a b) c) d) e)");
    want_expr("2 ** 3 ** 2", "(** 2 (** 3 2))");
    want_expr("-2 ** 2", "(neg (** 2 2))");
    want_expr("2 ** -1", "(** 2 (neg 1))");
    want_expr("2 ** -1 * 3", "(* (** 2 (neg 1)) 3)");
    want_expr("2 ** -x ** 2", "(** 2 (neg (** x 2)))");
    want_expr("-x * y", "(* (neg x) y)");
    want_expr("- - x", "(neg (neg x))");
    want_expr("~a + +b", "(+ (~ a) (pos b))");
    want_expr("a | b ^ c & d << 1 + 2", "(| a (^ b (& c (<< d (+ 1 2)))))");
    want_expr("a >> 1 << 2", "(<< (>> a 1) 2)");
    want_expr("a < b + 1", "(< a (+ b 1))");
    want_expr("a | b == c & d", "(== (| a b) (& c d))");
    want_expr("a or b and c", "(or a (and b c))");
    want_expr("a and b or c and d", "(or (and a b) (and c d))");
    want_expr("not a == b", "(not (== a b))");
    want_expr("not a and b", "(and (not a) b)");
    want_expr("not not a", "(not (not a))");
    want_expr("a == b or c != d", "(or (== a b) (!= c d))");
    want_expr("(a < b) < c", "(< (< a b) c)");
    want_expr("a <= b", "(<= a b)");
    want_expr("a >= b", "(>= a b)");
    want_expr("a > -b", "(> a (neg b))");
}

static void test_postfix(void **state) {
    (void)state;
    want_expr("f()", "(call f)");
    want_expr("f(x)(y)[0].z", "(. (index (call (call f x) y) 0) z)");
    want_expr("a.b.c(1, k=2)", "(call (. (. a b) c) 1 k=2)");
    want_expr("f(1, 2,)", "(call f 1 2)");
    want_expr("f(a=1, b=c + 1)", "(call f a=1 b=(+ c 1))");
    want_expr("-a.b ** 2", "(neg (** (. a b) 2))");
    want_expr("p.join()", "(call (. p join))");
    want_expr("v.value", "(. v value)");
    want_expr("w[i].is_alive()", "(call (. (index w i) is_alive))");
    want_expr("f(\n  1,\n  2\n)", "(call f 1 2)");
}

static void test_slices_in_comprehensions(void **state) {
    (void)state;
    want_expr("xs[1:2]", "(slice xs 1 2 _)");
    want_expr("xs[:]", "(slice xs _ _ _)");
    want_expr("xs[::-1]", "(slice xs _ _ (neg 1))");
    want_expr("xs[a + 1::2][0]", "(index (slice xs (+ a 1) _ 2) 0)");
    want_expr("s[:n]", "(slice s _ n _)");
    want_expr("x in xs", "(in x xs)");
    want_expr("x not in xs + ys", "(not in x (+ xs ys))");
    want_expr("not x in xs", "(not (in x xs))");
    want_expr("a in b and c not in d", "(and (in a b) (not in c d))");
    want_expr("[x * 2 for x in xs]", "(listcomp (for x xs) (* x 2))");
    want_expr("[x for x in range(3) if x > 0 if x < 2]",
              "(listcomp (for x (call range 3)) (if (> x 0)) (if (< x 2)) x)");
    want_expr("[[i, j] for i in a for j in b if i != j]",
              "(listcomp (for i a) (for j b) (if (!= i j)) [ i j ])");
    want_expr("[y for y in [z for z in q]]", "(listcomp (for y (listcomp (for z q) z)) y)");
    want_error("xs[1:2] = ys", "cannot assign to a slice", 1, 1);
    want_error("print(a in b in c)", "comparisons cannot be chained", 1, 14);
    want_error("[x for x in]", "expected an expression", 1, 12);
}

/* Dict and set displays and comprehensions: a '{' where an operand is
 * expected opens a display, anywhere else a block. */
static void test_dict_and_set_displays(void **state) {
    (void)state;
    want_expr("f({})", "(call f {dict })");
    want_expr("f({1: 2, \"a\": [3],})", "(call f {dict 1 2 (str 'a') [ 3 ] })");
    want_expr("f({1, 2})", "(call f {set 1 2 })");
    want_expr("x in {1}", "(in x {set 1 })");
    want_expr("f({k: v for k, v in d})", "(call f (dictcomp (for 0u1 d) (let k) (let v) k: v))");
    want_expr("f({x for x in xs if x})", "(call f (setcomp (for x xs) (if x) x))");
    want_expr("d[1, 2]", "(index d (tuple 1 2))");
    Run *r = parse_ok("if x == {} {\n    del d[1], xs[0]\n}\nlet e = {\n    1: 2,\n}\n");
    const Node *st = r->prog.top;
    assert_int_equal(st->kind, ND_IF);
    const Node *del = st->then->body;
    assert_int_equal(del->kind, ND_DEL);
    assert_int_equal(del->targets->kind, ND_INDEX);
    assert_int_equal(del->targets->next->kind, ND_INDEX);
    assert_int_equal(st->next->kind, ND_LET);
    assert_int_equal(st->next->rhs->kind, ND_DICT);
    done(r);
}

static void test_literals(void **state) {
    (void)state;
    want_expr("[]", "[ ]");
    want_expr("[1, 2, 3,]", "[ 1 2 3 ]");
    want_expr("[[1], [2, 3]]", "[ [ 1 ] [ 2 3 ] ]");
    want_expr("[\n 1,\n 2\n]", "[ 1 2 ]");
    want_expr("true", "true");
    want_expr("false", "false");
    want_expr("1.5", "1.5");
    want_expr("\"a{x}b\"", "(str 'a' x 'b')");
    want_expr("''", "(str '')");
    want_expr("-9223372036854775808", "-9223372036854775808");
    want_expr("-0x8000000000000000", "-9223372036854775808");
    want_expr("- -9223372036854775808", "(neg -9223372036854775808)");
    want_expr("-9223372036854775808 * 2", "(* -9223372036854775808 2)");
    want_expr("-9223372036854775807", "(neg 9223372036854775807)");
    /* the folded literal spans the minus */
    Run *r = parse_ok("x(-9223372036854775808)");
    assert_int_equal(r->prog.top->lhs->args->span.begin, 2);
    done(r);
}

/* Every occurrence of a name is one copy, also inside an interpolation
 * (a parser of its own); a name that begins another is not it. */
static void test_names_are_shared(void **state) {
    (void)state;
    Run *r = parse_ok("let ab = 1\nlet a = ab\nprint(\"{ab} {a}\")\n");
    Node *let1 = r->prog.top, *let2 = let1->next, *call = let2->next->lhs;
    Node *part = call->args->parts; /* {ab} */
    assert_string_equal(let1->name, "ab");
    assert_string_equal(let2->name, "a");
    assert_ptr_equal(let1->name, let2->rhs->name);
    assert_ptr_equal(let1->name, part->name);
    assert_ptr_equal(let2->name, part->next->next->name);
    assert_ptr_not_equal(let1->name, let2->name);
    done(r);
}

static void test_big_literal_errors(void **state) {
    (void)state;
    const char *msg = "integer literal is too large (the maximum is 9223372036854775807)";
    want_error("x = 9223372036854775808", msg, 1, 5);
    want_error("x = 1 + 9223372036854775808", msg, 1, 9);
    want_error("x = -(9223372036854775808)", msg, 1, 7);
    want_error("x = -9223372036854775808 ** 2", msg, 1, 6);
    want_error("x = 2 ** 9223372036854775808", msg, 1, 10);
    want_error("x = +9223372036854775808", msg, 1, 6);
    want_error("x = ~9223372036854775808", msg, 1, 6);
    want_error("x = 9223372036854775808[0]", msg, 1, 5);
    want_error("f(9223372036854775808)", msg, 1, 3);
    want_error("x = [9223372036854775808]", msg, 1, 6);
    want_error("x = 9223372036854775808 < 1", msg, 1, 5);
    want_error("x = not 9223372036854775808", msg, 1, 9);
}

/* ---- statements --------------------------------------------------------------- */

static void test_simple_statements(void **state) {
    (void)state;
    Run *r = parse_ok("let x = 1\nlet y: float = 2\nx = 3; x += 1\ny **= 2\npass\nf(x)\n");
    Node *n = r->prog.top;
    assert_int_equal(n->kind, ND_LET);
    assert_string_equal(n->name, "x");
    assert_null(n->decl_type);
    assert_int_equal(n->rhs->ival, 1);
    assert_int_equal(n->name_span.begin, 4);
    n = n->next;
    assert_int_equal(n->kind, ND_LET);
    assert_ptr_equal(n->decl_type, type_basic(TY_FLOAT));
    assert_int_equal(n->type_span.begin, 17);
    assert_int_equal(n->type_span.end, 22);
    n = n->next;
    assert_int_equal(n->kind, ND_ASSIGN);
    assert_int_equal(n->op, OP_NONE);
    assert_string_equal(n->lhs->name, "x");
    n = n->next;
    assert_int_equal(n->kind, ND_ASSIGN);
    assert_int_equal(n->op, OP_ADD);
    n = n->next;
    assert_int_equal(n->op, OP_POW);
    n = n->next;
    assert_int_equal(n->kind, ND_PASS);
    n = n->next;
    assert_int_equal(n->kind, ND_EXPR_STMT);
    assert_int_equal(n->lhs->kind, ND_CALL);
    assert_null(n->next);
    assert_null(r->prog.defs);
    done(r);

    r = parse_ok("a[i] = 1\nv.value -= 2\na[i].x //= 3\n");
    assert_int_equal(r->prog.top->lhs->kind, ND_INDEX);
    assert_int_equal(r->prog.top->next->lhs->kind, ND_MEMBER);
    assert_int_equal(r->prog.top->next->next->op, OP_FLOORDIV);
    done(r);
}

static void test_compound_statements(void **state) {
    (void)state;
    Run *r = parse_ok("if a { x = 1 } elif b { x = 2 } elif c {\n x = 3\n} else { x = 4 }\n"
                      "while x < 10 { x += 1; continue }\n"
                      "for i in range(3) { if i == 1 { break } }\n"
                      "lock counter { counter.value += 1 }\n"
                      "if a {\n}\n"
                      "if a {} else {}\n");
    Node *n = r->prog.top;
    assert_int_equal(n->kind, ND_IF);
    assert_string_equal(n->cond->name, "a");
    assert_int_equal(n->then->kind, ND_BLOCK);
    assert_int_equal(n->then->body->kind, ND_ASSIGN);
    Node *e = n->els;
    assert_int_equal(e->kind, ND_IF); /* elif */
    assert_string_equal(e->cond->name, "b");
    assert_int_equal(e->span.begin, 15); /* from 'elif' */
    e = e->els;
    assert_int_equal(e->kind, ND_IF);
    assert_string_equal(e->cond->name, "c");
    assert_int_equal(e->els->kind, ND_BLOCK); /* else */
    assert_int_equal(e->els->body->rhs->ival, 4);
    n = n->next;
    assert_int_equal(n->kind, ND_WHILE);
    assert_int_equal(n->cond->op, OP_LT);
    assert_int_equal(n->body->body->kind, ND_ASSIGN);
    assert_int_equal(n->body->body->next->kind, ND_CONTINUE);
    n = n->next;
    assert_int_equal(n->kind, ND_FOR);
    assert_string_equal(n->name, "i");
    assert_int_equal(n->rhs->kind, ND_CALL);
    assert_int_equal(n->body->body->kind, ND_IF);
    assert_int_equal(n->body->body->then->body->kind, ND_BREAK);
    n = n->next;
    assert_int_equal(n->kind, ND_LOCK);
    assert_string_equal(n->lhs->name, "counter");
    assert_int_equal(n->body->kind, ND_BLOCK);
    n = n->next;
    assert_int_equal(n->kind, ND_IF);
    assert_null(n->then->body);
    assert_null(n->els);
    n = n->next;
    assert_int_equal(n->els->kind, ND_BLOCK);
    assert_null(n->next);
    done(r);
}

static void test_defs(void **state) {
    (void)state;
    Run *r =
        parse_ok("def f() { pass }\n"
                 "x = 1\n"
                 "def g(a: int, b: list[str],) -> float {\n"
                 "    return 1.5\n"
                 "}\n"
                 "def h(c: conn[list[int]], q: queue[str], v: value[float], xs: array[bool]) {\n"
                 "    return\n"
                 "}\n"
                 "f()\n");
    Node *d = r->prog.defs;
    assert_int_equal(d->kind, ND_DEF);
    assert_string_equal(d->name, "f");
    assert_null(d->params);
    assert_null(d->ret_type);
    assert_int_equal(d->body->kind, ND_BLOCK);
    assert_int_equal(d->name_span.begin, 4);
    d = d->next;
    assert_string_equal(d->name, "g");
    assert_ptr_equal(d->ret_type, type_basic(TY_FLOAT));
    Node *p = d->params;
    assert_int_equal(p->kind, ND_PARAM);
    assert_string_equal(p->name, "a");
    assert_ptr_equal(p->decl_type, type_basic(TY_INT));
    p = p->next;
    assert_ptr_equal(p->decl_type, type_of(TY_LIST, type_basic(TY_STR)));
    assert_null(p->next);
    assert_int_equal(d->body->body->kind, ND_RETURN);
    assert_int_equal(d->body->body->lhs->kind, ND_FLOAT);
    d = d->next;
    p = d->params;
    assert_ptr_equal(p->decl_type, type_of(TY_CONN, type_of(TY_LIST, type_basic(TY_INT))));
    assert_ptr_equal(p->next->decl_type, type_of(TY_QUEUE, type_basic(TY_STR)));
    assert_ptr_equal(p->next->next->decl_type, type_of(TY_VALUE, type_basic(TY_FLOAT)));
    assert_ptr_equal(p->next->next->next->decl_type, type_of(TY_ARRAY, type_basic(TY_BOOL)));
    assert_int_equal(d->body->body->kind, ND_RETURN);
    assert_null(d->body->body->lhs);
    assert_null(d->next);
    /* the rest, in order */
    assert_int_equal(r->prog.top->kind, ND_ASSIGN);
    assert_int_equal(r->prog.top->next->kind, ND_EXPR_STMT);
    assert_null(r->prog.top->next->next);
    done(r);
}

static void test_declarations(void **state) {
    (void)state;
    Run *r = parse_ok("pipe a, b: str\n"
                      "pipe tx -> rx: list[int]\n"
                      "queue q: str\n"
                      "queue q2: str[64]\n"
                      "queue q3: list[int]\n"
                      "queue q4: list[int][n + 1]\n"
                      "value v: int = 0\n"
                      "value w: float\n"
                      "array xs: int = [1, 2, 3]\n"
                      "array ys: float[1000]\n"
                      "process p = f(1, x=2)\n"
                      "process w4[4] = f(a)\n"
                      "process w5[n] as i = f(i)\n"
                      "start p, w4\n"
                      "join p\n");
    Node *n = r->prog.top;
    assert_int_equal(n->kind, ND_PIPE);
    assert_string_equal(n->name, "a");
    assert_string_equal(n->name2, "b");
    assert_false(n->oneway);
    assert_ptr_equal(n->decl_type, type_basic(TY_STR));
    assert_int_equal(n->name2_span.begin, 8);
    n = n->next;
    assert_string_equal(n->name, "tx");
    assert_string_equal(n->name2, "rx");
    assert_true(n->oneway);
    assert_ptr_equal(n->decl_type, type_of(TY_LIST, type_basic(TY_INT)));
    n = n->next;
    assert_int_equal(n->kind, ND_QUEUE);
    assert_ptr_equal(n->decl_type, type_basic(TY_STR));
    assert_null(n->lhs);
    n = n->next;
    assert_string_equal(n->name, "q2");
    assert_ptr_equal(n->decl_type, type_basic(TY_STR));
    assert_int_equal(n->lhs->ival, 64);
    assert_int_equal(n->type_span.end - n->type_span.begin, 3);
    n = n->next;
    assert_ptr_equal(n->decl_type, type_of(TY_LIST, type_basic(TY_INT)));
    assert_null(n->lhs);
    n = n->next;
    assert_ptr_equal(n->decl_type, type_of(TY_LIST, type_basic(TY_INT)));
    assert_int_equal(n->lhs->kind, ND_BINARY);
    n = n->next;
    assert_int_equal(n->kind, ND_VALUE);
    assert_ptr_equal(n->decl_type, type_basic(TY_INT));
    assert_int_equal(n->rhs->kind, ND_INT);
    n = n->next;
    assert_null(n->rhs);
    n = n->next;
    assert_int_equal(n->kind, ND_ARRAY);
    assert_null(n->lhs);
    assert_int_equal(n->rhs->kind, ND_LIST);
    n = n->next;
    assert_int_equal(n->lhs->ival, 1000);
    assert_null(n->rhs);
    assert_ptr_equal(n->decl_type, type_basic(TY_FLOAT));
    n = n->next;
    assert_int_equal(n->kind, ND_PROCESS);
    assert_string_equal(n->name, "p");
    assert_null(n->lhs);
    assert_int_equal(n->rhs->kind, ND_CALL);
    assert_null(n->index_name);
    n = n->next;
    assert_int_equal(n->lhs->ival, 4);
    assert_null(n->index_name);
    n = n->next;
    assert_string_equal(n->lhs->name, "n");
    assert_string_equal(n->index_name, "i");
    assert_int_equal(n->index_span.begin,
                     (uint32_t)(strstr(r->src.text, "as i") - r->src.text + 3));
    n = n->next;
    assert_int_equal(n->kind, ND_START);
    assert_string_equal(n->targets->name, "p");
    assert_string_equal(n->targets->next->name, "w4");
    assert_int_equal(n->targets->kind, ND_NAME);
    n = n->next;
    assert_int_equal(n->kind, ND_JOIN);
    assert_null(n->targets->next);
    done(r);
}

static void test_separators(void **state) {
    (void)state;
    Run *r = parse_ok(";\n\nx = 1;;\n\n;y = 2;\n");
    assert_int_equal(r->prog.top->kind, ND_ASSIGN);
    assert_int_equal(r->prog.top->next->kind, ND_ASSIGN);
    done(r);
    r = parse_ok("");
    assert_null(r->prog.top);
    assert_null(r->prog.defs);
    done(r);
    r = parse_ok("# only a comment");
    assert_null(r->prog.top);
    done(r);
    r = parse_ok("if a { x = 1; y = 2 }");
    assert_int_equal(r->prog.top->then->body->next->kind, ND_ASSIGN);
    done(r);
}

/* The programs of the language sketch. */
static void test_sketch_programs(void **state) {
    (void)state;
    Run *r = parse_ok("# 05_pipe.mp\n"
                      "def sender(conn: conn[str], messages: list[str]) {\n"
                      "    for msg in messages {\n"
                      "        conn.send(msg)\n"
                      "        while true {\n"
                      "            let response = conn.recv()\n"
                      "            if response == \"ack\" { break }\n"
                      "            conn.send(msg)                  # retry\n"
                      "        }\n"
                      "    }\n"
                      "    conn.close()\n"
                      "}\n"
                      "\n"
                      "def receiver(conn: conn[str]) {\n"
                      "    while true {\n"
                      "        let message = conn.recv()\n"
                      "        conn.send(\"ack\")\n"
                      "        print(\"Received: {message}\")\n"
                      "        if message == \"Bye\" {\n"
                      "            print(\"Closing connection...\")\n"
                      "            conn.close()\n"
                      "            break\n"
                      "        }\n"
                      "    }\n"
                      "}\n"
                      "\n"
                      "let messages = [\"Hi\", \"How are you?\", \"Bye\"]\n"
                      "pipe parent_conn, child_conn: str\n"
                      "process sender_process = sender(parent_conn, messages)\n"
                      "process receiver_process = receiver(child_conn)\n"
                      "start sender_process, receiver_process\n"
                      "join sender_process, receiver_process\n");
    done(r);
    r = parse_ok("def increment_counter(counter: value[int]) {\n"
                 "    counter.value += 1\n"
                 "}\n"
                 "value counter: int = 0\n"
                 "process workers[5] = increment_counter(counter)\n"
                 "start workers\n"
                 "join workers\n"
                 "print(\"Counter value: {counter.value}\")\n"
                 "def square_numbers(numbers: array[int]) {\n"
                 "    for i in range(len(numbers)) {\n"
                 "        numbers[i] = numbers[i] ** 2\n"
                 "    }\n"
                 "}\n"
                 "array shared_numbers: int = [1, 2, 3, 4, 5]\n"
                 "process squarers[2] = square_numbers(shared_numbers)\n"
                 "start squarers\n"
                 "join squarers\n"
                 "print(\"Shared numbers: {shared_numbers}\")\n");
    done(r);
}

/* ---- types ---------------------------------------------------------------------- */

static void test_types(void **state) {
    (void)state;
    Type *li = type_of(TY_LIST, type_basic(TY_INT));
    assert_ptr_equal(li, type_of(TY_LIST, type_basic(TY_INT)));
    assert_ptr_not_equal(li, type_of(TY_CONN, type_basic(TY_INT)));
    Type *deep = type_basic(TY_STR);
    for (int i = 0; i < 1000; i++) deep = type_of(TY_LIST, deep);
    Type *again = type_basic(TY_STR);
    for (int i = 0; i < 1000; i++) again = type_of(TY_LIST, again);
    assert_ptr_equal(deep, again);
    char buf[64];
    assert_string_equal(type_name(type_basic(TY_INT), buf, sizeof buf), "int");
    assert_string_equal(type_name(li, buf, sizeof buf), "list[int]");
    assert_string_equal(
        type_name(type_of(TY_CONN, type_of(TY_LIST, type_basic(TY_STR))), buf, sizeof buf),
        "conn[list[str]]");
    assert_string_equal(type_name(type_of(TY_QUEUE, type_basic(TY_FLOAT)), buf, sizeof buf),
                        "queue[float]");
    assert_string_equal(type_name(type_of(TY_VALUE, type_basic(TY_BOOL)), buf, sizeof buf),
                        "value[bool]");
    assert_string_equal(type_name(type_of(TY_ARRAY, type_basic(TY_INT)), buf, sizeof buf),
                        "array[int]");
    char small[12];
    type_name(deep, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_true(type_is_message(type_basic(TY_STR)));
    assert_true(type_is_message(type_of(TY_LIST, li)));
    assert_false(type_is_message(type_of(TY_LIST, type_of(TY_CONN, type_basic(TY_INT)))));
    assert_false(type_is_message(type_of(TY_VALUE, type_basic(TY_INT))));
    assert_true(type_is_scalar(type_basic(TY_BOOL)));
    assert_false(type_is_scalar(type_basic(TY_STR)));
    assert_false(type_is_scalar(li));
    /* freed and made again: still interned */
    ast_types_free();
    Type *l2 = type_of(TY_LIST, type_basic(TY_INT));
    assert_ptr_equal(l2, type_of(TY_LIST, type_basic(TY_INT)));
}

static void test_type_errors(void **state) {
    (void)state;
    want_error("let x: foo = 1", "unknown type 'foo'", 1, 8);
    want_error("def f(a: list) {}", "'list' needs an element type, as in 'list[int]'", 1, 10);
    want_error("def f(a: conn) {}", "'conn' needs an element type", 1, 10);
    want_error("def f() -> int[3] {}", "expected a type, not number 3", 1, 16);
    want_error("def f(a: int[str]) {}", "type 'int' takes no '[...]'", 1, 10);
    want_error("def f(a: foo[int]) {}", "unknown type 'foo'", 1, 10);
    want_error("def f(a: list[bar]) {}", "unknown type 'bar'", 1, 15);
    want_error("queue q: 5", "expected a type", 1, 10);
    want_error("queue q: f(x)", "expected a type", 1, 10);
    want_error("queue q: foo[3]", "unknown type 'foo'", 1, 10);
    want_error("array a: int", "array 'a' needs a size", 1, 10);
    want_error("array a: int[3] = [1, 2, 3]",
               "an array takes a size or an initial list, not "
               "both",
               1, 14);
    want_error("let x: queue = 1", "'queue' needs an element type, as in 'queue[int]'", 1, 8);
}

/* ---- syntax errors ------------------------------------------------------------ */

static void test_syntax_errors(void **state) {
    (void)state;
    want_error("let y = f(1 2)\n", "expected ',' or ')' after argument", 1, 13);
    want_error("print(a\n", "'(' was never closed", 1, 6);
    want_error("x = [1, 2\n", "'[' was never closed", 1, 5);
    want_error("if x {\n", "'{' was never closed", 1, 6);
    want_error("f(a))\n", "unmatched ')'", 1, 5);
    want_error("}\n", "unmatched '}'", 1, 1);
    want_error("x = (a]\n", "closing ']' does not match '('", 1, 7);
    want_error("if y = 3 { }\n", "expected '{' after 'if' condition (to compare, use '==')", 1, 6);
    want_error("if y\n{ }\n", "expected '{' after 'if' condition on the same line", 1, 5);
    want_error("while x y { }\n", "expected '{' after 'while' condition", 1, 9);
    want_error("if a {} elif b c {}\n", "expected '{' after 'elif' condition", 1, 16);
    want_error("for x in xs ys {}\n", "expected '{' after 'for' clause", 1, 13);
    want_error("lock v w {}\n", "expected '{' after 'lock' object", 1, 8);
    want_error("def f() x {}\n", "expected '{' or '->' after parameters", 1, 9);
    want_error("def f() -> int x {}\n", "expected '{' after return type", 1, 16);
    want_error("if a {} else b {}\n", "expected '{' after 'else'", 1, 14);
    want_error("if a {} else if b {}\n", "write 'elif' instead of 'else if'", 1, 14);
    want_error("if a {\n}\nelse {\n}\n",
               "unexpected 'else' (an 'else' must follow '}' on the same line)", 3, 1);
    want_error("if a {\n}\nelif b {\n}\n", "unexpected 'elif' (an 'elif' must follow '}'", 3, 1);
    want_error("x = \n", "expected an expression", 1, 5);
    want_error("x = 1 +\n", "expected an expression", 1, 8);
    want_error("x = 3 +* 4\n", "expected an expression, not '*'", 1, 8);
    want_error("f(,)\n", "expected an expression or ')', not ','", 1, 3);
    want_error("x = a < b < c\n", "comparisons cannot be chained; use 'and'", 1, 11);
    want_error("x = a == b != c\n", "comparisons cannot be chained; use 'and'", 1, 12);
    want_error("x = 1 2\n", "unexpected number 2 after the end of a statement", 1, 7);
    want_error("x = y = 1\n", "unexpected '='; an assignment is a statement of its own", 1, 7);
    want_error("let while = 3\n", "expected a name, but 'while' is a keyword", 1, 5);
    want_error("def in() {}\n", "expected a name, but 'in' is a keyword", 1, 5);
    want_error("def f(a int) {}\n", "expected ':', not name 'int'", 1, 9);
    want_error("def f(a: int b: int) {}\n", "expected ',' or ')' after parameter", 1, 14);
    want_error("def f(a: int,, b: int) {}\n", "expected a parameter name or ')', not ','", 1, 14);
    want_error("x = [1, 2 3]\n", "expected ',' or ']' after list element", 1, 11);
    want_error("x = a[1 2]\n", "expected ']' after index", 1, 9);
    want_error("x = (1, 2 3)\n", "expected ')'", 1, 11);
    want_error("x.\n", "expected a name after '.', not end of line", 1, 3);
    want_error("pipe a b: int\n", "expected '->', '[' or ',', not name 'b'", 1, 8);
    want_error("for x y {}\n", "expected 'in' or ',', not name 'y'", 1, 7);
    want_error("start\n", "expected a name, not end of line", 1, 6);
    want_error(") = 1\n", "unmatched ')'", 1, 1);
    want_error("= 1\n", "unexpected '=' at the start of a statement", 1, 1);
    want_error("x = 'a' 'b'\n", "unexpected string 'b' after the end of a statement", 1, 9);
    want_error("let x = 1 if\n", "unexpected 'if' after the end of a statement", 1, 11);
    want_error("x = a && b\n", "'&&' is not an operator; use 'and'", 1, 7);
    want_error("x = a == not b\n", "'not' cannot stand here; write (not ...)", 1, 10);
    want_error("def f(a: list[int x]) {}\n", "expected ']' after the element type", 1, 19);
    want_error("print(def)\n", "expected an expression, not the keyword 'def'", 1, 7);
    want_error("x = [1, while]\n", "expected an expression, not the keyword 'while'", 1, 9);
    /* soft keywords are names there */
    want_error("print(start, [1, value])\nx = True = False\n",
               "unexpected '='; an assignment is a statement of its own", 2, 10);
}

static void test_semantic_syntax_errors(void **state) {
    (void)state;
    want_error("f(a=1, 2)\n", "positional argument after a keyword argument", 1, 8);
    want_error("1 = x\n", "cannot assign to a literal", 1, 1);
    want_error("f() = 3\n", "cannot assign to a function call", 1, 1);
    want_error("a + b = 3\n", "cannot assign to the result of '+'", 1, 1);
    want_error("[a] = [1]\n", "cannot assign to a list literal", 1, 1);
    want_error("-a += 1\n", "cannot assign to the result of '-'", 1, 1);
    want_error("process p = 3\n",
               "a process runs a function call, as in 'process p = "
               "worker(...)'",
               1, 13);
    want_error("process w[2] = v\n", "as in 'process w[N] = worker(...)'", 1, 16);
    want_error("process w[2] as i = i\n", "as in 'process w[N] as i = worker(i)'", 1, 21);
}

static void test_top_level_only(void **state) {
    (void)state;
    want_error("def f() {\n    def g() { pass }\n}\n",
               "'def' is only allowed at the top level of the program (functions cannot be "
               "nested)",
               2, 5);
    want_error("if true { start p }\n",
               "'start' is only allowed at the top level of the "
               "program",
               1, 11);
    want_error("while true { join p }\n", "'join' is only allowed at the top level", 1, 14);
    want_error("def f() {\n    pipe a, b: int\n}\n",
               "'pipe' is only allowed at the top "
               "level",
               2, 5);
    want_error("for x in y { queue q: int }\n", "'queue' is only allowed at the top level", 1, 14);
    want_error("lock v { value w: int }\n", "'value' is only allowed", 1, 10);
    want_error("if a { array b: int[3] }\n", "'array' is only allowed", 1, 8);
    want_error("if a { process p = f() }\n", "'process' is only allowed", 1, 8);
    /* the span covers the keyword */
    Run *r = parse("if a { process p = f() }\n");
    assert_non_null(strstr(r->out, "^~~~~~~\n"));
    done(r);
    /* a def's own processes stand directly in its body, not in its blocks */
    r = parse_ok("def f(n: int) {\n    if n == 0 { return }\n    process c = f(n - 1)\n"
                 "    start c\n    c.join()\n}\n");
    Node *body = r->prog.defs->body->body;
    assert_int_equal(body->next->kind, ND_PROCESS);
    assert_int_equal(body->next->next->kind, ND_START);
    done(r);
    want_error("def f() {\n    if true { process p = f() }\n}\n",
               "'process' stands directly in a def's body", 2, 15);
    want_error("def f() {\n    while true {\n        join p\n    }\n}\n",
               "'join' stands directly in a def's body", 3, 9);
    /* after a def, the top level's blocks are the parent's again */
    want_error("def f() {\n    pass\n}\nif a { start p }\n", "'start' is only allowed", 4, 8);
}

/* One run reports several errors, each where it is. */
static void test_recovery(void **state) {
    (void)state;
    Run *r = parse("x = 1 +\n"
                   "let y = 2\n"
                   "f(a b)\n"
                   "def g() {\n"
                   "    let = 3\n"
                   "    h(1\n"
                   "    let z = )\n"
                   "    return 1\n"
                   "}\n"
                   "if a b {\n"
                   "    c = = 2\n"
                   "} else {\n"
                   "    d =\n"
                   "}\n"
                   "x = 2 )\n"
                   "y = @\n"
                   "ok = 1\n");
    const char *want[] = {
        "t.mp:1:8: error: expected an expression",
        "t.mp:3:5: error: expected ',' or ')' after argument",
        "t.mp:5:9: error: expected a name, not '='",
        "t.mp:6:6: error: '(' was never closed",
        "t.mp:7:13: error: unmatched ')'",
        "t.mp:10:6: error: expected '{' after 'if' condition",
        "t.mp:11:9: error: expected an expression, not '='",
        "t.mp:13:8: error: expected an expression",
        "t.mp:15:7: error: unmatched ')'",
        "t.mp:16:5: error: stray '@' in program",
    };
    int n = (int)(sizeof want / sizeof want[0]);
    const char *p = r->out;
    for (int i = 0; i < n; i++) {
        const char *hit = strstr(p, want[i]);
        if (!hit) {
            fprintf(stderr, "missing or out of order: %s\n--- got:\n%s", want[i], r->out);
            fail();
        }
        p = hit + 1;
    }
    if (r->diag.errors != n) {
        fprintf(stderr, "want %d errors, got %d:\n%s", n, r->diag.errors, r->out);
        fail();
    }
    done(r);
}

static void test_too_many_errors(void **state) {
    (void)state;
    char text[2000] = "";
    for (int i = 0; i < 40; i++) strcat(text, "x = )\n");
    Run *r = parse(text);
    assert_int_equal(r->diag.errors, 21);
    assert_non_null(strstr(r->out, "t.mp:20:5: error: unmatched ')'"));
    assert_null(strstr(r->out, "t.mp:21:5"));
    assert_non_null(strstr(r->out, "mpc: error: too many syntax errors; stopping after 20\n"));
    done(r);
}

/* ---- limits ---------------------------------------------------------------------- */

static char *repeat(const char *head, const char *unit, int n, const char *mid, const char *unit2,
                    int n2, const char *tail) {
    size_t len = strlen(head) + strlen(unit) * (size_t)n + strlen(mid) +
                 strlen(unit2) * (size_t)n2 + strlen(tail) + 1;
    char *s = malloc(len), *p = s;
    assert_non_null(s);
    p += sprintf(p, "%s", head);
    for (int i = 0; i < n; i++) p += sprintf(p, "%s", unit);
    p += sprintf(p, "%s", mid);
    for (int i = 0; i < n2; i++) p += sprintf(p, "%s", unit2);
    sprintf(p, "%s", tail);
    return s;
}

static void test_nesting_limit(void **state) {
    (void)state;
    char *s = repeat("x = ", "(", 256, "1", ")", 256, "\n");
    Run *r = parse_ok(s);
    done(r);
    free(s);
    s = repeat("x = ", "(", 257, "1", ")", 257, "\n");
    want_error(s, "nesting too deep (limit 256)", 1, 261);
    free(s);
    s = repeat("x = ", "(", 10000, "1", ")", 10000, "\n");
    want_error(s, "nesting too deep (limit 256)", 1, 261);
    free(s);
    s = repeat("x = ", "[", 10000, "", "]", 10000, "\n");
    want_error(s, "nesting too deep (limit 256)", 1, 261);
    free(s);
    s = repeat("", "if a {\n", 300, "", "}\n", 300, "");
    want_error(s, "nesting too deep (limit 256)", 257, 6);
    free(s);
    /* brackets and blocks count together */
    s = repeat("", "if a {\n", 200, "x = ", "(", 100, "1");
    want_error(s, "nesting too deep (limit 256)", 201, 61);
    free(s);
    /* and interpolations */
    s = repeat("x = \"{", "(", 300, "", ")", 300, "}\"\n");
    want_error(s, "nesting too deep (limit 256)", 1, 262);
    free(s);
    s = repeat("if a { pass }", " elif a { pass }", 400, "", "", 0, "\n");
    want_error(s, "too many 'elif' branches (nesting limit 256)", 1, 4102);
    free(s);
    /* an elif chain counts too: a bracket in a late branch's body says so,
     * and names the limit and the branch it is in */
    s = repeat("if a { pass }", " elif a { f(1) }", 255, "", "", 0, "\n");
    want_error(s,
               "too many 'elif' branches (nesting limit 256): this '(' would be level 257, "
               "counting each 'elif' before it (255) and each open bracket and block (1)",
               1, 4089);
    free(s);
    s = repeat("if a { pass }", " elif a { f(1) }", 255, "", "", 0, "\n");
    r = parse(s);
    assert_non_null(strstr(r->out, "note: inside this 'elif', the 255th"));
    assert_non_null(strstr(r->out, "note: the first 'elif' counted is here"));
    done(r);
    free(s);
    s = repeat("if a {\n", "if a {\n", 255, "x = \"{a + 1}\"\n", "}\n", 256, "");
    want_error(s, "nesting too deep (limit 256): this interpolation would be level 257", 257, 6);
    free(s);
    s = repeat("if a { pass }", " elif a { pass }", 200, "\n", "if a { pass } elif a { pass }\n",
               200, "");
    r = parse_ok(s);
    done(r);
    free(s);
}

static void test_expression_limit(void **state) {
    (void)state;
    char *s = repeat("x = 1", " + 1", 999, "", "", 0, "\n");
    Run *r = parse_ok(s);
    done(r);
    free(s);
    const char *msg = "expression too complex (more than 1000 operators)";
    s = repeat("x = 1", " + 1", 50000, "", "", 0, "\n");
    want_error(s, msg, 1, 4007);
    free(s);
    s = repeat("x = ", "-", 5000, "1", "", 0, "\n");
    want_error(s, msg, 1, 1005);
    free(s);
    s = repeat("x = 2", " ** 2", 5000, "", "", 0, "\n");
    want_error(s, msg, 1, 5007);
    free(s);
    s = repeat("x = ", "not ", 5000, "a", "", 0, "\n");
    want_error(s, msg, 1, 4005);
    free(s);
    s = repeat("x = a", ".b", 5000, "", "", 0, "\n");
    want_error(s, msg, 1, 2006);
    free(s);
    s = repeat("x = a", "[0]", 5000, "", "", 0, "\n");
    want_error(s, msg, 1, 3006);
    free(s);
    s = repeat("x = f", "()", 5000, "", "", 0, "\n");
    want_error(s, msg, 1, 2006);
    free(s);
    /* separate statements, list elements and arguments do not add up */
    s = repeat("", "x = 1 + 2 * 3 - 4\n", 5000, "x = [", "1 + 1, ", 5000, "0]\nf(1 + 1)\n");
    r = parse_ok(s);
    done(r);
    free(s);
}

static void test_long_inputs(void **state) {
    (void)state;
    /* a 100,000-character name: one error */
    char *s = repeat("", "x", 100000, " = 1\n", "", 0, "");
    want_error(s, "name is too long (100000 characters; the limit is 255)", 1, 1);
    free(s);
    /* a 100,000-character line */
    s = repeat("x = [", "1, ", 33000, "1]\n", "", 0, "");
    Run *r = parse_ok(s);
    done(r);
    free(s);
    s = repeat("x = \"", "{a}", 30000, "\"\n", "", 0, "");
    r = parse_ok(s);
    int parts = 0;
    for (Node *p = r->prog.top->rhs->parts; p; p = p->next) parts++;
    assert_int_equal(parts, 30000);
    done(r);
    free(s);
    s = repeat("f(", "a, ", 30000, "b)\n", "", 0, "");
    r = parse_ok(s);
    done(r);
    free(s);
    /* many lines */
    s = repeat("", "x = 1\n", 100000, "", "", 0, "");
    r = parse_ok(s);
    done(r);
    free(s);
}

/* Several parses in one process: nothing is kept between them. */
static void test_repeated(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++) {
        Run *r = parse("x = \"{a} {b + 1} {'{c}'}\"\ny = )\n");
        assert_int_equal(r->diag.errors, 1);
        done(r);
    }
}

/* ---- dump --------------------------------------------------------------------------- */

static char *dump(const char *text) {
    Run *r = parse_ok(text);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    ast_dump(f, &r->prog, &r->src);
    fclose(f);
    done(r);
    return out;
}

static void want_dump(const char *text, const char *want) {
    char *got = dump(text);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "--- source:\n%s\n--- got:\n%s--- want:\n%s", text, got, want);
        fail();
    }
    free(got);
}

static void test_dump(void **state) {
    (void)state;
    want_dump("def f(n: int, c: conn[list[str]]) -> float {\n"
              "    let x: list[int] = [1, -2]\n"
              "    if n >= 0 and not x { return 1.5 } elif n { x[0] += 1 } else { pass }\n"
              "    return 2.0\n"
              "}\n"
              "queue q: str[8]\n"
              "process w[2] as i = f(i, c=a.b)\n"
              "print(\"a\\t{n}\\\"b\", 1e100, true)\n"
              "start w\n",
              "program\n"
              "  def f -> float @1:1-5:2\n"
              "    param n: int @1:7-1:13\n"
              "    param c: conn[list[str]] @1:15-1:33\n"
              "    block @1:44-5:2\n"
              "      let x: list[int] @2:5-2:31\n"
              "        list @2:24-2:31\n"
              "          int 1 @2:25-2:26\n"
              "          unary '-' @2:28-2:30\n"
              "            int 2 @2:29-2:30\n"
              "      if @3:5-3:74\n"
              "        cond: binary 'and' @3:8-3:24\n"
              "          binary '>=' @3:8-3:14\n"
              "            name n @3:8-3:9\n"
              "            int 0 @3:13-3:14\n"
              "          unary 'not' @3:19-3:24\n"
              "            name x @3:23-3:24\n"
              "        then: block @3:25-3:39\n"
              "          return @3:27-3:37\n"
              "            float 1.5 @3:34-3:37\n"
              "        else: if @3:40-3:74\n"
              "          cond: name n @3:45-3:46\n"
              "          then: block @3:47-3:60\n"
              "            assign '+=' @3:49-3:58\n"
              "              target: index @3:49-3:53\n"
              "                name x @3:49-3:50\n"
              "                int 0 @3:51-3:52\n"
              "              value: int 1 @3:57-3:58\n"
              "          else: block @3:66-3:74\n"
              "            pass @3:68-3:72\n"
              "      return @4:5-4:15\n"
              "        float 2.0 @4:12-4:15\n"
              "  queue q: str @6:1-6:16\n"
              "    bound: int 8 @6:14-6:15\n"
              "  process w group as i @7:1-7:32\n"
              "    count: int 2 @7:11-7:12\n"
              "    call @7:21-7:32\n"
              "      callee: name f @7:21-7:22\n"
              "      arg: name i @7:23-7:24\n"
              "      arg: kwarg c @7:26-7:31\n"
              "        member b @7:28-7:31\n"
              "          name a @7:28-7:29\n"
              "  expr @8:1-8:32\n"
              "    call @8:1-8:32\n"
              "      callee: name print @8:1-8:6\n"
              "      arg: str @8:7-8:18\n"
              "        strpart \"a\\t\" @8:8-8:11\n"
              "        name n @8:12-8:13\n"
              "        strpart \"\\\"b\" @8:14-8:17\n"
              "      arg: float 1e+100 @8:20-8:25\n"
              "      arg: bool true @8:27-8:31\n"
              "  start @9:1-9:8\n"
              "    name w @9:7-9:8\n");
}

static void test_dump_order_and_escapes(void **state) {
    (void)state;
    /* defs and top-level statements come out in source order */
    char *got = dump("x = 1\ndef f() {}\ny = 2\ndef g() {}\n");
    const char *a = strstr(got, "assign");
    const char *f = strstr(got, "def f");
    const char *y = strstr(f, "assign");
    const char *g = strstr(got, "def g");
    assert_true(a && f && y && g && a < f && f < y && y < g);
    free(got);
    got = dump("x = \"\\x00\\x7f\\u{e9}\\n\\\\\"\n");
    assert_non_null(strstr(got, "strpart \"\\x00\\x7f\\xc3\\xa9\\n\\\\\""));
    free(got);
    got = dump("x = 0.1 + 1e-7 + 3.0 + 123456789.0\n");
    assert_non_null(strstr(got, "float 0.1 "));
    assert_non_null(strstr(got, "float 1e-07 "));
    assert_non_null(strstr(got, "float 3.0 "));
    assert_non_null(strstr(got, "float 123456789.0 "));
    free(got);
}

static void test_node_helpers(void **state) {
    (void)state;
    Arena a;
    arena_init(&a);
    Node *l = node_new(&a, ND_INT, (Span){4, 5});
    Node *r = node_new(&a, ND_INT, (Span){8, 9});
    assert_null(l->next);
    assert_null(l->type);
    Node *b = node_binary(&a, OP_SUB, l, r, span_join(l->span, r->span));
    assert_int_equal(b->kind, ND_BINARY);
    assert_int_equal(b->op, OP_SUB);
    assert_ptr_equal(b->lhs, l);
    assert_ptr_equal(b->rhs, r);
    assert_int_equal(b->span.begin, 4);
    assert_int_equal(b->span.end, 9);
    Span s = span_join((Span){8, 9}, (Span){4, 5});
    assert_int_equal(s.begin, 4);
    assert_int_equal(s.end, 9);
    arena_free(&a);
    assert_string_equal(op_spelling(OP_FLOORDIV), "//");
    assert_string_equal(op_spelling(OP_POW), "**");
    assert_string_equal(op_spelling(OP_AND), "and");
    assert_string_equal(op_spelling(OP_NOT), "not");
    assert_string_equal(op_spelling(OP_BITNOT), "~");
    assert_string_equal(op_spelling(OP_NE), "!=");
    assert_string_equal(op_spelling(OP_SHR), ">>");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_postfix),
        cmocka_unit_test(test_slices_in_comprehensions),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_names_are_shared),
        cmocka_unit_test(test_dict_and_set_displays),
        cmocka_unit_test(test_big_literal_errors),
        cmocka_unit_test(test_simple_statements),
        cmocka_unit_test(test_compound_statements),
        cmocka_unit_test(test_defs),
        cmocka_unit_test(test_declarations),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_sketch_programs),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_semantic_syntax_errors),
        cmocka_unit_test(test_top_level_only),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_too_many_errors),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_expression_limit),
        cmocka_unit_test(test_long_inputs),
        cmocka_unit_test(test_repeated),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_dump_order_and_escapes),
        cmocka_unit_test(test_node_helpers),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ast_types_free();
    return failed;
}
