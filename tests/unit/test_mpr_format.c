/* test_mpr_format.c: Python str()/repr() of values, buffers, printing,
 * and str -> int/float conversions (format.c, print.c). Expected strings
 * were produced by CPython 3.11. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

static const mp_type t_list_int = {MP_LIST, &mp_t_int};
static const mp_type t_list_str = {MP_LIST, &mp_t_str};
static const mp_type t_list_float = {MP_LIST, &mp_t_float};
static const mp_type t_list_bool = {MP_LIST, &mp_t_bool};
static const mp_type t_list_list_int = {MP_LIST, &t_list_int};

/* ---- running code that fails in a child ---------------------------- */

static char *fmt_float(double d) {
    static char out[64];
    mp_buf b;
    mp_buf_init(&b);
    mp_buf_float(&b, d);
    assert_true(b.len < sizeof out);
    memcpy(out, b.data, b.len + 1);
    mp_buf_free(&b);
    return out;
}

static void test_float_repr_table(void **state) {
    (void)state;
    static const struct {
        double d;
        const char *s;
    } cases[] = {
        {0.1, "0.1"},
        {1e16, "1e+16"},
        {1e-5, "1e-05"},
        {123456789.0, "123456789.0"},
        {1.0 / 3.0, "0.3333333333333333"},
        {-0.0, "-0.0"},
        {0.0, "0.0"},
        {2.5, "2.5"},
        {1e22, "1e+22"},
        {5e-324, "5e-324"},
        {1.0, "1.0"},
        {-1.5, "-1.5"},
        {1e15, "1000000000000000.0"},
        {9999999999999998.0, "9999999999999998.0"},
        {1.5e16, "1.5e+16"},
        {0.0001, "0.0001"},
        {0.00012345, "0.00012345"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {0.1 + 0.2, "0.30000000000000004"},
        {100.0, "100.0"},
        {1e100, "1e+100"},
        {1.23e-7, "1.23e-07"},
        {9007199254740993.0, "9007199254740992.0"},
        {4.35, "4.35"},
        {2.0 / 3.0, "0.6666666666666666"},
        {1e23, "1e+23"},
        {8.98846567431158e307, "8.98846567431158e+307"},
        {1.1125369292536007e-308, "1.1125369292536007e-308"},
        {3.14159, "3.14159"},
        {-273.15, "-273.15"},
        {123456.789, "123456.789"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = fmt_float(cases[i].d);
        if (strcmp(got, cases[i].s) != 0)
            fail_msg("case %zu: expected %s, got %s", i, cases[i].s, got);
    }
    assert_string_equal(fmt_float(__builtin_inf()), "inf");
    assert_string_equal(fmt_float(-__builtin_inf()), "-inf");
    assert_string_equal(fmt_float(__builtin_nan("")), "nan");
    assert_string_equal(fmt_float(-__builtin_nan("")), "nan");
}

/* Every printed float must read back as itself. */
static void test_float_roundtrip_random(void **state) {
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, 8);
        if (d != d || d - d != 0) continue;
        const char *s = fmt_float(d);
        if (strtod(s, NULL) != d) fail_msg("%s does not round-trip", s);
        assert_true(strlen(s) <= 24);
    }
}

static char *fmt_val(const mp_type *t, mp_val v, bool repr) {
    static char out[512];
    mp_str *s = repr ? mp_repr_of(t, v) : mp_str_of(t, v);
    assert_true(s->len < sizeof out);
    memcpy(out, s->data, s->len + 1);
    mp_str_unref(s);
    return out;
}

