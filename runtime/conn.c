/* conn.c: pipes. A pipe is an AF_UNIX SOCK_STREAM socketpair carrying
 * frames: an 8-byte header (u32 payload length, u32 length ^ FRAME_MAGIC)
 * then the payload in the frame.c encoding. Reads are buffered; the
 * buffer grows only as bytes arrive, so a hostile length cannot make us
 * allocate memory the stream does not carry. A pipe whose ends have one
 * user each may carry the same bytes through shared-memory rings instead
 * (mp_pipe_shm, ring.c); the socket then only rings and reports ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mpr_internal.h"

#define FRAME_MAGIC 0x4d504652u /* "MPFR" */
#define HDR 8
#define READ_CHUNK 65536

/* The locks of an end used by several processes (mp_conn_share), in
 * memory shared with them: a whole frame is sent or received under one. */
struct conn_locks {
    mpr_rlock send, recv;
};

/* The rings of a pipe with the shared-memory transport, held by both of
 * its ends in this process (memory of this process: refs counts them). */
struct conn_rings {
    mpr_ring *map;
    int n, refs;
};

struct mp_conn {
    int fd;                   /* -1 once closed in this process */
    mp_conn *peer;            /* the pipe's other end, while both live */
    struct conn_rings *rings; /* NULL: the frames go through the socket */
    mpr_ring *tx, *rx;        /* in rings: what this end writes, reads */
    struct conn_locks *locks; /* NULL: one user, no locking */
    const mp_type *type;
    char *name;
    bool can_send, can_recv;
    bool keep;         /* used by this process itself */
    int broken;        /* sticky errno after a bad frame, or one cut short */
    bool sel_ended;    /* a select here ran its eof case: left out since */
    unsigned char *in; /* read buffer */
    size_t in_pos, in_len, in_cap;
};

/* Every pipe end this process made (children inherit the list). */
static mp_conn **conns;
static size_t nconns, capconns;

/* Encoding buffer for sends, kept between calls while it is small. */
static unsigned char *scratch;
static size_t scratch_cap;

/* Address space of this process's rings: past the budget a pipe stays a
 * socket (an array of many pipes must not reserve gigabytes). */
#define RING_BUDGET ((size_t)32 << 20)
static size_t ring_bytes;

static mp_conn *conn_new(int fd, const mp_type *t, const char *name, bool can_send, bool can_recv) {
    mp_conn *c = mpr_calloc(1, sizeof *c);
    c->fd = fd;
    c->type = t;
    c->name = mpr_strdup(name ? name : "conn");
    c->can_send = can_send;
    c->can_recv = can_recv;
    if (nconns == capconns) {
        capconns = capconns ? 2 * capconns : 16;
        conns = mpr_realloc(conns, capconns * sizeof *conns);
    }
    conns[nconns++] = c;
    mpr_register(MPR_OBJ_CONN, c);
    return c;
}

int mp_pipe(mp_conn **a, mp_conn **b, const mp_type *t, bool duplex, const char *name_a,
            const char *name_b) {
    int sv[2];
    mpr_ensure_init();
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return -1;
    *a = conn_new(sv[0], t, name_a, true, duplex);
    *b = conn_new(sv[1], t, name_b, duplex, true);
    (*a)->peer = *b;
    (*b)->peer = *a;
    return 0;
}

void mp_pipe_shm(mp_conn *a, mp_conn *b) {
    if (a->peer != b || a->rings || a->locks || b->locks || a->fd < 0 || b->fd < 0) return;
    int n = a->can_recv ? 2 : 1;
    size_t bytes = (size_t)n * sizeof(mpr_ring);
    if (ring_bytes + bytes > RING_BUDGET) return;
    mpr_ring *map = mpr_ring_map(n);
    if (!map) return; /* no memory for it: the socket carries the frames */
    ring_bytes += bytes;
    struct conn_rings *r = mpr_malloc(sizeof *r);
    *r = (struct conn_rings){map, n, 2};
    a->rings = b->rings = r;
    a->tx = b->rx = &map[0];
    if (n == 2) b->tx = a->rx = &map[1];
}

/* Drops c's hold on its rings; the last holder in this process unmaps. */
static void rings_release(mp_conn *c) {
    struct conn_rings *r = c->rings;
    if (!r) return;
    c->rings = NULL;
    c->tx = c->rx = NULL;
    if (--r->refs > 0) return;
    mpr_ring_unmap(r->map, r->n);
    ring_bytes -= (size_t)r->n * sizeof(mpr_ring);
    free(r);
}

