/* sync.c: the plain-C side of the sync benchmark.
 *
 * The objects a C programmer would reach for, in one shared mmap:
 *   lock:    a process-shared pthread mutex; 2 processes each ROUNDS times
 *            lock it, add 1 to a shared counter with a plain load and
 *            store, unlock; the parent checks the counter is 2 * ROUNDS.
 *   sem:     a process-shared POSIX semaphore of 2 (sem_init); 4 processes
 *            each ROUNDS times wait, add 1 to a shared count of those
 *            inside (__atomic), check it is at most 2, take 1 off, post.
 *   barrier: a process-shared pthread barrier of 4; before phase k each
 *            process stores k + 1 in its slot, after it checks that every
 *            slot holds k + 1 or k + 2.
 *   event:   two events, each a futex word (set: store 1 and FUTEX_WAKE
 *            if a waiter is counted; wait: FUTEX_WAIT while 0; clear:
 *            store 0), ping-ponged between two processes; each checks the
 *            round the other stored before setting.
 * In lock and sem the processes pass a start barrier first, so that their
 * loops overlap. Each process records its counts in the shared block; the
 * parent checks.
 *
 * usage: sync mode=lock|sem|barrier|event [rounds=100000]
 * prints: RESULT bench=sync check=ok|FAIL count=<pairs, sections, phases or wakes>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *sarg(int argc, char **argv, const char *key, const char *def)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, k) == 0 && argv[i][k] == '=')
            return argv[i] + k + 1;
    return def;
}

static long long arg(int argc, char **argv, const char *key, long long def)
{
    const char *v = sarg(argc, argv, key, NULL);
    return v ? atoll(v) : def;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

struct event {
    uint32_t flag, waiters;
};

struct shared {
    pthread_mutex_t mutex;
    sem_t sem;
    pthread_barrier_t barrier, lock_gate, sem_gate;
    struct event ping, pong;
    int64_t counter, inside;
    int64_t seen[4], slots[2];
    int64_t done[8];
};

/* ---- events: a futex flag with a waiter count ---------------------------- */

static void futex(uint32_t *w, int op, uint32_t val)
{
    syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static void event_set(struct event *e)
{
    __atomic_store_n(&e->flag, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&e->waiters, __ATOMIC_SEQ_CST))
        futex(&e->flag, FUTEX_WAKE, INT32_MAX);
}

static void event_wait(struct event *e)
{
    while (!__atomic_load_n(&e->flag, __ATOMIC_SEQ_CST)) {
        __atomic_fetch_add(&e->waiters, 1, __ATOMIC_SEQ_CST);
        futex(&e->flag, FUTEX_WAIT, 0);
        __atomic_fetch_sub(&e->waiters, 1, __ATOMIC_SEQ_CST);
    }
}

static void event_clear(struct event *e)
{
    __atomic_store_n(&e->flag, 0, __ATOMIC_SEQ_CST);
}

/* ---- the four workers ---------------------------------------------------- */

static void locker(struct shared *s, long long rounds, int me)
{
    pthread_barrier_wait(&s->lock_gate);
    for (long long i = 0; i < rounds; i++) {
        pthread_mutex_lock(&s->mutex);
        int64_t x = *(volatile int64_t *)&s->counter;
        *(volatile int64_t *)&s->counter = x + 1;
        pthread_mutex_unlock(&s->mutex);
    }
    s->done[me] = rounds;
}

static void sem_user(struct shared *s, long long rounds, int me)
{
    pthread_barrier_wait(&s->sem_gate);
    int64_t sections = 0, errors = 0;
    for (long long i = 0; i < rounds; i++) {
        while (sem_wait(&s->sem) < 0)
            if (errno != EINTR)
                die("sem_wait");
        if (__atomic_add_fetch(&s->inside, 1, __ATOMIC_SEQ_CST) > 2)
            errors++;
        __atomic_sub_fetch(&s->inside, 1, __ATOMIC_SEQ_CST);
        sections++;
        sem_post(&s->sem);
    }
    s->done[2 * me] = sections;
    s->done[2 * me + 1] = errors;
}

