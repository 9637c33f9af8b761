/* test_mpr_pool.c: process pools (pool.c): results in order or each
 * exactly once, every chunking, exceptions carried back from workers with
 * Python's kind and text, Python's errors for misuse, and a worker killed
 * in the middle of a task (a located runtime error, never a hang). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

#define AT MP_LOC(1, 1)

static const mp_type list_int = {MP_LIST, &mp_t_int};

static mp_val triple(mp_val x) { return (mp_val){.i = 3 * x.i + 1}; }

static mp_val fails_at_5(mp_val x) {
    if (x.i == 5) mp_raise(MP_EXC_KeyError, AT, "'five'"); /* a KeyError's text as sent */
    return x;
}

static mp_val killed_at_3(mp_val x) {
    if (x.i == 3) raise(SIGKILL);
    return x;
}

static const mp_pool_fn triple_fn = {"triple", triple, &list_int, &list_int};
static const mp_pool_fn fails_fn = {"fails_at_5", fails_at_5, &list_int, &list_int};
static const mp_pool_fn killed_fn = {"killed_at_3", killed_at_3, &list_int, &list_int};

static mp_list *range_list(int64_t n) {
    mp_list *l = mp_list_new(&list_int, (size_t)n);
    for (int64_t i = 0; i < n; i++) mp_list_push(l, (mp_val){.i = i});
    return l;
}

static void test_map_every_chunking(void **state) {
    (void)state;
    mp_pool *p = mp_make_pool(3, "p", AT);
    mp_list *xs = range_list(1000);
    const int64_t sizes[] = {MP_POOL_AUTO, 1, 7, 999, 1000, 5000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        mp_list *r = mp_pool_map(p, &triple_fn, xs, sizes[k], MP_POOL_ORDERED, AT);
        assert_int_equal(mp_list_len(r), 1000);
        for (int64_t i = 0; i < 1000; i++) assert_int_equal(mp_list_get(r, i, AT).i, 3 * i + 1);
        mp_list_unref(r);
        /* unordered: each result exactly once */
        r = mp_pool_map(p, &triple_fn, xs, sizes[k], MP_POOL_UNORDERED, AT);
        assert_int_equal(mp_list_len(r), 1000);
        char seen[1000] = {0};
        for (int64_t i = 0; i < 1000; i++) {
            int64_t v = mp_list_get(r, i, AT).i;
            assert_int_equal((v - 1) % 3, 0);
            assert_false(seen[(v - 1) / 3]);
            seen[(v - 1) / 3] = 1;
        }
        mp_list_unref(r);
    }
    mp_list_unref(xs);
    mp_list *none = range_list(0);
    mp_list *r = mp_pool_map(p, &triple_fn, none, MP_POOL_AUTO, MP_POOL_ORDERED, AT);
    assert_int_equal(mp_list_len(r), 0);
    mp_list_unref(r);
    mp_list_unref(none);
    mp_pool_close(p);
    mp_pool_join(p, AT);
}

static void test_exception_comes_back(void **state) {
    (void)state;
    mp_try_enter();
    mp_pool *p = mp_make_pool(2, "p", AT);
    mp_list *xs = range_list(10);
    mp_list *r = mp_pool_map(p, &fails_fn, xs, 1, MP_POOL_ORDERED, AT);
    assert_null(r); /* harmless */
    mp_list_unref(r);
    mpt_expect_raised(MP_EXC_KeyError, "'five'");                          /* not quoted twice */
    r = mp_pool_map(p, &triple_fn, xs, MP_POOL_AUTO, MP_POOL_ORDERED, AT); /* still usable */
    assert_int_equal(mp_list_get(r, 9, AT).i, 28);
    assert_false(mp_exc_flag);
    mp_list_unref(r);
    mp_list_unref(xs);
    mp_pool_terminate(p);
    mp_try_leave();
}

