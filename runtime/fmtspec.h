/* fmtspec.h: Python's format specification mini-language, parsed and
 * checked against the type of the value formatted. Plain C with no other
 * dependency: the compiler checks literal specs with it at compile time,
 * the runtime parses specs with it before formatting. */
#ifndef MP_FMTSPEC_H
#define MP_FMTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* [[fill]align][sign][z][#][0][width][grouping][.precision][type] */
typedef struct mp_fmtspec {
    uint32_t fill;     /* a code point; ' ' by default */
    char align;        /* '<' '>' '^' '='; 0: the type's default */
    char sign;         /* '+' '-' ' '; 0: not given */
    bool no_neg_0;     /* 'z' */
    bool alternate;    /* '#' */
    char thousands;    /* ',' '_'; 0: none */
    int64_t width;     /* -1: none */
    int64_t precision; /* -1: none */
    char type;         /* the presentation type; 0: none */
} mp_fmtspec;

/* Parses SPEC (LEN bytes) for a value of Python type TNAME ("int", "bool",
 * "float" or "str") and checks it as Python's __format__ would. Returns
 * true with *OUT filled, or false with Python's ValueError message in ERR
 * (at most CAP bytes, NUL-terminated). */
bool mp_fmtspec_parse(const char *spec, size_t len, const char *tname, mp_fmtspec *out, char *err,
                      size_t cap);

#endif
