/* test_mpr_conn.c: pipes (conn.c): typed messages both ways, direction
 * rules, end-of-file when the other side closes or exits, a 64 MB message
 * byte-exact across processes, a sender killed in the middle of a
 * message, corrupt and hostile frames, poll, and the checked variants. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

static const mp_type t_list_str = {MP_LIST, &mp_t_str};
static const mp_type t_list_int = {MP_LIST, &mp_t_int};

#define L MP_LOC(1, 1)

/* Pseudo-random bytes (n a multiple of 8). */
static void fill_pattern(char *buf, size_t n, uint64_t seed) {
    uint64_t x = seed | 1;
    uint64_t *p = (uint64_t *)(void *)buf;
    for (size_t i = 0; i < n / 8; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = x;
    }
}

static void test_same_process_both_ways(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &t_list_str, true, "left", "right"), 0);
    assert_string_equal(mp_conn_name(a), "left");
    assert_string_equal(mp_conn_name(b), "right");
    assert_true(mp_conn_can_send(a) && mp_conn_can_recv(a));
    assert_true(mp_conn_can_send(b) && mp_conn_can_recv(b));
    assert_true(mp_conn_fd(a) >= 0);
    assert_int_equal(mp_conn_poll(b, 0), 0);
    for (int i = 0; i < 100; i++) {
        mp_list *l = mp_list_new(&t_list_str, 0);
        for (int k = 0; k < i; k++) mp_list_push(l, (mp_val){.s = mp_str_cstr("it's")});
        assert_int_equal(mp_conn_send(i % 2 ? a : b, (mp_val){.l = l}), 0);
        mp_val out;
        assert_int_equal(mp_conn_poll(i % 2 ? b : a, -1), 1);
        assert_int_equal(mp_conn_recv(i % 2 ? b : a, &out), 0);
        assert_true(mp_list_eq(out.l, l));
        mp_list_unref(out.l);
        mp_list_unref(l);
    }
    /* small messages queued, then read: buffering keeps frames apart
     * (few enough to fit in the socket buffer: this process is also the
     * reader) */
    for (int i = 0; i < 100; i++) {
        mp_list *l = mp_list_new(&t_list_str, 1);
        mp_list_push(l, (mp_val){.s = mp_str_new("x", (size_t)(i % 3))});
        assert_int_equal(mp_conn_send(a, (mp_val){.l = l}), 0);
        mp_list_unref(l);
    }
    for (int i = 0; i < 100; i++) {
        mp_val out;
        assert_int_equal(mp_conn_recv(b, &out), 0);
        assert_int_equal(mp_list_get(out.l, 0, L).s->len, (size_t)(i % 3));
        mp_list_unref(out.l);
    }
    assert_int_equal(mp_conn_close(a), 0);
    assert_int_equal(mp_conn_close(a), 0); /* idempotent */
    assert_true(mp_conn_is_closed(a));
    assert_int_equal(mp_conn_fd(a), -1);
    mp_val out;
    assert_int_equal(mp_conn_poll(b, -1), 1); /* EOF is readable */
    assert_int_equal(mp_conn_recv(b, &out), MP_EOF);
    assert_int_equal(mp_conn_recv(b, &out), MP_EOF);
    mp_list *empty = mp_list_new(&t_list_str, 0);
    assert_int_equal(mp_conn_send(b, (mp_val){.l = empty}), -1);
    assert_int_equal(errno, EPIPE);
    mp_list_unref(empty);
    assert_int_equal(mp_conn_send(a, (mp_val){.i = 1}), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(mp_conn_recv(a, &out), -1);
    assert_int_equal(errno, EBADF);
    mp_conn_close(b);
}

