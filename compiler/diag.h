/* diag: source files and diagnostics.
 *
 * A Source is one loaded .mp file. Positions inside it are byte offsets
 * (Span); line and column are computed only when a message is printed, from
 * a line table built on first use. Every message goes through this module:
 *
 *   file.mp:LINE:COL: error: message
 *      12 |     let x = y +
 *         |             ^~~
 *
 * followed by `note:` lines for related places. */
#ifndef MPC_DIAG_H
#define MPC_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Byte offsets [begin, end) into a Source's text. */
typedef struct Span {
    uint32_t begin, end;
} Span;

typedef struct Source {
    const char *name; /* as the user named it; used in every message */
    char *text;       /* contents, NUL-terminated; owned (malloc) */
    size_t len;
    uint32_t *lines; /* offsets of line starts, built lazily */
    size_t nlines;
} Source;

/* Named warnings: each can be disabled with -Wno-NAME. */
typedef enum Warning {
    W_UNJOINED,    /* a started process is never joined */
    W_UNSTARTED,   /* a declared process is never started */
    W_UNUSED,      /* a local variable or parameter is never used */
    W_SHADOW,      /* a local hides a function or builtin */
    W_UNREACHABLE, /* code after return, break or continue */
    W__COUNT
} Warning;

typedef struct Diag {
    const Source *src;
    FILE *out;
    int errors, warnings;
    bool color;  /* ANSI colors (stderr is a tty, no NO_COLOR) */
    bool werror; /* warnings count as errors */
    bool disabled[W__COUNT];
    int limit; /* stop printing after this many errors (0: none) */
} Diag;

/* Largest source accepted; offsets are 32-bit. */
#define SRC_MAX_BYTES ((size_t)1 << 30)

/* Reads PATH into S. On failure prints `mpc: error: PATH: reason` through D
 * (whose src may be NULL) and returns false. A file with a NUL byte or
 * invalid UTF-8 is loaded, then rejected with a located error. */
bool src_load(Source *s, const char *path, Diag *d);
/* Uses TEXT (copied) as the source NAME, for tests and fuzzing. */
void src_from_string(Source *s, const char *name, const char *text, size_t len);
void src_free(Source *s);
/* 1-based line and column (in characters) of byte offset OFF. */
void src_position(const Source *s, uint32_t off, int *line, int *col);

void diag_init(Diag *d, const Source *src, FILE *out);
/* Color is on when OUT is a terminal and NO_COLOR is unset or empty. */
void diag_auto_color(Diag *d);
/* Returns the warning named NAME (without -W), or W__COUNT. */
Warning diag_warning_by_name(const char *name);
const char *diag_warning_name(Warning w);

void diag_error(Diag *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Returns false when the warning is disabled, so callers skip its notes. */
bool diag_warning(Diag *d, Warning w, Span at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_note(Diag *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A message about the file as a whole (no location, no source line). */
void diag_file_error(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
