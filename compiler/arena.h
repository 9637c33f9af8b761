/* arena: bump allocation for one compilation; everything is freed at once.
 *
 * All AST nodes, symbols and decoded strings of a compilation live in one
 * arena, so nothing in the front end frees individual objects. Types are
 * not here: ast.c interns them for the whole process (ast_types_free). */
#ifndef MPC_ARENA_H
#define MPC_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head; /* current block; older blocks chained behind */
    size_t total;     /* bytes handed out, for statistics */
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);
/* Frees everything allocated so far, keeping one block for reuse: for
 * scratch arenas emptied often (gen's per-function strings). */
void arena_reset(Arena *a);
/* Zeroed, aligned for any object. Out of memory: mpc_out_of_memory(). */
void *arena_alloc(Arena *a, size_t size);
/* Zeroed, aligned to ALIGN (a power of two): small objects (nodes, strings)
 * need not take max_align_t's 16 bytes. */
void *arena_alloc_aligned(Arena *a, size_t size, size_t align);
char *arena_strndup(Arena *a, const char *s, size_t len);

#endif