static void test_str_repr(void **state) {
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"a", 1, "'a'"},
        {"it's", 4, "\"it's\""},
        {"say \"hi\"", 8, "'say \"hi\"'"},
        {"both ' and \"", 12, "'both \\' and \"'"},
        {"back\\slash", 10, "'back\\\\slash'"},
        {"tab\there\n\r", 10, "'tab\\there\\n\\r'"},
        {"\0\x7f\x1b", 3, "'\\x00\\x7f\\x1b'"},
        {"\xc3\xa9", 2, "'\xc3\xa9'"}, /* é */
        {"\xc2\x80\xc2\xa0\xc2\xad", 6, "'\\x80\\xa0\\xad'"},
        {"\xe2\x80\xa8", 3, "'\\u2028'"},
        {"\xee\x80\x80", 3, "'\\ue000'"},
        {"\xf0\x9f\x98\x80", 4, "'\xf0\x9f\x98\x80'"}, /* emoji */
        {"\xff", 1, "'\\xff'"},                        /* not UTF-8 */
        {"", 0, "''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mp_str *s = mp_str_new(cases[i].in, cases[i].len);
        const char *got = fmt_val(&mp_t_str, (mp_val){.s = s}, true);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("case %zu: expected %s, got %s", i, cases[i].out, got);
        /* str() of a string is the string itself */
        mp_str *same = mp_str_of(&mp_t_str, (mp_val){.s = s});
        assert_ptr_equal(same, s);
        mp_str_unref(same);
        mp_str_unref(s);
    }
}

static void test_values_and_lists(void **state) {
    (void)state;
    assert_string_equal(fmt_val(&mp_t_int, (mp_val){.i = 0}, false), "0");
    assert_string_equal(fmt_val(&mp_t_int, (mp_val){.i = -42}, false), "-42");
    assert_string_equal(fmt_val(&mp_t_int, (mp_val){.i = INT64_MIN}, false),
                        "-9223372036854775808");
    assert_string_equal(fmt_val(&mp_t_int, (mp_val){.i = INT64_MAX}, false), "9223372036854775807");
    assert_string_equal(fmt_val(&mp_t_bool, (mp_val){.b = true}, false), "True");
    assert_string_equal(fmt_val(&mp_t_bool, (mp_val){.b = false}, true), "False");
    assert_string_equal(fmt_val(&mp_t_float, (mp_val){.f = 2.0}, false), "2.0");

    mp_list *l = mp_list_new(&t_list_str, 0);
    assert_string_equal(fmt_val(&t_list_str, (mp_val){.l = l}, false), "[]");
    mp_list_push(l, (mp_val){.s = mp_str_cstr("a")});
    mp_list_push(l, (mp_val){.s = mp_str_cstr("it's")});
    mp_list_push(l, (mp_val){.s = mp_str_cstr("")});
    assert_string_equal(fmt_val(&t_list_str, (mp_val){.l = l}, false), "['a', \"it's\", '']");
    mp_list_unref(l);

    mp_list *f = mp_list_new(&t_list_float, 0);
    mp_list_push(f, (mp_val){.f = 0.1});
    mp_list_push(f, (mp_val){.f = -0.0});
    mp_list_push(f, (mp_val){.f = __builtin_inf()});
    mp_list_push(f, (mp_val){.f = 1e16});
    assert_string_equal(fmt_val(&t_list_float, (mp_val){.l = f}, false), "[0.1, -0.0, inf, 1e+16]");
    mp_list_unref(f);

    mp_list *bl = mp_list_new(&t_list_bool, 0);
    mp_list_push(bl, (mp_val){.b = true});
    mp_list_push(bl, (mp_val){.b = false});
    assert_string_equal(fmt_val(&t_list_bool, (mp_val){.l = bl}, false), "[True, False]");
    mp_list_unref(bl);

    mp_list *n = mp_list_new(&t_list_list_int, 0);
    mp_list *a = mp_list_new(&t_list_int, 0);
    mp_list_push(a, (mp_val){.i = 1});
    mp_list_push(a, (mp_val){.i = 2});
    mp_list_push(n, (mp_val){.l = a});
    mp_list_push(n, (mp_val){.l = mp_list_new(&t_list_int, 0)});
    assert_string_equal(fmt_val(&t_list_list_int, (mp_val){.l = n}, false), "[[1, 2], []]");
    mp_list_unref(n);
}

