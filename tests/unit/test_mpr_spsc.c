/* test_mpr_spsc.c: queues whose sides run without locks
 * (mp_queue_set_spsc) and the fixed 8-byte slots of int, float and bool
 * queues: wrap-around, full and empty, large records, timeouts, end of
 * stream, the switch to locked puts when producers are added, a second
 * process on a lock-free side failing loudly, a producer killed mid-put,
 * joinable and selectable queues, and a 1,000,000-item stress run whose
 * order and sum are checked. Processes synchronize through pipes and the
 * queues themselves; nothing sleeps to order them. */
#define _GNU_SOURCE
#include <errno.h>
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

/* Hook inside queue.c (hidden symbol of libmpr). */
extern void (*mpr_test_queue_hook)(void);

#define L MP_LOC(1, 1)

static mp_val int_val(int64_t i) { return (mp_val){.i = i}; }

static mp_queue *spsc(const mp_type *t, size_t max_items, size_t ring, int64_t producers) {
    mp_queue *q = mp_queue_new(t, max_items, ring, producers, "q");
    assert_non_null(q);
    mp_queue_set_spsc(q);
    assert_true(mp_queue_is_spsc(q));
    return q;
}

/* ---- one process ------------------------------------------------------ */

/* 8-byte slots in a 4 KiB ring (512 slots): the positions wrap around
 * the ring hundreds of times; fill it to the last slot, then drain. */
static void test_slots_wrap_full_empty(void **state) {
    (void)state;
    mp_queue *qi = spsc(&mp_t_int, 0, 4096, 1);
    mp_queue *qf = spsc(&mp_t_float, 0, 4096, 1);
    mp_queue *qb = spsc(&mp_t_bool, 0, 4096, 1);
    int64_t next_put = 0, next_get = 0;
    for (int round = 0; round < 600; round++) {
        int n = 1 + round % 512;
        for (int k = 0; k < n; k++, next_put++) {
            assert_int_equal(mp_queue_put(qi, int_val(next_put * -7919), 0), 0);
            assert_int_equal(mp_queue_put(qf, (mp_val){.f = (double)next_put / 3.0}, 0), 0);
            assert_int_equal(mp_queue_put(qb, (mp_val){.b = next_put % 3 == 0}, 0), 0);
        }
        assert_int_equal(mp_queue_size(qi), n);
        if (n == 512) { /* full: 512 slots of 8 bytes */
            assert_int_equal(mp_queue_put(qi, int_val(1), 0), -1);
            assert_int_equal(errno, ETIMEDOUT);
            assert_int_equal(mp_queue_put(qi, int_val(1), 0.001), -1);
            assert_int_equal(errno, ETIMEDOUT);
        }
        for (int k = 0; k < n; k++, next_get++) {
            mp_val v;
            assert_int_equal(mp_queue_get(qi, &v, 0), 0);
            assert_int_equal(v.i, next_get * -7919);
            assert_int_equal(mp_queue_get(qf, &v, 0), 0);
            assert_true(v.f == (double)next_get / 3.0);
            assert_int_equal(mp_queue_get(qb, &v, 0), 0);
            assert_int_equal(v.b, next_get % 3 == 0);
        }
        assert_true(mp_queue_empty(qi));
        mp_val v;
        assert_int_equal(mp_queue_get(qi, &v, 0), -1);
        assert_int_equal(errno, ETIMEDOUT);
    }
    /* extreme values survive the slot */
    int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1};
    for (int i = 0; i < 4; i++) assert_int_equal(mp_queue_put(qi, int_val(ints[i]), 0), 0);
    for (int i = 0; i < 4; i++) assert_int_equal(mp_get(qi, L).i, ints[i]);
    mp_queue_put(qf, (mp_val){.f = -0.0}, 0);
    mp_val z = mp_get(qf, L);
    assert_true(z.f == 0.0 && __builtin_signbit(z.f));
    mp_queue_free(qi);
    mp_queue_free(qf);
    mp_queue_free(qb);
}

/* Records of every size up to the largest that fits wrap around a small
 * ring in the lock-free mode; a bound on items is kept. */
