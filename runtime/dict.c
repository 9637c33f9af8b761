/* dict.c: dicts and sets, one hash table kept in insertion order as
 * CPython's compact dict: an entries array (hash, key, value) in the
 * order keys were first added, and an index table of slots pointing into
 * it, probed linearly. Deleting leaves a tombstone in both (the entry
 * marked dead, the slot DELETED) so that probes and iteration stay valid;
 * when the entries array is full, the live entries are compacted and the
 * index rebuilt, larger if need be.
 *
 * Hashes follow Python's equality: an int and a float of the same value
 * (and a bool, as 0 or 1) hash alike, as do -0.0 and 0.0. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "mpr_internal.h"

enum { EMPTY = -1, DELETED = -2 };

typedef struct entry {
    uint64_t hash;
    bool live;
    mp_val key, value;
} entry;

struct mp_dict {
    intptr_t refs;
    const mp_type *type; /* MP_DICT (an mp_dict_type) or MP_SET */
    int64_t len;         /* live entries */
    int64_t used;        /* entries[0..used-1]: live or dead */
    int64_t cap;         /* room in entries */
    entry *entries;
    int64_t *slots; /* nslots (a power of 2): EMPTY, DELETED or an entry */
    size_t nslots;
};

/* ---- hashing -------------------------------------------------------- */

static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 33);
}

static uint64_t hash_float(double f) {
    if (f == 0) return mix(0); /* 0.0 and -0.0 */
    if (f >= -9.2e18 && f <= 9.2e18 && (double)(int64_t)f == f) return mix((uint64_t)(int64_t)f);
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    return mix(bits ^ 0x9e3779b97f4a7c15u);
}

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, then mixed */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
    return mix(h ^ n);
}

uint64_t mpr_val_hash(const mp_type *t, mp_val v) {
    switch (t->kind) {
    case MP_INT: return mix((uint64_t)v.i);
    case MP_FLOAT: return hash_float(v.f);
    case MP_BOOL: return mix(v.b ? 1 : 0);
    case MP_STR: return hash_bytes(v.s->data, v.s->len);
    case MP_NONE: return 0x6e6f6e65u;
    case MP_TUPLE: {
        uint64_t h = 0x345678u;
        for (size_t k = 0; k < TUP(t)->n; k++)
            h = (h ^ mpr_val_hash(TUP(t)->items[k], mp_tuple_item(v.t, k))) * 1000003u;
        return mix(h);
    }
    case MP_OPT:
        if (mpr_opt_is_none(t, v)) return 0x6e6f6e65u;
        return mpr_val_hash(t->elem, mpr_opt_inner(t, v));
    case MP_LIST:
    case MP_DICT:
    case MP_SET: break; /* unhashable: the compiler refuses them as keys */
    }
    return 0;
}

/* ---- the table -------------------------------------------------------- */

static bool is_set(const mp_dict *d) { return d->type->kind == MP_SET; }
static const mp_type *key_type(const mp_dict *d) {
    return is_set(d) ? d->type->elem : mp_dict_key_type(d->type);
}
static const mp_type *value_type(const mp_dict *d) { return is_set(d) ? NULL : d->type->elem; }

mp_dict *mp_dict_new(const mp_type *t) {
    mp_dict *d = mpr_malloc(sizeof *d);
    d->refs = 1;
    d->type = t;
    d->len = d->used = d->cap = 0;
    d->entries = NULL;
    d->slots = NULL;
    d->nslots = 0;
    return d;
}

mp_dict *mp_dict_ref(mp_dict *d) {
    if (d) d->refs++;
    return d;
}

static void drop_entry(const mp_dict *d, entry *e) {
    mp_val_unref(key_type(d), e->key);
    if (!is_set(d)) mp_val_unref(value_type(d), e->value);
    e->live = false;
}

static void drop_all(mp_dict *d) {
    for (int64_t i = 0; i < d->used; i++)
        if (d->entries[i].live) drop_entry(d, &d->entries[i]);
}