static void test_buf(void **state) {
    (void)state;
    mp_buf b = {0};
    mp_buf_cstr(&b, "x = ", 4);
    mp_buf_int(&b, 7);
    mp_buf_cstr(&b, ", ", 2);
    mp_str *raw = mp_str_cstr("raw 's'");
    mp_buf_val(&b, &mp_t_str, (mp_val){.s = raw});
    mp_str_unref(raw);
    assert_string_equal(b.data, "x = 7, raw 's'");
    mp_str *s = mp_buf_finish(&b);
    assert_string_equal(s->data, "x = 7, raw 's'");
    assert_int_equal(s->refs, 1);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    mp_str_unref(s);
    mp_buf_init(&b);
    for (int i = 0; i < 10000; i++) mp_buf_cstr(&b, "abc", 3);
    assert_int_equal(b.len, 30000);
    mp_buf_free(&b);
    assert_null(b.data);
    mp_str *e = mp_buf_finish(&b);
    assert_int_equal(e->len, 0);
    mp_str_unref(e);
}

/* ---- printing ------------------------------------------------------ */

static void test_print_one_write(void **state) {
    (void)state;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    int saved = dup(1);
    dup2(pfd[1], 1);
    mp_str *s = mp_str_new("a\0b", 3);
    mp_print(s);
    mp_str_unref(s);
    mp_buf b = {0};
    mp_buf_cstr(&b, "line two", 8);
    mp_print_buf(&b);
    assert_null(b.data);
    dup2(saved, 1);
    close(saved);
    close(pfd[1]);
    char out[64];
    ssize_t n = read(pfd[0], out, sizeof out);
    close(pfd[0]);
    assert_int_equal(n, 13);
    assert_memory_equal(out, "a\0b\nline two\n", 13);
}

/* Lines from several processes printing at once never interleave. */
static void printer(void *arg) {
    int id = *(int *)arg;
    for (int i = 0; i < 2000; i++) {
        mp_buf b = {0};
        mp_buf_cstr(&b, "proc ", 5);
        mp_buf_int(&b, id);
        mp_buf_cstr(&b, " line ", 6);
        mp_buf_int(&b, i);
        mp_buf_cstr(&b, " ", 1);
        for (int k = 0; k < 100 + (i * 37 + id) % 300; k++) mp_buf_cstr(&b, "x", 1);
        mp_print_buf(&b);
    }
}

static void test_print_no_interleave(void **state) {
    (void)state;
    enum { N = 4 };
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    int saved = dup(1);
    dup2(pfd[1], 1);
    mp_proc *ps[N];
    int ids[N];
    for (int i = 0; i < N; i++) {
        ids[i] = i;
        ps[i] = mp_proc_new("printer", i);
        assert_int_equal(mp_proc_start(ps[i], printer, &ids[i]), 0);
    }
    dup2(saved, 1);
    close(saved);
    close(pfd[1]);
    int next[N] = {0};
    char line[1024];
    size_t len = 0;
    char buf[65536];
    ssize_t k;
    int lines = 0;
    while ((k = read(pfd[0], buf, sizeof buf)) > 0) {
        for (ssize_t j = 0; j < k; j++) {
            if (buf[j] != '\n') {
                assert_true(len < sizeof line - 1);
                line[len++] = buf[j];
                continue;
            }
            line[len] = '\0';
            int id, i, consumed;
            assert_int_equal(sscanf(line, "proc %d line %d %n", &id, &i, &consumed), 2);
            assert_true(id >= 0 && id < N);
            assert_int_equal(i, next[id]);
            next[id]++;
            size_t xs = strspn(line + consumed, "x");
            assert_int_equal(xs, 100 + (i * 37 + id) % 300);
            assert_int_equal(consumed + (int)xs, (int)len);
            len = 0;
            lines++;
        }
    }
    close(pfd[0]);
    assert_int_equal(lines, N * 2000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), 0);
        mp_proc_free(ps[i]);
    }
}

