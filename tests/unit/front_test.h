/* front_test.h: the fixture the compiler's unit tests share: a source held
 * in memory, the arena its tree lives in, and its diagnostics captured as
 * text. Include after cmocka.h, ast.h and parse.h. */
#ifndef FRONT_TEST_H
#define FRONT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Front {
    Arena arena;
    Source src;
    Diag diag;
    Program prog;
    bool parsed;     /* front_parse found no error */
    FILE *diag_file; /* open between front_open and front_end_diag */
    char *out;       /* the diagnostics, as printed */
    size_t outlen;
} Front;

/* Sets F up over TEXT[0..LEN) named t.mp, diagnostics going to F->out. */
static inline void front_open(Front *f, const char *text, size_t len) {
    memset(f, 0, sizeof *f);
    arena_init(&f->arena);
    src_from_string(&f->src, "t.mp", text, len);
    f->diag_file = open_memstream(&f->out, &f->outlen);
    assert_non_null(f->diag_file);
    diag_init(&f->diag, &f->src, f->diag_file);
}

/* Flushes the diagnostics into F->out; nothing is reported after this. */
static inline void front_end_diag(Front *f) {
    fclose(f->diag_file);
    f->diag_file = NULL;
}

/* Parses F's source into F->prog; true when there was no error. */
static inline bool front_parse(Front *f) {
    f->parsed = parse_program(&f->src, &f->arena, &f->diag, &f->prog);
    assert_true(f->parsed == (f->diag.errors == 0));
    return f->parsed;
}

static inline void front_close(Front *f) {
    if (f->diag_file) front_end_diag(f);
    arena_free(&f->arena);
    src_free(&f->src);
    free(f->out);
}

#endif
