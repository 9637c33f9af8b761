/* Unit tests of compiler/builtins.c: the one table of built-in functions,
 * methods and attributes that sema and gen are driven from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "builtins.h"

/* Every Builtin but B_NONE has a row, and fits Node.builtin (a byte). */
static void test_every_id_has_a_row(void **state) {
    (void)state;
    assert_true(B__COUNT <= 256);
    assert_int_equal(builtin_defs[B_NONE].kind, 0);
    for (int i = 1; i < B__COUNT; i++) {
        const BuiltinDef *d = &builtin_defs[i];
        assert_non_null(d->name);
        assert_true(d->kind == BK_FUNC || d->kind == BK_METHOD || d->kind == BK_ATTR ||
                    d->kind == BK_VAR);
        assert_int_equal(builtin_id(d), i);
    }
}

/* A signature (PTYPE '*'): "name:X" words with X a known letter, '?' on
 * optional ones only after the required ones, at most one "/". */
static bool signature_ok(const char *sig) {
    bool optional = false, slash = false;
    int params = 0;
    for (const char *p = sig; *p;) {
        if (*p == ' ') {
            p++;
        } else if (*p == '/') {
            if (slash) return false;
            slash = true;
            p++;
        } else {
            const char *colon = strchr(p, ':');
            if (!colon || colon == p || !strchr("sibfTKL", colon[1]) || !colon[1]) return false;
            p = colon + 2;
            bool opt = *p == '?';
            if (opt) p++;
            if (optional && !opt) return false;
            optional = opt;
            if (*p && *p != ' ') return false;
            params++;
        }
    }
    return params > 0;
}

/* Rows are well formed for their kind. */
static void test_rows_are_consistent(void **state) {
    (void)state;
    for (int i = 1; i < B__COUNT; i++) {
        const BuiltinDef *d = &builtin_defs[i];
        if (d->kind == BK_FUNC) {
            assert_true(d->lo >= 0 && d->lo <= d->hi);
            assert_null(d->param);
            assert_true(d->result != 'T'); /* no object to take it from */
        } else if (d->kind == BK_VAR) {    /* argv, stdin...: a typed name */
            assert_int_equal(d->on, TY_NONE);
            assert_null(d->param);
            assert_true(d->result == 'L' || d->result == 'F');
        } else {
            assert_int_not_equal(d->on, TY_NONE);
            if (d->kind == BK_ATTR) assert_null(d->param);
            if (d->param)
                assert_true(d->ptype == 'T' || d->ptype == 'K' || d->ptype == 'O' ||
                            d->ptype == 'i' || d->ptype == 'f' || d->ptype == '*');
            if (d->ptype == '*') assert_true(signature_ok(d->param));
            if (d->flags & BP_KWONLY) assert_true(d->flags & BP_OPTIONAL);
        }
    }
}

/* A name means one thing: one function, or one member per type kind. */
static void test_names_are_unique(void **state) {
    (void)state;
    for (int i = 1; i < B__COUNT; i++)
        for (int j = i + 1; j < B__COUNT; j++) {
            const BuiltinDef *a = &builtin_defs[i], *b = &builtin_defs[j];
            if (strcmp(a->name, b->name) != 0) continue;
            bool funcs = a->kind == BK_FUNC && b->kind == BK_FUNC;
            bool members = a->kind != BK_FUNC && b->kind != BK_FUNC && a->on == b->on;
            assert_false(funcs || members);
        }
}

static void test_member_lookup(void **state) {
    (void)state;
    assert_int_equal(builtin_id(builtin_member(BK_METHOD, TY_QUEUE, "put")), M_PUT);
    assert_int_equal(builtin_id(builtin_member(BK_ATTR, TY_PROCESS, "pid")), A_PID);
    assert_null(builtin_member(BK_METHOD, TY_PROCESS, "pid")); /* an attribute */
    assert_null(builtin_member(BK_METHOD, TY_CONN, "put"));    /* a queue's */
    assert_null(builtin_member(BK_METHOD, TY_QUEUE, "print")); /* a function */
    /* close() of a file and of a pipe end are two rows */
    assert_int_equal(builtin_id(builtin_member(BK_METHOD, TY_FILE, "close")), M_F_CLOSE);
    assert_int_equal(builtin_id(builtin_member(BK_METHOD, TY_CONN, "close")), M_CLOSE);
    assert_null(builtin_member(BK_METHOD, TY_FILE, "argv")); /* a built-in name */
    const BuiltinDef *get = builtin_member(BK_METHOD, TY_QUEUE, "get");
    assert_string_equal(get->param, "timeout");
    assert_true(get->flags & BP_KWONLY);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_id_has_a_row),
        cmocka_unit_test(test_rows_are_consistent),
        cmocka_unit_test(test_names_are_unique),
        cmocka_unit_test(test_member_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
