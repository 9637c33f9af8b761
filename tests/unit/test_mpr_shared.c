/* test_mpr_shared.c: shared values and arrays (shared.c): atomic access,
 * 16 processes x 100000 increments ending exact (atomic add and
 * lock-held read-modify-write), lock recovery after a holder is
 * SIGKILLed, array indexing and formatting, and runtime errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
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

static const mp_type t_list_int = {MP_LIST, &mp_t_int};
static const mp_type t_list_float = {MP_LIST, &mp_t_float};

#define L MP_LOC(1, 1)

static char *fmt_array(mp_array *a) {
    static char out[256];
    mp_buf b = {0};
    mp_buf_array(&b, a);
    snprintf(out, sizeof out, "%s", b.data);
    mp_buf_free(&b);
    return out;
}

/* ---- values ----------------------------------------------------------- */

static void test_value_ops(void **state) {
    (void)state;
    mp_value *v = mp_value_new(MP_INT, (mp_val){.i = 5}, "counter");
    assert_non_null(v);
    assert_string_equal(v->name, "counter");
    assert_int_equal(mp_value_load_i(v), 5);
    mp_value_store_i(v, 10);
    assert_int_equal(mp_value_add_i(v, 5, L), 15);
    assert_int_equal(mp_value_sub_i(v, 20, L), -5);
    assert_int_equal(mp_value_and_i(v, 0xff), 0xfb);
    assert_int_equal(mp_value_or_i(v, 0x100), 0x1fb);
    assert_int_equal(mp_value_xor_i(v, 0x1), 0x1fa);
    int64_t exp = 0;
    assert_false(mp_value_cas_i(v, &exp, 1));
    assert_int_equal(exp, 0x1fa);
    assert_true(mp_value_cas_i(v, &exp, 1));
    assert_int_equal(mp_value_xchg_i(v, 7), 1);
    mp_buf b = {0};
    mp_buf_value(&b, v);
    assert_string_equal(b.data, "7");
    mp_buf_free(&b);
    mp_value_free(v);

    mp_value *f = mp_value_new(MP_FLOAT, (mp_val){.f = 0.5}, "f");
    assert_true(mp_value_load_f(f) == 0.5);
    assert_true(mp_value_add_f(f, 0.25) == 0.75);
    mp_value_store_f(f, -0.0);
    double e = 1.0;
    assert_false(mp_value_cas_f(f, &e, 2.0));
    assert_true(mp_value_cas_f(f, &e, 0.1));
    mp_buf_value(&b, f);
    assert_string_equal(b.data, "0.1");
    mp_buf_free(&b);
    mp_value_free(f);

    mp_value *x = mp_value_new(MP_BOOL, (mp_val){.b = true}, "flag");
    assert_true(mp_value_load_b(x));
    mp_value_store_b(x, false);
    mp_buf_value(&b, x);
    assert_string_equal(b.data, "False");
    mp_buf_free(&b);
    mp_value_free(x);

    assert_null(mp_value_new(MP_STR, (mp_val){.i = 0}, "s"));
    assert_int_equal(errno, EINVAL);
}

enum { NPROC = 16, ITER = 100000 };
static mp_value *counter;
/* All processes meet at a barrier every ROUND increments, so they really
 * run at the same time (without it, on 2 cores, they could mostly run
 * one after another and a broken lock could go unnoticed). */
enum { ROUND = 10000 };
static mp_barrier *round_barrier;

/* Spreads the processes over the CPUs we may use, so that some always run
 * in parallel. */
static void spread(int index) {
    cpu_set_t all, one;
    if (sched_getaffinity(0, sizeof all, &all) < 0 || CPU_COUNT(&all) < 2) return;
    int k = index % CPU_COUNT(&all);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &all) && k-- == 0) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            sched_setaffinity(0, sizeof one, &one);
            return;
        }
}

static void add_atomically(void *arg) {
    spread(*(int *)arg);
    for (int i = 0; i < ITER; i++) {
        if (i % ROUND == 0) mp_barrier_wait(round_barrier, -1);
        mp_value_add_i(counter, 1, L);
    }
}

