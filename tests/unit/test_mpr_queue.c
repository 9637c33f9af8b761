/* test_mpr_queue.c: queues (queue.c): FIFO, bounds, sizes, wrap-around,
 * end of stream, timeouts, an 8x8x100000 stress test with per-producer
 * sequence numbers, and crash recovery: producers and consumers SIGKILLed
 * mid-put, mid-get and while blocked. Processes synchronize through
 * pipes; nothing sleeps to order them. */
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
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

/* Hooks inside queue.c (hidden symbols of libmpr). */
extern void (*mpr_test_queue_hook)(void);
extern void (*mpr_test_queue_get_hook)(void);

static const mp_type t_list_str = {MP_LIST, &mp_t_str};

#define L MP_LOC(1, 1)

static int ready_fd = -1, block_fd = -1;

/* Signals the test, then blocks until killed. */
static void signal_and_block(void) {
    put_byte(ready_fd, 'R');
    get_byte(block_fd);
    _exit(99);
}

static mp_val int_val(int64_t i) { return (mp_val){.i = i}; }

/* ---- single process ------------------------------------------------- */

static void test_fifo_and_size(void **state) {
    (void)state;
    mp_queue *q = mp_queue_new(&mp_t_int, 0, 0, 1, "q");
    assert_non_null(q);
    assert_string_equal(mp_queue_name(q), "q");
    assert_true(mp_queue_empty(q));
    assert_int_equal(mp_queue_size(q), 0);
    for (int i = 0; i < 1000; i++) assert_int_equal(mp_queue_put(q, int_val(i), -1), 0);
    assert_int_equal(mp_queue_size(q), 1000);
    assert_false(mp_queue_empty(q));
    mp_val v;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(mp_queue_get(q, &v, -1), 0);
        assert_int_equal(v.i, i);
    }
    assert_int_equal(mp_queue_size(q), 0);
    assert_int_equal(mp_queue_get(q, &v, 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_get(q, &v, 0.01), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_get(q, &v, __builtin_nan("")), -1);
    assert_int_equal(errno, EINVAL);
    /* end of stream: no producer left and empty */
    assert_int_equal(mp_queue_producers(q), 1);
    assert_int_equal(mp_queue_put(q, int_val(5), 0), 0);
    mp_queue_producer_done(q);
    assert_int_equal(mp_queue_producers(q), 0);
    assert_int_equal(mp_queue_get(q, &v, -1), 0); /* drains first */
    assert_int_equal(v.i, 5);
    assert_int_equal(mp_queue_get(q, &v, -1), MP_EOF);
    assert_int_equal(mp_queue_get(q, &v, 0), MP_EOF);
    mp_queue_producer_done(q); /* stays at 0 */
    assert_int_equal(mp_queue_producers(q), 0);
    mp_queue_add_producers(q, 2);
    assert_int_equal(mp_queue_producers(q), 2);
    mp_queue_add_producers(q, -5);
    assert_int_equal(mp_queue_producers(q), 0);
    mp_queue_free(q);
}

static void test_strings_lists_and_wrap(void **state) {
    (void)state;
    /* A small ring, so records wrap around its end many times. */
    mp_queue *q = mp_queue_new(&t_list_str, 0, 4096, 1, "wrap");
    assert_non_null(q);
    char buf[700];
    for (int round = 0; round < 500; round++) {
        int n = 1 + round % 5;
        for (int k = 0; k < n; k++) {
            mp_list *l = mp_list_new(&t_list_str, 0);
            size_t len = (size_t)((round * 131 + k * 17) % 600);
            memset(buf, 'a' + (round + k) % 26, len);
            mp_list_push(l, (mp_val){.s = mp_str_new(buf, len)});
            mp_list_push(l, (mp_val){.s = mp_str_new("it's", 4)});
            assert_int_equal(mp_queue_put(q, (mp_val){.l = l}, 0), 0);
            mp_list_unref(l);
        }
        assert_int_equal(mp_queue_size(q), n);
        for (int k = 0; k < n; k++) {
            mp_val v;
            assert_int_equal(mp_queue_get(q, &v, 0), 0);
            size_t len = (size_t)((round * 131 + k * 17) % 600);
            mp_str *s = mp_list_get(v.l, 0, L).s;
            assert_int_equal(s->len, len);
            for (size_t j = 0; j < len; j++) assert_int_equal(s->data[j], 'a' + (round + k) % 26);
            assert_string_equal(mp_list_get(v.l, 1, L).s->data, "it's");
            mp_list_unref(v.l);
        }
    }
    mp_queue_free(q);
}

