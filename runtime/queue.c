/* queue.c: a many-producer many-consumer queue across processes.
 *
 * Everything lives in one anonymous shared mapping made before fork: a
 * header page and a byte ring (a power of two). Records are
 *     u32 payload length, u32 length ^ REC_MAGIC, payload (frame.c
 *     encoding), padding to 8 bytes
 * and may wrap around the end of the ring (the header never does).
 *
 * Two robust locks: put_lock serializes producers, get_lock consumers,
 * so one producer and one consumer never contend for a lock. A side the
 * compiler proved has one process (mp_queue_set_spsc) takes no lock at
 * all: solo_put / solo_get say so, and the first process to put (get)
 * records its pid, so a second one fails loudly instead of racing.
 * Queues of int, float and bool use fixed 8-byte slots: no record
 * header, nothing ever wraps. Positions are
 * packed words (item count << 36 | byte offset), so publishing a record is
 * ONE release store of `pub` (and consuming one is one store of `con`),
 * made after the record is complete. A process killed while holding a
 * lock leaves pub/con untouched: the next holder gets EOWNERDEAD, marks
 * the mutex consistent and simply overwrites (or re-reads) the record.
 *
 * Waking: a consumer that finds the queue empty spins briefly, then
 * registers in data_want, reads the data_seq futex word, re-checks, and
 * sleeps on data_seq. A producer publishes with a sequentially consistent
 * store, then reads data_want; only if someone registered does it swap
 * data_want to 0,
 * bump data_seq and FUTEX_WAKE everyone: one syscall per sleep, not per
 * item. Full queues use space_want/space_seq the same way. The producer
 * count reaching 0 bumps data_seq and wakes everyone too; that is
 * async-signal-safe, so the SIGCHLD handler can do it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mpr_internal.h"

#define REC_MAGIC 0x4d505152u /* "MPQR" */
#define OFF_BITS 36
#define OFF_MASK ((UINT64_C(1) << OFF_BITS) - 1)
#define CNT_MASK ((UINT64_C(1) << (64 - OFF_BITS)) - 1)
#define HEADER_BYTES 4096
#define DEFAULT_RING (UINT64_C(4) << 20)
#define MIN_RING 4096
#define SPIN 200

#define OFF(w) ((w)&OFF_MASK)
#define CNT(w) ((w) >> OFF_BITS)

struct qshm {
    uint64_t size;       /* ring bytes, a power of two */
    uint64_t max_items;  /* 0: bounded by the ring only */
    uint32_t rendezvous; /* max_items is 1 and a put waits for
                                       its item to be taken */
    uint32_t slot8;      /* int, float, bool: 8-byte slots, no header */
    uint32_t solo_put;   /* one producer process: no put_lock */
    uint32_t solo_get;   /* one consumer process: no get_lock */
    int32_t putter;      /* solo_put: pid of the one producer, 0 before */
    int32_t getter;      /* solo_get: pid of the one consumer, 0 before */
    _Alignas(64) mpr_rlock put_lock;
    uint64_t pub;        /* producers' position */
    uint64_t pcache_con; /* producers' stale copy of con */
    _Alignas(64) mpr_rlock get_lock;
    uint64_t con;                   /* consumers' position */
    uint64_t ccache_pub;            /* consumers' stale copy of pub */
    _Alignas(64) uint32_t data_seq; /* futex: bumped to wake consumers */
    uint32_t data_want;             /* consumers that want a wake-up */
    uint32_t sel_waiters;           /* selects asleep on the eventfd */
    int64_t producers;
    int64_t getters;                 /* consumers waiting for an item */
    _Alignas(64) uint32_t space_seq; /* futex: bumped to wake producers */
    uint32_t space_want;
    /* Joinable queues (Python's JoinableQueue): items put and not yet
     * marked done by task_done(); done_seq is bumped when it reaches 0. */
    _Alignas(64) int64_t unfinished;
    uint32_t done_seq;
    uint32_t joinable;
};

_Static_assert(sizeof(struct qshm) <= HEADER_BYTES, "queue header size");

struct mp_queue {
    struct qshm *s;
    unsigned char *ring;
    uint64_t size, mask;
    size_t map_bytes;
    const mp_type *type;
    char *name;
    /* Main only: producer shares counted for process declarations that
     * have not made their process yet (released if main leaves first). */
    int64_t unreached;
    int32_t put_pid; /* this process holds the solo_put claim (a pid, so */
    int32_t get_pid; /* a forked child does not inherit the claim) */
    int sel_fd;      /* eventfd for selects (made before fork), or -1 */
    bool sel_ended;  /* a select here ran its eof case */
};

/* Test hooks: called by a producer (holding put_lock unless its side is
 * lock-free) between writing a record's header and its payload, or before
 * writing a slot, and by a consumer after reading a record's header or a
 * slot, before taking it. */
void (*mpr_test_queue_hook)(void);
void (*mpr_test_queue_get_hook)(void);