static void test_records_wrap_and_bounds(void **state) {
    (void)state;
    mp_queue *q = spsc(&mp_t_str, 0, 4096, 1);
    static char buf[4096];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round * 733 % (4096 - 8 - 5 + 1));
        memset(buf, 'a' + round % 26, len);
        mp_str *s = mp_str_new(buf, len);
        assert_int_equal(mp_queue_put(q, (mp_val){.s = s}, 0), 0);
        mp_val v;
        assert_int_equal(mp_queue_get(q, &v, 0), 0);
        assert_true(mp_str_eq(v.s, s));
        mp_str_unref(v.s);
        mp_str_unref(s);
    }
    mp_str *big = mp_str_new(buf, 4096 - 8 - 4); /* one byte too many */
    assert_int_equal(mp_queue_put(q, (mp_val){.s = big}, -1), -1);
    assert_int_equal(errno, EMSGSIZE);
    mp_str_unref(big);
    mp_queue_free(q);

    q = spsc(&mp_t_int, 3, 0, 1);
    for (int i = 0; i < 3; i++) assert_int_equal(mp_queue_put(q, int_val(i), 0), 0);
    assert_int_equal(mp_queue_put(q, int_val(3), 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(mp_get(q, L).i, 0);
    assert_int_equal(mp_queue_put(q, int_val(3), 0), 0);
    assert_int_equal(mp_queue_size(q), 3);
    mp_queue_free(q);
}

/* The end of stream as in the locked mode; a rendezvous stays locked. */
static void test_eof_and_rendezvous(void **state) {
    (void)state;
    mp_queue *q = spsc(&mp_t_int, 0, 0, 1);
    mp_val v;
    assert_int_equal(mp_queue_put(q, int_val(5), 0), 0);
    mp_queue_producer_done(q);
    assert_int_equal(mp_queue_get(q, &v, -1), 0); /* drains first */
    assert_int_equal(v.i, 5);
    assert_int_equal(mp_queue_get(q, &v, -1), MP_EOF);
    assert_int_equal(mp_queue_get(q, &v, 0.01), MP_EOF);
    mp_queue_free(q);

    q = mp_queue_new(&mp_t_int, MP_RENDEZVOUS, 0, 1, "r");
    mp_queue_set_spsc(q);
    assert_false(mp_queue_is_spsc(q));
    mp_queue_free(q);
}

/* More producers: the put side takes its lock again, the get side stays
 * lock-free; adding none (a group of 1) changes nothing. */
static void test_add_producers_locks_puts(void **state) {
    (void)state;
    mp_queue *q = spsc(&mp_t_int, 0, 0, 1);
    mp_queue_add_producers(q, 0);
    assert_true(mp_queue_is_spsc(q));
    mp_queue_add_producers(q, -1);
    assert_true(mp_queue_is_spsc(q));
    mp_queue_add_producers(q, 2);
    assert_false(mp_queue_is_spsc(q));
    assert_int_equal(mp_queue_producers(q), 2);
    mp_queue_free(q);
}

/* ---- across processes ------------------------------------------------- */

static mp_queue *sq;
enum { STRESS = 1000000 };

static void seq_producer(void *arg) {
    int64_t n = *(int64_t *)arg;
    for (int64_t i = 0; i < n; i++) mp_put(sq, int_val(i), L);
}

/* Takes items until the end of stream; exits 0 only if they were 0, 1,
 * 2, ... N-1 in order (N in *arg) with the right sum. */
static void seq_consumer(void *arg) {
    int64_t n = *(int64_t *)arg, next = 0, sum = 0;
    mp_val v;
    while (mp_get_next(sq, &v, L)) {
        if (v.i != next) mp_exit(2);
        sum += v.i;
        next++;
    }
    mp_exit(next == n && sum == n * (n - 1) / 2 ? 0 : 3);
}

static void run_pair(int64_t n) {
    mp_proc *c = mp_proc_new("consumer", -1), *p = mp_proc_new("producer", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(c, seq_consumer, &n), 0);
    assert_int_equal(mp_proc_start(p, seq_producer, &n), 0);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    assert_int_equal(mp_proc_join(c, -1), 0);
    assert_int_equal(mp_proc_exitcode(c), 0);
    mp_proc_free(p);
    mp_proc_free(c);
}

/* 1,000,000 items through the default ring, then through a ring of 64
 * slots where both sides sleep on full and empty over and over. */
static void test_stress_million(void **state) {
    (void)state;
    sq = spsc(&mp_t_int, 0, 0, 1);
    run_pair(STRESS);
    assert_true(mp_queue_is_spsc(sq));
    mp_queue_free(sq);
    sq = spsc(&mp_t_int, 64, 0, 1);
    run_pair(STRESS / 4);
    mp_queue_free(sq);
}

/* Large records (up to 60 KiB) through a 64 KiB ring across processes. */
static void big_producer(void *arg) {
    (void)arg;
    char *buf = malloc(60000);
    for (int i = 0; i < 400; i++) {
        size_t len = (size_t)(i * 7919 % 60000);
        memset(buf, 'A' + i % 26, len);
        mp_str *s = mp_str_new(buf, len);
        mp_put(sq, (mp_val){.s = s}, L);
        mp_str_unref(s);
    }
    free(buf);
}

static void test_big_records_across_processes(void **state) {
    (void)state;
    sq = spsc(&mp_t_str, 0, 64 << 10, 1);
    mp_proc *p = mp_proc_new("big", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(p, big_producer, NULL), 0);
    mp_val v;
    int i = 0;
    while (mp_get_next(sq, &v, L)) {
        size_t len = (size_t)(i * 7919 % 60000);
        assert_int_equal(v.s->len, len);
        for (size_t j = 0; j < len; j += 997) assert_int_equal(v.s->data[j], 'A' + i % 26);
        mp_str_unref(v.s);
        i++;
    }
    assert_int_equal(i, 400);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), 0);
    mp_proc_free(p);
    mp_queue_free(sq);
}

