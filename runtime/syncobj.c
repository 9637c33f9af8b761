/* syncobj.c: the language's synchronization objects, Python's Lock,
 * RLock, Semaphore, BoundedSemaphore, Event, Condition and Barrier.
 *
 * Each object is one anonymous shared mapping. A Lock or RLock is the
 * runtime lock (`m`, sync.c) itself; a semaphore is a futex word of free
 * units; both take and release with one atomic instruction each when
 * nobody waits. The state of the others sits behind the runtime lock,
 * only held for a few loads and stores, never while a process sleeps;
 * their sleepers wait on the futex word `seq`, which every change that
 * may let one proceed bumps, waking all once the lock is let go, but only
 * when someone flagged that it may sleep.
 *
 * Holds are recorded per process (the owner of a Lock or RLock in its
 * word; a count per process for semaphores), so a holder that dies is
 * noticed: a process that cannot get the object looks for dead holders,
 * and a sleeper looks again every POLL seconds, so a death is never
 * waited for forever. The dead holder's hold is given back with a runtime
 * warning. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpr_internal.h"

#define HOLDERS 64  /* processes tracked per semaphore */
#define WAITERS 128 /* processes waiting on one condition at a time */
#define POLL 0.1    /* seconds between looks for a dead holder */

/* A cache line each: every take and release writes its holder's count,
 * which must not steal the line of another holder's. */
struct holder {
    _Alignas(64) uint32_t id; /* the holder's lock identity (sync.c), 0: free, HOLDER_BUSY */
    int32_t count;            /* units it holds; written by it alone while it lives */
};
#define HOLDER_BUSY UINT32_MAX /* being freed */

struct waiter {
    int32_t pid;
    uint32_t state; /* W_FREE, W_WAITING, W_NOTIFIED */
    uint64_t ticket;
};
enum { W_FREE, W_WAITING, W_NOTIFIED };

struct mp_sync {
    mpr_rlock m;  /* Lock, RLock: the lock; others: guards the fields below */
    uint32_t seq; /* futex word: bumped on every change a sleeper awaits */
    bool sleepy;  /* someone may sleep on seq since the last bump */
    bool owed;    /* a wake for the sleepers, made when the mutex is let go */
    mp_sync_kind kind;
    int64_t value;   /* Event: the flag; Barrier: arrivals of this cycle */
    int64_t bound;   /* BoundedSemaphore: the initial value; Barrier: parties */
    mpr_units units; /* semaphores: the count (sync.c) */
    int64_t depth;   /* RLock: how many times its holder holds it */
    mp_sync *lock;   /* Condition: its lock (a Lock or an RLock) */
    uint64_t ticket; /* Condition: next waiter's place in line */
    uint32_t gen;    /* Barrier: the cycle */
    bool broken;     /* Barrier */
    uint64_t resets; /* Barrier: bit (cycle % 64) set when it ended by reset */
    struct holder holders[HOLDERS];
    struct waiter waiters[WAITERS];
    char name[64];
};

static const char *const kind_names[] = {"Lock",  "RLock",     "Semaphore", "BoundedSemaphore",
                                         "Event", "Condition", "Barrier"};

static bool is_lock(const mp_sync *s) {
    return s->kind == MP_SYNC_LOCK || s->kind == MP_SYNC_RLOCK;
}

static bool is_sem(const mp_sync *s) {
    return s->kind == MP_SYNC_SEMAPHORE || s->kind == MP_SYNC_BOUNDED;
}

static int32_t me(void) {
    if (mpr_rt.pid == 0) mpr_rt.pid = (int32_t)getpid();
    return mpr_rt.pid;
}

/* The state lock. A process killed inside it left at most one field
 * half updated among stores that each keep the object usable. */
static void in(mp_sync *s) { mpr_rlock_acquire(&s->m, NULL, NULL); }

/* Lets the mutex go, then wakes the sleepers if a bump owes them a wake:
 * woken inside it, they would first have to wait for the mutex. */
static void out(mp_sync *s) {
    bool wake = s->owed;
    s->owed = false;
    mpr_rlock_release(&s->m);
    if (wake) mpr_futex_wake(&s->seq, INT32_MAX, true);
}

