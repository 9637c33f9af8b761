/* test_mpr_sync.c: process-shared sync objects (sync.c): robust locks
 * (recovery after the holder is SIGKILLed, EDEADLK, EPERM, timeouts),
 * semaphores, events and barriers across processes. */
#define _GNU_SOURCE
#include <errno.h>
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

/* ---- locks ---------------------------------------------------------- */

static void test_lock_basics(void **state) {
    (void)state;
    mp_lock *l = mp_lock_new("l");
    assert_non_null(l);
    assert_int_equal(mp_lock_acquire(l, -1), 0);
    assert_int_equal(mp_lock_acquire(l, 0), -1);
    assert_int_equal(errno, EDEADLK);
    assert_int_equal(mp_lock_release(l), 0);
    assert_int_equal(mp_lock_release(l), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(mp_lock_acquire(l, 0), 0);
    assert_int_equal(mp_lock_release(l), 0);
    assert_int_equal(mp_lock_acquire(l, __builtin_nan("")), -1);
    assert_int_equal(errno, EINVAL);
    mp_lock_free(l);
}

struct holder {
    mp_lock *l;
    int ready[2], block[2];
};

static void hold_forever(void *arg) {
    struct holder *h = arg;
    if (mp_lock_acquire(h->l, -1) != 0) mp_exit(2);
    put_byte(h->ready[1], 'R');
    get_byte(h->block[0]);
    mp_exit(3);
}

static void try_release_foreign(void *arg) {
    struct holder *h = arg;
    mp_exit(mp_lock_release(h->l) == -1 && errno == EPERM ? 0 : 1);
}

static void test_lock_across_processes(void **state) {
    (void)state;
    struct holder h = {.l = mp_lock_new("robust")};
    assert_int_equal(pipe(h.ready), 0);
    assert_int_equal(pipe(h.block), 0);
    mp_proc *p = mp_proc_new("holder", -1);
    assert_int_equal(mp_proc_start(p, hold_forever, &h), 0);
    assert_int_equal(get_byte(h.ready[0]), 'R');
    /* held elsewhere: a timed acquire times out */
    assert_int_equal(mp_lock_acquire(h.l, 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_lock_acquire(h.l, 0.02), -1);
    assert_int_equal(errno, ETIMEDOUT);
    /* a third process cannot release it */
    mp_proc *q = mp_proc_new("intruder", -1);
    assert_int_equal(mp_proc_start(q, try_release_foreign, &h), 0);
    assert_int_equal(mp_proc_join(q, -1), 0);
    assert_int_equal(mp_proc_exitcode(q), 0);
    mp_proc_free(q);
    /* the holder dies: the lock is recovered, once */
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_lock_acquire(h.l, -1), MP_RECOVERED);
    assert_int_equal(mp_lock_release(h.l), 0);
    assert_int_equal(mp_lock_acquire(h.l, -1), 0);
    assert_int_equal(mp_lock_release(h.l), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_proc_free(p);
    mp_lock_free(h.l);
    close(h.ready[0]);
    close(h.ready[1]);
    close(h.block[0]);
    close(h.block[1]);
}

/* Waiters blocked on the lock when its holder dies: exactly one of them
 * gets MP_RECOVERED. */
static mp_lock *shared_lock;
static mp_value *recovered;

static void wait_for_lock(void *arg) {
    (void)arg;
    int r = mp_lock_acquire(shared_lock, -1);
    if (r == MP_RECOVERED) mp_value_add_i(recovered, 1, MP_LOC(1, 1));
    else if (r != 0) mp_exit(2);
    mp_lock_release(shared_lock);
}

static void test_blocked_waiters_on_dead_holder(void **state) {
    (void)state;
    struct holder h = {.l = mp_lock_new("robust")};
    shared_lock = h.l;
    recovered = mp_value_new(MP_INT, (mp_val){.i = 0}, "recovered");
    assert_int_equal(pipe(h.ready), 0);
    assert_int_equal(pipe(h.block), 0);
    mp_proc *p = mp_proc_new("holder", -1);
    assert_int_equal(mp_proc_start(p, hold_forever, &h), 0);
    assert_int_equal(get_byte(h.ready[0]), 'R');
    mp_proc *w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = mp_proc_new("waiter", i);
        assert_int_equal(mp_proc_start(w[i], wait_for_lock, NULL), 0);
    }
    assert_int_equal(mp_proc_kill(p), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mp_proc_join(w[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(w[i]), 0);
        mp_proc_free(w[i]);
    }
    assert_int_equal(mp_value_load_i(recovered), 1);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    mp_value_free(recovered);
    mp_lock_free(h.l);
    close(h.ready[0]);
    close(h.ready[1]);
    close(h.block[0]);
    close(h.block[1]);
}

/* ---- semaphores ----------------------------------------------------- */

static mp_sem *sem;
static mp_value *inside, *max_inside;

static void use_slot(void *arg) {
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        if (mp_sem_acquire(sem, -1) != 0) mp_exit(2);
        int64_t n = mp_value_add_i(inside, 1, MP_LOC(1, 1));
        int64_t m = mp_value_load_i(max_inside);
        while (n > m && !mp_value_cas_i(max_inside, &m, n))
            ;
        mp_value_sub_i(inside, 1, MP_LOC(1, 1));
        mp_sem_release(sem);
    }
}

static void test_semaphore(void **state) {
    (void)state;
    mp_sem *s = mp_sem_new(2, "s");
    assert_int_equal(mp_sem_value(s), 2);
    assert_int_equal(mp_sem_acquire(s, 0), 0);
    assert_int_equal(mp_sem_acquire(s, 0), 0);
    assert_int_equal(mp_sem_acquire(s, 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_sem_acquire(s, 0.01), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_sem_release(s), 0);
    assert_int_equal(mp_sem_value(s), 1);
    mp_sem_free(s);
    assert_null(mp_sem_new(-1, "bad"));
    assert_int_equal(errno, EINVAL);

    /* at most 3 of 6 processes inside at once */
    sem = mp_sem_new(3, "slots");
    inside = mp_value_new(MP_INT, (mp_val){.i = 0}, "inside");
    max_inside = mp_value_new(MP_INT, (mp_val){.i = 0}, "max");
    mp_proc *ps[6];
    for (int i = 0; i < 6; i++) {
        ps[i] = mp_proc_new("user", i);
        assert_int_equal(mp_proc_start(ps[i], use_slot, NULL), 0);
    }
    for (int i = 0; i < 6; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), 0);
        mp_proc_free(ps[i]);
    }
    assert_true(mp_value_load_i(max_inside) <= 3);
    assert_true(mp_value_load_i(max_inside) >= 1);
    assert_int_equal(mp_sem_value(sem), 3);
    mp_sem_free(sem);
    mp_value_free(inside);
    mp_value_free(max_inside);
}

