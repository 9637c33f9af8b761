/* test_mpr_value.c: strings, lists, generic values (value.c). */
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

static const mp_type t_list_int = {MP_LIST, &mp_t_int};
static const mp_type t_list_str = {MP_LIST, &mp_t_str};
static const mp_type t_list_list_int = {MP_LIST, &t_list_int};
static const mp_type t_list_float = {MP_LIST, &mp_t_float};

/* len() counts characters: a multi-byte one anywhere, in particular on
 * each side of the eight-byte steps of the ASCII scan, counts once. */
static void test_str_len_every_position(void **state) {
    (void)state;
    char buf[40];
    for (size_t n = 0; n <= 24; n++) {
        memset(buf, 'a', n);
        mp_str *plain = mp_str_new(buf, n);
        assert_int_equal(mp_str_len(plain), (int64_t)n);
        mp_str_unref(plain);
        for (size_t at = 0; at <= n; at++) { /* "\u00e9" (2 bytes) at AT */
            memset(buf, 'a', n + 2);
            memmove(buf + at + 2, buf + at, n - at);
            buf[at] = (char)0xc3;
            buf[at + 1] = (char)0xa9;
            mp_str *s = mp_str_new(buf, n + 2);
            assert_int_equal(mp_str_len(s), (int64_t)n + 1);
            mp_str_unref(s);
        }
    }
}

static void test_str_basics(void **state) {
    (void)state;
    static mp_str lit = {MP_IMMORTAL, 5, "hello", 0};
    mp_str *a = mp_str_cstr("hello");
    assert_int_equal(mp_str_len(a), 5);
    assert_true(mp_str_eq(a, &lit));
    assert_int_equal(mp_str_cmp(a, &lit), 0);
    mp_str *b = mp_str_new("hell\0o", 6);
    assert_int_equal(mp_str_len(b), 6);
    assert_int_equal(b->data[6], '\0');
    assert_false(mp_str_eq(a, b));
    assert_true(mp_str_cmp(b, a) < 0); /* '\0' < 'o' */
    mp_str *c = mp_str_concat(a, b);
    assert_int_equal(mp_str_len(c), 11);
    assert_memory_equal(c->data, "hellohell\0o", 11);
    mp_str *r = mp_str_repeat(&lit, 3);
    assert_string_equal(r->data, "hellohellohello");
    mp_str *e = mp_str_repeat(&lit, -2);
    assert_int_equal(mp_str_len(e), 0);
    assert_string_equal(e->data, "");
    assert_ptr_equal(mp_str_ref(a), a);
    assert_int_equal(a->refs, 2);
    mp_str_unref(a);
    assert_ptr_equal(mp_str_ref(&lit), &lit);
    mp_str_unref(&lit);
    mp_str_unref(&lit);
    assert_int_equal(lit.refs, MP_IMMORTAL);
    mp_str_unref(NULL);
    mp_str *i0 = mp_str_index(a, 0, MP_LOC(1, 1));
    mp_str *il = mp_str_index(a, -1, MP_LOC(1, 1));
    assert_string_equal(i0->data, "h");
    assert_string_equal(il->data, "o");
    mp_str_unref(i0);
    mp_str_unref(il);
    mp_str *x = mp_str_cstr("abc"), *y = mp_str_cstr("abd"), *z = mp_str_cstr("ab");
    assert_true(mp_str_cmp(x, y) < 0);
    assert_true(mp_str_cmp(y, x) > 0);
    assert_true(mp_str_cmp(z, x) < 0);
    mp_str_unref(x);
    mp_str_unref(y);
    mp_str_unref(z);
    mp_str_unref(a);
    mp_str_unref(b);
    mp_str_unref(c);
    mp_str_unref(r);
    mp_str_unref(e);
}

static void str_index_oob(void *arg) {
    (void)arg;
    mp_str *s = mp_str_cstr("abc");
    mp_str_index(s, 3, MP_LOC(4, 9));
}

static void str_index_neg_oob(void *arg) {
    (void)arg;
    mp_str *s = mp_str_cstr("abc");
    mp_str_index(s, -4, MP_LOC(4, 9));
}

static void test_str_index_errors(void **state) {
    (void)state;
    mpt_expect_error(str_index_oob, NULL,
                     "t.mp:4:9: runtime error: IndexError: string index out of range "
                     "(in process t, pid ");
    mpt_expect_error(str_index_neg_oob, NULL, "string index out of range");
}

