/* test_mpr_syncobj.c: the language's synchronization objects (syncobj.c):
 * Python's results and exceptions for every misuse, timeouts, and a
 * holder SIGKILLed while it holds a Lock or semaphore units (the next
 * acquirer gets them back, never waits forever), and two processes handing
 * every object back and forth (each hand-over a sleeper woken). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
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
    /* Python's limit, SEM_VALUE_MAX: no value past it, no release to it */
    mp_make_sync(MP_SYNC_SEMAPHORE, (int64_t)MP_SEM_VALUE_MAX + 1, NULL, "big", AT);
    mpt_expect_raised(MP_EXC_OverflowError, "semaphore initial value must be <= 2147483647");
    mp_make_sync(MP_SYNC_BOUNDED, INT64_MAX, NULL, "bigger", AT);
    mpt_expect_raised(MP_EXC_OverflowError, "semaphore initial value must be <= 2147483647");
    mp_sync *top = mp_make_sync(MP_SYNC_SEMAPHORE, MP_SEM_VALUE_MAX, NULL, "top", AT);
    assert_false(mp_exc_flag);
    mp_sync_release(top, AT);
    mpt_expect_raised(MP_EXC_ValueError, "semaphore or lock released too many times");
    assert_int_equal(mp_sync_get_value(top), MP_SEM_VALUE_MAX);
    mp_try_leave();
}

/* ---- a Lock let go by another process -------------------------------- */

static void release_it(void *arg) {
    mp_sync_release(arg, AT);
    mp_exit(mp_exc_flag ? 1 : 0);
}

struct taker {
    mp_sync *m;
    int ready[2], go[2];
};

/* Takes the Lock, says so, waits for the word, leaves holding it or not. */
static void take_it(void *arg) {
    struct taker *t = arg;
    mp_sync_acquire(t->m, true, -1, AT);
    put_byte(t->ready[1], 'R');
    get_byte(t->go[0]);
    mp_exit(0);
}

/* A Lock is a binary semaphore, as Python's: its holder's second blocking
 * acquire waits for another process's release instead of failing; a
 * process may release a Lock another holds. A process leaving releases
 * the Lock it holds, not one it took that another has since let go and
 * taken. */
static void test_lock_released_by_another(void **state) {
    (void)state;
    mp_sync *m = mp_make_sync(MP_SYNC_LOCK, 0, NULL, "m", AT);
    assert_true(mp_sync_acquire(m, true, -1, AT));
    mp_proc *p = mp_proc_new("releaser", -1);
    assert_int_equal(mp_proc_start(p, release_it, m), 0);
    assert_true(mp_sync_acquire(m, true, -1, AT)); /* before or after the release */
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    assert_true(mp_sync_locked(m));
    mp_proc_free(p);
    mp_sync_release(m, AT);

    for (int steal = 0; steal < 2; steal++) {
        struct taker t = {.m = m};
        assert_int_equal(pipe(t.ready), 0);
        assert_int_equal(pipe(t.go), 0);
        p = mp_proc_new("taker", -1);
        assert_int_equal(mp_proc_start(p, take_it, &t), 0);
        assert_int_equal(get_byte(t.ready[0]), 'R');
        assert_false(mp_sync_acquire(m, false, -1, AT));
        if (steal) { /* let go of the taker's hold, and hold it */
            mp_sync_release(m, AT);
            assert_true(mp_sync_acquire(m, false, -1, AT));
        }
        put_byte(t.go[1], 'G');
        assert_int_equal(mp_proc_join(p, -1), 0);
        assert_true(mp_sync_locked(m) == (steal == 1));
        if (!steal) assert_true(mp_sync_acquire(m, false, -1, AT)); /* its exit let go */
        mp_sync_release(m, AT);
        assert_false(mp_sync_locked(m));
        mp_proc_free(p);
        for (int i = 0; i < 2; i++) {
            close(t.ready[i]);
            close(t.go[i]);
        }
    }
}

/* A child, started or plainly forked, holds nothing its parent holds:
 * leaving, it gives back none of the parent's `with` units and releases
 * none of its Locks. */
static void leave(void *arg) {
    (void)arg;
    mp_exit(0);
}

