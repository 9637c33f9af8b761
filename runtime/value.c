/* value.c: refcounted strings and lists, generic value ref/unref/compare.
 * Refcounts are plain integers: the runtime is single-threaded and a
 * forked child gets its own copy of every object. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "mpr_internal.h"

const mp_type mp_t_int = {MP_INT, NULL};
const mp_type mp_t_float = {MP_FLOAT, NULL};
const mp_type mp_t_bool = {MP_BOOL, NULL};
const mp_type mp_t_str = {MP_STR, NULL};
const mp_type mp_t_none = {MP_NONE, NULL};

/* ---- strings ------------------------------------------------------ */

static mp_str empty_str = {MP_IMMORTAL, 0, "", 1};

/* One immortal string per byte value, for indexing: made on first use,
 * on the heap (8 KiB in .bss would spread the runtime's other variables
 * over more pages, and a new process faults on each page it touches). */
static struct byte_strs {
    mp_str s[256];
    char c[256][2];
} * byte_strs;

static mp_str *str_alloc(size_t len, char **data) {
    if (len > SIZE_MAX - sizeof(mp_str) - 1) mpr_oom();
    mp_str *s = mpr_malloc(sizeof *s + len + 1);
    *data = (char *)(s + 1);
    (*data)[len] = '\0';
    s->refs = 1;
    s->len = len;
    s->data = *data;
    s->chars = 0;
    return s;
}

mp_str *mpr_str_alloc(size_t len, char **data) {
    if (len == 0) {
        *data = NULL;
        return &empty_str;
    }
    return str_alloc(len, data);
}

mp_str *mpr_str_resize(mp_str *s, size_t len, char **data) {
    if (len > SIZE_MAX - sizeof(mp_str) - 1) mpr_oom();
    s = mpr_realloc(s, sizeof *s + len + 1);
    *data = (char *)(s + 1);
    (*data)[len] = '\0';
    s->len = len;
    s->data = *data;
    s->chars = 0;
    return s;
}

mp_str *mp_str_new(const char *bytes, size_t len) {
    char *d;
    if (len == 0) return &empty_str;
    mp_str *s = str_alloc(len, &d);
    memcpy(d, bytes, len);
    return s;
}

mp_str *mp_str_cstr(const char *s) { return mp_str_new(s, strlen(s)); }

mp_str *mp_str_ref(mp_str *s) {
    if (s && s->refs >= 0) s->refs++;
    return s;
}

void mp_str_unref(mp_str *s) {
    if (!s || s->refs < 0) return;
    if (--s->refs == 0) free(s);
}

/* Bytes of the character at p (n > 0 bytes left). */
static size_t char_bytes(const char *p, size_t n) {
    int k;
    if ((unsigned char)*p < 0x80) return 1;
    return mpr_utf8_decode((const unsigned char *)p, n, &k) < 0 ? 1 : (size_t)k;
}

/* The character count, counted once per string (strings are immutable;
 * the cache is per process, like the refcount). */
static size_t str_chars(const mp_str *s) {
    if (s->chars) return s->chars - 1;
    size_t n = 0, i = 0;
    /* the ASCII prefix eight bytes at a time: big messages are mostly it */
    for (uint64_t w; i + 8 <= s->len; i += 8) {
        memcpy(&w, s->data + i, 8);
        if (w & 0x8080808080808080u) break;
    }
    while (i < s->len && (unsigned char)s->data[i] < 0x80) i++;
    n = i;
    while (i < s->len) {
        i += char_bytes(s->data + i, s->len - i);
        n++;
    }
    ((mp_str *)s)->chars = n + 1;
    return n;
}

int64_t mp_str_len(const mp_str *s) { return (int64_t)str_chars(s); }