int mp_conn_close(mp_conn *c) {
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    free(c->in);
    c->in = NULL;
    c->in_pos = c->in_len = c->in_cap = 0;
    return 0;
}

void mp_conn_share(mp_conn *c) {
    if (c->locks) return;
    if (c->rings) { /* several users: the socket and its locks instead */
        for (int i = 0; i < c->rings->n; i++)
            if (mpr_ring_used(&c->rings->map[i])) {
                fprintf(stderr, "mpr: internal error: pipe end '%s' shared after use\n", c->name);
                abort();
            }
        if (c->peer) rings_release(c->peer);
        rings_release(c);
    }
    struct conn_locks *l = mpr_shm_alloc(sizeof *l);
    if (!l) mpr_oom();
    if (mpr_rlock_init(&l->send) < 0 || mpr_rlock_init(&l->recv) < 0)
        mpr_oom(); /* only ENOMEM is possible */
    c->locks = l;
}

bool mp_conn_is_shared(const mp_conn *c) { return c->locks != NULL; }

void mpr_conn_free(mp_conn *c) {
    mp_conn_close(c);
    rings_release(c);
    if (c->peer) c->peer->peer = NULL;
    if (c->locks) {
        mpr_rlock_destroy(&c->locks->send);
        mpr_rlock_destroy(&c->locks->recv);
        mpr_shm_free(c->locks, sizeof *c->locks);
    }
    for (size_t i = 0; i < nconns; i++)
        if (conns[i] == c) {
            conns[i] = conns[--nconns];
            break;
        }
    if (nconns == 0) {
        free(conns);
        conns = NULL;
        capconns = 0;
        free(scratch);
        scratch = NULL;
        scratch_cap = 0;
    }
    mpr_unregister(c);
    free(c->name);
    free(c);
}

const char *mp_conn_name(const mp_conn *c) { return c->name; }

int mp_conn_fd(const mp_conn *c) { return c->fd; }

bool mp_conn_is_closed(const mp_conn *c) { return c->fd < 0; }

bool mp_conn_can_send(const mp_conn *c) { return c->can_send; }

bool mp_conn_can_recv(const mp_conn *c) { return c->can_recv; }

void mp_conn_keep(mp_conn *c) { c->keep = true; }

void mp_conn_close_unused(void) {
    for (size_t i = 0; i < nconns; i++)
        if (conns[i]->fd >= 0 && !conns[i]->keep && !mpr_procs_will_use(conns[i]))
            mp_conn_close(conns[i]);
}

MPR_CHILD_PATH void mpr_conns_close_except(mp_conn *const *keep, size_t n) {
    for (size_t i = 0; i < nconns; i++) {
        bool used = false;
        for (size_t j = 0; j < n && !used; j++) used = keep[j] == conns[i];
        if (!used) mp_conn_close(conns[i]);
        else conns[i]->keep = true;
    }
}

void mpr_conns_close_all(void) {
    for (size_t i = 0; i < nconns; i++) mp_conn_close(conns[i]);
}

/* ---- send ---------------------------------------------------------- */

static int send_iov(int fd, struct iovec *iov, int n) {
    struct msghdr m;
    memset(&m, 0, sizeof m);
    while (n > 0) {
        m.msg_iov = iov;
        m.msg_iovlen = (size_t)n;
        ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == ECONNRESET) errno = EPIPE;
            return -1;
        }
        size_t left = (size_t)k;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

static void put_header(unsigned char *h, size_t len) {
    uint32_t n = (uint32_t)len, x = n ^ FRAME_MAGIC;
    memcpy(h, &n, 4);
    memcpy(h + 4, &x, 4);
}

/* Takes one of a shared end's locks. A holder that died left the stream
 * at an unknown point: the frame check of the next read finds out. */
static void lock_end(mpr_rlock *l) {
    int32_t dead = 0;
    mpr_rlock_acquire(l, NULL, &dead);
}

/* Sends a whole frame: under the send lock when the end is shared, so
 * frames of several senders never interleave. */
static int send_frame(mp_conn *c, struct iovec *iov, int n) {
    if (c->tx) return mpr_ring_write(c->tx, c->fd, iov, n);
    if (!c->locks) return send_iov(c->fd, iov, n);
    lock_end(&c->locks->send);
    int r = send_iov(c->fd, iov, n);
    int e = errno;
    mpr_rlock_release(&c->locks->send);
    errno = e;
    return r;
}

