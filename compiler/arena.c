#define _DEFAULT_SOURCE /* madvise */
#include "arena.h"
#include "util.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct ArenaBlock {
    ArenaBlock *prev;
    size_t used, cap;
    size_t ready; /* bytes of data whose pages are in place (see ahead) */
    alignas(max_align_t) unsigned char data[];
};

/* Under AddressSanitizer every object is followed by a poisoned gap, so
 * that reading past one (a node field its kind does not have, see ast.h)
 * is reported instead of quietly reading the next object. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
enum { REDZONE = 16 };
#else
enum { REDZONE = 0 };
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

/* Large enough that malloc takes blocks straight from mmap: fresh pages are
 * already zero, so calloc costs no memset. Each block is twice the size of
 * the one before, up to ARENA_BLOCK_MAX: a big tree (hundreds of MB for a
 * million lines) takes few blocks, a small one stays small. */
enum { ARENA_BLOCK = 1024 * 1024, ARENA_BLOCK_MAX = 32 * 1024 * 1024 };

/* A page fault costs several microseconds on a virtual machine, and a
 * million-line tree touches 100,000 fresh pages: a third of `mpc check`'s
 * time went in the faults. So a block's pages are put in place a chunk
 * ahead of use, by one system call per chunk (MADV_POPULATE_WRITE, Linux
 * 5.14; elsewhere the call fails and the pages come by faults as before).
 * A chunk, not the whole block: peak memory grows by one chunk at most. */
enum { ARENA_AHEAD = 2 * 1024 * 1024 };

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static void ahead(ArenaBlock *b, size_t end) {
    size_t page = 4096, from = b->ready;
    size_t to = end + ARENA_AHEAD < b->cap ? end + ARENA_AHEAD : b->cap;
    uintptr_t lo = ((uintptr_t)(b->data + from) + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t hi = (uintptr_t)(b->data + to) & ~(uintptr_t)(page - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
    b->ready = to;
}

void arena_init(Arena *a) {
    a->head = NULL;
    a->total = 0;
}

void arena_free(Arena *a) {
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *prev = b->prev;
        ASAN_UNPOISON_MEMORY_REGION(b->data, b->cap);
        free(b);
        b = prev;
    }
    a->head = NULL;
}

void arena_reset(Arena *a) {
    ArenaBlock *keep = a->head;
    if (!keep) return;
    a->head = keep->prev;
    arena_free(a);
    /* Only the used part is dirty: allocations stay zeroed. */
    ASAN_UNPOISON_MEMORY_REGION(keep->data, keep->used);
    memset(keep->data, 0, keep->used);
    ASAN_POISON_MEMORY_REGION(keep->data, keep->cap);
    keep->used = 0;
    keep->prev = NULL;
    a->head = keep;
}

void *arena_alloc_aligned(Arena *a, size_t size, size_t align) {
    ArenaBlock *b = a->head;
    if (REDZONE > 0 && align < 8) align = 8; /* ASan poisons 8-byte granules */
    /* REDZONE: a gap after the object (poisoned); 8-aligned for ASan. */
    size_t need = REDZONE > 0 ? ((size + 7) & ~(size_t)7) + REDZONE : size;
    size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
    if (!b || at > b->cap || b->cap - at < need) {
        size_t cap = b ? b->cap * 2 : ARENA_BLOCK;
        if (cap > ARENA_BLOCK_MAX) cap = ARENA_BLOCK_MAX;
        if (cap < need) cap = need;
        if (cap > SIZE_MAX - sizeof *b) mpc_out_of_memory();
        b = xcalloc(1, sizeof *b + cap);
        b->prev = a->head;
        b->used = 0;
        b->cap = cap;
        b->ready = 0;
        a->head = b;
        ASAN_POISON_MEMORY_REGION(b->data, cap);
        at = 0;
    }
    void *p = b->data + at;
    ASAN_UNPOISON_MEMORY_REGION(p, size);
    b->used = at + need;
    if (b->used > b->ready) ahead(b, b->used);
    a->total += need;
    return p;
}

void *arena_alloc(Arena *a, size_t size) {
    return arena_alloc_aligned(a, size, alignof(max_align_t));
}

char *arena_strndup(Arena *a, const char *s, size_t len) {
    char *p = arena_alloc_aligned(a, len + 1, 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
