/* test_mpr_select.c: mp_select over pipe ends and queues (select.c): the
 * rotation that makes it fair, eof cases run once, a timeout nothing can
 * beat, end of stream without an eof case, and a stress test where forked
 * producers feed two pipes and two queues while one process selects:
 * every message arrives exactly once, in order per source. Processes
 * synchronize through the sources themselves; nothing sleeps. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

#define L MP_LOC(1, 1)

static mp_val int_val(int64_t i) { return (mp_val){.i = i}; }

/* Every source always ready: the turn serves them round robin. */
static void test_rotation_is_fair(void **state) {
    (void)state;
    enum { K = 3, M = 10 };
    mp_conn *tx[K], *rx[K];
    mp_sel_src src[K];
    for (int k = 0; k < K; k++) {
        assert_int_equal(mp_pipe(&tx[k], &rx[k], &mp_t_int, false, "tx", "rx"), 0);
        for (int m = 0; m < M; m++) assert_int_equal(mp_conn_send(tx[k], int_val(m)), 0);
        src[k] = (mp_sel_src){rx[k], NULL, false};
    }
    int turn = 0, next[K] = {0};
    for (int round = 0; round < K * M; round++) {
        mp_val v;
        int r = mp_select(src, K, &turn, false, 0, &v, L);
        assert_int_equal(r, round % K);
        assert_int_equal(v.i, next[r]++);
    }
    for (int k = 0; k < K; k++) {
        mp_conn_close(tx[k]);
        mp_conn_close(rx[k]);
    }
}

/* A queue with items and a pipe: the queue is taken in its turn too. */
static void test_queue_and_pipe(void **state) {
    (void)state;
    mp_conn *tx, *rx;
    assert_int_equal(mp_pipe(&tx, &rx, &mp_t_int, false, "tx", "rx"), 0);
    mp_queue *q = mp_queue_new(&mp_t_int, 0, 0, 1, "q");
    mp_queue_set_selectable(q, L);
    mp_sel_src src[2] = {{rx, NULL, true}, {NULL, q, true}};
    assert_int_equal(mp_queue_put(q, int_val(7), -1), 0);
    assert_int_equal(mp_conn_send(tx, int_val(8)), 0);
    int turn = 1;
    mp_val v;
    assert_int_equal(mp_select(src, 2, &turn, false, 0, &v, L), 1);
    assert_int_equal(v.i, 7);
    assert_int_equal(mp_select(src, 2, &turn, false, 0, &v, L), 0);
    assert_int_equal(v.i, 8);
    /* nothing ready, nothing can come: the timeout case */
    assert_int_equal(mp_select(src, 2, &turn, true, 0.01, &v, L), MP_SEL_TIMEOUT);
    assert_int_equal(mp_select(src, 2, &turn, true, -5, &v, L), MP_SEL_TIMEOUT);
    /* both end: each eof case runs once, then every source has ended */
    mp_conn_close(tx);
    mp_queue_producer_done(q);
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        int r = mp_select(src, 2, &turn, false, 0, &v, L);
        assert_true(r == MP_SEL_EOF(2, 0) || r == MP_SEL_EOF(2, 1));
        seen |= 1 << (r - 2);
    }
    assert_int_equal(seen, 3);
    assert_int_equal(mp_select(src, 2, &turn, true, 0.01, &v, L), MP_SEL_TIMEOUT);
    mp_exc_flag = false;
    mp_try_enter();
    assert_int_equal(mp_select(src, 2, &turn, false, 0, &v, L), MP_SEL_RAISED);
    mp_try_leave();
    assert_true(mp_exc_is(MP_EXC_EOFError));
    mp_exc_unref(mp_exc_catch());
    mp_conn_close(rx);
    mp_queue_free(q);
}

static void select_ended_pipe(void *arg) {
    (void)arg;
    mp_conn *tx, *rx;
    mp_pipe(&tx, &rx, &mp_t_int, false, "tx", "rx");
    mp_conn_close(tx);
    mp_sel_src src = {rx, NULL, false};
    int turn = 0;
    mp_val v;
    mp_select(&src, 1, &turn, false, 0, &v, L);
}

