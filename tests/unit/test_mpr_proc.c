/* test_mpr_proc.c: processes (proc.c): start, join, exit codes, signals,
 * timeouts, reaping, closing unused pipe ends, the parent-death signal,
 * and the exit paths of main and children. No test sleeps to order
 * processes: they synchronize through pipes. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

extern void (*mpr_test_start_hook)(pid_t pid);

/* A byte channel between test processes (plain pipe, not an mp_conn). */
struct chan {
    int r, w;
};

static struct chan chan_new(void) {
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    return (struct chan){fd[0], fd[1]};
}

static void chan_close(struct chan *c) {
    if (c->r >= 0) close(c->r);
    if (c->w >= 0) close(c->w);
    c->r = c->w = -1;
}

/* Reads everything until EOF, waiting at most `secs` in total for each
 * chunk (a hang becomes a test failure). */
static size_t read_all(int fd, char *buf, size_t cap, int secs) {
    size_t len = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, secs * 1000);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) fail_msg("timed out waiting for output");
        ssize_t k = read(fd, buf + len, cap - len - 1);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        len += (size_t)k;
    }
    buf[len] = '\0';
    return len;
}

/* ---- names and daemons ------------------------------------------- */

static struct chan names_chan, block_chan;

/* Writes its current_process() name and daemon flag, then blocks. */
static void says_name_then_blocks(void *arg) {
    (void)arg;
    mp_proc *me = mp_current_process();
    char line[128];
    int n = snprintf(line, sizeof line, "%s %d %d\n", mp_proc_name(me), mp_proc_daemon(me),
                     mp_proc_pid(me) == mp_getpid());
    assert_true(write(names_chan.w, line, (size_t)n) == n);
    char c;
    while (read(block_chan.r, &c, 1) != 0) /* nobody writes: blocks until killed */
        ;
}

/* A process that starts a named daemon and ends without joining it: its
 * exit must terminate the daemon, not wait for it. */
static void leaves_a_daemon(void *arg) {
    (void)arg;
    mp_proc *d = mp_proc_new("d", -1);
    mp_str name = {MP_IMMORTAL, 7, "guardé", 0};
    mp_proc_set_name(d, &name);
    mp_proc_set_daemon(d, true);
    assert_int_equal(mp_proc_start(d, says_name_then_blocks, NULL), 0);
    mp_proc_set_name(d, &(mp_str){MP_IMMORTAL, 1, "x", 0}); /* started: no effect */
    char buf[64];
    ssize_t k = read(names_chan.r, buf, sizeof buf); /* the daemon runs */
    assert_true(k > 0);
    assert_string_equal(mp_proc_name(d), "guardé");
    mp_exit((int)k);
}

static void test_names_and_daemons(void **state) {
    (void)state;
    names_chan = chan_new();
    block_chan = chan_new();
    assert_string_equal(mp_proc_name(mp_current_process()), "MainProcess");
    assert_false(mp_proc_daemon(mp_current_process()));
    mp_proc *p = mp_proc_new("leaver", -1);
    assert_int_equal(mp_proc_start(p, leaves_a_daemon, NULL), 0);
    assert_int_equal(mp_proc_join(p, 60), 0); /* a hang becomes a failure */
    assert_int_equal(mp_proc_exitcode(p), (int)strlen("guardé 1 1\n"));
    mp_proc_free(p);
    chan_close(&names_chan);
    chan_close(&block_chan);
}

/* ---- basic lifecycle ----------------------------------------------- */

static void child_exits_with(void *arg) { mp_exit(*(int *)arg); }

static void child_returns(void *arg) { (void)arg; }

