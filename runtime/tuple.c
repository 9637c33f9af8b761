/* tuple.c: refcounted immutable tuples. A tuple's items are mp_vals typed
 * by its type descriptor (MP_TUPLE, items[0..n-1]); the item count is the
 * type's, so it is not stored twice. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>

#include "mpr_internal.h"

struct mp_tuple {
    intptr_t refs;
    const mp_type *type;
    mp_val items[];
};

mp_tuple *mp_tuple_pack(const mp_type *t, ...) {
    mp_tuple *u = mpr_malloc(sizeof *u + TUP(t)->n * sizeof(mp_val));
    u->refs = 1;
    u->type = t;
    va_list ap;
    va_start(ap, t);
    for (size_t k = 0; k < TUP(t)->n; k++) u->items[k] = va_arg(ap, mp_val);
    va_end(ap);
    return u;
}

mp_tuple *mp_tuple_ref(mp_tuple *u) {
    if (u) u->refs++;
    return u;
}

void mp_tuple_unref(mp_tuple *u) {
    if (!u || --u->refs > 0) return;
    for (size_t k = 0; k < TUP(u->type)->n; k++) mp_val_unref(TUP(u->type)->items[k], u->items[k]);
    free(u);
}

int64_t mp_tuple_len(const mp_tuple *u) { return (int64_t)TUP(u->type)->n; }

const mp_type *mpr_tuple_type(const mp_tuple *u) { return u->type; }

mp_val mp_tuple_item(const mp_tuple *u, size_t k) { return u->items[k]; }

mp_val mp_tuple_get(const mp_tuple *u, int64_t i, mp_loc loc) {
    int64_t n = (int64_t)TUP(u->type)->n, j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) {
        mp_raise(MP_EXC_IndexError, loc, "tuple index out of range");
        return (mp_val){.i = 0};
    }
    return u->items[j];
}

/* A tuple whose items the caller sets (the decoder, copies): zeroed
 * items are safe to free only where every item type is a scalar or a
 * pointer (NULL unrefs nothing), which every type is. */
mp_tuple *mpr_tuple_alloc(const mp_type *t) {
    mp_tuple *u = mpr_malloc(sizeof *u + TUP(t)->n * sizeof(mp_val));
    u->refs = 1;
    u->type = t;
    for (size_t k = 0; k < TUP(t)->n; k++) u->items[k] = (mp_val){.i = 0};
    return u;
}

void mpr_tuple_set(mp_tuple *u, size_t k, mp_val v) { u->items[k] = v; }

bool mpr_tuple_eq(const mp_tuple *a, const mp_tuple *b) {
    if (a == b) return true;
    for (size_t k = 0; k < TUP(a->type)->n; k++)
        if (!mp_val_eq(TUP(a->type)->items[k], a->items[k], b->items[k])) return false;
    return true;
}

int mpr_tuple_cmp(const mp_tuple *a, const mp_tuple *b) {
    for (size_t k = 0; k < TUP(a->type)->n; k++) {
        int c = mp_val_cmp(TUP(a->type)->items[k], a->items[k], b->items[k]);
        if (c != 0) return c;
    }
    return 0;
}

mp_tuple *mpr_tuple_copy(const mp_tuple *u) {
    mp_tuple *r = mpr_tuple_alloc(u->type);
    for (size_t k = 0; k < TUP(u->type)->n; k++)
        r->items[k] = mp_val_copy(TUP(u->type)->items[k], u->items[k]);
    return r;
}

/* ---- built-ins that make tuples ---------------------------------- */

/* Item i of a list or str sequence (a str's characters as new strings,
 * walked by the byte offset *off): a new reference. */
static mp_val seq_item(const mp_type *st, mp_val seq, int64_t i, size_t *off) {
    if (st->kind == MP_STR) return (mp_val){.s = mp_str_next(seq.s, off)};
    mp_val v = mp_list_get(seq.l, i, MP_LOC(0, 0));
    mp_val_ref(st->elem, v);
    return v;
}

static int64_t seq_len(const mp_type *st, mp_val seq) {
    return st->kind == MP_STR ? mp_str_len(seq.s) : mp_list_len(seq.l);
}

mp_list *mp_enumerate(const mp_type *lt, const mp_type *st, mp_val seq, int64_t start, mp_loc loc) {
    int64_t n = seq_len(st, seq);
    mp_list *r = mp_list_new(lt, (size_t)n);
    size_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t k;
        if (__builtin_add_overflow(start, i, &k)) {
            mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
            return r;
        }
        mp_tuple *u = mpr_tuple_alloc(lt->elem);
        mpr_tuple_set(u, 0, (mp_val){.i = k});
        mpr_tuple_set(u, 1, seq_item(st, seq, i, &off));
        mp_list_push(r, (mp_val){.t = u});
    }
    return r;
}

static mp_list *zip(const mp_type *lt, int k, const mp_type *const *ts, const mp_val *seqs) {
    int64_t n = INT64_MAX;
    for (int j = 0; j < k; j++) {
        int64_t m = seq_len(ts[j], seqs[j]);
        if (m < n) n = m;
    }
    mp_list *r = mp_list_new(lt, (size_t)n);
    size_t off[3] = {0, 0, 0};
    for (int64_t i = 0; i < n; i++) {
        mp_tuple *u = mpr_tuple_alloc(lt->elem);
        for (int j = 0; j < k; j++)
            mpr_tuple_set(u, (size_t)j, seq_item(ts[j], seqs[j], i, &off[j]));
        mp_list_push(r, (mp_val){.t = u});
    }
    return r;
}

mp_list *mp_zip2(const mp_type *lt, const mp_type *at, mp_val a, const mp_type *bt, mp_val b) {
    const mp_type *ts[2] = {at, bt};
    mp_val seqs[2] = {a, b};
    return zip(lt, 2, ts, seqs);
}

mp_list *mp_zip3(const mp_type *lt, const mp_type *at, mp_val a, const mp_type *bt, mp_val b,
                 const mp_type *ct, mp_val c) {
    const mp_type *ts[3] = {at, bt, ct};
    mp_val seqs[3] = {a, b, c};
    return zip(lt, 3, ts, seqs);
}

mp_tuple *mp_divmod_i(const mp_type *t, int64_t a, int64_t b, mp_loc loc) {
    if (b == 0) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "integer division or modulo by zero");
        return mp_tuple_pack(t, (mp_val){.i = 0}, (mp_val){.i = 0});
    }
    if (a == INT64_MIN && b == -1) {
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return mp_tuple_pack(t, (mp_val){.i = 0}, (mp_val){.i = 0});
    }
    int64_t q = a / b, r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) { /* floor, as Python */
        q--;
        r += b;
    }
    return mp_tuple_pack(t, (mp_val){.i = q}, (mp_val){.i = r});
}

mp_tuple *mp_divmod_f(const mp_type *t, double a, double b, mp_loc loc) {
    if (mp_fzero(b)) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "float divmod()");
        return mp_tuple_pack(t, (mp_val){.f = 0}, (mp_val){.f = 0});
    }
    return mp_tuple_pack(t, (mp_val){.f = mp_ffloordiv_raw(a, b)},
                         (mp_val){.f = mp_fmod_py_raw(a, b)});
}