static void add_under_lock(void *arg) {
    spread(*(int *)arg);
    for (int i = 0; i < ITER; i++) {
        if (i % ROUND == 0) mp_barrier_wait(round_barrier, -1);
        mp_value_lock(counter, L);
        int64_t x = mp_value_load_i(counter);
        mp_value_store_i(counter, x + 1);
        mp_value_unlock(counter, L);
    }
}

static void run_all(void (*fn)(void *)) {
    mp_proc *ps[NPROC];
    int ids[NPROC];
    round_barrier = mp_barrier_new(NPROC, "round");
    for (int i = 0; i < NPROC; i++) {
        ids[i] = i;
        ps[i] = mp_proc_new("inc", i);
        assert_int_equal(mp_proc_start(ps[i], fn, &ids[i]), 0);
    }
    for (int i = 0; i < NPROC; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), 0);
        mp_proc_free(ps[i]);
    }
    mp_barrier_free(round_barrier);
}

static void test_16x100000_atomic(void **state) {
    (void)state;
    counter = mp_value_new(MP_INT, (mp_val){.i = 0}, "counter");
    run_all(add_atomically);
    assert_int_equal(mp_value_load_i(counter), NPROC * ITER);
    mp_value_free(counter);
}

static void test_16x100000_locked(void **state) {
    (void)state;
    counter = mp_value_new(MP_INT, (mp_val){.i = 0}, "counter");
    run_all(add_under_lock);
    assert_int_equal(mp_value_load_i(counter), NPROC * ITER);
    mp_value_free(counter);
}

/* ---- lock recovery ----------------------------------------------------- */

struct hold {
    int ready[2], block[2];
    mp_value *v;
    mp_array *a;
};

static void hold_and_block(void *arg) {
    struct hold *h = arg;
    if (h->v) mp_value_lock(h->v, L);
    else mp_array_lock(h->a, L);
    if (h->v) mp_value_store_i(h->v, 123);
    char c = 'R';
    while (write(h->ready[1], &c, 1) < 0 && errno == EINTR)
        ;
    get_byte(h->block[0]);
    mp_exit(9);
}

/* Runs fn with stderr captured; returns what was written. */
static char *with_stderr(void (*fn)(void *), void *arg) {
    static char out[2048];
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    int saved = dup(2);
    dup2(pfd[1], 2);
    fn(arg);
    dup2(saved, 2);
    close(saved);
    close(pfd[1]);
    ssize_t n = read(pfd[0], out, sizeof out - 1);
    out[n > 0 ? n : 0] = '\0';
    close(pfd[0]);
    return out;
}

static void lock_value(void *arg) { mp_value_lock(arg, MP_LOC(7, 3)); }

static void lock_array(void *arg) { mp_array_lock(arg, MP_LOC(8, 3)); }

static void test_lock_recovered_after_holder_killed(void **state) {
    (void)state;
    struct hold h = {.v = mp_value_new(MP_INT, (mp_val){.i = 0}, "counter")};
    assert_int_equal(pipe(h.ready), 0);
    assert_int_equal(pipe(h.block), 0);
    mp_proc *p = mp_proc_new("holder", -1);
    assert_int_equal(mp_proc_start(p, hold_and_block, &h), 0);
    assert_int_equal(get_byte(h.ready[0]), 'R');
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    char *err = with_stderr(lock_value, h.v);
    char expect[256];
    snprintf(expect, sizeof expect,
             "t.mp:7:3: runtime warning: lock on 'counter' recovered after "
             "process %lld (holder) died holding it (in process main, pid ",
             (long long)mp_proc_pid(p));
    if (!strstr(err, expect)) fail_msg("expected '%s' in '%s'", expect, err);
    assert_int_equal(mp_value_load_i(h.v), 123);
    mp_value_unlock(h.v, L);
    /* and it works normally afterwards, with no more warnings */
    err = with_stderr(lock_value, h.v);
    assert_string_equal(err, "");
    mp_value_unlock(h.v, L);
    mp_proc_free(p);
    mp_value_free(h.v);

    /* the same for an array */
    h.v = NULL;
    h.a = mp_array_new(MP_INT, 4, "arr");
    p = mp_proc_new("holder", 2);
    assert_int_equal(mp_proc_start(p, hold_and_block, &h), 0);
    assert_int_equal(get_byte(h.ready[0]), 'R');
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    err = with_stderr(lock_array, h.a);
    assert_non_null(strstr(err, "t.mp:8:3: runtime warning: lock on 'arr' "
                                "recovered after process "));
    assert_non_null(strstr(err, "(holder[2]) died holding it"));
    mp_array_unlock(h.a, L);
    mp_proc_free(p);
    mp_array_free(h.a);
    close(h.ready[0]);
    close(h.ready[1]);
    close(h.block[0]);
    close(h.block[1]);
}

