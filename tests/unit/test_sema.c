/* Unit tests of sema: parse small sources, check them, and look at the
 * diagnostics, the inferred types, and the facts left for code generation. */
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
#include "gen.h"
#include "parse.h"
#include "builtins.h"
#include "sema.h"

#include "front_test.h"

typedef Front Run;

/* Parses and checks TEXT; the diagnostics are in r->out. */
static void run(Run *r, const char *text) {
    front_open(r, text, strlen(text));
    if (front_parse(r)) sema_check(&r->prog, &r->arena, &r->diag);
    front_end_diag(r);
}

static void done(Run *r) { front_close(r); }

static void expect_clean(const char *text) {
    Run r;
    run(&r, text);
    if (!r.parsed || r.diag.errors || r.diag.warnings) {
        fprintf(stderr, "--- source:\n%s--- diagnostics:\n%s", text, r.out);
        fail_msg("expected no diagnostics");
    }
    done(&r);
}

/* TEXT must give an error whose message contains MSG (and parse). */
static void expect_error(const char *text, const char *msg) {
    Run r;
    run(&r, text);
    if (!r.parsed) {
        fprintf(stderr, "--- source:\n%s--- diagnostics:\n%s", text, r.out);
        fail_msg("did not parse");
    }
    if (r.diag.errors == 0 || !strstr(r.out, msg)) {
        fprintf(stderr, "--- source:\n%s--- expected: %s\n--- diagnostics:\n%s", text, msg, r.out);
        fail_msg("expected error not found");
    }
    done(&r);
}

/* TEXT must give no error and a warning containing MSG. */
static void expect_warning(const char *text, const char *msg) {
    Run r;
    run(&r, text);
    if (!r.parsed || r.diag.errors || !r.diag.warnings || !strstr(r.out, msg)) {
        fprintf(stderr, "--- source:\n%s--- expected warning: %s\n--- diagnostics:\n%s", text, msg,
                r.out);
        fail_msg("expected warning not found");
    }
    done(&r);
}

/* The type name of the last top-level `let` of TEXT (which must check). */
static void expect_let_type(const char *text, const char *type) {
    Run r;
    run(&r, text);
    if (!r.parsed || r.diag.errors) {
        fprintf(stderr, "--- source:\n%s--- diagnostics:\n%s", text, r.out);
        fail_msg("expected no errors");
    }
    Node *last = NULL;
    for (Node *st = r.prog.top; st; st = st->next)
        if (st->kind == ND_LET) last = st;
    assert_non_null(last);
    assert_non_null(last->sym);
    char buf[128];
    assert_string_equal(type_name(last->sym->type, buf, sizeof buf), type);
    assert_non_null(last->rhs->type);
    done(&r);
}

static const char *DEF_WORKER = "def worker(name: str, age: int) {\n"
                                "    print(\"{name} {age}\")\n"
                                "}\n";

/* ---- clean programs ------------------------------------------------------ */

static void test_examples_clean(void **state) {
    (void)state;
    expect_clean("def worker() {\n    print(\"pid {getpid()}\")\n}\n"
                 "process p = worker()\nstart p\nprint(\"parent {getpid()}\")\njoin p\n");
    expect_clean("def worker(name: str, age: int) {\n    print(\"{name} {age}\")\n}\n"
                 "process p = worker(\"John\", age=25)\nstart p\njoin p\n");
    expect_clean("def sender(conn: conn[str], messages: list[str]) {\n"
                 "    for msg in messages {\n        conn.send(msg)\n"
                 "        while true {\n            let response = conn.recv()\n"
                 "            if response == \"ack\" { break }\n            conn.send(msg)\n"
                 "        }\n    }\n    conn.close()\n}\n"
                 "def receiver(conn: conn[str]) {\n    while true {\n"
                 "        let message = conn.recv()\n        conn.send(\"ack\")\n"
                 "        if message == \"Bye\" {\n            conn.close()\n            break\n"
                 "        }\n    }\n}\n"
                 "let messages = [\"Hi\", \"How are you?\", \"Bye\"]\n"
                 "pipe parent_conn, child_conn: str\n"
                 "process s = sender(parent_conn, messages)\n"
                 "process r = receiver(child_conn)\nstart s, r\njoin s, r\n");
    expect_clean(
        "def producer(q: queue[str]) {\n    q.put(\"Item 1\")\n}\n"
        "def consumer(q: queue[str]) {\n    for item in q {\n        print(item)\n    }\n}\n"
        "queue q: str\nprocess a = producer(q)\nprocess b = consumer(q)\n"
        "start a, b\njoin a, b\n");
    expect_clean("def inc(counter: value[int]) {\n    counter.value += 1\n}\n"
                 "value counter: int = 0\nprocess workers[5] = inc(counter)\n"
                 "start workers\njoin workers\nprint(\"{counter.value}\")\n");
    expect_clean("def sq(numbers: array[int]) {\n    for i in range(len(numbers)) {\n"
                 "        numbers[i] = numbers[i] ** 2\n    }\n}\n"
                 "array shared: int = [1, 2, 3]\nprocess s[2] = sq(shared)\n"
                 "start s\njoin s\nprint(\"{shared}\")\n");
    expect_clean("def f(i: int, q: queue[int]) { q.put(i) }\n"
                 "queue q: int[8]\nprocess w[4] as i = f(i, q)\nstart w\njoin w\n"
                 "print(w[0].pid, w[1].exitcode, len(w))\n");
}

static void test_hoisting_and_recursion(void **state) {
    (void)state;
    expect_clean("def a(n: int) -> int {\n    if n <= 0 { return 0 }\n    return b(n - 1)\n}\n"
                 "def b(n: int) -> int { return a(n) + 1 }\nprint(a(3))\n");
    expect_clean("print(fact(5))\ndef fact(n: int) -> int {\n"
                 "    if n < 2 { return 1 } else { return n * fact(n - 1) }\n}\n");
}