/* Int, float and bool slots (8 bytes) in a 4 KiB ring, with the locks:
 * the positions wrap around the ring's end many times. */
static void test_scalars_wrap(void **state) {
    (void)state;
    mp_queue *qi = mp_queue_new(&mp_t_int, 0, 4096, 1, "ints");
    mp_queue *qf = mp_queue_new(&mp_t_float, 0, 4096, 1, "floats");
    mp_queue *qb = mp_queue_new(&mp_t_bool, 0, 4096, 1, "bools");
    int64_t next_put = 0, next_get = 0;
    for (int round = 0; round < 2000; round++) {
        int n = 1 + round % 150;
        for (int k = 0; k < n; k++, next_put++) {
            assert_int_equal(mp_queue_put(qi, int_val(next_put * 7919), 0), 0);
            mp_val f = {.f = (double)next_put / 3.0};
            assert_int_equal(mp_queue_put(qf, f, 0), 0);
            mp_val b = {.b = next_put % 3 == 0};
            assert_int_equal(mp_queue_put(qb, b, 0), 0);
        }
        for (int k = 0; k < n; k++, next_get++) {
            mp_val v;
            assert_int_equal(mp_queue_get(qi, &v, 0), 0);
            assert_int_equal(v.i, next_get * 7919);
            assert_int_equal(mp_queue_get(qf, &v, 0), 0);
            assert_true(v.f == (double)next_get / 3.0);
            assert_int_equal(mp_queue_get(qb, &v, 0), 0);
            assert_int_equal(v.b, next_get % 3 == 0);
        }
    }
    mp_queue_free(qi);
    mp_queue_free(qf);
    mp_queue_free(qb);
}

static void test_bounds_and_sizes(void **state) {
    (void)state;
    mp_queue *q = mp_queue_new(&mp_t_int, 3, 0, 1, "b");
    for (int i = 0; i < 3; i++) assert_int_equal(mp_queue_put(q, int_val(i), 0), 0);
    assert_int_equal(mp_queue_put(q, int_val(3), 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_put(q, int_val(3), 0.01), -1);
    assert_int_equal(errno, ETIMEDOUT);
    mp_val v;
    assert_int_equal(mp_queue_get(q, &v, 0), 0);
    assert_int_equal(mp_queue_put(q, int_val(3), 0), 0);
    assert_int_equal(mp_queue_size(q), 3);
    mp_queue_free(q);

    /* A record that can never fit is refused at once. */
    q = mp_queue_new(&mp_t_str, 0, 4096, 1, "small");
    char big[5000];
    memset(big, 'x', sizeof big);
    mp_str *s = mp_str_new(big, sizeof big);
    assert_int_equal(mp_queue_put(q, (mp_val){.s = s}, -1), -1);
    assert_int_equal(errno, EMSGSIZE);
    mp_str_unref(s);
    /* the largest record that fits: ring - 8 bytes of header */
    s = mp_str_new(big, 4096 - 8 - 5);
    assert_int_equal(mp_queue_put(q, (mp_val){.s = s}, 0), 0);
    assert_int_equal(mp_queue_put(q, (mp_val){.s = s}, 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_get(q, &v, 0), 0);
    assert_true(mp_str_eq(v.s, s));
    mp_str_unref(v.s);
    mp_str_unref(s);
    mp_queue_free(q);

    /* bad arguments */
    assert_null(mp_queue_new(&mp_t_int, 0, 0, -1, "x"));
    assert_int_equal(errno, EINVAL);
    assert_null(mp_queue_new(&mp_t_int, 0, (size_t)2 << 30, 1, "x"));
    assert_int_equal(errno, EINVAL);
}

/* ---- across processes ------------------------------------------------ */

static mp_queue *sq;

/* 8 producers x 8 consumers x 100000 items. Each item is
 * producer << 32 | sequence. Every consumer checks that sequence numbers
 * from each producer only grow (FIFO per producer) and marks each item in
 * a shared array; the test then finds every item marked exactly once. */
enum { NP = 8, NC = 8, PER = 100000 };
static mp_array *seen;

static void stress_producer(void *arg) {
    int64_t id = *(int *)arg;
    for (int64_t s = 0; s < PER; s++) mp_put(sq, int_val(id << 32 | s), L);
}

static void stress_consumer(void *arg) {
    (void)arg;
    int64_t last[NP];
    for (int i = 0; i < NP; i++) last[i] = -1;
    mp_val v;
    while (mp_get_next(sq, &v, L)) {
        int64_t id = v.i >> 32, s = v.i & 0xffffffff;
        if (id < 0 || id >= NP || s >= PER || s <= last[id]) mp_exit(2);
        last[id] = s;
        mp_array_add_i(seen, id * PER + s, 1, L);
    }
}

static void test_stress_8x8(void **state) {
    (void)state;
    sq = mp_queue_new(&mp_t_int, 0, 1 << 16, NP, "stress");
    seen = mp_array_new(MP_INT, NP * PER, "seen");
    assert_non_null(sq);
    assert_non_null(seen);
    mp_proc *ps[NP + NC];
    int ids[NP];
    for (int i = 0; i < NC; i++) {
        ps[NP + i] = mp_proc_new("consumer", i);
        assert_int_equal(mp_proc_start(ps[NP + i], stress_consumer, NULL), 0);
    }
    for (int i = 0; i < NP; i++) {
        ids[i] = i;
        ps[i] = mp_proc_new("producer", i);
        mp_proc_produces(ps[i], sq);
        assert_int_equal(mp_proc_start(ps[i], stress_producer, &ids[i]), 0);
    }
    for (int i = 0; i < NP + NC; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), 0);
        mp_proc_free(ps[i]);
    }
    int64_t *a = mp_array_i(seen);
    for (int64_t i = 0; i < NP * PER; i++)
        if (a[i] != 1)
            fail_msg("item %lld of producer %lld seen %lld times", (long long)(i % PER),
                     (long long)(i / PER), (long long)a[i]);
    assert_true(mp_queue_empty(sq));
    mp_array_free(seen);
    mp_queue_free(sq);
}