/* Called inside the mutex by a process that will nap if the object does
 * not let it go on: flags it as a possible sleeper and returns the seq
 * value to sleep on. */
static uint32_t may_nap(mp_sync *s) {
    s->sleepy = true;
    return s->seq;
}

/* Lets sleepers re-check (called inside the mutex; `out` makes the wake).
 * Only when someone may sleep: the seq it read and its flag were both
 * set inside the mutex, so with no flag since the last bump nobody sleeps
 * on a value older than this change, and a release nobody waits for costs
 * neither a locked instruction nor a system call. The futex wait compares
 * seq with what the sleeper read, so a bump between its leaving the mutex
 * and its wait keeps it awake. */
static void bump(mp_sync *s) {
    if (!s->sleepy) return;
    s->sleepy = false;
    __atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_SEQ_CST);
    s->owed = true;
}

/* The next sleep: at most POLL seconds and not past D; false when D has
 * passed. */
static bool slice_of(const mpr_deadline *d, mpr_deadline *slice) {
    double left = mpr_deadline_left(d);
    if (d->now || (!d->forever && left <= 0)) return false;
    mpr_deadline_set(slice, d->forever || left > POLL ? POLL : left);
    return true;
}

/* Sleeps while *W is SEEN, for a slice of D; false when D has passed
 * (without sleeping). */
static bool nap(uint32_t *w, uint32_t seen, const mpr_deadline *d) {
    mpr_deadline slice;
    if (!slice_of(d, &slice)) return false;
    mpr_futex_wait(w, seen, &slice, true);
    return true;
}

static const mpr_deadline forever = {.forever = true};

static void deadline(mpr_deadline *d, bool block, double timeout) {
    if (mpr_deadline_set(d, block ? timeout : 0) < 0) mpr_deadline_set(d, 0);
}

static void recovered(mp_sync *s, int32_t pid, int64_t units, mp_loc loc) {
    char who[128];
    mpr_describe_pid(pid, who, sizeof who);
    if (s->kind == MP_SYNC_LOCK || s->kind == MP_SYNC_RLOCK)
        mp_warn(loc, "%s '%s' recovered after %s died holding it", kind_names[s->kind], s->name,
                who);
    else
        mp_warn(loc, "%s '%s': %lld unit%s given back after %s died holding %s",
                kind_names[s->kind], s->name, (long long)units, units == 1 ? "" : "s", who,
                units == 1 ? "it" : "them");
}

/* ---- making ---------------------------------------------------------- */

mp_sync *mp_make_sync(mp_sync_kind kind, int64_t n, mp_sync *lock, const char *name, mp_loc loc) {
    if ((kind == MP_SYNC_SEMAPHORE || kind == MP_SYNC_BOUNDED) && n < 0) {
        mp_raise(MP_EXC_ValueError, loc, "semaphore initial value must be >= 0");
        n = 0;
    }
    if ((kind == MP_SYNC_SEMAPHORE || kind == MP_SYNC_BOUNDED) && n > MP_SEM_VALUE_MAX) {
        mp_raise(MP_EXC_OverflowError, loc, "semaphore initial value must be <= %d",
                 MP_SEM_VALUE_MAX);
        n = MP_SEM_VALUE_MAX;
    }
    if (kind == MP_SYNC_BARRIER && n < 1) {
        mp_raise(MP_EXC_ValueError, loc, "parties must be > 0");
        n = 1;
    }
    if (kind == MP_SYNC_CONDITION && !lock) lock = mp_make_sync(MP_SYNC_RLOCK, 0, NULL, name, loc);
    mpr_ensure_init();
    mp_sync *s = mpr_shm_alloc(sizeof *s);
    if (!s || mpr_rlock_init(&s->m) < 0)
        mp_fail(loc, "cannot make %s '%s': %s", kind_names[kind], name, mp_strerror(errno));
    s->kind = kind;
    if (is_sem(s)) s->units.value = (uint32_t)n;
    s->bound = n;
    s->lock = lock;
    strncpy(s->name, name ? name : "", sizeof s->name - 1);
    mpr_register(MPR_OBJ_SYNC, s);
    return s;
}

void mpr_sync_free(mp_sync *s) {
    mpr_unregister(s);
    mpr_shm_free(s, sizeof *s);
}