bool mp_str_eq(const mp_str *a, const mp_str *b) {
    return a == b || (a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
}

int mp_str_cmp(const mp_str *a, const mp_str *b) {
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c != 0) return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

mp_str *mp_str_concat(const mp_str *a, const mp_str *b) {
    char *d;
    if (a->len > SIZE_MAX / 2 || b->len > SIZE_MAX / 2) mpr_oom();
    if (a->len + b->len == 0) return &empty_str;
    mp_str *s = str_alloc(a->len + b->len, &d);
    memcpy(d, a->data, a->len);
    memcpy(d + a->len, b->data, b->len);
    return s;
}

mp_str *mp_str_repeat(const mp_str *s, int64_t n) {
    char *d;
    size_t total;
    if (n <= 0 || s->len == 0) return &empty_str;
    if (__builtin_mul_overflow(s->len, (uint64_t)n, &total)) mpr_oom();
    mp_str *r = str_alloc(total, &d);
    for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * s->len, s->data, s->len);
    return r;
}

/* One immortal string per byte value: the ASCII characters, and the
 * bytes that are not part of valid UTF-8. */
static mp_str *byte_str(unsigned char c) {
    if (!byte_strs) {
        struct byte_strs *b = mpr_calloc(1, sizeof *b);
        for (int k = 0; k < 256; k++) {
            b->c[k][0] = (char)k;
            b->s[k] = (mp_str){MP_IMMORTAL, 1, b->c[k], 2};
        }
        byte_strs = b;
    }
    return &byte_strs->s[c];
}

mp_str *mp_str_next(const mp_str *s, size_t *off) {
    const char *p = s->data + *off;
    size_t k = char_bytes(p, s->len - *off);
    *off += k;
    if (k == 1) return byte_str((unsigned char)*p);
    mp_str *r = mp_str_new(p, k);
    r->chars = 2;
    return r;
}

mp_str *mp_str_index(const mp_str *s, int64_t i, mp_loc loc) {
    int64_t n = (int64_t)str_chars(s);
    int64_t j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) {
        mp_raise(MP_EXC_IndexError, loc, "string index out of range");
        return &empty_str;
    }
    if ((size_t)n == s->len) return byte_str((unsigned char)s->data[j]);
    size_t off = 0;
    for (int64_t c = 0; c < j; c++) off += char_bytes(s->data + off, s->len - off);
    return mp_str_next(s, &off);
}

/* ---- lists -------------------------------------------------------- */

static bool kind_has_refs(mp_kind k) {
    return k == MP_STR || k == MP_LIST || k == MP_OPT || k == MP_TUPLE || k == MP_DICT ||
           k == MP_SET;
}

mp_list *mp_list_new(const mp_type *list_type, size_t cap) {
    mp_list *l = mpr_malloc(sizeof *l);
    if (cap > (size_t)INT64_MAX / sizeof(mp_val)) mpr_oom();
    l->refs = 1;
    l->type = list_type;
    l->len = 0;
    l->cap = (int64_t)cap;
    l->items = cap ? mpr_malloc(cap * sizeof(mp_val)) : NULL;
    return l;
}

mp_list *mp_list_ref(mp_list *l) {
    if (l) l->refs++;
    return l;
}

void mp_list_unref(mp_list *l) {
    if (!l || --l->refs > 0) return;
    const mp_type *et = l->type->elem;
    if (kind_has_refs(et->kind))
        for (int64_t i = 0; i < l->len; i++) mp_val_unref(et, l->items[i]);
    free(l->items);
    free(l);
}

const mp_type *mp_list_type(const mp_list *l) { return l->type; }

int64_t mp_list_len(const mp_list *l) { return l->len; }

void mpr_list_grow(mp_list *l, int64_t need) {
    if (need <= l->cap) return;
    int64_t cap = l->cap < 4 ? 4 : l->cap;
    while (cap < need) {
        if (cap > INT64_MAX / 2 / (int64_t)sizeof(mp_val)) mpr_oom();
        cap *= 2;
    }
    l->items = mpr_realloc(l->items, (size_t)cap * sizeof(mp_val));
    l->cap = cap;
}

void mp_list_reserve(mp_list *l, int64_t n) {
    if (n < 0) mpr_oom();
    mpr_list_grow(l, n);
}

void mpr_list_push_grow(mp_list *l, mp_val v) {
    mpr_list_grow(l, l->len + 1);
    l->items[l->len++] = v;
}

