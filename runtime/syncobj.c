/* syncobj.c: the language's synchronization objects, Python's Lock,
 * RLock, Semaphore, BoundedSemaphore, Event, Condition and Barrier.
 *
 * Each object is one anonymous shared mapping. Its state sits behind a
 * runtime lock (`m`, sync.c) that is only held for a few loads and stores,
 * never while a process sleeps; sleepers wait on the futex word `seq`,
 * which every change that may let one proceed bumps, waking all once the
 * mutex is let go, but only when someone flagged that it may sleep.
 *
 * Holds are recorded per process (the owner of a Lock or RLock; a count
 * per process for semaphores), so a holder that dies is noticed: a
 * process that cannot get the object looks for dead holders, and a
 * sleeper looks again every POLL seconds, so a death is never waited for
 * forever. The dead holder's hold is given back with a runtime warning. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpr_internal.h"

#define HOLDERS 64  /* processes tracked per semaphore */
#define WAITERS 128 /* processes waiting on one condition at a time */
#define POLL 0.1    /* seconds between looks for a dead holder */

struct holder {
    int32_t pid, count;
};

struct waiter {
    int32_t pid;
    uint32_t state; /* W_FREE, W_WAITING, W_NOTIFIED */
    uint64_t ticket;
};
enum { W_FREE, W_WAITING, W_NOTIFIED };