/* Characters of S by mp_str_next, joined with '|'. */
static void walk(const mp_str *s, char *out) {
    out[0] = '\0';
    for (size_t off = 0; off < s->len;) {
        mp_str *ch = mp_str_next(s, &off);
        if (out[0]) strcat(out, "|");
        strcat(out, ch->data);
        mp_str_unref(ch);
    }
}

static void test_str_characters(void **state) {
    (void)state;
    char buf[256];
    /* 1-, 2-, 3- and 4-byte characters */
    mp_str *s = mp_str_cstr("h\xc3\xa9llo\xe2\x86\x92\xf0\x9f\x98\x80");
    assert_int_equal(mp_str_len(s), 7);
    assert_int_equal(s->len, 13);
    const char *want[] = {"h", "\xc3\xa9", "l", "l", "o", "\xe2\x86\x92", "\xf0\x9f\x98\x80"};
    for (int i = 0; i < 7; i++) {
        mp_str *c = mp_str_index(s, i, MP_LOC(1, 1));
        mp_str *d = mp_str_index(s, i - 7, MP_LOC(1, 1));
        assert_string_equal(c->data, want[i]);
        assert_string_equal(d->data, want[i]);
        assert_int_equal(mp_str_len(c), 1);
        mp_str_unref(c);
        mp_str_unref(d);
    }
    walk(s, buf);
    assert_string_equal(buf, "h|\xc3\xa9|l|l|o|\xe2\x86\x92|\xf0\x9f\x98\x80");
    /* not UTF-8: each such byte is a character (truncated, stray
     * continuation, overlong, surrogate, over U+10FFFF, invalid lead) */
    mp_str *bad = mp_str_new("\xc3(\x82\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff\xe2\x82", 15);
    assert_int_equal(mp_str_len(bad), 15);
    mp_str *b0 = mp_str_index(bad, 0, MP_LOC(1, 1));
    assert_int_equal(b0->len, 1);
    assert_int_equal((unsigned char)b0->data[0], 0xc3);
    mp_str *b14 = mp_str_index(bad, -1, MP_LOC(1, 1));
    assert_int_equal((unsigned char)b14->data[0], 0x82);
    /* ASCII: the count is the byte count; characters are the static
     * one-byte strings, never allocated */
    mp_str *a = mp_str_cstr("abc");
    assert_int_equal(mp_str_len(a), 3);
    assert_ptr_equal(mp_str_index(a, 1, MP_LOC(1, 1)), mp_str_index(a, -2, MP_LOC(1, 1)));
    assert_true(mp_str_index(a, 0, MP_LOC(1, 1))->refs == MP_IMMORTAL);
    /* a concatenation is counted afresh (two invalid halves make one) */
    mp_str *h1 = mp_str_new("\xc3", 1), *h2 = mp_str_new("\xa9", 1);
    assert_int_equal(mp_str_len(h1) + mp_str_len(h2), 2);
    mp_str *joined = mp_str_concat(h1, h2);
    assert_int_equal(mp_str_len(joined), 1);
    static mp_str lit = {MP_IMMORTAL, 3, "\xc3\xa9x", 0};
    assert_int_equal(mp_str_len(&lit), 2);
    assert_int_equal(mp_str_len(&lit), 2); /* cached */
    mp_str_unref(b0);
    mp_str_unref(b14);
    mp_str_unref(joined);
    mp_str_unref(h1);
    mp_str_unref(h2);
    mp_str_unref(a);
    mp_str_unref(bad);
    mp_str_unref(s);
}

static void str_index_oob_utf8(void *arg) {
    (void)arg;
    mp_str *s = mp_str_cstr("\xc3\xa9\xc3\xa9");
    mp_str_index(s, 2, MP_LOC(4, 9));
}

static void str_index_neg_oob_utf8(void *arg) {
    (void)arg;
    mp_str *s = mp_str_cstr("\xc3\xa9\xc3\xa9");
    mp_str_index(s, -3, MP_LOC(4, 9));
}

static void test_str_characters_errors(void **state) {
    (void)state;
    mpt_expect_error(str_index_oob_utf8, NULL, "string index out of range");
    mpt_expect_error(str_index_neg_oob_utf8, NULL, "string index out of range");
}

static mp_list *ints(int n, ...) {
    va_list ap;
    mp_list *l = mp_list_new(&t_list_int, 0);
    va_start(ap, n);
    for (int i = 0; i < n; i++) mp_list_push(l, (mp_val){.i = va_arg(ap, int)});
    va_end(ap);
    return l;
}

