/* test_mpr_strmeth.c: the methods of str (strmeth.c) against tables of
 * cases whose expected values CPython 3.11 computed (strmeth_cases.h):
 * ASCII, two-, three- and four-byte characters, empty strings and
 * separators, slice bounds past either end. */
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

struct find_case {
    const char *s, *sub;
    int64_t start, end;
    int64_t find, rfind, count;
    int startswith, endswith;
};
struct split_case {
    const char *s, *sep;
    int64_t maxsplit;
    const char *split, *rsplit; /* Python's repr of the lists */
};
struct strip_case {
    const char *s, *chars, *strip, *lstrip, *rstrip;
};
struct replace_case {
    const char *s, *old, *new_;
    int64_t count;
    const char *result;
};
struct pad_case {
    const char *s;
    int64_t width;
    const char *fill, *ljust, *rjust, *center, *zfill;
};
struct lines_case {
    const char *s, *lines, *keepends;
};
struct is_case {
    const char *s;
    int isdigit, isalpha, isalnum, isspace;
};

#include "strmeth_cases.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Compares a result string (taken) with the expected bytes. */
static void expect_str(mp_str *got, const char *want, const char *what, size_t i) {
    if (got->len != strlen(want) || memcmp(got->data, want, got->len) != 0)
        fail_msg("%s case %zu: got '%s', want '%s'", what, i, got->data, want);
    mp_str_unref(got);
}

/* Compares a list[str] (taken) with Python's repr of the expected list. */
static void expect_list(mp_list *got, const char *want, const char *what, size_t i) {
    expect_str(mp_repr_of(&mp_t_list_str, (mp_val){.l = got}), want, what, i);
    mp_list_unref(got);
}

static void test_find_count_affixes(void **state) {
    (void)state;
    for (size_t i = 0; i < N(find_cases); i++) {
        const struct find_case *c = &find_cases[i];
        mp_str *s = mp_str_cstr(c->s), *sub = mp_str_cstr(c->sub);
        assert_int_equal(mp_str_find(s, sub, c->start, c->end), c->find);
        assert_int_equal(mp_str_rfind(s, sub, c->start, c->end), c->rfind);
        assert_int_equal(mp_str_count(s, sub, c->start, c->end), c->count);
        assert_int_equal(mp_str_startswith(s, sub, c->start, c->end), c->startswith);
        assert_int_equal(mp_str_endswith(s, sub, c->start, c->end), c->endswith);
        if (c->find >= 0) {
            assert_int_equal(mp_str_find_index(s, sub, c->start, c->end, MP_LOC(1, 1)), c->find);
            assert_int_equal(mp_str_rfind_index(s, sub, c->start, c->end, MP_LOC(1, 1)), c->rfind);
        }
        mp_str_unref(s);
        mp_str_unref(sub);
    }
}

static void index_missing(void *arg) {
    (void)arg;
    mp_str_find_index(mp_str_cstr("héllo"), mp_str_cstr("z"), 0, INT64_MAX, MP_LOC(3, 9));
}

static void rindex_missing(void *arg) {
    (void)arg;
    mp_str_rfind_index(mp_str_cstr("héllo"), mp_str_cstr("h"), 1, INT64_MAX, MP_LOC(3, 9));
}

static void test_index_raises(void **state) {
    (void)state;
    mpt_expect_error(index_missing, NULL,
                     "t.mp:3:9: runtime error: ValueError: substring not found");
    mpt_expect_error(rindex_missing, NULL, "ValueError: substring not found");
}

static void test_split(void **state) {
    (void)state;
    for (size_t i = 0; i < N(split_cases); i++) {
        const struct split_case *c = &split_cases[i];
        mp_str *s = mp_str_cstr(c->s), *sep = c->sep ? mp_str_cstr(c->sep) : NULL;
        expect_list(mp_str_split(s, sep, c->maxsplit, MP_LOC(1, 1)), c->split, "split", i);
        expect_list(mp_str_rsplit(s, sep, c->maxsplit, MP_LOC(1, 1)), c->rsplit, "rsplit", i);
        mp_str_unref(s);
        mp_str_unref(sep);
    }
}

static void split_empty_sep(void *arg) {
    mp_str_split(mp_str_cstr("a b"), mp_str_cstr(""), -1, MP_LOC(2, 4));
    (void)arg;
}

static void rsplit_empty_sep(void *arg) {
    mp_str_rsplit(mp_str_cstr("a b"), mp_str_cstr(""), 1, MP_LOC(2, 4));
    (void)arg;
}

static void test_split_empty_separator(void **state) {
    (void)state;
    mpt_expect_error(split_empty_sep, NULL, "t.mp:2:4: runtime error: ValueError: empty separator");
    mpt_expect_error(rsplit_empty_sep, NULL, "ValueError: empty separator");
}

static void test_splitlines(void **state) {
    (void)state;
    for (size_t i = 0; i < N(lines_cases); i++) {
        const struct lines_case *c = &lines_cases[i];
        mp_str *s = mp_str_cstr(c->s);
        expect_list(mp_str_splitlines(s, false), c->lines, "splitlines", i);
        expect_list(mp_str_splitlines(s, true), c->keepends, "splitlines(keepends)", i);
        mp_str_unref(s);
    }
}