static void test_start_join_exitcode(void **state) {
    (void)state;
    mp_proc *p = mp_proc_new("p", -1);
    assert_string_equal(mp_proc_name(p), "p");
    assert_int_equal(mp_proc_pid(p), 0);
    assert_int_equal(mp_proc_exitcode(p), MP_NOEXIT);
    assert_false(mp_proc_is_alive(p));
    assert_int_equal(mp_proc_join(p, -1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mp_proc_terminate(p), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mp_proc_start(p, child_returns, NULL), 0);
    assert_true(mp_proc_pid(p) > 0);
    assert_int_equal(mp_proc_start(p, child_returns, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    assert_false(mp_proc_is_alive(p));
    assert_int_equal(mp_proc_join(p, -1), 0);  /* again: fine */
    assert_int_equal(mp_proc_terminate(p), 0); /* finished: no-op */
    /* reaped: no zombie left */
    assert_int_equal(waitpid((pid_t)mp_proc_pid(p), NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    assert_int_equal(mp_proc_free(p), 0);

    mp_proc *w = mp_proc_new("workers", 2);
    assert_string_equal(mp_proc_name(w), "workers[2]");
    int code = 7;
    assert_int_equal(mp_proc_start(w, child_exits_with, &code), 0);
    assert_int_equal(mp_proc_join(w, -1), 0);
    assert_int_equal(mp_proc_exitcode(w), 7);
    mp_proc_free(w);
}

/* Bytes C code left in stdout's buffer are written once: flushed before
 * the fork, not copied into the child, which flushes its own on exit. */
static void test_stdio_flushed_before_fork(void **state) {
    (void)state;
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stdout);
    int saved = dup(1);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fileno(tmp), 1), 1);
    static char buf[256];
    assert_int_equal(setvbuf(stdout, buf, _IOFBF, sizeof buf), 0);
    fputs("once", stdout); /* held in the buffer: no newline, not full */
    mp_proc *p = mp_proc_new("p", -1);
    assert_int_equal(mp_proc_start(p, child_returns, NULL), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    fflush(stdout);
    assert_int_equal(setvbuf(stdout, NULL, _IOLBF, 0), 0);
    assert_int_equal(dup2(saved, 1), 1);
    close(saved);
    char got[64];
    rewind(tmp);
    size_t n = fread(got, 1, sizeof got - 1, tmp);
    got[n] = '\0';
    fclose(tmp);
    assert_string_equal(got, "once");
}

/* A child that blocks until the test writes a byte (or closes). */
static void child_waits(void *arg) {
    struct chan *c = arg;
    close(c->w);
    int b = get_byte(c->r);
    mp_exit(b < 0 ? 0 : b);
}

static void test_signals_and_timeouts(void **state) {
    (void)state;
    struct chan c = chan_new();
    mp_proc *p = mp_proc_new("sleeper", -1);
    assert_int_equal(mp_proc_start(p, child_waits, &c), 0);
    assert_true(mp_proc_is_alive(p));
    assert_int_equal(mp_proc_exitcode(p), MP_NOEXIT);
    assert_int_equal(mp_proc_join(p, 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_proc_join(p, 0.02), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_proc_join(p, __builtin_nan("")), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_proc_free(p);

    p = mp_proc_new("sleeper", -1);
    assert_int_equal(mp_proc_start(p, child_waits, &c), 0);
    assert_int_equal(mp_proc_terminate(p), 0);
    assert_int_equal(mp_proc_join(p, 30), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGTERM);
    mp_proc_free(p);

    /* A running process cannot be freed. */
    p = mp_proc_new("sleeper", -1);
    assert_int_equal(mp_proc_start(p, child_waits, &c), 0);
    assert_int_equal(mp_proc_free(p), -1);
    assert_int_equal(errno, EBUSY);
    put_byte(c.w, 42);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 42);
    mp_proc_free(p);
    chan_close(&c);
}

/* Many children, started and joined in any order. */
static void test_many_children(void **state) {
    (void)state;
    enum { N = 64 };
    mp_proc *ps[N];
    int codes[N];
    for (int i = 0; i < N; i++) {
        codes[i] = i;
        ps[i] = mp_proc_new("w", i);
        assert_int_equal(mp_proc_start(ps[i], child_exits_with, &codes[i]), 0);
    }
    for (int i = N; i-- > 0;) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), i);
        mp_proc_free(ps[i]);
    }
}

/* ---- a join reaps every child that ends meanwhile -------------------- */

/* Takes items until end of stream: ends only when its producer's end of
 * production was applied by main. */
static void drains_until_eof(void *arg) {
    mp_val v;
    int r;
    while ((r = mp_queue_get(arg, &v, -1)) == 0)
        ;
    mp_exit(r == MP_EOF ? 0 : 1);
}

/* Main joins the consumer; the producer ends first. Only a join that reaps
 * the producer while it waits (applying its producer_done) lets the
 * consumer see end of stream: otherwise the join never returns. */
static void test_join_reaps_the_others(void **state) {
    (void)state;
    alarm(60); /* a join that never returns fails the test instead of hanging it */
    for (int round = 0; round < 20; round++) {
        mp_queue *q = mp_queue_new(&mp_t_int, 0, 0, 1, "q");
        assert_non_null(q);
        mp_proc *consumer = mp_proc_new("consumer", -1);
        mp_proc *producer = mp_proc_new("producer", -1);
        mp_proc_produces(producer, q);
        assert_int_equal(mp_proc_start(consumer, drains_until_eof, q), 0);
        assert_int_equal(mp_proc_start(producer, child_returns, NULL), 0);
        assert_int_equal(mp_proc_join(consumer, -1), 0);
        assert_int_equal(mp_proc_exitcode(consumer), 0);
        assert_int_equal(mp_proc_join(producer, -1), 0);
        assert_int_equal(mp_proc_exitcode(producer), 0);
        mp_proc_free(consumer);
        mp_proc_free(producer);
    }
    alarm(0);
}

static void child_waits_for_a_byte(void *arg) {
    char c;
    mp_exit(read(*(int *)arg, &c, 1) == 1 ? 0 : 1);
}

/* A join waits in waitpid for its own child only: a child that ends
 * meanwhile is the SIGCHLD handler's, even when the signal waits behind
 * a mask C code set. Both end while SIGCHLD is blocked; once it is
 * unblocked the handler reaps the other one and applies its producer
 * share (it would not if the join had miscounted the running children,
 * as the handler does nothing when it believes none runs). */
static void test_join_leaves_the_others_to_the_handler(void **state) {
    (void)state;
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    mp_queue *q = mp_queue_new(&mp_t_int, 0, 0, 1, "q");
    assert_non_null(q);
    mp_proc *joined = mp_proc_new("joined", -1);
    mp_proc *other = mp_proc_new("other", -1);
    mp_proc_produces(other, q);
    assert_int_equal(mp_proc_start(joined, child_waits_for_a_byte, &fds[0]), 0);
    assert_int_equal(mp_proc_start(other, child_returns, NULL), 0);
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)mp_proc_pid(other), &si, WEXITED | WNOWAIT), 0);
    assert_int_equal(write(fds[1], "x", 1), 1);

    assert_int_equal(mp_proc_join(joined, -1), 0);
    assert_int_equal(mp_proc_exitcode(joined), 0);
    sigprocmask(SIG_SETMASK, &old, NULL); /* the pending SIGCHLD runs here */
    errno = 0;
    assert_int_equal(waitid(P_PID, (id_t)mp_proc_pid(other), &si, WEXITED | WNOHANG | WNOWAIT), -1);
    assert_int_equal(errno, ECHILD);
    mp_val v;
    assert_int_equal(mp_queue_get(q, &v, 0), MP_EOF);
    assert_int_equal(mp_proc_join(other, -1), 0);
    assert_int_equal(mp_proc_exitcode(other), 0);
    mp_proc_free(joined);
    mp_proc_free(other);
    close(fds[0]);
    close(fds[1]);
}