static void test_one_way(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, false, "tx", "rx"), 0);
    assert_true(mp_conn_can_send(a) && !mp_conn_can_recv(a));
    assert_true(!mp_conn_can_send(b) && mp_conn_can_recv(b));
    mp_val out;
    assert_int_equal(mp_conn_send(b, (mp_val){.i = 1}), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(mp_conn_recv(a, &out), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(mp_conn_poll(a, 0), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(mp_conn_send(a, (mp_val){.i = -77}), 0);
    assert_int_equal(mp_conn_recv(b, &out), 0);
    assert_int_equal(out.i, -77);
    mp_conn_close(a);
    mp_conn_close(b);
}

/* Sending to a closed peer fails with EPIPE even with SIGPIPE at its
 * default action (MSG_NOSIGNAL): checked in a child. */
static void send_with_sigpipe_default(void *arg) {
    mp_conn **ends = arg;
    signal(SIGPIPE, SIG_DFL);
    mp_val v = {.i = 1};
    int r = mp_conn_send(ends[0], v);
    mp_exit(r == -1 && errno == EPIPE ? 0 : 1);
}

static void test_no_sigpipe(void **state) {
    (void)state;
    mp_conn *ends[2];
    assert_int_equal(mp_pipe(&ends[0], &ends[1], &mp_t_int, true, "a", "b"), 0);
    mp_conn_close(ends[1]);
    mp_proc *p = mp_proc_new("p", -1);
    mp_proc_uses(p, ends[0]);
    assert_int_equal(mp_proc_start(p, send_with_sigpipe_default, ends), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    mp_conn_close(ends[0]);
}

/* A peer that exits: recv returns MP_EOF once every holder is gone. */
static void child_sends_three(void *arg) {
    mp_conn *a = arg;
    for (int i = 0; i < 3; i++) mp_send(a, (mp_val){.i = i}, L);
}

static void test_peer_exit_gives_eof(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, true, "a", "b"), 0);
    mp_proc *p = mp_proc_new("sender", -1);
    mp_proc_uses(p, a);
    assert_int_equal(mp_proc_start(p, child_sends_three, a), 0);
    mp_conn_close(a); /* the parent does not use it */
    mp_val out;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mp_conn_recv(b, &out), 0);
        assert_int_equal(out.i, i);
    }
    assert_int_equal(mp_conn_recv(b, &out), MP_EOF);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    mp_conn_close(b);
}

/* ---- 64 MB ---------------------------------------------------------- */

#define BIG (64u << 20)

static void child_sends_big(void *arg) {
    mp_conn **ends = arg;
    char *buf = malloc(BIG);
    fill_pattern(buf, BIG, 42);
    mp_str *s = mp_str_new(buf, BIG);
    free(buf);
    mp_send(ends[0], (mp_val){.s = s}, L);
    mp_str_unref(s);
    /* and it echoes one back, received then re-sent */
    mp_val v = mp_recv(ends[0], L);
    mp_send(ends[0], v, L);
    mp_str_unref(v.s);
}

static void test_64mb_roundtrip(void **state) {
    (void)state;
    mp_conn *ends[2];
    assert_int_equal(mp_pipe(&ends[0], &ends[1], &mp_t_str, true, "a", "b"), 0);
    mp_proc *p = mp_proc_new("big", -1);
    mp_proc_uses(p, ends[0]);
    assert_int_equal(mp_proc_start(p, child_sends_big, ends), 0);
    mp_conn_close(ends[0]);
    char *expect = malloc(BIG);
    fill_pattern(expect, BIG, 42);
    mp_val v;
    assert_int_equal(mp_conn_recv(ends[1], &v), 0);
    assert_int_equal(v.s->len, BIG);
    assert_true(memcmp(v.s->data, expect, BIG) == 0);
    assert_int_equal(v.s->data[BIG], '\0');
    /* send it back and get the echo */
    assert_int_equal(mp_conn_send(ends[1], v), 0);
    mp_str_unref(v.s);
    assert_int_equal(mp_conn_recv(ends[1], &v), 0);
    assert_int_equal(v.s->len, BIG);
    assert_true(memcmp(v.s->data, expect, BIG) == 0);
    mp_str_unref(v.s);
    free(expect);
    assert_int_equal(mp_conn_recv(ends[1], &v), MP_EOF);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    mp_conn_close(ends[1]);
}

