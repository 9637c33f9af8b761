/* test_mpr_ring.c: pipes with the shared-memory transport (mp_pipe_shm,
 * ring.c): frames wrapping around the ring, frames many times larger
 * than it, end-of-file, a writer killed mid-frame or while the reader
 * sleeps, a reader gone while the writer waits for room, a send to a
 * closed reader or to one killed asleep, bells written only to a
 * sleeping reader, poll, and a second process using an end marked for
 * one; and the spin policy of a waiting side (pure functions). Processes
 * are ordered by pipes and by waiting for a state, never by sleeping. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_internal.h"
#include "mpr_test.h"

#define L MP_LOC(1, 1)
#define RING (256u << 10) /* MPR_RING_SIZE */

static const mp_type t_list_int = {MP_LIST, &mp_t_int};

static void shm_pipe(mp_conn **a, mp_conn **b, const mp_type *t, bool duplex) {
    assert_int_equal(mp_pipe(a, b, t, duplex, "a", "b"), 0);
    mp_pipe_shm(*a, *b);
}

/* Whether nothing is waiting on the socket of end c (no bell). */
static bool no_bell(mp_conn *c) {
    char x;
    return recv(mp_conn_fd(c), &x, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* A string of n bytes that differ with the position and the seed. */
static mp_str *pattern(size_t n, unsigned seed) {
    char *buf = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) buf[i] = (char)('a' + (i * 7 + seed) % 26);
    mp_str *s = mp_str_new(buf, n);
    free(buf);
    return s;
}

static bool is_pattern(const mp_str *s, size_t n, unsigned seed) {
    if (s->len != n) return false;
    for (size_t i = 0; i < n; i++)
        if (s->data[i] != (char)('a' + (i * 7 + seed) % 26)) return false;
    return true;
}

/* Waits until process pid sleeps in the kernel (state S): the reader is
 * then past its spin, asleep on the socket. */
static void wait_sleeping(int64_t pid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    for (;;) {
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        if (p && p[1] == ' ' && p[2] == 'S') return;
        sched_yield();
    }
}

/* ---- one process ---------------------------------------------------- */

/* Frames of every size from 1 to 3000 bytes, each read before the next is
 * sent, so head and tail wrap around the ring at every offset mod 8; then
 * enough queued at once to fill most of the ring, no bell written. */
static void test_wrap_around(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_str, true);
    size_t total = 0;
    for (unsigned k = 0; total < 4 * RING; k++) {
        size_t n = 1 + (k * 37) % 3000;
        mp_str *s = pattern(n, k);
        assert_int_equal(mp_conn_send(k % 2 ? b : a, (mp_val){.s = s}), 0);
        mp_val out;
        assert_int_equal(mp_conn_recv(k % 2 ? a : b, &out), 0);
        assert_true(is_pattern(out.s, n, k));
        mp_str_unref(out.s);
        mp_str_unref(s);
        total += n + 13;
    }
    for (unsigned k = 0; k < 100; k++) { /* 100 * (1000 + 13) < 256 KiB */
        mp_str *s = pattern(1000, k);
        assert_int_equal(mp_conn_send(a, (mp_val){.s = s}), 0);
        mp_str_unref(s);
    }
    assert_true(no_bell(b)); /* nobody slept: no bell */
    assert_int_equal(mp_conn_poll(b, 0), 1);
    for (unsigned k = 0; k < 100; k++) {
        mp_val out;
        assert_int_equal(mp_conn_recv(b, &out), 0);
        assert_true(is_pattern(out.s, 1000, k));
        mp_str_unref(out.s);
    }
    assert_int_equal(mp_conn_poll(b, 0), 0);
    mp_conn_close(a);
    mp_val out;
    assert_int_equal(mp_conn_poll(b, -1), 1); /* end of stream is readable */
    assert_int_equal(mp_conn_recv(b, &out), MP_EOF);
    mp_str *s = pattern(3, 0);
    assert_int_equal(mp_conn_send(b, (mp_val){.s = s}), -1);
    assert_int_equal(errno, EPIPE); /* the reader is gone */
    mp_str_unref(s);
    mp_conn_close(b);
}