struct mp_sync {
    mpr_rlock m;  /* guards everything below */
    uint32_t seq; /* futex word: bumped on every change a sleeper awaits */
    bool sleepy;  /* someone may sleep on seq since the last bump */
    bool owed;    /* a wake for the sleepers, made when the mutex is let go */
    mp_sync_kind kind;
    int64_t value;   /* Lock, RLock: 1 free; semaphores: the count; Event: the flag;
                       Barrier: arrivals of this cycle */
    int64_t bound;   /* BoundedSemaphore: the initial value; Barrier: parties */
    int32_t owner;   /* Lock, RLock: who holds it (0: nobody) */
    int64_t depth;   /* RLock: how many times */
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

/* Sleeps while seq is SEEN, at most POLL seconds and not past D; false
 * when D has passed (without sleeping). */
static bool nap(mp_sync *s, uint32_t seen, const mpr_deadline *d) {
    double left = mpr_deadline_left(d);
    if (d->now || (!d->forever && left <= 0)) return false;
    mpr_deadline slice;
    mpr_deadline_set(&slice, d->forever || left > POLL ? POLL : left);
    mpr_futex_wait(&s->seq, seen, &slice, true);
    return true;
}

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
    bool counts = kind == MP_SYNC_SEMAPHORE || kind == MP_SYNC_BOUNDED;
    s->value = kind == MP_SYNC_LOCK || kind == MP_SYNC_RLOCK ? 1 : counts ? n : 0;
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

/* ---- Lock and RLock ---------------------------------------------------- */

/* Takes the lock if it can (inside the mutex); a dead owner's hold is
 * taken over. */
static bool lock_take(mp_sync *s, mp_loc loc) {
    if (s->kind == MP_SYNC_RLOCK && s->owner == me()) {
        s->depth++;
        return true;
    }
    if (s->value == 0 && s->owner != 0 && s->owner != me() && mpr_pid_dead(s->owner)) {
        recovered(s, s->owner, 1, loc);
        s->value = 1;
    }
    if (s->value == 0) return false;
    s->value = 0;
    s->owner = me();
    s->depth = 1;
    return true;
}

/* Whether this process holds the lock (a Condition's check). */
static bool lock_mine(mp_sync *l) {
    in(l);
    bool mine = l->value == 0 && l->owner == me();
    out(l);
    return mine;
}

static void lock_release(mp_sync *s, mp_loc loc) {
    in(s);
    if (s->kind == MP_SYNC_RLOCK && s->owner != me()) {
        out(s);
        mp_raise(MP_EXC_AssertionError, loc,
                 "attempt to release recursive lock not owned by thread");
        return;
    }
    if (s->value > 0) { /* a Lock may be released by any process, as Python's */
        out(s);
        mp_raise(MP_EXC_ValueError, loc, "semaphore or lock released too many times");
        return;
    }
    if (s->kind == MP_SYNC_RLOCK && --s->depth > 0) {
        out(s);
        return;
    }
    s->value = 1;
    s->owner = 0;
    s->depth = 0;
    bump(s);
    out(s);
}

/* ---- semaphores ---------------------------------------------------------- */

static struct holder *holder_of(mp_sync *s, int32_t pid) {
    for (int i = 0; i < HOLDERS; i++)
        if (s->holders[i].pid == pid && s->holders[i].count > 0) return &s->holders[i];
    return NULL;
}

static void holder_add(mp_sync *s) {
    struct holder *h = holder_of(s, me());
    for (int i = 0; !h && i < HOLDERS; i++)
        if (s->holders[i].count == 0) h = &s->holders[i];
    if (!h) return; /* more holders than tracked: this one is not */
    h->pid = me();
    h->count++;
}

/* Gives back the units of holders that died. */
static void reclaim(mp_sync *s, mp_loc loc) {
    for (int i = 0; i < HOLDERS; i++) {
        struct holder *h = &s->holders[i];
        if (h->count == 0 || h->pid == me() || !mpr_pid_dead(h->pid)) continue;
        recovered(s, h->pid, h->count, loc);
        s->value += h->count;
        h->count = 0;
        bump(s);
    }
}

static bool sem_take(mp_sync *s, mp_loc loc) {
    if (s->value == 0) reclaim(s, loc);
    if (s->value == 0) return false;
    s->value--;
    holder_add(s);
    return true;
}

static void sem_release(mp_sync *s, mp_loc loc) {
    in(s);
    if (s->kind == MP_SYNC_BOUNDED && s->value >= s->bound) {
        out(s);
        mp_raise(MP_EXC_ValueError, loc, "semaphore or lock released too many times");
        return;
    }
    struct holder *h = holder_of(s, me());
    if (h) h->count--;
    s->value++;
    bump(s);
    out(s);
}

/* ---- what this process holds --------------------------------------------- */

/* The objects this process has acquired, each with how many of its `with`
 * blocks are open on it. Process-local: a forked child starts with none. */
static struct mine {
    mp_sync *s;
    int withs;
} * mine;
static size_t nmine, capmine;
static int32_t mine_pid;

static struct mine *mine_of(mp_sync *s) {
    if (mine_pid != me()) {
        mine_pid = me();
        nmine = 0;
    }
    for (size_t i = 0; i < nmine; i++)
        if (mine[i].s == s) return &mine[i];
    if (nmine == capmine) {
        capmine = capmine ? capmine * 2 : 8;
        mine = mpr_realloc(mine, capmine * sizeof *mine);
    }
    mine[nmine] = (struct mine){s, 0};
    return &mine[nmine++];
}

/* This process is ending (any way but a signal): its open `with` blocks
 * on semaphores give their units back; Locks and RLocks it still holds
 * are released; any other semaphore units it took stay taken (a
 * semaphore counts, it has no owner), so its record is forgotten, never
 * given back later as a dead holder's. */
MPR_CHILD_PATH void mpr_sync_release_all(void) {
    if (mine_pid != me()) return;
    for (size_t i = nmine; i-- > 0;) {
        mp_sync *s = mine[i].s;
        in(s);
        if (s->kind == MP_SYNC_LOCK || s->kind == MP_SYNC_RLOCK) {
            if (s->value == 0 && s->owner == me()) {
                s->value = 1;
                s->owner = 0;
                s->depth = 0;
            }
        } else {
            for (; mine[i].withs > 0; mine[i].withs--)
                if (s->kind != MP_SYNC_BOUNDED || s->value < s->bound) s->value++;
            struct holder *h = holder_of(s, me());
            if (h) h->count = 0;
        }
        bump(s);
        out(s);
    }
    free(mine);
    mine = NULL;
    nmine = capmine = 0;
}

/* ---- acquire and release ---------------------------------------------- */

static bool take(mp_sync *s, mp_loc loc) {
    return s->kind == MP_SYNC_LOCK || s->kind == MP_SYNC_RLOCK ? lock_take(s, loc)
                                                               : sem_take(s, loc);
}

static bool acquire(mp_sync *s, const mpr_deadline *d, mp_loc loc) {
    for (;;) {
        in(s);
        bool got = take(s, loc);
        uint32_t seen = got ? 0 : may_nap(s);
        out(s);
        if (got) {
            mine_of(s);
            return true;
        }
        if (!nap(s, seen, d)) return false;
    }
}

void mp_sync_enter(mp_sync *s, mp_loc loc) {
    mp_sync_acquire(s, true, -1.0, loc);
    mine_of(s->kind == MP_SYNC_CONDITION ? s->lock : s)->withs++;
}

void mp_sync_exit(mp_sync *s, mp_loc loc) {
    struct mine *m = mine_of(s->kind == MP_SYNC_CONDITION ? s->lock : s);
    if (m->withs > 0) m->withs--;
    mp_sync_release(s, loc);
}

bool mp_sync_acquire(mp_sync *s, bool block, double timeout, mp_loc loc) {
    if (s->kind == MP_SYNC_CONDITION) return mp_sync_acquire(s->lock, block, timeout, loc);
    mpr_deadline d;
    deadline(&d, block, timeout);
    return acquire(s, &d, loc);
}

void mp_sync_release(mp_sync *s, mp_loc loc) {
    if (s->kind == MP_SYNC_CONDITION) mp_sync_release(s->lock, loc);
    else if (s->kind == MP_SYNC_LOCK || s->kind == MP_SYNC_RLOCK) lock_release(s, loc);
    else sem_release(s, loc);
}

bool mp_sync_locked(mp_sync *s) {
    if (s->kind == MP_SYNC_CONDITION) return mp_sync_locked(s->lock);
    return __atomic_load_n(&s->value, __ATOMIC_SEQ_CST) == 0;
}

int64_t mp_sync_get_value(mp_sync *s) {
    in(s);
    int64_t v = s->value;
    out(s);
    return v;
}

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
        if (!nap(s, seen, &d)) return false;
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

/* Gives the lock up entirely (an RLock held several times too); returns
 * how many times it was held. */
static int64_t lock_drop(mp_sync *l) {
    in(l);
    int64_t depth = l->depth;
    l->value = 1;
    l->owner = 0;
    l->depth = 0;
    bump(l);
    out(l);
    return depth;
}

static bool cond_wait(mp_sync *s, double timeout, mp_loc loc) {
    if (!lock_mine(s->lock)) {
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
        if (woken || !nap(s, seen, &d)) break;
    }
    in(s);
    bool notified = w->state == W_NOTIFIED;
    w->state = W_FREE;
    out(s);
    mpr_deadline forever;
    mpr_deadline_set(&forever, -1);
    acquire(s->lock, &forever, loc);
    s->lock->depth = depth;
    return notified;
}

static void cond_notify(mp_sync *s, int64_t n, mp_loc loc) {
    if (!lock_mine(s->lock)) {
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
        bool more = nap(s, seen, &d);
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
