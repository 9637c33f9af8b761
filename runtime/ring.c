/* ring.c: the shared-memory transport of a pipe whose ends each have one
 * user (mp_pipe_shm). Each direction is a byte ring in an anonymous
 * shared mapping made before fork; the frames of conn.c go through it
 * unchanged, a frame larger than the ring in pieces, so order is kept.
 *
 * The pipe's socketpair stays, as a doorbell and a liveness channel: a
 * side that must wait (reader: ring empty; writer: ring full) spins
 * briefly when the machine has more than one CPU, then says it sleeps
 * (state MPR_RING_SLEEPING) and sleeps on its socket (in recv, or in
 * ppoll when it has a deadline). The other
 * side writes one byte to the socket only when it finds that state, after
 * changing what the sleeper waits for (a Dekker pair of sequentially
 * consistent accesses: either the sleeper's re-check sees the change or
 * the waker sees the state). The socket also reports the peer's death
 * or close (POLLHUP, end of stream) exactly as before, so end-of-file
 * and broken pipes keep their meaning, and a select polls the socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpr_internal.h"

#define IDLE 0
#define SPINNING 1

/* ---- the spin policy ----------------------------------------------- */

/* A wait spins before it sleeps when another CPU can run the peer
 * meanwhile: a round trip between two spinning processes takes well under
 * a microsecond and no system call, one through the scheduler two
 * wake-ups (10-30 us each on a small VM). Spinning longer than a wake-up
 * takes is never worth it: the ceiling is twice the side's own measured
 * wake-up (the peer's takes about as long, plus its reply). A spin that
 * fails halves the budget, one that succeeds early doubles it (one that
 * succeeds late leaves it: when both ends share a CPU the peer runs only
 * once the spinner is preempted, and that is no reason to spin more), so a loaded
 * machine, where the peer often has no CPU, spins little. Halving alone
 * is a trap: once both sides sleep, each reply comes a wake-up later, no
 * short spin catches it, and the pair sleeps for good even on an idle
 * machine. So after `gap` sleeps in a row one wait spins the whole
 * ceiling (a probe): if it catches the reply both sides spin again; if
 * not, the gap doubles, so a loaded machine pays one long spin per
 * hundreds of sleeps. */
#define SPIN_MIN 1000    /* ns: the shortest budget */
#define SPIN_MAX 50000   /* ns: the longest spin, whatever wake-ups take */
#define WAKE_FIRST 10000 /* ns: the wake-up assumed before one is measured */
#define GAP_MAX 1024

int64_t mpr_spin_ceiling(int64_t wake) {
    int64_t c = 2 * wake;
    return c < SPIN_MIN ? SPIN_MIN : c > SPIN_MAX ? SPIN_MAX : c;
}

int64_t mpr_spin_budget(mpr_spin *s, bool *probe) {
    if (s->budget == 0) *s = (mpr_spin){(int32_t)mpr_spin_ceiling(WAKE_FIRST), WAKE_FIRST, 0, 1};
    int64_t top = mpr_spin_ceiling(s->wake);
    *probe = s->sleeps >= s->gap;
    return *probe || s->budget > top ? top : s->budget;
}

void mpr_spin_done(mpr_spin *s, bool caught, bool late, bool probe) {
    int64_t top = mpr_spin_ceiling(s->wake), b = s->budget;
    if (caught) {
        s->sleeps = 0;
        if (probe) s->gap = 1;
        b = probe ? top : late ? b : 2 * b;
    } else {
        b /= 2;
        if (!probe) s->sleeps++;
        else {
            s->sleeps = 0;
            if (s->gap < GAP_MAX) s->gap *= 2;
        }
    }
    s->budget = (int32_t)(b < SPIN_MIN ? SPIN_MIN : b > top ? top : b);
}

/* An average of the last few wake-ups; one delayed by a busy machine
 * counts as the longest spin, so the ceiling comes back quickly. */