/* Big records (up to 1 MB) through a 4 MB ring across processes. */
static void big_producer(void *arg) {
    (void)arg;
    char *buf = malloc(1 << 20);
    for (int i = 0; i < 200; i++) {
        size_t len = (size_t)(i * 7919 % (1 << 20));
        memset(buf, 'A' + i % 26, len);
        mp_str *s = mp_str_new(buf, len);
        mp_put(sq, (mp_val){.s = s}, L);
        mp_str_unref(s);
    }
    free(buf);
}

static void test_big_items_across_processes(void **state) {
    (void)state;
    sq = mp_queue_new(&mp_t_str, 0, 0, 1, "big");
    mp_proc *p = mp_proc_new("big", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(p, big_producer, NULL), 0);
    mp_val v;
    int n = 0;
    while (mp_get_next(sq, &v, L)) {
        size_t len = (size_t)(n * 7919 % (1 << 20));
        assert_int_equal(v.s->len, len);
        for (size_t j = 0; j < len; j += 4099) assert_int_equal(v.s->data[j], 'A' + n % 26);
        if (len) assert_int_equal(v.s->data[len - 1], 'A' + n % 26);
        mp_str_unref(v.s);
        n++;
    }
    assert_int_equal(n, 200);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    mp_queue_free(sq);
}

/* ---- end of stream when producers die -------------------------------- */

struct pipes {
    int ready[2], block[2];
};

static void pipes_open(struct pipes *p) {
    assert_int_equal(pipe(p->ready), 0);
    assert_int_equal(pipe(p->block), 0);
    ready_fd = p->ready[1];
    block_fd = p->block[0];
}

static void pipes_close(struct pipes *p) {
    close(p->ready[0]);
    close(p->ready[1]);
    close(p->block[0]);
    close(p->block[1]);
}

static void puts_then_blocks(void *arg) {
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) mp_put(sq, int_val(i), L);
    signal_and_block();
}

static void counts_until_eof(void *arg) {
    (void)arg;
    mp_val v;
    int n = 0;
    while (mp_get_next(sq, &v, L)) n++;
    mp_exit(n);
}

