/* mpr_internal.h: what the runtime's modules share; not installed.
 * Every .c file defines _GNU_SOURCE before including this header.
 * All names here are hidden (mpr_ prefix, hidden visibility). */
#ifndef MPR_INTERNAL_H
#define MPR_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "mpr_api.h"

#pragma GCC visibility push(hidden)

/* ---- error.c: process identity, fatal errors ---------------------- */

/* What a new child runs before and after its entry point (atfork, start,
 * exit path): kept together in the text (GCC's .text.hot), so that a child
 * faults in one 64 KiB window of it, not one per module it passes through. */
#if defined(__GNUC__) && !defined(__clang__)
#define MPR_CHILD_PATH __attribute__((hot))
#else
#define MPR_CHILD_PATH
#endif

struct mpr_state {
    bool inited;        /* mp_init ran */
    bool is_main;       /* false in every forked child */
    int32_t pid;        /* cached getpid() */
    const char *source; /* .mp file name for messages */
    char name[96];      /* "main", "p", "workers[2]" */
    int32_t slot;       /* index in the shared process table */
    uint32_t lock_id;   /* owner identity in lock words (proc.c); 0: not yet known */
    bool published;     /* mpr_pid_published */
    int argc;
    char **argv;
};
extern struct mpr_state mpr_rt;

_Noreturn void mpr_oom(void);
void *mpr_malloc(size_t n);
void *mpr_calloc(size_t n, size_t size);
void *mpr_realloc(void *p, size_t n);
char *mpr_strdup(const char *s);
/* Sets mp_stack_floor from the stack size limit (mpr_ensure_init). */
void mpr_stack_init(void);

/* A value of optional type t (MP_OPT): whether it is None; the value
 * beside None it holds (for a scalar, unboxed). */
bool mpr_opt_is_none(const mp_type *t, mp_val v);
mp_val mpr_opt_inner(const mp_type *t, mp_val v);

/* Tuples (tuple.c): a new tuple of type t with zeroed items, set one by
 * one with mpr_tuple_set (takes v); equality, order and a copy (lists
 * inside copied deeply) item by item. */
mp_tuple *mpr_tuple_alloc(const mp_type *t);
void mpr_tuple_set(mp_tuple *u, size_t k, mp_val v);
const mp_type *mpr_tuple_type(const mp_tuple *u);
bool mpr_tuple_eq(const mp_tuple *a, const mp_tuple *b);
int mpr_tuple_cmp(const mp_tuple *a, const mp_tuple *b);
mp_tuple *mpr_tuple_copy(const mp_tuple *u);
#define TUP(t) mp_tuple_type_of(t)

/* Dicts and sets (dict.c): Python's hash of a hashable value (equal
 * values hash alike, 1 and 1.0 included); equality; a copy for another
 * process (values copied as mp_val_copy); a walk over the live entries in
 * order (*pos from 0; a set's values are meaningless). */
uint64_t mpr_val_hash(const mp_type *t, mp_val v);
bool mpr_dict_eq(const mp_dict *a, const mp_dict *b);
mp_dict *mpr_dict_copy(const mp_dict *d);
const mp_type *mpr_dict_type(const mp_dict *d);
bool mpr_dict_walk(const mp_dict *d, int64_t *pos, mp_val *k, mp_val *v);
/* write(2) all of buf, retrying EINTR and partial writes: 0 or -1. */
int mpr_write_all(int fd, const char *buf, size_t len);
/* Formats the runtime error/warning line into buf (always terminated). */
size_t mpr_format_diag(char *buf, size_t cap, mp_loc loc, const char *what, const char *fmt,
                       va_list ap);

/* ---- wait.c: deadlines, futexes, shared mappings ------------------ */

typedef struct mpr_deadline {
    bool forever;       /* negative timeout */
    bool now;           /* zero timeout: never wait */
    struct timespec at; /* absolute CLOCK_MONOTONIC */
} mpr_deadline;

/* 0, or -1 with EINVAL for NaN. */
int mpr_deadline_set(mpr_deadline *d, double timeout);
/* Seconds left (0 if passed); -1 if forever. */
double mpr_deadline_left(const mpr_deadline *d);
/* Sleeps while *w == val, until woken or the deadline. Returns 0 (woken,
 * value changed, or interrupted: re-check) or -1 with ETIMEDOUT. */