/* A shared end keeps the socket: mp_conn_share after mp_pipe_shm. */
static void test_shared_end_keeps_socket(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_int, true);
    mp_conn_share(a);
    assert_int_equal(mp_conn_send(b, (mp_val){.i = 5}), 0);
    assert_false(no_bell(a)); /* the frame is on the socket */
    mp_val out;
    assert_int_equal(mp_conn_recv(a, &out), 0);
    assert_int_equal(out.i, 5);
    mp_conn_close(a);
    mp_conn_close(b);
}

/* ---- across processes ---------------------------------------------- */

/* Frames 1..64 times the ring's size and a list, byte-exact both ways. */
static void echo_all(void *arg) {
    mp_conn *c = arg;
    mp_val v;
    while (mp_recv_next(c, &v, L)) {
        mp_send(c, v, L);
        mp_str_unref(v.s);
    }
}

static void test_frames_larger_than_ring(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_str, true);
    mp_proc *p = mp_proc_new("echo", -1);
    mp_proc_uses(p, b);
    assert_int_equal(mp_proc_start(p, echo_all, b), 0);
    mp_conn_close(b);
    size_t sizes[] = {RING - 13, RING, RING + 1, 3 * RING + 5, 64 * RING};
    for (unsigned k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        mp_str *s = pattern(sizes[k], k);
        assert_int_equal(mp_conn_send(a, (mp_val){.s = s}), 0);
        mp_val out;
        assert_int_equal(mp_conn_recv(a, &out), 0);
        assert_true(is_pattern(out.s, sizes[k], k));
        mp_str_unref(out.s);
        mp_str_unref(s);
    }
    mp_conn_close(a);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
}

/* A list frame of 1.6 MB (not a string: the buffered path). */
static void send_list(void *arg) {
    mp_conn *a = arg;
    mp_list *l = mp_list_new(&t_list_int, 0);
    for (int64_t i = 0; i < 200000; i++) mp_list_push(l, (mp_val){.i = i * 3});
    mp_send(a, (mp_val){.l = l}, L);
    mp_list_unref(l);
}

static void test_big_list(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &t_list_int, false);
    mp_proc *p = mp_proc_new("lister", -1);
    mp_proc_uses(p, a);
    assert_int_equal(mp_proc_start(p, send_list, a), 0);
    mp_conn_close(a);
    mp_val out;
    assert_int_equal(mp_conn_recv(b, &out), 0);
    assert_int_equal(mp_list_len(out.l), 200000);
    for (int64_t i = 0; i < 200000; i++) assert_int_equal(mp_list_get(out.l, i, L).i, i * 3);
    mp_list_unref(out.l);
    assert_int_equal(mp_conn_recv(b, &out), MP_EOF);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    mp_conn_close(b);
}

/* A writer killed in the middle of a frame: the reader gets the bytes
 * written, then "closed in the middle of a message" (ECONNRESET). */
static void send_huge(void *arg) {
    mp_conn *a = arg;
    mp_str *s = pattern(8 * RING, 1);
    mp_send(a, (mp_val){.s = s}, L); /* never ends: nobody reads it all */
    mp_str_unref(s);
}

static void test_writer_killed_mid_frame(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_str, false);
    mp_proc *p = mp_proc_new("writer", -1);
    mp_proc_uses(p, a);
    assert_int_equal(mp_proc_start(p, send_huge, a), 0);
    mp_conn_close(a);
    /* bytes have arrived; the frame is 8 rings long and none was read */
    assert_int_equal(mp_conn_poll(b, -1), 1);
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_val out;
    assert_int_equal(mp_conn_recv(b, &out), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(mp_conn_recv(b, &out), -1); /* and stays so */
    assert_int_equal(errno, ECONNRESET);
    mp_proc_free(p);
    mp_conn_close(b);
}

/* A reader asleep on an empty ring when its writer is killed: end of
 * stream wakes it. */
static void read_until_eof(void *arg) {
    mp_conn *b = arg;
    mp_val out;
    int r = mp_conn_recv(b, &out);
    mp_exit(r == MP_EOF ? 0 : 1);
}

static void block_forever(void *arg) {
    int fd = *(int *)arg;
    (void)get_byte(fd); /* the parent never writes: killed here */
}