static void test_killed_producer_gives_eof(void **state) {
    (void)state;
    struct pipes pp;
    pipes_open(&pp);
    sq = mp_queue_new(&mp_t_int, 0, 0, 2, "q");
    int ten = 10, five = 5;
    mp_proc *a = mp_proc_new("a", -1), *b = mp_proc_new("b", -1), *c = mp_proc_new("consumer", -1);
    mp_proc_produces(a, sq);
    mp_proc_produces(b, sq);
    assert_int_equal(mp_proc_start(c, counts_until_eof, NULL), 0);
    assert_int_equal(mp_proc_start(a, puts_then_blocks, &ten), 0);
    assert_int_equal(mp_proc_start(b, puts_then_blocks, &five), 0);
    assert_int_equal(get_byte(pp.ready[0]), 'R');
    assert_int_equal(get_byte(pp.ready[0]), 'R');
    /* both producers have put everything and are blocked; the consumer
     * is blocked in get. Kill them: the consumer must see the end. */
    assert_int_equal(mp_proc_kill(a), 0);
    assert_int_equal(mp_proc_kill(b), 0);
    assert_int_equal(mp_proc_join(c, -1), 0);
    assert_int_equal(mp_proc_exitcode(c), 15);
    assert_int_equal(mp_proc_join(a, -1), 0);
    assert_int_equal(mp_proc_exitcode(a), -SIGKILL);
    assert_int_equal(mp_proc_join(b, -1), 0);
    assert_int_equal(mp_proc_exitcode(b), -SIGKILL);
    assert_int_equal(mp_queue_producers(sq), 0);
    mp_proc_free(a);
    mp_proc_free(b);
    mp_proc_free(c);
    mp_queue_free(sq);
    pipes_close(&pp);
}

/* The parent itself is blocked in get when its producer dies by a
 * signal: its own SIGCHLD handler must wake it. */
static void puts_then_dies(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) mp_put(sq, int_val(i), L);
    raise(SIGKILL);
}

static void test_parent_blocked_in_get_wakes(void **state) {
    (void)state;
    sq = mp_queue_new(&mp_t_int, 0, 0, 1, "q");
    mp_proc *p = mp_proc_new("dies", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(p, puts_then_dies, NULL), 0);
    mp_val v;
    int n = 0;
    while (mp_get_next(sq, &v, L)) n++;
    assert_int_equal(n, 3);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_proc_free(p);
    mp_queue_free(sq);
}

/* Several consumers blocked at once all see the end; an unstarted
 * producer that is freed counts as finished. */
static void test_eof_wakes_every_consumer(void **state) {
    (void)state;
    enum { N = 4 };
    sq = mp_queue_new(&mp_t_int, 0, 0, 2, "q");
    mp_proc *never = mp_proc_new("never", -1);
    mp_proc_produces(never, sq);
    mp_proc *cs[N];
    for (int i = 0; i < N; i++) {
        cs[i] = mp_proc_new("c", i);
        assert_int_equal(mp_proc_start(cs[i], counts_until_eof, NULL), 0);
    }
    for (int i = 0; i < 8; i++) assert_int_equal(mp_queue_put(sq, int_val(i), -1), 0);
    mp_proc_free(never); /* one producer gone */
    assert_int_equal(mp_queue_producers(sq), 1);
    mp_queue_producer_done(sq); /* the test was the other one */
    int total = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(mp_proc_join(cs[i], -1), 0);
        total += mp_proc_exitcode(cs[i]);
        mp_proc_free(cs[i]);
    }
    assert_int_equal(total, 8);
    mp_queue_free(sq);
}

/* ---- crash recovery --------------------------------------------------- */

/* A producer SIGKILLed holding the put lock, with a record's header
 * written but the record not published: others carry on and never see
 * the half record. */
static void dies_mid_put(void *arg) {
    (void)arg;
    mp_put(sq, int_val(1), L);
    mp_put(sq, int_val(2), L);
    mpr_test_queue_hook = signal_and_block;
    mp_put(sq, int_val(666), L);
}

static void test_producer_killed_mid_put(void **state) {
    (void)state;
    struct pipes pp;
    pipes_open(&pp);
    sq = mp_queue_new(&mp_t_int, 0, 0, 2, "q");
    mp_proc *p = mp_proc_new("victim", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(p, dies_mid_put, NULL), 0);
    assert_int_equal(get_byte(pp.ready[0]), 'R');
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    /* The put lock's owner died: the next put takes it over. */
    assert_int_equal(mp_queue_put(sq, int_val(3), 1.0), 0);
    assert_int_equal(mp_queue_size(sq), 3);
    mp_queue_producer_done(sq);
    mp_val v;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(mp_queue_get(sq, &v, 0), 0);
        assert_int_equal(v.i, i);
    }
    assert_int_equal(mp_queue_get(sq, &v, 0), MP_EOF);
    mp_proc_free(p);
    mp_queue_free(sq);
    pipes_close(&pp);
}