/* ---- what this process holds --------------------------------------------- */

/* The objects this process has acquired, each with how many of its `with`
 * blocks are open on it and, for a semaphore, its holder record there.
 * Process-local: a forked child starts with none (mpr_sync_forget). */
static struct mine {
    mp_sync *s;
    int withs;
    struct holder *h; /* semaphores: NULL until a unit is taken, or untracked */
} * mine;
static size_t nmine, capmine;
static struct mine *last; /* the record found last */

static struct mine *mine_add(mp_sync *s) {
    for (size_t i = 0; i < nmine; i++)
        if (mine[i].s == s) return last = &mine[i];
    if (nmine == capmine) {
        capmine = capmine ? capmine * 2 : 8;
        mine = mpr_realloc(mine, capmine * sizeof *mine);
    }
    mine[nmine] = (struct mine){s, 0, NULL};
    return last = &mine[nmine++];
}

/* The record of S, made if there is none; the last one found is tried
 * first (a loop on one object finds it at once). */
static inline struct mine *mine_of(mp_sync *s) { return last && last->s == s ? last : mine_add(s); }

MPR_CHILD_PATH void mpr_sync_forget(void) {
    nmine = 0;
    last = NULL;
}

/* ---- Lock and RLock ---------------------------------------------------- */

/* The runtime lock `m` (sync.c) is the object itself: its word holds the
 * holder, so a take is one compare-and-swap and a release one exchange,
 * and a dead holder is found by the runtime lock's own means. `depth`
 * (RLock) is only touched by the holder. */

static bool lock_acquire(mp_sync *s, const mpr_deadline *d, mp_loc loc) {
    if (s->kind == MP_SYNC_RLOCK && mpr_rlock_mine(&s->m)) {
        s->depth++;
        return true;
    }
    int32_t dead = 0;
    /* A Lock may be released by any process, so its holder taking it
     * again waits for that like anyone (the compiler refuses the sure
     * cases); an RLock's holder never gets here. */
    int r = mpr_rlock_acquire_any(&s->m, &s->seq, d, &dead);
    if (r < 0) return false;
    if (r == MP_RECOVERED) recovered(s, dead, 1, loc);
    s->depth = 1;
    return true;
}

static inline void lock_release(mp_sync *s, mp_loc loc) {
    if (s->kind == MP_SYNC_LOCK) { /* by any process, as Python's */
        if (mpr_rlock_release_any(&s->m, &s->seq) < 0)
            mp_raise(MP_EXC_ValueError, loc, "semaphore or lock released too many times");
        return;
    }
    if (!mpr_rlock_mine(&s->m)) {
        mp_raise(MP_EXC_AssertionError, loc,
                 "attempt to release recursive lock not owned by thread");
        return;
    }
    if (--s->depth == 0) mpr_rlock_release_any(&s->m, &s->seq);
}

/* Gives the lock up entirely (an RLock held several times too); returns
 * how many times it was held. */
static int64_t lock_drop(mp_sync *l) {
    int64_t depth = l->depth;
    l->depth = 0;
    mpr_rlock_release_any(&l->m, &l->seq);
    return depth;
}

/* ---- semaphores ---------------------------------------------------------- */

/* `units` is the counting futex word of sync.c (as mp_sem's): a take and
 * a release are one compare-and-swap each, with a wake only when someone
 * sleeps. Each process that takes units records them in a holder slot
 * of its own, claimed once, written only by it (and by whoever frees it
 * after its death), so the records add no contention. */