static void test_writer_killed_while_reader_sleeps(void **state) {
    (void)state;
    mp_conn *a, *b;
    int ctl[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, ctl), 0);
    shm_pipe(&a, &b, &mp_t_int, false);
    mp_proc *w = mp_proc_new("writer", -1), *r = mp_proc_new("reader", -1);
    mp_proc_uses(w, a);
    assert_int_equal(mp_proc_start(w, block_forever, &ctl[1]), 0);
    mp_proc_uses(r, b);
    assert_int_equal(mp_proc_start(r, read_until_eof, b), 0);
    mp_conn_close(a);
    mp_conn_close(b);
    wait_sleeping(mp_proc_pid(r));
    assert_int_equal(mp_proc_kill(w), 0);
    assert_int_equal(mp_proc_join(r, -1), 0);
    assert_int_equal(mp_proc_exitcode(r), 0);
    assert_int_equal(mp_proc_join(w, -1), 0);
    mp_proc_free(w);
    mp_proc_free(r);
    close(ctl[0]);
    close(ctl[1]);
}

/* A sleeping reader is woken by exactly the bell of the send, which it
 * takes off the socket. */
static void recv_one_then_report(void *arg) {
    mp_conn **ends = arg;
    mp_val out;
    int r = mp_conn_recv(ends[1], &out);
    bool clean = no_bell(ends[1]);
    mp_exit(r == 0 && out.i == 42 && clean ? 0 : 1);
}

static void test_bell_wakes_sleeper(void **state) {
    (void)state;
    mp_conn *ends[2];
    shm_pipe(&ends[0], &ends[1], &mp_t_int, true);
    mp_proc *r = mp_proc_new("reader", -1);
    mp_proc_uses(r, ends[1]);
    assert_int_equal(mp_proc_start(r, recv_one_then_report, ends), 0);
    mp_conn_close(ends[1]);
    wait_sleeping(mp_proc_pid(r));
    assert_int_equal(mp_conn_send(ends[0], (mp_val){.i = 42}), 0);
    assert_int_equal(mp_proc_join(r, -1), 0);
    assert_int_equal(mp_proc_exitcode(r), 0);
    mp_proc_free(r);
    mp_conn_close(ends[0]);
}

/* A writer waiting for room when every holder of the reading end closes
 * it: the send fails with EPIPE instead of waiting forever. */
static void send_huge_expect_epipe(void *arg) {
    mp_conn *a = arg;
    mp_str *s = pattern(8 * RING, 2);
    int r = mp_conn_send(a, (mp_val){.s = s});
    mp_str_unref(s);
    mp_exit(r == -1 && errno == EPIPE ? 0 : 1);
}

static void test_reader_gone_while_writer_waits(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_str, false);
    mp_proc *w = mp_proc_new("writer", -1);
    mp_proc_uses(w, a);
    assert_int_equal(mp_proc_start(w, send_huge_expect_epipe, a), 0);
    mp_conn_close(a);
    assert_int_equal(mp_conn_poll(b, -1), 1);
    mp_conn_close(b);
    assert_int_equal(mp_proc_join(w, -1), 0);
    assert_int_equal(mp_proc_exitcode(w), 0);
    mp_proc_free(w);
}

/* A send to a reader that closed its end, from another process. */
static void send_expect_epipe(void *arg) {
    mp_conn *a = arg;
    int r = mp_conn_send(a, (mp_val){.i = 1});
    mp_exit(r == -1 && errno == EPIPE ? 0 : 1);
}

static void test_send_to_closed_reader(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_int, true);
    mp_conn_close(b);
    mp_proc *p = mp_proc_new("p", -1);
    mp_proc_uses(p, a);
    assert_int_equal(mp_proc_start(p, send_expect_epipe, a), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    mp_conn_close(a);
}

/* A reader killed asleep on the ring: its state still says it sleeps,
 * and the next send, finding its socket closed, fails with EPIPE as a
 * send on the socket would. */
static void recv_forever(void *arg) {
    mp_val out;
    (void)mp_conn_recv(arg, &out);
}