void mp_dict_unref(mp_dict *d) {
    if (!d || --d->refs > 0) return;
    drop_all(d);
    free(d->entries);
    free(d->slots);
    free(d);
}

int64_t mp_dict_len(const mp_dict *d) { return d->len; }

const mp_type *mpr_dict_type(const mp_dict *d) { return d->type; }

/* The slot holding key k (hash h), or the first free slot of its probe
 * (*free_slot: EMPTY or DELETED, -1 when none seen); returns the entry
 * index or -1. */
static int64_t lookup(const mp_dict *d, mp_val k, uint64_t h, size_t *free_slot) {
    if (free_slot) *free_slot = SIZE_MAX;
    if (!d->nslots) return -1;
    size_t mask = d->nslots - 1;
    for (size_t i = h & mask, n = 0; n < d->nslots; i = (i + 1) & mask, n++) {
        int64_t s = d->slots[i];
        if (s == EMPTY) {
            if (free_slot && *free_slot == SIZE_MAX) *free_slot = i;
            return -1;
        }
        if (s == DELETED) {
            if (free_slot && *free_slot == SIZE_MAX) *free_slot = i;
            continue;
        }
        const entry *e = &d->entries[s];
        if (e->hash == h && mp_val_eq(key_type(d), e->key, k)) {
            if (free_slot) *free_slot = i;
            return s;
        }
    }
    return -1;
}

/* Compacts the live entries to the front and rebuilds the index with room
 * for at least need entries (the index at most 2/3 full). */
static void rebuild(mp_dict *d, int64_t need) {
    int64_t w = 0;
    for (int64_t r = 0; r < d->used; r++)
        if (d->entries[r].live) d->entries[w++] = d->entries[r];
    d->used = w;
    if (need > d->cap) {
        int64_t cap = d->cap < 8 ? 8 : d->cap;
        while (cap < need) {
            if (cap > INT64_MAX / 4 / (int64_t)sizeof(entry)) mpr_oom();
            cap *= 2;
        }
        d->entries = mpr_realloc(d->entries, (size_t)cap * sizeof(entry));
        d->cap = cap;
    }
    size_t ns = 8;
    while ((int64_t)(ns / 3 * 2) < d->cap) ns *= 2;
    if (ns != d->nslots) {
        free(d->slots);
        d->slots = mpr_malloc(ns * sizeof *d->slots);
        d->nslots = ns;
    }
    for (size_t i = 0; i < ns; i++) d->slots[i] = EMPTY;
    for (int64_t k = 0; k < d->used; k++) {
        size_t i = d->entries[k].hash & (ns - 1);
        while (d->slots[i] != EMPTY) i = (i + 1) & (ns - 1);
        d->slots[i] = k;
    }
}

/* Adds a new entry (the key is known to be missing); takes k and v. */
static void insert_new(mp_dict *d, mp_val k, mp_val v, uint64_t h) {
    if (d->used == d->cap) /* full: compact the tombstones away, or grow */
        rebuild(d, (d->len + 1) * 2 > d->cap ? (d->len + 1) * 2 : d->cap);
    size_t slot;
    lookup(d, k, h, &slot);
    if (slot == SIZE_MAX) { /* no free slot on the probe: cannot happen at 2/3 load */
        rebuild(d, d->cap * 2);
        lookup(d, k, h, &slot);
    }
    entry *e = &d->entries[d->used];
    e->hash = h;
    e->live = true;
    e->key = k;
    e->value = v;
    d->slots[slot] = d->used++;
    d->len++;
}

void mp_dict_set(mp_dict *d, mp_val k, mp_val v) {
    uint64_t h = mpr_val_hash(key_type(d), k);
    int64_t at = lookup(d, k, h, NULL);
    if (at < 0) {
        insert_new(d, k, v, h);
        return;
    }
    mp_val_unref(key_type(d), k);
    if (is_set(d)) return;
    mp_val old = d->entries[at].value;
    d->entries[at].value = v;
    mp_val_unref(value_type(d), old);
}

