/* test_mpr_frame.c: the value encoding (frame.c): round trips, exact
 * sizes, and a decoder that rejects every malformed input (truncations,
 * bad tags, lying lengths, trailing bytes, random mutations) without
 * crashing, leaking or allocating beyond the input. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_internal.h" /* mpr_wr: a writer across the end of a ring */

static const mp_type t_list_int = {MP_LIST, &mp_t_int};
static const mp_type t_list_str = {MP_LIST, &mp_t_str};
static const mp_type t_list_bool = {MP_LIST, &mp_t_bool};
static const mp_type t_list_list_str = {MP_LIST, &t_list_str};
static const mp_type t_list_float = {MP_LIST, &mp_t_float};
static const mp_type t_opt_int = {MP_OPT, &mp_t_int};
static const mp_type t_opt_bool = {MP_OPT, &mp_t_bool};
static const mp_type t_opt_str = {MP_OPT, &mp_t_str};
static const mp_type t_list_opt_int = {MP_LIST, &t_opt_int};
static const mp_type t_opt_list_opt_int = {MP_OPT, &t_list_opt_int};
/* tuple[int, str | None, list[int | None]] and list[tuple[...]] | None */
static const mp_type *const t_tup_items[] = {&mp_t_int, &t_opt_str, &t_list_opt_int};
static const mp_tuple_type t_tup = {{MP_TUPLE, NULL}, 3, t_tup_items};
static const mp_type t_list_tup = {MP_LIST, &t_tup.base};
static const mp_type t_opt_list_tup = {MP_OPT, &t_list_tup};
static const mp_tuple_type t_tup0 = {{MP_TUPLE, NULL}, 0, NULL};
/* set[int], dict[str, list[str]], dict[tuple[...], set[int]] | None */
static const mp_type t_set_int = {MP_SET, &mp_t_int};
static const mp_type t_set_float = {MP_SET, &mp_t_float};
static const mp_dict_type t_dict_str_list = {{MP_DICT, &t_list_str}, &mp_t_str};
static const mp_type *const t_key_items[] = {&mp_t_int, &mp_t_str};
static const mp_tuple_type t_key = {{MP_TUPLE, NULL}, 2, t_key_items};
static const mp_dict_type t_dict_tup_set = {{MP_DICT, &t_set_int}, &t_key.base};
static const mp_type t_opt_dict = {MP_OPT, &t_dict_tup_set.base};
static const mp_type t_list_dict = {MP_LIST, &t_dict_str_list.base};

static unsigned char *encode(const mp_type *t, mp_val v, size_t *len) {
    *len = mp_frame_size(t, v);
    unsigned char *buf = malloc(*len ? *len : 1);
    mp_frame_encode(t, v, buf);
    return buf;
}