int mpr_futex_wait(uint32_t *w, uint32_t val, const mpr_deadline *d, bool shared);
void mpr_futex_wake(uint32_t *w, int n, bool shared);
/* An anonymous MAP_SHARED mapping, zeroed; NULL with ENOMEM. */
void *mpr_shm_alloc(size_t size);
void mpr_shm_free(void *p, size_t size);
/* CPU hint inside spin loops. */
void mpr_cpu_relax(void);

/* ---- sync.c: robust process-shared lock --------------------------- */

/* One futex word: 0 when free, else the holder's identity (proc.c), with
 * MPR_LOCK_WAITERS set once a process may sleep on it. */
typedef struct mpr_rlock {
    uint32_t word;
} mpr_rlock;
#define MPR_LOCK_WAITERS 0x80000000u

int mpr_rlock_init(mpr_rlock *l);
/* 0, MP_RECOVERED (the previous holder died; its pid in *dead), or -1
 * with ETIMEDOUT or EDEADLK. */
int mpr_rlock_acquire(mpr_rlock *l, const mpr_deadline *d, int32_t *dead);
/* The same for a lock used as a binary semaphore (the language's Lock):
 * a holder taking it again waits, as anyone, for a release by any
 * process; -1 only with ETIMEDOUT. Its waiters sleep on SEQ, a futex
 * word of the object's own that only a release owing a wake changes: a
 * holder taking it again and again changes the lock word all the time,
 * which would turn every sleep into a failed system call. */
int mpr_rlock_acquire_any(mpr_rlock *l, uint32_t *seq, const mpr_deadline *d, int32_t *dead);
/* Whether this process holds it. */
bool mpr_rlock_mine(const mpr_rlock *l);
static inline uint32_t mpr_self_lock_id(void);
/* Takes the lock if it is free, with one atomic instruction; false
 * otherwise (held, even by a dead process: acquire recovers those).
 * Inline, as the release below: the whole of an uncontended `with`. */
