/* test_mpr_syncobj.c: the language's synchronization objects (syncobj.c):
 * Python's results and exceptions for every misuse, timeouts, and a
 * holder SIGKILLed while it holds a Lock or semaphore units (the next
 * acquirer gets them back, never waits forever). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
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

static void test_lock(void **state) {
    (void)state;
    mp_try_enter();
    mp_sync *m = mp_make_sync(MP_SYNC_LOCK, 0, NULL, "m", AT);
    assert_false(mp_sync_locked(m));
    assert_true(mp_sync_acquire(m, true, -1, AT));
    assert_true(mp_sync_locked(m));
    assert_false(mp_sync_acquire(m, false, -1, AT));
    assert_false(mp_sync_acquire(m, true, 0.01, AT));
    mp_sync_release(m, AT);
    assert_false(mp_exc_flag);
    mp_sync_release(m, AT);
    mpt_expect_raised(MP_EXC_ValueError, "semaphore or lock released too many times");
    mp_try_leave();
}

static void test_rlock(void **state) {
    (void)state;
    mp_try_enter();
    mp_sync *r = mp_make_sync(MP_SYNC_RLOCK, 0, NULL, "r", AT);
    for (int i = 0; i < 3; i++) assert_true(mp_sync_acquire(r, false, -1, AT));
    for (int i = 0; i < 3; i++) mp_sync_release(r, AT);
    assert_false(mp_exc_flag);
    assert_false(mp_sync_locked(r));
    mp_sync_release(r, AT);
    mpt_expect_raised(MP_EXC_AssertionError,
                      "attempt to release recursive lock not owned by thread");
    mp_try_leave();
}

static void test_semaphores(void **state) {
    (void)state;
    mp_try_enter();
    mp_sync *s = mp_make_sync(MP_SYNC_SEMAPHORE, 2, NULL, "s", AT);
    assert_true(mp_sync_acquire(s, true, -1, AT));
    assert_true(mp_sync_acquire(s, true, -1, AT));
    assert_false(mp_sync_acquire(s, false, -1, AT));
    assert_false(mp_sync_acquire(s, true, 0.01, AT));
    for (int i = 0; i < 3; i++) mp_sync_release(s, AT); /* past its start: allowed */
    assert_int_equal(mp_sync_get_value(s), 3);
    mp_sync *b = mp_make_sync(MP_SYNC_BOUNDED, 1, NULL, "b", AT);
    mp_sync_release(b, AT);
    mpt_expect_raised(MP_EXC_ValueError, "semaphore or lock released too many times");
    assert_int_equal(mp_sync_get_value(b), 1);
    mp_make_sync(MP_SYNC_SEMAPHORE, -1, NULL, "neg", AT);
    mpt_expect_raised(MP_EXC_ValueError, "semaphore initial value must be >= 0");
    mp_make_sync(MP_SYNC_BARRIER, 0, NULL, "none", AT);
    mpt_expect_raised(MP_EXC_ValueError, "parties must be > 0");
    mp_try_leave();
}

static void test_event(void **state) {
    (void)state;
    mp_sync *e = mp_make_sync(MP_SYNC_EVENT, 0, NULL, "e", AT);
    assert_false(mp_sync_is_set(e));
    assert_false(mp_sync_wait(e, 0.01, AT));
    assert_false(mp_sync_wait(e, 0, AT));
    mp_sync_set(e);
    assert_true(mp_sync_wait(e, -1, AT));
    mp_sync_clear(e);
    assert_false(mp_sync_is_set(e));
}