/* A consumer SIGKILLed holding the get lock after reading a record's
 * header: the record is not lost, the next consumer gets it. */
static void dies_mid_get(void *arg) {
    (void)arg;
    mpr_test_queue_get_hook = signal_and_block;
    mp_val v;
    mp_queue_get(sq, &v, -1);
    mp_exit(3);
}

static void test_consumer_killed_mid_get(void **state) {
    (void)state;
    struct pipes pp;
    pipes_open(&pp);
    sq = mp_queue_new(&mp_t_str, 0, 0, 1, "q");
    mp_str *s = mp_str_cstr("precious");
    assert_int_equal(mp_queue_put(sq, (mp_val){.s = s}, 0), 0);
    mp_proc *p = mp_proc_new("victim", -1);
    assert_int_equal(mp_proc_start(p, dies_mid_get, NULL), 0);
    assert_int_equal(get_byte(pp.ready[0]), 'R');
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_val v;
    assert_int_equal(mp_queue_get(sq, &v, 1.0), 0);
    assert_true(mp_str_eq(v.s, s));
    mp_str_unref(v.s);
    assert_int_equal(mp_queue_size(sq), 0);
    mp_str_unref(s);
    mp_proc_free(p);
    mp_queue_free(sq);
    pipes_close(&pp);
}

/* A producer killed while blocked on a full queue (or just before it
 * blocks: either way the outcome must be the same). */
static void fills_and_blocks(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) mp_put(sq, int_val(i), L);
    put_byte(ready_fd, 'R');
    mp_put(sq, int_val(3), L); /* full: blocks */
    mp_exit(4);
}

static void test_producer_killed_blocked_on_full(void **state) {
    (void)state;
    struct pipes pp;
    pipes_open(&pp);
    sq = mp_queue_new(&mp_t_int, 3, 0, 1, "full");
    mp_proc *p = mp_proc_new("blocked", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(p, fills_and_blocks, NULL), 0);
    assert_int_equal(get_byte(pp.ready[0]), 'R');
    assert_int_equal(mp_proc_kill(p), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_val v;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mp_queue_get(sq, &v, 0), 0);
        assert_int_equal(v.i, i);
    }
    assert_int_equal(mp_queue_get(sq, &v, -1), MP_EOF);
    mp_proc_free(p);
    mp_queue_free(sq);
    pipes_close(&pp);
}

/* A consumer blocked in get on a full->empty queue wakes on a put from
 * another process, and a producer blocked on a full queue wakes on a
 * get from another process. */
static void gets_one(void *arg) {
    (void)arg;
    mp_val v = mp_get(sq, L);
    mp_exit((int)v.i);
}

static void puts_two(void *arg) {
    (void)arg;
    mp_put(sq, int_val(10), L);
    mp_put(sq, int_val(11), L); /* bound 1: waits for the test */
}

static void test_cross_process_wakeups(void **state) {
    (void)state;
    sq = mp_queue_new(&mp_t_int, 1, 0, 1, "q");
    mp_proc *c = mp_proc_new("getter", -1);
    assert_int_equal(mp_proc_start(c, gets_one, NULL), 0);
    assert_int_equal(mp_queue_put(sq, int_val(42), -1), 0);
    assert_int_equal(mp_proc_join(c, -1), 0);
    assert_int_equal(mp_proc_exitcode(c), 42);
    mp_proc *p = mp_proc_new("putter", -1);
    assert_int_equal(mp_proc_start(p, puts_two, NULL), 0);
    mp_val v;
    assert_int_equal(mp_queue_get(sq, &v, -1), 0);
    assert_int_equal(v.i, 10);
    assert_int_equal(mp_queue_get(sq, &v, -1), 0);
    assert_int_equal(v.i, 11);
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(c);
    mp_proc_free(p);
    mp_queue_free(sq);
}

/* ---- non-blocking calls and rendezvous --------------------------------- */

static mp_queue *nq;
static int nq_ready[2], nq_block[2];

