/* queue.c: the plain-C side of the queue benchmark.
 *
 * P producers put ITEMS int64 items each into one queue in shared memory;
 * C consumers take them until every producer has finished and the queue
 * is empty. Producer p sends p<<32 | seq for seq = 0..ITEMS-1. Each
 * consumer checks that the items of each producer arrive in increasing
 * order and adds up its count, the sum of the items and the sum of the
 * squares of the low 16 bits of seq (a second moment that cannot
 * overflow); the parent checks the totals: nothing lost, nothing
 * duplicated, nothing out of order.
 *
 * Two queues, as a careful C programmer would write them:
 *   ring=mutex  a bounded ring under one process-shared pthread mutex with
 *               two condition variables (any P and C);
 *   ring=spsc   a single-producer single-consumer ring: head and tail are
 *               atomics, a side sleeps on a futex only when the ring is
 *               empty (full) after a short spin (P = C = 1 only).
 *
 * usage: queue [producers=1] [consumers=1] [items=1000000] [ring=mutex|spsc]
 *        (ring=1 means spsc, ring=0 mutex; the default is spsc for 1/1)
 * prints: RESULT bench=queue check=ok|FAIL count=<items verified>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP 65536u                  /* slots (int64), a power of two */
#define MASK (CAP - 1)
#define SPIN 2000

static long long arg(int argc, char **argv, const char *key, long long def)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, k) == 0 && argv[i][k] == '=')
            return atoll(argv[i] + k + 1);
    return def;
}