static void test_child_holds_none_of_its_parents(void **state) {
    (void)state;
    mp_sync *m = mp_make_sync(MP_SYNC_LOCK, 0, NULL, "m", AT);
    mp_sync *s = mp_make_sync(MP_SYNC_SEMAPHORE, 2, NULL, "s", AT);
    mp_sync_enter(m, AT);
    mp_sync_enter(s, AT);
    mp_sync_enter(s, AT);
    mp_proc *p = mp_proc_new("leaver", -1);
    assert_int_equal(mp_proc_start(p, leave, NULL), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) leave(NULL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(mp_sync_locked(m));
    assert_int_equal(mp_sync_get_value(s), 0);
    mp_sync_exit(s, AT);
    mp_sync_exit(s, AT);
    mp_sync_exit(m, AT);
    assert_false(mp_exc_flag);
    assert_false(mp_sync_locked(m));
    assert_int_equal(mp_sync_get_value(s), 2);
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

/* Starts a victim holding v->m and two units of v->s; once it says so,
 * CHECK runs (if any), then it is killed and reaped. */
static void kill_a_holder(struct victim *v, void (*check)(struct victim *)) {
    assert_int_equal(pipe(v->ready), 0);
    assert_int_equal(pipe(v->block), 0);
    mp_proc *p = mp_proc_new("victim", -1);
    assert_int_equal(mp_proc_start(p, hold_and_block, v), 0);
    assert_int_equal(get_byte(v->ready[0]), 'R');
    if (check) check(v);
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    for (int i = 0; i < 2; i++) {
        close(v->ready[i]);
        close(v->block[i]);
    }
}

static void lock_is_held(struct victim *v) { assert_false(mp_sync_acquire(v->m, false, -1, AT)); }

static void test_dead_holder(void **state) {
    (void)state;
    struct victim v = {.m = mp_make_sync(MP_SYNC_LOCK, 0, NULL, "m", AT),
                       .s = mp_make_sync(MP_SYNC_SEMAPHORE, 2, NULL, "s", AT)};
    kill_a_holder(&v, lock_is_held);
    assert_true(mp_sync_acquire(v.m, true, 5.0, AT)); /* taken over, with a warning */
    assert_true(mp_sync_acquire(v.s, true, 5.0, AT)); /* both units given back */
    assert_int_equal(mp_sync_get_value(v.s), 1);
    mp_sync_release(v.m, AT);
}

/* More processes take units over time than a semaphore tracks at once:
 * those that left freed their records, so a later holder is tracked and
 * its units come back when it is killed. The units the leavers took with
 * acquire() stay taken (a semaphore counts; it has no owner). */
#define LEAVERS 100

static void take_one_and_leave(void *arg) {
    mp_sync_acquire(arg, true, -1, AT);
    mp_exit(0);
}

static void units_all_taken(struct victim *v) { assert_int_equal(mp_sync_get_value(v->s), 0); }

static void test_many_holders(void **state) {
    (void)state;
    struct victim v = {.m = mp_make_sync(MP_SYNC_LOCK, 0, NULL, "m", AT),
                       .s = mp_make_sync(MP_SYNC_SEMAPHORE, LEAVERS + 2, NULL, "s", AT)};
    for (int i = 0; i < LEAVERS; i++) {
        mp_proc *p = mp_proc_new("leaver", -1);
        assert_int_equal(mp_proc_start(p, take_one_and_leave, v.s), 0);
        assert_int_equal(mp_proc_join(p, -1), 0);
        assert_int_equal(mp_proc_exitcode(p), 0);
        mp_proc_free(p);
    }
    assert_int_equal(mp_sync_get_value(v.s), 2);
    kill_a_holder(&v, units_all_taken);
    assert_true(mp_sync_acquire(v.s, true, 5.0, AT)); /* its two units, with a warning */
    assert_int_equal(mp_sync_get_value(v.s), 1);
    assert_true(mp_sync_acquire(v.m, true, 5.0, AT));
    mp_sync_release(v.m, AT);
}

/* ---- two processes handing objects back and forth --------------------- */

#define ROUNDS 2000

struct duo {
    mp_sync *m, *s, *b, *ping, *pong;
    int64_t *shared; /* [0]: counter under m; [1]: inside s; [2]: over 1 seen; [3..4]: phases */
};

/* One side: ROUNDS times the Lock around a load-and-store increment, the
 * Semaphore(1) around a count of those inside, a Barrier(2) phase that
 * records this side's phase, and an Event ping-pong. Each wait here may
 * sleep and must be woken by the other side's change. */
static void duo_side(struct duo *d, int me) {
    int64_t *sh = d->shared;
    for (int i = 0; i < ROUNDS; i++) {
        mp_sync_acquire(d->m, true, -1, AT);
        int64_t x = __atomic_load_n(&sh[0], __ATOMIC_RELAXED);
        __atomic_store_n(&sh[0], x + 1, __ATOMIC_RELAXED);
        mp_sync_release(d->m, AT);
        mp_sync_acquire(d->s, true, -1, AT);
        if (__atomic_add_fetch(&sh[1], 1, __ATOMIC_SEQ_CST) > 1)
            __atomic_add_fetch(&sh[2], 1, __ATOMIC_SEQ_CST);
        __atomic_sub_fetch(&sh[1], 1, __ATOMIC_SEQ_CST);
        mp_sync_release(d->s, AT);
    }
    for (int k = 0; k < ROUNDS; k++) {
        __atomic_store_n(&sh[3 + me], k + 1, __ATOMIC_SEQ_CST);
        mp_barrier_wait_at(d->b, -1, AT);
        int64_t other = __atomic_load_n(&sh[4 - me], __ATOMIC_SEQ_CST);
        if (other != k + 1 && other != k + 2) __atomic_add_fetch(&sh[2], 1, __ATOMIC_SEQ_CST);
    }
    for (int i = 0; i < ROUNDS; i++) {
        if (me == 0) {
            mp_sync_set(d->ping);
            mp_sync_wait(d->pong, -1, AT);
            mp_sync_clear(d->pong);
        } else {
            mp_sync_wait(d->ping, -1, AT);
            mp_sync_clear(d->ping);
            mp_sync_set(d->pong);
        }
    }
}

static void duo_child(void *arg) {
    duo_side(arg, 1);
    mp_exit(0);
}

static void test_hand_overs(void **state) {
    (void)state;
    struct duo d = {.m = mp_make_sync(MP_SYNC_LOCK, 0, NULL, "m", AT),
                    .s = mp_make_sync(MP_SYNC_SEMAPHORE, 1, NULL, "s", AT),
                    .b = mp_make_sync(MP_SYNC_BARRIER, 2, NULL, "b", AT),
                    .ping = mp_make_sync(MP_SYNC_EVENT, 0, NULL, "ping", AT),
                    .pong = mp_make_sync(MP_SYNC_EVENT, 0, NULL, "pong", AT)};
    d.shared =
        mmap(NULL, 5 * sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(d.shared != MAP_FAILED);
    mp_proc *p = mp_proc_new("duo", -1);
    assert_int_equal(mp_proc_start(p, duo_child, &d), 0);
    duo_side(&d, 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    assert_int_equal(d.shared[0], 2 * ROUNDS); /* no increment lost */
    assert_int_equal(d.shared[1], 0);
    assert_int_equal(d.shared[2], 0); /* never two inside, no phase skipped */
    assert_false(mp_sync_locked(d.m));
    assert_int_equal(mp_sync_get_value(d.s), 1);
    assert_false(mp_sync_is_set(d.ping));
    assert_false(mp_sync_is_set(d.pong));
    mp_proc_free(p);
    munmap(d.shared, 5 * sizeof(int64_t));
}

int main(void) {
    mp_init("test_mpr_syncobj", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_rlock),
        cmocka_unit_test(test_semaphores),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_condition),
        cmocka_unit_test(test_barrier),
        cmocka_unit_test(test_dead_holder),
        cmocka_unit_test(test_hand_overs),
        cmocka_unit_test(test_lock_released_by_another),
        cmocka_unit_test(test_many_holders),
        cmocka_unit_test(test_child_holds_none_of_its_parents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