static void test_list_basics(void **state) {
    (void)state;
    mp_list *l = ints(3, 1, 2, 3);
    assert_int_equal(mp_list_len(l), 3);
    assert_ptr_equal(mp_list_type(l), &t_list_int);
    assert_int_equal(mp_list_get(l, 0, MP_LOC(1, 1)).i, 1);
    assert_int_equal(mp_list_get(l, -1, MP_LOC(1, 1)).i, 3);
    assert_int_equal(mp_list_get(l, -3, MP_LOC(1, 1)).i, 1);
    mp_list_set(l, 1, (mp_val){.i = 20}, MP_LOC(1, 1));
    assert_int_equal(mp_list_get(l, 1, MP_LOC(1, 1)).i, 20);
    for (int i = 0; i < 1000; i++) mp_list_push(l, (mp_val){.i = i});
    assert_int_equal(mp_list_len(l), 1003);
    assert_int_equal(mp_list_get(l, 1002, MP_LOC(1, 1)).i, 999);
    mp_val v = mp_list_pop(l, -1, MP_LOC(1, 1));
    assert_int_equal(v.i, 999);
    v = mp_list_pop(l, 0, MP_LOC(1, 1));
    assert_int_equal(v.i, 1);
    assert_int_equal(mp_list_get(l, 0, MP_LOC(1, 1)).i, 20);
    assert_int_equal(mp_list_len(l), 1001);
    mp_list_unref(l);
}

static void test_list_aliasing_and_refs(void **state) {
    (void)state;
    /* a = ["x"]; b = a; b.append("y") -> a sees it */
    mp_list *a = mp_list_new(&t_list_str, 0);
    mp_list_push(a, (mp_val){.s = mp_str_cstr("x")});
    mp_list *b = mp_list_ref(a);
    mp_list_push(b, (mp_val){.s = mp_str_cstr("y")});
    assert_int_equal(mp_list_len(a), 2);
    mp_list_unref(b);
    /* A string shared by two lists survives the first list's death. */
    mp_str *s = mp_str_cstr("shared");
    mp_list *c = mp_list_new(&t_list_str, 1);
    mp_list_push(c, (mp_val){.s = mp_str_ref(s)});
    mp_list_push(a, (mp_val){.s = mp_str_ref(s)});
    mp_list_unref(c);
    assert_int_equal(s->refs, 2);
    /* set drops the old element */
    mp_list_set(a, 2, (mp_val){.s = mp_str_cstr("z")}, MP_LOC(1, 1));
    assert_int_equal(s->refs, 1);
    /* concat takes new refs */
    mp_list *d = mp_list_concat(a, a);
    assert_int_equal(mp_list_len(d), 6);
    mp_str *x = mp_list_get(d, 3, MP_LOC(1, 1)).s;
    assert_string_equal(x->data, "x");
    assert_int_equal(x->refs, 3); /* a once, d twice */
    mp_list *e = mp_list_repeat(a, 3);
    assert_int_equal(mp_list_len(e), 9);
    assert_int_equal(x->refs, 6);
    assert_true(mp_list_eq(e, e));
    assert_false(mp_list_eq(e, d));
    mp_list_unref(e);
    mp_list_unref(d);
    mp_list_unref(a);
    mp_str_unref(s);
    /* nested lists */
    mp_list *n = mp_list_new(&t_list_list_int, 0);
    mp_list *inner = ints(2, 1, 2);
    mp_list_push(n, (mp_val){.l = inner});
    mp_list_push(n, (mp_val){.l = mp_list_ref(inner)});
    mp_list_push(mp_list_get(n, 0, MP_LOC(1, 1)).l, (mp_val){.i = 3});
    assert_int_equal(mp_list_len(mp_list_get(n, 1, MP_LOC(1, 1)).l), 3);
    mp_list_unref(n);
}

/* mp_list_copy: what a process declaration hands its process. Changing
 * the original afterwards, at any depth, does not change the copy. */