/* WHAT: "list" reading, "list assignment" writing (Python's texts). */
static int64_t list_index(const mp_list *l, int64_t i, const char *what, mp_loc loc) {
    int64_t j = i < 0 ? i + l->len : i;
    if (j < 0 || j >= l->len) {
        mp_raise(MP_EXC_IndexError, loc, "%s index out of range", what);
        return -1;
    }
    return j;
}

mp_val mpr_list_get_any(const mp_list *l, int64_t i, mp_loc loc) {
    int64_t j = list_index(l, i, "list", loc);
    return j < 0 ? (mp_val){0} : l->items[j];
}

void mpr_list_set_any(mp_list *l, int64_t i, mp_val v, mp_loc loc) {
    int64_t j = list_index(l, i, "list assignment", loc);
    if (j < 0) {
        mp_val_unref(l->type->elem, v);
        return;
    }
    mp_val old = l->items[j];
    l->items[j] = v;
    mp_val_unref(l->type->elem, old);
}

mp_list *mp_list_concat(const mp_list *a, const mp_list *b) {
    mp_list *r = mp_list_new(a->type, (size_t)(a->len + b->len));
    const mp_type *et = a->type->elem;
    for (int64_t i = 0; i < a->len; i++) {
        mp_val_ref(et, a->items[i]);
        r->items[r->len++] = a->items[i];
    }
    for (int64_t i = 0; i < b->len; i++) {
        mp_val_ref(et, b->items[i]);
        r->items[r->len++] = b->items[i];
    }
    return r;
}

mp_list *mp_list_copy(const mp_list *l) {
    mp_list *r = mp_list_new(l->type, (size_t)l->len);
    const mp_type *et = l->type->elem;
    for (int64_t i = 0; i < l->len; i++) {
        mp_val v = l->items[i];
        r->items[r->len++] = mp_val_copy(et, v);
    }
    return r;
}

mp_list *mp_list_repeat(const mp_list *l, int64_t n) {
    int64_t total;
    if (n <= 0 || l->len == 0) return mp_list_new(l->type, 0);
    if (__builtin_mul_overflow(l->len, n, &total) || total > INT64_MAX / (int64_t)sizeof(mp_val))
        mpr_oom();
    mp_list *r = mp_list_new(l->type, (size_t)total);
    const mp_type *et = l->type->elem;
    for (int64_t k = 0; k < n; k++)
        for (int64_t i = 0; i < l->len; i++) {
            mp_val_ref(et, l->items[i]);
            r->items[r->len++] = l->items[i];
        }
    return r;
}

bool mp_list_eq(const mp_list *a, const mp_list *b) {
    if (a == b) return true;
    if (a->len != b->len) return false;
    const mp_type *et = a->type->elem;
    for (int64_t i = 0; i < a->len; i++)
        if (!mp_val_eq(et, a->items[i], b->items[i])) return false;
    return true;
}

int mp_list_cmp(const mp_list *a, const mp_list *b) {
    const mp_type *et = a->type->elem;
    int64_t n = a->len < b->len ? a->len : b->len;
    for (int64_t i = 0; i < n; i++) {
        int c = mp_val_cmp(et, a->items[i], b->items[i]);
        if (c != 0) return c;
    }
    return a->len < b->len ? -1 : a->len > b->len;
}

/* ---- optional scalars --------------------------------------------- */

static mp_box *box_new(mp_val v) {
    mp_box *o = mpr_malloc(sizeof *o);
    o->refs = 1;
    o->v = v;
    return o;
}

mp_box *mp_box_i(int64_t v) { return box_new((mp_val){.i = v}); }
mp_box *mp_box_f(double v) { return box_new((mp_val){.f = v}); }
mp_box *mp_box_b(bool v) { return box_new((mp_val){.b = v}); }

mp_box *mp_box_ref(mp_box *o) {
    if (o) o->refs++;
    return o;
}

void mp_box_unref(mp_box *o) {
    if (o && --o->refs == 0) free(o);
}

bool mpr_opt_is_none(const mp_type *t, mp_val v) {
    switch (t->elem->kind) {
    case MP_STR: return !v.s;
    case MP_LIST: return !v.l;
    case MP_TUPLE: return !v.t;
    case MP_DICT:
    case MP_SET: return !v.d;
    default: return !v.o;
    }
}