/* A consumer waiting with a timeout gets queue-empty timeouts, then the
 * items once the producer (started after it) puts them. */
static int go[2];

static void late_producer(void *arg) {
    (void)arg;
    get_byte(go[0]);
    for (int i = 0; i < 3; i++) mp_put(sq, int_val(i), L);
}

static void test_timeouts_across_processes(void **state) {
    (void)state;
    assert_int_equal(pipe(go), 0);
    sq = spsc(&mp_t_int, 0, 0, 1);
    mp_proc *p = mp_proc_new("late", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(p, late_producer, NULL), 0);
    mp_val v;
    assert_false(mp_get_timeout(sq, 0.01, &v, L));
    assert_int_equal(mp_queue_get(sq, &v, 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    put_byte(go[1], 'g');
    for (int i = 0; i < 3; i++) {
        assert_true(mp_get_timeout(sq, 10.0, &v, L));
        assert_int_equal(v.i, i);
    }
    assert_false(mp_get_next(sq, &v, L));
    assert_int_equal(mp_proc_join(p, -1), 0);
    mp_proc_free(p);
    mp_queue_free(sq);
    close(go[0]);
    close(go[1]);
}

/* Two producers after mp_queue_add_producers: puts are locked, every item
 * arrives once and in order per producer. */
static void tagged_producer(void *arg) {
    int64_t id = *(int64_t *)arg;
    for (int64_t i = 0; i < 100000; i++) mp_put(sq, int_val(id << 32 | i), L);
}

static void test_switched_to_two_producers(void **state) {
    (void)state;
    sq = spsc(&mp_t_int, 256, 0, 1);
    mp_queue_add_producers(sq, 1);
    assert_false(mp_queue_is_spsc(sq));
    int64_t ids[2] = {0, 1};
    mp_proc *ps[2];
    for (int i = 0; i < 2; i++) {
        ps[i] = mp_proc_new("producer", i);
        mp_proc_produces(ps[i], sq);
        assert_int_equal(mp_proc_start(ps[i], tagged_producer, &ids[i]), 0);
    }
    int64_t next[2] = {0, 0};
    mp_val v;
    while (mp_get_next(sq, &v, L)) {
        int64_t id = v.i >> 32;
        assert_true(id == 0 || id == 1);
        assert_int_equal(v.i & 0xffffffff, next[id]);
        next[id]++;
    }
    assert_int_equal(next[0], 100000);
    assert_int_equal(next[1], 100000);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mp_proc_join(ps[i], -1), 0);
        assert_int_equal(mp_proc_exitcode(ps[i]), 0);
        mp_proc_free(ps[i]);
    }
    mp_queue_free(sq);
}

