/* list.c: Python's operations on sequences: the one comparison, slices,
 * the list methods, sorting, the reductions (min, max, sum, any, all) and
 * round(). Failures raise Python's exceptions through mp_raise, written
 * as if it returned: a harmless value follows each. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpr_internal.h"

/* ---- comparison ---------------------------------------------------- */

int mp_compare(const mp_type *ta, mp_val a, const mp_type *tb, mp_val b) {
    if (ta->kind == MP_INT && tb->kind == MP_FLOAT) return mp_cmp_if(a.i, b.f);
    if (ta->kind == MP_FLOAT && tb->kind == MP_INT) {
        int c = mp_cmp_if(b.i, a.f);
        return c == MP_UNORDERED ? c : -c;
    }
    return mp_val_cmp(ta, a, b);
}

int mp_list_order(const mp_list *a, const mp_list *b) { return mp_list_cmp(a, b); }

/* Whether item (of l's element type) equals x (of type tx). */
static bool item_is(const mp_list *l, int64_t i, const mp_type *tx, mp_val x) {
    return mp_compare(l->type->elem, l->items[i], tx, x) == 0;
}

/* ---- slices -------------------------------------------------------- */

/* A bound as CPython's PySlice_AdjustIndices: negative counts from the
 * end, then clamped to -1 / len - 1 (negative step) or 0 / len. */
static int64_t clamp_bound(int64_t b, int64_t len, int64_t step) {
    if (b < 0) {
        b += len;
        if (b < 0) b = step < 0 ? -1 : 0;
    } else if (b >= len) {
        b = step < 0 ? len - 1 : len;
    }
    return b;
}

int64_t mp_slice_indices(mp_slice s, int64_t len, int64_t *start, int64_t *step, mp_loc loc) {
    if (s.step == 0) {
        mp_raise(MP_EXC_ValueError, loc, "slice step cannot be zero");
        *start = 0;
        *step = 1;
        return 0;
    }
    /* as CPython: a step below -INT64_MAX is -INT64_MAX */
    int64_t st = s.step < -INT64_MAX ? -INT64_MAX : s.step;
    int64_t lo = s.has_lo ? s.lo : st > 0 ? 0 : INT64_MAX;
    int64_t hi = s.has_hi ? s.hi : st > 0 ? INT64_MAX : INT64_MIN;
    lo = clamp_bound(lo, len, st);
    hi = clamp_bound(hi, len, st);
    *start = lo;
    *step = st;
    if (st > 0) return lo < hi ? (hi - lo - 1) / st + 1 : 0;
    return hi < lo ? (lo - hi - 1) / -st + 1 : 0;
}

mp_list *mp_list_slice(const mp_list *l, mp_slice s, mp_loc loc) {
    int64_t start, step;
    int64_t n = mp_slice_indices(s, l->len, &start, &step, loc);
    mp_list *r = mp_list_new(l->type, (size_t)n);
    const mp_type *et = l->type->elem;
    for (int64_t k = 0, i = start; k < n; k++, i += step) {
        mp_val_ref(et, l->items[i]);
        r->items[r->len++] = l->items[i];
    }
    return r;
}

/* Bytes of the UTF-8 character at p (n > 0 bytes left); a byte that is
 * not valid UTF-8 is a character of its own, as in value.c. */
static size_t char_len(const char *p, size_t n) {
    int k;
    if ((unsigned char)*p < 0x80) return 1;
    return mpr_utf8_decode((const unsigned char *)p, n, &k) < 0 ? 1 : (size_t)k;
}

mp_str *mp_str_slice(const mp_str *str, mp_slice s, mp_loc loc) {
    int64_t nchars = mp_str_len(str);
    int64_t start, step;
    int64_t n = mp_slice_indices(s, nchars, &start, &step, loc);
    if (n == 0) return mp_str_new("", 0);
    if ((size_t)nchars == str->len && step == 1) return mp_str_new(str->data + start, (size_t)n);
    /* byte offset of every character, then the chosen ones copied */
    size_t *off = mpr_malloc(((size_t)nchars + 1) * sizeof *off);
    size_t o = 0;
    for (int64_t c = 0; c < nchars; c++) {
        off[c] = o;
        o += char_len(str->data + o, str->len - o);
    }
    off[nchars] = o;
    size_t total = 0;
    for (int64_t k = 0, i = start; k < n; k++, i += step) total += off[i + 1] - off[i];
    char *buf = mpr_malloc(total);
    size_t at = 0;
    for (int64_t k = 0, i = start; k < n; k++, i += step) {
        memcpy(buf + at, str->data + off[i], off[i + 1] - off[i]);
        at += off[i + 1] - off[i];
    }
    mp_str *r = mp_str_new(buf, total);
    free(buf);
    free(off);
    return r;
}