/* Decoding buffer for records that wrap around the ring's end. */
static unsigned char *wrap_buf;
static size_t wrap_cap;

static uint64_t pack(uint64_t cnt, uint64_t off) {
    return ((cnt & CNT_MASK) << OFF_BITS) | (off & OFF_MASK);
}

static uint64_t used_bytes(uint64_t p, uint64_t c) { return (OFF(p) - OFF(c)) & OFF_MASK; }

static uint64_t used_items(uint64_t p, uint64_t c) { return (CNT(p) - CNT(c)) & CNT_MASK; }

mp_queue *mp_queue_new(const mp_type *t, size_t max_items, size_t ring_bytes, int64_t producers,
                       const char *name) {
    uint64_t size = MIN_RING;
    bool rendezvous = max_items == MP_RENDEZVOUS;
    if (rendezvous) max_items = 1;
    if (!t || producers < 0 || ring_bytes > MP_MSG_MAX || max_items > (size_t)CNT_MASK / 2) {
        errno = EINVAL;
        return NULL;
    }
    if (ring_bytes == 0) ring_bytes = DEFAULT_RING;
    while (size < ring_bytes) size <<= 1;
    mpr_ensure_init();
    size_t bytes = HEADER_BYTES + (size_t)size;
    struct qshm *s = mpr_shm_alloc(bytes);
    if (!s) return NULL;
    if (mpr_rlock_init(&s->put_lock) < 0 || mpr_rlock_init(&s->get_lock) < 0) {
        int e = errno;
        mpr_shm_free(s, bytes);
        errno = e;
        return NULL;
    }
    s->size = size;
    s->max_items = max_items;
    s->rendezvous = rendezvous;
    s->slot8 = t->kind == MP_INT || t->kind == MP_FLOAT || t->kind == MP_BOOL;
    s->producers = producers;
    mp_queue *q = mpr_calloc(1, sizeof *q);
    q->s = s;
    q->ring = (unsigned char *)s + HEADER_BYTES;
    q->size = size;
    q->mask = size - 1;
    q->map_bytes = bytes;
    q->type = t;
    q->name = mpr_strdup(name ? name : "queue");
    q->sel_fd = -1;
    mpr_register(MPR_OBJ_QUEUE, q);
    return q;
}

void mp_queue_free(mp_queue *q) {
    if (!q) return;
    mpr_procs_forget_queue(q);
    mpr_unregister(q);
    mpr_shm_free(q->s, q->map_bytes);
    if (q->sel_fd >= 0) close(q->sel_fd);
    free(q->name);
    free(q);
    free(wrap_buf);
    wrap_buf = NULL;
    wrap_cap = 0;
}

const char *mp_queue_name(const mp_queue *q) { return q->name; }

/* ---- producer count ------------------------------------------------ */

static void wake_all(uint32_t *seq) {
    __atomic_fetch_add(seq, 1, __ATOMIC_SEQ_CST);
    mpr_futex_wake(seq, INT32_MAX, true);
}

/* Wakes the selects asleep on q. Async-signal-safe (add_count). */
static void sel_notify(mp_queue *q) {
    if (q->sel_fd >= 0 && __atomic_load_n(&q->s->sel_waiters, __ATOMIC_SEQ_CST) != 0) {
        uint64_t one = 1;
        ssize_t k = write(q->sel_fd, &one, sizeof one); /* EAGAIN: already signalled */
        (void)k;
    }
}