static int64_t find(const mp_dict *d, mp_val k) {
    return lookup(d, k, mpr_val_hash(key_type(d), k), NULL);
}

/* KeyError with the key's repr, as Python's message. */
static void key_error(const mp_dict *d, mp_val k, mp_loc loc) {
    mp_str *r = mp_repr_of(key_type(d), k);
    mp_raise(MP_EXC_KeyError, loc, "%s", r->data);
    mp_str_unref(r);
}

static mp_val zero_of(const mp_type *t) {
    mp_val z;
    memset(&z, 0, sizeof z);
    if (t && t->kind == MP_STR) z.s = mp_str_new("", 0); /* immortal */
    return z;
}

mp_val mp_dict_get(const mp_dict *d, mp_val k, mp_loc loc) {
    int64_t at = find(d, k);
    if (at >= 0) return d->entries[at].value;
    key_error(d, k, loc);
    return zero_of(value_type(d));
}

bool mp_dict_contains(const mp_dict *d, mp_val k) { return find(d, k) >= 0; }

mp_val mp_dict_get_opt(const mp_dict *d, mp_val k) {
    int64_t at = find(d, k);
    const mp_type *vt = value_type(d);
    mp_val r;
    memset(&r, 0, sizeof r);
    if (at < 0) return r; /* NULL: None */
    mp_val v = d->entries[at].value;
    switch (vt->kind) {
    case MP_INT: r.o = mp_box_i(v.i); break;
    case MP_FLOAT: r.o = mp_box_f(v.f); break;
    case MP_BOOL: r.o = mp_box_b(v.b); break;
    default: /* a pointer (NULL is None), or an optional already */
        mp_val_ref(vt, v);
        r = v;
        break;
    }
    return r;
}

mp_val mp_dict_get_or(const mp_dict *d, mp_val k, mp_val dflt) {
    int64_t at = find(d, k);
    return at >= 0 ? d->entries[at].value : dflt;
}

/* Removes entry at (its slot marked DELETED); returns its value, whose
 * reference passes to the caller, and drops the key. */
static mp_val remove_at(mp_dict *d, int64_t at) {
    entry *e = &d->entries[at];
    size_t mask = d->nslots - 1;
    for (size_t i = e->hash & mask;; i = (i + 1) & mask)
        if (d->slots[i] == at) {
            d->slots[i] = DELETED;
            break;
        }
    mp_val v = e->value;
    mp_val_unref(key_type(d), e->key);
    e->live = false;
    d->len--;
    if (d->len == 0) { /* an empty table starts afresh: no tombstones */
        d->used = 0;
        for (size_t i = 0; i < d->nslots; i++) d->slots[i] = EMPTY;
    }
    return v;
}

mp_val mp_dict_pop(mp_dict *d, mp_val k, mp_loc loc) {
    int64_t at = find(d, k);
    if (at >= 0) return remove_at(d, at);
    key_error(d, k, loc);
    mp_val z = zero_of(value_type(d));
    mp_val_ref(value_type(d), z);
    return z;
}

mp_val mp_dict_pop_or(mp_dict *d, mp_val k, mp_val dflt) {
    int64_t at = find(d, k);
    if (at >= 0) return remove_at(d, at);
    mp_val_ref(value_type(d), dflt);
    return dflt;
}

mp_val mp_dict_pop_opt(mp_dict *d, mp_val k) {
    mp_val r = mp_dict_get_opt(d, k);
    int64_t at = find(d, k);
    if (at >= 0) mp_val_unref(value_type(d), remove_at(d, at));
    return r;
}