static void phaser(struct shared *s, long long rounds, int me)
{
    int64_t phases = 0, errors = 0;
    for (long long k = 0; k < rounds; k++) {
        __atomic_store_n(&s->seen[me], k + 1, __ATOMIC_RELEASE);
        pthread_barrier_wait(&s->barrier);
        for (int q = 0; q < 4; q++) {
            int64_t v = __atomic_load_n(&s->seen[q], __ATOMIC_ACQUIRE);
            if (v != k + 1 && v != k + 2)
                errors++;
        }
        phases++;
    }
    s->done[2 * me] = phases;
    s->done[2 * me + 1] = errors;
}

static void pinger(struct shared *s, long long rounds)
{
    int64_t ok = 0;
    for (long long i = 0; i < rounds; i++) {
        __atomic_store_n(&s->slots[0], i, __ATOMIC_RELEASE);
        event_set(&s->ping);
        event_wait(&s->pong);
        event_clear(&s->pong);
        ok += __atomic_load_n(&s->slots[1], __ATOMIC_ACQUIRE) == i;
    }
    s->done[0] = ok;
}

static void ponger(struct shared *s, long long rounds)
{
    int64_t ok = 0;
    for (long long i = 0; i < rounds; i++) {
        event_wait(&s->ping);
        event_clear(&s->ping);
        ok += __atomic_load_n(&s->slots[0], __ATOMIC_ACQUIRE) == i;
        __atomic_store_n(&s->slots[1], i, __ATOMIC_RELEASE);
        event_set(&s->pong);
    }
    s->done[1] = ok;
}

/* ---- main ---------------------------------------------------------------- */

static struct shared *make_shared(void)
{
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        die("mmap");
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    if (pthread_mutex_init(&s->mutex, &ma) != 0)
        die("pthread_mutex_init");
    if (sem_init(&s->sem, 1, 2) < 0)
        die("sem_init");
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    if (pthread_barrier_init(&s->barrier, &ba, 4) != 0 ||
        pthread_barrier_init(&s->lock_gate, &ba, 2) != 0 ||
        pthread_barrier_init(&s->sem_gate, &ba, 4) != 0)
        die("pthread_barrier_init");
    return s;
}

int main(int argc, char **argv)
{
    const char *mode = sarg(argc, argv, "mode", "lock");
    long long rounds = arg(argc, argv, "rounds", 100000);
    int m = !strcmp(mode, "lock") ? 0 : !strcmp(mode, "sem") ? 1
          : !strcmp(mode, "barrier") ? 2 : !strcmp(mode, "event") ? 3 : -1;
    if (m < 0) {
        fprintf(stderr, "sync: unknown mode '%s'\n", mode);
        return 2;
    }
    struct shared *s = make_shared();
    int procs = m == 0 || m == 3 ? 2 : 4;
    for (int p = 0; p < procs; p++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            if (m == 0)
                locker(s, rounds, p);
            else if (m == 1)
                sem_user(s, rounds, p);
            else if (m == 2)
                phaser(s, rounds, p);
            else if (p == 0)
                pinger(s, rounds);
            else
                ponger(s, rounds);
            _exit(0);
        }
    }
    int ok = 1, st;
    for (int p = 0; p < procs; p++) {
        while (wait(&st) < 0)
            if (errno != EINTR)
                die("wait");
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    long long count = 0;
    if (m == 0) {
        count = s->counter;
        ok &= count == 2 * rounds && s->done[0] + s->done[1] == 2 * rounds;
    } else if (m == 1) {
        for (int p = 0; p < 4; p++) {
            count += s->done[2 * p];
            ok &= s->done[2 * p] == rounds && s->done[2 * p + 1] == 0;
        }
        ok &= s->inside == 0;
    } else if (m == 2) {
        count = s->done[0];
        for (int p = 0; p < 4; p++)
            ok &= s->done[2 * p] == rounds && s->done[2 * p + 1] == 0;
    } else {
        count = s->done[0] + s->done[1];
        ok &= s->done[0] == rounds && s->done[1] == rounds;
    }
    printf("RESULT bench=sync check=%s count=%lld\n", ok ? "ok" : "FAIL", count);
    return ok ? 0 : 1;
}