static inline bool mpr_rlock_try(mpr_rlock *l) {
    uint32_t free = 0;
    return __atomic_compare_exchange_n(&l->word, &free, mpr_self_lock_id(), false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}
/* 0 or -1 with EPERM (not the holder). */
int mpr_rlock_release(mpr_rlock *l);
/* Lets it go whoever holds it: 0, or -1 with EPERM if it was free. When
 * the word says a waiter may sleep, changes SEQ and wakes one there
 * (seq_cst: either the waiter sees the word change or its sleep sees SEQ
 * change). */
static inline int mpr_rlock_release_any(mpr_rlock *l, uint32_t *seq) {
    uint32_t w = __atomic_exchange_n(&l->word, 0, __ATOMIC_SEQ_CST);
    if (w & MPR_LOCK_WAITERS) {
        __atomic_add_fetch(seq, 1, __ATOMIC_SEQ_CST);
        mpr_futex_wake(seq, 1, true);
    }
    if (w != 0) return 0;
    errno = EPERM; /* it was free, and stays so */
    return -1;
}
void mpr_rlock_destroy(mpr_rlock *l);
/* A counting futex word (mp_sem, the language's semaphores): `value`
 * free units, `sleepers` the processes that may sleep on it, so that a
 * unit given back wakes one only when someone may sleep. */
typedef struct mpr_units {
    uint32_t value, sleepers;
} mpr_units;
/* Takes a unit if one is free (one compare-and-swap). */
static inline bool mpr_units_take(mpr_units *u) {
    uint32_t v = __atomic_load_n(&u->value, __ATOMIC_RELAXED);
    while (v > 0)
        if (__atomic_compare_exchange_n(&u->value, &v, v - 1, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return true;
    return false;
}
/* Gives one back, waking a sleeper; false (nothing given) at MAX.
 * seq_cst here and in mpr_units_sleep: either the giver sees the sleeper
 * or the sleeper sees the unit. */
static inline bool mpr_units_give(mpr_units *u, uint32_t max) {
    uint32_t v = __atomic_load_n(&u->value, __ATOMIC_RELAXED);
    do {
        if (v >= max) return false;
    } while (!__atomic_compare_exchange_n(&u->value, &v, v + 1, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_RELAXED));
    if (__atomic_load_n(&u->sleepers, __ATOMIC_SEQ_CST)) mpr_futex_wake(&u->value, 1, true);
    return true;
}
/* Takes a unit by looking for one now and then for a few microseconds
 * (as a Lock's waiter, sync.c); false if none came free. */
bool mpr_units_watch(mpr_units *u, const mpr_deadline *d);
/* Sleeps while no unit is free, until woken or D; false when D passed.
 * A sleeper giving up passes on a wake it may have had. */
bool mpr_units_sleep(mpr_units *u, const mpr_deadline *d);
/* Acquire for a statement or block, warning on recovery; fails at loc. */
void mpr_rlock_checked(mpr_rlock *l, const char *what, const char *name, mp_loc loc);
void mpr_runlock_checked(mpr_rlock *l, const char *what, const char *name, mp_loc loc);
/* Releases every value and array lock this process holds (it is leaving
 * by exit() or a runtime error: the objects stay usable by the others). */
void mpr_runlock_all(void);

/* ---- init.c: registry of objects freed by mp_finish --------------- */

enum mpr_objkind {
    MPR_OBJ_PROC,
    MPR_OBJ_CONN,
    MPR_OBJ_QUEUE,
    MPR_OBJ_VALUE,
    MPR_OBJ_ARRAY,
    MPR_OBJ_LOCK,
    MPR_OBJ_SEM,
    MPR_OBJ_EVENT,
    MPR_OBJ_BARRIER,
    MPR_OBJ_SYNC,
    MPR_OBJ_POOL
};
void mpr_register(enum mpr_objkind kind, void *obj);
void mpr_unregister(void *obj);
/* Calls FN on every registered object of KIND, oldest first. */
void mpr_each(enum mpr_objkind kind, void (*fn)(void *obj));
/* Frees everything still registered (main process, at the end). */
void mpr_free_all(void);
/* Lazily does the part of mp_init that objects need. */
void mpr_ensure_init(void);

/* ---- exc.c ------------------------------------------------------- */

/* In a new child: no `try` is active and nothing is pending. */
void mpr_exc_reset_child(void);

/* Raises KIND with MSG as its text, unchanged (a KeyError's text is
 * already the key's repr): an exception that came from another process. */
/* An exception as bytes for another process (new ref), and raising what
 * such bytes hold, as it was raised there. */
/* A new string of LEN bytes for the caller to fill at *DATA (NUL-ended;
 * the empty string, with *DATA NULL, when LEN is 0). */
mp_str *mpr_str_alloc(size_t len, char **data);
/* S (from mpr_str_alloc, LEN > 0 there, not yet shared) made LEN bytes
 * long, its bytes kept up to the shorter length; returns where it is now. */
mp_str *mpr_str_resize(mp_str *s, size_t len, char **data);
mp_str *mpr_exc_encode(const mp_exc *e);
mp_str *mpr_exc_encode_text(const char *text); /* an exception of that message */
void mpr_raise_encoded(mp_exc_kind kind, const mp_str *wire, mp_loc loc);

/* ---- pool.c ------------------------------------------------------- */

void mpr_pool_free(mp_pool *p);

/* ---- syncobj.c ------------------------------------------------- */

void mpr_sync_free(mp_sync *s);
/* This process is leaving: releases its Locks and RLocks, gives back the
 * units of its open `with` blocks on semaphores, forgets its other units. */
void mpr_sync_release_all(void);
/* In a new child: it holds nothing its parent held. */
void mpr_sync_forget(void);

/* ---- proc.c: children, SIGCHLD, process table --------------------- */

/* Ends the calling process: main joins children, frees, exit(status);
 * a child joins its children, flushes, marks itself, _exit(status). */
_Noreturn void mpr_exit_process(int status);
/* Releases this process's remaining producer shares (mp_self_produces). */
void mpr_self_done_all(void);
void mpr_proc_init(void);
/* Waits for every started child of this process. */
void mpr_join_all_children(void);
/* Writes "process 'NAME' (pid N)" or "process N" for a pid. */
void mpr_describe_pid(int32_t pid, char *buf, size_t cap);
/* Whether process PID has ended (reaped, by the shared table, or gone). */
bool mpr_pid_dead(int32_t pid);
/* Lock owner identities: this process's (use mpr_self_lock_id), the pid
 * behind one (0 if unknown), and whether its process has ended. */
uint32_t mpr_lock_id_slow(void);
int32_t mpr_lock_id_pid(uint32_t id);
bool mpr_lock_id_dead(uint32_t id);
static inline uint32_t mpr_self_lock_id(void) {
    return mpr_rt.lock_id ? mpr_rt.lock_id : mpr_lock_id_slow();
}
/* This process wrote its pid where others ask mpr_pid_dead about it: it
 * marks itself finished at its exit, before it is reaped. */
void mpr_pid_published(void);
/* Test hook: called by the parent between fork and recording the child. */
extern void (*mpr_test_start_hook)(pid_t pid);
/* Removes q from every process's produce list (q is being freed). */
void mpr_procs_forget_queue(mp_queue *q);
/* True if an unstarted process of ours will use c. */
bool mpr_procs_will_use(const mp_conn *c);

/* ---- conn.c ------------------------------------------------------- */

/* In a new child: closes every pipe end not in keep[0..n). */
void mpr_conns_close_except(mp_conn *const *keep, size_t n);
void mpr_conns_close_all(void);
void mpr_conn_free(mp_conn *c);
/* Returned by the non-blocking receives of select.c: nothing yet. */
#define MPR_NOT_READY 2
int mpr_conn_try_recv(mp_conn *c, mp_val *out);
/* This process's flag: a select ran the eof case of c. */
bool *mpr_conn_sel_ended(mp_conn *c);
/* Raises what a failed recv/send (errno ERR) raises; returns. */
void mpr_conn_fail(mp_conn *c, const char *op, int err, mp_loc loc);

/* Select over a pipe end with a shared-memory transport: says it sleeps
 * before the last try (so a sender rings its socket), and stops saying
 * so after the wait. No-ops on a socket-only end. */
void mpr_conn_sel_arm(mp_conn *c);
void mpr_conn_sel_disarm(mp_conn *c);

/* ---- ring.c: the shared-memory transport of a pipe ----------------- */

/* How long a waiting side of a ring spins before it sleeps (ring.c): the
 * budget adapts to what the waits find, and a rare long spin (a probe)
 * finds out whether spinning pays again. All times in ns. */
typedef struct mpr_spin {
    int32_t budget; /* the next spin; 0: not started */
    int32_t wake;   /* about how long a wake-up of this side takes */
    int32_t sleeps; /* sleeps since the last probe */
    int32_t gap;    /* sleeps between probes */
} mpr_spin;

/* How long the next wait spins (0: not at all, one CPU); *probe says
 * whether it is a probe. */
int64_t mpr_spin_budget(mpr_spin *s, bool *probe);
/* After that wait: whether the spin caught what it waited for, and late
 * (after half its budget). */
void mpr_spin_done(mpr_spin *s, bool caught, bool late, bool probe);
/* After a sleep ended by the peer's bell: the wake-up took ns. */
void mpr_spin_woke(mpr_spin *s, int64_t ns);
/* The longest spin for a side whose wake-ups take about wake ns. */
int64_t mpr_spin_ceiling(int64_t wake);

/* A waiting side: its state (IDLE, SPINNING, MPR_RING_SLEEPING), which
 * the peer reads and clears when it rings, when it rang (monotonic ns),
 * and its spin policy (the side's own). */
typedef struct mpr_ring_waiter {
    int32_t state;
    int64_t rung;
    mpr_spin spin;
} mpr_ring_waiter;

/* One direction of a pipe: bytes [tail, head) of data (indices mod the
 * size) are written and not yet read. The writer owns head and w (the
 * writer waiting for room), the reader tail and r; each side records its
 * user. */
#define MPR_RING_SIZE ((size_t)256 << 10)
#define MPR_RING_SLEEPING 2
typedef struct mpr_ring {
    _Alignas(64) uint64_t head;
    int32_t wpid;
    mpr_ring_waiter w;
    _Alignas(64) uint64_t tail;
    int32_t rpid;
    mpr_ring_waiter r;
    _Alignas(64) unsigned char data[MPR_RING_SIZE];
} mpr_ring;

/* N rings in one zeroed shared mapping; NULL with ENOMEM. */
mpr_ring *mpr_ring_map(int n);
void mpr_ring_unmap(mpr_ring *r, int n);
/* Whether any byte was ever written. */
bool mpr_ring_used(const mpr_ring *r);
/* Whether bytes wait to be read. */
bool mpr_ring_ready(const mpr_ring *r);
/* Writes the bytes of iov[0..n) in order, waiting for room; FD is this
 * end's socket. 0, or -1 (EPIPE: every holder of the other end closed
 * it). Every call fails with EBUSY, before touching the ring, when
 * another live process already uses this side of it. */
int mpr_ring_write(mpr_ring *r, int fd, const struct iovec *iov, int n);
/* Reads 1..cap bytes, waiting while the ring is empty; 0 once it is
 * empty and every holder of the writing end closed it; -1 on error. */
ssize_t mpr_ring_read(mpr_ring *r, int fd, void *buf, size_t cap);
/* Waits until bytes wait or the writing end is gone (1), the deadline
 * (NULL: none) passes (0), or an error (-1). */
int mpr_ring_wait(mpr_ring *r, int fd, const mpr_deadline *d);
/* Empties the socket of bells without waiting: 1 if its peer is gone,
 * 0 if not, -1 on error. */
int mpr_ring_drain(int fd);
void mpr_ring_arm(mpr_ring *r);
void mpr_ring_disarm(mpr_ring *r);

/* ---- frame.c: the value encoding ---------------------------------- */

/* A writer over one or two memory segments (the second one takes over
 * when the first is full: used to write across the end of a ring). */
typedef struct mpr_wr {
    unsigned char *p;
    size_t n;          /* room left in p */
    unsigned char *p2; /* continues here, or NULL */
} mpr_wr;
void mpr_frame_write(mpr_wr *w, const mp_type *t, mp_val v);
/* Decodes a frame of list type T holding exactly N items straight into
 * DST[0..N) (new refs), as mp_frame_decode would decode the list: 0, or
 * -1 with errno EPROTO and nothing left in DST. */
int mpr_frame_decode_items(const mp_type *t, const void *buf, size_t len, mp_val *dst, int64_t n);

/* ---- queue.c ------------------------------------------------------ */

/* Test hooks: called by a producer that holds the queue's put lock, after
 * writing a record's header and before its payload and publication; and
 * by a consumer holding the get lock before it takes a record. */
extern void (*mpr_test_queue_hook)(void);
extern void (*mpr_test_queue_get_hook)(void);

/* A producer share counted for q by the compiler is now held by a process
 * object or by main itself (mp_proc_produces, mp_self_produces). */
void mpr_queue_claim(mp_queue *q);
/* Main is leaving: shares of declarations it never reached are done (Q
 * a queue; an mpr_each callback). */
void mpr_queue_release_unreached(void *q);
/* For select.c: a get that never waits (0, MP_EOF, MPR_NOT_READY, -1);
 * the eventfd producers write while a select sleeps on the queue (-1:
 * not selectable). A select registers (mpr_queue_sel_arm: counts itself
 * and empties the eventfd, true if it took a wake-up), re-checks, sleeps,
 * then unregisters (mpr_queue_sel_disarm); one that took a wake-up and
 * leaves items behind hands it on (mpr_queue_sel_pass). The flag of the
 * conn's kind; what a failed get raises. */
int mpr_queue_try_get(mp_queue *q, mp_val *out);
int mpr_queue_sel_fd(const mp_queue *q);
bool mpr_queue_sel_arm(mp_queue *q);
void mpr_queue_sel_disarm(mp_queue *q);
void mpr_queue_sel_pass(mp_queue *q);
bool *mpr_queue_sel_ended(mp_queue *q);
void mpr_queue_get_fail(mp_queue *q, int r, mp_loc loc);

/* ---- value.c: lists (list.c works on them too) -------------------- */

/* Makes room for NEED items. */
void mpr_list_grow(mp_list *l, int64_t need);

/* ---- format.c ----------------------------------------------------- */

void mpr_buf_reserve(mp_buf *b, size_t extra);
void mpr_buf_repr_bytes(mp_buf *b, const char *s, size_t len);
/* Decodes one UTF-8 sequence at s (n > 0 bytes left): the code point and
 * its length, or -1 if the bytes are not valid UTF-8 (then the first byte
 * is a character of its own, for len, indexing and repr alike). */
long mpr_utf8_decode(const unsigned char *s, size_t n, int *len);

/* ---- unitab.c (generated by scripts/gen_unitab.py) ----------------- */

/* Sorted, disjoint code point ranges [lo, hi] of a Unicode property. */
typedef struct mpr_cp_range {
    uint32_t lo, hi;
} mpr_cp_range;
extern const mpr_cp_range mpr_alpha[], mpr_digit[], mpr_numeric[];
extern const size_t mpr_alpha_len, mpr_digit_len, mpr_numeric_len;

#pragma GCC visibility pop

#endif /* MPR_INTERNAL_H */