/* ---- names ---------------------------------------------------------------- */

static void test_names(void **state) {
    (void)state;
    expect_error("print(x)\n", "undefined name 'x'");
    expect_error("let count = 1\nprint(cuont)\n", "did you mean 'count'?");
    expect_error("print(x)\nlet x = 1\n", "declared later");
    expect_error("let x = 1\nlet x = 2\nprint(x)\n", "redefinition of 'x'");
    expect_error("let x = 1\nlet x = 2\nprint(x)\n", "previous definition of 'x'");
    expect_error("def f(a: int, a: int) { print(a) }\n", "duplicate parameter 'a'");
    expect_error("def f(a: int) {\n    let a = 2\n    print(a)\n}\n", "is a parameter of 'f'");
    expect_error("def f() { pass }\ndef f() { pass }\n", "redefinition of 'f'");
    expect_error("let total = 0\ndef f() { print(total) }\n",
                 "'total' is a variable of the parent program; pass it to 'f' as an argument");
    expect_error("def f() { q.put(1) }\nqueue q: int\n",
                 "'q' is a queue of the parent program; pass it to 'f' as an argument");
    expect_error("def worker() { pass }\nlet worker = 1\nprint(worker)\n",
                 "'worker' is already the name of a def");
    expect_error("def f() { p.kill() }\ndef g() { pass }\nprocess p = g()\nstart p\njoin p\n",
                 "a def cannot use the parent program's processes");
    /* scopes end with their blocks */
    expect_error("if true {\n    let y = 1\n    print(y)\n}\nprint(y)\n", "undefined name 'y'");
    /* an inner block may hide an outer variable */
    expect_clean("let x = 1\nif true {\n    let x = \"s\"\n    print(x)\n}\nprint(x)\n");
}

static void test_shadow_and_unused(void **state) {
    (void)state;
    expect_warning("def f() {\n    let len = 3\n    print(len)\n}\n",
                   "variable 'len' shadows the built-in function 'len'");
    expect_warning("def g() { pass }\ndef f(g: int) { print(g) }\n",
                   "parameter 'g' shadows the def 'g'");
    expect_warning("def print() { pass }\n", "def 'print' shadows the built-in function");
    expect_warning("def f() {\n    let x = 1\n}\n", "variable 'x' is never used");
    expect_warning("def f() {\n    let x = 1\n    x = 2\n}\n",
                   "variable 'x' is assigned but never used");
    expect_warning("def f(a: int) { pass }\n", "parameter 'a' of 'f' is never used");
    expect_warning("def f(i: int) { pass }\nprocess w[2] as i = f(1)\nstart w\njoin w\n",
                   "replica index 'i' is never used");
    expect_clean("def f(_a: int) {\n    let _x = 1\n    for i in range(3) { pass }\n}\n");
    expect_clean("let n = 0\nn += 1\n");
}

/* ---- types ---------------------------------------------------------------- */

static void test_inference(void **state) {
    (void)state;
    expect_let_type("let x = 1\n", "int");
    expect_let_type("let x = 1 / 2\n", "float");
    expect_let_type("let x = 7 // 2\n", "int");
    expect_let_type("let x = 1 + 2.5\n", "float");
    expect_let_type("let x = 2 ** 10\n", "int");
    expect_let_type("let x = \"a\" * 3\n", "str");
    expect_let_type("let x = [1, 2.5]\n", "list[float]");
    expect_let_type("let x = [[1], []]\n", "list[list[int]]");
    expect_let_type("let x: list[float] = [1, 2]\n", "list[float]");
    expect_let_type("let x: float = 1\n", "float");
    expect_let_type("let x = [1] + [2]\n", "list[int]");
    expect_let_type("let x = [0] * 4\n", "list[int]");
    expect_let_type("let x = \"b\" < \"a\"\n", "bool");
    expect_let_type("let x = 1 < 2.5\n", "bool");
    expect_let_type("let x = [1] == [2]\n", "bool");
    expect_let_type("let x = abs(-2.5)\n", "float");
    expect_let_type("let x = max(1, 2, 3)\n", "int");
    expect_let_type("let x = min(1, 2.0)\n", "float");
    expect_let_type("let x = str(12) + \"!\"\n", "str");
    expect_let_type("let x = \"abc\"[1]\n", "str");
    expect_let_type("let x = float(\"1.5\")\n", "float");
    expect_let_type("let x = -(3 & 5 | 1 << 2)\n", "int");
    expect_let_type("def f() -> list[str] { return [] }\nlet x = f()\n", "list[str]");
}