static void roundtrip(const mp_type *t, mp_val v) {
    size_t len;
    unsigned char *buf = encode(t, v, &len);
    mp_val out;
    assert_int_equal(mp_frame_decode(t, buf, len, &out), 0);
    if (t->kind == MP_FLOAT) assert_memory_equal(&out.f, &v.f, sizeof(double)); /* bits */
    else assert_true(mp_val_eq(t, out, v));
    size_t len2;
    unsigned char *buf2 = encode(t, out, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(buf2, buf, len);
    mp_val_unref(t, out);
    free(buf);
    free(buf2);
}

/* [["", "a\0b"], [], ["it's", ...]] */
static mp_list *sample_nested(void) {
    mp_list *outer = mp_list_new(&t_list_list_str, 0);
    mp_list *x = mp_list_new(&t_list_str, 0);
    mp_list_push(x, (mp_val){.s = mp_str_new("", 0)});
    mp_list_push(x, (mp_val){.s = mp_str_new("a\0b", 3)});
    mp_list_push(outer, (mp_val){.l = x});
    mp_list_push(outer, (mp_val){.l = mp_list_new(&t_list_str, 0)});
    mp_list *y = mp_list_new(&t_list_str, 0);
    for (int i = 0; i < 20; i++) mp_list_push(y, (mp_val){.s = mp_str_cstr("it's")});
    mp_list_push(outer, (mp_val){.l = y});
    return outer;
}

static void test_roundtrips(void **state) {
    (void)state;
    int64_t ints[] = {0, 1, -1, INT64_MIN, INT64_MAX, 123456789};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        roundtrip(&mp_t_int, (mp_val){.i = ints[i]});
        assert_int_equal(mp_frame_size(&mp_t_int, (mp_val){.i = ints[i]}), 9);
    }
    double fl[] = {0.0, -0.0, 0.1, 1e308, 5e-324, __builtin_inf(), __builtin_nan("")};
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        roundtrip(&mp_t_float, (mp_val){.f = fl[i]});
    roundtrip(&mp_t_bool, (mp_val){.b = true});
    roundtrip(&mp_t_bool, (mp_val){.b = false});
    assert_int_equal(mp_frame_size(&mp_t_bool, (mp_val){.b = true}), 2);

    mp_str *s = mp_str_new("x\0y\xff", 4);
    roundtrip(&mp_t_str, (mp_val){.s = s});
    assert_int_equal(mp_frame_size(&mp_t_str, (mp_val){.s = s}), 9);
    mp_str_unref(s);
    mp_str *e = mp_str_new("", 0);
    roundtrip(&mp_t_str, (mp_val){.s = e});

    mp_list *l = mp_list_new(&t_list_int, 0);
    roundtrip(&t_list_int, (mp_val){.l = l});
    for (int i = 0; i < 1000; i++) mp_list_push(l, (mp_val){.i = i * 7919});
    roundtrip(&t_list_int, (mp_val){.l = l});
    assert_int_equal(mp_frame_size(&t_list_int, (mp_val){.l = l}), 5 + 1 + 8 * 1000);
    mp_list_unref(l);

    mp_list *b = mp_list_new(&t_list_bool, 0);
    mp_list_push(b, (mp_val){.b = true});
    roundtrip(&t_list_bool, (mp_val){.l = b});
    mp_list_unref(b);

    mp_list *n = sample_nested();
    roundtrip(&t_list_list_str, (mp_val){.l = n});
    mp_list_unref(n);
}

static int decode_bytes(const mp_type *t, const unsigned char *buf, size_t len) {
    mp_val out;
    int r = mp_frame_decode(t, buf, len, &out);
    if (r == 0) mp_val_unref(t, out);
    else assert_int_equal(errno, EPROTO);
    return r;
}

/* T | None: None alone, boxed scalars, str, and nested: list[int | None]
 * | None holding None elements. */
static void test_optional_roundtrips(void **state) {
    (void)state;
    roundtrip(&t_opt_int, (mp_val){.o = NULL});
    mp_box *o = mp_box_i(INT64_MIN);
    roundtrip(&t_opt_int, (mp_val){.o = o});
    mp_box_unref(o);
    o = mp_box_b(false);
    roundtrip(&t_opt_bool, (mp_val){.o = o});
    mp_box_unref(o);
    roundtrip(&t_opt_str, (mp_val){.s = NULL});
    mp_str *s = mp_str_cstr("None");
    roundtrip(&t_opt_str, (mp_val){.s = s});
    mp_str_unref(s);
    roundtrip(&t_opt_list_opt_int, (mp_val){.l = NULL});
    mp_list *l = mp_list_new(&t_list_opt_int, 0);
    roundtrip(&t_opt_list_opt_int, (mp_val){.l = l});
    mp_list_push(l, (mp_val){.o = NULL});
    mp_list_push(l, (mp_val){.o = mp_box_i(7)});
    mp_list_push(l, (mp_val){.o = NULL});
    roundtrip(&t_opt_list_opt_int, (mp_val){.l = l});
    /* None is one byte; an element is None or its value */
    assert_int_equal(mp_frame_size(&t_opt_int, (mp_val){.o = NULL}), 1);
    assert_int_equal(mp_frame_size(&t_list_opt_int, (mp_val){.l = l}), 5 + 1 + 9 + 1);
    mp_list_unref(l);
}

/* Tuples nested with lists and optionals, the empty tuple, and a
 * truncated or padded tuple frame. */