static void test_send_after_sleeping_reader_killed(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_int, false);
    mp_proc *r = mp_proc_new("reader", -1);
    mp_proc_uses(r, b);
    assert_int_equal(mp_proc_start(r, recv_forever, b), 0);
    mp_conn_close(b);
    wait_sleeping(mp_proc_pid(r));
    assert_int_equal(mp_proc_kill(r), 0);
    assert_int_equal(mp_proc_join(r, -1), 0);
    assert_int_equal(mp_conn_send(a, (mp_val){.i = 1}), -1);
    assert_int_equal(errno, EPIPE);
    mp_proc_free(r);
    mp_conn_close(a);
}

/* poll with a timeout on an empty ring times out; a message makes it 1. */
static void test_poll(void **state) {
    (void)state;
    mp_conn *a, *b;
    shm_pipe(&a, &b, &mp_t_int, false);
    assert_int_equal(mp_conn_poll(b, 0.01), 0);
    assert_int_equal(mp_conn_send(a, (mp_val){.i = 3}), 0);
    assert_int_equal(mp_conn_poll(b, 5), 1);
    mp_val out;
    assert_int_equal(mp_conn_recv(b, &out), 0);
    assert_int_equal(out.i, 3);
    mp_conn_close(a);
    mp_conn_close(b);
}

/* An end marked for one process, used by a second while the first lives:
 * the second's call fails (EBUSY) before it touches the ring, and the
 * checked call stops it with a runtime error naming the first. Both
 * sides: a second sender on `a`, a second receiver on `b`. */
static void second_sender(void *arg) {
    mp_conn *a = arg;
    if (mp_conn_send(a, (mp_val){.i = 2}) == 0 || errno != EBUSY) mp_exit(3);
    mp_send(a, (mp_val){.i = 2}, MP_LOC(7, 5));
    mp_exit(0);
}

static void second_receiver(void *arg) {
    mp_conn *b = arg;
    mp_val v;
    if (mp_conn_recv(b, &v) == 0 || errno != EBUSY) mp_exit(3);
    (void)mp_recv(b, MP_LOC(7, 5));
    mp_exit(0);
}

/* Runs FN(END) in a second process; returns its exit code, its stderr
 * in OUT. */
static int run_second(void (*fn)(void *), mp_conn *end, char *out, size_t cap) {
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    struct mpt_run run = {fn, end, pfd[1]};
    mp_proc *p = mp_proc_new("second", -1);
    mp_proc_uses(p, end);
    assert_int_equal(mp_proc_start(p, mpt_run_entry, &run), 0);
    close(pfd[1]);
    size_t len = 0;
    ssize_t k;
    while (len < cap - 1 && (k = read(pfd[0], out + len, cap - 1 - len)) > 0) len += (size_t)k;
    out[len] = '\0';
    close(pfd[0]);
    assert_int_equal(mp_proc_join(p, -1), 0);
    int code = mp_proc_exitcode(p);
    mp_proc_free(p);
    return code;
}

static void want_second_fails(const char *out, const char *what) {
    if (!strstr(out, what) || !strstr(out, "(in process second, pid "))
        fail_msg("expected '%s', got '%s'", what, out);
}

static void test_second_user_fails_loudly(void **state) {
    (void)state;
    mp_conn *a, *b;
    char out[512];
    shm_pipe(&a, &b, &mp_t_int, false);
    assert_int_equal(mp_conn_send(a, (mp_val){.i = 1}), 0); /* main sends on a */
    assert_int_equal(run_second(second_sender, a, out, sizeof out), 1);
    want_second_fails(out,
                      ":7:5: runtime error: send on 'a': the pipe end has one sender, process ");
    mp_val v;
    assert_int_equal(mp_conn_recv(b, &v), 0); /* main receives on b */
    assert_int_equal(v.i, 1);
    assert_int_equal(mp_conn_send(a, (mp_val){.i = 3}), 0);
    assert_int_equal(run_second(second_receiver, b, out, sizeof out), 1);
    want_second_fails(out,
                      ":7:5: runtime error: recv on 'b': the pipe end has one receiver, process ");
    assert_int_equal(mp_conn_recv(b, &v), 0); /* nothing was taken */
    assert_int_equal(v.i, 3);
    mp_conn_close(a);
    mp_conn_close(b);
}

/* ---- the spin policy ------------------------------------------------ */

/* One wait under the policy: its budget, whether it was a probe, and
 * the outcome given. */
static int64_t wait_once(mpr_spin *s, bool caught, bool *probe) {
    int64_t b = mpr_spin_budget(s, probe);
    mpr_spin_done(s, caught, false, *probe);
    return b;
}