/* A process blocked in acquire wakes on a release from another. */
static void acquire_once(void *arg) {
    (void)arg;
    mp_exit(mp_sem_acquire(sem, -1) == 0 ? 0 : 1);
}

static void test_semaphore_wakeup(void **state) {
    (void)state;
    sem = mp_sem_new(0, "zero");
    mp_proc *p = mp_proc_new("waiter", -1);
    assert_int_equal(mp_proc_start(p, acquire_once, NULL), 0);
    assert_int_equal(mp_sem_release(sem), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    assert_int_equal(mp_sem_value(sem), 0);
    mp_proc_free(p);
    mp_sem_free(sem);
}

/* ---- events --------------------------------------------------------- */

static mp_event *ev;

static void wait_event(void *arg) {
    (void)arg;
    mp_exit(mp_event_wait(ev, -1) == 0 && mp_event_is_set(ev) ? 0 : 1);
}

static void test_event(void **state) {
    (void)state;
    ev = mp_event_new("ev");
    assert_false(mp_event_is_set(ev));
    assert_int_equal(mp_event_wait(ev, 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_event_wait(ev, 0.01), -1);
    assert_int_equal(errno, ETIMEDOUT);
    mp_proc *ps[5];
    for (int i = 0; i < 5; i++) {
        ps[i] = mp_proc_new("w", i);
        assert_int_equal(mp_proc_start(ps[i], wait_event, NULL), 0);
    }
    mp_event_set(ev);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), 0);
        mp_proc_free(ps[i]);
    }
    assert_int_equal(mp_event_wait(ev, 0), 0);
    mp_event_clear(ev);
    assert_false(mp_event_is_set(ev));
    mp_event_free(ev);
}