/* ---- arrays ------------------------------------------------------------- */

static void test_array_ops(void **state) {
    (void)state;
    mp_array *a = mp_array_new(MP_INT, 5, "nums");
    assert_non_null(a);
    assert_int_equal(mp_array_len(a), 5);
    assert_string_equal(fmt_array(a), "[0, 0, 0, 0, 0]");
    for (int i = 0; i < 5; i++) mp_array_store_i(a, i, i + 1, L);
    assert_int_equal(mp_array_load_i(a, -1, L), 5);
    assert_int_equal(mp_array_index(a, -5, L), 0);
    assert_int_equal(mp_array_add_i(a, 0, 41, L), 42);
    int64_t e = 2;
    assert_true(mp_array_cas_i(a, 1, &e, 20, L));
    assert_false(mp_array_cas_i(a, 1, &e, 30, L));
    assert_int_equal(e, 20);
    assert_string_equal(fmt_array(a), "[42, 20, 3, 4, 5]");
    assert_int_equal(mp_array_i(a)[2], 3);
    mp_array_free(a);

    mp_array *f = mp_array_new(MP_FLOAT, 3, "f");
    mp_array_store_f(f, 0, 0.1, L);
    assert_true(mp_array_add_f(f, 1, 2.5, L) == 2.5);
    double d = 0.0;
    assert_true(mp_array_cas_f(f, 2, &d, 1e16, L));
    assert_true(mp_array_load_f(f, 0, L) == 0.1);
    assert_string_equal(fmt_array(f), "[0.1, 2.5, 1e+16]");
    mp_array_free(f);

    mp_array *b = mp_array_new(MP_BOOL, 2, "b");
    mp_array_store_b(b, -1, true, L);
    assert_true(mp_array_load_b(b, 1, L));
    assert_false(mp_array_b(b)[0]);
    assert_string_equal(fmt_array(b), "[False, True]");
    mp_array_free(b);

    mp_array *z = mp_array_new(MP_INT, 0, "empty");
    assert_string_equal(fmt_array(z), "[]");
    mp_array_free(z);

    mp_list *l = mp_list_new(&t_list_float, 0);
    mp_list_push(l, (mp_val){.f = 1.5});
    mp_list_push(l, (mp_val){.f = -2.0});
    mp_array *g = mp_array_from_list(l, "g");
    assert_string_equal(fmt_array(g), "[1.5, -2.0]");
    mp_array_free(g);
    g = mp_make_array_from(MP_FLOAT, l, "g2", L);
    assert_int_equal(mp_array_len(g), 2);
    mp_array_free(g);
    mp_list_unref(l);

    assert_null(mp_array_new(MP_INT, -1, "x"));
    assert_int_equal(errno, EINVAL);
    assert_null(mp_array_new(MP_LIST, 1, "x"));
    assert_int_equal(errno, EINVAL);
}

/* The notebook's example 08: two replicas square every element, each
 * statement atomic on the array: every element is squared twice. */
static mp_array *shared_numbers;

