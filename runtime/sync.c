/* sync.c: the robust process-shared lock every shared object uses, and
 * the public synchronization objects: mp_lock, mp_sem, mp_event,
 * mp_barrier. Each lives in its own anonymous shared mapping. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpr_internal.h"

/* ---- robust lock -------------------------------------------------- */

/* A futex word holding the holder's identity (proc.c: the slot of the
 * shared process table, never reused). From free, a take is one
 * compare-and-swap and a release one exchange; only a process that must
 * wait sets MPR_LOCK_WAITERS and sleeps, and only a release that finds
 * the bit makes a system call (a wake of one sleeper).
 *
 * The kernel wakes nobody when a holder dies: a sleeper sleeps at most
 * POLL seconds at a time and then asks whether the holder lives
 * (mpr_lock_id_dead, no system call while it does). The first to find it
 * dead swaps its own identity in for the dead one's, so exactly one
 * process recovers the lock; the bit is kept, since others may sleep. */

#define SPIN 100       /* looks at a held lock before sleeping on it */
#define POLL 0.1       /* seconds a sleeper waits before asking after the holder */
#define LOOK_NS 2000   /* a language Lock's waiter looks at the word this often... */
#define WATCH_NS 20000 /* ...for this long, before it sleeps */

int mpr_rlock_init(mpr_rlock *l) {
    __atomic_store_n(&l->word, 0, __ATOMIC_RELAXED);
    return 0;
}

static int32_t my_pid(void) {
    if (mpr_rt.pid == 0) mpr_rt.pid = (int32_t)getpid();
    return mpr_rt.pid;
}