static void hold_put_lock(void) {
    put_byte(nq_ready[1], 'H');
    get_byte(nq_block[0]);
}

/* Holds the put lock (the hook runs inside put) until the test says. */
static void slow_putter(void *arg) {
    (void)arg;
    mpr_test_queue_hook = hold_put_lock;
    mp_exit(mp_queue_put(nq, int_val(1), -1) == 0 ? 0 : 1);
}

/* put_nowait while another process holds the lock: it waits for it. */
static void nowait_putter(void *arg) {
    (void)arg;
    put_byte(nq_ready[1], 'N');
    mp_exit(mp_queue_put(nq, int_val(2), 0) == 0 ? 0 : 1);
}

static void test_nowait_waits_for_a_busy_lock(void **state) {
    (void)state;
    nq = mp_queue_new(&mp_t_int, 10, 0, 2, "nq");
    assert_int_equal(pipe(nq_ready), 0);
    assert_int_equal(pipe(nq_block), 0);
    mp_proc *a = mp_proc_new("slow", -1), *b = mp_proc_new("nowait", -1);
    assert_int_equal(mp_proc_start(a, slow_putter, NULL), 0);
    assert_int_equal(get_byte(nq_ready[0]), 'H');
    assert_int_equal(mp_proc_start(b, nowait_putter, NULL), 0);
    assert_int_equal(get_byte(nq_ready[0]), 'N');
    put_byte(nq_block[1], 'G');
    assert_int_equal(mp_proc_join(a, -1), 0);
    assert_int_equal(mp_proc_join(b, -1), 0);
    assert_int_equal(mp_proc_exitcode(a), 0);
    assert_int_equal(mp_proc_exitcode(b), 0);
    assert_int_equal(mp_queue_size(nq), 2);
    mp_val v;
    assert_int_equal(mp_queue_get(nq, &v, 0), 0);
    assert_int_equal(mp_queue_get(nq, &v, 0), 0);
    mp_proc_free(a);
    mp_proc_free(b);
    mp_queue_free(nq);
    for (int i = 0; i < 2; i++) {
        close(nq_ready[i]);
        close(nq_block[i]);
    }
}

/* Takes one item and sends it back through the pipe. */
static void rv_getter(void *arg) {
    (void)arg;
    mp_val v;
    int r = mp_queue_get(nq, &v, -1);
    put_byte(nq_ready[1], r == 0 ? (char)v.i : 'E');
    mp_exit(0);
}

static void test_rendezvous(void **state) {
    (void)state;
    nq = mp_queue_new(&mp_t_int, MP_RENDEZVOUS, 0, 1, "rv");
    assert_non_null(nq);
    assert_int_equal(pipe(nq_ready), 0);
    /* nobody waits: put_nowait is full, a put with a timeout withdraws */
    assert_int_equal(mp_queue_put(nq, int_val(1), 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_put(nq, int_val(2), 0.01), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_size(nq), 0);
    mp_val v;
    assert_int_equal(mp_queue_get(nq, &v, 0), -1);
    /* a waiting get: put_nowait succeeds once it waits, and returns only
     * when it has been taken */
    mp_proc *c = mp_proc_new("getter", -1);
    assert_int_equal(mp_proc_start(c, rv_getter, NULL), 0);
    while (mp_queue_put(nq, int_val('x'), 0) < 0) assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_size(nq), 0);
    assert_int_equal(get_byte(nq_ready[0]), 'x');
    assert_int_equal(mp_proc_join(c, -1), 0);
    /* a blocking put waits for a get */
    c = mp_proc_new("getter", -1);
    assert_int_equal(mp_proc_start(c, rv_getter, NULL), 0);
    assert_int_equal(mp_queue_put(nq, int_val('y'), -1), 0);
    assert_int_equal(mp_queue_size(nq), 0);
    assert_int_equal(get_byte(nq_ready[0]), 'y');
    assert_int_equal(mp_proc_join(c, -1), 0);
    mp_proc_free(c);
    mp_queue_free(nq);
    close(nq_ready[0]);
    close(nq_ready[1]);
}

/* ---- joinable queues ------------------------------------------------- */

static mp_queue *jq;

/* Takes N items, marking each done; stops short by ARG items (then blocks
 * until killed, holding those tasks undone). */