mp_val mpr_opt_inner(const mp_type *t, mp_val v) {
    return kind_has_refs(t->elem->kind) ? v : v.o->v;
}

/* ---- generic values ----------------------------------------------- */

void mp_val_ref(const mp_type *t, mp_val v) {
    if (t->kind == MP_STR) mp_str_ref(v.s);
    else if (t->kind == MP_LIST) mp_list_ref(v.l);
    else if (t->kind == MP_TUPLE) mp_tuple_ref(v.t);
    else if (t->kind == MP_DICT || t->kind == MP_SET) mp_dict_ref(v.d);
    else if (t->kind == MP_OPT) {
        if (kind_has_refs(t->elem->kind)) mp_val_ref(t->elem, v);
        else mp_box_ref(v.o);
    }
}

void mp_val_unref(const mp_type *t, mp_val v) {
    if (t->kind == MP_STR) mp_str_unref(v.s);
    else if (t->kind == MP_LIST) mp_list_unref(v.l);
    else if (t->kind == MP_TUPLE) mp_tuple_unref(v.t);
    else if (t->kind == MP_DICT || t->kind == MP_SET) mp_dict_unref(v.d);
    else if (t->kind == MP_OPT) {
        if (kind_has_refs(t->elem->kind)) mp_val_unref(t->elem, v);
        else mp_box_unref(v.o);
    }
}

mp_val mp_val_copy(const mp_type *t, mp_val v) {
    if (t->kind == MP_OPT && mpr_opt_is_none(t, v)) return v;
    if (t->kind == MP_OPT) t = kind_has_refs(t->elem->kind) ? t->elem : t;
    if (t->kind == MP_LIST) v.l = mp_list_copy(v.l);
    else if (t->kind == MP_TUPLE) v.t = mpr_tuple_copy(v.t);
    else if (t->kind == MP_DICT || t->kind == MP_SET) v.d = mpr_dict_copy(v.d);
    else mp_val_ref(t, v);
    return v;
}

bool mp_val_eq(const mp_type *t, mp_val a, mp_val b) {
    switch (t->kind) {
    case MP_INT: return a.i == b.i;
    case MP_FLOAT: return a.f == b.f;
    case MP_BOOL: return a.b == b.b;
    case MP_STR: return mp_str_eq(a.s, b.s);
    case MP_LIST: return a.l == b.l || mp_list_eq(a.l, b.l);
    case MP_NONE: return true;
    case MP_TUPLE: return mpr_tuple_eq(a.t, b.t);
    case MP_DICT:
    case MP_SET: return mpr_dict_eq(a.d, b.d);
    case MP_OPT: {
        bool an = mpr_opt_is_none(t, a), bn = mpr_opt_is_none(t, b);
        if (an || bn) return an && bn;
        return mp_val_eq(t->elem, mpr_opt_inner(t, a), mpr_opt_inner(t, b));
    }
    }
    return false;
}

int mp_val_cmp(const mp_type *t, mp_val a, mp_val b) {
    switch (t->kind) {
    case MP_INT: return a.i < b.i ? -1 : a.i > b.i;
    case MP_FLOAT: return a.f < b.f ? -1 : a.f > b.f ? 1 : a.f == b.f ? 0 : MP_UNORDERED;
    case MP_BOOL: return (int)a.b - (int)b.b;
    case MP_STR: return mp_str_cmp(a.s, b.s);
    case MP_LIST: return mp_list_cmp(a.l, b.l);
    case MP_TUPLE: return mpr_tuple_cmp(a.t, b.t);
    case MP_NONE:
    case MP_DICT:
    case MP_SET:
    case MP_OPT: break; /* not ordered: the compiler refuses it */
    }
    return 0;
}

void mp_list_extend(mp_list *l, const mp_list *other) {
    int64_t n = other->len; /* other may be l itself */
    mpr_list_grow(l, l->len + n);
    const mp_type *et = l->type->elem;
    for (int64_t i = 0; i < n; i++) {
        mp_val_ref(et, other->items[i]);
        l->items[l->len++] = other->items[i];
    }
}