static const char *sarg(int argc, char **argv, const char *key, const char *def)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, k) == 0 && argv[i][k] == '=')
            return argv[i] + k + 1;
    return def;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static void *shm(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    return p;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* ---- the mutex + condvar ring ----------------------------------------- */

typedef struct mring {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    uint64_t head, tail;            /* under mu */
    int producers;                  /* still running, under mu */
    int cwait, pwait;               /* sleepers, under mu */
    int64_t slot[CAP];
} mring;

static mring *mring_new(int producers)
{
    mring *q = shm(sizeof *q);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    if (pthread_mutex_init(&q->mu, &ma) || pthread_cond_init(&q->not_empty, &ca)
        || pthread_cond_init(&q->not_full, &ca))
        die("pthread init");
    q->producers = producers;
    return q;
}

static void mring_put(mring *q, int64_t x)
{
    pthread_mutex_lock(&q->mu);
    while (q->tail - q->head == CAP) {
        q->pwait++;
        pthread_cond_wait(&q->not_full, &q->mu);
        q->pwait--;
    }
    q->slot[q->tail++ & MASK] = x;
    if (q->cwait)
        pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

/* 1 with an item, 0 at the end (no producer left and empty). */
static int mring_get(mring *q, int64_t *x)
{
    pthread_mutex_lock(&q->mu);
    while (q->tail == q->head) {
        if (q->producers == 0) {
            pthread_mutex_unlock(&q->mu);
            return 0;
        }
        q->cwait++;
        pthread_cond_wait(&q->not_empty, &q->mu);
        q->cwait--;
    }
    *x = q->slot[q->head++ & MASK];
    if (q->pwait)
        pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

static void mring_producer_done(mring *q)
{
    pthread_mutex_lock(&q->mu);
    if (--q->producers == 0)
        pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

/* ---- the single-producer single-consumer futex ring ------------------- */

typedef struct sring {
    _Alignas(64) uint32_t head;     /* consumer's index */
    uint32_t pwait;                 /* the producer is (about to be) asleep */
    uint32_t pseq;                  /* futex word the producer sleeps on */
    _Alignas(64) uint32_t tail;     /* producer's index */
    uint32_t cwait;                 /* the consumer is (about to be) asleep */
    uint32_t cseq;                  /* futex word the consumer sleeps on */
    uint32_t done;                  /* the producer finished */
    _Alignas(64) int64_t slot[CAP];
} sring;

static void futex_wait(uint32_t *w, uint32_t val)
{
    syscall(SYS_futex, w, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(uint32_t *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* A side that finds the ring full (empty) spins a little, then reads its
 * futex word, raises its wait flag, checks the ring again and sleeps on the
 * word. The other side, after changing its index, takes the flag down with
 * an exchange and, if it was up, bumps the word and wakes the sleeper: the
 * consumer only once the ring is down to half full (hysteresis, so a full
 * ring does not cost a wake-up per item), the producer as soon as there is
 * an item (and always when it finishes). The seq_cst store of an index
 * followed by the load of the flag, against the seq_cst store of the flag
 * followed by the load of the index, make sure that either the sleeper
 * sees the change or the waker sees the flag. The word is read before the
 * flag goes up, so a waker that takes down a flag raised after it looked
 * (a late waker of an earlier sleep) still bumps the word after that read,
 * and FUTEX_WAIT returns at once instead of sleeping through the wake-up
 * the taken-down flag would have brought. */

/* Producer side: its own tail, and its last view of head. */
static uint32_t s_tail, s_head_seen;

static void sring_put(sring *q, int64_t x)
{
    uint32_t t = s_tail;
    if (t - s_head_seen == CAP) {
        int spins = 0;
        for (;;) {
            s_head_seen = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
            if (t - s_head_seen != CAP)
                break;
            if (++spins < SPIN) {
                cpu_relax();
                continue;
            }
            uint32_t seq = __atomic_load_n(&q->pseq, __ATOMIC_SEQ_CST);
            __atomic_store_n(&q->pwait, 1, __ATOMIC_SEQ_CST);
            if (t - __atomic_load_n(&q->head, __ATOMIC_SEQ_CST) == CAP)
                futex_wait(&q->pseq, seq);
        }
    }
    q->slot[t & MASK] = x;
    s_tail = t + 1;
    __atomic_store_n(&q->tail, t + 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&q->cwait, __ATOMIC_SEQ_CST)
        && __atomic_exchange_n(&q->cwait, 0, __ATOMIC_SEQ_CST)) {
        __atomic_fetch_add(&q->cseq, 1, __ATOMIC_SEQ_CST);
        futex_wake(&q->cseq);
    }
}

static void sring_producer_done(sring *q)
{
    __atomic_store_n(&q->done, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&q->cseq, 1, __ATOMIC_SEQ_CST);
    futex_wake(&q->cseq);
}

/* Consumer side: its own head, and its last view of tail. */
static uint32_t c_head, c_tail_seen;

static int sring_get(sring *q, int64_t *x)
{
    uint32_t h = c_head;
    if (h == c_tail_seen) {
        int spins = 0;
        for (;;) {
            c_tail_seen = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
            if (h != c_tail_seen)
                break;
            if (__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
                c_tail_seen = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
                if (h != c_tail_seen)
                    break;
                return 0;
            }
            if (++spins < SPIN) {
                cpu_relax();
                continue;
            }
            uint32_t seq = __atomic_load_n(&q->cseq, __ATOMIC_SEQ_CST);
            __atomic_store_n(&q->cwait, 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&q->tail, __ATOMIC_SEQ_CST) == h
                && !__atomic_load_n(&q->done, __ATOMIC_SEQ_CST))
                futex_wait(&q->cseq, seq);
        }
    }
    *x = q->slot[h & MASK];
    c_head = h + 1;
    __atomic_store_n(&q->head, h + 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&q->pwait, __ATOMIC_SEQ_CST)
        && c_tail_seen - (h + 1) <= CAP / 2
        && __atomic_exchange_n(&q->pwait, 0, __ATOMIC_SEQ_CST)) {
        __atomic_fetch_add(&q->pseq, 1, __ATOMIC_SEQ_CST);
        futex_wake(&q->pseq);
    }
    return 1;
}

/* ---- the benchmark ---------------------------------------------------- */

typedef struct tally {
    int64_t count, sum, sumsq, errors;
} tally;

static mring *mq;
static sring *sq;

static void producer(int64_t id, int64_t items)
{
    int64_t base = id << 32;
    for (int64_t i = 0; i < items; i++) {
        if (sq)
            sring_put(sq, base | i);
        else
            mring_put(mq, base | i);
    }
    if (sq)
        sring_producer_done(sq);
    else
        mring_producer_done(mq);
    _exit(0);
}

static void consumer(tally *out, int64_t producers)
{
    int64_t last[64];
    tally t = { 0, 0, 0, 0 };
    for (int i = 0; i < 64; i++)
        last[i] = -1;
    int64_t x;
    while (sq ? sring_get(sq, &x) : mring_get(mq, &x)) {
        int64_t p = x >> 32, s = x & 0xFFFFFFFF;
        if (p < 0 || p >= producers || s <= last[p])
            t.errors++;
        else
            last[p] = s;
        t.count++;
        t.sum += x;
        int64_t low = s & 0xFFFF;
        t.sumsq += low * low;
    }
    *out = t;
    _exit(0);
}

/* Sum of j * j for j < m, m <= 65536. */
static int64_t squares(int64_t m)
{
    return (m - 1) * m * (2 * m - 1) / 6;
}

int main(int argc, char **argv)
{
    int64_t np = arg(argc, argv, "producers", 1);
    int64_t nc = arg(argc, argv, "consumers", 1);
    int64_t items = arg(argc, argv, "items", 1000000);
    const char *ring = sarg(argc, argv, "ring", np == 1 && nc == 1 ? "spsc" : "mutex");
    int spsc = strcmp(ring, "spsc") == 0 || strcmp(ring, "1") == 0;
    if (np < 1 || nc < 1 || np > 64 || (spsc && (np != 1 || nc != 1))) {
        fprintf(stderr, "queue: bad sizes (spsc needs 1 producer and 1 consumer)\n");
        return 2;
    }
    if (spsc)
        sq = shm(sizeof *sq);
    else
        mq = mring_new((int)np);
    tally *tallies = shm((size_t)nc * sizeof *tallies);

    pid_t *pids = malloc((size_t)(np + nc) * sizeof *pids);
    for (int64_t c = 0; c < nc; c++) {
        if ((pids[c] = fork()) < 0)
            die("fork");
        if (pids[c] == 0)
            consumer(&tallies[c], np);
    }
    for (int64_t p = 0; p < np; p++) {
        if ((pids[nc + p] = fork()) < 0)
            die("fork");
        if (pids[nc + p] == 0)
            producer(p, items);
    }
    int ok = 1;
    for (int64_t i = 0; i < np + nc; i++) {
        int st;
        while (waitpid(pids[i], &st, 0) < 0)
            if (errno != EINTR)
                die("waitpid");
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }

    tally all = { 0, 0, 0, 0 };
    for (int64_t c = 0; c < nc; c++) {
        all.count += tallies[c].count;
        all.sum += tallies[c].sum;
        all.sumsq += tallies[c].sumsq;
        all.errors += tallies[c].errors;
    }
    int64_t seqsum = items * (items - 1) / 2;
    int64_t sqsum = (items >> 16) * squares(65536) + squares(items & 0xFFFF);
    int64_t want_sum = 0;
    for (int64_t p = 0; p < np; p++)
        want_sum += (p << 32) * items + seqsum;
    ok &= all.errors == 0 && all.count == np * items && all.sum == want_sum
          && all.sumsq == np * sqsum;
    printf("RESULT bench=queue check=%s count=%lld ring=%s errors=%lld\n",
           ok ? "ok" : "FAIL", (long long)all.count, spsc ? "spsc" : "mutex",
           (long long)all.errors);
    return ok ? 0 : 1;
}