/* A big list in one message, from a child. */
static void child_sends_list(void *arg) {
    mp_conn *a = arg;
    mp_list *l = mp_list_new(&t_list_int, 0);
    for (int i = 0; i < 200000; i++) mp_list_push(l, (mp_val){.i = (int64_t)i * i});
    mp_send(a, (mp_val){.l = l}, L);
    mp_list_unref(l);
}

static void test_big_list(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &t_list_int, false, "a", "b"), 0);
    mp_proc *p = mp_proc_new("lister", -1);
    mp_proc_uses(p, a);
    assert_int_equal(mp_proc_start(p, child_sends_list, a), 0);
    mp_conn_close(a);
    mp_val out;
    assert_int_equal(mp_conn_recv(b, &out), 0);
    assert_int_equal(mp_list_len(out.l), 200000);
    for (int i = 0; i < 200000; i++) assert_int_equal(mp_list_get(out.l, i, L).i, (int64_t)i * i);
    mp_list_unref(out.l);
    assert_int_equal(mp_conn_recv(b, &out), MP_EOF);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    mp_conn_close(b);
}

/* Receiving a message of another type is a protocol error. */
static void test_type_mismatch_between_processes(void **state) {
    (void)state;
    mp_conn *a, *b, *x, *y;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, false, "a", "b"), 0);
    assert_int_equal(mp_pipe(&x, &y, &t_list_int, false, "x", "y"), 0);
    /* send ints through a, read them from a list-typed end by swapping
     * descriptors: y's socket now carries a's frames */
    assert_int_equal(mp_conn_send(a, (mp_val){.i = 1}), 0);
    int tmp = dup(mp_conn_fd(b));
    dup2(tmp, mp_conn_fd(y));
    close(tmp);
    mp_val out;
    assert_int_equal(mp_conn_recv(y, &out), -1);
    assert_int_equal(errno, EPROTO);
    mp_conn_close(a);
    mp_conn_close(b);
    mp_conn_close(x);
    mp_conn_close(y);
}

/* ---- a sender killed in the middle of a message ---------------------- */

static void child_sends_then_hangs(void *arg) {
    mp_conn **ends = arg;
    char *buf = malloc(BIG);
    memset(buf, 'k', BIG);
    mp_str *s = mp_str_new(buf, BIG);
    free(buf);
    mp_send(ends[0], (mp_val){.s = s}, L); /* blocks: nobody reads */
    mp_exit(9);
}

