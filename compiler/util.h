/* util: what every part of the compiler uses: allocation with one
 * out-of-memory policy, a hash map, and a typed growable array.
 *
 * Out of memory is never recovered from: mpc prints one message and exits
 * with status 1 (exit, not abort, so atexit clean-up runs and no core or
 * signal status is left behind). */
#ifndef MPC_UTIL_H
#define MPC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Prints "mpc: fatal error: out of memory" and exits with status 1. */
_Noreturn void mpc_out_of_memory(void);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
/* Resizes P to N objects of SIZE bytes; N * SIZE overflowing is out of
 * memory too. */
void *xrealloc(void *p, size_t n, size_t size);

/* ---- hash map: open addressing, grows at 3/4 -------------------------- */

/* Keys are borrowed: they must outlive the map. The map never looks
 * inside a key except through the equality function it is given, so one
 * map serves names, byte strings and interned types alike. */
typedef struct HEnt {
    const void *key; /* NULL: empty slot */
    uint64_t hash;
    void *val;
} HEnt;

typedef struct HMap {
    HEnt *ents;
    size_t cap, count; /* cap a power of two */
} HMap;

typedef bool (*HEq)(const void *a, const void *b);

void hmap_free(HMap *m);
/* The entry of KEY (hash H), or NULL. */
HEnt *hmap_find(const HMap *m, const void *key, uint64_t h, HEq eq);
/* The entry of KEY, inserted with a NULL value when absent. */
HEnt *hmap_insert(HMap *m, const void *key, uint64_t h, HEq eq);

uint64_t hash_bytes(const void *p, size_t n);

/* With NUL-terminated string keys. */
void *hmap_get(const HMap *m, const char *key);
/* The value slot of KEY, inserted (NULL) when absent. */
void **hmap_slot(HMap *m, const char *key);

/* ---- typed growable array ---------------------------------------------- */

/* VEC(T) is an anonymous struct type: declare a field or variable with
 * it, zero-initialised, then vec_push. vec_free releases the items. */
#define VEC(T)           \
    struct {             \
        T *items;        \
        size_t len, cap; \
    }

/* ITEMS resized (doubling) to hold at least NEED objects of SIZE bytes. */
void *vec_reserve(void *items, size_t *cap, size_t need, size_t size);

#define vec_push(v, x)                                                                  \
    ((v)->items = vec_reserve((v)->items, &(v)->cap, (v)->len + 1, sizeof *(v)->items), \
     (v)->items[(v)->len++] = (x))

#define vec_free(v) (free((v)->items), (v)->items = NULL, (v)->len = (v)->cap = 0)

#endif