int mp_conn_send(mp_conn *c, mp_val v) {
    if (c->fd < 0 || !c->can_send) {
        errno = EBADF;
        return -1;
    }
    size_t len = mp_frame_size(c->type, v);
    if (len > MP_MSG_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (c->type->kind == MP_STR && len > READ_CHUNK) {
        /* A big string goes straight from its own memory. */
        unsigned char h[HDR + 5];
        uint32_t n = (uint32_t)v.s->len;
        put_header(h, len);
        h[HDR] = 4; /* str tag, see frame.c */
        memcpy(h + HDR + 1, &n, 4);
        struct iovec iov[2] = {
            {h, sizeof h},
            {(void *)v.s->data, v.s->len},
        };
        return send_frame(c, iov, 2);
    }
    if (scratch_cap < HDR + len) {
        free(scratch);
        scratch_cap = HDR + len < 4096 ? 4096 : HDR + len;
        scratch = mpr_malloc(scratch_cap);
    }
    put_header(scratch, len);
    mp_frame_encode(c->type, v, scratch + HDR);
    struct iovec iov = {scratch, HDR + len};
    int r = send_frame(c, &iov, 1);
    if (scratch_cap > (1u << 20)) { /* do not keep a huge buffer */
        int e = errno;
        free(scratch);
        scratch = NULL;
        scratch_cap = 0;
        errno = e;
    }
    return r;
}

/* ---- recv ---------------------------------------------------------- */

/* read(2) on the end's transport: bytes, 0 at end of stream, -1. */
static ssize_t end_read(mp_conn *c, void *buf, size_t want) {
    if (c->rx) return mpr_ring_read(c->rx, c->fd, buf, want);
    return read(c->fd, buf, want);
}

/* Makes at least `need` bytes available at c->in + c->in_pos. Returns 0,
 * MP_EOF (end of stream with nothing buffered), or -1 (ECONNRESET: end of
 * stream inside a frame; or a read error). */
static int fill(mp_conn *c, size_t need) {
    while (c->in_len - c->in_pos < need) {
        size_t avail = c->in_len - c->in_pos;
        if (c->in_cap - c->in_pos < need) {
            /* Make room: move data to the front and grow geometrically,
             * but never past about four times what has arrived, so
             * memory follows the stream, not the announced length. */
            if (c->in_pos > 0) {
                memmove(c->in, c->in + c->in_pos, avail);
                c->in_pos = 0;
                c->in_len = avail;
            }
            size_t target = 2 * c->in_cap;
            if (target < 2 * avail + READ_CHUNK) target = 2 * avail + READ_CHUNK;
            if (target > need) target = need;
            if (target < READ_CHUNK) target = READ_CHUNK;
            if (target > c->in_cap) {
                c->in = mpr_realloc(c->in, target);
                c->in_cap = target;
            }
        }
        /* A shared end reads no further than the frame: the bytes after
         * it belong to whichever process receives next. */
        size_t want = c->in_cap - c->in_len;
        if (c->locks && want > need - avail) want = need - avail;
        ssize_t k = end_read(c, c->in + c->in_len, want);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno != ECONNRESET) return -1;
        if (k <= 0) {
            if (avail == 0) return MP_EOF;
            errno = ECONNRESET;
            return -1;
        }
        c->in_len += (size_t)k;
    }
    return 0;
}

static int recv_frame(mp_conn *c, mp_val *out);

/* Receives a whole frame: under the receive lock when the end is shared,
 * so each frame goes whole to exactly one process. */
int mp_conn_recv(mp_conn *c, mp_val *out) {
    if (!c->locks || c->fd < 0 || !c->can_recv) return recv_frame(c, out);
    lock_end(&c->locks->recv);
    int r = recv_frame(c, out);
    int e = errno;
    mpr_rlock_release(&c->locks->recv);
    errno = e;
    return r;
}