static bool take(mpr_rlock *l, uint32_t from, uint32_t to) {
    return __atomic_compare_exchange_n(&l->word, &from, to, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

/* The end of the next sleep: POLL seconds from now, not past D; false
 * when D has passed. */
static bool next_slice(const mpr_deadline *d, mpr_deadline *slice) {
    double left = mpr_deadline_left(d);
    if (!d->forever && left <= 0) return false;
    mpr_deadline_set(slice, d->forever || left > POLL ? POLL : left);
    return true;
}

/* A waiter giving up leaves the bit set (or takes the lock if it is free
 * now): a release may have woken it, and the wake is then passed on by
 * the next release rather than lost to the sleepers still there. */
static int give_up(mpr_rlock *l, uint32_t me) {
    for (;;) { /* until the bit is set or the lock is ours */
        uint32_t w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
        if (w == 0 && take(l, 0, me | MPR_LOCK_WAITERS)) return 0;
        if (w & MPR_LOCK_WAITERS) break;
        if (w != 0 && __atomic_compare_exchange_n(&l->word, &w, w | MPR_LOCK_WAITERS, false,
                                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            break;
    }
    errno = ETIMEDOUT;
    return -1;
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A language Lock's waiter first watches the word: it looks every LOOK_NS
 * for WATCH_NS at most (not past D) and takes the lock (TRY_TAKE; a
 * semaphore's waiter takes a unit) if it finds it free; true if it did.
 * Between looks it touches nothing shared, so the holder keeps the
 * word's cache line, and nobody makes a system call.
 *
 * Why: the user's section may be short, and a holder that takes the lock
 * again at once leaves it free only for a moment. A waiter that sleeps at
 * once is woken by nearly every release (a system call for the holder,
 * another for the waiter, each a microsecond or more on a virtual
 * machine) and mostly finds the lock taken again; one that looks often
 * keeps pulling the cache line from the holder and slows every section.
 * Looking seldom lets the holder run its sections at full speed, and the
 * waiter still gets the lock within LOOK_NS of a release that is not
 * followed at once by another take (bench/RESULTS.md has the figures).
 * A section longer than WATCH_NS costs its waiter WATCH_NS of CPU time,
 * then it sleeps. */
static bool watch(bool (*try_take)(void *, uint32_t), void *obj, uint32_t me,
                  const mpr_deadline *d) {
    int64_t t = now_ns(), next = t + LOOK_NS, end = t + WATCH_NS;
    if (!d->forever) {
        int64_t at = (int64_t)d->at.tv_sec * 1000000000 + d->at.tv_nsec;
        if (at < end) end = at;
    }
    for (;;) {
        mpr_cpu_relax();
        t = now_ns();
        if (t < next) continue;
        if (try_take(obj, me)) return true;
        if (t >= end) return false;
        next = t + LOOK_NS;
    }
}

static bool take_free(void *obj, uint32_t me) {
    mpr_rlock *l = obj;
    return __atomic_load_n(&l->word, __ATOMIC_RELAXED) == 0 && take(l, 0, me);
}

/* SELF: what a holder taking it again gets: EDEADLK, or (false) a wait
 * like anyone's, for a lock that another process may release. The
 * runtime's own locks guard a few loads and stores, so a waiter spins
 * first, looking all the time; the language's Lock guards the user's
 * code, and its waiter watches (above). */
static int acquire_slow(mpr_rlock *l, uint32_t *seq, uint32_t me, const mpr_deadline *d,
                        int32_t *dead, bool self) {
    for (int i = 0; self && i < SPIN; i++) {
        uint32_t w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
        if (w == 0 && take(l, 0, me)) return 0;
        if ((w & ~MPR_LOCK_WAITERS) == me || (d && d->now)) break;
        mpr_cpu_relax();
    }
    mpr_deadline forever;
    if (!d) {
        mpr_deadline_set(&forever, -1);
        d = &forever;
    }
    if (seq && !d->now && watch(take_free, l, me, d)) return 0;
    /* Between a look at the word and the sleep as little as may be: the
     * holder is asked after once per holder and sleep slice (a slice that
     * ends asks again), and the slice's end is reckoned once. */
    uint32_t alive = 0; /* a holder found alive in this slice */
    mpr_deadline slice;
    bool sliced = false;
    for (;;) {
        uint32_t w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
        /* Taken with the bit: this process may have had the wake that
         * other sleepers' turn depends on. */
        if (w == 0) {
            if (take(l, 0, me | MPR_LOCK_WAITERS)) return 0;
            continue;
        }
        uint32_t owner = w & ~MPR_LOCK_WAITERS;
        if (owner == me && self) {
            errno = EDEADLK;
            return -1;
        }
        if (owner != alive) {
            if (mpr_lock_id_dead(owner)) {
                if (!take(l, w, me | (w & MPR_LOCK_WAITERS))) continue;
                if (dead) *dead = mpr_lock_id_pid(owner);
                return MP_RECOVERED;
            }
            alive = owner;
        }
        if (d->now) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (!sliced && !(sliced = next_slice(d, &slice))) return give_up(l, me);
        if (!(w & MPR_LOCK_WAITERS)) {
            if (!__atomic_compare_exchange_n(&l->word, &w, w | MPR_LOCK_WAITERS, false,
                                             __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                continue;
            w |= MPR_LOCK_WAITERS;
        }
        uint32_t *at = &l->word, seen = w;
        if (seq) { /* seq first, then the word still as seen (see release_any) */
            at = seq;
            seen = __atomic_load_n(seq, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&l->word, __ATOMIC_SEQ_CST) != w) continue;
        }
        if (mpr_futex_wait(at, seen, &slice, true) < 0) alive = 0, sliced = false;
    }
}

int mpr_rlock_acquire(mpr_rlock *l, const mpr_deadline *d, int32_t *dead) {
    uint32_t me = mpr_self_lock_id();
    if (take(l, 0, me)) return 0;
    return acquire_slow(l, NULL, me, d, dead, true);
}

int mpr_rlock_acquire_any(mpr_rlock *l, uint32_t *seq, const mpr_deadline *d, int32_t *dead) {
    uint32_t me = mpr_self_lock_id();
    if (take(l, 0, me)) return 0;
    return acquire_slow(l, seq, me, d, dead, false);
}

bool mpr_rlock_mine(const mpr_rlock *l) {
    return (__atomic_load_n(&l->word, __ATOMIC_RELAXED) & ~MPR_LOCK_WAITERS) == mpr_self_lock_id();
}

int mpr_rlock_release(mpr_rlock *l) {
    uint32_t me = mpr_self_lock_id();
    if ((__atomic_load_n(&l->word, __ATOMIC_RELAXED) & ~MPR_LOCK_WAITERS) != me) {
        errno = EPERM;
        return -1;
    }
    /* Nobody else changes the word while we hold it but a waiter adding
     * the bit, which the exchange sees. */
    if (__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) & MPR_LOCK_WAITERS)
        mpr_futex_wake(&l->word, 1, true);
    return 0;
}

void mpr_rlock_destroy(mpr_rlock *l) {
    (void)l; /* other processes may still use it: nothing to release */
}

/* ---- counting word ---------------------------------------------------- */

static bool take_unit(void *obj, uint32_t me) {
    (void)me;
    return mpr_units_take(obj);
}

bool mpr_units_watch(mpr_units *u, const mpr_deadline *d) {
    return !d->now && watch(take_unit, u, 0, d);
}

bool mpr_units_sleep(mpr_units *u, const mpr_deadline *d) {
    __atomic_add_fetch(&u->sleepers, 1, __ATOMIC_SEQ_CST);
    int r = 0;
    if (__atomic_load_n(&u->value, __ATOMIC_SEQ_CST) == 0)
        r = mpr_futex_wait(&u->value, 0, d, true);
    __atomic_sub_fetch(&u->sleepers, 1, __ATOMIC_SEQ_CST);
    if (r == 0) return true;
    if (__atomic_load_n(&u->value, __ATOMIC_SEQ_CST) > 0 &&
        __atomic_load_n(&u->sleepers, __ATOMIC_SEQ_CST) > 0)
        mpr_futex_wake(&u->value, 1, true);
    return false;
}

/* The value and array locks this process holds, oldest first, with how
 * many times each is held: a statement on an object inside a lock block
 * on it (or in a def called there) takes it again, as Python's RLock
 * allows. Process-local: a forked child (another pid) starts with none. */
static struct held {
    mpr_rlock *l;
    unsigned long depth;
} * held;
static size_t nheld, capheld;
static int32_t held_pid;

static struct held *held_find(mpr_rlock *l) {
    if (held_pid != my_pid()) {
        held_pid = my_pid();
        nheld = 0;
    }
    for (size_t i = nheld; i-- > 0;)
        if (held[i].l == l) return &held[i];
    return NULL;
}

static void held_push(mpr_rlock *l) {
    if (nheld == capheld) {
        capheld = capheld ? capheld * 2 : 8;
        held = mpr_realloc(held, capheld * sizeof *held);
    }
    held[nheld++] = (struct held){l, 1};
}

static void held_remove(struct held *h) {
    size_t i = (size_t)(h - held);
    memmove(&held[i], &held[i + 1], (nheld - i - 1) * sizeof *held);
    nheld--;
}

void mpr_rlock_checked(mpr_rlock *l, const char *what, const char *name, mp_loc loc) {
    struct held *h = held_find(l);
    if (h) {
        h->depth++;
        return;
    }
    int32_t dead = 0;
    int r = mpr_rlock_acquire(l, NULL, &dead);
    if (r >= 0) held_push(l);
    if (r == MP_RECOVERED) {
        char who[128];
        mpr_describe_pid(dead, who, sizeof who);
        mp_warn(loc, "lock on '%s' recovered after %s died holding it", name, who);
    } else if (r < 0 && errno == EDEADLK)
        mp_fail(loc, "lock on %s '%s': this process already holds it", what, name);
    else if (r < 0) mp_fail(loc, "lock on %s '%s': %s", what, name, mp_strerror(errno));
}

void mpr_runlock_checked(mpr_rlock *l, const char *what, const char *name, mp_loc loc) {
    struct held *h = held_find(l);
    if (h && --h->depth > 0) return;
    if (h) held_remove(h);
    if (!h || mpr_rlock_release(l) < 0)
        mp_fail(loc, "unlock of %s '%s': this process does not hold its lock", what, name);
}

MPR_CHILD_PATH void mpr_runlock_all(void) {
    if (held_pid != my_pid()) return; /* a forked child holds none of these */
    while (nheld > 0) mpr_rlock_release(held[--nheld].l);
    free(held);
    held = NULL;
    capheld = 0;
}

/* ---- shared objects: one mapping each ------------------------------ */

#define NAME_MAX_LEN 64

static void *obj_alloc(size_t size, enum mpr_objkind kind) {
    mpr_ensure_init();
    void *p = mpr_shm_alloc(size);
    if (p) mpr_register(kind, p);
    return p;
}

static void obj_free(void *p, size_t size) {
    if (!p) return;
    mpr_unregister(p);
    mpr_shm_free(p, size);
}

static void copy_name(char *dst, const char *name) {
    strncpy(dst, name ? name : "", NAME_MAX_LEN - 1);
    dst[NAME_MAX_LEN - 1] = '\0';
}

/* ---- mp_lock ------------------------------------------------------ */

struct mp_lock {
    mpr_rlock rl;
    char name[NAME_MAX_LEN];
};

mp_lock *mp_lock_new(const char *name) {
    mp_lock *l = obj_alloc(sizeof *l, MPR_OBJ_LOCK);
    if (!l) return NULL;
    if (mpr_rlock_init(&l->rl) < 0) {
        int e = errno;
        obj_free(l, sizeof *l);
        errno = e;
        return NULL;
    }
    copy_name(l->name, name);
    return l;
}

int mp_lock_acquire(mp_lock *l, double timeout) {
    mpr_deadline d;
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    return mpr_rlock_acquire(&l->rl, &d, NULL);
}

int mp_lock_release(mp_lock *l) { return mpr_rlock_release(&l->rl); }

void mp_lock_free(mp_lock *l) { obj_free(l, sizeof *l); }

/* ---- mp_sem ------------------------------------------------------- */

struct mp_sem {
    mpr_units units;
    char name[NAME_MAX_LEN];
};

mp_sem *mp_sem_new(int64_t value, const char *name) {
    if (value < 0 || value > MP_SEM_VALUE_MAX) {
        errno = EINVAL;
        return NULL;
    }
    mp_sem *s = obj_alloc(sizeof *s, MPR_OBJ_SEM);
    if (!s) return NULL;
    s->units.value = (uint32_t)value;
    copy_name(s->name, name);
    return s;
}

int mp_sem_acquire(mp_sem *s, double timeout) {
    mpr_deadline d;
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    if (mpr_units_take(&s->units) || mpr_units_watch(&s->units, &d)) return 0;
    while (!mpr_units_take(&s->units))
        if (!mpr_units_sleep(&s->units, &d) && !mpr_units_take(&s->units)) {
            errno = ETIMEDOUT;
            return -1;
        }
    return 0;
}

int mp_sem_release(mp_sem *s) {
    if (mpr_units_give(&s->units, MP_SEM_VALUE_MAX)) return 0;
    errno = EOVERFLOW;
    return -1;
}

int64_t mp_sem_value(mp_sem *s) { return __atomic_load_n(&s->units.value, __ATOMIC_SEQ_CST); }

void mp_sem_free(mp_sem *s) { obj_free(s, sizeof *s); }

/* ---- mp_event ----------------------------------------------------- */

struct mp_event {
    uint32_t flag; /* futex word: 0 clear, 1 set */
    uint32_t waiters;
    char name[NAME_MAX_LEN];
};

mp_event *mp_event_new(const char *name) {
    mp_event *e = obj_alloc(sizeof *e, MPR_OBJ_EVENT);
    if (e) copy_name(e->name, name);
    return e;
}

void mp_event_set(mp_event *e) {
    __atomic_store_n(&e->flag, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&e->waiters, __ATOMIC_SEQ_CST) > 0)
        mpr_futex_wake(&e->flag, INT32_MAX, true);
}

void mp_event_clear(mp_event *e) { __atomic_store_n(&e->flag, 0, __ATOMIC_SEQ_CST); }

bool mp_event_is_set(mp_event *e) { return __atomic_load_n(&e->flag, __ATOMIC_SEQ_CST) != 0; }

int mp_event_wait(mp_event *e, double timeout) {
    mpr_deadline d;
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    while (!mp_event_is_set(e)) {
        __atomic_fetch_add(&e->waiters, 1, __ATOMIC_SEQ_CST);
        int r = 0;
        if (!mp_event_is_set(e)) r = mpr_futex_wait(&e->flag, 0, &d, true);
        __atomic_fetch_sub(&e->waiters, 1, __ATOMIC_SEQ_CST);
        if (r < 0 && !mp_event_is_set(e)) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return 0;
}

void mp_event_free(mp_event *e) { obj_free(e, sizeof *e); }

/* ---- mp_barrier ---------------------------------------------------- */

/* One futex word: arrivals in bits 0-15, generation in bits 16-30,
 * "broken" in bit 31. The last arrival of a cycle starts the next
 * generation with a single store and wakes everyone. */
struct mp_barrier {
    uint32_t word;
    uint32_t parties;
    char name[NAME_MAX_LEN];
};

#define BAR_BROKEN 0x80000000u
#define BAR_GEN(w) (((w) >> 16) & 0x7fffu)

mp_barrier *mp_barrier_new(int64_t parties, const char *name) {
    if (parties < 1 || parties > 65535) {
        errno = EINVAL;
        return NULL;
    }
    mp_barrier *b = obj_alloc(sizeof *b, MPR_OBJ_BARRIER);
    if (!b) return NULL;
    b->parties = (uint32_t)parties;
    copy_name(b->name, name);
    return b;
}

int mp_barrier_wait(mp_barrier *b, double timeout) {
    mpr_deadline d;
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    uint32_t w = __atomic_load_n(&b->word, __ATOMIC_SEQ_CST);
    do {
        if (w & BAR_BROKEN) {
            errno = ECANCELED;
            return -1;
        }
    } while (!__atomic_compare_exchange_n(&b->word, &w, w + 1, true, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    uint32_t gen = BAR_GEN(w);
    if ((w & 0xffffu) + 1 == b->parties) {
        __atomic_store_n(&b->word, ((gen + 1) & 0x7fffu) << 16, __ATOMIC_SEQ_CST);
        mpr_futex_wake(&b->word, INT32_MAX, true);
        return 1;
    }
    for (;;) {
        w = __atomic_load_n(&b->word, __ATOMIC_SEQ_CST);
        if (BAR_GEN(w) != gen) return 0;
        if (w & BAR_BROKEN) {
            errno = ECANCELED;
            return -1;
        }
        if (mpr_futex_wait(&b->word, w, &d, true) < 0) {
            /* Timed out: break the barrier unless the cycle completed. */
            w = __atomic_load_n(&b->word, __ATOMIC_SEQ_CST);
            do {
                if (BAR_GEN(w) != gen) return 0;
            } while (!__atomic_compare_exchange_n(&b->word, &w, w | BAR_BROKEN, true,
                                                  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
            mpr_futex_wake(&b->word, INT32_MAX, true);
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

void mp_barrier_reset(mp_barrier *b) {
    uint32_t w = __atomic_load_n(&b->word, __ATOMIC_SEQ_CST);
    __atomic_store_n(&b->word, ((BAR_GEN(w) + 1) & 0x7fffu) << 16, __ATOMIC_SEQ_CST);
    mpr_futex_wake(&b->word, INT32_MAX, true);
}

void mp_barrier_free(mp_barrier *b) { obj_free(b, sizeof *b); }