static void test_type_errors(void **state) {
    (void)state;
    expect_error("let xs = []\n",
                 "cannot infer the type of an empty list; write 'let xs: list[int] = []'");
    expect_error("let x: int = 1.5\n", "'x' is declared as int but is given a float");
    expect_error("let x = 1\nx = \"a\"\n", "cannot assign a str to 'x' of type int");
    expect_error("let x = 1\nx /= 2\n",
                 "'/=' gives a float, which cannot be stored in 'x' of type int");
    expect_error("print(\"a\" + 1)\n", "cannot apply '+' to str and int");
    expect_error("print(\"a\" + 1)\n", "convert with str(x)");
    expect_error("print(1 + true)\n", "cannot apply '+' to int and bool");
    expect_error("print(1.5 & 1)\n", "cannot apply '&' to float and int");
    expect_error("print([1] + [\"a\"])\n", "cannot apply '+' to list[int] and list[str]");
    expect_error("print(1 == \"a\")\n", "cannot apply '==' to int and str");
    expect_error("print([1] < [\"a\"])\n", "cannot apply '<' to list[int] and list[str]");
    expect_error("print(1 and true)\n", "'and' needs bool operands, not int");
    expect_error("print(not 1)\n", "'not' needs a bool, not int");
    expect_error("print(-\"a\")\n", "cannot apply unary '-' to str");
    expect_error("print(~1.5)\n", "'~' needs an int, not float");
    expect_error("if 1 { pass }\n", "'if' condition must be bool, not int");
    expect_error("while \"x\" { pass }\n", "'while' condition must be bool, not str");
    expect_error("let xs = [1, \"a\"]\n", "list elements must have one type");
    expect_error("let xs: list[int] = [1, \"a\"]\n", "list element must be int, not str");
    expect_error("let x = [1, 2]\nprint(x[1.5])\n", "index must be int, not float");
    expect_error("let x = 5\nprint(x[0])\n", "cannot index an int");
    expect_error("let s = \"abc\"\ns[0] = \"x\"\n", "strs are immutable");
    expect_error("for x in 5 { pass }\n", "cannot loop over an int");
    expect_error("let c: conn[int] = 1\n", "a variable cannot hold a conn[int]");
    expect_error("queue q: int\nlet r = q\n", "a variable cannot hold a queue[int]");
    expect_error("value v: str = \"a\"\n", "a value holds int, float or bool, not str");
    expect_error("array a: list[int][3]\n", "an array holds int, float or bool, not list[int]");
    expect_error("def f(x: list[value[int]]) { pass }\n", "a list cannot hold a value[int]");
    expect_error("queue q: str\nprint(q)\n", "cannot print a queue[str]");
    expect_error("value v: int = 0\nprint(\"{v}\")\n", "cannot interpolate a value[int]");
    expect_error("let x = range(3)\n", "range() can only be used in a for loop");
}

static void test_assign_targets(void **state) {
    (void)state;
    expect_error("def f() { pass }\nf = 1\n", "cannot assign to def 'f'");
    expect_error("len = 1\n", "cannot assign to built-in function 'len'");
    expect_error("value v: int = 0\nv = 1\n", "assign to 'v.value'");
    expect_error("array a: int[3]\na = [1, 2, 3]\n", "assign to its elements");
    expect_error("def f() { pass }\nprocess p = f()\np = 1\nstart p\njoin p\n",
                 "cannot assign to process 'p'");
    expect_error("def f() { pass }\nprocess p = f()\nstart p\njoin p\np.pid = 3\n",
                 "cannot assign to 'p.pid'");
    expect_error("def f(c: conn[int]) {\n    c = c\n}\n", "cannot assign to parameter 'c'");
    expect_clean("def f(x: int, v: value[float], a: array[bool], xs: list[int]) {\n"
                 "    x = 2\n    v.value = x\n    a[x] = true\n    xs[0] = x\n    xs += [x]\n"
                 "    print(x)\n}\n");
}

/* ---- statements --------------------------------------------------------------- */

static void test_returns(void **state) {
    (void)state;
    expect_error("def f() -> int {\n    print(1)\n}\n", "missing return at end of 'f'");
    expect_error("def f(x: int) -> int {\n    if x > 0 { return 1 }\n}\n",
                 "missing return at end of 'f'");
    expect_clean("def f(x: int) -> int {\n    if x > 0 { return 1 } elif x < 0 { return 2 } "
                 "else { return 3 }\n}\nprint(f(1))\n");
    expect_clean("def f() -> int {\n    while true { return 1 }\n}\nprint(f())\n");
    expect_clean("def f() -> int {\n    exit(3)\n}\nprint(f())\n");
    expect_error("def f() -> int {\n    while true { break }\n}\n", "missing return");
    expect_error("def f() {\n    return 1\n}\n", "'f' does not return a value");
    expect_error("def f() -> int {\n    return\n}\n", "'return' needs a value");
    expect_error("def f() -> int {\n    return \"a\"\n}\n", "'f' must return int, not str");
    expect_error("return\n", "'return' outside a def");
    expect_error("def f() { pass }\nlet x = f()\n", "'f' does not return a value");
    expect_error("def f() -> conn[int] { pass }\n", "'f' cannot return a conn[int]");
}

static void test_loops_and_reachability(void **state) {
    (void)state;
    expect_error("break\n", "'break' outside a loop");
    expect_error("def f() { continue }\n", "'continue' outside a loop");
    expect_warning("def f() -> int {\n    return 1\n    print(2)\n}\n", "unreachable code");
    expect_warning("while true {\n    break\n    print(1)\n}\n", "unreachable code");
    expect_warning("while true { pass }\nprint(1)\n", "unreachable code");
    expect_warning("exit(0)\nprint(1)\n", "unreachable code");
    expect_warning("def f(x: int) {\n    if x > 1 { return } else { return }\n    print(x)\n}\n",
                   "unreachable code");
    expect_clean("for c in \"abc\" {\n    print(c + \"!\")\n}\n");
    expect_clean("for i in range(0, 10, 2) { print(i * 2) }\n");
    expect_error("for i in range(0, 10, 0) { print(i) }\n", "range() step must not be zero");
    expect_error("for i in range(1.5) { print(i) }\n", "range() arguments must be int, not float");
    expect_error("value v: int = 0\nlock v {\n    v.value += 1\n}\nqueue q: int\nlock q { pass }\n",
                 "'lock' needs a value or an array, not a queue[int]");
}

/* ---- calls --------------------------------------------------------------------- */

static void call_error(const char *call, const char *msg) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%s\n", DEF_WORKER, call);
    expect_error(buf, msg);
}