/* ---- barriers -------------------------------------------------------- */

enum { PARTIES = 5, CYCLES = 200 };
static mp_barrier *bar;
static mp_array *phase; /* cycle reached per process */
static mp_value *serials;

static void cycle(void *arg) {
    int id = *(int *)arg;
    for (int c = 0; c < CYCLES; c++) {
        mp_array_store_i(phase, id, c, MP_LOC(1, 1));
        int r = mp_barrier_wait(bar, -1);
        if (r < 0) mp_exit(2);
        if (r == 1) mp_value_add_i(serials, 1, MP_LOC(1, 1));
        /* everyone has reached cycle c */
        for (int k = 0; k < PARTIES; k++)
            if (mp_array_load_i(phase, k, MP_LOC(1, 1)) < c) mp_exit(3);
    }
}

static void test_barrier_cycles(void **state) {
    (void)state;
    bar = mp_barrier_new(PARTIES, "bar");
    phase = mp_array_new(MP_INT, PARTIES, "phase");
    serials = mp_value_new(MP_INT, (mp_val){.i = 0}, "serials");
    mp_proc *ps[PARTIES];
    int ids[PARTIES];
    for (int i = 0; i < PARTIES; i++) {
        ids[i] = i;
        ps[i] = mp_proc_new("party", i);
        assert_int_equal(mp_proc_start(ps[i], cycle, &ids[i]), 0);
    }
    for (int i = 0; i < PARTIES; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), 0);
        mp_proc_free(ps[i]);
    }
    assert_int_equal(mp_value_load_i(serials), CYCLES);
    mp_barrier_free(bar);
    mp_array_free(phase);
    mp_value_free(serials);
}

static void wait_barrier(void *arg) {
    (void)arg;
    int r = mp_barrier_wait(bar, -1);
    mp_exit(r == -1 && errno == ECANCELED ? 0 : 1);
}

static void test_barrier_timeout_breaks(void **state) {
    (void)state;
    bar = mp_barrier_new(3, "bar");
    assert_int_equal(mp_barrier_wait(mp_barrier_new(1, "one"), 0), 1);
    mp_proc *p = mp_proc_new("w", -1);
    assert_int_equal(mp_proc_start(p, wait_barrier, NULL), 0);
    /* two of three parties: the timeout breaks the barrier, and the
     * waiting process sees it broken */
    assert_int_equal(mp_barrier_wait(bar, 0.01), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    assert_int_equal(mp_barrier_wait(bar, 0), -1);
    assert_int_equal(errno, ECANCELED);
    mp_barrier_reset(bar);
    assert_null(mp_barrier_new(0, "bad"));
    assert_int_equal(errno, EINVAL);
    mp_barrier_free(bar);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_basics),
        cmocka_unit_test(test_lock_across_processes),
        cmocka_unit_test(test_blocked_waiters_on_dead_holder),
        cmocka_unit_test(test_semaphore),
        cmocka_unit_test(test_semaphore_wakeup),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_barrier_cycles),
        cmocka_unit_test(test_barrier_timeout_breaks),
    };
    int r = cmocka_run_group_tests_name("mpr_sync", tests, NULL, NULL);
    mp_finish();
    return r;
}
