/* test_mpr_arith.c: the arithmetic helpers of mpr.h and arith.c, with
 * Python semantics (expected values from CPython 3.11). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"
#include "arith_exact.h"

#define L MP_LOC(3, 14)

static bool same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b); }

static void test_int_ops(void **state) {
    (void)state;
    assert_int_equal(mp_add(2, 3, L), 5);
    assert_int_equal(mp_add(INT64_MAX, -1, L), INT64_MAX - 1);
    assert_int_equal(mp_sub(INT64_MIN + 1, 1, L), INT64_MIN);
    assert_int_equal(mp_mul(-4611686018427387904, 2, L), INT64_MIN);
    assert_int_equal(mp_neg(INT64_MAX, L), -INT64_MAX);
    /* floor division and modulo: Python rounds toward -infinity */
    static const int64_t cases[][4] = {
        /* a, b, a // b, a % b */
        {-7, 2, -4, 1},
        {7, -2, -4, -1},
        {-7, -2, 3, -1},
        {7, 2, 3, 1},
        {0, 5, 0, 0},
        {-6, 3, -2, 0},
        {6, -3, -2, 0},
        {1, -1, -1, 0},
        {INT64_MIN, -1 + 2, INT64_MIN, 0},
        {INT64_MIN, 2, INT64_MIN / 2, 0},
        {INT64_MAX, -2, -4611686018427387904, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(mp_floordiv(cases[i][0], cases[i][1], L), cases[i][2]);
        assert_int_equal(mp_mod(cases[i][0], cases[i][1], L), cases[i][3]);
    }
    assert_int_equal(mp_mod(INT64_MIN, -1, L), 0);
    assert_int_equal(mp_floordiv(INT64_MAX, -1, L), -INT64_MAX);
    /* powers */
    assert_int_equal(mp_pow(2, 62, L), 4611686018427387904);
    assert_int_equal(mp_pow(-2, 63, L), INT64_MIN);
    assert_int_equal(mp_pow(3, 0, L), 1);
    assert_int_equal(mp_pow(0, 0, L), 1);
    assert_int_equal(mp_pow(-1, 1000001, L), -1);
    assert_int_equal(mp_pow(10, 18, L), 1000000000000000000);
    assert_int_equal(mp_pow(0, 5, L), 0);
    assert_true(mp_idiv(7, 2, L) == 3.5);
    assert_true(mp_idiv(-1, 3, L) == -1.0 / 3.0);
}

/* The flags of the overflow pass of element-wise loops: the sign bit says
 * exactly when mp_add, mp_sub and mp_neg overflow, and at least when mp_mul
 * does (else an operand lies outside int32); the results wrap. */
static void check_flag(const char *what, int64_t a, int64_t b, int64_t ov, int64_t r, bool o,
                       int64_t want) {
    if ((ov < 0) != o || r != want)
        fail_msg("%s %" PRId64 " %" PRId64 ": flag %d result %" PRId64 ", want %d %" PRId64, what,
                 a, b, ov < 0, r, o, want);
}

static void test_overflow_flags(void **state) {
    (void)state;
    static const int64_t v[] = {
        0,
        1,
        -1,
        2,
        -2,
        3,
        INT32_MAX,
        INT32_MIN,
        2147483648,
        -2147483649,
        3037000499,
        3037000500,
        -3037000500,
        12345678901,
        INT64_MAX,
        INT64_MAX - 1,
        INT64_MIN,
        INT64_MIN + 1,
        4611686018427387904,
        -4611686018427387904,
    };
    enum { N = sizeof v / sizeof v[0] };
    for (size_t i = 0; i < N; i++) {
        int64_t a = v[i], want, ov = 0, r;
        bool o;
        r = mp_neg_ov(a, &ov);
        o = __builtin_sub_overflow(0, a, &want);
        check_flag("neg", a, 0, ov, r, o, want);
        /* constant operands: the one-operation tests */
        ov = 0, r = mp_add_ov(a, 1, &ov), o = __builtin_add_overflow(a, 1, &want);
        check_flag("+ 1", a, 1, ov, r, o, want);
        ov = 0, r = mp_add_ov(a, -1, &ov), o = __builtin_add_overflow(a, -1, &want);
        check_flag("+ -1", a, -1, ov, r, o, want);
        ov = 0, r = mp_sub_ov(a, 1, &ov), o = __builtin_sub_overflow(a, 1, &want);
        check_flag("- 1", a, 1, ov, r, o, want);
        ov = 0, r = mp_sub_ov(a, -1, &ov), o = __builtin_sub_overflow(a, -1, &want);
        check_flag("- -1", a, -1, ov, r, o, want);
        ov = 0, r = mp_add_ov(a, INT64_MIN, &ov), o = __builtin_add_overflow(a, INT64_MIN, &want);
        check_flag("+ MIN", a, INT64_MIN, ov, r, o, want);
        ov = 0, r = mp_sub_ov(a, INT64_MIN, &ov), o = __builtin_sub_overflow(a, INT64_MIN, &want);
        check_flag("- MIN", a, INT64_MIN, ov, r, o, want);
        for (size_t j = 0; j < N; j++) {
            int64_t b = v[j];
            ov = 0, r = mp_add_ov(a, b, &ov), o = __builtin_add_overflow(a, b, &want);
            check_flag("+", a, b, ov, r, o, want);
            ov = 0, r = mp_sub_ov(a, b, &ov), o = __builtin_sub_overflow(a, b, &want);
            check_flag("-", a, b, ov, r, o, want);
            ov = 0, r = mp_mul_ov(a, b, &ov), o = __builtin_mul_overflow(a, b, &want);
            bool small = a >= INT32_MIN && a <= INT32_MAX && b >= INT32_MIN && b <= INT32_MAX;
            check_flag("*", a, b, ov, r, o || !small, want);
        }
    }
}