static void test_calls(void **state) {
    (void)state;
    call_error("worker(\"a\", 1, 2)", "'worker' takes 2 arguments but 3 were given");
    call_error("worker(\"a\", 1, 2)", "'worker' is defined here");
    call_error("worker(\"a\", agee=3)",
               "'worker' has no parameter named 'agee'; did you mean 'age'?");
    call_error("worker(\"a\", name=\"b\", age=1)", "argument 'name' is given twice");
    call_error("worker(\"a\", name=\"b\", age=1)", "'name' is first given here");
    call_error("worker(\"a\")", "missing argument 'age' in call to 'worker'");
    call_error("worker()", "missing arguments 'name' and 'age' in call to 'worker'");
    call_error("worker(\"a\", \"b\")", "argument 'age' of 'worker' must be int, not str");
    call_error("worker(\"a\", \"b\")", "parameter 'age' is declared here");
    call_error("let x = 1\nx(2)", "'x' is a variable of type int, not a function");
    call_error("print(worker)", "'worker' is a def, not a value");
    call_error("print(len)", "'len' is a built-in function, not a value");
    /* arguments are bound in parameter order */
    Run r;
    run(&r, "def worker(name: str, age: int) { print(name, age) }\nworker(age=25, name=\"J\")\n");
    assert_int_equal(r.diag.errors, 0);
    Node *call = r.prog.top->lhs;
    assert_int_equal(call->kind, ND_CALL);
    assert_int_equal(call->argc, 2);
    assert_int_equal(call->argv[0]->kind, ND_STR);
    assert_int_equal(call->argv[1]->kind, ND_INT);
    assert_ptr_equal(call->callee->sym, r.prog.defs->sym);
    done(&r);
}

static void test_builtins(void **state) {
    (void)state;
    Run r;
    run(&r, "print(len(\"ab\"), str(1), getpid())\n");
    assert_int_equal(r.diag.errors, 0);
    Node *call = r.prog.top->lhs;
    assert_int_equal(call->builtin, B_PRINT);
    assert_int_equal(call->argc, 3 + PRINT_KWARGS); /* the values, then sep end file flush */
    assert_int_equal(call->argv[0]->builtin, B_LEN);
    assert_int_equal(call->argv[1]->builtin, B_STR);
    assert_int_equal(call->argv[2]->builtin, B_GETPID);
    for (int i = 3; i < call->argc; i++) assert_null(call->argv[i]);
    done(&r);
    run(&r, "print(1, flush=True, sep=\"-\", file=stderr)\n");
    assert_int_equal(r.diag.errors, 0);
    call = r.prog.top->lhs;
    assert_int_equal(call->argc, 1 + PRINT_KWARGS);
    assert_int_equal(call->argv[1]->kind, ND_STR); /* sep */
    assert_null(call->argv[2]);                    /* end */
    assert_int_equal(call->argv[3]->type->kind, TY_FILE);
    assert_int_equal(call->argv[4]->kind, ND_BOOL); /* flush */
    done(&r);
    run(&r, "let f = open(\"x\", mode=\"a\")\nlet n = f.write(argv[0])\n");
    assert_int_equal(r.diag.errors, 0);
    call = r.prog.top->rhs;
    assert_int_equal(call->builtin, B_OPEN);
    assert_int_equal(call->argc, 2);
    assert_int_equal(call->type->kind, TY_FILE);
    assert_int_equal(r.prog.top->next->rhs->builtin, M_F_WRITE);
    assert_int_equal(r.prog.top->next->rhs->type->kind, TY_INT);
    done(&r);
    expect_error("print(1, end=2)\n", "argument 'end' of 'print' must be str, not int");
    expect_error("print(1, step=2)\n", "'print' has no parameter named 'step'");
    expect_error("print(stdin)\n", "cannot print a file");
    expect_error("stdin.write(\"x\")\n", "stdin is not writable; write to stdout or stderr");
    expect_error("let s = getenv(\"HOME\")\nprint(s.upper())\n", "'s' may be None");
    expect_error("queue q: int\nq.put(1, 2.0)\n", "'put' takes 1 argument but 2 were given");
    expect_error("let f = open(\"x\", \"rw\")\n", "invalid mode for open()");
    expect_error("argv = []\n", "cannot assign to built-in name 'argv'");
    expect_error("print(len(1))\n", "len() needs a str, list, array or process group, not int");
    expect_error("print(len(\"a\", \"b\"))\n", "'len' takes 1 argument but 2 were given");
    expect_error("print(getpid(1))\n", "'getpid' takes no arguments but 1 was given");
    expect_error("print(min(1))\n", "min() needs a list, str, array or range, not int");
    expect_error("print(max(1, \"a\"))\n", "max() needs numbers, not str");
    expect_error("print(abs(\"a\"))\n", "abs() needs a number, not str");
    expect_error("sleep(\"a\")\n", "sleep() needs a number of seconds, not str");
    expect_error("exit(1.5)\n", "exit() needs an int exit code, not float");
    expect_error("print(int([1]))\n", "int() cannot convert a list[int]");
    expect_error("print(len(\"\", sep=\"\"))\n", "'len' takes no keyword arguments");
    expect_clean(
        "sleep(1)\nsleep(0.5)\nprint(int(\"3\") + int(2.5) + int(true), bool([1]), float(1))\n");
}