/* Printing to a closed pipe is quiet and does not kill the process. */
static void test_print_epipe(void **state) {
    (void)state;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    close(pfd[0]);
    int saved = dup(1), saved2 = dup(2);
    int errp[2];
    assert_int_equal(pipe(errp), 0);
    dup2(pfd[1], 1);
    dup2(errp[1], 2);
    mp_str *s = mp_str_cstr("nobody reads this");
    mp_print(s);
    mp_print(s);
    mp_str_unref(s);
    dup2(saved, 1);
    dup2(saved2, 2);
    close(saved);
    close(saved2);
    close(pfd[1]);
    close(errp[1]);
    char buf[256];
    assert_int_equal(read(errp[0], buf, sizeof buf), 0); /* no warning */
    close(errp[0]);
}

/* ---- conversions --------------------------------------------------- */

static int64_t int_of(const char *s, size_t len) {
    mp_str *x = mp_str_new(s, len);
    int64_t v = mp_int_of_str(x, MP_LOC(1, 1));
    mp_str_unref(x);
    return v;
}

static double float_of(const char *s) {
    mp_str *x = mp_str_cstr(s);
    double v = mp_float_of_str(x, MP_LOC(1, 1));
    mp_str_unref(x);
    return v;
}

static void test_int_of_str(void **state) {
    (void)state;
    assert_int_equal(int_of("42", 2), 42);
    assert_int_equal(int_of(" -7 ", 4), -7);
    assert_int_equal(int_of("+3", 2), 3);
    assert_int_equal(int_of("1_000", 5), 1000);
    assert_int_equal(int_of("0010", 4), 10);
    assert_int_equal(int_of("\t12\n", 4), 12);
    assert_int_equal(int_of("\v5\f", 3), 5);
    assert_int_equal(int_of("9223372036854775807", 19), INT64_MAX);
    assert_int_equal(int_of("-9223372036854775808", 20), INT64_MIN);
}

static void bad_int(void *arg) {
    const char *s = arg;
    int_of(s, strlen(s));
}

static void bad_int_nul(void *arg) {
    (void)arg;
    int_of("1\0", 2);
}

static void test_int_of_str_errors(void **state) {
    (void)state;
    static const char *bad[] = {"",     "abc", "1__0", "_1", "1_",  "12a",
                                "0x10", "1.5", " ",    "+",  "-_1", "1 2"};
    char expect[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(expect, sizeof expect, "invalid literal for int() with base 10: '%s'", bad[i]);
        mpt_expect_error(bad_int, (void *)bad[i], expect);
    }
    mpt_expect_error(bad_int_nul, NULL, "invalid literal for int() with base 10: '1\\x00'");
    mpt_expect_error(bad_int, "9223372036854775808",
                     "integer overflow in int(): '9223372036854775808'");
    mpt_expect_error(bad_int, "-99999999999999999999999", "integer overflow in int()");
}

struct int_base_case {
    const char *s;
    int64_t base;
    int ok;
    int64_t value;
    const char *error;
};

static void bad_int_base(void *arg) {
    const struct int_base_case *c = arg;
    mp_str *s = mp_str_cstr(c->s);
    mp_int_of_str_base(s, c->base, MP_LOC(1, 1));
    mp_str_unref(s);
}