/* The test hook of mp_proc_start: waits, between the fork and the
 * record of the child, until the child has ended. Its SIGCHLD runs the
 * handler meanwhile, which cannot tell the zombie is ours yet. */
static void wait_for_the_child(pid_t pid) {
    siginfo_t si;
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
}

/* SIGCHLD is not blocked around fork: a child that ends before the
 * parent records it is still reaped at once, its producer share
 * applied, with no join (the start reaps the stray the handler left). */
static void test_child_ending_before_its_record(void **state) {
    (void)state;
    mp_queue *q = mp_queue_new(&mp_t_int, 0, 0, 1, "q");
    assert_non_null(q);
    mp_proc *p = mp_proc_new("quick", -1);
    mp_proc_produces(p, q);
    mpr_test_start_hook = wait_for_the_child;
    assert_int_equal(mp_proc_start(p, child_returns, NULL), 0);
    mpr_test_start_hook = NULL;
    siginfo_t si;
    errno = 0;
    assert_int_equal(waitid(P_PID, (id_t)mp_proc_pid(p), &si, WEXITED | WNOHANG | WNOWAIT), -1);
    assert_int_equal(errno, ECHILD);
    mp_val v;
    assert_int_equal(mp_queue_get(q, &v, 0), MP_EOF);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
}