/* Both sides asleep every time (an idle machine where the pair fell into
 * sleeping, after a busy spell): the short spins fail, but a probe that
 * spins the whole ceiling still comes (at most 1024 sleeps later), and
 * once it catches the reply every wait spins long enough again. */
static void test_spin_probe_leaves_sleeping(void **state) {
    (void)state;
    mpr_spin s = {0};
    bool probe;
    int64_t top = mpr_spin_budget(&s, &probe);
    for (int i = 0; i < 300; i++) (void)wait_once(&s, false, &probe);
    for (int waits = 0;; waits++) {
        assert_true(waits <= 1024);
        int64_t b = mpr_spin_budget(&s, &probe);
        if (probe) {
            assert_int_equal(b, top);
            break;
        }
        assert_true(b < top);
        mpr_spin_done(&s, false, false, probe);
    }
    mpr_spin_done(&s, true, true, probe); /* the probe caught the reply, late */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(wait_once(&s, true, &probe), top);
        assert_false(probe);
    }
}

/* A loaded machine, where no spin ever catches anything: the probes
 * thin out (the gap between them doubles), so nearly every wait spins
 * the shortest budget. */
static void test_spin_backs_off_when_nothing_is_caught(void **state) {
    (void)state;
    mpr_spin s = {0};
    bool probe;
    int probes = 0;
    int64_t spent = 0, shortest = mpr_spin_ceiling(0);
    for (int i = 0; i < 100000; i++) {
        spent += wait_once(&s, false, &probe);
        probes += probe;
    }
    assert_true(probes >= 10 && probes <= 120);
    /* on average little more than the shortest spin per wait */
    assert_true(spent / 100000 < 2 * shortest);
}

/* Both ends on one CPU: a spin catches the reply only after the
 * scheduler preempted it (late), which must not grow the budget; a
 * catch within half the budget doubles it. */
static void test_spin_late_catch_keeps_budget(void **state) {
    (void)state;
    mpr_spin s = {0};
    bool probe;
    for (int i = 0; i < 20; i++) (void)wait_once(&s, false, &probe);
    int64_t b = mpr_spin_budget(&s, &probe);
    assert_false(probe);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(mpr_spin_budget(&s, &probe), b);
        mpr_spin_done(&s, true, true, probe);
    }
    mpr_spin_done(&s, true, false, false);
    assert_int_equal(mpr_spin_budget(&s, &probe), 2 * b);
}

/* The ceiling follows the side's measured wake-ups: twice the recent
 * ones, never beyond the longest spin however long a wake-up took. */
static void test_spin_ceiling_follows_wakeups(void **state) {
    (void)state;
    mpr_spin s = {0};
    bool probe;
    (void)mpr_spin_budget(&s, &probe);
    for (int i = 0; i < 100; i++) mpr_spin_woke(&s, 3000);
    assert_true(mpr_spin_ceiling(s.wake) >= 5900 && mpr_spin_ceiling(s.wake) <= 6100);
    for (int i = 0; i < 100; i++) mpr_spin_woke(&s, 1000000000);
    assert_int_equal(mpr_spin_ceiling(s.wake), mpr_spin_ceiling(INT32_MAX));
    assert_true(mpr_spin_ceiling(INT32_MAX) <= 50000); /* at most 50 us */
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_shared_end_keeps_socket),
        cmocka_unit_test(test_frames_larger_than_ring),
        cmocka_unit_test(test_big_list),
        cmocka_unit_test(test_writer_killed_mid_frame),
        cmocka_unit_test(test_writer_killed_while_reader_sleeps),
        cmocka_unit_test(test_bell_wakes_sleeper),
        cmocka_unit_test(test_reader_gone_while_writer_waits),
        cmocka_unit_test(test_send_to_closed_reader),
        cmocka_unit_test(test_send_after_sleeping_reader_killed),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_second_user_fails_loudly),
        cmocka_unit_test(test_spin_probe_leaves_sleeping),
        cmocka_unit_test(test_spin_backs_off_when_nothing_is_caught),
        cmocka_unit_test(test_spin_late_catch_keeps_budget),
        cmocka_unit_test(test_spin_ceiling_follows_wakeups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
