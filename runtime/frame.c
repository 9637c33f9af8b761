/* frame.c: the value encoding used by pipes and queues.
 *
 * A value is a tag byte followed by its body, in host byte order (all
 * peers run on the same machine):
 *     int    0x01, 8 bytes          float 0x02, 8 bytes (IEEE 754 bits)
 *     bool   0x03, 1 byte (0 or 1)  str   0x04, u32 length, bytes
 *     list   0x05, u32 count, count values of the element type; a list
 *            of ints or floats: the element tag once, then count 8-byte
 *            bodies (one copy of the list's items each way)
 *     None   0x06 (alone)
 *     tuple  0x07, then its items in order (their count is the type's)
 *     dict   0x08, u32 count, count (key, value) pairs in insertion order
 *     set    0x09, u32 count, count elements in insertion order
 *            (no two keys equal)
 * A value of type `T | None` is None's tag or T's encoding: the tag tells
 * them apart.
 * The decoder is driven by the expected type, so nesting is bounded by
 * the type, and it checks every tag and length against the bytes left:
 * a list count may not exceed what the remaining bytes could hold. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "mpr_internal.h"

enum {
    TAG_INT = 1,
    TAG_FLOAT,
    TAG_BOOL,
    TAG_STR,
    TAG_LIST,
    TAG_NONE,
    TAG_TUPLE,
    TAG_DICT,
    TAG_SET
};

static const unsigned char kind_tag[] = {
    [MP_INT] = TAG_INT,     [MP_FLOAT] = TAG_FLOAT, [MP_BOOL] = TAG_BOOL,
    [MP_STR] = TAG_STR,     [MP_LIST] = TAG_LIST,   [MP_NONE] = TAG_NONE,
    [MP_TUPLE] = TAG_TUPLE, [MP_DICT] = TAG_DICT,   [MP_SET] = TAG_SET,
};

/* Smallest encoding of a value of kind k. */
static const size_t kind_min[] = {
    [MP_INT] = 9,  [MP_FLOAT] = 9, [MP_BOOL] = 2,  [MP_STR] = 5,  [MP_LIST] = 5,
    [MP_NONE] = 1, [MP_OPT] = 1,   [MP_TUPLE] = 1, [MP_DICT] = 5, [MP_SET] = 5,
};

/* A list type whose items are 8-byte numbers, sent as one stretch. */
static bool packed(const mp_type *t) {
    return t->elem && (t->elem->kind == MP_INT || t->elem->kind == MP_FLOAT);
}

/* The key type of a dict or set type (NULL when malformed). */
static const mp_type *keys_of(const mp_type *t) {
    return t->kind == MP_SET ? t->elem : mp_dict_key_type(t);
}

size_t mp_frame_size(const mp_type *t, mp_val v) {
    switch (t->kind) {
    case MP_INT:
    case MP_FLOAT: return 9;
    case MP_BOOL: return 2;
    case MP_STR: return 5 + v.s->len;
    case MP_LIST: {
        int64_t n = mp_list_len(v.l);
        size_t total = 5;
        if (packed(t)) return total + 1 + 8 * (size_t)n;
        if (t->elem->kind == MP_BOOL) return total + 2 * (size_t)n;
        for (int64_t i = 0; i < n; i++)
            total += mp_frame_size(t->elem, mp_list_get(v.l, i, MP_LOC(0, 0)));
        return total;
    }
    case MP_NONE: return 1;
    case MP_TUPLE: {
        size_t total = 1;
        for (size_t k = 0; k < TUP(t)->n; k++)
            total += mp_frame_size(TUP(t)->items[k], mp_tuple_item(v.t, k));
        return total;
    }
    case MP_DICT:
    case MP_SET: {
        size_t total = 5;
        mp_val k, e;
        for (int64_t pos = 0; mpr_dict_walk(v.d, &pos, &k, &e);) {
            total += mp_frame_size(keys_of(t), k);
            if (t->kind == MP_DICT) total += mp_frame_size(t->elem, e);
        }
        return total;
    }
    case MP_OPT: return mpr_opt_is_none(t, v) ? 1 : mp_frame_size(t->elem, mpr_opt_inner(t, v));
    }
    return 0;
}

static void wr(mpr_wr *w, const void *src, size_t len) {
    const unsigned char *s = src;
    if (len > w->n) {
        memcpy(w->p, s, w->n);
        s += w->n;
        len -= w->n;
        w->p = w->p2;
        w->n = SIZE_MAX;
        w->p2 = NULL;
    }
    memcpy(w->p, s, len);
    w->p += len;
    w->n -= len;
}

static void wr_head(mpr_wr *w, unsigned char tag, uint32_t n) {
    unsigned char h[5];
    h[0] = tag;
    memcpy(h + 1, &n, 4);
    wr(w, h, 5);
}