static void test_list_copy(void **state) {
    (void)state;
    mp_list *n = mp_list_new(&t_list_list_int, 0);
    mp_list *inner = ints(2, 1, 2);
    mp_list_push(n, (mp_val){.l = inner});
    mp_list *c = mp_list_copy(n);
    assert_true(mp_list_eq(c, n));
    assert_ptr_equal(mp_list_type(c), &t_list_list_int);
    mp_list_push(inner, (mp_val){.i = 3});
    mp_list_push(n, (mp_val){.l = ints(0)});
    assert_int_equal(mp_list_len(c), 1);
    assert_int_equal(mp_list_len(mp_list_get(c, 0, MP_LOC(1, 1)).l), 2);
    mp_list_unref(n);
    assert_int_equal(mp_list_get(mp_list_get(c, 0, MP_LOC(1, 1)).l, 1, MP_LOC(1, 1)).i, 2);
    mp_list_unref(c);
    /* strings are shared, not copied: they cannot change */
    mp_list *a = mp_list_new(&t_list_str, 0);
    mp_str *s = mp_str_cstr("kept");
    mp_list_push(a, (mp_val){.s = s});
    mp_list *b = mp_list_copy(a);
    assert_int_equal(s->refs, 2);
    mp_list_set(a, 0, (mp_val){.s = mp_str_cstr("new")}, MP_LOC(1, 1));
    assert_string_equal(mp_list_get(b, 0, MP_LOC(1, 1)).s->data, "kept");
    mp_list_unref(a);
    mp_list_unref(b);
    mp_list *z = ints(0);
    mp_list *e = mp_list_copy(z);
    assert_int_equal(mp_list_len(e), 0);
    assert_ptr_not_equal(e, z);
    mp_list_unref(z);
    mp_list_unref(e);
}

static void test_list_compare(void **state) {
    (void)state;
    mp_list *a = ints(3, 1, 2, 3), *b = ints(3, 1, 2, 3), *c = ints(2, 1, 2), *d = ints(3, 1, 3, 0);
    assert_true(mp_list_eq(a, b));
    assert_int_equal(mp_list_cmp(a, b), 0);
    assert_false(mp_list_eq(a, c));
    assert_true(mp_list_cmp(c, a) < 0);
    assert_true(mp_list_cmp(a, d) < 0);
    assert_true(mp_list_cmp(d, a) > 0);
    mp_val va = {.l = a}, vb = {.l = b};
    assert_true(mp_val_eq(&t_list_int, va, vb));
    mp_list *f = mp_list_new(&t_list_float, 0);
    mp_list_push(f, (mp_val){.f = __builtin_nan("")});
    assert_true(mp_list_eq(f, f)); /* the same list, as Python */
    mp_list *g = mp_list_new(&t_list_float, 0);
    mp_list_push(g, (mp_val){.f = __builtin_nan("")});
    assert_false(mp_list_eq(f, g)); /* NaN != NaN */
    mp_list_unref(a);
    mp_list_unref(b);
    mp_list_unref(c);
    mp_list_unref(d);
    mp_list_unref(f);
    mp_list_unref(g);
    assert_true(mp_val_eq(&mp_t_int, (mp_val){.i = 4}, (mp_val){.i = 4}));
    assert_true(mp_val_cmp(&mp_t_float, (mp_val){.f = 1.5}, (mp_val){.f = 2.5}) < 0);
    assert_true(mp_val_eq(&mp_t_bool, (mp_val){.b = true}, (mp_val){.b = true}));
    /* scalars: ref/unref are no-ops */
    mp_val_ref(&mp_t_int, (mp_val){.i = 1});
    mp_val_unref(&mp_t_float, (mp_val){.f = 1});
}

static void list_get_oob(void *arg) {
    mp_list *l = ints(2, 1, 2);
    mp_list_get(l, *(int *)arg, MP_LOC(7, 3));
}

static void list_set_oob(void *arg) {
    (void)arg;
    mp_list *l = ints(0);
    mp_list_set(l, 0, (mp_val){.i = 1}, MP_LOC(8, 1));
}

static void list_pop_empty(void *arg) {
    (void)arg;
    mp_list *l = ints(0);
    mp_list_pop(l, -1, MP_LOC(9, 2));
}

static void test_list_errors(void **state) {
    (void)state;
    int i2 = 2, im3 = -3;
    mpt_expect_error(list_get_oob, &i2,
                     "t.mp:7:3: runtime error: IndexError: list index out "
                     "of range (in process t, pid ");
    mpt_expect_error(list_get_oob, &im3, "list index out of range");
    mpt_expect_error(list_set_oob, NULL,
                     "t.mp:8:1: runtime error: IndexError: list assignment index out "
                     "of range");
    mpt_expect_error(list_pop_empty, NULL,
                     "t.mp:9:2: runtime error: IndexError: pop from "
                     "empty list");
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_len_every_position), cmocka_unit_test(test_str_basics),
        cmocka_unit_test(test_str_index_errors),       cmocka_unit_test(test_str_characters),
        cmocka_unit_test(test_str_characters_errors),  cmocka_unit_test(test_list_basics),
        cmocka_unit_test(test_list_aliasing_and_refs), cmocka_unit_test(test_list_copy),
        cmocka_unit_test(test_list_compare),           cmocka_unit_test(test_list_errors),
    };
    int r = cmocka_run_group_tests_name("mpr_value", tests, NULL, NULL);
    mp_finish();
    return r;
}
