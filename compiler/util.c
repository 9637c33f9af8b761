/* util: allocation, the hash map and growable arrays (util.h). */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void mpc_out_of_memory(void) {
    fputs("mpc: fatal error: out of memory\n", stderr);
    exit(1);
}

void *xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) mpc_out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) mpc_out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) mpc_out_of_memory();
    size_t bytes = n * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q) mpc_out_of_memory();
    return q;
}

void *vec_reserve(void *items, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return items;
    size_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > SIZE_MAX / 2) mpc_out_of_memory();
        c *= 2;
    }
    items = xrealloc(items, c, size);
    *cap = c;
    return items;
}

/* ---- hash map ---------------------------------------------------------- */

uint64_t hash_bytes(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211u;
    return h;
}

void hmap_free(HMap *m) {
    free(m->ents);
    m->ents = NULL;
    m->cap = m->count = 0;
}

/* The slot of KEY, or the empty slot where it would go. */
static HEnt *probe(const HMap *m, const void *key, uint64_t h, HEq eq) {
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        HEnt *e = &m->ents[i];
        if (!e->key || (e->hash == h && eq(e->key, key))) return e;
    }
}

HEnt *hmap_find(const HMap *m, const void *key, uint64_t h, HEq eq) {
    if (!m->cap) return NULL;
    HEnt *e = probe(m, key, h, eq);
    return e->key ? e : NULL;
}

static void grow(HMap *m) {
    HEnt *old = m->ents;
    size_t ocap = m->cap;
    m->cap = ocap ? ocap * 2 : 64;
    m->ents = xcalloc(m->cap, sizeof *m->ents);
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key) continue;
        size_t mask = m->cap - 1, j = (size_t)old[i].hash & mask;
        while (m->ents[j].key) j = (j + 1) & mask;
        m->ents[j] = old[i];
    }
    free(old);
}

HEnt *hmap_insert(HMap *m, const void *key, uint64_t h, HEq eq) {
    if ((m->count + 1) * 4 > m->cap * 3) grow(m);
    HEnt *e = probe(m, key, h, eq);
    if (!e->key) {
        e->key = key;
        e->hash = h;
        e->val = NULL;
        m->count++;
    }
    return e;
}

/* The front end's names are mostly one shared copy each (parse_word):
 * the same pointer is the common hit. */
static bool str_eq(const void *a, const void *b) { return a == b || strcmp(a, b) == 0; }

void *hmap_get(const HMap *m, const char *key) {
    HEnt *e = hmap_find(m, key, hash_bytes(key, strlen(key)), str_eq);
    return e ? e->val : NULL;
}

void **hmap_slot(HMap *m, const char *key) {
    return &hmap_insert(m, key, hash_bytes(key, strlen(key)), str_eq)->val;
}