static void test_sender_killed_mid_message(void **state) {
    (void)state;
    mp_conn *ends[2];
    assert_int_equal(mp_pipe(&ends[0], &ends[1], &mp_t_str, true, "a", "b"), 0);
    mp_proc *p = mp_proc_new("dies", -1);
    mp_proc_uses(p, ends[0]);
    assert_int_equal(mp_proc_start(p, child_sends_then_hangs, ends), 0);
    mp_conn_close(ends[0]);
    /* Readable: the frame has started; it cannot be complete, since the
     * socket buffer is far smaller than 64 MB and nobody has read. */
    assert_int_equal(mp_conn_poll(ends[1], -1), 1);
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_val v;
    assert_int_equal(mp_conn_recv(ends[1], &v), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(mp_conn_recv(ends[1], &v), -1);
    assert_int_equal(errno, ECONNRESET);
    mp_proc_free(p);
    mp_conn_close(ends[1]);
}

/* ---- corrupt and hostile frames ------------------------------------- */

/* 1 GiB announced for a str (a well-formed start), 100 bytes sent, then
 * the end closed: in a process limited to 256 MiB of address space, the
 * receiver does not allocate what was announced; it reports that the
 * stream ended inside a message. */
static void hostile_length(void *arg) {
    (void)arg;
    struct rlimit lim = {256u << 20, 256u << 20};
    if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(3);
    mp_conn *a, *b;
    if (mp_pipe(&a, &b, &mp_t_str, true, "a", "b") != 0) _exit(4);
    unsigned char h[13];
    uint32_t len = 1u << 30, check = len ^ 0x4d504652u, inner = len - 5;
    memcpy(h, &len, 4);
    memcpy(h + 4, &check, 4);
    h[8] = 4; /* str */
    memcpy(h + 9, &inner, 4);
    unsigned char junk[100] = {0};
    if (write(mp_conn_fd(a), h, sizeof h) != (ssize_t)sizeof h ||
        write(mp_conn_fd(a), junk, sizeof junk) != (ssize_t)sizeof junk)
        _exit(5);
    mp_conn_close(a);
    mp_val v;
    int r = mp_conn_recv(b, &v);
    fprintf(stderr, "recv %d %s\n", r, r < 0 && errno == ECONNRESET ? "ECONNRESET" : "?");
    _exit(0);
}

static void test_hostile_length(void **state) {
    (void)state;
    if (MPT_ASAN) skip();
    int code;
    char *out = mpt_capture(hostile_length, NULL, "t", &code, NULL);
    bool ok = code == 0 && strstr(out, "recv -1 ECONNRESET");
    if (!ok) print_error("exit %d: '%s'\n", code, out);
    free(out);
    assert_true(ok);
}

static void raw_write(mp_conn *c, const void *buf, size_t n) {
    assert_int_equal(write(mp_conn_fd(c), buf, n), (ssize_t)n);
}

static void header(unsigned char *h, uint32_t len, uint32_t check) {
    memcpy(h, &len, 4);
    memcpy(h + 4, &check, 4);
}

#define MAGIC 0x4d504652u

static void test_corrupt_frames(void **state) {
    (void)state;
    mp_conn *a, *b;
    mp_val v;
    unsigned char h[32];

    /* a bad check word: EPROTO, and the end stays broken */
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, true, "a", "b"), 0);
    header(h, 9, 12345);
    raw_write(a, h, 8);
    assert_int_equal(mp_conn_recv(b, &v), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(mp_conn_send(a, (mp_val){.i = 1}), 0);
    assert_int_equal(mp_conn_recv(b, &v), -1);
    assert_int_equal(errno, EPROTO);
    mp_conn_close(a);
    mp_conn_close(b);

    /* a length over MP_MSG_MAX */
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, true, "a", "b"), 0);
    header(h, (1u << 30) + 1, ((1u << 30) + 1) ^ MAGIC);
    raw_write(a, h, 8);
    assert_int_equal(mp_conn_recv(b, &v), -1);
    assert_int_equal(errno, EPROTO);
    mp_conn_close(a);
    mp_conn_close(b);

    /* a payload of the wrong type */
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, true, "a", "b"), 0);
    header(h, 2, 2 ^ MAGIC);
    h[8] = 3;
    h[9] = 1; /* a bool */
    raw_write(a, h, 10);
    assert_int_equal(mp_conn_recv(b, &v), -1);
    assert_int_equal(errno, EPROTO);
    mp_conn_close(a);
    mp_conn_close(b);

    /* a hostile length: see test_hostile_length */

    /* a big str frame whose own length disagrees with the frame's */
    assert_int_equal(mp_pipe(&a, &b, &mp_t_str, true, "a", "b"), 0);
    header(h, 100000, 100000 ^ MAGIC);
    h[8] = 4; /* str */
    uint32_t inner = 5;
    memcpy(h + 9, &inner, 4);
    raw_write(a, h, 13);
    assert_int_equal(mp_conn_recv(b, &v), -1);
    assert_int_equal(errno, EPROTO);
    mp_conn_close(a);
    mp_conn_close(b);

    /* a partial header then EOF */
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, true, "a", "b"), 0);
    raw_write(a, h, 3);
    mp_conn_close(a);
    assert_int_equal(mp_conn_recv(b, &v), -1);
    assert_int_equal(errno, ECONNRESET);
    mp_conn_close(b);
}

static void test_too_large(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_str, true, "a", "b"), 0);
    /* only the length is looked at before refusing */
    mp_str fake = {MP_IMMORTAL, (1u << 30), "tiny", 0};
    assert_int_equal(mp_conn_send(a, (mp_val){.s = &fake}), -1);
    assert_int_equal(errno, EMSGSIZE);
    mp_conn_close(a);
    mp_conn_close(b);
}