/* The value of element i of an array, read atomically. */
static mp_val array_item(mp_array *a, int64_t i) {
    mp_val v;
    memset(&v, 0, sizeof v);
    switch (a->kind) {
    case MP_FLOAT: __atomic_load(&mp_array_f(a)[i], &v.f, __ATOMIC_ACQUIRE); break;
    case MP_BOOL: v.b = __atomic_load_n(&mp_array_b(a)[i], __ATOMIC_ACQUIRE); break;
    default: v.i = __atomic_load_n(&mp_array_i(a)[i], __ATOMIC_ACQUIRE); break;
    }
    return v;
}

mp_list *mp_array_slice(mp_array *a, mp_slice s, const mp_type *list_type, mp_loc loc) {
    int64_t start, step;
    int64_t n = mp_slice_indices(s, a->len, &start, &step, loc);
    mp_list *r = mp_list_new(list_type, (size_t)n);
    for (int64_t k = 0, i = start; k < n; k++, i += step) r->items[r->len++] = array_item(a, i);
    return r;
}

bool mp_array_contains(mp_array *a, const mp_type *tx, mp_val x) {
    const mp_type *et = a->kind == MP_FLOAT  ? &mp_t_float
                        : a->kind == MP_BOOL ? &mp_t_bool
                                             : &mp_t_int;
    for (int64_t i = 0; i < a->len; i++)
        if (mp_compare(et, array_item(a, i), tx, x) == 0) return true;
    return false;
}

/* ---- methods ------------------------------------------------------- */

mp_list *mp_list_shallow(const mp_list *l) {
    mp_slice all = {0, 0, 1, false, false};
    return mp_list_slice(l, all, MP_LOC(0, 0));
}

void mp_list_insert(mp_list *l, int64_t i, mp_val v) {
    /* clamped as Python: before the start, after the end */
    int64_t j = i < 0 ? (i < -l->len ? 0 : i + l->len) : (i > l->len ? l->len : i);
    mpr_list_grow(l, l->len + 1);
    memmove(&l->items[j + 1], &l->items[j], (size_t)(l->len - j) * sizeof(mp_val));
    l->items[j] = v;
    l->len++;
}

/* A new reference to an empty value of type t: what a failed pop gives
 * when the exception is caught. */
static mp_val empty_value(const mp_type *t) {
    mp_val v;
    memset(&v, 0, sizeof v);
    if (t->kind == MP_STR) v.s = mp_str_new("", 0);
    else if (t->kind == MP_LIST) v.l = mp_list_new(t, 0);
    return v;
}

mp_val mp_list_pop(mp_list *l, int64_t i, mp_loc loc) {
    int64_t j = i < 0 ? i + l->len : i;
    if (l->len == 0 || j < 0 || j >= l->len) {
        mp_raise(MP_EXC_IndexError, loc, "%s",
                 l->len == 0 ? "pop from empty list" : "pop index out of range");
        return empty_value(l->type->elem);
    }
    mp_val v = l->items[j];
    memmove(&l->items[j], &l->items[j + 1], (size_t)(l->len - j - 1) * sizeof(mp_val));
    l->len--;
    return v;
}

void mp_list_del(mp_list *l, int64_t i, mp_loc loc) {
    int64_t j = i < 0 ? i + l->len : i;
    if (j < 0 || j >= l->len) {
        mp_raise(MP_EXC_IndexError, loc, "list assignment index out of range");
        return;
    }
    mp_val v = l->items[j];
    memmove(&l->items[j], &l->items[j + 1], (size_t)(l->len - j - 1) * sizeof(mp_val));
    l->len--;
    mp_val_unref(l->type->elem, v);
}

/* The first index of x in l, or -1. */
static int64_t find(const mp_list *l, const mp_type *tx, mp_val x) {
    for (int64_t i = 0; i < l->len; i++)
        if (item_is(l, i, tx, x)) return i;
    return -1;
}

int64_t mp_list_index(const mp_list *l, const mp_type *tx, mp_val x, mp_loc loc) {
    int64_t i = find(l, tx, x);
    if (i < 0) {
        mp_str *r = mp_repr_of(tx, x);
        mp_raise(MP_EXC_ValueError, loc, "%s is not in list", r->data);
        mp_str_unref(r);
    }
    return i;
}