/* The parent's record of a child lives in shared memory: a process that
 * is not the parent (here a sibling, which inherited the handle) may
 * not start or join it, and leaves the record as it was. */
static mp_proc *sibling;

static void joins_its_sibling(void *arg) {
    (void)arg;
    int j = mp_proc_join(sibling, -1), je = errno;
    mp_exit(j == -1 && je == ECHILD ? 0 : 1);
}

static void test_only_the_parent_joins(void **state) {
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    sibling = mp_proc_new("sibling", -1);
    mp_proc *p = mp_proc_new("p", -1);
    assert_int_equal(mp_proc_start(sibling, child_waits_for_a_byte, &fds[0]), 0);
    assert_int_equal(mp_proc_start(p, joins_its_sibling, NULL), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    assert_true(mp_proc_is_alive(sibling));
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(mp_proc_join(sibling, -1), 0);
    assert_int_equal(mp_proc_exitcode(sibling), 0);
    mp_proc_free(sibling);
    mp_proc_free(p);
    close(fds[0]);
    close(fds[1]);
}

/* A zombie that is not the runtime's (a plain fork by C code) neither
 * hangs a join nor is reaped by it. */
static void test_join_beside_a_foreign_zombie(void **state) {
    (void)state;
    fflush(NULL);
    pid_t stranger = fork();
    assert_true(stranger >= 0);
    if (stranger == 0) _exit(7);
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)stranger, &si, WEXITED | WNOWAIT), 0);
    int code = 3;
    mp_proc *p = mp_proc_new("p", -1);
    assert_int_equal(mp_proc_start(p, child_exits_with, &code), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 3);
    mp_proc_free(p);
    int st;
    assert_int_equal(waitpid(stranger, &st, 0), stranger);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

/* ---- pipe ends are closed in children that do not use them ---------- */

struct ends {
    mp_conn *a, *b, *c, *d;
};

static void child_checks_ends(void *arg) {
    struct ends *e = arg;
    /* uses b only */
    int bad = mp_conn_is_closed(e->b) || !mp_conn_is_closed(e->a) || !mp_conn_is_closed(e->c) ||
              !mp_conn_is_closed(e->d);
    mp_exit(bad);
}

