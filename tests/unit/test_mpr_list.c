/* test_mpr_list: the sequence operations of list.c against tables that
 * python3 generated (slices, list order, round), sort stability, the
 * list methods and their exceptions. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"
#include "list_tables.h"

static const mp_type t_list_int = {MP_LIST, &mp_t_int};
static const mp_type t_list_float = {MP_LIST, &mp_t_float};
static const mp_type t_list_str = {MP_LIST, &mp_t_str};
static const mp_type t_list_list_int = {MP_LIST, &t_list_int};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static mp_list *ints(int n, const int64_t *v) {
    mp_list *l = mp_list_new(&t_list_int, 0);
    for (int i = 0; i < n; i++) mp_list_push(l, (mp_val){.i = v[i]});
    return l;
}

static mp_list *floats(int n, const double *v) {
    mp_list *l = mp_list_new(&t_list_float, 0);
    for (int i = 0; i < n; i++) mp_list_push(l, (mp_val){.f = v[i]});
    return l;
}

static double from_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t to_bits(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static void test_slice_table(void **state) {
    (void)state;
    for (size_t r = 0; r < N(slice_table); r++) {
        mp_slice s = {slice_table[r].lo, slice_table[r].hi, slice_table[r].step,
                      slice_table[r].has_lo, slice_table[r].has_hi};
        int64_t start, step;
        int64_t n = mp_slice_indices(s, slice_table[r].len, &start, &step, MP_LOC(1, 1));
        if (n != slice_table[r].n)
            fail_msg("row %zu: %lld items, python takes %lld", r, (long long)n,
                     (long long)slice_table[r].n);
        for (int64_t k = 0; k < n && k < 8; k++)
            assert_int_equal(start + k * step, slice_table[r].idx[k]);
    }
}

static void slice_zero(void *arg) {
    (void)arg;
    int64_t v[] = {1, 2};
    mp_list_slice(ints(2, v), (mp_slice){0, 0, 0, false, false}, MP_LOC(3, 4));
}

static void test_slices(void **state) {
    (void)state;
    int64_t v[] = {0, 1, 2, 3, 4, 5};
    mp_list *l = ints(6, v);
    mp_list *r = mp_list_slice(l, (mp_slice){-2, 0, -2, true, false}, MP_LOC(1, 1));
    assert_int_equal(mp_list_len(r), 3);
    assert_int_equal(mp_list_get(r, 0, MP_LOC(1, 1)).i, 4);
    assert_int_equal(mp_list_get(r, 2, MP_LOC(1, 1)).i, 0);
    mp_list_unref(r);
    mp_list_unref(l);
    /* strings by code point */
    mp_str *s = mp_str_cstr("a\xc3\xa9z\xf0\x9f\x98\x80!");
    mp_str *t = mp_str_slice(s, (mp_slice){0, 0, -1, false, false}, MP_LOC(1, 1));
    assert_string_equal(t->data, "!\xf0\x9f\x98\x80z\xc3\xa9"
                                 "a");
    mp_str_unref(t);
    t = mp_str_slice(s, (mp_slice){1, 4, 1, true, true}, MP_LOC(1, 1));
    assert_string_equal(t->data, "\xc3\xa9z\xf0\x9f\x98\x80");
    assert_int_equal(mp_str_len(t), 3);
    mp_str_unref(t);
    t = mp_str_slice(s, (mp_slice){9, 20, 1, true, true}, MP_LOC(1, 1));
    assert_int_equal(t->len, 0);
    mp_str_unref(t);
    mp_str_unref(s);
    mpt_expect_error(slice_zero, NULL,
                     "t.mp:3:4: runtime error: ValueError: slice step cannot be zero");
}