static void takes_and_finishes(void *arg) {
    int missing = *(int *)arg;
    mp_val v;
    int64_t got = 0;
    while (mp_queue_get(jq, &v, -1) == 0) {
        got++;
        if (got > 1000 - missing) signal_and_block();
        if (mp_queue_task_done(jq) < 0) mp_exit(1);
    }
    mp_exit(0);
}

static void test_joinable(void **state) {
    (void)state;
    /* one process: a put counts, task_done uncounts, one too many fails */
    jq = mp_queue_new(&mp_t_int, 0, 0, 1, "jq");
    assert_int_equal(mp_queue_task_done(jq), -1);
    assert_int_equal(errno, EINVAL); /* not joinable yet */
    assert_int_equal(mp_queue_join(jq, 0), -1);
    assert_int_equal(errno, EINVAL);
    mp_queue_set_joinable(jq);
    assert_int_equal(mp_queue_join(jq, -1), 0); /* nothing put: at once */
    assert_int_equal(mp_queue_task_done(jq), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(mp_queue_put(jq, int_val(1), -1), 0);
    assert_int_equal(mp_queue_put(jq, int_val(2), -1), 0);
    assert_int_equal(mp_queue_unfinished(jq), 2);
    assert_int_equal(mp_queue_join(jq, 0.001), -1); /* two undone */
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_queue_task_done(jq), 0); /* done before taken: as Python */
    assert_int_equal(mp_queue_task_done(jq), 0);
    assert_int_equal(mp_queue_task_done(jq), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(mp_queue_unfinished(jq), 0);
    assert_int_equal(mp_queue_join(jq, 0), 0);
    assert_int_equal(mp_queue_size(jq), 2); /* the items stay */
    mp_queue_free(jq);
}

/* Four workers finish 1000 tasks: join returns only when all are done,
 * and then every item has been taken. */
static void test_joinable_across_processes(void **state) {
    (void)state;
    jq = mp_queue_new(&mp_t_int, 0, 0, 1, "jq");
    mp_queue_set_joinable(jq);
    int none = 0;
    mp_proc *w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = mp_proc_new("w", i);
        assert_int_equal(mp_proc_start(w[i], takes_and_finishes, &none), 0);
    }
    for (int i = 0; i < 1000; i++) assert_int_equal(mp_queue_put(jq, int_val(i), -1), 0);
    assert_int_equal(mp_queue_join(jq, -1), 0);
    assert_int_equal(mp_queue_unfinished(jq), 0);
    assert_int_equal(mp_queue_size(jq), 0);
    mp_queue_add_producers(jq, -1); /* end of stream: the workers leave */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mp_proc_join(w[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(w[i]), 0);
        mp_proc_free(w[i]);
    }
    mp_queue_free(jq);
}

/* A worker killed with tasks undone: those tasks stay unfinished forever
 * (Python's join would wait forever; a join with a timeout shows it). */
static void test_joinable_worker_killed(void **state) {
    (void)state;
    struct pipes pp;
    pipes_open(&pp);
    jq = mp_queue_new(&mp_t_int, 0, 0, 1, "jq");
    mp_queue_set_joinable(jq);
    int three = 3;
    mp_proc *w = mp_proc_new("w", -1);
    assert_int_equal(mp_proc_start(w, takes_and_finishes, &three), 0);
    for (int i = 0; i < 1000; i++) assert_int_equal(mp_queue_put(jq, int_val(i), -1), 0);
    assert_int_equal(get_byte(pp.ready[0]), 'R');
    assert_int_equal(mp_proc_kill(w), 0);
    assert_int_equal(mp_proc_join(w, -1), 0);
    assert_int_equal(mp_queue_unfinished(jq), 3); /* one taken, never done; two queued */
    assert_int_equal(mp_queue_size(jq), 2);
    assert_int_equal(mp_queue_join(jq, 0.001), -1);
    assert_int_equal(errno, ETIMEDOUT);
    mp_val v;
    for (int i = 0; i < 2; i++) { /* another process finishes the rest */
        assert_int_equal(mp_queue_get(jq, &v, -1), 0);
        assert_int_equal(mp_queue_task_done(jq), 0);
    }
    assert_int_equal(mp_queue_unfinished(jq), 1);
    assert_int_equal(mp_queue_task_done(jq), 0); /* for the dead worker */
    assert_int_equal(mp_queue_join(jq, -1), 0);
    mp_proc_free(w);
    mp_queue_free(jq);
    pipes_close(&pp);
}