static void test_unused_ends_closed(void **state) {
    (void)state;
    struct ends e;
    assert_int_equal(mp_pipe(&e.a, &e.b, &mp_t_int, true, "a", "b"), 0);
    assert_int_equal(mp_pipe(&e.c, &e.d, &mp_t_int, false, "c", "d"), 0);
    mp_proc *p = mp_proc_new("p", -1);
    mp_proc_uses(p, e.b);
    assert_int_equal(mp_proc_start(p, child_checks_ends, &e), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    /* the parent still has all of them */
    assert_false(mp_conn_is_closed(e.a));
    assert_false(mp_conn_is_closed(e.b));
    mp_proc_free(p);
    mp_conn_close(e.a);
    mp_conn_close(e.b);
    mp_conn_close(e.c);
    mp_conn_close(e.d);
}

/* The child's end-of-file comes from the other child's exit alone: the
 * parent handed both ends out and closed its copies. */
static void child_sends(void *arg) {
    struct ends *e = arg;
    mp_send(e->a, (mp_val){.i = 5}, MP_LOC(1, 1));
}

static void child_sums(void *arg) {
    struct ends *e = arg;
    int64_t sum = 0;
    mp_val v;
    while (mp_recv_next(e->b, &v, MP_LOC(1, 1))) sum += v.i;
    mp_exit((int)sum);
}

static void test_eof_through_auto_close(void **state) {
    (void)state;
    struct ends e;
    assert_int_equal(mp_pipe(&e.a, &e.b, &mp_t_int, false, "a", "b"), 0);
    mp_proc *s = mp_proc_new("sender", -1), *r = mp_proc_new("summer", -1);
    mp_proc_uses(s, e.a);
    mp_proc_uses(r, e.b);
    assert_int_equal(mp_proc_start(r, child_sums, &e), 0);
    assert_int_equal(mp_proc_start(s, child_sends, &e), 0);
    mp_conn_close_unused(); /* the parent uses neither end */
    assert_true(mp_conn_is_closed(e.a));
    assert_true(mp_conn_is_closed(e.b));
    assert_int_equal(mp_proc_join(s, -1), 0);
    assert_int_equal(mp_proc_join(r, -1), 0);
    assert_int_equal(mp_proc_exitcode(r), 5);
    mp_proc_free(s);
    mp_proc_free(r);
}

/* mp_conn_close_unused keeps ends that an unstarted process will use and
 * ends marked with mp_conn_keep. */
static void test_close_unused_keeps(void **state) {
    (void)state;
    mp_conn *a, *b, *c, *d;
    assert_int_equal(mp_pipe(&a, &b, &mp_t_int, true, "a", "b"), 0);
    assert_int_equal(mp_pipe(&c, &d, &mp_t_int, true, "c", "d"), 0);
    mp_proc *later = mp_proc_new("later", -1);
    mp_proc_uses(later, b);
    mp_conn_keep(c);
    mp_conn_close_unused();
    assert_true(mp_conn_is_closed(a));
    assert_false(mp_conn_is_closed(b));
    assert_false(mp_conn_is_closed(c));
    assert_true(mp_conn_is_closed(d));
    mp_proc_free(later);
    mp_conn_close(b);
    mp_conn_close(c);
}

/* ---- runtime errors in children ------------------------------------- */

static void child_fails(void *arg) {
    struct chan *c = arg;
    dup2(c->w, 2);
    mp_fail(MP_LOC(3, 4), "boom %d", 42);
}

static void test_child_failure_message(void **state) {
    (void)state;
    struct chan c = chan_new();
    mp_proc *p = mp_proc_new("workers", 1);
    assert_int_equal(mp_proc_start(p, child_fails, &c), 0);
    close(c.w);
    c.w = -1;
    char out[1024], expect[256];
    read_all(c.r, out, sizeof out, 30);
    assert_int_equal(mp_proc_join(p, -1), 0); /* join does not fail */
    assert_int_equal(mp_proc_exitcode(p), 1);
    snprintf(expect, sizeof expect,
             "t.mp:3:4: runtime error: boom 42 (in process workers[1], "
             "pid %lld)\n",
             (long long)mp_proc_pid(p));
    assert_string_equal(out, expect);
    mp_proc_free(p);
    chan_close(&c);
}

/* ---- the parent-death signal ---------------------------------------- */

static void grandchild_blocks(void *arg) {
    struct chan *c = arg;
    /* keeps c->w open until it dies; waits on c->r that nobody writes */
    get_byte(c->r);
    mp_exit(0);
}

static void test_parent_death_kills_children(void **state) {
    (void)state;
    struct chan c = chan_new();
    struct chan ready = chan_new();
    fflush(NULL);
    pid_t mid = fork();
    assert_true(mid >= 0);
    if (mid == 0) {
        /* A middle process with a runtime child, which then dies. */
        mp_proc *g = mp_proc_new("grandchild", -1);
        if (mp_proc_start(g, grandchild_blocks, &c) < 0) _exit(2);
        put_byte(ready.w, 1);
        _exit(0);
    }
    close(c.w);
    c.w = -1;
    close(ready.w);
    ready.w = -1;
    assert_int_equal(get_byte(ready.r), 1);
    int st;
    assert_int_equal(waitpid(mid, &st, 0), mid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* The grandchild held c.w: EOF means it is gone. */
    char buf[8];
    assert_int_equal(read_all(c.r, buf, sizeof buf, 30), 0);
    chan_close(&c);
    chan_close(&ready);
}

/* ---- exit paths of a main process ----------------------------------- */

/* Run in a forked "main": its child blocks in recv on a pipe whose other
 * end only main holds; main fails; its pipe ends are closed, so the child
 * sees end-of-file (a runtime error of its own), and main waits for it
 * before exiting 1. */
static void child_recv_forever(void *arg) {
    mp_conn *b = arg;
    mp_recv(b, MP_LOC(9, 9));
}

static void test_main_failure_joins_children(void **state) {
    (void)state;
    struct chan err = chan_new();
    fflush(NULL);
    pid_t m = fork();
    assert_true(m >= 0);
    if (m == 0) {
        dup2(err.w, 2);
        close(err.r);
        close(err.w);
        mp_conn *a, *b;
        mp_pipe(&a, &b, &mp_t_str, true, "a", "b");
        mp_proc *p = mp_proc_new("reader", -1);
        mp_proc_uses(p, b);
        mp_proc_start(p, child_recv_forever, b);
        mp_fail(MP_LOC(1, 2), "main gives up");
    }
    close(err.w);
    err.w = -1;
    char out[4096];
    read_all(err.r, out, sizeof out, 30);
    int st;
    assert_int_equal(waitpid(m, &st, 0), m);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    char *first = strstr(out, "t.mp:1:2: runtime error: main gives up "
                              "(in process main, pid ");
    char *second = strstr(out, "t.mp:9:9: runtime error: EOFError (in process reader");
    if (!first || !second) fail_msg("unexpected stderr: %s", out);
    chan_close(&err);
}

/* mp_finish waits for children that were never joined. */
static void child_reports_then_exits(void *arg) {
    struct chan *c = arg;
    get_byte(c[0].r); /* wait for the test's go */
    put_byte(c[1].w, 'C');
    mp_exit(3);
}

static void test_finish_joins_unjoined(void **state) {
    (void)state;
    struct chan c[2] = {chan_new(), chan_new()};
    fflush(NULL);
    pid_t m = fork();
    assert_true(m >= 0);
    if (m == 0) {
        mp_proc *p = mp_proc_new("child", -1);
        if (mp_proc_start(p, child_reports_then_exits, c) < 0) _exit(2);
        mp_finish(); /* must wait for the child */
        put_byte(c[1].w, 'M');
        _exit(0); /* (mp_finish freed p) */
    }
    close(c[1].w);
    c[1].w = -1;
    put_byte(c[0].w, 1);
    assert_int_equal(get_byte(c[1].r), 'C');
    assert_int_equal(get_byte(c[1].r), 'M');
    int st;
    assert_int_equal(waitpid(m, &st, 0), m);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    chan_close(&c[0]);
    chan_close(&c[1]);
}

/* mp_exit in a main process joins its children first. */
static void test_exit_in_main_joins(void **state) {
    (void)state;
    struct chan c[2] = {chan_new(), chan_new()};
    fflush(NULL);
    pid_t m = fork();
    assert_true(m >= 0);
    if (m == 0) {
        mp_proc *p = mp_proc_new("child", -1);
        if (mp_proc_start(p, child_reports_then_exits, c) < 0) _exit(2);
        put_byte(c[1].w, 'S');
        mp_exit(6);
    }
    close(c[1].w);
    c[1].w = -1;
    assert_int_equal(get_byte(c[1].r), 'S');
    put_byte(c[0].w, 1);
    assert_int_equal(get_byte(c[1].r), 'C');
    int st;
    assert_int_equal(waitpid(m, &st, 0), m);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 6);
    chan_close(&c[0]);
    chan_close(&c[1]);
}

/* ---- checked variants ------------------------------------------------ */

static void start_twice(void *arg) {
    struct chan *c = arg;
    dup2(c->w, 2);
    mp_proc *p = mp_proc_new("q", -1);
    mp_start(p, child_returns, NULL, MP_LOC(5, 1));
    mp_join(p, MP_LOC(6, 1));
    mp_start(p, child_returns, NULL, MP_LOC(7, 1));
}

static void join_unstarted(void *arg) {
    struct chan *c = arg;
    dup2(c->w, 2);
    mp_proc *p = mp_proc_new("r", -1);
    mp_join(p, MP_LOC(8, 2));
}

static void bad_group(void *arg) {
    struct chan *c = arg;
    dup2(c->w, 2);
    mp_group_size(-3, MP_LOC(2, 2));
}

static void check_error(void (*fn)(void *), const char *expect) {
    struct chan c = chan_new();
    mp_proc *p = mp_proc_new("t", -1);
    assert_int_equal(mp_proc_start(p, fn, &c), 0);
    close(c.w);
    c.w = -1;
    char out[1024];
    read_all(c.r, out, sizeof out, 30);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 1);
    if (!strstr(out, expect)) fail_msg("expected '%s' in '%s'", expect, out);
    mp_proc_free(p);
    chan_close(&c);
}