static void test_order_table(void **state) {
    (void)state;
    for (size_t r = 0; r < N(order_table); r++) {
        mp_list *a = floats(order_table[r].na, order_table[r].a);
        mp_list *b = floats(order_table[r].nb, order_table[r].b);
        int c = mp_list_order(a, b);
        if (mp_ord_lt(c) != order_table[r].lt || mp_ord_gt(c) != order_table[r].gt ||
            mp_ord_le(c) != order_table[r].le || mp_list_eq(a, b) != order_table[r].eq)
            fail_msg("row %zu: order %d differs from python", r, c);
        mp_list_unref(a);
        mp_list_unref(b);
    }
}

static void test_compare_mixed(void **state) {
    (void)state;
    mp_val i = {.i = 9007199254740993}, f = {.f = 9007199254740992.0};
    assert_int_equal(mp_compare(&mp_t_int, i, &mp_t_float, f), 1);
    assert_int_equal(mp_compare(&mp_t_float, f, &mp_t_int, i), -1);
    mp_val nan = {.f = NAN};
    assert_int_equal(mp_compare(&mp_t_int, i, &mp_t_float, nan), MP_UNORDERED);
    assert_int_equal(mp_compare(&mp_t_float, nan, &mp_t_int, i), MP_UNORDERED);
    assert_int_equal(mp_val_cmp(&mp_t_bool, (mp_val){.b = false}, (mp_val){.b = true}), -1);
    double fs[] = {1.0, 9007199254740992.0};
    mp_list *l = floats(2, fs);
    assert_true(mp_list_contains(l, &mp_t_int, (mp_val){.i = 1}));
    assert_false(mp_list_contains(l, &mp_t_int, i));
    assert_int_equal(mp_list_index(l, &mp_t_int, (mp_val){.i = 9007199254740992}, MP_LOC(1, 1)), 1);
    mp_list_unref(l);
}

static void test_round_table(void **state) {
    (void)state;
    for (size_t r = 0; r < N(round_table); r++) {
        double got = mp_round_fn(from_bits(round_table[r].x), round_table[r].n, MP_LOC(1, 1));
        if (to_bits(got) != round_table[r].r)
            fail_msg("round(%.17g, %lld) = %.17g, python says %.17g", from_bits(round_table[r].x),
                     (long long)round_table[r].n, got, from_bits(round_table[r].r));
    }
    assert_int_equal(mp_round_f(2.5, MP_LOC(1, 1)), 2);
    assert_int_equal(mp_round_f(-3.5, MP_LOC(1, 1)), -4);
    assert_int_equal(mp_round_f(0.49999999999999994, MP_LOC(1, 1)), 0);
    assert_int_equal(mp_round_in(1250, -2, MP_LOC(1, 1)), 1200);
    assert_int_equal(mp_round_in(-1350, -2, MP_LOC(1, 1)), -1400);
    assert_int_equal(mp_round_in(INT64_MIN, -18, MP_LOC(1, 1)), -9000000000000000000);
    assert_int_equal(mp_round_in(5, -1, MP_LOC(1, 1)), 0);
    assert_int_equal(mp_round_in(15, -1, MP_LOC(1, 1)), 20);
    assert_int_equal(mp_round_in(INT64_MAX, -30, MP_LOC(1, 1)), 0);
}

static void round_nan(void *arg) {
    (void)arg;
    mp_round_f(NAN, MP_LOC(2, 2));
}

static void round_inf(void *arg) {
    (void)arg;
    mp_round_f(-INFINITY, MP_LOC(2, 2));
}

static void round_big(void *arg) {
    (void)arg;
    mp_round_fn(1.7976931348623157e308, -308, MP_LOC(2, 2));
}

static void test_round_errors(void **state) {
    (void)state;
    mpt_expect_error(round_nan, NULL, "ValueError: cannot convert float NaN to integer");
    mpt_expect_error(round_inf, NULL, "OverflowError: cannot convert float infinity to integer");
    mpt_expect_error(round_big, NULL, "OverflowError: rounded value too large to represent");
}