static void test_methods(void **state) {
    (void)state;
    expect_error("queue q: int\nq.send(1)\n", "queue has no method 'send'");
    expect_error("queue q: int\nq.send(1)\n",
                 "a queue has: put, get, put_nowait, get_nowait, empty, qsize");
    expect_error("queue q: int\nq.pt(1)\n", "did you mean 'put'?");
    expect_error("queue q: int\nq.put(\"a\")\n", "argument of 'put' must be int, not str");
    expect_error("queue q: int\nprint(q.get(1.0))\n",
                 "'get' takes no positional arguments but 1 was given");
    expect_error("pipe a, b: str\na.send(1)\n", "argument of 'send' must be str, not int");
    expect_error("let xs = [1]\nxs.push(2)\n", "list has no method 'push'");
    expect_error("let s = \"a\"\nprint(s.uper())\n",
                 "str has no method 'uper'; did you mean 'upper'?");
    expect_error("let s = \"a\"\nprint(s.strip(chars=\"a\"))\n",
                 "'strip' takes no keyword arguments");
    expect_error("let s = \"a\"\nprint(s.split(1))\n", "argument of 'split' must be str, not int");
    expect_error("let s = \"a\"\nprint(s.replace(\"a\"))\n",
                 "missing argument 'new' in call to 'replace'");
    expect_error("let s = \"a\"\nprint(s.join([1]))\n", "list element must be str, not int");
    expect_error("let s = \"a\"\nprint(s.find(\"a\", 0, 1, 2))\n",
                 "'find' takes at most 3 arguments but 4 were given");
    expect_error("let s = \"a\"\nlet n: int = s.split()\n", "list[str]");
    expect_error("value v: int = 0\nprint(v.val)\n", "value has no attribute 'val'");
    expect_error("value v: int = 0\nprint(v.value())\n", "'value' is an attribute, not a method");
    expect_error("queue q: int\nprint(q.qsize)\n", "'qsize' is a method; call it");
    expect_error("def f() { pass }\nprocess w[2] = f()\nw.join()\nstart w\njoin w\n",
                 "process group has no method 'join'");
    expect_clean(
        "queue q: int[4]\nq.put(1)\nq.put_nowait(2)\nprint(q.get(), q.get(timeout=0.5), "
        "q.get_nowait(), q.empty(), q.qsize())\n"
        "pipe a, b: list[int]\na.send([1])\nprint(b.recv(), b.poll(), b.poll(1))\na.close()\n"
        "let xs: list[int] = []\nxs.append(1)\n"
        "let s = \" a b \"\nlet parts: list[str] = s.split(maxsplit=1, sep=\" \")\n"
        "print(\"-\".join(parts), s.strip(), s.find(\"a\", 1), s.center(9, \"*\"), s.isdigit())\n");
    Run r;
    run(&r, "queue q: int\nq.put(1)\nprint(q.get(timeout=2))\n");
    assert_int_equal(r.diag.errors, 0);
    Node *put = r.prog.top->next->lhs;
    assert_int_equal(put->builtin, M_PUT);
    assert_int_equal(put->argc, 2); /* obj, timeout (absent) */
    assert_null(put->argv[1]);
    Node *get = r.prog.top->next->next->lhs->argv[0];
    assert_int_equal(get->builtin, M_GET);
    assert_int_equal(get->argc, 1);
    assert_int_equal(get->argv[0]->kind, ND_INT);
    assert_int_equal(get->type->kind, TY_INT);
    done(&r);
}

/* ---- processes -------------------------------------------------------------------- */

static const char *DEF_F = "def f() { pass }\n";

static void proc_error(const char *text, const char *msg) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%s", DEF_F, text);
    expect_error(buf, msg);
}

static void proc_warning(const char *text, const char *msg) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%s", DEF_F, text);
    expect_warning(buf, msg);
}

#define DRAIN                                                      \
    "def drain(q: queue[int]) {\n    for x in q { print(x) }\n}\n" \
    "def fill(q: queue[int]) { q.put(1) }\nqueue q: int\n"

static void test_join_waits_forever(void **state) {
    (void)state;
    const char *msg = "the join would wait forever";
    expect_error(DRAIN "process c = drain(q)\nstart c\njoin c\nq.put(1)\n", msg);
    expect_error(DRAIN "process c = drain(q)\nstart c\nc.join()\nfill(q)\n", msg);
    expect_error(DRAIN "process c = drain(q)\nstart c\nq.put(1)\nc.join()\nprint(q.qsize())\n",
                 msg);
    expect_error(DRAIN
                 "process c = drain(q)\nprocess p = fill(q)\nstart c\njoin c\nstart p\njoin p\n",
                 "'p' is started here");
    expect_error(
        DRAIN "process c = drain(q)\nstart c\njoin c\nprocess p = fill(q)\nstart p\njoin p\n", msg);
    expect_error(DRAIN "process c = drain(q)\nprocess p = fill(q)\nstart c\nc.join()\n",
                 "'p' is declared here and never started");
    expect_error(DRAIN "process w[2] = drain(q)\nstart w\nw[1].join()\nfill(q)\njoin w\n", msg);
    /* quiet: producers started first, the parent done with q, a timeout */
    expect_clean(
        DRAIN "process c = drain(q)\nprocess p = fill(q)\nstart c, p\nfill(q)\njoin c\njoin p\n");
    expect_clean(DRAIN "process c = drain(q)\nstart c\nq.put(1)\nc.join(0.5)\nq.put(2)\njoin c\n");
}