/* Drops the read buffer once it is empty, if a big frame grew it. */
static void buffer_consumed(mp_conn *c) {
    if (c->in_pos < c->in_len) return;
    c->in_pos = c->in_len = 0;
    if (c->in_cap > 4 * READ_CHUNK) {
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

/* A big str frame of LEN bytes, whose header is buffered, goes straight
 * into the new string: the bytes already buffered are copied, the rest is
 * read into the string's own memory, so each byte is copied once after
 * the kernel's (as a C reader's buffer would be) and the read buffer does
 * not grow to the message's size. The string grows as bytes arrive (from
 * BIG_STR_STEP, doubling), so memory follows the stream, not the
 * announced length. 0, -1 (errno), or -2: a bad frame. */
#define BIG_STR_STEP ((size_t)4 << 20)
static int recv_big_str(mp_conn *c, uint32_t len, mp_val *out) {
    int r = fill(c, HDR + 5);
    if (r == MP_EOF) errno = ECONNRESET;
    if (r != 0) return -1;
    const unsigned char *p = c->in + c->in_pos + HDR;
    uint32_t n;
    memcpy(&n, p + 1, 4);
    if (p[0] != 4 || n != len - 5) return -2; /* tag and length: see frame.c */
    c->in_pos += HDR + 5;
    size_t have = c->in_len - c->in_pos, cap = n < BIG_STR_STEP ? n : BIG_STR_STEP;
    if (have > n) have = n;
    if (cap < have) cap = have;
    char *data;
    mp_str *s = mpr_str_alloc(cap, &data);
    memcpy(data, c->in + c->in_pos, have);
    c->in_pos += have;
    buffer_consumed(c);
    while (have < n) {
        if (have == cap) {
            cap = n - cap < cap ? n : 2 * cap;
            s = mpr_str_resize(s, cap, &data);
        }
        ssize_t k = end_read(c, data + have, cap - have);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { /* ended, or failed, in the middle of the frame */
            c->broken = k == 0 || errno == ECONNRESET ? ECONNRESET : errno;
            mp_str_unref(s);
            errno = c->broken;
            return -1;
        }
        have += (size_t)k;
    }
    out->s = s;
    return 0;
}

static int recv_frame(mp_conn *c, mp_val *out) {
    uint32_t len, check;
    if (c->fd < 0 || !c->can_recv) {
        errno = EBADF;
        return -1;
    }
    if (c->broken) {
        errno = c->broken;
        return -1;
    }
    int r = fill(c, HDR);
    if (r != 0) return r;
    memcpy(&len, c->in + c->in_pos, 4);
    memcpy(&check, c->in + c->in_pos + 4, 4);
    if ((len ^ FRAME_MAGIC) != check || len > MP_MSG_MAX) goto bad;
    if (c->type->kind == MP_STR && len > READ_CHUNK) {
        r = recv_big_str(c, len, out);
        if (r == -2) goto bad;
        return r;
    }
    r = fill(c, HDR + (size_t)len);
    if (r == MP_EOF) {
        errno = ECONNRESET;
        return -1;
    }
    if (r < 0) return -1;
    if (mp_frame_decode(c->type, c->in + c->in_pos + HDR, len, out) < 0) goto bad;
    c->in_pos += HDR + (size_t)len;
    buffer_consumed(c);
    return 0;
bad:
    c->broken = EPROTO;
    errno = EPROTO;
    return -1;
}

int mp_conn_poll(mp_conn *c, double timeout) {
    mpr_deadline d;
    if (c->fd < 0 || !c->can_recv) {
        errno = EBADF;
        return -1;
    }
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    if (c->in_len > c->in_pos || c->broken) return 1;
    if (c->rx) return mpr_ring_wait(c->rx, c->fd, &d);
    for (;;) {
        struct pollfd pfd = {c->fd, POLLIN, 0};
        struct timespec ts, *tsp = NULL;
        if (!d.forever) {
            double left = mpr_deadline_left(&d);
            ts.tv_sec = (time_t)left;
            ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
            tsp = &ts;
        }
        int r = ppoll(&pfd, 1, tsp, NULL);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        return r > 0 ? 1 : 0;
    }
}

/* ---- select ------------------------------------------------------- */

/* Whether a whole frame is buffered (then no read is needed). */
static bool frame_buffered(const mp_conn *c) {
    uint32_t len;
    if (c->in_len - c->in_pos < HDR) return false;
    memcpy(&len, c->in + c->in_pos, 4);
    return c->in_len - c->in_pos - HDR >= len;
}

static int try_recv_frame(mp_conn *c, mp_val *out) {
    if (c->fd < 0 || !c->can_recv) {
        errno = EBADF;
        return -1;
    }
    if (!c->broken && !frame_buffered(c) && c->rx) {
        mpr_deadline now;
        mpr_deadline_set(&now, 0);
        int r = mpr_ring_wait(c->rx, c->fd, &now);
        if (r < 0) return -1;
        if (r == 0) return MPR_NOT_READY;
    } else if (!c->broken && !frame_buffered(c)) {
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int r;
        while ((r = poll(&pfd, 1, 0)) < 0 && errno == EINTR) {}
        if (r < 0) return -1;
        if (r == 0) return MPR_NOT_READY;
    }
    return recv_frame(c, out);
}

/* A receive only if the end has bytes or has ended: 0 with a message,
 * MP_EOF, MPR_NOT_READY, or -1. The bytes of one frame may still be
 * arriving: then it waits for the rest, as the sender is mid-frame. */
int mpr_conn_try_recv(mp_conn *c, mp_val *out) {
    if (!c->locks) return try_recv_frame(c, out);
    lock_end(&c->locks->recv);
    int r = try_recv_frame(c, out);
    int e = errno;
    mpr_rlock_release(&c->locks->recv);
    errno = e;
    return r;
}

bool *mpr_conn_sel_ended(mp_conn *c) { return &c->sel_ended; }

void mpr_conn_sel_arm(mp_conn *c) {
    if (c->rx && c->fd >= 0) mpr_ring_arm(c->rx);
}

void mpr_conn_sel_disarm(mp_conn *c) {
    if (c->rx && c->fd >= 0) mpr_ring_disarm(c->rx);
}

/* ---- checked variants ---------------------------------------------- */

/* A second process on a ring side that the compiler gave one process: a
 * wrong count of users, stopped before it can corrupt the ring. */
MP_NORETURN static void ring_fail(const mp_conn *c, const char *op, mp_loc loc) {
    char who[160];
    bool sending = op[0] == 's';
    mpr_describe_pid(sending ? c->tx->wpid : c->rx->rpid, who, sizeof who);
    mp_fail(loc, "%s on '%s': the pipe end has one %s, %s, and is not shared", op, c->name,
            sending ? "sender" : "receiver", who);
}

/* OSError with Python's texts for a Connection; returns (see mp_raise). */
void mpr_conn_fail(mp_conn *c, const char *op, int err, mp_loc loc) {
    if (err == EBADF && c->fd < 0) mp_raise(MP_EXC_OSError, loc, "handle is closed");
    else if (err == EBADF && op[0] == 's' && !c->can_send)
        mp_raise(MP_EXC_OSError, loc, "connection is read-only");
    else if (err == EBADF && op[0] == 'r' && !c->can_recv)
        mp_raise(MP_EXC_OSError, loc, "connection is write-only");
    else if (err == ECONNRESET) /* closed in the middle of a message */
        mp_raise(MP_EXC_EOFError, loc, "%s", "");
    else if (err == EMSGSIZE)
        mp_raise(MP_EXC_ValueError, loc, "%s on '%s': message too large (at most 1 GiB)", op,
                 c->name);
    else if (err == EBUSY && (op[0] == 's' ? c->tx : c->rx)) /* see ring_fail */
        ring_fail(c, op, loc);
    else mp_raise(MP_EXC_OSError, loc, "[Errno %d] %s", err, strerror(err));
}

void mp_send(mp_conn *c, mp_val v, mp_loc loc) {
    if (mp_conn_send(c, v) < 0) mpr_conn_fail(c, "send", errno, loc);
}

mp_val mp_recv(mp_conn *c, mp_loc loc) {
    mp_val v;
    int r = mp_conn_recv(c, &v);
    if (r == 0) return v;
    /* Python's Connection.recv raises EOFError with no message. */
    if (r == MP_EOF) mp_raise(MP_EXC_EOFError, loc, "%s", "");
    else mpr_conn_fail(c, "recv", errno, loc);
    return (mp_val){0};
}

bool mp_recv_next(mp_conn *c, mp_val *out, mp_loc loc) {
    int r = mp_conn_recv(c, out);
    if (r == MP_EOF) return false;
    if (r < 0) {
        mpr_conn_fail(c, "recv", errno, loc);
        return false;
    }
    return true;
}

void mp_close(mp_conn *c, mp_loc loc) {
    (void)loc;
    mp_conn_close(c);
}

bool mp_poll(mp_conn *c, double timeout, mp_loc loc) {
    int r = mp_conn_poll(c, timeout);
    if (r < 0) mpr_conn_fail(c, "poll", errno, loc);
    return r > 0;
}

void mp_make_pipe(mp_conn **a, mp_conn **b, const mp_type *t, bool duplex, const char *name_a,
                  const char *name_b, mp_loc loc) {
    if (mp_pipe(a, b, t, duplex, name_a, name_b) < 0)
        mp_fail(loc, "cannot create pipe '%s, %s': %s", name_a, name_b, mp_strerror(errno));
}