static void test_checked_errors(void **state) {
    (void)state;
    check_error(start_twice, "t.mp:7:1: runtime error: cannot start process "
                             "'q': it was already started");
    check_error(join_unstarted, "t.mp:8:2: runtime error: cannot join "
                                "process 'r': it was never started");
    check_error(bad_group, "a process group cannot have a negative size");
    assert_int_equal(mp_group_size(4, MP_LOC(1, 1)), 4);
    /* join with a timeout that expires is not an error */
    struct chan c = chan_new();
    mp_proc *p = mp_proc_new("slow", -1);
    mp_start(p, child_waits, &c, MP_LOC(1, 1));
    mp_join_timeout(p, 0.01, MP_LOC(1, 1));
    assert_true(mp_proc_is_alive(p));
    mp_terminate(p, MP_LOC(1, 1));
    mp_join(p, MP_LOC(1, 1));
    assert_int_equal(mp_proc_exitcode(p), -SIGTERM);
    mp_kill(p, MP_LOC(1, 1)); /* finished: no-op */
    mp_proc_free(p);
    chan_close(&c);
}

/* The end of a def's call: mp_group_end terminates a daemon still
 * running, joins the others (one that exits by itself, one waiting for a
 * byte it gets) and frees them; mp_proc_end of a process never started
 * gives up its producer share. */
