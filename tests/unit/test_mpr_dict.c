/* test_mpr_dict.c: dicts and sets (dict.c): inserts, deletes, growth and
 * compaction checked against a simple model over random operations
 * (contents, length and insertion order), many colliding keys, keys
 * Python holds equal (1 and 1.0, 0.0 and -0.0), the methods, the set
 * operators, printing, and the failures (KeyError, RuntimeError). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

static const mp_dict_type t_dict_int_int = {{MP_DICT, &mp_t_int}, &mp_t_int};
static const mp_dict_type t_dict_str_int = {{MP_DICT, &mp_t_int}, &mp_t_str};
static const mp_dict_type t_dict_float_str = {{MP_DICT, &mp_t_str}, &mp_t_float};
static const mp_type t_set_int = {MP_SET, &mp_t_int};
static const mp_type t_list_int = {MP_LIST, &mp_t_int};
static const mp_type t_list_str = {MP_LIST, &mp_t_str};
static const mp_type *const t_pair_items[] = {&mp_t_int, &mp_t_int};
static const mp_tuple_type t_pair = {{MP_TUPLE, NULL}, 2, t_pair_items};
static const mp_type t_list_pair = {MP_LIST, &t_pair.base};

#define I(x) ((mp_val){.i = (x)})

/* The model: which of KEYS keys are present, their values, and the keys
 * in the order they were first added since their last removal. */
enum { KEYS = 64 };
typedef struct model {
    bool present[KEYS];
    int64_t value[KEYS];
    int order[KEYS];
    int n;
} model;

static void model_set(model *m, int k, int64_t v) {
    if (!m->present[k]) m->order[m->n++] = k;
    m->present[k] = true;
    m->value[k] = v;
}

static void model_del(model *m, int k) {
    m->present[k] = false;
    int w = 0;
    for (int i = 0; i < m->n; i++)
        if (m->order[i] != k) m->order[w++] = m->order[i];
    m->n = w;
}

/* The dict holds exactly the model, in its order. */
static void check_model(mp_dict *d, const model *m) {
    assert_int_equal(mp_dict_len(d), m->n);
    mp_list *keys = mp_dict_keys(d, &t_list_int);
    mp_list *values = mp_dict_values(d, &t_list_int);
    for (int i = 0; i < m->n; i++) {
        assert_int_equal(mp_list_get(keys, i, MP_LOC(0, 0)).i, m->order[i]);
        assert_int_equal(mp_list_get(values, i, MP_LOC(0, 0)).i, m->value[m->order[i]]);
    }
    for (int k = 0; k < KEYS; k++) assert_int_equal(mp_dict_contains(d, I(k)), m->present[k]);
    mp_list_unref(keys);
    mp_list_unref(values);
}

static void test_random_against_model(void **state) {
    (void)state;
    srand(12345);
    for (int round = 0; round < 20; round++) {
        mp_dict *d = mp_dict_new(&t_dict_int_int.base);
        model m;
        memset(&m, 0, sizeof m);
        for (int step = 0; step < 2000; step++) {
            int k = rand() % KEYS, op = rand() % 10;
            if (op < 5) {
                int64_t v = rand() % 1000 - 500;
                mp_dict_set(d, I(k), I(v));
                model_set(&m, k, v);
            } else if (op < 8) {
                if (m.present[k]) {
                    assert_int_equal(mp_dict_pop(d, I(k), MP_LOC(0, 0)).i, m.value[k]);
                    model_del(&m, k);
                } else {
                    assert_int_equal(mp_dict_pop_or(d, I(k), I(-1)).i, -1);
                }
            } else if (op < 9) {
                int64_t v = mp_dict_setdefault(d, I(k), I(7)).i;
                if (!m.present[k]) model_set(&m, k, 7);
                assert_int_equal(v, m.value[k]);
            } else if (rand() % 50 == 0) {
                mp_dict_clear(d);
                memset(&m, 0, sizeof m);
            }
            if (step % 97 == 0) check_model(d, &m);
        }
        check_model(d, &m);
        mp_dict_unref(d);
    }
}

/* Many string keys (every probe sequence long), deleted and added again
 * so that tombstones pile up and the table compacts and grows. */
static void test_many_keys_and_tombstones(void **state) {
    (void)state;
    mp_dict *d = mp_dict_new(&t_dict_str_int.base);
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "k%d", i);
        mp_dict_set(d, (mp_val){.s = mp_str_cstr(name)}, I(i));
    }
    for (int i = 0; i < 5000; i += 2) {
        snprintf(name, sizeof name, "k%d", i);
        mp_str *k = mp_str_cstr(name);
        mp_dict_del(d, (mp_val){.s = k}, MP_LOC(0, 0));
        mp_str_unref(k);
    }
    for (int round = 0; round < 10; round++)
        for (int i = 0; i < 500; i++) {
            snprintf(name, sizeof name, "t%d", i);
            mp_dict_set(d, (mp_val){.s = mp_str_cstr(name)}, I(i));
            mp_str *k = mp_str_cstr(name);
            mp_dict_del(d, (mp_val){.s = k}, MP_LOC(0, 0));
            mp_str_unref(k);
        }
    assert_int_equal(mp_dict_len(d), 2500);
    mp_list *keys = mp_dict_keys(d, &t_list_str);
    for (int i = 0; i < 2500; i++) {
        snprintf(name, sizeof name, "k%d", 2 * i + 1);
        assert_string_equal(mp_list_get(keys, i, MP_LOC(0, 0)).s->data, name);
        assert_int_equal(mp_dict_get(d, mp_list_get(keys, i, MP_LOC(0, 0)), MP_LOC(0, 0)).i,
                         2 * i + 1);
    }
    mp_list_unref(keys);
    mp_dict_unref(d);
}