static void test_tuple_roundtrips(void **state) {
    (void)state;
    mp_tuple *e = mp_tuple_pack(&t_tup0.base);
    roundtrip(&t_tup0.base, (mp_val){.t = e});
    assert_int_equal(mp_frame_size(&t_tup0.base, (mp_val){.t = e}), 1);
    mp_tuple_unref(e);
    mp_list *l = mp_list_new(&t_list_tup, 0);
    roundtrip(&t_opt_list_tup, (mp_val){.l = l});
    for (int i = 0; i < 3; i++) {
        mp_list *inner = mp_list_new(&t_list_opt_int, 0);
        mp_list_push(inner, (mp_val){.o = i ? mp_box_i(-i) : NULL});
        mp_str *s = i == 1 ? NULL : mp_str_cstr("t\0u");
        mp_list_push(l, (mp_val){.t = mp_tuple_pack(&t_tup.base, (mp_val){.i = i}, (mp_val){.s = s},
                                                    (mp_val){.l = inner})});
    }
    roundtrip(&t_opt_list_tup, (mp_val){.l = l});
    size_t len;
    unsigned char *buf = encode(&t_list_tup, (mp_val){.l = l}, &len);
    for (size_t k = 0; k < len; k++) assert_int_equal(decode_bytes(&t_list_tup, buf, k), -1);
    assert_int_equal(decode_bytes(&t_list_tup, buf, len), 0);
    buf[5] = 1; /* the first tuple's tag replaced by an int's */
    assert_int_equal(decode_bytes(&t_list_tup, buf, len), -1);
    free(buf);
    /* equality and order item by item */
    mp_val a = mp_list_get(l, 0, MP_LOC(0, 0)), b = mp_list_get(l, 1, MP_LOC(0, 0));
    assert_true(mp_val_eq(&t_tup.base, a, a));
    assert_false(mp_val_eq(&t_tup.base, a, b));
    mp_list_unref(l);
}

static void test_optional_bad_inputs(void **state) {
    (void)state;
    unsigned char b[16] = {6};
    assert_int_equal(decode_bytes(&t_opt_int, b, 1), 0);
    assert_int_equal(decode_bytes(&t_opt_int, b, 2), -1); /* trailing byte */
    assert_int_equal(decode_bytes(&mp_t_int, b, 1), -1);  /* None where an int must be */
    assert_int_equal(decode_bytes(&t_list_opt_int, b, 1), -1);
    b[0] = 4; /* a str where int | None is expected */
    memset(b + 1, 0, 4);
    assert_int_equal(decode_bytes(&t_opt_int, b, 5), -1);
    assert_int_equal(decode_bytes(&t_opt_str, b, 5), 0);
    b[0] = 3; /* bool | None: the bool byte is still checked */
    b[1] = 2;
    assert_int_equal(decode_bytes(&t_opt_bool, b, 2), -1);
    /* a list claiming more None elements than bytes left */
    uint32_t n = 4;
    b[0] = 5;
    memcpy(b + 1, &n, 4);
    memset(b + 5, 6, 3);
    assert_int_equal(decode_bytes(&t_list_opt_int, b, 8), -1);
    n = 3;
    memcpy(b + 1, &n, 4);
    assert_int_equal(decode_bytes(&t_list_opt_int, b, 8), 0);
}

static void test_every_truncation_fails(void **state) {
    (void)state;
    mp_list *n = sample_nested();
    size_t len;
    unsigned char *buf = encode(&t_list_list_str, (mp_val){.l = n}, &len);
    for (size_t k = 0; k < len; k++) assert_int_equal(decode_bytes(&t_list_list_str, buf, k), -1);
    /* one byte too many */
    unsigned char *more = malloc(len + 1);
    memcpy(more, buf, len);
    more[len] = 0;
    assert_int_equal(decode_bytes(&t_list_list_str, more, len + 1), -1);
    assert_int_equal(decode_bytes(&t_list_list_str, buf, len), 0);
    free(more);
    free(buf);
    mp_list_unref(n);
}

/* Lists of numbers are read and written in one loop: every item's tag is
 * still checked, every truncation still fails, and the bits survive. */