static void test_process_rules(void **state) {
    (void)state;
    proc_error("let x = 1\nstart x\n", "'x' is not a process");
    proc_error("start p\n", "undefined name 'p'");
    proc_error("process p = f()\nstart p\nstart p\njoin p\n", "'p' is already started");
    proc_error("process p = f()\nstart p\nstart p\njoin p\n", "'p' is first started here");
    proc_error("process p = f()\njoin p\nstart p\n", "'p' is joined before it is started");
    proc_error("process p = f()\nstart p\njoin p\njoin p\n", "'p' is already joined");
    proc_error("process p = f()\np.join()\nstart p\n", "'p' is joined before it is started");
    proc_error("process p = f()\np.terminate()\nstart p\njoin p\n",
               "'p' is stopped before it is started");
    /* one rule for both spellings of start and join */
    proc_error("process p = f()\nstart p\np.join()\njoin p\n", "'p' is already joined");
    proc_error("process p = f()\nstart p\njoin p\np.join()\n", "'p' is already joined");
    proc_error("process p = f()\nstart p\njoin p\np.join(1.0)\n", "'p' is already joined");
    proc_error("process p = f()\nstart p\np.join()\np.join()\n", "'p' is already joined");
    /* ... and for one process of a group */
    proc_error("process w[2] = f()\nstart w\nw[0].join()\nw[0].join()\n",
               "'w[0]' is already joined");
    proc_error("process w[2] = f()\nstart w\nw[1].join()\njoin w\n", "'w[1]' is first joined here");
    proc_error("process w[2] = f()\nstart w\nw[0].join()\nif true { w[0].join(1.0) }\n",
               "'w[0]' is already joined");
    expect_clean("def f() { pass }\nprocess w[2] = f()\nstart "
                 "w\nw[0].join(1.0)\nw[0].join()\nw[1].join()\n");
    expect_clean("def f() { pass }\nprocess w[2] = f()\nstart w\nlet i = "
                 "0\nw[i].join()\nw[0].join()\nw[1].join()\n"
                 "print(w[1].exitcode)\n");
    proc_error("process p = f()\np.start()\nstart p\njoin p\n", "'p' is already started");
    proc_error("process p = f()\nif true { p.start() }\n", "must stand at the top level");
    proc_error("process p = f()\np.join()\np.start()\n", "'p' is joined before it is started");
    expect_clean("def f() { pass }\nprocess p = f()\np.start()\np.join()\nprint(p.exitcode)\n");
    expect_clean(
        "def f() { pass }\nprocess p = f()\nstart p\nif p.is_alive() { p.join() }\njoin p\n");
    proc_error("process p = print(1)\n", "'print' is a built-in function");
    proc_error("process w[1.5] = f()\n", "the number of processes in 'w' must be int, not float");
    proc_error("process p = f()\nprint(p)\nstart p\njoin p\n", "process 'p' is not a value");
    proc_error("def g(x: int) { pass }\nprocess p = f()\ng(p)\nstart p\njoin p\n",
               "process 'p' is not a value");
    proc_error("process w[2] = f()\nlet x = w\nstart w\njoin w\n",
               "process group 'w' is not a value");
    proc_error("process p = f(1)\n", "'f' takes no arguments but 1 was given");
    proc_error("process p = f()\nprocess p = f()\n", "redefinition of 'p'");
    proc_error("process w[2] as i = f()\nprint(i)\n", "undefined name 'i'");
    proc_warning("process p = f()\nstart p\n",
                 "process 'p' is never joined; it will be joined when the program ends");
    proc_warning("process p = f()\n", "process 'p' is never started");
    proc_warning("process p = f()\nstart p\nprint(p.exitcode)\njoin p\n",
                 "'exitcode' of 'p' is read before 'p' is joined");
    proc_error("process p = f()\nprint(p.pid)\nstart p\njoin p\n",
               "'p.pid' is read before 'p' is started");
    proc_error("process p = f()\nlet c = p.exitcode\nstart p\njoin p\nprint(c)\n",
               "'p.exitcode' is read before 'p' is started");
    proc_error("process w[2] = f()\nprint(w[1].pid)\nstart w\njoin w\n",
               "'w[i].pid' is read before 'w' is started");
    expect_clean("def f() { pass }\nprocess p = f()\nstart p\np.join()\nprint(p.exitcode, p.name, "
                 "p.is_alive())\n");
    expect_clean("def f() { pass }\nprocess p = f()\nstart "
                 "p\np.join(1.5)\np.terminate()\np.kill()\njoin p\n");
}

static void test_pipes(void **state) {
    (void)state;
    expect_error("pipe tx -> rx: int\nprint(tx.recv())\n",
                 "'tx' is the sending end of a one-way pipe; it cannot receive");
    expect_error("pipe tx -> rx: int\nrx.send(1)\n",
                 "'rx' is the receiving end of a one-way pipe; it cannot send");
    expect_error("pipe tx -> rx: int\nfor m in tx { print(m) }\n", "it cannot receive");
    expect_error(
        "def r(c: conn[int]) { print(c.recv()) }\n"
        "def s(c: conn[int]) { r(c) }\n"
        "pipe tx -> rx: int\nprocess p = s(tx)\nstart p\njoin p\n",
        "'tx' is the sending end of a one-way pipe, but 's' receives on its parameter 'c'");
    expect_error("def w(c: conn[int]) { c.send(1) }\n"
                 "pipe tx -> rx: int\nprocess p = w(rx)\nstart p\njoin p\n",
                 "'rx' is the receiving end of a one-way pipe, but 'w' sends on its parameter 'c'");
    expect_clean(
        "def w(c: conn[int]) { c.send(1) }\ndef r(c: conn[int]) { for m in c { print(m) } }\n"
        "pipe tx -> rx: int\nprocess a = w(tx)\nprocess b = r(rx)\nstart a, b\njoin a, b\n");
}

/* ---- flow facts ---------------------------------------------------------------------- */

static Symbol *param_sym(Program *p, const char *def, int index) {
    for (Node *d = p->defs; d; d = d->next) {
        if (strcmp(d->name, def) != 0) continue;
        Node *q = d->params;
        while (index-- > 0) q = q->next;
        return q->sym;
    }
    return NULL;
}