mp_val mp_dict_setdefault(mp_dict *d, mp_val k, mp_val dflt) {
    int64_t at = find(d, k);
    if (at >= 0) return d->entries[at].value;
    mp_val_ref(key_type(d), k);
    mp_val_ref(value_type(d), dflt);
    insert_new(d, k, dflt, mpr_val_hash(key_type(d), k));
    return d->entries[d->used - 1].value;
}

void mp_dict_del(mp_dict *d, mp_val k, mp_loc loc) {
    int64_t at = find(d, k);
    if (at < 0) {
        key_error(d, k, loc);
        return;
    }
    mp_val v = remove_at(d, at);
    if (!is_set(d)) mp_val_unref(value_type(d), v);
}

void mp_dict_update(mp_dict *d, const mp_dict *other) {
    int64_t n = other->used; /* other may be d itself: nothing changes then */
    for (int64_t i = 0; i < n; i++) {
        const entry *e = &other->entries[i];
        if (!e->live) continue;
        mp_val k = e->key, v = e->value;
        mp_val_ref(key_type(d), k);
        if (!is_set(d)) mp_val_ref(value_type(d), v);
        mp_dict_set(d, k, v);
    }
}

void mp_dict_clear(mp_dict *d) {
    drop_all(d);
    d->len = d->used = 0;
    for (size_t i = 0; i < d->nslots; i++) d->slots[i] = EMPTY;
}

mp_dict *mp_dict_shallow(const mp_dict *d) {
    mp_dict *r = mp_dict_new(d->type);
    mp_dict_update(r, d);
    return r;
}

/* A copy whose keys and values are copied as mp_val_copy does (lists,
 * dicts and sets inside copied deeply): for another process. */
mp_dict *mpr_dict_copy(const mp_dict *d) {
    mp_dict *r = mp_dict_new(d->type);
    for (int64_t i = 0; i < d->used; i++) {
        const entry *e = &d->entries[i];
        if (!e->live) continue;
        mp_val v = is_set(d) ? e->value : mp_val_copy(value_type(d), e->value);
        insert_new(r, mp_val_copy(key_type(d), e->key), v, e->hash);
    }
    return r;
}

bool mpr_dict_eq(const mp_dict *a, const mp_dict *b) {
    if (a == b) return true;
    if (a->len != b->len) return false;
    for (int64_t i = 0; i < a->used; i++) {
        const entry *e = &a->entries[i];
        if (!e->live) continue;
        int64_t at = lookup(b, e->key, e->hash, NULL);
        if (at < 0) return false;
        if (!is_set(a) && !mp_val_eq(value_type(a), e->value, b->entries[at].value)) return false;
    }
    return true;
}

/* ---- lists of keys, values, items ---------------------------------------- */

static mp_list *collect(const mp_dict *d, const mp_type *lt, int what) {
    mp_list *l = mp_list_new(lt, (size_t)d->len);
    for (int64_t i = 0; i < d->used; i++) {
        const entry *e = &d->entries[i];
        if (!e->live) continue;
        mp_val v;
        if (what == 0) {
            v = e->key;
            mp_val_ref(key_type(d), v);
        } else if (what == 1) {
            v = e->value;
            mp_val_ref(value_type(d), v);
        } else {
            mp_val_ref(key_type(d), e->key);
            mp_val_ref(value_type(d), e->value);
            v.t = mp_tuple_pack(lt->elem, e->key, e->value);
        }
        mp_list_push(l, v);
    }
    return l;
}

mp_list *mp_dict_keys(const mp_dict *d, const mp_type *lt) { return collect(d, lt, 0); }
mp_list *mp_dict_values(const mp_dict *d, const mp_type *lt) { return collect(d, lt, 1); }
mp_list *mp_dict_items(const mp_dict *d, const mp_type *lt) { return collect(d, lt, 2); }