/* Keys Python holds equal are one key: 1 and 1.0, 0.0 and -0.0; the
 * first key stays, the last value wins. */
static void test_equal_keys(void **state) {
    (void)state;
    mp_dict *d = mp_dict_new(&t_dict_float_str.base);
    mp_dict_set(d, (mp_val){.f = -0.0}, (mp_val){.s = mp_str_cstr("minus zero")});
    mp_dict_set(d, (mp_val){.f = 0.0}, (mp_val){.s = mp_str_cstr("zero")});
    mp_dict_set(d, (mp_val){.f = (double)1}, (mp_val){.s = mp_str_cstr("one")});
    mp_dict_set(d, (mp_val){.f = 1.0}, (mp_val){.s = mp_str_cstr("uno")});
    mp_dict_set(d, (mp_val){.f = 1e300}, (mp_val){.s = mp_str_cstr("big")});
    assert_int_equal(mp_dict_len(d), 3);
    mp_str *s = mp_str_of(&t_dict_float_str.base, (mp_val){.d = d});
    assert_string_equal(s->data, "{-0.0: 'zero', 1.0: 'uno', 1e+300: 'big'}");
    mp_str_unref(s);
    mp_dict_unref(d);
}

static void test_sets(void **state) {
    (void)state;
    mp_set *a = mp_dict_new(&t_set_int), *b = mp_dict_new(&t_set_int);
    for (int i = 1; i <= 4; i++) mp_set_add(a, I(i));
    for (int i = 3; i <= 6; i++) mp_set_add(b, I(i));
    mp_set_add(a, I(2));
    const struct {
        mp_set *(*fn)(const mp_set *, const mp_set *);
        const char *want;
    } ops[] = {{mp_set_or, "{1, 2, 3, 4, 5, 6}"},
               {mp_set_and, "{3, 4}"},
               {mp_set_sub, "{1, 2}"},
               {mp_set_xor, "{1, 2, 5, 6}"}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        mp_set *r = ops[i].fn(a, b);
        mp_str *s = mp_str_of(&t_set_int, (mp_val){.d = r});
        assert_string_equal(s->data, ops[i].want);
        mp_str_unref(s);
        mp_dict_unref(r);
    }
    assert_false(mp_set_le(a, b));
    mp_set *c = mp_set_and(a, b);
    assert_true(mp_set_le(c, a) && mp_set_le(c, b));
    mp_set_discard(c, I(3));
    mp_set_discard(c, I(99));
    assert_int_equal(mp_set_pop(c, MP_LOC(0, 0)).i, 4);
    mp_str *s = mp_str_of(&t_set_int, (mp_val){.d = c});
    assert_string_equal(s->data, "set()");
    mp_str_unref(s);
    assert_true(mp_set_le(c, a));
    mp_dict_unref(c);
    mp_dict_unref(a);
    mp_dict_unref(b);
}

static void test_items_and_update(void **state) {
    (void)state;
    mp_dict *d = mp_dict_new(&t_dict_int_int.base);
    mp_dict_set(d, I(5), I(50));
    mp_dict_set(d, I(-1), I(10));
    mp_dict *e = mp_dict_shallow(d);
    mp_dict_set(e, I(5), I(0));
    mp_dict_set(e, I(9), I(90));
    mp_dict_update(d, e);
    mp_dict_update(d, d); /* itself: nothing changes */
    mp_list *items = mp_dict_items(d, &t_list_pair);
    mp_str *s = mp_str_of(&t_list_pair, (mp_val){.l = items});
    assert_string_equal(s->data, "[(5, 0), (-1, 10), (9, 90)]");
    mp_str_unref(s);
    mp_list_unref(items);
    assert_true(mp_val_eq(&t_dict_int_int.base, (mp_val){.d = d}, (mp_val){.d = e}));
    mp_dict_set(e, I(9), I(91));
    assert_false(mp_val_eq(&t_dict_int_int.base, (mp_val){.d = d}, (mp_val){.d = e}));
    int64_t pos = 0;
    mp_val k;
    int n = 0;
    while (mp_dict_next(d, &pos, 3, &k, MP_LOC(0, 0))) n++;
    assert_int_equal(n, 3);
    mp_dict_unref(d);
    mp_dict_unref(e);
}

static void missing_key(void *arg) {
    (void)arg;
    mp_dict *d = mp_dict_new(&t_dict_str_int.base);
    mp_dict_get(d, (mp_val){.s = mp_str_cstr("it's")}, MP_LOC(3, 4));
}

static void changed_size(void *arg) {
    (void)arg;
    mp_dict *d = mp_dict_new(&t_dict_int_int.base);
    mp_dict_set(d, I(1), I(1));
    int64_t pos = 0;
    mp_val k;
    while (mp_dict_next(d, &pos, 1, &k, MP_LOC(7, 1))) mp_dict_set(d, I(k.i + 1), I(0));
}

static void empty_set_pop(void *arg) {
    (void)arg;
    mp_set *s = mp_dict_new(&t_set_int);
    mp_set_pop(s, MP_LOC(1, 1));
}

static void test_failures(void **state) {
    (void)state;
    mpt_expect_error(missing_key, NULL, "KeyError: \"it's\"");
    mpt_expect_error(changed_size, NULL, "RuntimeError: dictionary changed size during iteration");
    mpt_expect_error(empty_set_pop, NULL, "KeyError: 'pop from an empty set'");
}

int main(void) {
    mp_init("test.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_many_keys_and_tombstones),
        cmocka_unit_test(test_equal_keys),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_items_and_update),
        cmocka_unit_test(test_failures),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    mp_finish();
    return r;
}
