/* ring.c: the shared-memory transport of a pipe whose ends each have one
 * user (mp_pipe_shm). Each direction is a byte ring in an anonymous
 * shared mapping made before fork; the frames of conn.c go through it
 * unchanged, a frame larger than the ring in pieces, so order is kept.
 *
 * The pipe's socketpair stays, as a doorbell and a liveness channel: a
 * side that must wait (reader: ring empty; writer: ring full) spins
 * briefly when the machine has more than one CPU, then says it sleeps
 * (state MPR_RING_SLEEPING) and sleeps in ppoll on its socket. The other
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
#include <unistd.h>

#include "mpr_internal.h"

#define IDLE 0
#define SPINNING 1

/* Spins before sleeping, when another CPU can run the peer meanwhile:
 * about 20 us (a pause is 10-40 ns), enough for a peer's reply to a small
 * message, and little next to a wake-up through the scheduler. */
#define SPIN 500

static int spin_limit = -1;

static int spins(void) {
    if (spin_limit < 0) spin_limit = mp_cpu_count() > 1 ? SPIN : 0;
    return spin_limit;
}

/* Sequentially consistent: the re-checks of a Dekker pair (plain moves
 * on x86). */
static uint64_t load(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

/* ---- doorbell ------------------------------------------------------ */

/* Rings the peer if it says it sleeps; called after a sequentially
 * consistent store that changed what it waits for. The exchange makes
 * it one byte per sleep. Returns false if the peer's end is gone (a
 * sleeper killed: every holder of its end closed it). */
static bool ring_bell(int32_t *state, int fd) {
    if (__atomic_load_n(state, __ATOMIC_SEQ_CST) != MPR_RING_SLEEPING) return true;
    if (__atomic_exchange_n(state, IDLE, __ATOMIC_SEQ_CST) != MPR_RING_SLEEPING) return true;
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

/* Spins until ready() or the budget is spent, with *state saying so. The
 * budget adapts: each spin that ends empty-handed halves the next (down to
 * 1/16: a loaded machine does not run the peer meanwhile, and spinning
 * would take its CPU), each that succeeds doubles it back. */
static bool spin_wait(int32_t *state, int32_t *miss, bool (*ready)(const mpr_ring *),
                      const mpr_ring *r) {
    int n = spins() >> *miss;
    if (n == 0) return false;
    __atomic_store_n(state, SPINNING, __ATOMIC_RELAXED);
    bool ok = false;
    for (int i = 0; i < n && !(ok = ready(r)); i++) mpr_cpu_relax();
    __atomic_store_n(state, IDLE, __ATOMIC_RELAXED);
    if (ok && *miss > 0) --*miss;
    if (!ok && *miss < 4) ++*miss;
    return ok;
}

/* Sleeps with *state saying so until a bell rings, the peer goes, or the
 * deadline (NULL: none) passes, unless ready() holds once the state is
 * set. 1: the peer is gone; 0: re-check; -1: error; -2: timed out. A wait
 * without a deadline sleeps in recv itself (one system call, as a socket
 * reader's); one with a deadline in ppoll. */
static int sleep_on_bell(int32_t *state, int fd, bool (*ready)(const mpr_ring *), const mpr_ring *r,
                         const mpr_deadline *d) {
    __atomic_store_n(state, MPR_RING_SLEEPING, __ATOMIC_SEQ_CST);
    int res = 0;
    if (!ready(r)) {
        if (!d || d->forever) res = take_bells(fd, 0);
        else {
            struct pollfd p = {fd, POLLIN, 0};
            double l = mpr_deadline_left(d);
            struct timespec ts = {(time_t)l, (long)((l - (double)(time_t)l) * 1e9)};
            int k = ppoll(&p, 1, &ts, NULL);
            if (k == 0) res = -2;
            else if (k < 0) res = errno == EINTR ? 0 : -1;
            else res = take_bells(fd, MSG_DONTWAIT);
        }
    }
    __atomic_store_n(state, IDLE, __ATOMIC_SEQ_CST);
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
    if (spin_wait(&r->wstate, &r->wmiss, has_room, r)) return 0;
    for (;;) {
        int k = sleep_on_bell(&r->wstate, fd, has_room, r, NULL);
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
    if (__atomic_load_n(&r->rstate, __ATOMIC_RELAXED) == IDLE && peer_gone(fd)) {
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
            if (!ring_bell(&r->rstate, fd)) { /* the reader died asleep */
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
    if (spin_wait(&r->rstate, &r->rmiss, has_data, r)) return 1;
    for (;;) {
        int k = sleep_on_bell(&r->rstate, fd, has_data, r, d);
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
    if (head - tail <= MPR_RING_SIZE / 2) (void)ring_bell(&r->wstate, fd);
    return (ssize_t)got;
}

void mpr_ring_arm(mpr_ring *r) {
    __atomic_store_n(&r->rstate, MPR_RING_SLEEPING, __ATOMIC_SEQ_CST);
}

void mpr_ring_disarm(mpr_ring *r) { __atomic_store_n(&r->rstate, IDLE, __ATOMIC_SEQ_CST); }
