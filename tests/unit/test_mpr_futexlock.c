/* test_mpr_futexlock.c: the runtime's own lock (sync.c, mpr_rlock), a
 * futex word holding the holder's identity: uncontended and contended
 * use, the error checks the runtime relies on (EDEADLK, EPERM), timeouts,
 * and a holder or a waiter SIGKILLed: recovered exactly once, by a started
 * process or a plain fork, reaped or still a zombie; never falsely. */
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_internal.h"
#include "mpr_test.h"

/* Everything the processes of one test share: made before any fork. */
struct shared {
    mpr_rlock lock;
    int64_t counter;
    int32_t dead;
    int ready[2], block[2];
};

static struct shared *shared_new(void) {
    struct shared *s = mpr_shm_alloc(sizeof *s);
    assert_non_null(s);
    assert_int_equal(mpr_rlock_init(&s->lock), 0);
    assert_int_equal(pipe(s->ready), 0);
    assert_int_equal(pipe(s->block), 0);
    return s;
}

static void shared_free(struct shared *s) {
    close(s->ready[0]);
    close(s->ready[1]);
    close(s->block[0]);
    close(s->block[1]);
    mpr_shm_free(s, sizeof *s);
}

static uint32_t word(const struct shared *s) {
    return __atomic_load_n(&s->lock.word, __ATOMIC_SEQ_CST);
}

/* Waits until a process waiting for the lock has flagged it (it then
 * sleeps, or is about to): the order the test needs, without a sleep. */
static void await_waiter(const struct shared *s) {
    while (!(word(s) & MPR_LOCK_WAITERS)) sched_yield();
}

static int acquire_within(struct shared *s, double timeout, int32_t *dead) {
    mpr_deadline d;
    assert_int_equal(mpr_deadline_set(&d, timeout), 0);
    return mpr_rlock_acquire(&s->lock, &d, dead);
}

/* ---- children ------------------------------------------------------- */

/* Takes the lock, says so, and keeps it until the block pipe says. */
static void hold(void *arg) {
    struct shared *s = arg;
    if (mpr_rlock_acquire(&s->lock, NULL, NULL) != 0) mp_exit(2);
    put_byte(s->ready[1], 'H');
    get_byte(s->block[0]);
    mp_exit(mpr_rlock_release(&s->lock) == 0 ? 0 : 3);
}

/* Takes the lock once the holder has flagged a waiter: a hand-over. */
static void hold_until_waited(void *arg) {
    struct shared *s = arg;
    if (mpr_rlock_acquire(&s->lock, NULL, NULL) != 0) mp_exit(2);
    put_byte(s->ready[1], 'H');
    await_waiter(s);
    mp_exit(mpr_rlock_release(&s->lock) == 0 ? 0 : 3);
}

/* Waits for the lock forever, reporting what the acquire returned. */
static void wait_for_it(void *arg) {
    struct shared *s = arg;
    int32_t dead = 0;
    int r = mpr_rlock_acquire(&s->lock, NULL, &dead);
    if (r == MP_RECOVERED) __atomic_store_n(&s->dead, dead, __ATOMIC_SEQ_CST);
    if (r < 0) mp_exit(2);
    mp_exit(mpr_rlock_release(&s->lock) == 0 ? (r == MP_RECOVERED ? 1 : 0) : 3);
}

#define ROUNDS 20000

/* Unsynchronized increments of the counter, only correct under the lock. */
static void count(void *arg) {
    struct shared *s = arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (mpr_rlock_acquire(&s->lock, NULL, NULL) != 0) mp_exit(2);
        int64_t v = __atomic_load_n(&s->counter, __ATOMIC_RELAXED);
        if (i % 64 == 0) sched_yield(); /* let another process contend */
        __atomic_store_n(&s->counter, v + 1, __ATOMIC_RELAXED);
        if (mpr_rlock_release(&s->lock) != 0) mp_exit(3);
    }
    mp_exit(0);
}

static void release_foreign(void *arg) {
    struct shared *s = arg;
    mp_exit(mpr_rlock_release(&s->lock) == -1 && errno == EPERM ? 0 : 1);
}