/* ---- a two-process protocol (the notebook's acknowledgement) -------- */

static void acker(void *arg) {
    mp_conn *c = arg;
    static mp_str ack = {MP_IMMORTAL, 3, "ack", 0};
    mp_val v;
    int n = 0;
    while (mp_recv_next(c, &v, L)) {
        mp_send(c, (mp_val){.s = &ack}, L);
        n++;
        bool bye = strcmp(v.s->data, "Bye") == 0;
        mp_str_unref(v.s);
        if (bye) break;
    }
    mp_exit(n);
}

static void test_ack_protocol(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_str, true, "parent_conn", "child_conn"), 0);
    mp_proc *p = mp_proc_new("receiver", -1);
    mp_proc_uses(p, b);
    assert_int_equal(mp_proc_start(p, acker, b), 0);
    mp_conn_close(b);
    const char *msgs[] = {"Hi", "How are you?", "Bye"};
    for (int i = 0; i < 3; i++) {
        mp_str *s = mp_str_cstr(msgs[i]);
        mp_send(a, (mp_val){.s = s}, L);
        mp_str_unref(s);
        mp_val r = mp_recv(a, L);
        assert_string_equal(r.s->data, "ack");
        mp_str_unref(r.s);
    }
    mp_val r;
    assert_false(mp_recv_next(a, &r, L));
    assert_false(mp_poll(a, 0, L) == false); /* EOF: readable */
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 3);
    mp_proc_free(p);
    mp_close(a, L);
}

/* ---- checked variants: the messages ---------------------------------- */

/* ARG is which case to run; each ends its process with a runtime error. */
static void checked_error(void *arg) {
    int which = (int)(intptr_t)arg;
    mp_conn *a, *b;
    mp_pipe(&a, &b, &mp_t_int, which >= 2, "parent_conn", "child_conn");
    switch (which) {
    case 0: mp_send(b, (mp_val){.i = 1}, MP_LOC(4, 5)); break;
    case 1: mp_recv(a, MP_LOC(4, 6)); break;
    case 2:
        mp_close(b, L);
        mp_recv(a, MP_LOC(4, 7));
        break;
    case 3:
        mp_close(b, L);
        mp_send(a, (mp_val){.i = 1}, MP_LOC(4, 8));
        break;
    case 4:
        mp_close(a, L);
        mp_send(a, (mp_val){.i = 1}, MP_LOC(4, 9));
        break;
    case 5: {
        /* a sender dying mid-message: make a truncated frame by hand */
        unsigned char h[8];
        header(h, 9, 9 ^ MAGIC);
        raw_write(b, h, 8);
        mp_close(b, L);
        mp_recv(a, MP_LOC(4, 10));
        break;
    }
    }
}

static void test_checked_messages(void **state) {
    (void)state;
    static const char *expect[] = {
        "t.mp:4:5: runtime error: OSError: connection is read-only (in process",
        "t.mp:4:6: runtime error: OSError: connection is write-only (in process",
        "t.mp:4:7: runtime error: EOFError (in process",
        "t.mp:4:8: runtime error: OSError: [Errno 32] Broken pipe (in process",
        "t.mp:4:9: runtime error: OSError: handle is closed (in process",
        "t.mp:4:10: runtime error: EOFError (in process",
    };
    for (int i = 0; i < 6; i++) {
        mpt_expect_error(checked_error, (void *)(intptr_t)i, expect[i]);
    }
}

static void test_poll_timeout(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, true, "a", "b"), 0);
    assert_int_equal(mp_conn_poll(b, 0), 0);
    assert_int_equal(mp_conn_poll(b, 0.01), 0);
    assert_int_equal(mp_conn_poll(b, __builtin_nan("")), -1);
    assert_int_equal(errno, EINVAL);
    mp_conn_send(a, (mp_val){.i = 3});
    assert_int_equal(mp_conn_poll(b, 0), 1);
    assert_true(mp_poll(b, 5.0, L));
    mp_conn_close(a);
    mp_conn_close(b);
}