/* A second process getting from (putting into) a lock-free side is a
 * runtime error naming the first, not a race. */
static void second_getter(void *arg) {
    (void)arg;
    mp_get(sq, MP_LOC(7, 3));
}

static void second_putter(void *arg) {
    (void)arg;
    mp_put(sq, int_val(1), MP_LOC(8, 5));
}

static void test_second_process_fails(void **state) {
    (void)state;
    sq = spsc(&mp_t_int, 0, 0, 2);
    mp_put(sq, int_val(1), L);            /* this process is the producer */
    assert_int_equal(mp_get(sq, L).i, 1); /* and the consumer */
    mpt_expect_error(second_getter, NULL,
                     "t.mp:7:3: runtime error: get from 'q': the queue has one consumer, process");
    mpt_expect_error(second_putter, NULL,
                     "t.mp:8:5: runtime error: put into 'q': the queue has one producer, process");
    mp_queue_free(sq);
}

/* A producer killed mid-put (slot claimed, nothing published): the
 * consumer takes what was published and sees the end of the stream. */
static int ready[2], block[2];

static void signal_and_block(void) {
    put_byte(ready[1], 'R');
    get_byte(block[0]);
    _exit(99);
}

static void dies_mid_put(void *arg) {
    (void)arg;
    for (int i = 0; i < 100; i++) mp_put(sq, int_val(i), L);
    mpr_test_queue_hook = signal_and_block;
    mp_put(sq, int_val(666), L);
}

static void test_producer_killed_mid_put(void **state) {
    (void)state;
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(block), 0);
    sq = spsc(&mp_t_int, 0, 0, 1);
    mp_proc *p = mp_proc_new("victim", -1);
    mp_proc_produces(p, sq);
    assert_int_equal(mp_proc_start(p, dies_mid_put, NULL), 0);
    assert_int_equal(get_byte(ready[0]), 'R');
    assert_int_equal(mp_proc_kill(p), 0);
    mp_val v;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(mp_queue_get(sq, &v, 10.0), 0);
        assert_int_equal(v.i, i);
    }
    assert_int_equal(mp_queue_get(sq, &v, 10.0), MP_EOF);
    assert_int_equal(mp_proc_join(p, -1), 0);
    assert_int_equal(mp_proc_exitcode(p), -SIGKILL);
    mp_proc_free(p);
    mp_queue_free(sq);
    close(ready[0]);
    close(ready[1]);
    close(block[0]);
    close(block[1]);
}

/* Joinable: every item put is one task until task_done. */
static void done_consumer(void *arg) {
    (void)arg;
    mp_val v;
    while (mp_get_next(sq, &v, L)) mp_task_done(sq, L);
}

static void test_joinable(void **state) {
    (void)state;
    sq = spsc(&mp_t_int, 16, 0, 1);
    mp_queue_set_joinable(sq);
    mp_proc *c = mp_proc_new("consumer", -1);
    assert_int_equal(mp_proc_start(c, done_consumer, NULL), 0);
    for (int i = 0; i < 1000; i++) mp_put(sq, int_val(i), L);
    mp_queue_join_all(sq, L);
    assert_int_equal(mp_queue_unfinished(sq), 0);
    mp_queue_producer_done(sq);
    assert_int_equal(mp_proc_join(c, -1), 0);
    assert_int_equal(mp_proc_exitcode(c), 0);
    mp_proc_free(c);
    mp_queue_free(sq);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_wrap_full_empty),
        cmocka_unit_test(test_records_wrap_and_bounds),
        cmocka_unit_test(test_eof_and_rendezvous),
        cmocka_unit_test(test_add_producers_locks_puts),
        cmocka_unit_test(test_stress_million),
        cmocka_unit_test(test_big_records_across_processes),
        cmocka_unit_test(test_timeouts_across_processes),
        cmocka_unit_test(test_switched_to_two_producers),
        cmocka_unit_test(test_second_process_fails),
        cmocka_unit_test(test_producer_killed_mid_put),
        cmocka_unit_test(test_joinable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