static void test_number_lists(void **state) {
    (void)state;
    mp_list *li = mp_list_new(&t_list_int, 0), *lf = mp_list_new(&t_list_float, 0);
    for (int64_t k = 0; k < 1000; k++) {
        mp_list_push(li, (mp_val){.i = k * 7919 - (INT64_C(1) << 40)});
        mp_list_push(lf, (mp_val){.f = (double)k / 3 - 100.5});
    }
    mp_list_push(li, (mp_val){.i = INT64_MIN});
    mp_list_push(lf, (mp_val){.f = -0.0});
    roundtrip(&t_list_int, (mp_val){.l = li});
    roundtrip(&t_list_float, (mp_val){.l = lf});
    mp_list *empty = mp_list_new(&t_list_float, 0);
    roundtrip(&t_list_float, (mp_val){.l = empty});
    mp_list_unref(empty);
    size_t len;
    unsigned char *buf = encode(&t_list_int, (mp_val){.l = li}, &len);
    /* the head, the element tag once, the items' 8 bytes as they are */
    assert_int_equal(len, 5 + 1 + 8 * 1001);
    assert_int_equal(buf[5], 1);
    assert_memory_equal(buf + 6, &li->items[0].i, 8);
    assert_memory_equal(buf + 6 + 8 * 1000, &li->items[1000].i, 8);
    for (size_t k = 0; k < len; k += 97) assert_int_equal(decode_bytes(&t_list_int, buf, k), -1);
    assert_int_equal(decode_bytes(&t_list_int, buf, len - 1), -1); /* the last item cut */
    assert_int_equal(decode_bytes(&t_list_float, buf, len), -1);   /* an int's tag */
    uint32_t more = 1002;                                          /* more than the bytes */
    memcpy(buf + 1, &more, 4);
    assert_int_equal(decode_bytes(&t_list_int, buf, len), -1);
    free(buf);
    /* written across the end of a ring: the items split at any byte */
    buf = encode(&t_list_float, (mp_val){.l = lf}, &len);
    unsigned char *a = malloc(len), *b = malloc(len);
    for (size_t cut = 0; cut < len; cut += 61) {
        mpr_wr w = {a, cut, b};
        mpr_frame_write(&w, &t_list_float, (mp_val){.l = lf});
        assert_memory_equal(a, buf, cut);
        assert_memory_equal(b, buf + cut, len - cut);
    }
    free(a);
    free(b);
    free(buf);
    mp_list_unref(li);
    mp_list_unref(lf);
}

static void test_bad_inputs(void **state) {
    (void)state;
    unsigned char b[64];
    /* wrong tag for the type: an int where a str is expected */
    size_t len;
    unsigned char *i = encode(&mp_t_int, (mp_val){.i = 5}, &len);
    assert_int_equal(decode_bytes(&mp_t_str, i, len), -1);
    assert_int_equal(decode_bytes(&mp_t_float, i, len), -1);
    assert_int_equal(decode_bytes(&mp_t_int, i, len), 0);
    free(i);
    /* bool must be 0 or 1 */
    b[0] = 3;
    b[1] = 2;
    assert_int_equal(decode_bytes(&mp_t_bool, b, 2), -1);
    b[1] = 1;
    assert_int_equal(decode_bytes(&mp_t_bool, b, 2), 0);
    /* a string longer than the buffer */
    uint32_t n = 100;
    b[0] = 4;
    memcpy(b + 1, &n, 4);
    memset(b + 5, 'x', 20);
    assert_int_equal(decode_bytes(&mp_t_str, b, 25), -1);
    n = 20;
    memcpy(b + 1, &n, 4);
    assert_int_equal(decode_bytes(&mp_t_str, b, 25), 0);
    /* a list that claims 4 billion elements in 10 bytes: rejected before
     * any allocation */
    n = 0xffffffffu;
    b[0] = 5;
    memcpy(b + 1, &n, 4);
    memset(b + 5, 0, 10);
    assert_int_equal(decode_bytes(&t_list_int, b, 15), -1);
    assert_int_equal(decode_bytes(&t_list_bool, b, 15), -1);
    assert_int_equal(decode_bytes(&t_list_list_str, b, 15), -1);
    /* 5 bools claimed, 5 present (10 bytes): fine; 6 claimed: no */
    n = 5;
    memcpy(b + 1, &n, 4);
    for (int k = 0; k < 5; k++) {
        b[5 + 2 * k] = 3;
        b[6 + 2 * k] = 1;
    }
    assert_int_equal(decode_bytes(&t_list_bool, b, 15), 0);
    n = 6;
    memcpy(b + 1, &n, 4);
    assert_int_equal(decode_bytes(&t_list_bool, b, 15), -1);
    /* empty input */
    assert_int_equal(decode_bytes(&mp_t_int, b, 0), -1);
    assert_int_equal(decode_bytes(&t_list_float, b, 0), -1);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random mutations of valid encodings: each either decodes to a value
 * that re-encodes to the same bytes (the encoding is canonical), or is
 * rejected with EPROTO. ASan/UBSan builds check for memory errors. */
static void test_random_mutations(void **state) {
    (void)state;
    mp_list *n = sample_nested();
    size_t len;
    unsigned char *orig = encode(&t_list_list_str, (mp_val){.l = n}, &len);
    unsigned char *buf = malloc(len + 16);
    int ok = 0, bad = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, orig, len);
        size_t blen = len;
        int muts = 1 + (int)(next() % 4);
        for (int m = 0; m < muts; m++) {
            size_t at = next() % blen;
            switch (next() % 4) {
            case 0: buf[at] ^= (unsigned char)(1u << (next() % 8)); break;
            case 1: buf[at] = (unsigned char)next(); break;
            case 2: blen = at; break;
            default: buf[at] = (unsigned char)(next() % 8); break;
            }
            if (blen == 0) break;
        }
        mp_val out;
        if (mp_frame_decode(&t_list_list_str, buf, blen, &out) == 0) {
            size_t l2;
            unsigned char *re = encode(&t_list_list_str, out, &l2);
            assert_int_equal(l2, blen);
            assert_memory_equal(re, buf, blen);
            free(re);
            mp_list_unref(out.l);
            ok++;
        } else {
            assert_int_equal(errno, EPROTO);
            bad++;
        }
    }
    assert_true(bad > 0);
    free(buf);
    free(orig);
    mp_list_unref(n);
}