void mpr_spin_woke(mpr_spin *s, int64_t ns) {
    if (ns < 0) ns = 0;
    if (ns > SPIN_MAX) ns = SPIN_MAX;
    s->wake = (int32_t)(s->wake + (ns - s->wake) / 4);
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cpus = -1;

/* Spins until ready() or the budget is spent, with w->state saying so
 * (a spinning reader is alive: see mpr_ring_write). */
static bool spin_wait(mpr_ring_waiter *w, bool (*ready)(const mpr_ring *), const mpr_ring *r) {
    if (cpus < 0) cpus = (int)mp_cpu_count();
    if (cpus < 2) return false;
    bool probe, ok = false;
    int64_t t0 = now_ns(), budget = mpr_spin_budget(&w->spin, &probe), end = t0 + budget;
    __atomic_store_n(&w->state, SPINNING, __ATOMIC_RELAXED);
    /* the clock is read every 16 pauses (a pause is 10-140 cycles) */
    unsigned i = 1;
    for (; !(ok = ready(r)); i++) {
        mpr_cpu_relax();
        if (i % 16 == 0 && now_ns() >= end) break;
    }
    __atomic_store_n(&w->state, IDLE, __ATOMIC_RELAXED);
    bool late = ok && i > 16 && now_ns() - t0 > budget / 2;
    mpr_spin_done(&w->spin, ok, late, probe);
    return ok;
}

/* Sequentially consistent: the re-checks of a Dekker pair (plain moves
 * on x86). */
static uint64_t load(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

/* ---- doorbell ------------------------------------------------------ */

/* Rings the peer if it says it sleeps; called after a sequentially
 * consistent store that changed what it waits for. The exchange makes
 * it one byte per sleep; the time lets the sleeper measure its wake-up.
 * Returns false if the peer's end is gone (a sleeper killed: every
 * holder of its end closed it). */
static bool ring_bell(mpr_ring_waiter *w, int fd) {
    if (__atomic_load_n(&w->state, __ATOMIC_SEQ_CST) != MPR_RING_SLEEPING) return true;
    if (__atomic_exchange_n(&w->state, IDLE, __ATOMIC_SEQ_CST) != MPR_RING_SLEEPING) return true;
    __atomic_store_n(&w->rung, now_ns(), __ATOMIC_RELAXED);
    char b = 0;
    ssize_t k;
    while ((k = send(fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR) {}
    return k == 1 || (errno != EPIPE && errno != ECONNRESET);
}

/* Reads the bells on the socket: 1 if its peer is gone, 0 if not (or
 * nothing was there), -1 on error. FLAGS: MSG_DONTWAIT, or 0 to sleep
 * until a bell rings or the peer goes. */
static int take_bells(int fd, int flags) {
    char buf[64];
    for (;;) {
        ssize_t k = recv(fd, buf, sizeof buf, flags);
        if (k == (ssize_t)sizeof buf) { /* more may be there */
            flags = MSG_DONTWAIT;
            continue;
        }
        if (k > 0) return 0;
        if (k == 0) return 1;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        if (errno == ECONNRESET) return 1;
        return -1;
    }
}

int mpr_ring_drain(int fd) { return take_bells(fd, MSG_DONTWAIT); }

/* Sleeps on the socket until a bell rings, the peer goes, or the deadline
 * (NULL: none) passes. A wait without a deadline sleeps in recv itself
 * (one system call, as a socket reader's); one with a deadline in ppoll.
 * Returns as sleep_on_bell. */
static int sleep_on_socket(int fd, const mpr_deadline *d) {
    if (!d || d->forever) return take_bells(fd, 0);
    struct pollfd p = {fd, POLLIN, 0};
    double l = mpr_deadline_left(d);
    struct timespec ts = {(time_t)l, (long)((l - (double)(time_t)l) * 1e9)};
    int k = ppoll(&p, 1, &ts, NULL);
    if (k == 0) return -2;
    if (k < 0) return errno == EINTR ? 0 : -1;
    return take_bells(fd, MSG_DONTWAIT);
}

/* Sleeps with w->state saying so until a bell rings, the peer goes, or
 * the deadline (NULL: none) passes, unless ready() holds once the state
 * is set. 1: the peer is gone; 0: re-check; -1: error; -2: timed out. A
 * sleep ended by a bell tells the spin policy how long the wake-up took. */
static int sleep_on_bell(mpr_ring_waiter *w, int fd, bool (*ready)(const mpr_ring *),
                         const mpr_ring *r, const mpr_deadline *d) {
    int64_t since = now_ns();
    __atomic_store_n(&w->state, MPR_RING_SLEEPING, __ATOMIC_SEQ_CST);
    int res = ready(r) ? 0 : sleep_on_socket(fd, d);
    /* still SLEEPING: no bell rang (ready, timed out, or the peer went) */
    if (__atomic_exchange_n(&w->state, IDLE, __ATOMIC_SEQ_CST) != MPR_RING_SLEEPING) {
        int64_t rung = __atomic_load_n(&w->rung, __ATOMIC_RELAXED);
        if (rung >= since) mpr_spin_woke(&w->spin, now_ns() - rung);
    }
    return res;
}

/* ---- users --------------------------------------------------------- */

/* Each side records the process using it. Another live process using the
 * same side means the compiler's count of users was wrong: two writers
 * (or readers) would corrupt the ring, so the call fails with EBUSY
 * before touching it (the checked calls name both processes). */
static int claim(int32_t *who) {
    int32_t me = mpr_rt.pid, old = __atomic_load_n(who, __ATOMIC_RELAXED);
    if (old == me) return 0;
    for (;;) {
        if (old != 0 && !mpr_pid_dead(old)) {
            errno = EBUSY;
            return -1;
        }
        if (__atomic_compare_exchange_n(who, &old, me, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            mpr_pid_published(); /* a later claimer asks mpr_pid_dead about us */
            return 0;
        }
    }
}

/* ---- mapping ------------------------------------------------------- */

mpr_ring *mpr_ring_map(int n) { return mpr_shm_alloc((size_t)n * sizeof(mpr_ring)); }

void mpr_ring_unmap(mpr_ring *r, int n) { mpr_shm_free(r, (size_t)n * sizeof(mpr_ring)); }

bool mpr_ring_used(const mpr_ring *r) { return load(&r->head) != 0; }

static bool has_data(const mpr_ring *r) { return load(&r->head) != load(&r->tail); }

bool mpr_ring_ready(const mpr_ring *r) { return has_data(r); }

static bool has_room(const mpr_ring *r) { return load(&r->head) - load(&r->tail) < MPR_RING_SIZE; }

/* ---- write --------------------------------------------------------- */

/* Whether every holder of the peer end closed it (the socket hung up). */
static bool peer_gone(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    int k;
    while ((k = poll(&p, 1, 0)) < 0 && errno == EINTR) {}
    return k > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* Waits for room. 0, or -1 with EPIPE (the reader's end is gone). */
static int wait_room(mpr_ring *r, int fd) {
    if (spin_wait(&r->w, has_room, r)) return 0;
    for (;;) {
        int k = sleep_on_bell(&r->w, fd, has_room, r, NULL);
        if (has_room(r)) return 0;
        if (k < 0) return -1;
        if (k > 0) {
            errno = EPIPE;
            return -1;
        }
    }
}

int mpr_ring_write(mpr_ring *r, int fd, const struct iovec *iov, int n) {
    if (claim(&r->wpid) < 0) return -1;
    /* A reader that waits is alive and holds its end; otherwise the
     * socket says whether every holder of that end closed it (a send to
     * it then fails, as on the socket). */
    if (__atomic_load_n(&r->r.state, __ATOMIC_RELAXED) == IDLE && peer_gone(fd)) {
        errno = EPIPE;
        return -1;
    }
    uint64_t head = r->head, tail = load(&r->tail);
    for (int i = 0; i < n; i++) {
        const unsigned char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left > 0) {
            if (head - tail == MPR_RING_SIZE) {
                tail = load(&r->tail);
                if (head - tail == MPR_RING_SIZE) {
                    if (wait_room(r, fd) < 0) return -1;
                    tail = load(&r->tail);
                }
            }
            size_t off = (size_t)(head % MPR_RING_SIZE);
            size_t room = MPR_RING_SIZE - (size_t)(head - tail);
            size_t k = MPR_RING_SIZE - off;
            if (k > room) k = room;
            if (k > left) k = left;
            memcpy(r->data + off, p, k);
            p += k;
            left -= k;
            head += k;
            /* published piece by piece, so a frame larger than the ring
             * flows while the reader reads */
            __atomic_store_n(&r->head, head, __ATOMIC_SEQ_CST);
            if (!ring_bell(&r->r, fd)) { /* the reader died asleep */
                errno = EPIPE;
                return -1;
            }
        }
    }
    return 0;
}

/* ---- read ---------------------------------------------------------- */

int mpr_ring_wait(mpr_ring *r, int fd, const mpr_deadline *d) {
    if (claim(&r->rpid) < 0) return -1;
    if (has_data(r)) return 1;
    if (d && d->now) { /* a try: the state is left alone (a select sets it) */
        int g = mpr_ring_drain(fd);
        if (has_data(r) || g > 0) return 1;
        return g;
    }
    if (spin_wait(&r->r, has_data, r)) return 1;
    for (;;) {
        int k = sleep_on_bell(&r->r, fd, has_data, r, d);
        if (has_data(r) || k == 1) return 1; /* bytes, or the writer's end is gone */
        if (k == -1) return -1;
        if (k == -2) return 0;
    }
}

ssize_t mpr_ring_read(mpr_ring *r, int fd, void *buf, size_t cap) {
    if (claim(&r->rpid) < 0) return -1;
    uint64_t tail = r->tail, head = load(&r->head);
    if (head == tail) {
        int k = mpr_ring_wait(r, fd, NULL);
        if (k < 0) return -1;
        head = load(&r->head);
        if (head == tail) return 0; /* the writer's end is gone */
    }
    size_t avail = (size_t)(head - tail), got = 0;
    if (avail > cap) avail = cap;
    while (got < avail) {
        size_t off = (size_t)(tail % MPR_RING_SIZE), k = MPR_RING_SIZE - off;
        if (k > avail - got) k = avail - got;
        memcpy((unsigned char *)buf + got, r->data + off, k);
        got += k;
        tail += k;
    }
    __atomic_store_n(&r->tail, tail, __ATOMIC_SEQ_CST);
    /* A writer asleep on a full ring is woken once half of it is free, not
     * at the first free byte: a bulk stream then takes one wake-up per half
     * ring, not one per read. A reader that waits has emptied the ring, so
     * the bell always comes before it sleeps. A writer gone is its own
     * business. */
    if (head - tail <= MPR_RING_SIZE / 2) (void)ring_bell(&r->w, fd);
    return (ssize_t)got;
}

void mpr_ring_arm(mpr_ring *r) {
    __atomic_store_n(&r->r.state, MPR_RING_SLEEPING, __ATOMIC_SEQ_CST);
}

void mpr_ring_disarm(mpr_ring *r) { __atomic_store_n(&r->r.state, IDLE, __ATOMIC_SEQ_CST); }