static int run_child(void (*fn)(void *), void *arg) {
    mp_proc *p = mp_proc_new("c", -1);
    assert_int_equal(mp_proc_start(p, fn, arg), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    int code = mp_proc_exitcode(p);
    mp_proc_free(p);
    return code;
}

/* ---- tests ---------------------------------------------------------- */

static void test_uncontended(void **state) {
    (void)state;
    struct shared *s = shared_new();
    assert_int_equal(word(s), 0);
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, NULL), 0);
    assert_int_not_equal(word(s), 0);
    assert_int_equal(word(s) & MPR_LOCK_WAITERS, 0);
    /* held by this process: taking it again is an error, not a hang */
    assert_false(mpr_rlock_try(&s->lock));
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, NULL), -1);
    assert_int_equal(errno, EDEADLK);
    assert_int_equal(acquire_within(s, 0, NULL), -1);
    assert_int_equal(errno, EDEADLK);
    assert_int_equal(acquire_within(s, 0.01, NULL), -1);
    assert_int_equal(errno, EDEADLK);
    /* another process cannot let it go */
    assert_int_equal(run_child(release_foreign, s), 0);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    assert_int_equal(word(s), 0);
    assert_int_equal(mpr_rlock_release(&s->lock), -1);
    assert_int_equal(errno, EPERM);
    assert_true(mpr_rlock_try(&s->lock));
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    assert_int_equal(acquire_within(s, 0, NULL), 0);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    shared_free(s);
}

/* The holder lets go while this process sleeps on the lock: the release
 * wakes it, and it gets the lock plainly (no recovery). */
static void test_contended_hand_over(void **state) {
    (void)state;
    struct shared *s = shared_new();
    mp_proc *p = mp_proc_new("holder", -1);
    assert_int_equal(mp_proc_start(p, hold_until_waited, s), 0);
    assert_int_equal(get_byte(s->ready[0]), 'H');
    int32_t dead = 0;
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, &dead), 0);
    assert_int_equal(dead, 0);
    /* taken with the flag: another sleeper may still be there */
    assert_true(word(s) & MPR_LOCK_WAITERS);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    assert_int_equal(word(s), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    shared_free(s);
}

/* Four processes and this one increment a counter under the lock. */
static void test_mutual_exclusion(void **state) {
    (void)state;
    struct shared *s = shared_new();
    mp_proc *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = mp_proc_new("counter", i);
        assert_int_equal(mp_proc_start(p[i], count, s), 0);
    }
    for (int i = 0; i < ROUNDS; i++) {
        assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, NULL), 0);
        s->counter++;
        assert_int_equal(mpr_rlock_release(&s->lock), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mp_proc_join(p[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(p[i]), 0);
        mp_proc_free(p[i]);
    }
    assert_int_equal(s->counter, 5 * ROUNDS);
    assert_int_equal(word(s) & ~MPR_LOCK_WAITERS, 0);
    shared_free(s);
}

/* Timed and zero-timeout acquires of a lock a live process holds time
 * out, for longer than the sleepers' look at the holder, without ever
 * taking it from the living; the holder's release then hands it over. */
static void test_timeouts(void **state) {
    (void)state;
    struct shared *s = shared_new();
    mp_proc *p = mp_proc_new("holder", -1);
    assert_int_equal(mp_proc_start(p, hold, s), 0);
    assert_int_equal(get_byte(s->ready[0]), 'H');
    uint32_t held = word(s);
    assert_false(mpr_rlock_try(&s->lock));
    assert_int_equal(acquire_within(s, 0, NULL), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(acquire_within(s, 0.02, NULL), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(acquire_within(s, 0.35, NULL), -1);
    assert_int_equal(errno, ETIMEDOUT);
    /* the waiter that gave up left the flag: the release will wake */
    assert_int_equal(word(s), held | MPR_LOCK_WAITERS);
    put_byte(s->block[1], 'G');
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, NULL), 0);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    shared_free(s);
}

/* The holder is SIGKILLed: the next acquire recovers the lock and names
 * the dead pid, whether the holder is being reaped meanwhile, has been,
 * or stays a zombie (SIGCHLD blocked); a zero timeout recovers too once
 * the holder is surely dead. Only once. */
static void killed_holder(bool zombie, double timeout) {
    struct shared *s = shared_new();
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    mp_proc *p = mp_proc_new("holder", -1);
    assert_int_equal(mp_proc_start(p, hold, s), 0);
    assert_int_equal(get_byte(s->ready[0]), 'H');
    if (zombie) sigprocmask(SIG_BLOCK, &chld, &old);
    assert_int_equal(kill((pid_t)mp_proc_pid(p), SIGKILL), 0);
    if (zombie) { /* dead but not reaped: its pid still answers kill(0) */
        siginfo_t si;
        assert_int_equal(waitid(P_PID, (id_t)mp_proc_pid(p), &si, WEXITED | WNOWAIT), 0);
        assert_int_equal(kill((pid_t)mp_proc_pid(p), 0), 0);
    } else if (timeout == 0) { /* dead and reaped, before a look that cannot wait */
        assert_int_equal(mp_proc_join(p, -1), 0);
    }
    int32_t dead = 0;
    assert_int_equal(acquire_within(s, timeout, &dead), MP_RECOVERED);
    assert_int_equal(dead, (int32_t)mp_proc_pid(p));
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    dead = 0;
    assert_int_equal(acquire_within(s, timeout, &dead), 0);
    assert_int_equal(dead, 0);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    if (zombie) sigprocmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(mp_proc_join(p, -1), 0); /* (again: returns at once) */
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_proc_free(p);
    shared_free(s);
}