void mpr_frame_write(mpr_wr *w, const mp_type *t, mp_val v) {
    unsigned char b[9];
    switch (t->kind) {
    case MP_INT:
        b[0] = TAG_INT;
        memcpy(b + 1, &v.i, 8);
        wr(w, b, 9);
        break;
    case MP_FLOAT:
        b[0] = TAG_FLOAT;
        memcpy(b + 1, &v.f, 8);
        wr(w, b, 9);
        break;
    case MP_BOOL:
        b[0] = TAG_BOOL;
        b[1] = v.b ? 1 : 0;
        wr(w, b, 2);
        break;
    case MP_STR:
        wr_head(w, TAG_STR, (uint32_t)v.s->len);
        wr(w, v.s->data, v.s->len);
        break;
    case MP_LIST: {
        int64_t n = mp_list_len(v.l);
        wr_head(w, TAG_LIST, (uint32_t)n);
        if (packed(t)) { /* an item is its 8 bytes: a float's bits too */
            wr(w, &kind_tag[t->elem->kind], 1);
            if (n) wr(w, v.l->items, 8 * (size_t)n);
            break;
        }
        for (int64_t i = 0; i < n; i++)
            mpr_frame_write(w, t->elem, mp_list_get(v.l, i, MP_LOC(0, 0)));
        break;
    }
    case MP_NONE:
        b[0] = TAG_NONE;
        wr(w, b, 1);
        break;
    case MP_TUPLE:
        b[0] = TAG_TUPLE;
        wr(w, b, 1);
        for (size_t k = 0; k < TUP(t)->n; k++)
            mpr_frame_write(w, TUP(t)->items[k], mp_tuple_item(v.t, k));
        break;
    case MP_DICT:
    case MP_SET: {
        mp_val k, e;
        wr_head(w, t->kind == MP_DICT ? TAG_DICT : TAG_SET, (uint32_t)mp_dict_len(v.d));
        for (int64_t pos = 0; mpr_dict_walk(v.d, &pos, &k, &e);) {
            mpr_frame_write(w, keys_of(t), k);
            if (t->kind == MP_DICT) mpr_frame_write(w, t->elem, e);
        }
        break;
    }
    case MP_OPT:
        if (mpr_opt_is_none(t, v)) mpr_frame_write(w, &mp_t_none, v);
        else mpr_frame_write(w, t->elem, mpr_opt_inner(t, v));
        break;
    }
}

void mp_frame_encode(const mp_type *t, mp_val v, void *buf) {
    mpr_wr w = {buf, SIZE_MAX, NULL};
    mpr_frame_write(&w, t, v);
}

struct rd {
    const unsigned char *p, *end;
};

static int rd_head(struct rd *r, unsigned char tag, uint32_t *n) {
    if (r->end - r->p < 5 || r->p[0] != tag) return -1;
    memcpy(n, r->p + 1, 4);
    r->p += 5;
    return 0;
}

static int rd_val(struct rd *r, const mp_type *t, mp_val *out);

/* `T | None`: None's tag, or a T (a scalar is boxed). */
static int rd_opt(struct rd *r, const mp_type *t, mp_val *out) {
    if (!t->elem || t->elem->kind == MP_OPT || t->elem->kind == MP_NONE) return -1;
    if (r->p < r->end && r->p[0] == TAG_NONE) {
        r->p++;
        *out = (mp_val){0};
        if (t->elem->kind == MP_STR) out->s = NULL;
        else if (t->elem->kind == MP_LIST) out->l = NULL;
        else if (t->elem->kind == MP_TUPLE) out->t = NULL;
        else if (t->elem->kind == MP_DICT || t->elem->kind == MP_SET) out->d = NULL;
        else out->o = NULL;
        return 0;
    }
    mp_val v;
    if (rd_val(r, t->elem, &v) < 0) return -1;
    switch (t->elem->kind) {
    case MP_INT: out->o = mp_box_i(v.i); break;
    case MP_FLOAT: out->o = mp_box_f(v.f); break;
    case MP_BOOL: out->o = mp_box_b(v.b); break;
    default: *out = v; break;
    }
    return 0;
}

/* A dict's pairs or a set's elements, inserted in order. A key given
 * twice (equal keys: 1.0 and 1.0, 0.0 and -0.0) is malformed: no dict
 * encodes one. */