int64_t mp_list_count(const mp_list *l, const mp_type *tx, mp_val x) {
    int64_t n = 0;
    for (int64_t i = 0; i < l->len; i++) n += item_is(l, i, tx, x);
    return n;
}

void mp_list_remove(mp_list *l, const mp_type *tx, mp_val x, mp_loc loc) {
    int64_t i = find(l, tx, x);
    if (i < 0) {
        mp_raise(MP_EXC_ValueError, loc, "list.remove(x): x not in list");
        return;
    }
    mp_val_unref(l->type->elem, mp_list_pop(l, i, loc));
}

bool mp_list_contains(const mp_list *l, const mp_type *tx, mp_val x) { return find(l, tx, x) >= 0; }

void mp_list_clear(mp_list *l) {
    /* emptied first: releasing an item may not see it again */
    int64_t n = l->len;
    mp_val *items = l->items;
    l->len = l->cap = 0;
    l->items = NULL;
    for (int64_t i = 0; i < n; i++) mp_val_unref(l->type->elem, items[i]);
    free(items);
}

void mp_list_reverse(mp_list *l) {
    for (int64_t i = 0, j = l->len - 1; i < j; i++, j--) {
        mp_val t = l->items[i];
        l->items[i] = l->items[j];
        l->items[j] = t;
    }
}

/* ---- sorting: a stable merge sort of item indices ------------------ */

typedef struct Order {
    const mp_type *t; /* of the values compared */
    const mp_val *v;  /* the items, or their keys */
    bool reverse;
} Order;

/* Item j goes before item i (Python's sort only asks "<"). */
static bool before(const Order *o, int64_t j, int64_t i) {
    if (o->reverse) return mp_val_cmp(o->t, o->v[i], o->v[j]) == -1;
    return mp_val_cmp(o->t, o->v[j], o->v[i]) == -1;
}