struct binop {
    int op;
    int64_t a, b;
};

static void int_op(void *arg) {
    struct binop *o = arg;
    switch (o->op) {
    case 0: mp_add(o->a, o->b, L); break;
    case 1: mp_sub(o->a, o->b, L); break;
    case 2: mp_mul(o->a, o->b, L); break;
    case 3: mp_floordiv(o->a, o->b, L); break;
    case 4: mp_mod(o->a, o->b, L); break;
    case 5: mp_pow(o->a, o->b, L); break;
    case 6: mp_neg(o->a, L); break;
    case 7: mp_idiv(o->a, o->b, L); break;
    }
}

/* len(range(start, stop, step)) as Python gives it, to the int64 ends;
 * a count past INT64_MAX is negative (no list can hold it). */
static void test_range_count(void **state) {
    (void)state;
    static const struct {
        int64_t start, stop, step, count;
    } cases[] = {
        {0, 10, 1, 10},
        {0, 10, 3, 4},
        {10, 0, -3, 4},
        {0, 0, 1, 0},
        {5, 0, 1, 0},
        {0, 5, -1, 0},
        {-5, 5, 2, 5},
        {INT64_MAX - 1, INT64_MAX, 1, 1},
        {INT64_MIN, INT64_MAX, INT64_MAX, 3},
        {INT64_MAX, INT64_MIN, INT64_MIN, 2},
        {INT64_MIN, INT64_MIN + 10, INT64_MAX, 1},
        {0, 7, 0, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        assert_int_equal(mp_range_count(cases[k].start, cases[k].stop, cases[k].step),
                         cases[k].count);
    assert_true(mp_range_count(INT64_MIN, INT64_MAX, 1) < 0);
}

static void test_int_errors(void **state) {
    (void)state;
    static const struct {
        struct binop o;
        const char *msg;
    } cases[] = {
        {{0, INT64_MAX, 1}, "OverflowError: integer overflow"},
        {{0, INT64_MIN, -1}, "OverflowError: integer overflow"},
        {{1, INT64_MIN, 1}, "OverflowError: integer overflow"},
        {{2, INT64_MAX, 2}, "OverflowError: integer overflow"},
        {{2, INT64_MIN, -1}, "OverflowError: integer overflow"},
        {{3, 5, 0}, "ZeroDivisionError: integer division or modulo by zero"},
        {{4, 5, 0}, "ZeroDivisionError: integer modulo by zero"},
        {{3, INT64_MIN, -1}, "OverflowError: integer overflow"},
        {{5, 2, 63}, "OverflowError: integer overflow"},
        {{5, 10, 19}, "OverflowError: integer overflow"},
        {{5, 3, 40}, "OverflowError: integer overflow"},
        {{5, 2, -1}, "ValueError: negative exponent in integer power"},
        {{6, INT64_MIN, 0}, "OverflowError: integer overflow"},
        {{7, 1, 0}, "ZeroDivisionError: division by zero"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct binop o = cases[i].o;
        char expect[160];
        snprintf(expect, sizeof expect, "t.mp:3:14: runtime error: %s (in process t, pid ",
                 cases[i].msg);
        mpt_expect_error(int_op, &o, expect);
    }
}

static void test_float_ops(void **state) {
    (void)state;
    static const double cases[][4] = {
        /* a, b, a // b, a % b (CPython) */
        {-8.0, 3, -3.0, 1.0},
        {8.0, -3, -3.0, -1.0},
        {-7.5, 2, -4.0, 0.5},
        {7.5, -2, -4.0, -0.5},
        {-0.0, 5, -0.0, 0.0},
        {5, -0.5, -10.0, -0.0},
        {1e300, 7, 1.4285714285714286e+299, 1.0},
        {-1e-300, 3, -1.0, 3.0},
        {6.0, 2.0, 3.0, 0.0},
        {-6.0, 3, -2.0, 0.0},
        {0.5, 0.1, 4.0, 0.09999999999999998},
        {1.0, __builtin_inf(), 0.0, 1.0},
        {-1.0, __builtin_inf(), -1.0, __builtin_inf()},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double q = mp_ffloordiv(cases[i][0], cases[i][1], L);
        double m = mp_fmod(cases[i][0], cases[i][1], L);
        if (!same(q, cases[i][2]) || !same(m, cases[i][3]))
            fail_msg("case %zu: %.17g // %.17g = %.17g (want %.17g), "
                     "%% = %.17g (want %.17g)",
                     i, cases[i][0], cases[i][1], q, cases[i][2], m, cases[i][3]);
    }
    assert_true(mp_fdiv(1.0, 4.0, L) == 0.25);
    assert_true(same(mp_fdiv(-0.0, 4.0, L), -0.0));
    /* C fmod is exact */
    assert_true(same(mp_fmod_raw(1e300, 7.0), 1.0));
    assert_true(same(mp_fmod_raw(-5.5, 2.0), -1.5));
    assert_true(same(mp_fmod_raw(5e-324, 1e-320), 5e-324));
    assert_true(same(mp_fmod_raw(1.7976931348623157e308, 3e-320), 8.933e-321));
    assert_true(mp_fmod_raw(__builtin_inf(), 2.0) != mp_fmod_raw(1, 0));
    assert_true(same(mp_floor_raw(-0.5), -1.0));
    assert_true(same(mp_floor_raw(-0.0), -0.0));
    assert_true(same(mp_floor_raw(2.5), 2.0));
    assert_true(same(mp_floor_raw(-4503599627370497.0), -4503599627370497.0));
}

struct fop {
    int op;
    double a, b;
};

static void float_op(void *arg) {
    struct fop *o = arg;
    switch (o->op) {
    case 0: mp_fdiv(o->a, o->b, L); break;
    case 1: mp_ffloordiv(o->a, o->b, L); break;
    case 2: mp_fmod(o->a, o->b, L); break;
    }
}

static void test_float_errors(void **state) {
    (void)state;
    struct fop a = {0, 1.0, 0.0}, b = {1, 1.0, -0.0}, c = {2, 1.0, 0.0};
    mpt_expect_error(float_op, &a, "runtime error: ZeroDivisionError: float division by zero");
    mpt_expect_error(float_op, &b,
                     "runtime error: ZeroDivisionError: float floor division by zero");
    mpt_expect_error(float_op, &c, "runtime error: ZeroDivisionError: float modulo (in process");
}

/* Every int / int and int <=> float of the table is what python3 said. */
static void test_exact_mixed(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof idiv_table / sizeof idiv_table[0]; i++) {
        double q = mp_idiv(idiv_table[i].a, idiv_table[i].b, L);
        uint64_t got;
        memcpy(&got, &q, sizeof got);
        if (got != idiv_table[i].bits)
            fail_msg("%" PRId64 " / %" PRId64 " = %.17g (bits %" PRIx64 ", want %" PRIx64 ")",
                     idiv_table[i].a, idiv_table[i].b, q, got, idiv_table[i].bits);
    }
    for (size_t i = 0; i < sizeof cmp_table / sizeof cmp_table[0]; i++) {
        double f;
        memcpy(&f, &cmp_table[i].f, sizeof f);
        int64_t a = cmp_table[i].a;
        int c = cmp_table[i].cmp;
        if (mp_cmp_if(a, f) != c)
            fail_msg("%" PRId64 " <=> %.17g = %d, want %d", a, f, mp_cmp_if(a, f), c);
        /* the operators, both ways round */
        assert_true(mp_if_eq(a, f) == (c == 0) && mp_fi_eq(f, a) == (c == 0));
        assert_true(mp_if_ne(a, f) == (c != 0) && mp_fi_ne(f, a) == (c != 0));
        assert_true(mp_if_lt(a, f) == (c == -1) && mp_fi_gt(f, a) == (c == -1));
        assert_true(mp_if_gt(a, f) == (c == 1) && mp_fi_lt(f, a) == (c == 1));
        assert_true(mp_if_le(a, f) == (c == -1 || c == 0));
        assert_true(mp_fi_ge(f, a) == (c == -1 || c == 0));
        assert_true(mp_if_ge(a, f) == (c == 1 || c == 0));
        assert_true(mp_fi_le(f, a) == (c == 1 || c == 0));
    }
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_ops),     cmocka_unit_test(test_int_errors),
        cmocka_unit_test(test_float_ops),   cmocka_unit_test(test_float_errors),
        cmocka_unit_test(test_exact_mixed), cmocka_unit_test(test_overflow_flags),
        cmocka_unit_test(test_range_count),
    };
    int r = cmocka_run_group_tests_name("mpr_arith", tests, NULL, NULL);
    mp_finish();
    return r;
}