/* A shared end takes exactly one frame per receive, leaving the rest in
 * the socket for the other processes; several forked receivers and
 * senders of frames larger than the socket buffer account for every
 * message exactly. */
static void test_shared_end(void **state) {
    (void)state;
    mp_conn *a, *b;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, false, "tx", "rx"), 0);
    mp_conn_share(b);
    assert_true(mp_conn_is_shared(b) && !mp_conn_is_shared(a));
    for (int i = 0; i < 3; i++) assert_int_equal(mp_conn_send(a, (mp_val){.i = i}), 0);
    mp_val out;
    assert_int_equal(mp_conn_recv(b, &out), 0);
    assert_int_equal(out.i, 0);
    char peek[64];
    ssize_t left = recv(mp_conn_fd(b), peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT);
    assert_int_equal(left, 2 * 17); /* 8 header + 9 body */
    mp_conn_close(a);
    mp_conn_close(b);

    enum { SENDERS = 3, RECEIVERS = 3, EACH = 20, LEN = 100000 };
    mp_conn *tx, *rx, *rep_tx, *rep_rx;
    assert_int_equal(mp_pipe(&tx, &rx, &mp_t_str, false, "tx", "rx"), 0);
    assert_int_equal(mp_pipe(&rep_tx, &rep_rx, &mp_t_int, false, "r", "s"), 0);
    mp_conn_share(tx);
    mp_conn_share(rx);
    mp_conn_share(rep_tx);
    pid_t kids[SENDERS + RECEIVERS];
    for (int k = 0; k < SENDERS + RECEIVERS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] > 0) continue;
        int ok = 0, bad = 0;
        if (k < SENDERS) {
            char *buf = malloc(LEN);
            for (int m = 0; m < EACH; m++) {
                memset(buf, 'a' + k * EACH % 26 + m % 26, LEN);
                mp_str *str = mp_str_new(buf, LEN - (size_t)m);
                ok += mp_conn_send(tx, (mp_val){.s = str}) == 0;
                mp_str_unref(str);
            }
            free(buf);
            _exit(ok == EACH ? 0 : 1);
        }
        mp_conn_close(tx);
        while (mp_conn_recv(rx, &out) == 0) {
            size_t n = out.s->len;
            bool same = n > LEN - EACH && n <= LEN;
            for (size_t j = 1; same && j < n; j++) same = out.s->data[j] == out.s->data[0];
            ok += same;
            bad += !same;
            mp_str_unref(out.s);
        }
        mp_conn_send(rep_tx, (mp_val){.i = bad ? -1 : ok});
        _exit(0);
    }
    mp_conn_close(tx);
    mp_conn_close(rx);
    mp_conn_close(rep_tx);
    int64_t total = 0;
    for (int k = 0; k < RECEIVERS; k++) {
        assert_int_equal(mp_conn_recv(rep_rx, &out), 0);
        assert_true(out.i >= 0);
        total += out.i;
    }
    assert_int_equal(total, SENDERS * EACH);
    for (int k = 0; k < SENDERS + RECEIVERS; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    mp_conn_close(rep_rx);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_process_both_ways),
        cmocka_unit_test(test_one_way),
        cmocka_unit_test(test_no_sigpipe),
        cmocka_unit_test(test_peer_exit_gives_eof),
        cmocka_unit_test(test_64mb_roundtrip),
        cmocka_unit_test(test_big_list),
        cmocka_unit_test(test_type_mismatch_between_processes),
        cmocka_unit_test(test_sender_killed_mid_message),
        cmocka_unit_test(test_corrupt_frames),
        cmocka_unit_test(test_hostile_length),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_ack_protocol),
        cmocka_unit_test(test_checked_messages),
        cmocka_unit_test(test_poll_timeout),
        cmocka_unit_test(test_shared_end),
    };
    int r = cmocka_run_group_tests_name("mpr_conn", tests, NULL, NULL);
    mp_finish();
    return r;
}