static void add_count(mp_queue *q, int64_t delta) {
    struct qshm *s = q->s;
    int64_t old = __atomic_load_n(&s->producers, __ATOMIC_SEQ_CST), nv;
    do {
        if (delta < 0 && old < -delta) nv = 0;
        else if (delta > 0 && old > INT64_MAX - delta) nv = INT64_MAX;
        else nv = old + delta;
    } while (!__atomic_compare_exchange_n(&s->producers, &old, nv, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    if (nv == 0 && old != 0) {
        wake_all(&s->data_seq);
        sel_notify(q);
    }
}

/* More producers: a solo producer side becomes locked. Only a holder of a
 * producer share adds producers, before it gives them out, so no lock-free
 * put is under way in another process. */
void mp_queue_add_producers(mp_queue *q, int64_t delta) {
    if (delta > 0 && __atomic_load_n(&q->s->solo_put, __ATOMIC_RELAXED))
        __atomic_store_n(&q->s->solo_put, 0, __ATOMIC_SEQ_CST);
    q->unreached += delta;
    add_count(q, delta);
}

void mp_queue_producer_done(mp_queue *q) { add_count(q, -1); }

void mpr_queue_claim(mp_queue *q) { q->unreached--; }

void mpr_queue_release_unreached(void *obj) {
    mp_queue *q = obj;
    if (q->unreached > 0) add_count(q, -q->unreached);
    q->unreached = 0;
}

int64_t mp_queue_producers(mp_queue *q) {
    return __atomic_load_n(&q->s->producers, __ATOMIC_SEQ_CST);
}

/* ---- locking ------------------------------------------------------- */

/* Takes a queue lock; the deadline is computed only if we must wait. A
 * lock whose holder died is simply taken over: the positions it guards
 * are only ever changed by one store, so they are consistent. A holder
 * keeps it only to copy one record, so a non-blocking call (timeout 0)
 * waits for it: only capacity may make put_nowait/get_nowait fail. */
static int qlock(mpr_rlock *l, double timeout, mpr_deadline *d, bool *dset) {
    if (mpr_rlock_try(l)) return 0;
    if (timeout == 0) return mpr_rlock_acquire(l, NULL, NULL) < 0 ? -1 : 0;
    if (!*dset) {
        if (mpr_deadline_set(d, timeout) < 0) return -1;
        *dset = true;
    }
    return mpr_rlock_acquire(l, d, NULL) < 0 ? -1 : 0;
}

static void qunlock(mpr_rlock *l) { mpr_rlock_release(l); }

/* Registers as a waiter on seq/want, then sleeps unless ready() already
 * holds. Returns 0 to re-check, -1 on timeout. */
static int wait_on(uint32_t *seq, uint32_t *want, bool (*ready)(mp_queue *), mp_queue *q,
                   double timeout, mpr_deadline *d, bool *dset) {
    for (int i = 0; i < SPIN; i++) {
        if (ready(q)) return 0;
        mpr_cpu_relax();
    }
    if (!*dset) {
        if (mpr_deadline_set(d, timeout) < 0) return -1;
        *dset = true;
    }
    /* The sequence word is read before registering: a waker that takes
     * this registration down bumps seq after it, so the futex wait below
     * then returns at once. Read after registering, a late waker could
     * consume the registration, bump seq before it is read, and leave this
     * process asleep with nobody registered to wake it. */
    uint32_t v = __atomic_load_n(seq, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(want, 1, __ATOMIC_SEQ_CST);
    if (ready(q)) return 0;
    if (mpr_futex_wait(seq, v, d, true) < 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return 0;
}

/* Wakes the waiters registered in want, if any. Called after a
 * sequentially consistent store that changed what they wait for. */
static void wake_if_wanted(uint32_t *seq, uint32_t *want) {
    if (__atomic_load_n(want, __ATOMIC_SEQ_CST) != 0 &&
        __atomic_exchange_n(want, 0, __ATOMIC_SEQ_CST) != 0)
        wake_all(seq);
}

/* ---- put ----------------------------------------------------------- */

static bool fits(const mp_queue *q, uint64_t p, uint64_t c, uint64_t rec) {
    struct qshm *s = q->s;
    return rec <= q->size - used_bytes(p, c) &&
           (s->max_items == 0 || used_items(p, c) < s->max_items);
}

/* The record size a producer is waiting to fit (read by ready()). */
static uint64_t want_rec;

static bool put_ready(mp_queue *q) {
    struct qshm *s = q->s;
    return fits(q, __atomic_load_n(&s->pub, __ATOMIC_SEQ_CST),
                __atomic_load_n(&s->con, __ATOMIC_SEQ_CST), want_rec);
}

/* ---- rendezvous ---------------------------------------------------- */

/* What a rendezvous producer waits for (read by ready()): the item it
 * published at count want_cnt to be taken; with put_nowait, only while
 * some get is waiting. */
static uint64_t want_cnt;
static bool want_nowait;

static bool taken(mp_queue *q) {
    return CNT(__atomic_load_n(&q->s->con, __ATOMIC_SEQ_CST)) != want_cnt;
}

static bool handoff_ready(mp_queue *q) {
    return taken(q) || (want_nowait && __atomic_load_n(&q->s->getters, __ATOMIC_SEQ_CST) == 0);
}

/* One unfinished task fewer; false if there was none. Reaching 0 wakes
 * every process in join. */
static bool finish_task(struct qshm *s) {
    int64_t old = __atomic_load_n(&s->unfinished, __ATOMIC_SEQ_CST);
    do {
        if (old <= 0) return false;
    } while (!__atomic_compare_exchange_n(&s->unfinished, &old, old - 1, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    if (old == 1) wake_all(&s->done_seq);
    return true;
}

/* Both locks, put then get (the one order every caller uses): nothing
 * is half way through a put or a get while they are held. */
static int lock_both(struct qshm *s) {
    mpr_deadline d;
    bool dset = false;
    if (qlock(&s->put_lock, -1, &d, &dset) < 0) return -1;
    if (qlock(&s->get_lock, -1, &d, &dset) < 0) {
        qunlock(&s->put_lock);
        return -1;
    }
    return 0;
}

/* Takes back the item published at p if no get has taken it: under both
 * locks, so no get is half way through it. 0 if it was taken after all, else -1 with ETIMEDOUT. */
static int withdraw(mp_queue *q, uint64_t p) {
    struct qshm *s = q->s;
    if (lock_both(s) < 0) return -1;
    bool gone = taken(q);
    if (!gone) {
        s->ccache_pub = p;
        __atomic_store_n(&s->pub, p, __ATOMIC_SEQ_CST);
    }
    qunlock(&s->get_lock);
    qunlock(&s->put_lock);
    if (gone) return 0;
    if (s->joinable) finish_task(s);               /* the put did not happen */
    wake_if_wanted(&s->space_seq, &s->space_want); /* room again */
    errno = ETIMEDOUT;
    return -1;
}

/* A rendezvous put has published its item at p: waits until a get takes
 * it (every take wakes the space waiters). A put_nowait waits only while
 * a get is waiting (it published only because one was). */
static int handoff(mp_queue *q, uint64_t p, double timeout, mpr_deadline *d, bool *dset) {
    struct qshm *s = q->s;
    want_cnt = CNT(p);
    want_nowait = timeout == 0;
    while (!handoff_ready(q)) {
        if (wait_on(&s->space_seq, &s->space_want, handoff_ready, q, want_nowait ? -1 : timeout, d,
                    dset) < 0)
            break;
    }
    if (taken(q)) return 0;
    return withdraw(q, p);
}

static size_t rec_bytes(size_t len) { return 8 + ((len + 7) & ~(size_t)7); }

/* ---- solo sides ---------------------------------------------------- */

/* Whether this process may use a lock-free side: the first process to
 * try records its pid in CLAIM (and in MINE, its own handle, so later
 * calls compare only); another one later gets EBUSY (the checked calls
 * make it a runtime error naming the first). */
static int solo_claim(int32_t *claim, int32_t *mine) {
    if (*mine == mpr_rt.pid) return 0;
    int32_t old = 0;
    if (__atomic_compare_exchange_n(claim, &old, mpr_rt.pid, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST) ||
        old == mpr_rt.pid) {
        *mine = mpr_rt.pid;
        return 0;
    }
    errno = EBUSY;
    return -1;
}

/* 1: this put is lock-free, 0: it takes put_lock, -1: EBUSY. */
static int put_solo(mp_queue *q) {
    if (!__atomic_load_n(&q->s->solo_put, __ATOMIC_RELAXED)) return 0;
    return solo_claim(&q->s->putter, &q->put_pid) < 0 ? -1 : 1;
}

static int get_solo(mp_queue *q) {
    if (!__atomic_load_n(&q->s->solo_get, __ATOMIC_RELAXED)) return 0;
    return solo_claim(&q->s->getter, &q->get_pid) < 0 ? -1 : 1;
}

void mp_queue_set_spsc(mp_queue *q) {
    if (q->s->rendezvous) return; /* a withdrawal needs both locks */
    q->s->solo_put = 1;
    q->s->solo_get = 1;
}

bool mp_queue_is_spsc(const mp_queue *q) {
    return __atomic_load_n(&q->s->solo_put, __ATOMIC_SEQ_CST) &&
           __atomic_load_n(&q->s->solo_get, __ATOMIC_SEQ_CST);
}

/* An 8-byte slot's bits for V (a float's bits as they are), and back. */
static inline int64_t slot_bits(const mp_queue *q, mp_val v) {
    return q->type->kind == MP_BOOL ? (int64_t)v.b : v.i;
}

static inline void slot_value(const mp_queue *q, int64_t x, mp_val *out) {
    if (q->type->kind == MP_BOOL) out->b = x != 0;
    else out->i = x;
}

/* The item's bytes: one slot, or a record (header, then the frame.c
 * encoding, which may wrap around the ring's end). */
static void write_item(mp_queue *q, uint64_t p, size_t len, mp_val v) {
    uint64_t off = OFF(p) & q->mask;
    if (q->s->slot8) {
        int64_t x = slot_bits(q, v);
        if (mpr_test_queue_hook) mpr_test_queue_hook();
        memcpy(q->ring + off, &x, 8);
        return;
    }
    uint32_t hdr[2] = {(uint32_t)len, (uint32_t)len ^ REC_MAGIC};
    memcpy(q->ring + off, hdr, 8);
    if (mpr_test_queue_hook) mpr_test_queue_hook();
    uint64_t po = (off + 8) & q->mask;
    mpr_wr w = {q->ring + po, q->size - po, q->ring};
    mpr_frame_write(&w, q->type, v);
}

/* The put of one producer into 8-byte slots with room at once: the whole
 * put without the general path's checks, as the single-producer ring of
 * C would do it (a busy queue of numbers spends most of its puts here).
 * false: take the general path (a first put claims the side there). */
static inline bool put_fast(mp_queue *q, mp_val v) {
    struct qshm *s = q->s;
    if (q->put_pid != mpr_rt.pid || !__atomic_load_n(&s->solo_put, __ATOMIC_RELAXED) || !s->slot8 ||
        s->joinable || s->rendezvous || mpr_test_queue_hook)
        return false;
    uint64_t p = __atomic_load_n(&s->pub, __ATOMIC_RELAXED), c = s->pcache_con;
    if (!fits(q, p, c, 8)) {
        c = __atomic_load_n(&s->con, __ATOMIC_ACQUIRE);
        s->pcache_con = c;
        if (!fits(q, p, c, 8)) return false;
    }
    int64_t x = slot_bits(q, v);
    memcpy(q->ring + (OFF(p) & q->mask), &x, 8);
    __atomic_store_n(&s->pub, pack(CNT(p) + 1, OFF(p) + 8), __ATOMIC_SEQ_CST); /* as below */
    wake_if_wanted(&s->data_seq, &s->data_want);
    sel_notify(q);
    return true;
}

static int put_slow(mp_queue *q, mp_val v, double timeout);

int mp_queue_put(mp_queue *q, mp_val v, double timeout) {
    return put_fast(q, v) ? 0 : put_slow(q, v, timeout);
}

/* Out of line, so that the fast path saves no registers for it. */
__attribute__((noinline)) static int put_slow(mp_queue *q, mp_val v, double timeout) {
    struct qshm *s = q->s;
    mpr_deadline d;
    bool dset = false;

    if (timeout != timeout) {
        errno = EINVAL;
        return -1;
    }
    size_t len = s->slot8 ? 8 : mp_frame_size(q->type, v);
    uint64_t rec = s->slot8 ? 8 : rec_bytes(len);
    if (len > MP_MSG_MAX || rec > q->size) {
        errno = EMSGSIZE;
        return -1;
    }
    int solo = put_solo(q);
    if (solo < 0) return -1;
    if (!solo && qlock(&s->put_lock, timeout, &d, &dset) < 0) return -1;
    uint64_t p;
    for (;;) {
        p = __atomic_load_n(&s->pub, __ATOMIC_RELAXED); /* only we store it */
        uint64_t c = s->pcache_con;
        if (fits(q, p, c, rec)) break;
        c = __atomic_load_n(&s->con, __ATOMIC_ACQUIRE);
        s->pcache_con = c;
        if (fits(q, p, c, rec)) break;
        if (!solo) qunlock(&s->put_lock);
        if (timeout == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        want_rec = rec;
        if (wait_on(&s->space_seq, &s->space_want, put_ready, q, timeout, &d, &dset) < 0) return -1;
        if (!solo && qlock(&s->put_lock, timeout, &d, &dset) < 0) return -1;
    }

    if (s->rendezvous && timeout == 0 && __atomic_load_n(&s->getters, __ATOMIC_SEQ_CST) == 0) {
        qunlock(&s->put_lock); /* nobody is waiting to take it (never solo) */
        errno = ETIMEDOUT;
        return -1;
    }
    write_item(q, p, len, v);
    if (s->joinable) __atomic_fetch_add(&s->unfinished, 1, __ATOMIC_SEQ_CST);
    /* Publish with one sequentially consistent store: either a consumer
     * that registered in data_want is seen by wake_if_wanted, or that
     * consumer's re-check sees this record. */
    __atomic_store_n(&s->pub, pack(CNT(p) + 1, OFF(p) + rec), __ATOMIC_SEQ_CST);
    if (!solo) qunlock(&s->put_lock);
    wake_if_wanted(&s->data_seq, &s->data_want);
    sel_notify(q);
    if (s->rendezvous) return handoff(q, p, timeout, &d, &dset);
    return 0;
}

/* ---- get ----------------------------------------------------------- */

static bool get_ready(mp_queue *q) {
    struct qshm *s = q->s;
    return OFF(__atomic_load_n(&s->pub, __ATOMIC_SEQ_CST)) !=
               OFF(__atomic_load_n(&s->con, __ATOMIC_SEQ_CST)) ||
           __atomic_load_n(&s->producers, __ATOMIC_SEQ_CST) == 0;
}

static int get_item(mp_queue *q, mp_val *out, double timeout, bool *counted);

/* The get of the one consumer of 8-byte slots with an item at once (see
 * put_fast). */
static inline bool get_fast(mp_queue *q, mp_val *out) {
    struct qshm *s = q->s;
    if (q->get_pid != mpr_rt.pid || !__atomic_load_n(&s->solo_get, __ATOMIC_RELAXED) || !s->slot8 ||
        mpr_test_queue_get_hook)
        return false;
    uint64_t c = __atomic_load_n(&s->con, __ATOMIC_RELAXED), p = s->ccache_pub;
    if (OFF(p) == OFF(c)) {
        p = __atomic_load_n(&s->pub, __ATOMIC_ACQUIRE);
        s->ccache_pub = p;
        if (OFF(p) == OFF(c)) return false;
    }
    int64_t x;
    memcpy(&x, q->ring + (OFF(c) & q->mask), 8);
    slot_value(q, x, out);
    __atomic_store_n(&s->con, pack(CNT(c) + 1, OFF(c) + 8), __ATOMIC_SEQ_CST);
    wake_if_wanted(&s->space_seq, &s->space_want);
    return true;
}

static int get_slow(mp_queue *q, mp_val *out, double timeout);

int mp_queue_get(mp_queue *q, mp_val *out, double timeout) {
    return get_fast(q, out) ? 0 : get_slow(q, out, timeout);
}

/* A get that had to wait counts in `getters` until it leaves, with an
 * item or without: a rendezvous put_nowait hands over only to a get that
 * is waiting. Only rendezvous queues count (the word shares the line the
 * producers read on every put). Out of line, as put_slow. */
__attribute__((noinline)) static int get_slow(mp_queue *q, mp_val *out, double timeout) {
    struct qshm *s = q->s;
    bool counted = false;
    int r = get_item(q, out, timeout, &counted);
    if (counted && __atomic_sub_fetch(&s->getters, 1, __ATOMIC_SEQ_CST) == 0)
        wake_all(&s->space_seq);
    return r;
}

/* Reads the item at C (P: the published end) and returns its bytes in
 * the ring (*rec); -1 with EPROTO for a record header that is not one. */
static int read_item(mp_queue *q, uint64_t p, uint64_t c, mp_val *out, uint64_t *rec) {
    uint64_t off = OFF(c) & q->mask;
    if (q->s->slot8) {
        int64_t x;
        memcpy(&x, q->ring + off, 8);
        if (mpr_test_queue_get_hook) mpr_test_queue_get_hook();
        slot_value(q, x, out);
        *rec = 8;
        return 0;
    }
    uint64_t avail = used_bytes(p, c);
    uint32_t hdr[2];
    memcpy(hdr, q->ring + off, 8);
    if (mpr_test_queue_get_hook) mpr_test_queue_get_hook();
    *rec = rec_bytes(hdr[0]);
    if ((hdr[0] ^ REC_MAGIC) != hdr[1] || hdr[0] > MP_MSG_MAX || *rec > avail) {
        /* Cannot happen unless something scribbled on the ring: drop
         * everything published so far rather than read garbage. */
        *rec = avail;
        errno = EPROTO;
        return -1;
    }
    uint64_t po = (off + 8) & q->mask;
    const unsigned char *payload = q->ring + po;
    if (po + hdr[0] > q->size) { /* wraps: copy it out first */
        if (wrap_cap < hdr[0]) {
            free(wrap_buf);
            wrap_cap = hdr[0];
            wrap_buf = mpr_malloc(wrap_cap);
        }
        size_t first = (size_t)(q->size - po);
        memcpy(wrap_buf, payload, first);
        memcpy(wrap_buf + first, q->ring, hdr[0] - first);
        payload = wrap_buf;
    }
    return mp_frame_decode(q->type, payload, hdr[0], out);
}

static int get_item(mp_queue *q, mp_val *out, double timeout, bool *counted) {
    struct qshm *s = q->s;
    mpr_deadline d;
    bool dset = false;
    uint64_t p, c;

    if (timeout != timeout) {
        errno = EINVAL;
        return -1;
    }
    int solo = get_solo(q);
    if (solo < 0) return -1;
    if (!solo && qlock(&s->get_lock, timeout, &d, &dset) < 0) return -1;
    for (;;) {
        c = __atomic_load_n(&s->con, __ATOMIC_RELAXED); /* only we store it */
        p = s->ccache_pub;
        if (OFF(p) != OFF(c)) break;
        p = __atomic_load_n(&s->pub, __ATOMIC_ACQUIRE);
        s->ccache_pub = p;
        if (OFF(p) != OFF(c)) break;
        if (__atomic_load_n(&s->producers, __ATOMIC_SEQ_CST) == 0) {
            /* A producer may have put just before it finished. */
            p = __atomic_load_n(&s->pub, __ATOMIC_ACQUIRE);
            s->ccache_pub = p;
            if (OFF(p) != OFF(c)) break;
            if (!solo) qunlock(&s->get_lock);
            return MP_EOF;
        }
        if (!solo) qunlock(&s->get_lock);
        if (timeout == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (!*counted && s->rendezvous) {
            *counted = true;
            __atomic_fetch_add(&s->getters, 1, __ATOMIC_SEQ_CST);
        }
        if (wait_on(&s->data_seq, &s->data_want, get_ready, q, timeout, &d, &dset) < 0) return -1;
        if (!solo && qlock(&s->get_lock, timeout, &d, &dset) < 0) return -1;
    }

    uint64_t rec;
    int r = read_item(q, p, c, out, &rec);
    __atomic_store_n(&s->con, pack(CNT(c) + 1, OFF(c) + rec), __ATOMIC_SEQ_CST);
    if (!solo) qunlock(&s->get_lock);
    wake_if_wanted(&s->space_seq, &s->space_want);
    return r;
}

/* ---- select ------------------------------------------------------- */

/* The eventfd is made before any fork, so every process shares it. A
 * producer writes it after publishing, only while sel_waiters is not 0:
 * the hot path pays one load. A select counts itself in sel_waiters,
 * empties the eventfd, then re-checks the queue before it sleeps: an item
 * published after that re-check is seen by the producer's load of
 * sel_waiters (both sequentially consistent), which then writes. */
void mp_queue_set_selectable(mp_queue *q, mp_loc loc) {
    if (q->sel_fd >= 0) return;
    q->sel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->sel_fd < 0) mp_fail(loc, "cannot create queue '%s': %s", q->name, mp_strerror(errno));
}

int mpr_queue_sel_fd(const mp_queue *q) { return q->sel_fd; }

bool *mpr_queue_sel_ended(mp_queue *q) { return &q->sel_ended; }

int mpr_queue_try_get(mp_queue *q, mp_val *out) {
    int r = mp_queue_get(q, out, 0);
    if (r < 0 && errno == ETIMEDOUT) return MPR_NOT_READY;
    return r;
}

/* An asleep select also counts in `getters`, as a waiting get does: a
 * rendezvous put_nowait hands its item over to it. */
bool mpr_queue_sel_arm(mp_queue *q) {
    uint64_t n = 0;
    __atomic_fetch_add(&q->s->getters, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&q->s->sel_waiters, 1, __ATOMIC_SEQ_CST);
    return read(q->sel_fd, &n, sizeof n) == (ssize_t)sizeof n && n != 0;
}

void mpr_queue_sel_disarm(mp_queue *q) {
    struct qshm *s = q->s;
    __atomic_fetch_sub(&s->sel_waiters, 1, __ATOMIC_SEQ_CST);
    if (__atomic_sub_fetch(&s->getters, 1, __ATOMIC_SEQ_CST) == 0 && s->rendezvous)
        wake_all(&s->space_seq);
}

/* A select that emptied the eventfd and leaves an item (or the end)
 * behind writes it again: another select asleep on q may be owed it. */
void mpr_queue_sel_pass(mp_queue *q) {
    if (!get_ready(q)) return;
    uint64_t one = 1;
    ssize_t k = write(q->sel_fd, &one, sizeof one);
    (void)k;
}

/* ---- joinable queues ----------------------------------------------- */

void mp_queue_set_joinable(mp_queue *q) { q->s->joinable = 1; }

int mp_queue_task_done(mp_queue *q) {
    if (!q->s->joinable) {
        errno = EINVAL;
        return -1;
    }
    if (finish_task(q->s)) return 0;
    errno = ERANGE;
    return -1;
}

int64_t mp_queue_unfinished(mp_queue *q) {
    return __atomic_load_n(&q->s->unfinished, __ATOMIC_SEQ_CST);
}

/* The count is read after the sequence word: a finish_task that brings it
 * to 0 in between bumps done_seq, so the futex wait returns at once. */
int mp_queue_join(mp_queue *q, double timeout) {
    struct qshm *s = q->s;
    mpr_deadline d;
    if (!s->joinable || timeout != timeout) {
        errno = EINVAL;
        return -1;
    }
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    for (;;) {
        uint32_t v = __atomic_load_n(&s->done_seq, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&s->unfinished, __ATOMIC_SEQ_CST) == 0) return 0;
        if (mpr_futex_wait(&s->done_seq, v, &d, true) < 0) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

/* ---- size ---------------------------------------------------------- */

/* Exact under both locks. With a lock-free side, con is read before pub
 * (both only grow, con never passes pub): the count was true when con was
 * read if the caller is the one producer, when pub was read if it is the
 * one consumer, and lies between the two otherwise. */
static int64_t size_locked(mp_queue *q) {
    struct qshm *s = q->s;
    if (__atomic_load_n(&s->solo_put, __ATOMIC_SEQ_CST) ||
        __atomic_load_n(&s->solo_get, __ATOMIC_SEQ_CST)) {
        uint64_t c = __atomic_load_n(&s->con, __ATOMIC_SEQ_CST);
        return (int64_t)used_items(__atomic_load_n(&s->pub, __ATOMIC_SEQ_CST), c);
    }
    if (lock_both(s) < 0) return -1;
    int64_t n = (int64_t)used_items(s->pub, s->con);
    qunlock(&s->get_lock);
    qunlock(&s->put_lock);
    return n;
}

int64_t mp_queue_size(mp_queue *q) { return size_locked(q); }

bool mp_queue_empty(mp_queue *q) { return size_locked(q) == 0; }

/* ---- checked variants ---------------------------------------------- */

/* A second process on a side the compiler gave one process. */
static void solo_fail(mp_queue *q, const char *op, int32_t first, const char *role, mp_loc loc) {
    char who[160];
    mpr_describe_pid(first, who, sizeof who);
    mp_fail(loc, "%s '%s': the queue has one %s, %s, and is not shared", op, q->name, role, who);
}

/* Returns when the failure is a Python exception (see mp_raise). */
static void put_fail(mp_queue *q, mp_val v, mp_loc loc) {
    if (errno == EMSGSIZE)
        mp_fail(loc,
                "put to '%s': item too large for the queue "
                "(%zu bytes encoded, ring of %llu bytes)",
                q->name, mp_frame_size(q->type, v), (unsigned long long)q->size);
    int err = errno;
    if (err == EBUSY) solo_fail(q, "put into", q->s->putter, "producer", loc);
    if (err == ETIMEDOUT) mp_raise(MP_EXC_Full, loc, "%s", "");
    else mp_raise(MP_EXC_OSError, loc, "[Errno %d] %s", err, strerror(err));
}

void mp_put(mp_queue *q, mp_val v, mp_loc loc) {
    if (!put_fast(q, v) && put_slow(q, v, -1) < 0) put_fail(q, v, loc);
}

/* End of stream stays fatal: Python's get() would wait forever. */
void mpr_queue_get_fail(mp_queue *q, int r, mp_loc loc) {
    if (r == MP_EOF)
        mp_fail(loc,
                "get from '%s': queue is empty and every producer has "
                "finished",
                q->name);
    int err = errno;
    if (err == EBUSY) solo_fail(q, "get from", q->s->getter, "consumer", loc);
    mp_raise(MP_EXC_OSError, loc, "[Errno %d] %s", err, strerror(err));
}

mp_val mp_get(mp_queue *q, mp_loc loc) {
    mp_val v;
    int r = mp_queue_get(q, &v, -1);
    if (r == 0) return v;
    mpr_queue_get_fail(q, r, loc);
    return (mp_val){0};
}

bool mp_get_timeout(mp_queue *q, double timeout, mp_val *out, mp_loc loc) {
    int r = mp_queue_get(q, out, timeout);
    if (r == 0) return true;
    if (r < 0 && errno == ETIMEDOUT) return false;
    mpr_queue_get_fail(q, r, loc);
    return false;
}

bool mp_get_next(mp_queue *q, mp_val *out, mp_loc loc) {
    if (get_fast(q, out)) return true;
    int r = get_slow(q, out, -1);
    if (r == 0) return true;
    if (r == MP_EOF) return false;
    mpr_queue_get_fail(q, r, loc);
    return false;
}

mp_queue *mp_make_queue(const mp_type *t, int64_t bound, int64_t producers, const char *name,
                        mp_loc loc) {
    if (bound < 0)
        mp_fail(loc, "queue '%s' cannot have a negative bound (%lld)", name, (long long)bound);
    if ((uint64_t)bound > CNT_MASK / 2)
        mp_fail(loc, "queue '%s': bound %lld is too large", name, (long long)bound);
    mp_queue *q = mp_queue_new(t, bound ? (size_t)bound : MP_RENDEZVOUS, 0, producers, name);
    if (!q) mp_fail(loc, "cannot create queue '%s': %s", name, mp_strerror(errno));
    return q;
}

mp_queue *mp_make_queue_unbounded(const mp_type *t, int64_t producers, const char *name,
                                  mp_loc loc) {
    mp_queue *q = mp_queue_new(t, 0, 0, producers, name);
    if (!q) mp_fail(loc, "cannot create queue '%s': %s", name, mp_strerror(errno));
    q->unreached = producers; /* the compiler counted every declaration */
    return q;
}

mp_val mp_get_wait(mp_queue *q, double timeout, mp_loc loc) {
    mp_val v;
    int r = mp_queue_get(q, &v, timeout);
    if (r == 0) return v;
    /* Python's timed get raises queue.Empty on an empty queue, whether or
     * not anyone may still put into it. */
    if (r == MP_EOF || (r < 0 && errno == ETIMEDOUT)) mp_raise(MP_EXC_Empty, loc, "%s", "");
    else mpr_queue_get_fail(q, r, loc);
    return (mp_val){0};
}

void mp_put_wait(mp_queue *q, mp_val v, double timeout, mp_loc loc) {
    if (mp_queue_put(q, v, timeout) < 0) put_fail(q, v, loc);
}

void mp_task_done(mp_queue *q, mp_loc loc) {
    if (mp_queue_task_done(q) == 0) return;
    if (errno == ERANGE) mp_raise(MP_EXC_ValueError, loc, "task_done() called too many times");
    else mp_fail(loc, "task_done() on '%s': %s", q->name, mp_strerror(errno));
}

void mp_queue_join_all(mp_queue *q, mp_loc loc) {
    if (mp_queue_join(q, -1) < 0) mp_fail(loc, "join on '%s': %s", q->name, mp_strerror(errno));
}
