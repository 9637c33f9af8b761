/* test_mpr_exc.c: the runtime's exceptions: the kinds and their hierarchy,
 * the pending state inside a try (mp_raise returns), catching, raising
 * again, and the uncaught report outside any try. */
#define _GNU_SOURCE
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

#define L MP_LOC(5, 7)

static const mp_type t_list_int = {MP_LIST, &mp_t_int};

static bool str_is(const mp_str *s, const char *want) {
    return s->len == strlen(want) && memcmp(s->data, want, s->len) == 0;
}

static void test_kinds(void **state) {
    (void)state;
    assert_string_equal(mp_exc_name(MP_EXC_ValueError), "ValueError");
    assert_string_equal(mp_exc_name(MP_EXC_Empty), "queue.Empty");
    assert_string_equal(mp_exc_name(MP_EXC_Full), "queue.Full");
    assert_true(mp_exc_subclass(MP_EXC_IndexError, MP_EXC_LookupError));
    assert_true(mp_exc_subclass(MP_EXC_KeyError, MP_EXC_LookupError));
    assert_true(mp_exc_subclass(MP_EXC_ZeroDivisionError, MP_EXC_ArithmeticError));
    assert_true(mp_exc_subclass(MP_EXC_OverflowError, MP_EXC_ArithmeticError));
    assert_true(mp_exc_subclass(MP_EXC_TimeoutError, MP_EXC_OSError));
    assert_true(mp_exc_subclass(MP_EXC_RecursionError, MP_EXC_RuntimeError));
    assert_false(mp_exc_subclass(MP_EXC_ValueError, MP_EXC_LookupError));
    assert_false(mp_exc_subclass(MP_EXC_Exception, MP_EXC_ValueError));
    assert_false(mp_exc_subclass((mp_exc_kind)MP_EXC__COUNT, MP_EXC_Exception));
    for (int k = 0; k < MP_EXC__COUNT; k++)
        assert_true(mp_exc_subclass((mp_exc_kind)k, MP_EXC_Exception));
}

static void test_pending(void **state) {
    (void)state;
    assert_false(mp_exc_flag);
    mp_try_enter();
    assert_int_equal(mp_add(INT64_MAX, 1, L), 0); /* returns, harmless */
    assert_true(mp_exc_flag);
    /* a second raise while one is pending keeps the first */
    mp_raise(MP_EXC_ValueError, L, "second");
    assert_true(mp_exc_is(MP_EXC_OverflowError));
    assert_true(mp_exc_is(MP_EXC_ArithmeticError));
    assert_true(mp_exc_is(MP_EXC_Exception));
    assert_false(mp_exc_is(MP_EXC_ValueError));
    mp_try_leave();
    mp_exc *e = mp_exc_catch();
    assert_non_null(e);
    assert_false(mp_exc_flag);
    assert_null(mp_exc_catch());
    assert_int_equal(mp_exc_kind_of(e), MP_EXC_OverflowError);
    assert_true(str_is(mp_exc_message(e), "integer overflow"));
    mp_str *r = mp_exc_repr(e);
    assert_true(str_is(r, "OverflowError('integer overflow')"));
    mp_str_unref(r);
    mp_exc_unref(e);
}

static void test_harmless_results(void **state) {
    (void)state;
    mp_try_enter();
    mp_list *l = mp_list_new(&t_list_int, 0);
    assert_int_equal(mp_list_get(l, 3, L).i, 0);
    mp_exc_unref(mp_exc_catch());
    mp_list_set(l, 0, (mp_val){.i = 1}, L);
    mp_exc *e = mp_exc_catch();
    assert_true(str_is(mp_exc_message(e), "list assignment index out of range"));
    mp_exc_unref(e);
    assert_int_equal(mp_list_pop(l, -1, L).i, 0);
    mp_exc_unref(mp_exc_catch());
    mp_str *s = mp_str_cstr("ab");
    mp_str *c = mp_str_index(s, 5, L);
    assert_int_equal(c->len, 0);
    mp_str_unref(c);
    mp_exc_unref(mp_exc_catch());
    assert_int_equal(mp_int_of_str(s, L), 0);
    e = mp_exc_catch();
    assert_int_equal(mp_exc_kind_of(e), MP_EXC_ValueError);
    assert_true(str_is(mp_exc_message(e), "invalid literal for int() with base 10: 'ab'"));
    mp_exc_unref(e);
    assert_true(mp_fdiv(1.0, 0.0, L) == 0.0);
    assert_true(mp_exc_is(MP_EXC_ZeroDivisionError));
    mp_exc_unref(mp_exc_catch());
    mp_array *a = mp_make_array(MP_INT, 2, "a", L);
    mp_array_store_i(a, 9, 5, L); /* a scratch slot, not past the array */
    assert_true(mp_exc_is(MP_EXC_IndexError));
    mp_exc_unref(mp_exc_catch());
    mp_str_unref(s);
    mp_list_unref(l);
    mp_try_leave();
    assert_false(mp_exc_flag);
}

static void test_raise_str_and_reraise(void **state) {
    (void)state;
    mp_try_enter();
    mp_str *m = mp_str_cstr("k");
    mp_raise_str(MP_EXC_KeyError, m, L);
    mp_str_unref(m);
    mp_exc *e = mp_exc_catch();
    /* Python's str(KeyError('k')) is "'k'" */
    assert_true(str_is(mp_exc_message(e), "'k'"));
    mp_exc_reraise(mp_exc_ref(e)); /* pending again, the same object */
    assert_true(mp_exc_is(MP_EXC_KeyError));
    mp_exc *again = mp_exc_catch();
    assert_ptr_equal(again, e);
    mp_exc_unref(again);
    mp_exc_unref(e);
    mp_exc_reraise(NULL); /* nothing */
    assert_false(mp_exc_flag);
    mp_try_leave();
}

static void raise_uncaught(void *arg) {
    (void)arg;
    mp_raise(MP_EXC_ValueError, MP_LOC(2, 3), "bad %d", 7);
    _exit(9); /* not reached: no try is active */
}

static void raise_empty(void *arg) {
    (void)arg;
    mp_raise(MP_EXC_EOFError, MP_LOC(2, 4), "%s", "");
    _exit(9);
}

static void reraise_uncaught(void *arg) {
    (void)arg;
    mp_try_enter();
    mp_raise(MP_EXC_IndexError, MP_LOC(2, 5), "first");
    mp_try_leave();
    mp_exc_reraise(mp_exc_catch()); /* outside the try: reported at 2:5 */
    _exit(9);
}

/* A child started inside a try has none active: it reports and exits. */
static void child_of_try(void *arg) {
    (void)arg;
    assert_int_equal(mp_try_depth, 0);
    mp_raise(MP_EXC_TypeError, MP_LOC(2, 6), "in the child");
    _exit(9);
}

static void test_uncaught(void **state) {
    (void)state;
    mpt_expect_error(raise_uncaught, NULL,
                     "t.mp:2:3: runtime error: ValueError: bad 7 (in process t, pid ");
    mpt_expect_error(raise_empty, NULL, "t.mp:2:4: runtime error: EOFError (in process t, pid ");
    mpt_expect_error(reraise_uncaught, NULL,
                     "t.mp:2:5: runtime error: IndexError: first (in process t, pid ");
    mp_try_enter();
    mpt_expect_error(child_of_try, NULL,
                     "t.mp:2:6: runtime error: TypeError: in the child (in process t, pid ");
    mp_try_leave();
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_harmless_results),
        cmocka_unit_test(test_raise_str_and_reraise),
        cmocka_unit_test(test_uncaught),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    mp_finish();
    return r;
}
