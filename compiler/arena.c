#include "arena.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
    ArenaBlock *prev;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

/* Large enough that malloc takes blocks straight from mmap: fresh pages are
 * already zero, so calloc costs no memset. */
enum { ARENA_BLOCK = 1024 * 1024 };

void arena_init(Arena *a) { a->head = NULL; a->total = 0; }

void arena_free(Arena *a) {
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *prev = b->prev;
        free(b);
        b = prev;
    }
    a->head = NULL;
}

void *arena_alloc(Arena *a, size_t size) {
    size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    ArenaBlock *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = calloc(1, sizeof *b + cap);
        if (!b) {
            fputs("mpc: fatal error: out of memory\n", stderr);
            exit(1);
        }
        b->prev = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->total += size;
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t len) {
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