static void test_killed_holder(void **state) {
    (void)state;
    killed_holder(false, -1);
    killed_holder(false, 0);
    killed_holder(true, -1);
    killed_holder(true, 0);
}

/* A process forked by plain fork() (no slot in the process table) is
 * known by its pid: killed holding the lock and left a zombie, it is
 * still found dead. It does not inherit its parent's hold either. */
static void test_plain_fork(void **state) {
    (void)state;
    struct shared *s = shared_new();
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, NULL), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        bool ok = !mpr_rlock_try(&s->lock) && mpr_rlock_release(&s->lock) == -1 && errno == EPERM &&
                  acquire_within(s, 0, NULL) == -1 && errno == ETIMEDOUT;
        _exit(ok ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(c, &st, 0), c);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);

    c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        if (mpr_rlock_acquire(&s->lock, NULL, NULL) != 0) _exit(2);
        put_byte(s->ready[1], 'H');
        for (;;) pause();
    }
    assert_int_equal(get_byte(s->ready[0]), 'H');
    assert_int_equal(kill(c, SIGKILL), 0);
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT), 0);
    int32_t dead = 0;
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, &dead), MP_RECOVERED);
    assert_int_equal(dead, (int32_t)c);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    assert_int_equal(waitpid(c, &st, 0), c);
    shared_free(s);
}

/* A process sleeping on the lock when its holder dies is woken by its
 * own look at the holder (the kernel wakes nobody): one recovers. */
static void test_holder_killed_under_sleepers(void **state) {
    (void)state;
    struct shared *s = shared_new();
    mp_proc *h = mp_proc_new("holder", -1);
    assert_int_equal(mp_proc_start(h, hold, s), 0);
    assert_int_equal(get_byte(s->ready[0]), 'H');
    mp_proc *w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = mp_proc_new("waiter", i);
        assert_int_equal(mp_proc_start(w[i], wait_for_it, s), 0);
    }
    await_waiter(s);
    assert_int_equal(mp_proc_kill(h), 0);
    int recovered = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mp_proc_join(w[i], -1), 0);
        int code = mp_proc_exitcode(w[i]);
        assert_true(code == 0 || code == 1);
        recovered += code;
        mp_proc_free(w[i]);
    }
    assert_int_equal(recovered, 1);
    assert_int_equal(mp_proc_join(h, -1), 0);
    assert_int_equal(s->dead, (int32_t)mp_proc_pid(h));
    mp_proc_free(h);
    assert_int_equal(word(s) & ~MPR_LOCK_WAITERS, 0);
    shared_free(s);
}

/* A waiter SIGKILLed while it sleeps on the lock leaves only its flag:
 * the holder's release makes a wasted wake, and the lock stays usable,
 * with no recovery of anything. */
static void test_killed_waiter(void **state) {
    (void)state;
    struct shared *s = shared_new();
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, NULL), 0);
    mp_proc *w = mp_proc_new("waiter", -1);
    assert_int_equal(mp_proc_start(w, wait_for_it, s), 0);
    await_waiter(s);
    assert_int_equal(mp_proc_kill(w), 0);
    assert_int_equal(mp_proc_join(w, -1), 0);
    assert_int_equal(mp_proc_exitcode(w), -SIGKILL);
    mp_proc_free(w);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    assert_int_equal(word(s), 0);
    int32_t dead = 0;
    assert_int_equal(acquire_within(s, 0, &dead), 0);
    assert_int_equal(dead, 0);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    /* and a new waiter is served */
    assert_int_equal(mpr_rlock_acquire(&s->lock, NULL, NULL), 0);
    w = mp_proc_new("waiter", -1);
    assert_int_equal(mp_proc_start(w, wait_for_it, s), 0);
    await_waiter(s);
    assert_int_equal(mpr_rlock_release(&s->lock), 0);
    assert_int_equal(mp_proc_join(w, -1), 0);
    assert_int_equal(mp_proc_exitcode(w), 0);
    mp_proc_free(w);
    shared_free(s);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uncontended),
        cmocka_unit_test(test_contended_hand_over),
        cmocka_unit_test(test_mutual_exclusion),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_killed_holder),
        cmocka_unit_test(test_plain_fork),
        cmocka_unit_test(test_holder_killed_under_sleepers),
        cmocka_unit_test(test_killed_waiter),
    };
    int r = cmocka_run_group_tests_name("mpr_futexlock", tests, NULL, NULL);
    mp_finish();
    return r;
}