static void test_flow(void **state) {
    (void)state;
    Run r;
    run(&r, "def put2(q: queue[int]) { q.put(1) }\n"
            "def relay(q: queue[int], out: queue[int]) { put2(out)\n for x in q { print(x) } }\n"
            "def deep(a: queue[int], b: queue[int]) { relay(a, b) }\n"
            "def tx(c: conn[int]) { c.send(1) }\n"
            "def both(c: conn[int]) { tx(c)\n print(c.recv()) }\n"
            "queue q1: int\nqueue q2: int\nq1.put(5)\nprint(q2.get())\n"
            "pipe a, b: int\nboth(a)\n"
            "process p = deep(q1, q2)\nstart p\njoin p\n");
    if (r.diag.errors) fprintf(stderr, "%s", r.out);
    assert_int_equal(r.diag.errors, 0);
    Symbol *s = param_sym(&r.prog, "put2", 0);
    assert_int_equal(s->flags & (SF_PUTS | SF_GETS), SF_PUTS);
    s = param_sym(&r.prog, "relay", 0);
    assert_int_equal(s->flags & (SF_PUTS | SF_GETS), SF_GETS);
    s = param_sym(&r.prog, "relay", 1);
    assert_int_equal(s->flags & (SF_PUTS | SF_GETS), SF_PUTS);
    s = param_sym(&r.prog, "deep", 0);
    assert_int_equal(s->flags & (SF_PUTS | SF_GETS), SF_GETS);
    s = param_sym(&r.prog, "deep", 1);
    assert_int_equal(s->flags & (SF_PUTS | SF_GETS), SF_PUTS);
    s = param_sym(&r.prog, "both", 0);
    assert_int_equal(s->flags & (SF_SENDS | SF_RECVS), SF_SENDS | SF_RECVS);
    /* top level: the parent's own puts and gets, not its processes' */
    Node *st = r.prog.top;
    assert_int_equal(st->kind, ND_QUEUE);
    assert_int_equal(st->sym->flags & (SF_PUTS | SF_GETS), SF_PUTS);
    assert_int_equal(st->next->sym->flags & (SF_PUTS | SF_GETS), SF_GETS);
    Node *pipe = st->next->next->next->next;
    assert_int_equal(pipe->kind, ND_PIPE);
    assert_int_equal(pipe->sym->flags & (SF_SENDS | SF_RECVS), SF_SENDS | SF_RECVS);
    assert_int_equal(pipe->sym2->flags & (SF_SENDS | SF_RECVS), 0);
    done(&r);

    expect_error("def w(q: queue[int]) {\n    q.put(1)\n    for x in q { print(x) }\n}\n",
                 "this loop over 'q' never ends");
    expect_error("def p(q: queue[int]) { q.put(1) }\n"
                 "def w(q: queue[int]) {\n    p(q)\n    for x in q { print(x) }\n}\n",
                 "'q' is passed to 'p' here, which puts into it");
    expect_error("def c(q: queue[int]) { for x in q { print(x) } }\n"
                 "def w(q: queue[int]) {\n    q.put(1)\n    c(q)\n}\n",
                 "'c' loops over 'q' until every process that puts into it has finished");
    expect_error("queue q: int\nq.put(1)\nfor x in q { print(x) }\n",
                 "the parent program puts into it too");
}

static void test_assigned_flag(void **state) {
    (void)state;
    Run r;
    run(&r, "let a = 1\nlet b = 2\nb = a\nprint(b)\n");
    assert_int_equal(r.diag.errors, 0);
    assert_int_equal(r.prog.top->sym->flags & SF_ASSIGNED, 0);
    assert_int_equal(r.prog.top->next->sym->flags & SF_ASSIGNED, SF_ASSIGNED);
    assert_true(r.prog.top->sym->global);
    done(&r);
}

/* Big inputs must be checked in linear time: many names in one scope, a
 * long chain of defs passing a queue on, a long operator chain (the
 * parser allows up to 1000 operators in one expression). */
static void test_scale(void **state) {
    (void)state;
    enum { N = 20000 };
    size_t cap = (size_t)N * 80 + 1000, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < N; i++)
        len +=
            (size_t)snprintf(text + len, cap - len,
                             "def d%d(q: queue[int]) { d%d(q) }\nlet v%d = %d\n", i, i + 1, i, i);
    len += (size_t)snprintf(text + len, cap - len, "def d%d(q: queue[int]) { q.put(1) }\n", N);
    len += (size_t)snprintf(text + len, cap - len, "queue q: int\nd0(q)\nlet s = 0");
    for (int i = 0; i < 900; i++) len += (size_t)snprintf(text + len, cap - len, " + v%d", i);
    snprintf(text + len, cap - len, "\nprint(s)\n");
    Run r;
    run(&r, text);
    assert_true(r.parsed);
    if (r.diag.errors) fprintf(stderr, "%.2000s", r.out);
    assert_int_equal(r.diag.errors, 0);
    assert_int_equal(param_sym(&r.prog, "d0", 0)->flags & SF_PUTS, SF_PUTS);
    done(&r);
    free(text);
}

/* Every expression node of a checked tree has a type; calls have argv. */
static bool untyped_child(void *bad, Node *child, const char *role);

static int untyped(Node *n) {
    int bad = 0;
    if (n->kind <= ND_MEMBER && !n->type) {
        fprintf(stderr, "untyped node kind %d at %u\n", (int)n->kind, n->span.begin);
        bad++;
    }
    if (n->kind == ND_CALL && n->argc && !n->argv) bad++;
    ast_children(n, false, untyped_child, &bad);
    return bad;
}

static bool untyped_child(void *bad, Node *child, const char *role) {
    (void)role;
    *(int *)bad += untyped(child);
    return false;
}