static void select_nan(void *arg) {
    (void)arg;
    mp_conn *tx, *rx;
    mp_pipe(&tx, &rx, &mp_t_int, false, "tx", "rx");
    mp_sel_src src = {rx, NULL, false};
    int turn = 0;
    mp_val v;
    mp_select(&src, 1, &turn, true, NAN, &v, L);
}

static void test_failures(void **state) {
    (void)state;
    mpt_expect_error(select_ended_pipe, NULL, "EOFError");
    mpt_expect_error(select_nan, NULL, "ValueError: cannot convert float NaN to integer");
}

/* Two forked senders on pipes and two on one queue each; the selecting
 * process must sleep and be woken many times. */
static void test_stress(void **state) {
    (void)state;
    enum { K = 4, N = 20000 };
    mp_conn *tx[2], *rx[2];
    mp_queue *q[2];
    mp_sel_src src[K];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(mp_pipe(&tx[k], &rx[k], &mp_t_int, false, "tx", "rx"), 0);
        q[k] = mp_queue_new(&mp_t_int, 64, 0, 1, "q");
        mp_queue_set_selectable(q[k], L);
        src[k] = (mp_sel_src){rx[k], NULL, true};
        src[2 + k] = (mp_sel_src){NULL, q[k], true};
    }
    pid_t kids[K];
    for (int k = 0; k < K; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] > 0) continue;
        int ok = 0;
        for (int m = 0; m < N; m++)
            ok += k < 2 ? mp_conn_send(tx[k], int_val(m)) == 0
                        : mp_queue_put(q[k - 2], int_val(m), -1) == 0;
        _exit(ok == N ? 0 : 1);
    }
    for (int k = 0; k < 2; k++) mp_conn_close(tx[k]);
    int64_t next[K] = {0};
    int turn = 0, ended = 0, bad = 0;
    while (ended < K) {
        mp_val v;
        int r = mp_select(src, K, &turn, false, 0, &v, L);
        assert_true(r >= 0 && r < 2 * K);
        if (r >= K) {
            ended++;
            continue;
        }
        bad += v.i != next[r];
        next[r]++;
        if (r >= 2 && next[r] == N) mp_queue_producer_done(q[r - 2]); /* its producer is done */
    }
    assert_int_equal(bad, 0);
    for (int k = 0; k < K; k++) {
        assert_int_equal(next[k], N);
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    for (int k = 0; k < 2; k++) {
        mp_conn_close(rx[k]);
        mp_queue_free(q[k]);
    }
}

/* A rendezvous queue (bound 0): each put waits until the select takes its
 * item, and a put_nowait hands over to a select asleep on the queue. */
static void test_rendezvous(void **state) {
    (void)state;
    enum { N = 200 };
    mp_queue *q = mp_queue_new(&mp_t_int, MP_RENDEZVOUS, 0, 1, "q");
    mp_queue_set_selectable(q, L);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        int ok = 0;
        for (int m = 0; m < N; m++) ok += mp_queue_put(q, int_val(m), -1) == 0;
        while (mp_queue_put(q, int_val(N), 0) != 0) { /* until a select waits */
        }
        _exit(ok == N ? 0 : 1);
    }
    mp_sel_src src = {NULL, q, false};
    int turn = 0;
    for (int m = 0; m <= N; m++) {
        mp_val v;
        assert_int_equal(mp_select(&src, 1, &turn, false, 0, &v, L), 0);
        assert_int_equal(v.i, m);
    }
    int st;
    assert_int_equal(waitpid(kid, &st, 0), kid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    mp_queue_free(q);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotation_is_fair), cmocka_unit_test(test_queue_and_pipe),
        cmocka_unit_test(test_failures),         cmocka_unit_test(test_stress),
        cmocka_unit_test(test_rendezvous),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