static void test_def_processes_end(void **state) {
    (void)state;
    alarm(60); /* a join that never returns fails the test instead of hanging it */
    struct chan never = chan_new(), told = chan_new();
    mp_proc **ps = mp_alloc(3 * sizeof *ps);
    ps[0] = mp_proc_new("w", 0);
    ps[1] = mp_proc_new("w", 1);
    ps[2] = mp_proc_new("w", 2);
    mp_proc_set_daemon(ps[0], true);
    assert_int_equal(mp_proc_start(ps[0], child_waits, &never), 0);
    assert_int_equal(mp_proc_start(ps[1], child_returns, NULL), 0);
    assert_int_equal(mp_proc_start(ps[2], child_waits, &told), 0);
    close(told.r);
    told.r = -1;
    assert_int_equal(write(told.w, "\0", 1), 1);
    mp_group_end(ps, 3);
    mp_group_end(NULL, 0);
    chan_close(&never);
    chan_close(&told);

    mp_queue *q = mp_queue_new(&mp_t_int, 0, 0, 2, "q");
    assert_non_null(q);
    mp_proc *p = mp_proc_new("p", -1);
    mp_proc_produces(p, q);
    mp_proc_end(p);
    assert_int_equal(mp_queue_producers(q), 1);
    alarm(0);
}

/* fork failing with EAGAIN is reported, not fatal (needs a non-root
 * user: root ignores RLIMIT_NPROC). */
static void test_fork_failure(void **state) {
    (void)state;
    if (geteuid() == 0) skip();
    fflush(NULL);
    pid_t m = fork();
    assert_true(m >= 0);
    if (m == 0) {
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_NPROC, &rl);
        mp_proc *p = mp_proc_new("p", -1);
        int r = mp_proc_start(p, child_returns, NULL);
        _exit(r == -1 && errno == EAGAIN ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(m, &st, 0), m);
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_join_exitcode),
        cmocka_unit_test(test_names_and_daemons),
        cmocka_unit_test(test_stdio_flushed_before_fork),
        cmocka_unit_test(test_signals_and_timeouts),
        cmocka_unit_test(test_many_children),
        cmocka_unit_test(test_join_reaps_the_others),
        cmocka_unit_test(test_join_beside_a_foreign_zombie),
        cmocka_unit_test(test_join_leaves_the_others_to_the_handler),
        cmocka_unit_test(test_child_ending_before_its_record),
        cmocka_unit_test(test_only_the_parent_joins),
        cmocka_unit_test(test_unused_ends_closed),
        cmocka_unit_test(test_eof_through_auto_close),
        cmocka_unit_test(test_close_unused_keeps),
        cmocka_unit_test(test_child_failure_message),
        cmocka_unit_test(test_parent_death_kills_children),
        cmocka_unit_test(test_main_failure_joins_children),
        cmocka_unit_test(test_finish_joins_unjoined),
        cmocka_unit_test(test_exit_in_main_joins),
        cmocka_unit_test(test_checked_errors),
        cmocka_unit_test(test_fork_failure),
        cmocka_unit_test(test_def_processes_end),
    };
    int r = cmocka_run_group_tests_name("mpr_proc", tests, NULL, NULL);
    mp_finish();
    return r;
}