/* int(s, base): expected values and messages from CPython 3.11. */
static void test_int_of_str_base(void **state) {
    (void)state;
    static const struct int_base_case cases[] = {
        {"0", 0, 1, 0, NULL},
        {"0", 2, 1, 0, NULL},
        {"0", 8, 1, 0, NULL},
        {"0", 10, 1, 0, NULL},
        {"0", 16, 1, 0, NULL},
        {"0", 36, 1, 0, NULL},
        {"00", 0, 1, 0, NULL},
        {"00", 2, 1, 0, NULL},
        {"00", 8, 1, 0, NULL},
        {"00", 10, 1, 0, NULL},
        {"00", 16, 1, 0, NULL},
        {"00", 36, 1, 0, NULL},
        {"010", 0, 0, 0, "invalid literal for int() with base 0: '010'"},
        {"010", 2, 1, 2, NULL},
        {"010", 8, 1, 8, NULL},
        {"010", 10, 1, 10, NULL},
        {"010", 16, 1, 16, NULL},
        {"010", 36, 1, 36, NULL},
        {"0_0", 0, 1, 0, NULL},
        {"0_0", 2, 1, 0, NULL},
        {"0_0", 8, 1, 0, NULL},
        {"0_0", 10, 1, 0, NULL},
        {"0_0", 16, 1, 0, NULL},
        {"0_0", 36, 1, 0, NULL},
        {"0x1f", 0, 1, 31, NULL},
        {"0x1f", 2, 0, 0, "invalid literal for int() with base 2: '0x1f'"},
        {"0x1f", 8, 0, 0, "invalid literal for int() with base 8: '0x1f'"},
        {"0x1f", 10, 0, 0, "invalid literal for int() with base 10: '0x1f'"},
        {"0x1f", 16, 1, 31, NULL},
        {"0x1f", 36, 1, 42819, NULL},
        {"0X1F", 0, 1, 31, NULL},
        {"0X1F", 2, 0, 0, "invalid literal for int() with base 2: '0X1F'"},
        {"0X1F", 8, 0, 0, "invalid literal for int() with base 8: '0X1F'"},
        {"0X1F", 10, 0, 0, "invalid literal for int() with base 10: '0X1F'"},
        {"0X1F", 16, 1, 31, NULL},
        {"0X1F", 36, 1, 42819, NULL},
        {"0o17", 0, 1, 15, NULL},
        {"0o17", 2, 0, 0, "invalid literal for int() with base 2: '0o17'"},
        {"0o17", 8, 1, 15, NULL},
        {"0o17", 10, 0, 0, "invalid literal for int() with base 10: '0o17'"},
        {"0o17", 16, 0, 0, "invalid literal for int() with base 16: '0o17'"},
        {"0o17", 36, 1, 31147, NULL},
        {"0b101", 0, 1, 5, NULL},
        {"0b101", 2, 1, 5, NULL},
        {"0b101", 8, 0, 0, "invalid literal for int() with base 8: '0b101'"},
        {"0b101", 10, 0, 0, "invalid literal for int() with base 10: '0b101'"},
        {"0b101", 16, 1, 45313, NULL},
        {"0b101", 36, 1, 514513, NULL},
        {"0x_1f", 0, 1, 31, NULL},
        {"0x_1f", 2, 0, 0, "invalid literal for int() with base 2: '0x_1f'"},
        {"0x_1f", 8, 0, 0, "invalid literal for int() with base 8: '0x_1f'"},
        {"0x_1f", 10, 0, 0, "invalid literal for int() with base 10: '0x_1f'"},
        {"0x_1f", 16, 1, 31, NULL},
        {"0x_1f", 36, 1, 42819, NULL},
        {"0x", 0, 0, 0, "invalid literal for int() with base 0: '0x'"},
        {"0x", 2, 0, 0, "invalid literal for int() with base 2: '0x'"},
        {"0x", 8, 0, 0, "invalid literal for int() with base 8: '0x'"},
        {"0x", 10, 0, 0, "invalid literal for int() with base 10: '0x'"},
        {"0x", 16, 0, 0, "invalid literal for int() with base 16: '0x'"},
        {"0x", 36, 1, 33, NULL},
        {"0b", 0, 0, 0, "invalid literal for int() with base 0: '0b'"},
        {"0b", 2, 0, 0, "invalid literal for int() with base 2: '0b'"},
        {"0b", 8, 0, 0, "invalid literal for int() with base 8: '0b'"},
        {"0b", 10, 0, 0, "invalid literal for int() with base 10: '0b'"},
        {"0b", 16, 1, 11, NULL},
        {"0b", 36, 1, 11, NULL},
        {"ff", 0, 0, 0, "invalid literal for int() with base 0: 'ff'"},
        {"ff", 2, 0, 0, "invalid literal for int() with base 2: 'ff'"},
        {"ff", 8, 0, 0, "invalid literal for int() with base 8: 'ff'"},
        {"ff", 10, 0, 0, "invalid literal for int() with base 10: 'ff'"},
        {"ff", 16, 1, 255, NULL},
        {"ff", 36, 1, 555, NULL},
        {"FF", 0, 0, 0, "invalid literal for int() with base 0: 'FF'"},
        {"FF", 2, 0, 0, "invalid literal for int() with base 2: 'FF'"},
        {"FF", 8, 0, 0, "invalid literal for int() with base 8: 'FF'"},
        {"FF", 10, 0, 0, "invalid literal for int() with base 10: 'FF'"},
        {"FF", 16, 1, 255, NULL},
        {"FF", 36, 1, 555, NULL},
        {"z", 0, 0, 0, "invalid literal for int() with base 0: 'z'"},
        {"z", 2, 0, 0, "invalid literal for int() with base 2: 'z'"},
        {"z", 8, 0, 0, "invalid literal for int() with base 8: 'z'"},
        {"z", 10, 0, 0, "invalid literal for int() with base 10: 'z'"},
        {"z", 16, 0, 0, "invalid literal for int() with base 16: 'z'"},
        {"z", 36, 1, 35, NULL},
        {"Z", 0, 0, 0, "invalid literal for int() with base 0: 'Z'"},
        {"Z", 2, 0, 0, "invalid literal for int() with base 2: 'Z'"},
        {"Z", 8, 0, 0, "invalid literal for int() with base 8: 'Z'"},
        {"Z", 10, 0, 0, "invalid literal for int() with base 10: 'Z'"},
        {"Z", 16, 0, 0, "invalid literal for int() with base 16: 'Z'"},
        {"Z", 36, 1, 35, NULL},
        {"-0x10", 0, 1, -16, NULL},
        {"-0x10", 2, 0, 0, "invalid literal for int() with base 2: '-0x10'"},
        {"-0x10", 8, 0, 0, "invalid literal for int() with base 8: '-0x10'"},
        {"-0x10", 10, 0, 0, "invalid literal for int() with base 10: '-0x10'"},
        {"-0x10", 16, 1, -16, NULL},
        {"-0x10", 36, 1, -42804, NULL},
        {" +0b11 ", 0, 1, 3, NULL},
        {" +0b11 ", 2, 1, 3, NULL},
        {" +0b11 ", 8, 0, 0, "invalid literal for int() with base 8: ' +0b11 '"},
        {" +0b11 ", 10, 0, 0, "invalid literal for int() with base 10: ' +0b11 '"},
        {" +0b11 ", 16, 1, 2833, NULL},
        {" +0b11 ", 36, 1, 14293, NULL},
        {"1_2", 0, 1, 12, NULL},
        {"1_2", 2, 0, 0, "invalid literal for int() with base 2: '1_2'"},
        {"1_2", 8, 1, 10, NULL},
        {"1_2", 10, 1, 12, NULL},
        {"1_2", 16, 1, 18, NULL},
        {"1_2", 36, 1, 38, NULL},
        {"1__2", 0, 0, 0, "invalid literal for int() with base 0: '1__2'"},
        {"1__2", 2, 0, 0, "invalid literal for int() with base 2: '1__2'"},
        {"1__2", 8, 0, 0, "invalid literal for int() with base 8: '1__2'"},
        {"1__2", 10, 0, 0, "invalid literal for int() with base 10: '1__2'"},
        {"1__2", 16, 0, 0, "invalid literal for int() with base 16: '1__2'"},
        {"1__2", 36, 0, 0, "invalid literal for int() with base 36: '1__2'"},
        {"_1", 0, 0, 0, "invalid literal for int() with base 0: '_1'"},
        {"_1", 2, 0, 0, "invalid literal for int() with base 2: '_1'"},
        {"_1", 8, 0, 0, "invalid literal for int() with base 8: '_1'"},
        {"_1", 10, 0, 0, "invalid literal for int() with base 10: '_1'"},
        {"_1", 16, 0, 0, "invalid literal for int() with base 16: '_1'"},
        {"_1", 36, 0, 0, "invalid literal for int() with base 36: '_1'"},
        {"0x__1", 0, 0, 0, "invalid literal for int() with base 0: '0x__1'"},
        {"0x__1", 2, 0, 0, "invalid literal for int() with base 2: '0x__1'"},
        {"0x__1", 8, 0, 0, "invalid literal for int() with base 8: '0x__1'"},
        {"0x__1", 10, 0, 0, "invalid literal for int() with base 10: '0x__1'"},
        {"0x__1", 16, 0, 0, "invalid literal for int() with base 16: '0x__1'"},
        {"0x__1", 36, 0, 0, "invalid literal for int() with base 36: '0x__1'"},
        {"101", 0, 1, 101, NULL},
        {"101", 2, 1, 5, NULL},
        {"101", 8, 1, 65, NULL},
        {"101", 10, 1, 101, NULL},
        {"101", 16, 1, 257, NULL},
        {"101", 36, 1, 1297, NULL},
        {"777", 0, 1, 777, NULL},
        {"777", 2, 0, 0, "invalid literal for int() with base 2: '777'"},
        {"777", 8, 1, 511, NULL},
        {"777", 10, 1, 777, NULL},
        {"777", 16, 1, 1911, NULL},
        {"777", 36, 1, 9331, NULL},
        {"9", 0, 1, 9, NULL},
        {"9", 2, 0, 0, "invalid literal for int() with base 2: '9'"},
        {"9", 8, 0, 0, "invalid literal for int() with base 8: '9'"},
        {"9", 10, 1, 9, NULL},
        {"9", 16, 1, 9, NULL},
        {"9", 36, 1, 9, NULL},
        {"12abc", 0, 0, 0, "invalid literal for int() with base 0: '12abc'"},
        {"12abc", 2, 0, 0, "invalid literal for int() with base 2: '12abc'"},
        {"12abc", 8, 0, 0, "invalid literal for int() with base 8: '12abc'"},
        {"12abc", 10, 0, 0, "invalid literal for int() with base 10: '12abc'"},
        {"12abc", 16, 1, 76476, NULL},
        {"12abc", 36, 1, 1786296, NULL},
        {"7fffffffffffffff", 0, 0, 0, "invalid literal for int() with base 0: '7fffffffffffffff'"},
        {"7fffffffffffffff", 2, 0, 0, "invalid literal for int() with base 2: '7fffffffffffffff'"},
        {"7fffffffffffffff", 8, 0, 0, "invalid literal for int() with base 8: '7fffffffffffffff'"},
        {"7fffffffffffffff", 10, 0, 0,
         "invalid literal for int() with base 10: '7fffffffffffffff'"},
        {"7fffffffffffffff", 16, 1, 9223372036854775807LL, NULL},
        {"-8000000000000000", 0, 1, -8000000000000000LL, NULL},
        {"-8000000000000000", 2, 0, 0,
         "invalid literal for int() with base 2: '-8000000000000000'"},
        {"-8000000000000000", 8, 0, 0,
         "invalid literal for int() with base 8: '-8000000000000000'"},
        {"-8000000000000000", 10, 1, -8000000000000000LL, NULL},
        {"-8000000000000000", 16, 1, INT64_MIN, NULL},
        {"8000000000000000", 0, 1, 8000000000000000LL, NULL},
        {"8000000000000000", 2, 0, 0, "invalid literal for int() with base 2: '8000000000000000'"},
        {"8000000000000000", 8, 0, 0, "invalid literal for int() with base 8: '8000000000000000'"},
        {"8000000000000000", 10, 1, 8000000000000000LL, NULL},
        {"1e3", 0, 0, 0, "invalid literal for int() with base 0: '1e3'"},
        {"1e3", 2, 0, 0, "invalid literal for int() with base 2: '1e3'"},
        {"1e3", 8, 0, 0, "invalid literal for int() with base 8: '1e3'"},
        {"1e3", 10, 0, 0, "invalid literal for int() with base 10: '1e3'"},
        {"1e3", 16, 1, 483, NULL},
        {"1e3", 36, 1, 1803, NULL},
        {"", 0, 0, 0, "invalid literal for int() with base 0: ''"},
        {"", 2, 0, 0, "invalid literal for int() with base 2: ''"},
        {"", 8, 0, 0, "invalid literal for int() with base 8: ''"},
        {"", 10, 0, 0, "invalid literal for int() with base 10: ''"},
        {"", 16, 0, 0, "invalid literal for int() with base 16: ''"},
        {"", 36, 0, 0, "invalid literal for int() with base 36: ''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct int_base_case *c = &cases[i];
        if (!c->ok) {
            mpt_expect_error(bad_int_base, (void *)c, c->error);
            continue;
        }
        mp_str *s = mp_str_cstr(c->s);
        assert_int_equal(mp_int_of_str_base(s, c->base, MP_LOC(1, 1)), c->value);
        mp_str_unref(s);
    }
    static const struct int_base_case bad_base = {"1", 37, 0, 0, NULL};
    mpt_expect_error(bad_int_base, (void *)&bad_base,
                     "ValueError: int() base must be >= 2 and <= 36, or 0");
}

static void test_float_of_str(void **state) {
    (void)state;
    assert_true(float_of("1.5") == 1.5);
    assert_true(float_of(" -2e3 ") == -2000.0);
    assert_true(float_of("inf") == __builtin_inf());
    assert_true(float_of("-Infinity") == -__builtin_inf());
    assert_true(float_of("nan") != float_of("nan"));
    assert_true(float_of("NaN") != float_of("NaN"));
    assert_true(float_of(".5") == 0.5);
    assert_true(float_of("5.") == 5.0);
    assert_true(float_of("1_0.5") == 10.5);
    assert_true(float_of("1e-5") == 1e-5);
    assert_true(float_of("1E+5") == 1e5);
    assert_true(float_of("1e1_0") == 1e10);
    assert_true(float_of("+.5e-3") == 0.0005);
    assert_true(float_of("1e400") == __builtin_inf());
    double nz = float_of("-0");
    assert_true(nz == 0.0 && __builtin_signbit(nz));
    assert_true(float_of("0.1") == 0.1);
}

static void bad_float(void *arg) { float_of(arg); }

static void test_float_of_str_errors(void **state) {
    (void)state;
    static const char *bad[] = {"",       "e5", ".",    "1e",      "abc",   "0x1p3", "1__0",
                                "nan(1)", "in", "1_e5", "infinit", "1.5.2", "--1"};
    char expect[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(expect, sizeof expect, "could not convert string to float: '%s'", bad[i]);
        mpt_expect_error(bad_float, (void *)bad[i], expect);
    }
}

static void bad_float_int(void *arg) { mp_int_of_float(*(double *)arg, MP_LOC(2, 5)); }

static void test_int_of_float(void **state) {
    (void)state;
    assert_int_equal(mp_int_of_float(2.9, MP_LOC(1, 1)), 2);
    assert_int_equal(mp_int_of_float(-2.9, MP_LOC(1, 1)), -2);
    assert_int_equal(mp_int_of_float(-0.0, MP_LOC(1, 1)), 0);
    assert_int_equal(mp_int_of_float(-9223372036854775808.0, MP_LOC(1, 1)), INT64_MIN);
    double nan = __builtin_nan(""), inf = __builtin_inf(), big = 1e19;
    mpt_expect_error(bad_float_int, &nan,
                     "t.mp:2:5: runtime error: ValueError: cannot convert float NaN to "
                     "integer");
    mpt_expect_error(bad_float_int, &inf,
                     "cannot convert float infinity to "
                     "integer");
    mpt_expect_error(bad_float_int, &big, "integer overflow");
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_repr_table),
        cmocka_unit_test(test_float_roundtrip_random),
        cmocka_unit_test(test_str_repr),
        cmocka_unit_test(test_values_and_lists),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_print_one_write),
        cmocka_unit_test(test_print_no_interleave),
        cmocka_unit_test(test_print_epipe),
        cmocka_unit_test(test_int_of_str),
        cmocka_unit_test(test_int_of_str_errors),
        cmocka_unit_test(test_int_of_str_base),
        cmocka_unit_test(test_float_of_str),
        cmocka_unit_test(test_float_of_str_errors),
        cmocka_unit_test(test_int_of_float),
    };
    int r = cmocka_run_group_tests_name("mpr_format", tests, NULL, NULL);
    mp_finish();
    return r;
}