/* Gives back the units of holders that died and frees their slots. */
static void reclaim(mp_sync *s, mp_loc loc) {
    for (int i = 0; i < HOLDERS; i++) {
        struct holder *h = &s->holders[i];
        uint32_t id = __atomic_load_n(&h->id, __ATOMIC_ACQUIRE);
        if (id == 0 || id == HOLDER_BUSY || id == mpr_self_lock_id() || !mpr_lock_id_dead(id))
            continue;
        int32_t count = __atomic_load_n(&h->count, __ATOMIC_RELAXED);
        /* The dead cannot change its count: whoever marks the slot owns it. */
        if (!__atomic_compare_exchange_n(&h->id, &id, HOLDER_BUSY, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue;
        __atomic_store_n(&h->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&h->id, 0, __ATOMIC_RELEASE);
        if (count > 0) {
            recovered(s, mpr_lock_id_pid(id), count, loc);
            __atomic_add_fetch(&s->units.value, (uint32_t)count, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&s->units.sleepers, __ATOMIC_SEQ_CST))
                mpr_futex_wake(&s->units.value, count, true);
        }
    }
}

/* This process's slot, claimed on its first take (a full table is first
 * rid of dead holders); NULL when every slot is held by a live process
 * (then its units are not tracked). */
static struct holder *holder_claim(mp_sync *s, mp_loc loc) {
    uint32_t id = mpr_self_lock_id();
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < HOLDERS; i++) {
            uint32_t free = 0;
            if (__atomic_compare_exchange_n(&s->holders[i].id, &free, id, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED))
                return &s->holders[i];
        }
        reclaim(s, loc);
    }
    return NULL;
}

/* Takes a unit that was not free at the first look: watches for one for
 * a few microseconds (sync.c), then sleeps, waking every POLL seconds to
 * look for dead holders; false when D passed first. */
static bool sem_wait_unit(mp_sync *s, const mpr_deadline *d, mp_loc loc) {
    if (mpr_units_watch(&s->units, d)) return true;
    for (;;) {
        reclaim(s, loc);
        if (mpr_units_take(&s->units)) return true;
        mpr_deadline slice;
        if (!slice_of(d, &slice)) return false;
        mpr_units_sleep(&s->units, &slice);
    }
}

/* A unit taken: its holder's record (if tracked) counts it. */
static inline void count_take(struct holder *h) {
    if (h) __atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELAXED);
}

/* M: this process's record of S. */
static bool sem_acquire(mp_sync *s, struct mine *m, const mpr_deadline *d, mp_loc loc) {
    if (!mpr_units_take(&s->units) && !sem_wait_unit(s, d, loc)) return false;
    count_take(m->h ? m->h : (m->h = holder_claim(s, loc)));
    return true;
}

static bool sem_up(mp_sync *s) {
    return mpr_units_give(&s->units,
                          s->kind == MP_SYNC_BOUNDED ? (uint32_t)s->bound : MP_SEM_VALUE_MAX);
}

/* The holder's record first: killed between the two, a unit is lost
 * rather than given back twice. */
static inline void sem_release(mp_sync *s, struct mine *m, mp_loc loc) {
    struct holder *h = m->h;
    int32_t count = h ? h->count : 0;
    if (count > 0) __atomic_store_n(&h->count, count - 1, __ATOMIC_RELAXED);
    if (sem_up(s)) return;
    if (count > 0) __atomic_store_n(&h->count, count, __ATOMIC_RELAXED);
    mp_raise(MP_EXC_ValueError, loc, "semaphore or lock released too many times");
}

/* ---- leaving ---------------------------------------------------------------- */

/* This process is ending (any way but a signal): its open `with` blocks
 * on semaphores give their units back; Locks and RLocks it still holds
 * are released; any other semaphore units it took stay taken (a
 * semaphore counts, it has no owner), so its record is forgotten, never
 * given back later as a dead holder's. Only the objects this process has
 * used are looked at: each may be a page a child has not touched. */
MPR_CHILD_PATH void mpr_sync_release_all(void) {
    for (size_t i = nmine; i-- > 0;) {
        mp_sync *s = mine[i].s;
        if (is_lock(s)) {
            if (mpr_rlock_mine(&s->m)) lock_drop(s);
            continue;
        }
        struct holder *h = mine[i].h;
        if (h) __atomic_store_n(&h->count, 0, __ATOMIC_RELAXED);
        for (; mine[i].withs > 0; mine[i].withs--) sem_up(s);
        if (h) __atomic_store_n(&h->id, 0, __ATOMIC_RELEASE); /* the slot is free again */
    }
    free(mine);
    mine = NULL;
    nmine = capmine = 0;
    last = NULL;
}

/* ---- acquire and release ---------------------------------------------- */

/* Every object acquired is recorded (mine_of): mpr_sync_release_all
 * looks at those. */
static bool acquire(mp_sync *s, const mpr_deadline *d, mp_loc loc) {
    struct mine *m = mine_of(s);
    return is_lock(s) ? lock_acquire(s, d, loc) : sem_acquire(s, m, d, loc);
}