static void merge_sort(const Order *o, int64_t *idx, int64_t *tmp, int64_t n) {
    if (n < 2) return;
    int64_t h = n / 2;
    merge_sort(o, idx, tmp, h);
    merge_sort(o, idx + h, tmp, n - h);
    int64_t a = 0, b = h, k = 0;
    while (a < h && b < n) tmp[k++] = before(o, idx[b], idx[a]) ? idx[b++] : idx[a++];
    while (a < h) tmp[k++] = idx[a++];
    while (b < n) tmp[k++] = idx[b++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

void mp_list_sort(mp_list *l, const mp_list *keys, bool reverse, mp_loc loc) {
    int64_t n = l->len;
    if (keys && keys->len != n) {
        mp_raise(MP_EXC_ValueError, loc, "list modified during sort");
        return;
    }
    if (n < 2) return;
    const mp_list *by = keys ? keys : l;
    Order o = {by->type->elem, by->items, reverse};
    int64_t *idx = mpr_malloc((size_t)n * sizeof *idx);
    int64_t *tmp = mpr_malloc((size_t)n * sizeof *tmp);
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    merge_sort(&o, idx, tmp, n);
    mp_val *sorted = mpr_malloc((size_t)n * sizeof *sorted);
    for (int64_t i = 0; i < n; i++) sorted[i] = l->items[idx[i]];
    memcpy(l->items, sorted, (size_t)n * sizeof *sorted);
    free(sorted);
    free(tmp);
    free(idx);
}

/* ---- reductions ---------------------------------------------------- */

int64_t mp_list_minmax(const mp_list *l, const mp_list *keys, bool max, mp_loc loc) {
    if (l->len == 0) {
        mp_raise(MP_EXC_ValueError, loc, "%s() arg is an empty sequence", max ? "max" : "min");
        return -1;
    }
    const mp_list *by = keys ? keys : l;
    const mp_type *t = by->type->elem;
    int64_t best = 0;
    for (int64_t i = 1; i < l->len; i++)
        if (mp_val_cmp(t, by->items[i], by->items[best]) == (max ? 1 : -1)) best = i;
    return best;
}

int64_t mp_list_sum_i(const mp_list *l, int64_t start, mp_loc loc) {
    int64_t s = start;
    for (int64_t i = 0; i < l->len; i++) s = mp_add(s, l->items[i].i, loc);
    return s;
}

double mp_list_sum_f(const mp_list *l, double start) {
    double s = start;
    bool ints = l->type->elem->kind == MP_INT;
    for (int64_t i = 0; i < l->len; i++) s += ints ? (double)l->items[i].i : l->items[i].f;
    return s;
}

bool mp_list_any(const mp_list *l) {
    for (int64_t i = 0; i < l->len; i++)
        if (l->items[i].b) return true;
    return false;
}

bool mp_list_all(const mp_list *l) {
    for (int64_t i = 0; i < l->len; i++)
        if (!l->items[i].b) return false;
    return true;
}

bool mp_str_contains(const mp_str *s, const mp_str *sub) {
    return sub->len == 0 || memmem(s->data, s->len, sub->data, sub->len) != NULL;
}

mp_list *mp_list_of_str(const mp_str *s, const mp_type *list_type) {
    mp_list *r = mp_list_new(list_type, 0);
    for (size_t off = 0; off < s->len;) mp_list_push(r, (mp_val){.s = mp_str_next(s, &off)});
    return r;
}

/* ---- round() ------------------------------------------------------- */

/* x rounded to an integer, halves to even (without libm). */
static double round_even(double x) {
    double f = mp_floor_raw(x);
    double d = x - f; /* exact */
    if (d > 0.5 || (d == 0.5 && mp_fmod_raw(f, 2.0) != 0.0)) f += 1.0;
    return f;
}

static double trunc_raw(double x) { return x < 0 ? -mp_floor_raw(-x) : mp_floor_raw(x); }

int64_t mp_round_f(double x, mp_loc loc) {
    if (x != x) {
        mp_raise(MP_EXC_ValueError, loc, "cannot convert float NaN to integer");
        return 0;
    }
    if (x - x != 0.0) {
        mp_raise(MP_EXC_OverflowError, loc, "cannot convert float infinity to integer");
        return 0;
    }
    double r = round_even(x);
    if (r >= 9223372036854775808.0 || r < -9223372036854775808.0) mp_fail(loc, "integer overflow");
    return (int64_t)r;
}

/* Rounds the decimal digits D (no sign, no point; the last K of them
 * are to be dropped) half to even, in place; EXACT_REST: nothing nonzero
 * follows D. Returns whether a carry came out of the first digit. */
static bool round_digits(char *d, size_t len, size_t k, bool rest_zero) {
    size_t keep = len - k;
    bool half = d[keep] == '5', above = d[keep] > '5';
    for (size_t i = keep + 1; i < len && half; i++)
        if (d[i] != '0') above = true, half = false;
    if (half && !rest_zero) above = true, half = false;
    bool odd = keep > 0 && (d[keep - 1] - '0') % 2 == 1;
    bool up = above || (half && odd);
    memset(d + keep, '0', k);
    for (size_t i = keep; up && i-- > 0;) {
        if (d[i] == '9') d[i] = '0';
        else {
            d[i]++;
            up = false;
        }
    }
    return up;
}

double mp_round_fn(double x, int64_t n, mp_loc loc) {
    if (x != x || x - x != 0.0 || x == 0.0) return x;
    if (n > 330) return x; /* beyond the last digit of any double */
    if (n < -330) return x < 0 ? -0.0 : 0.0;
    char buf[400];
    double r;
    if (n >= 0) {
        /* glibc prints the exact binary value, rounded half to even */
        snprintf(buf, sizeof buf, "%.*f", (int)n, x);
        r = strtod(buf, NULL);
    } else {
        /* round the exact integer part; the fraction only breaks ties */
        double whole = trunc_raw(x);
        int len = snprintf(buf + 1, sizeof buf - 1, "%.0f", __builtin_fabs(whole));
        size_t k = (size_t)-n;
        buf[0] = '0'; /* room for a carry */
        if (k > (size_t)len) r = 0.0;
        else {
            round_digits(buf, (size_t)len + 1, k, x == whole);
            r = strtod(buf, NULL);
        }
        if (x < 0) r = -r;
    }
    if (r - r != 0.0) {
        mp_raise(MP_EXC_OverflowError, loc, "rounded value too large to represent");
        return x;
    }
    if (r == 0.0 && x < 0) r = -0.0; /* the sign survives, as in Python */
    return r;
}

int64_t mp_round_in(int64_t x, int64_t n, mp_loc loc) {
    if (n >= 0) return x;
    if (n < -19) return 0;
    uint64_t p = 1;
    for (int64_t i = 0; i < -n; i++) p *= 10;
    uint64_t ax = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    uint64_t q = ax / p, rem = ax % p;
    if (rem > p - rem || (rem == p - rem && q % 2 == 1)) q++;
    /* q * p can pass int64 (round(9223372036854775807, -1)) */
    uint64_t m;
    if (__builtin_mul_overflow(q, p, &m) || m > (uint64_t)INT64_MAX + (x < 0)) {
        mp_fail(loc, "integer overflow");
        return 0;
    }
    return x < 0 ? (int64_t)(0 - m) : (int64_t)m;
}