static void test_condition(void **state) {
    (void)state;
    mp_try_enter();
    mp_sync *c = mp_make_sync(MP_SYNC_CONDITION, 0, NULL, "c", AT);
    assert_false(mp_sync_wait(c, 0.01, AT));
    mpt_expect_raised(MP_EXC_AssertionError, "must acquire() condition before using wait()");
    mp_sync_notify(c, 1, AT);
    mpt_expect_raised(MP_EXC_AssertionError, "lock is not owned");
    assert_true(mp_sync_acquire(c, true, -1, AT));
    assert_true(mp_sync_acquire(c, true, -1, AT)); /* its own lock is an RLock */
    mp_sync_notify_all(c, AT);                     /* nobody waits: nothing kept */
    assert_false(mp_sync_wait(c, 0.01, AT));
    assert_true(mp_sync_locked(c)); /* held again, twice, after the wait */
    mp_sync_release(c, AT);
    mp_sync_release(c, AT);
    assert_false(mp_exc_flag);
    assert_false(mp_sync_locked(c));
    mp_try_leave();
}

static void test_barrier(void **state) {
    (void)state;
    mp_try_enter();
    mp_sync *one = mp_make_sync(MP_SYNC_BARRIER, 1, NULL, "one", AT);
    assert_int_equal(mp_barrier_wait_at(one, -1, AT), 0);
    mp_sync *b = mp_make_sync(MP_SYNC_BARRIER, 2, NULL, "b", AT);
    assert_int_equal(mp_sync_parties(b), 2);
    mp_barrier_wait_at(b, 0.01, AT);
    mpt_expect_raised(MP_EXC_BrokenBarrierError, "");
    assert_true(mp_sync_broken(b));
    assert_int_equal(mp_sync_n_waiting(b), 0);
    mp_barrier_wait_at(b, -1, AT);
    mpt_expect_raised(MP_EXC_BrokenBarrierError, "");
    mp_sync_reset(b);
    assert_false(mp_sync_broken(b));
    mp_sync_abort(b);
    assert_true(mp_sync_broken(b));
    assert_string_equal(mp_exc_name(MP_EXC_BrokenBarrierError), "threading.BrokenBarrierError");
    assert_true(mp_exc_subclass(MP_EXC_BrokenBarrierError, MP_EXC_RuntimeError));
    mp_try_leave();
}

/* ---- a holder killed ------------------------------------------------ */

struct victim {
    mp_sync *m, *s;
    int ready[2], block[2];
};

static void hold_and_block(void *arg) {
    struct victim *v = arg;
    mp_sync_acquire(v->m, true, -1, AT);
    mp_sync_acquire(v->s, true, -1, AT);
    mp_sync_acquire(v->s, true, -1, AT);
    put_byte(v->ready[1], 'R');
    get_byte(v->block[0]); /* never written: killed here */
    mp_exit(3);
}

static void test_dead_holder(void **state) {
    (void)state;
    struct victim v = {.m = mp_make_sync(MP_SYNC_LOCK, 0, NULL, "m", AT),
                       .s = mp_make_sync(MP_SYNC_SEMAPHORE, 2, NULL, "s", AT)};
    assert_int_equal(pipe(v.ready), 0);
    assert_int_equal(pipe(v.block), 0);
    mp_proc *p = mp_proc_new("victim", -1);
    assert_int_equal(mp_proc_start(p, hold_and_block, &v), 0);
    assert_int_equal(get_byte(v.ready[0]), 'R');
    assert_false(mp_sync_acquire(v.m, false, -1, AT)); /* the victim holds it */
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_true(mp_sync_acquire(v.m, true, 5.0, AT)); /* taken over, with a warning */
    assert_true(mp_sync_acquire(v.s, true, 5.0, AT)); /* both units given back */
    assert_int_equal(mp_sync_get_value(v.s), 1);
    mp_sync_release(v.m, AT);
    mp_proc_free(p);
    close(v.ready[0]);
    close(v.ready[1]);
    close(v.block[0]);
    close(v.block[1]);
}

int main(void) {
    mp_init("test_mpr_syncobj", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock),        cmocka_unit_test(test_rlock),
        cmocka_unit_test(test_semaphores),  cmocka_unit_test(test_event),
        cmocka_unit_test(test_condition),   cmocka_unit_test(test_barrier),
        cmocka_unit_test(test_dead_holder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