static int rd_dict(struct rd *r, const mp_type *t, mp_val *out) {
    uint32_t n;
    const mp_type *kt = keys_of(t);
    bool dict = t->kind == MP_DICT;
    if (!kt || (dict && !t->elem) || rd_head(r, dict ? TAG_DICT : TAG_SET, &n) < 0 ||
        n > (size_t)(r->end - r->p) / kind_min[kt->kind])
        return -1;
    mp_dict *d = mp_dict_new(t);
    for (uint32_t i = 0; i < n; i++) {
        mp_val k, v = {.i = 0};
        if (rd_val(r, kt, &k) < 0) goto bad;
        if (dict && rd_val(r, t->elem, &v) < 0) {
            mp_val_unref(kt, k);
            goto bad;
        }
        mp_dict_set(d, k, v);
        if (mp_dict_len(d) != (int64_t)i + 1) goto bad; /* a key twice: never encoded */
    }
    out->d = d;
    return 0;
bad:
    mp_dict_unref(d);
    return -1;
}

/* Whether the bytes left could hold N items of list type T: checked
 * before room for them is allocated. */
static bool items_fit(const struct rd *r, const mp_type *t, uint32_t n) {
    size_t left = (size_t)(r->end - r->p);
    if (packed(t)) return left > 0 && n <= (left - 1) / 8;
    return n <= left / kind_min[t->elem->kind];
}

/* The N items of a list of type T (after its head) into DST, new refs;
 * on failure none is left there. N fits (items_fit). */
static int rd_items(struct rd *r, const mp_type *t, uint32_t n, mp_val *dst) {
    if (packed(t)) {
        if (r->p[0] != kind_tag[t->elem->kind]) return -1;
        if (n) memcpy(dst, r->p + 1, 8 * (size_t)n);
        r->p += 1 + 8 * (size_t)n;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (rd_val(r, t->elem, &dst[i]) < 0) {
            while (i > 0) mp_val_unref(t->elem, dst[--i]);
            return -1;
        }
    return 0;
}

static int rd_val(struct rd *r, const mp_type *t, mp_val *out) {
    uint32_t n;
    if (t->kind == MP_OPT) return rd_opt(r, t, out);
    if (r->p >= r->end || r->p[0] != kind_tag[t->kind]) return -1;
    switch (t->kind) {
    case MP_INT:
        if (r->end - r->p < 9) return -1;
        memcpy(&out->i, r->p + 1, 8);
        r->p += 9;
        return 0;
    case MP_FLOAT:
        if (r->end - r->p < 9) return -1;
        memcpy(&out->f, r->p + 1, 8);
        r->p += 9;
        return 0;
    case MP_BOOL:
        if (r->end - r->p < 2 || r->p[1] > 1) return -1;
        out->b = r->p[1] == 1;
        r->p += 2;
        return 0;
    case MP_STR:
        if (rd_head(r, TAG_STR, &n) < 0 || (size_t)(r->end - r->p) < n) return -1;
        out->s = mp_str_new((const char *)r->p, n);
        r->p += n;
        return 0;
    case MP_LIST: {
        if (!t->elem || rd_head(r, TAG_LIST, &n) < 0 || !items_fit(r, t, n)) return -1;
        mp_list *l = mp_list_new(t, n);
        if (rd_items(r, t, n, l->items) < 0) {
            mp_list_unref(l);
            return -1;
        }
        l->len = n;
        out->l = l;
        return 0;
    }
    case MP_NONE:
        r->p++;
        out->i = 0;
        return 0;
    case MP_TUPLE: {
        r->p++;
        mp_tuple *u = mpr_tuple_alloc(t);
        for (size_t k = 0; k < TUP(t)->n; k++) {
            mp_val e;
            if (!TUP(t)->items || !TUP(t)->items[k] || rd_val(r, TUP(t)->items[k], &e) < 0) {
                mp_tuple_unref(u);
                return -1;
            }
            mpr_tuple_set(u, k, e);
        }
        out->t = u;
        return 0;
    }
    case MP_DICT:
    case MP_SET: return rd_dict(r, t, out);
    case MP_OPT: break; /* read by rd_opt */
    }
    return -1;
}

int mpr_frame_decode_items(const mp_type *t, const void *buf, size_t len, mp_val *dst, int64_t n) {
    struct rd r = {buf, (const unsigned char *)buf + len};
    uint32_t count;
    if (t->kind != MP_LIST || !t->elem || rd_head(&r, TAG_LIST, &count) < 0 || count != n ||
        !items_fit(&r, t, count) || rd_items(&r, t, count, dst) < 0)
        goto bad;
    if (r.p != r.end) {
        for (int64_t i = 0; i < n; i++) mp_val_unref(t->elem, dst[i]);
        goto bad;
    }
    return 0;
bad:
    errno = EPROTO;
    return -1;
}

int mp_frame_decode(const mp_type *t, const void *buf, size_t len, mp_val *out) {
    struct rd r = {buf, (const unsigned char *)buf + len};
    mp_val v;
    if (rd_val(&r, t, &v) < 0) goto bad;
    if (r.p != r.end) {
        mp_val_unref(t, v);
        goto bad;
    }
    *out = v;
    return 0;
bad:
    errno = EPROTO;
    return -1;
}