bool mp_dict_next(const mp_dict *d, int64_t *pos, int64_t len0, mp_val *k, mp_loc loc) {
    if (d->len != len0) {
        if (is_set(d)) mp_raise(MP_EXC_RuntimeError, loc, "Set changed size during iteration");
        else mp_raise(MP_EXC_RuntimeError, loc, "dictionary changed size during iteration");
        return false;
    }
    while (*pos < d->used && !d->entries[*pos].live) (*pos)++;
    if (*pos >= d->used) return false;
    *k = d->entries[(*pos)++].key;
    return true;
}

/* Entry i of the live ones in order, for printing and encoding: a
 * cursor as mp_dict_next without the size check. */
bool mpr_dict_walk(const mp_dict *d, int64_t *pos, mp_val *k, mp_val *v) {
    while (*pos < d->used && !d->entries[*pos].live) (*pos)++;
    if (*pos >= d->used) return false;
    *k = d->entries[*pos].key;
    *v = d->entries[*pos].value;
    (*pos)++;
    return true;
}

/* ---- sets ------------------------------------------------------------------ */

void mp_set_add(mp_set *s, mp_val x) { mp_dict_set(s, x, (mp_val){.i = 0}); }

void mp_set_discard(mp_set *s, mp_val x) {
    int64_t at = find(s, x);
    if (at >= 0) remove_at(s, at);
}

void mp_set_remove(mp_set *s, mp_val x, mp_loc loc) { mp_dict_del(s, x, loc); }

mp_val mp_set_pop(mp_set *s, mp_loc loc) {
    int64_t pos = 0;
    mp_val k, v;
    if (!mpr_dict_walk(s, &pos, &k, &v)) {
        mp_raise(MP_EXC_KeyError, loc, "'pop from an empty set'");
        mp_val z = zero_of(key_type(s));
        mp_val_ref(key_type(s), z);
        return z;
    }
    mp_val_ref(key_type(s), k);
    remove_at(s, pos - 1);
    return k;
}

mp_set *mp_set_of_list(const mp_type *t, const mp_list *l) {
    mp_set *s = mp_dict_new(t);
    int64_t n = mp_list_len(l);
    for (int64_t i = 0; i < n; i++) {
        mp_val x = mp_list_get(l, i, MP_LOC(0, 0));
        mp_val_ref(t->elem, x);
        mp_set_add(s, x);
    }
    return s;
}

/* Adds to r the elements of a that are (keep) or are not in b. */
static void add_filtered(mp_set *r, const mp_set *a, const mp_set *b, bool keep) {
    for (int64_t i = 0; i < a->used; i++) {
        const entry *e = &a->entries[i];
        if (!e->live || (lookup(b, e->key, e->hash, NULL) >= 0) != keep) continue;
        mp_val_ref(key_type(a), e->key);
        mp_set_add(r, e->key);
    }
}

mp_set *mp_set_or(const mp_set *a, const mp_set *b) {
    mp_set *r = mp_dict_shallow(a);
    mp_dict_update(r, b);
    return r;
}

mp_set *mp_set_and(const mp_set *a, const mp_set *b) {
    mp_set *r = mp_dict_new(a->type);
    add_filtered(r, a, b, true);
    return r;
}

mp_set *mp_set_sub(const mp_set *a, const mp_set *b) {
    mp_set *r = mp_dict_new(a->type);
    add_filtered(r, a, b, false);
    return r;
}

mp_set *mp_set_xor(const mp_set *a, const mp_set *b) {
    mp_set *r = mp_dict_new(a->type);
    add_filtered(r, a, b, false);
    add_filtered(r, b, a, false);
    return r;
}

void mp_set_inplace(mp_set *s, mp_set *r) {
    mp_dict_clear(s);
    mp_dict_update(s, r);
    mp_dict_unref(r);
}

bool mp_set_le(const mp_set *a, const mp_set *b) {
    if (a->len > b->len) return false;
    for (int64_t i = 0; i < a->used; i++)
        if (a->entries[i].live && lookup(b, a->entries[i].key, a->entries[i].hash, NULL) < 0)
            return false;
    return true;
}