static void sem_enter(mp_sync *s, struct mine *m, mp_loc loc) {
    if (sem_acquire(s, m, &forever, loc)) m->withs++;
}

/* A `with` block: a Lock's, the commonest, costs one compare-and-swap in
 * and one exchange out besides finding its record (at once in a loop); a
 * semaphore's counts its open blocks, which give their units back if the
 * process leaves inside them. What is not free at once, and a first take,
 * goes the long way (out of line, so that the short one saves nothing). */
void mp_sync_enter(mp_sync *s, mp_loc loc) {
    if (s->kind == MP_SYNC_CONDITION) s = s->lock;
    struct mine *m = mine_of(s);
    if (s->kind == MP_SYNC_LOCK) {
        if (!mpr_rlock_try(&s->m)) lock_acquire(s, &forever, loc);
    } else if (!is_sem(s)) {
        lock_acquire(s, &forever, loc);
    } else if (m->h && mpr_units_take(&s->units)) {
        count_take(m->h);
        m->withs++;
    } else {
        sem_enter(s, m, loc);
    }
}

void mp_sync_exit(mp_sync *s, mp_loc loc) {
    if (s->kind == MP_SYNC_CONDITION) s = s->lock;
    if (is_lock(s)) {
        lock_release(s, loc);
        return;
    }
    struct mine *m = mine_of(s);
    if (m->withs > 0) m->withs--;
    sem_release(s, m, loc);
}

bool mp_sync_acquire(mp_sync *s, bool block, double timeout, mp_loc loc) {
    if (s->kind == MP_SYNC_CONDITION) return mp_sync_acquire(s->lock, block, timeout, loc);
    mpr_deadline d;
    deadline(&d, block, timeout);
    return acquire(s, &d, loc);
}

void mp_sync_release(mp_sync *s, mp_loc loc) {
    if (s->kind == MP_SYNC_CONDITION) mp_sync_release(s->lock, loc);
    else if (is_lock(s)) lock_release(s, loc);
    else sem_release(s, mine_of(s), loc);
}

bool mp_sync_locked(mp_sync *s) {
    if (s->kind == MP_SYNC_CONDITION) return mp_sync_locked(s->lock);
    if (is_sem(s)) return __atomic_load_n(&s->units.value, __ATOMIC_SEQ_CST) == 0;
    return __atomic_load_n(&s->m.word, __ATOMIC_SEQ_CST) != 0;
}

int64_t mp_sync_get_value(mp_sync *s) { return __atomic_load_n(&s->units.value, __ATOMIC_SEQ_CST); }

/* ---- Event ------------------------------------------------------------- */

void mp_sync_set(mp_sync *s) {
    in(s);
    s->value = 1;
    bump(s);
    out(s);
}

void mp_sync_clear(mp_sync *s) {
    in(s);
    s->value = 0;
    out(s);
}

bool mp_sync_is_set(mp_sync *s) { return __atomic_load_n(&s->value, __ATOMIC_SEQ_CST) != 0; }

static bool event_wait(mp_sync *s, double timeout) {
    mpr_deadline d;
    deadline(&d, true, timeout);
    for (;;) {
        in(s);
        bool set = s->value != 0;
        uint32_t seen = set ? 0 : may_nap(s);
        out(s);
        if (set) return true;
        if (!nap(&s->seq, seen, &d)) return false;
    }
}

/* ---- Condition ---------------------------------------------------------- */

static struct waiter *waiter_new(mp_sync *s) {
    for (int i = 0; i < WAITERS; i++) {
        struct waiter *w = &s->waiters[i];
        if (w->state == W_FREE || (w->state == W_WAITING && mpr_pid_dead(w->pid))) {
            *w = (struct waiter){me(), W_WAITING, s->ticket++};
            return w;
        }
    }
    return NULL;
}