/* A deterministic pseudo-random sequence. */
static uint32_t next_rand(uint32_t *s) {
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static void check_stable(bool reverse) {
    enum { COUNT = 500 };
    uint32_t seed = 42;
    mp_list *items = mp_list_new(&t_list_int, 0), *keys = mp_list_new(&t_list_int, 0);
    for (int64_t i = 0; i < COUNT; i++) {
        mp_list_push(items, (mp_val){.i = i});
        mp_list_push(keys, (mp_val){.i = (int64_t)(next_rand(&seed) % 7)});
    }
    mp_list *orig_keys = mp_list_shallow(keys);
    mp_list_sort(items, keys, reverse, MP_LOC(1, 1));
    for (int64_t k = 1; k < COUNT; k++) {
        int64_t a = mp_list_get(items, k - 1, MP_LOC(1, 1)).i;
        int64_t b = mp_list_get(items, k, MP_LOC(1, 1)).i;
        int64_t ka = mp_list_get(orig_keys, a, MP_LOC(1, 1)).i;
        int64_t kb = mp_list_get(orig_keys, b, MP_LOC(1, 1)).i;
        if (reverse) assert_true(ka >= kb);
        else assert_true(ka <= kb);
        if (ka == kb) assert_true(a < b); /* equal keys keep their order */
    }
    mp_list_unref(orig_keys);
    mp_list_unref(keys);
    mp_list_unref(items);
}

static void test_sort_stable(void **state) {
    (void)state;
    check_stable(false);
    check_stable(true);
}

static void test_sort_values(void **state) {
    (void)state;
    mp_list *l = mp_list_new(&t_list_str, 0);
    const char *words[] = {"pear", "", "\xc3\xa9", "apple", "Apple", "z"};
    for (size_t i = 0; i < N(words); i++) mp_list_push(l, (mp_val){.s = mp_str_cstr(words[i])});
    mp_list_sort(l, NULL, false, MP_LOC(1, 1));
    const char *want[] = {"", "Apple", "apple", "pear", "z", "\xc3\xa9"};
    for (size_t i = 0; i < N(want); i++)
        assert_string_equal(mp_list_get(l, (int64_t)i, MP_LOC(1, 1)).s->data, want[i]);
    mp_list_unref(l);
    mp_list *n = mp_list_new(&t_list_list_int, 0);
    int64_t a[] = {1, 2}, b[] = {1}, c[] = {0, 9};
    mp_list_push(n, (mp_val){.l = ints(2, a)});
    mp_list_push(n, (mp_val){.l = ints(1, b)});
    mp_list_push(n, (mp_val){.l = ints(2, c)});
    mp_list_sort(n, NULL, true, MP_LOC(1, 1));
    assert_int_equal(mp_list_len(mp_list_get(n, 0, MP_LOC(1, 1)).l), 2);
    assert_int_equal(mp_list_get(mp_list_get(n, 2, MP_LOC(1, 1)).l, 0, MP_LOC(1, 1)).i, 0);
    assert_int_equal(mp_list_minmax(n, NULL, false, MP_LOC(1, 1)), 2);
    assert_int_equal(mp_list_minmax(n, NULL, true, MP_LOC(1, 1)), 0);
    mp_list_unref(n);
}

static void sort_keys_short(void *arg) {
    (void)arg;
    int64_t v[] = {3, 1};
    mp_list_sort(ints(2, v), ints(1, v), false, MP_LOC(5, 1));
}

static void test_sort_modified(void **state) {
    (void)state;
    mpt_expect_error(sort_keys_short, NULL, "ValueError: list modified during sort");
}

static void test_methods(void **state) {
    (void)state;
    int64_t v[] = {1, 2, 3};
    mp_list *l = ints(3, v);
    mp_list_insert(l, -100, (mp_val){.i = 0});
    mp_list_insert(l, 100, (mp_val){.i = 9});
    mp_list_insert(l, -1, (mp_val){.i = 8});
    int64_t want[] = {0, 1, 2, 3, 8, 9};
    assert_int_equal(mp_list_len(l), 6);
    for (int i = 0; i < 6; i++) assert_int_equal(mp_list_get(l, i, MP_LOC(1, 1)).i, want[i]);
    assert_int_equal(mp_list_index(l, &mp_t_int, (mp_val){.i = 8}, MP_LOC(1, 1)), 4);
    assert_int_equal(mp_list_count(l, &mp_t_int, (mp_val){.i = 5}), 0);
    mp_list_remove(l, &mp_t_int, (mp_val){.i = 0}, MP_LOC(1, 1));
    assert_int_equal(mp_list_pop(l, 0, MP_LOC(1, 1)).i, 1);
    mp_list_reverse(l);
    assert_int_equal(mp_list_get(l, 0, MP_LOC(1, 1)).i, 9);
    assert_true(mp_list_contains(l, &mp_t_int, (mp_val){.i = 2}));
    mp_list_clear(l);
    assert_int_equal(mp_list_len(l), 0);
    assert_false(mp_list_contains(l, &mp_t_int, (mp_val){.i = 2}));
    mp_list_push(l, (mp_val){.i = 4});
    assert_int_equal(mp_list_sum_i(l, 10, MP_LOC(1, 1)), 14);
    assert_true(mp_list_sum_f(l, 0.5) == 4.5);
    mp_list_unref(l);
    mp_str *s = mp_str_cstr("h\xc3\xa9llo");
    mp_str *sub = mp_str_cstr("\xc3\xa9l"), *none = mp_str_cstr("");
    assert_true(mp_str_contains(s, sub));
    assert_true(mp_str_contains(none, none));
    assert_false(mp_str_contains(none, sub));
    mp_list *chars = mp_list_of_str(s, &t_list_str);
    assert_int_equal(mp_list_len(chars), 5);
    assert_string_equal(mp_list_get(chars, 1, MP_LOC(1, 1)).s->data, "\xc3\xa9");
    mp_list_unref(chars);
    mp_str_unref(s);
    mp_str_unref(sub);
    mp_str_unref(none);
}

static void pop_out_of_range(void *arg) {
    (void)arg;
    int64_t v[] = {1};
    mp_list_pop(ints(1, v), 1, MP_LOC(7, 3));
}

static void index_missing(void *arg) {
    (void)arg;
    mp_list *l = mp_list_new(&t_list_str, 0);
    mp_str *x = mp_str_cstr("it's");
    mp_list_index(l, &mp_t_str, (mp_val){.s = x}, MP_LOC(7, 3));
}

static void remove_missing(void *arg) {
    (void)arg;
    mp_list_remove(mp_list_new(&t_list_int, 0), &mp_t_int, (mp_val){.i = 1}, MP_LOC(7, 3));
}

static void min_empty(void *arg) {
    (void)arg;
    mp_list_minmax(mp_list_new(&t_list_int, 0), NULL, false, MP_LOC(7, 3));
}

static void max_empty(void *arg) {
    (void)arg;
    mp_list_minmax(mp_list_new(&t_list_int, 0), NULL, true, MP_LOC(7, 3));
}

static void test_method_errors(void **state) {
    (void)state;
    mpt_expect_error(pop_out_of_range, NULL,
                     "t.mp:7:3: runtime error: IndexError: pop index out of range");
    mpt_expect_error(index_missing, NULL, "ValueError: \"it's\" is not in list");
    mpt_expect_error(remove_missing, NULL, "ValueError: list.remove(x): x not in list");
    mpt_expect_error(min_empty, NULL, "ValueError: min() arg is an empty sequence");
    mpt_expect_error(max_empty, NULL, "ValueError: max() arg is an empty sequence");
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice_table),   cmocka_unit_test(test_slices),
        cmocka_unit_test(test_order_table),   cmocka_unit_test(test_compare_mixed),
        cmocka_unit_test(test_round_table),   cmocka_unit_test(test_round_errors),
        cmocka_unit_test(test_sort_stable),   cmocka_unit_test(test_sort_values),
        cmocka_unit_test(test_sort_modified), cmocka_unit_test(test_methods),
        cmocka_unit_test(test_method_errors),
    };
    int r = cmocka_run_group_tests_name("mpr_list", tests, NULL, NULL);
    mp_finish();
    return r;
}
