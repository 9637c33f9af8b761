/* test_mpr_fmtspec.c: the format-spec mini-language (fmtspec.c,
 * fmtspec_parse.c) against CPython 3.11's format() of ints, floats
 * (rounding, exponents, inf, nan, -0.0), strings (Unicode widths and
 * fills) and bools, for random specs of every field and for the specs
 * Python refuses, with its exception and message (fmtspec_cases.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "fmtspec.h"
#include "mpr_test.h"

struct fmt_case {
    mp_kind kind;
    mp_val v;
    const char *s; /* the value of a MP_STR case */
    const char *spec;
    int ok;             /* 0: Python raised */
    const char *expect; /* the text, or "Kind: message" */
};

#include "fmtspec_cases.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const mp_type *type_of_kind(mp_kind k) {
    switch (k) {
    case MP_INT: return &mp_t_int;
    case MP_FLOAT: return &mp_t_float;
    case MP_BOOL: return &mp_t_bool;
    default: return &mp_t_str;
    }
}

/* Formats case i in this process (only the cases Python accepts). */
static mp_str *format_case(const struct fmt_case *c) {
    mp_val v = c->v;
    if (c->kind == MP_STR) v.s = mp_str_cstr(c->s);
    mp_str *spec = mp_str_cstr(c->spec);
    mp_str *r = mp_format(type_of_kind(c->kind), v, spec, MP_LOC(1, 1));
    mp_str_unref(spec);
    if (c->kind == MP_STR) mp_str_unref(v.s);
    return r;
}

static void test_formats_as_python(void **state) {
    (void)state;
    size_t bad = 0;
    for (size_t i = 0; i < N(fmt_cases); i++) {
        const struct fmt_case *c = &fmt_cases[i];
        if (!c->ok) continue;
        mp_str *r = format_case(c);
        if (strcmp(r->data, c->expect) != 0 && bad++ < 20)
            print_error("case %zu: format(kind %d, '%s') gave '%s', Python '%s'\n", i, (int)c->kind,
                        c->spec, r->data, c->expect);
        mp_str_unref(r);
    }
    assert_int_equal(bad, 0);
}

static void failing_case(void *arg) { mp_str_unref(format_case(arg)); }

/* A spec Python refuses: the same exception and message, in a child. */
static void test_refuses_as_python(void **state) {
    (void)state;
    for (size_t i = 0; i < N(fmt_cases); i++)
        if (!fmt_cases[i].ok)
            mpt_expect_error(failing_case, (void *)&fmt_cases[i], fmt_cases[i].expect);
}

/* The compiler's check and the runtime agree: a spec parses for a type
 * exactly when Python formats with it (values aside: 'c' out of range). */
static void test_parse_matches(void **state) {
    (void)state;
    static const char *names[] = {"int", "float", "bool", "str"};
    for (size_t i = 0; i < N(fmt_cases); i++) {
        const struct fmt_case *c = &fmt_cases[i];
        if (!c->spec[0] || strstr(c->expect, "OverflowError")) continue;
        const char *tname = c->kind == MP_INT     ? names[0]
                            : c->kind == MP_FLOAT ? names[1]
                            : c->kind == MP_BOOL  ? names[2]
                                                  : names[3];
        mp_fmtspec f;
        char err[300];
        bool ok = mp_fmtspec_parse(c->spec, strlen(c->spec), tname, &f, err, sizeof err);
        assert_int_equal(ok, c->ok);
        if (!ok) assert_string_equal(err, strchr(c->expect, ':') + 2);
    }
}

static void test_list_spec(void **state) {
    (void)state;
    static const mp_type t_list_int = {MP_LIST, &mp_t_int};
    mp_list *l = mp_list_new(&t_list_int, 1);
    mp_list_push(l, (mp_val){.i = 3});
    mp_str *empty = mp_str_cstr("");
    mp_str *r = mp_format(&t_list_int, (mp_val){.l = l}, empty, MP_LOC(1, 1));
    assert_string_equal(r->data, "[3]");
    mp_str_unref(r);
    mp_list_unref(l);
}

static void list_with_spec(void *arg) {
    static const mp_type t_list_int = {MP_LIST, &mp_t_int};
    (void)arg;
    mp_format(&t_list_int, (mp_val){.l = mp_list_new(&t_list_int, 0)}, mp_str_cstr(">3"),
              MP_LOC(4, 2));
}

static void test_list_spec_refused(void **state) {
    (void)state;
    mpt_expect_error(list_with_spec, NULL,
                     "t.mp:4:2: runtime error: TypeError: unsupported format string passed to "
                     "list.__format__");
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_as_python), cmocka_unit_test(test_refuses_as_python),
        cmocka_unit_test(test_parse_matches),     cmocka_unit_test(test_list_spec),
        cmocka_unit_test(test_list_spec_refused),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    mp_finish();
    return r;
}