/* ---- checked variants ------------------------------------------------- */

/* ARG is which case to run; each ends its process with a runtime error. */
static void checked_error(void *arg) {
    int which = (int)(intptr_t)arg;
    mp_queue *q = mp_make_queue(&mp_t_int, 1, 0, "jobs", L);
    mp_val v;
    switch (which) {
    case 0: mp_get(q, MP_LOC(3, 1)); break;
    case 1:
        mp_queue_add_producers(q, 1);
        mp_get_wait(q, 0.0, MP_LOC(3, 2));
        break;
    case 2:
        mp_put_wait(q, int_val(1), 0.0, L);
        mp_put_wait(q, int_val(2), 0.0, MP_LOC(3, 3));
        break;
    case 3: mp_make_queue(&mp_t_int, -1, 0, "neg", MP_LOC(3, 4)); break;
    case 4:
        if (mp_get_next(q, &v, L)) mp_exit(5);
        mp_get_timeout(q, 1.0, &v, MP_LOC(3, 5));
        break;
    case 6:
        mp_queue_set_joinable(q);
        mp_put(q, int_val(1), L);
        mp_task_done(q, L);
        mp_task_done(q, MP_LOC(3, 7));
        break;
    case 5: {
        mp_queue *s = mp_make_queue_unbounded(&mp_t_str, 1, "s", L);
        mp_str fake = {MP_IMMORTAL, 5u << 20, "x", 0};
        mp_put(s, (mp_val){.s = &fake}, MP_LOC(3, 6));
        break;
    }
    }
}

static void test_checked_messages(void **state) {
    (void)state;
    static const char *expect[] = {
        "t.mp:3:1: runtime error: get from 'jobs': queue is empty and every "
        "producer has finished",
        "t.mp:3:2: runtime error: queue.Empty (in process",
        "t.mp:3:3: runtime error: queue.Full (in process",
        "t.mp:3:4: runtime error: queue 'neg' cannot have a negative bound",
        "t.mp:3:5: runtime error: get from 'jobs': queue is empty and every "
        "producer has finished",
        "t.mp:3:6: runtime error: put to 's': item too large for the queue",
        "t.mp:3:7: runtime error: ValueError: task_done() called too many times (in process",
    };
    for (int i = 0; i < 7; i++) {
        mpt_expect_error(checked_error, (void *)(intptr_t)i, expect[i]);
    }
    /* the non-failing paths */
    mp_queue *q = mp_make_queue_unbounded(&mp_t_int, 1, "ok", L);
    mp_val v;
    assert_false(mp_get_timeout(q, 0.001, &v, L));
    mp_put(q, int_val(8), L);
    assert_true(mp_get_timeout(q, 0, &v, L));
    assert_int_equal(v.i, 8);
    mp_put_wait(q, int_val(9), 0.0, L);
    assert_int_equal(mp_get_wait(q, 1.0, L).i, 9);
    mp_put(q, int_val(10), L);
    assert_int_equal(mp_get(q, L).i, 10);
    mp_queue_free(q);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_size),
        cmocka_unit_test(test_strings_lists_and_wrap),
        cmocka_unit_test(test_scalars_wrap),
        cmocka_unit_test(test_bounds_and_sizes),
        cmocka_unit_test(test_stress_8x8),
        cmocka_unit_test(test_big_items_across_processes),
        cmocka_unit_test(test_killed_producer_gives_eof),
        cmocka_unit_test(test_parent_blocked_in_get_wakes),
        cmocka_unit_test(test_eof_wakes_every_consumer),
        cmocka_unit_test(test_producer_killed_mid_put),
        cmocka_unit_test(test_consumer_killed_mid_get),
        cmocka_unit_test(test_producer_killed_blocked_on_full),
        cmocka_unit_test(test_cross_process_wakeups),
        cmocka_unit_test(test_checked_messages),
        cmocka_unit_test(test_nowait_waits_for_a_busy_lock),
        cmocka_unit_test(test_rendezvous),
        cmocka_unit_test(test_joinable),
        cmocka_unit_test(test_joinable_across_processes),
        cmocka_unit_test(test_joinable_worker_killed),
    };
    int r = cmocka_run_group_tests_name("mpr_queue", tests, NULL, NULL);
    mp_finish();
    return r;
}