static void test_strip(void **state) {
    (void)state;
    for (size_t i = 0; i < N(strip_cases); i++) {
        const struct strip_case *c = &strip_cases[i];
        mp_str *s = mp_str_cstr(c->s), *chars = c->chars ? mp_str_cstr(c->chars) : NULL;
        expect_str(mp_str_strip(s, chars, MP_STRIP_BOTH), c->strip, "strip", i);
        expect_str(mp_str_strip(s, chars, MP_STRIP_LEFT), c->lstrip, "lstrip", i);
        expect_str(mp_str_strip(s, chars, MP_STRIP_RIGHT), c->rstrip, "rstrip", i);
        mp_str_unref(s);
        mp_str_unref(chars);
    }
}

static void test_replace(void **state) {
    (void)state;
    for (size_t i = 0; i < N(replace_cases); i++) {
        const struct replace_case *c = &replace_cases[i];
        mp_str *s = mp_str_cstr(c->s), *old = mp_str_cstr(c->old), *new_ = mp_str_cstr(c->new_);
        expect_str(mp_str_replace(s, old, new_, c->count), c->result, "replace", i);
        mp_str_unref(s);
        mp_str_unref(old);
        mp_str_unref(new_);
    }
}

static void test_pad(void **state) {
    (void)state;
    for (size_t i = 0; i < N(pad_cases); i++) {
        const struct pad_case *c = &pad_cases[i];
        mp_str *s = mp_str_cstr(c->s), *fill = mp_str_cstr(c->fill);
        expect_str(mp_str_pad(s, c->width, fill, '<', MP_LOC(1, 1)), c->ljust, "ljust", i);
        expect_str(mp_str_pad(s, c->width, fill, '>', MP_LOC(1, 1)), c->rjust, "rjust", i);
        expect_str(mp_str_pad(s, c->width, fill, '^', MP_LOC(1, 1)), c->center, "center", i);
        expect_str(mp_str_zfill(s, c->width), c->zfill, "zfill", i);
        mp_str_unref(s);
        mp_str_unref(fill);
    }
}

static void pad_long_fill(void *arg) {
    mp_str_pad(mp_str_cstr("a"), 5, mp_str_cstr(arg), '^', MP_LOC(1, 2));
}

static void test_pad_fill_errors(void **state) {
    (void)state;
    static const char *bad[] = {"", "ab", "é→"};
    for (size_t i = 0; i < N(bad); i++)
        mpt_expect_error(pad_long_fill, (void *)bad[i],
                         "TypeError: The fill character must be exactly one character long");
}

static void test_is(void **state) {
    (void)state;
    for (size_t i = 0; i < N(is_cases); i++) {
        const struct is_case *c = &is_cases[i];
        mp_str *s = mp_str_cstr(c->s);
        if (mp_str_isdigit(s) != c->isdigit || mp_str_isalpha(s) != c->isalpha ||
            mp_str_isalnum(s) != c->isalnum || mp_str_isspace(s) != c->isspace)
            fail_msg("is* case %zu ('%s')", i, c->s);
        mp_str_unref(s);
    }
}

static void test_join_case_ascii(void **state) {
    (void)state;
    mp_list *l = mp_list_new(&mp_t_list_str, 0);
    mp_str *sep = mp_str_cstr("→");
    expect_str(mp_str_join(sep, l), "", "join", 0);
    mp_list_push(l, (mp_val){.s = mp_str_cstr("é")});
    expect_str(mp_str_join(sep, l), "é", "join", 1);
    mp_list_push(l, (mp_val){.s = mp_str_cstr("")});
    mp_list_push(l, (mp_val){.s = mp_str_cstr("b")});
    expect_str(mp_str_join(sep, l), "é→→b", "join", 2);
    mp_list_unref(l);
    mp_str_unref(sep);
    mp_str *s = mp_str_cstr("Hé, World 123 ß");
    expect_str(mp_str_upper(s), "Hé, WORLD 123 ß", "upper", 0);
    expect_str(mp_str_lower(s), "hé, world 123 ß", "lower", 0);
    mp_str_unref(s);
    mp_str *e = mp_str_cstr("name.mp");
    mp_str *suf = mp_str_cstr(".mp"), *pre = mp_str_cstr("name"), *none = mp_str_cstr("");
    expect_str(mp_str_removesuffix(e, suf), "name", "removesuffix", 0);
    expect_str(mp_str_removeprefix(e, pre), ".mp", "removeprefix", 0);
    expect_str(mp_str_removesuffix(e, none), "name.mp", "removesuffix", 1);
    expect_str(mp_str_removeprefix(e, suf), "name.mp", "removeprefix", 1);
    mp_str_unref(e);
    mp_str_unref(suf);
    mp_str_unref(pre);
    mp_str_unref(none);
}

int main(void) {
    mp_init("t.mp", 0, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_count_affixes),
        cmocka_unit_test(test_index_raises),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_empty_separator),
        cmocka_unit_test(test_splitlines),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_pad),
        cmocka_unit_test(test_pad_fill_errors),
        cmocka_unit_test(test_is),
        cmocka_unit_test(test_join_case_ascii),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    mp_finish();
    return r;
}