/* Dicts and sets, empty and nested in each other, in lists and optionals;
 * every truncation fails, and a key given twice is refused. */
static void test_dict_roundtrips(void **state) {
    (void)state;
    mp_set *s = mp_dict_new(&t_set_int);
    roundtrip(&t_set_int, (mp_val){.d = s});
    for (int i = -3; i < 40; i++) mp_set_add(s, (mp_val){.i = i * 1000003});
    roundtrip(&t_set_int, (mp_val){.d = s});
    mp_dict *d = mp_dict_new(&t_dict_tup_set.base);
    roundtrip(&t_opt_dict, (mp_val){.d = NULL});
    roundtrip(&t_opt_dict, (mp_val){.d = d});
    mp_dict_set(d,
                (mp_val){.t = mp_tuple_pack(&t_key.base, (mp_val){.i = 1},
                                            (mp_val){.s = mp_str_cstr("é")})},
                (mp_val){.d = s});
    mp_dict_set(
        d,
        (mp_val){.t = mp_tuple_pack(&t_key.base, (mp_val){.i = 2}, (mp_val){.s = mp_str_cstr("")})},
        (mp_val){.d = mp_dict_new(&t_set_int)});
    roundtrip(&t_opt_dict, (mp_val){.d = d});
    mp_list *l = mp_list_new(&t_list_dict, 0);
    for (int i = 0; i < 3; i++) {
        mp_dict *e = mp_dict_new(&t_dict_str_list.base);
        for (int j = 0; j < i; j++) {
            mp_list *words = mp_list_new(&t_list_str, 0);
            mp_list_push(words, (mp_val){.s = mp_str_cstr(j ? "x\0y" : "")});
            char key[8];
            snprintf(key, sizeof key, "k%d", j);
            mp_dict_set(e, (mp_val){.s = mp_str_cstr(key)}, (mp_val){.l = words});
        }
        mp_list_push(l, (mp_val){.d = e});
    }
    roundtrip(&t_list_dict, (mp_val){.l = l});
    size_t len;
    unsigned char *buf = encode(&t_opt_dict, (mp_val){.d = d}, &len);
    for (size_t k = 0; k < len; k++) assert_int_equal(decode_bytes(&t_opt_dict, buf, k), -1);
    assert_int_equal(decode_bytes(&t_opt_dict, buf, len), 0);
    assert_int_equal(decode_bytes(&t_set_int, buf, len), -1); /* a dict is no set */
    free(buf);
    /* {0.0, -0.0} as bytes: the same key twice */
    unsigned char two[5 + 18] = {0x09, 2, 0, 0, 0, 0x02};
    double z = 0.0, nz = -0.0;
    memcpy(two + 6, &z, 8);
    two[14] = 0x02;
    memcpy(two + 15, &nz, 8);
    assert_int_equal(decode_bytes(&t_set_float, two, sizeof two), -1);
    memcpy(two + 15, &(double){1.0}, 8);
    assert_int_equal(decode_bytes(&t_set_float, two, sizeof two), 0);
    mp_list_unref(l);
    mp_dict_unref(d);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrips),          cmocka_unit_test(test_optional_roundtrips),
        cmocka_unit_test(test_optional_bad_inputs), cmocka_unit_test(test_tuple_roundtrips),
        cmocka_unit_test(test_dict_roundtrips),     cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_bad_inputs),          cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_number_lists),
    };
    int r = cmocka_run_group_tests_name("mpr_frame", tests, NULL, NULL);
    mp_finish();
    return r;
}