static void test_python_errors(void **state) {
    (void)state;
    mp_try_enter();
    mp_pool *p = mp_make_pool(0, "zero", AT);
    mpt_expect_raised(MP_EXC_ValueError, "Number of processes must be at least 1");
    mp_list *xs = range_list(3);
    mp_list *r = mp_pool_map(p, &triple_fn, xs, 0, MP_POOL_ORDERED, AT);
    mp_list_unref(r);
    mpt_expect_raised(MP_EXC_ValueError, "Chunksize must be 1+, not 0");
    r = mp_pool_map(p, &triple_fn, xs, -2, MP_POOL_UNORDERED, AT);
    mp_list_unref(r);
    mpt_expect_raised(MP_EXC_ValueError, "Chunksize must be 1+, not -2");
    mp_pool_join(p, AT);
    mpt_expect_raised(MP_EXC_ValueError, "Pool is still running");
    r = mp_pool_map(p, &triple_fn, xs, 1, MP_POOL_ORDERED, AT); /* one worker did it all */
    assert_int_equal(mp_list_len(r), 3);
    mp_list_unref(r);
    mp_pool_close(p);
    r = mp_pool_map(p, &triple_fn, xs, 1, MP_POOL_ORDERED, AT);
    mp_list_unref(r);
    mpt_expect_raised(MP_EXC_ValueError, "Pool not running");
    mp_pool_join(p, AT);
    assert_false(mp_exc_flag);
    mp_list_unref(xs);
    mp_try_leave();
}

static void test_apply_async(void **state) {
    (void)state;
    mp_try_enter();
    mp_pool *p = mp_make_pool(2, "a", AT);
    int64_t h[50];
    for (int i = 0; i < 50; i++) h[i] = mp_pool_apply_async(p, &triple_fn, (mp_val){.i = i}, AT);
    /* a map while jobs are pending: both complete */
    mp_list *xs = range_list(100);
    mp_list *r = mp_pool_map(p, &triple_fn, xs, 3, MP_POOL_ORDERED, AT);
    assert_int_equal(mp_list_get(r, 99, AT).i, 298);
    mp_list_unref(r);
    mp_list_unref(xs);
    for (int i = 49; i >= 0; i--) {
        assert_int_equal(mp_async_get(h[i], -1, AT).i, 3 * i + 1);
        assert_true(mp_async_ready(h[i], AT));
    }
    int64_t bad = mp_pool_apply_async(p, &fails_fn, (mp_val){.i = 5}, AT);
    mp_async_wait(bad, -1, AT);
    assert_true(mp_async_ready(bad, AT));
    for (int k = 0; k < 2; k++) { /* raised again at every get */
        mp_async_get(bad, 0, AT);
        mpt_expect_raised(MP_EXC_KeyError, "'five'");
    }
    mp_pool_close(p);
    mp_pool_apply_async(p, &triple_fn, (mp_val){.i = 1}, AT);
    mpt_expect_raised(MP_EXC_ValueError, "Pool not running");
    mp_pool_join(p, AT);
    mp_try_leave();
}

static void test_terminate_abandons(void **state) {
    (void)state;
    mp_try_enter();
    mp_pool *p = mp_make_pool(1, "t", AT);
    int64_t h[20];
    for (int i = 0; i < 20; i++) h[i] = mp_pool_apply_async(p, &triple_fn, (mp_val){.i = i}, AT);
    mp_pool_terminate(p);
    for (int i = 0; i < 20; i++) { /* done before, or abandoned: never a wait */
        mp_val v = mp_async_get(h[i], -1, AT);
        if (mp_exc_flag) mpt_expect_raised(MP_EXC_ValueError, "Pool not running");
        else assert_int_equal(v.i, 3 * i + 1);
    }
    mp_pool_join(p, AT);
    assert_false(mp_exc_flag);
    mp_try_leave();
}

static void map_with_a_killed_worker(void *arg) {
    (void)arg;
    mp_pool *p = mp_make_pool(1, "k", AT);
    mp_list *xs = range_list(6);
    mp_list_unref(mp_pool_map(p, &killed_fn, xs, 1, MP_POOL_ORDERED, MP_LOC(7, 9)));
}

static void test_worker_killed(void **state) {
    (void)state;
    int code;
    char *out = mpt_capture(map_with_a_killed_worker, NULL, "t", &code, NULL);
    if (!strstr(out, ":7:9: runtime error: pool worker 'k[0]' (pid ") ||
        !strstr(out, ") died while running 'killed_at_3' (killed by signal 9)"))
        fail_msg("unexpected: '%s'", out);
    assert_int_equal(code, 1);
    free(out);
}

int main(void) {
    mp_init("test_mpr_pool", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_every_chunking), cmocka_unit_test(test_exception_comes_back),
        cmocka_unit_test(test_python_errors),      cmocka_unit_test(test_apply_async),
        cmocka_unit_test(test_terminate_abandons), cmocka_unit_test(test_worker_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