static void square_numbers(void *arg) {
    (void)arg;
    for (int64_t i = 0; i < mp_array_len(shared_numbers); i++) {
        mp_array_lock(shared_numbers, L);
        int64_t x = mp_array_load_i(shared_numbers, i, L);
        mp_array_store_i(shared_numbers, i, mp_pow(x, 2, L), L);
        mp_array_unlock(shared_numbers, L);
    }
}

/* The elements start 16-byte aligned (docs/runtime.md): a 16-byte vector
 * access of an element-wise loop never straddles a cache line. */
static void test_array_elements_aligned(void **state) {
    (void)state;
    mp_kind kinds[] = {MP_INT, MP_FLOAT, MP_BOOL};
    for (int k = 0; k < 3; k++) {
        mp_array *a = mp_array_new(kinds[k], 1000, "aligned");
        assert_non_null(a);
        assert_int_equal((uintptr_t)a->data % 16, 0);
        mp_array_free(a);
    }
}

static void test_squarers(void **state) {
    (void)state;
    mp_list *l = mp_list_new(&t_list_int, 0);
    for (int i = 1; i <= 5; i++) mp_list_push(l, (mp_val){.i = i});
    shared_numbers = mp_make_array_from(MP_INT, l, "shared_numbers", L);
    mp_list_unref(l);
    mp_proc *ps[2];
    for (int i = 0; i < 2; i++) {
        ps[i] = mp_proc_new("squarers", i);
        assert_int_equal(mp_proc_start(ps[i], square_numbers, NULL), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        mp_proc_free(ps[i]);
    }
    assert_string_equal(fmt_array(shared_numbers), "[1, 16, 81, 256, 625]");
    mp_array_free(shared_numbers);
}

/* ---- re-entrant locks and leaving while holding them ------------------- */

/* Subtracting INT64_MIN is its own operation: negating it would overflow
 * although the result fits. */
static void test_array_sub_int64_min(void **state) {
    (void)state;
    mp_array *a = mp_array_new(MP_INT, 2, "a");
    mp_array_store_i(a, 1, -5, L);
    assert_true(mp_array_sub_i(a, 1, INT64_MIN, L) == INT64_MAX - 4);
    mp_array_store_i(a, 0, INT64_MIN, L);
    assert_true(mp_array_sub_i(a, 0, INT64_MIN, L) == 0);
    assert_true(mp_array_sub_i(a, 0, -7, L) == 7);
    mp_array_free(a);
}

static mp_value *held_v;
static mp_array *held_a;

/* Takes both locks twice (a block, then a statement inside it), then
 * leaves as ARG says: 0 exit(0), 1 a runtime error, 2 exit(3) nested
 * in a third level. */
static void leave_holding(void *arg) {
    int how = (int)(intptr_t)arg;
    mp_value_lock(held_v, L);
    mp_array_lock(held_a, L);
    mp_value_lock(held_v, L);
    mp_array_lock(held_a, L);
    mp_value_store_i(held_v, mp_value_load_i(held_v) + 1);
    if (how == 1) {
        dup2(open("/dev/null", O_WRONLY), 2); /* the expected error line */
        mp_array_load_i(held_a, 5, MP_LOC(3, 1));
    }
    if (how == 2) mp_value_lock(held_v, L);
    mp_exit(how == 2 ? 3 : 0);
}

static void test_exit_releases_locks(void **state) {
    (void)state;
    held_v = mp_value_new(MP_INT, (mp_val){.i = 0}, "counter");
    held_a = mp_array_new(MP_INT, 2, "arr");
    for (int how = 0; how < 3; how++) {
        mp_proc *p = mp_proc_new("leaver", -1);
        assert_int_equal(mp_proc_start(p, leave_holding, (void *)(intptr_t)how), 0);
        assert_int_equal(mp_proc_join(p, -1), 0);
        assert_int_equal(mp_proc_exitcode(p), how == 0 ? 0 : how == 1 ? 1 : 3);
        mp_proc_free(p);
        /* free again, and no "recovered" warning */
        char *err = with_stderr(lock_value, held_v);
        assert_string_equal(err, "");
        err = with_stderr(lock_array, held_a);
        assert_string_equal(err, "");
        mp_array_unlock(held_a, L);
        mp_value_unlock(held_v, L);
    }
    assert_int_equal(mp_value_load_i(held_v), 3);
    mp_value_free(held_v);
    mp_array_free(held_a);
}

/* ---- runtime errors --------------------------------------------------- */

/* ARG is which case to run; each ends its process with a runtime error. */
static void checked_error(void *arg) {
    int which = (int)(intptr_t)arg;
    mp_value *v = mp_make_value(MP_INT, (mp_val){.i = INT64_MAX - 1}, "counter", L);
    mp_array *a = mp_make_array(MP_INT, 3, "arr", L);
    switch (which) {
    case 0:
        mp_value_add_i(v, 1, L);
        mp_value_add_i(v, 1, MP_LOC(2, 1));
        break;
    case 1: mp_array_load_i(a, 3, MP_LOC(2, 2)); break;
    case 2: mp_array_store_i(a, -4, 0, MP_LOC(2, 3)); break;
    case 3: mp_value_unlock(v, MP_LOC(2, 4)); break;
    case 4: /* re-entrant: two locks need two unlocks, not three */
        mp_value_lock(v, L);
        mp_value_lock(v, L);
        mp_value_unlock(v, L);
        mp_value_unlock(v, L);
        mp_value_unlock(v, MP_LOC(2, 5));
        break;
    case 5: mp_make_array(MP_INT, -2, "neg", MP_LOC(2, 6)); break;
    case 6: {
        mp_list *l = mp_list_new(&t_list_int, 0);
        mp_make_array_from(MP_FLOAT, l, "mismatch", MP_LOC(2, 7));
        break;
    }
    case 7:
        mp_array_store_i(a, 0, INT64_MIN, L);
        mp_array_add_i(a, 0, -1, MP_LOC(2, 8));
        break;
    case 8:
        mp_array_store_i(a, 0, 0, L);
        mp_array_sub_i(a, 0, INT64_MIN, MP_LOC(2, 9));
        break;
    }
    /* an overflow must leave the value unchanged */
    mp_exit(mp_value_load_i(v) == INT64_MAX ? 0 : 1);
}

static void test_checked_errors(void **state) {
    (void)state;
    static const char *expect[] = {
        "t.mp:2:1: runtime error: OverflowError: integer overflow",
        "t.mp:2:2: runtime error: IndexError: invalid index",
        "t.mp:2:3: runtime error: IndexError: invalid index",
        "t.mp:2:4: runtime error: unlock of value 'counter': this process "
        "does not hold its lock",
        "t.mp:2:5: runtime error: unlock of value 'counter': this process "
        "does not hold its lock",
        "t.mp:2:6: runtime error: array 'neg' cannot have a negative size",
        "t.mp:2:7: runtime error: array 'mismatch': the list's elements have "
        "the wrong type",
        "t.mp:2:8: runtime error: OverflowError: integer overflow",
        "t.mp:2:9: runtime error: OverflowError: integer overflow",
    };
    for (int i = 0; i < 9; i++) {
        mpt_expect_error(checked_error, (void *)(intptr_t)i, expect[i]);
    }
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_ops),
        cmocka_unit_test(test_16x100000_atomic),
        cmocka_unit_test(test_16x100000_locked),
        cmocka_unit_test(test_lock_recovered_after_holder_killed),
        cmocka_unit_test(test_array_sub_int64_min),
        cmocka_unit_test(test_exit_releases_locks),
        cmocka_unit_test(test_array_ops),
        cmocka_unit_test(test_array_elements_aligned),
        cmocka_unit_test(test_squarers),
        cmocka_unit_test(test_checked_errors),
    };
    int r = cmocka_run_group_tests_name("mpr_shared", tests, NULL, NULL);
    mp_finish();
    return r;
}