static bool cond_wait(mp_sync *s, double timeout, mp_loc loc) {
    if (!mpr_rlock_mine(&s->lock->m)) {
        mp_raise(MP_EXC_AssertionError, loc, "must acquire() condition before using wait()");
        return false;
    }
    in(s);
    struct waiter *w = waiter_new(s);
    out(s);
    if (!w) {
        mp_raise(MP_EXC_RuntimeError, loc, "more than %d processes wait on Condition '%s'", WAITERS,
                 s->name);
        return false;
    }
    int64_t depth = lock_drop(s->lock);
    mpr_deadline d;
    deadline(&d, true, timeout);
    for (;;) {
        in(s);
        bool woken = w->state == W_NOTIFIED;
        uint32_t seen = woken ? 0 : may_nap(s);
        out(s);
        if (woken || !nap(&s->seq, seen, &d)) break;
    }
    in(s);
    bool notified = w->state == W_NOTIFIED;
    w->state = W_FREE;
    out(s);
    acquire(s->lock, &forever, loc);
    s->lock->depth = depth;
    return notified;
}

static void cond_notify(mp_sync *s, int64_t n, mp_loc loc) {
    if (!mpr_rlock_mine(&s->lock->m)) {
        mp_raise(MP_EXC_AssertionError, loc, "lock is not owned");
        return;
    }
    in(s);
    for (; n > 0; n--) { /* the oldest waiter still alive, n times */
        struct waiter *first = NULL;
        for (int i = 0; i < WAITERS; i++) {
            struct waiter *w = &s->waiters[i];
            if (w->state != W_WAITING) continue;
            if (mpr_pid_dead(w->pid)) w->state = W_FREE;
            else if (!first || w->ticket < first->ticket) first = w;
        }
        if (!first) break;
        first->state = W_NOTIFIED;
    }
    bump(s);
    out(s);
}

void mp_sync_notify(mp_sync *s, int64_t n, mp_loc loc) { cond_notify(s, n, loc); }

void mp_sync_notify_all(mp_sync *s, mp_loc loc) { cond_notify(s, INT64_MAX, loc); }

bool mp_sync_wait(mp_sync *s, double timeout, mp_loc loc) {
    return s->kind == MP_SYNC_CONDITION ? cond_wait(s, timeout, loc) : event_wait(s, timeout);
}

/* ---- Barrier ------------------------------------------------------------- */

static int64_t broken_barrier(mp_sync *s, mp_loc loc) {
    out(s);
    mp_raise(MP_EXC_BrokenBarrierError, loc, "%s", "");
    return -1;
}

int64_t mp_barrier_wait_at(mp_sync *s, double timeout, mp_loc loc) {
    mpr_deadline d;
    deadline(&d, true, timeout);
    in(s);
    if (s->broken) return broken_barrier(s, loc);
    int64_t index = s->value++;
    uint32_t gen = s->gen;
    if (s->value == s->bound) { /* the last arrival lets everyone go */
        s->value = 0;
        s->resets &= ~(1ull << (gen % 64));
        s->gen++;
        bump(s);
        out(s);
        return index;
    }
    for (;;) {
        if (s->gen != gen) {
            bool reset = s->resets & (1ull << (gen % 64));
            if (reset) return broken_barrier(s, loc);
            out(s);
            return index;
        }
        if (s->broken) {
            s->value--;
            return broken_barrier(s, loc);
        }
        uint32_t seen = may_nap(s);
        out(s);
        bool more = nap(&s->seq, seen, &d);
        in(s);
        if (!more && s->gen == gen && !s->broken) { /* timed out: the barrier breaks */
            s->broken = true;
            s->value--;
            bump(s);
            return broken_barrier(s, loc);
        }
    }
}

void mp_sync_reset(mp_sync *s) {
    in(s);
    if (s->value > 0 || s->broken) { /* the waiters of this cycle get BrokenBarrierError */
        s->resets |= 1ull << (s->gen % 64);
        s->gen++;
    }
    s->value = 0;
    s->broken = false;
    bump(s);
    out(s);
}

void mp_sync_abort(mp_sync *s) {
    in(s);
    s->broken = true;
    bump(s);
    out(s);
}

int64_t mp_sync_parties(mp_sync *s) { return s->bound; }

int64_t mp_sync_n_waiting(mp_sync *s) {
    in(s);
    int64_t n = s->broken ? 0 : s->value;
    out(s);
    return n;
}

bool mp_sync_broken(mp_sync *s) {
    in(s);
    bool b = s->broken;
    out(s);
    return b;
}
