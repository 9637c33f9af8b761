/* test_mpr_handles.c: arrays of pipe ends and queues (handles.c): made
 * with their elements' names, indexed as Python indexes a list (negative
 * from the end, IndexError out of range, catchable), messages through
 * each element apart, and a process given a whole array. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

#define L MP_LOC(1, 1)

static bool str_is(const mp_str *s, const char *want) {
    return s->len == strlen(want) && memcmp(s->data, want, s->len) == 0;
}

static void test_pipes_named_and_apart(void **state) {
    (void)state;
    mp_conn *a[3], *b[3];
    mp_make_pipes(a, b, 3, &mp_t_int, true, "a", "b", L);
    assert_string_equal(mp_conn_name(a[0]), "a[0]");
    assert_string_equal(mp_conn_name(b[2]), "b[2]");
    for (int k = 0; k < 3; k++) mp_send(a[k], (mp_val){.i = 10 * k}, L);
    for (int k = 2; k >= 0; k--) assert_int_equal(mp_recv(b[k], L).i, 10 * k);
    mp_conns l = {3, b};
    assert_ptr_equal(mp_conns_at(l, 0, L), b[0]);
    assert_ptr_equal(mp_conns_at(l, -1, L), b[2]);
    assert_ptr_equal(mp_conns_at(l, -3, L), b[0]);
    for (int k = 0; k < 3; k++) {
        mp_conn_close(a[k]);
        mp_conn_close(b[k]);
    }
}

static void test_queues_named_with_producers(void **state) {
    (void)state;
    mp_queue *q[2];
    mp_make_queues(q, 2, &mp_t_int, true, 4, 1, "q", L);
    assert_string_equal(mp_queue_name(q[1]), "q[1]");
    mp_self_produces(q[0]);
    mp_self_produces(q[1]);
    mp_put(q[1], (mp_val){.i = 7}, L);
    mp_self_done(q[0]);
    mp_self_done(q[1]);
    mp_val v;
    assert_false(mp_get_next(q[0], &v, L)); /* q[0] ended: its one producer is done */
    assert_true(mp_get_next(q[1], &v, L));
    assert_int_equal(v.i, 7);
    assert_false(mp_get_next(q[1], &v, L));
    mp_queues l = {2, q};
    assert_ptr_equal(mp_queues_at(l, -2, L), q[0]);
}

/* Out of range inside a try: IndexError, pending, and NULL back. */
static void test_index_error_caught(void **state) {
    (void)state;
    mp_queue *q[2];
    mp_make_queues(q, 2, &mp_t_int, false, 0, 0, "q", L);
    mp_queues l = {2, q};
    mp_try_enter();
    assert_null(mp_queues_at(l, 2, L));
    assert_true(mp_exc_flag);
    assert_true(mp_exc_is(MP_EXC_IndexError));
    mp_exc *e = mp_exc_catch();
    mp_try_leave();
    assert_true(str_is(mp_exc_message(e), "list index out of range"));
    mp_exc_unref(e);
    mp_try_enter();
    assert_null(mp_queues_at(l, -3, L));
    assert_true(mp_exc_is(MP_EXC_IndexError));
    mp_exc_unref(mp_exc_catch());
    mp_try_leave();
}

static void index_past_end(void *arg) {
    mp_conns *l = arg;
    mp_conns_at(*l, 5, MP_LOC(3, 9));
}

static void test_index_error_uncaught(void **state) {
    (void)state;
    mp_conn *a[2], *b[2];
    mp_make_pipes(a, b, 2, &mp_t_int, false, "tx", "rx", L);
    mp_conns l = {2, a};
    mpt_expect_error(index_past_end, &l, "3:9: runtime error: IndexError: list index out of range");
}

/* A child given a whole array keeps every end of it; one given nothing
 * of it has them all closed, so the readers see end of file. */
static void sends_all(void *arg) {
    mp_conns *l = arg;
    for (int64_t k = 0; k < l->n; k++) mp_send(l->at[k], (mp_val){.i = k}, L);
}

static void test_process_uses_all(void **state) {
    (void)state;
    mp_conn *tx[3], *rx[3];
    mp_make_pipes(tx, rx, 3, &mp_t_int, false, "tx", "rx", L);
    mp_conns l = {3, tx};
    mp_proc *p = mp_proc_new("p", -1);
    mp_proc_uses_all(p, l);
    mp_start(p, sends_all, &l, L);
    for (int k = 0; k < 3; k++) mp_conn_close(tx[k]);
    for (int k = 0; k < 3; k++) {
        mp_val v;
        assert_true(mp_recv_next(rx[k], &v, L));
        assert_int_equal(v.i, k);
        assert_false(mp_recv_next(rx[k], &v, L)); /* the child was the last holder */
    }
    mp_join(p, L);
    assert_int_equal(mp_proc_exitcode(p), 0);
}

/* A child producing into every queue of an array: each stream ends when
 * it finishes. */
static void puts_first(void *arg) {
    mp_queues *l = arg;
    mp_put(l->at[0], (mp_val){.i = 1}, L);
}

static void test_process_produces_all(void **state) {
    (void)state;
    mp_queue *q[3];
    mp_make_queues(q, 3, &mp_t_int, false, 0, 1, "q", L);
    mp_queues l = {3, q};
    mp_proc *p = mp_proc_new("p", -1);
    mp_proc_produces_all(p, l);
    mp_start(p, puts_first, &l, L);
    mp_val v;
    assert_true(mp_get_next(q[0], &v, L));
    assert_int_equal(v.i, 1);
    for (int k = 0; k < 3; k++) assert_false(mp_get_next(q[k], &v, L));
    mp_join(p, L);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipes_named_and_apart),
        cmocka_unit_test(test_queues_named_with_producers),
        cmocka_unit_test(test_index_error_caught),
        cmocka_unit_test(test_index_error_uncaught),
        cmocka_unit_test(test_process_uses_all),
        cmocka_unit_test(test_process_produces_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