static int untyped_list(Node *list) {
    int bad = 0;
    for (; list; list = list->next) bad += untyped(list);
    return bad;
}

static void test_every_expression_typed(void **state) {
    (void)state;
    Run r;
    run(&r, "def scale(x: float, factor: float) -> float { return x * factor }\n"
            "def relay(inp: queue[int], out: queue[int]) {\n"
            "    for x in inp { out.put(x * 2) }\n}\n"
            "def idx(i: int, v: value[float], a: array[int]) {\n"
            "    lock v { v.value += i }\n    a[i] = a[i] ** 2 + len(a)\n}\n"
            "let f: float = 3\nlet fl: list[float] = [1, 2]\nfl.append(3)\n"
            "print(scale(2, factor=3), fl, [0] * 3, \"ab\" * 2, min(1, 2.5), \"x{f}y\")\n"
            "for c in \"hey\" { print(c) }\nfor i in range(1, 9, 2) { print(-i, not (i > 2)) }\n"
            "queue a: int[4]\nqueue b: int\nvalue acc: float = 0\narray arr: int = [1, 2, 3]\n"
            "pipe p1, p2: list[str]\np1.send([\"s\"])\nprint(p2.recv(), p2.poll(0.5))\n"
            "process mid = relay(a, b)\nprocess w[3] as i = idx(i, acc, arr)\n"
            "start mid, w\na.put(1)\nprint(b.get(timeout=1), a.empty(), a.qsize())\n"
            "join mid, w\nprint(len(w), w[0].exitcode, mid.pid, mid.name, mid.is_alive())\n"
            "print(sorted(fl, reverse=true)[::-1], [x * 2 for x in fl if x not in [0.5]])\n");
    if (r.diag.errors || r.diag.warnings) fprintf(stderr, "%s", r.out);
    assert_int_equal(r.diag.errors, 0);
    assert_int_equal(r.diag.warnings, 0);
    assert_int_equal(untyped_list(r.prog.defs), 0);
    assert_int_equal(untyped_list(r.prog.top), 0);
    done(&r);
}

/* Every node kind, reached through ast_children, and every walker over a
 * tree holding all of them: ast_dump and code generation. A node holds
 * only its kind's fields (see ast.h), so a walker reading another kind's
 * field is caught here by the SANITIZE=address build, which poisons the
 * bytes after every node. */
static bool count_kinds(void *seen, Node *child, const char *role) {
    (void)role;
    ((int *)seen)[child->kind]++;
    assert_true(node_size((NodeKind)child->kind) <= sizeof(Node));
    ast_children(child, false, count_kinds, seen);
    return false;
}

static void test_every_node_kind(void **state) {
    (void)state;
    Run r;
    run(&r, "def half(x: float) -> float { return x / 2 }\n"
            "def work(q: queue[int], c: conn[str], v: value[int], a: array[float], k: int) {\n"
            "    let s = \"k={k} {half(1.5)}\"\n    let ok = true\n"
            "    while ok and not (k < 0) {\n        if k > 3 { break } elif k == 2 { continue }"
            " else { pass }\n        ok = false\n    }\n"
            "    for i in range(k) { q.put(-i) }\n    lock v { v.value += 1 }\n"
            "    a[0] = a[0] * 2.0\n    c.send(s)\n    print([k, 2][0], c.poll(timeout=0))\n"
            "    print([j for j in range(k) if j in [1, 2]][1:])\n"
            "    try { assert k >= 0, \"k\" } except ValueError as e { print(e)\n raise }"
            " else { raise KeyError(\"x\") } finally { pass }\n}\n"
            "queue q: int[8]\npipe c1, c2: str\nvalue v: int = 0\narray a: float[4]\n"
            "process p = work(q, c1, v, a, 1)\nprocess w[2] as i = work(q, c1, v, a, i)\n"
            "start p, w\nprint(c2.recv())\njoin p, w\nfor x in q { print(x) }\n"
            "select {\n case m = c2.recv() { print(m) }\n eof c2 { pass }\n timeout 0 { pass }\n}\n"
            "let e: int | None = None\nprint(e is None)\nlet t1 = (1, \"a\")\n"
            "let dd = {\"a\": {1}}\ndel dd[\"a\"]\n");
    if (r.diag.errors || r.diag.warnings) fprintf(stderr, "%s", r.out);
    assert_int_equal(r.diag.errors, 0);
    int seen[ND_JOIN + 1] = {0};
    for (Node *n = r.prog.defs; n; n = n->next) count_kinds(seen, n, NULL);
    for (Node *n = r.prog.top; n; n = n->next) count_kinds(seen, n, NULL);
    for (int k = 0; k <= ND_JOIN; k++) {
        if (!seen[k]) fprintf(stderr, "node kind %d not reached\n", k);
        assert_true(seen[k] > 0);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    ast_dump(f, &r.prog, &r.src);
    GenOptions go = {.line_directives = true};
    gen_program(f, &r.prog, &r.src, &go);
    fclose(f);
    assert_non_null(strstr(buf, "pipe c1 , c2: str"));
    assert_non_null(strstr(buf, "mp_make_pipe(&v_c1, &v_c2"));
    free(buf);
    done(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_clean),
        cmocka_unit_test(test_hoisting_and_recursion),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_shadow_and_unused),
        cmocka_unit_test(test_inference),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_assign_targets),
        cmocka_unit_test(test_returns),
        cmocka_unit_test(test_loops_and_reachability),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_process_rules),
        cmocka_unit_test(test_join_waits_forever),
        cmocka_unit_test(test_pipes),
        cmocka_unit_test(test_flow),
        cmocka_unit_test(test_assigned_flag),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_every_expression_typed),
        cmocka_unit_test(test_every_node_kind),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ast_types_free();
    return rc;
}
