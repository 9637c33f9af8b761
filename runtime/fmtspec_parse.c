/* fmtspec_parse.c: the format spec mini-language, parsed and checked as
 * CPython's Objects/stringlib/unicode_format.h and Python/formatter_unicode.c
 * do, with their error messages. Shared by the compiler and the runtime. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fmtspec.h"

static bool fail(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return false;
}

static bool is_align(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

/* The code point at s (UTF-8 from the compiler's checked sources and the
 * runtime's strings) and its length; a stray byte is itself. */
static uint32_t first_cp(const unsigned char *s, size_t n, size_t *len) {
    unsigned c = s[0];
    size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (k > n) k = 1;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80) k = 1;
    uint32_t cp = k == 1 ? c : c & (0x7f >> k);
    for (size_t i = 1; i < k; i++) cp = (cp << 6) | (s[i] & 0x3f);
    *len = k;
    return cp;
}

/* Digits at *pos: the value, or -1 when there are none; -2 when too many. */
static int64_t number(const char *s, size_t len, size_t *pos) {
    int64_t v = -1;
    while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
        int d = s[(*pos)++] - '0';
        if (v < 0) v = 0;
        if (v > (INT32_MAX - d) / 10) return -2; /* Python's Py_ssize_t; far past any use */
        v = v * 10 + d;
    }
    return v;
}

static bool thousands_ok(char sep, char type) {
    switch (type) {
    case 'd':
    case 'e':
    case 'f':
    case 'g':
    case 'E':
    case 'G':
    case '%':
    case 'F':
    case 0: return true;
    case 'b':
    case 'o':
    case 'x':
    case 'X': return sep == '_';
    default: return false;
    }
}

static bool unknown(char *err, size_t cap, char type, const char *tname) {
    if ((unsigned char)type > 32 && (unsigned char)type < 128)
        return fail(err, cap, "Unknown format code '%c' for object of type '%s'", type, tname);
    return fail(err, cap, "Unknown format code '\\x%x' for object of type '%s'",
                (unsigned)(unsigned char)type, tname);
}

/* The checks of int.__format__ (also bool's, with a spec). */
static bool check_int(const mp_fmtspec *f, const char *tname, char *err, size_t cap) {
    if (f->type && strchr("eEfFgG%", f->type)) return true; /* formatted as a float */
    if (f->type && !strchr("bcdoxXn", f->type)) return unknown(err, cap, f->type, tname);
    if (f->precision >= 0)
        return fail(err, cap, "Precision not allowed in integer format specifier");
    if (f->no_neg_0)
        return fail(err, cap, "Negative zero coercion (z) not allowed in integer format specifier");
    if (f->type == 'c' && f->sign)
        return fail(err, cap, "Sign not allowed with integer format specifier 'c'");
    if (f->type == 'c' && f->alternate)
        return fail(err, cap, "Alternate form (#) not allowed with integer format specifier 'c'");
    return true;
}

static bool check_str(const mp_fmtspec *f, const char *tname, char *err, size_t cap) {
    if (f->type && f->type != 's') return unknown(err, cap, f->type, tname);
    if (f->sign == ' ') return fail(err, cap, "Space not allowed in string format specifier");
    if (f->sign) return fail(err, cap, "Sign not allowed in string format specifier");
    if (f->no_neg_0)
        return fail(err, cap, "Negative zero coercion (z) not allowed in string format specifier");
    if (f->alternate)
        return fail(err, cap, "Alternate form (#) not allowed in string format specifier");
    if (f->align == '=')
        return fail(err, cap, "'=' alignment not allowed in string format specifier");
    return true;
}

bool mp_fmtspec_parse(const char *spec, size_t len, const char *tname, mp_fmtspec *f, char *err,
                      size_t cap) {
    bool is_str = strcmp(tname, "str") == 0, is_float = strcmp(tname, "float") == 0;
    size_t pos = 0, k = 0;
    bool fill_given = false;
    memset(f, 0, sizeof *f);
    f->fill = ' ';
    f->width = f->precision = -1;
    uint32_t cp = len ? first_cp((const unsigned char *)spec, len, &k) : 0;
    if (len > k && is_align(spec[k])) {
        f->fill = cp;
        f->align = spec[k];
        fill_given = true;
        pos = k + 1;
    } else if (len && is_align(spec[0])) {
        f->align = spec[0];
        pos = 1;
    }
    if (pos < len && (spec[pos] == '+' || spec[pos] == '-' || spec[pos] == ' '))
        f->sign = spec[pos++];
    if (pos < len && spec[pos] == 'z') {
        f->no_neg_0 = true;
        pos++;
    }
    if (pos < len && spec[pos] == '#') {
        f->alternate = true;
        pos++;
    }
    if (!fill_given && pos < len && spec[pos] == '0') {
        f->fill = '0';
        if (!f->align) f->align = '=';
        pos++;
    }
    f->width = number(spec, len, &pos);
    if (f->width == -2) return fail(err, cap, "Too many decimal digits in format string");
    if (pos < len && spec[pos] == ',') {
        f->thousands = ',';
        pos++;
    }
    if (pos < len && spec[pos] == '_') {
        if (f->thousands) return fail(err, cap, "Cannot specify both ',' and '_'.");
        f->thousands = '_';
        pos++;
    }
    if (pos < len && spec[pos] == ',' && f->thousands == '_')
        return fail(err, cap, "Cannot specify both ',' and '_'.");
    if (pos < len && spec[pos] == '.') {
        pos++;
        f->precision = number(spec, len, &pos);
        if (f->precision == -2) return fail(err, cap, "Too many decimal digits in format string");
        if (f->precision < 0) return fail(err, cap, "Format specifier missing precision");
    }
    if (len - pos > 1)
        return fail(err, cap, "Invalid format specifier '%.*s' for object of type '%s'", (int)len,
                    spec, tname);
    if (len - pos == 1) f->type = spec[pos];
    if (f->thousands) {
        char t = f->type ? f->type : is_str ? 's' : is_float ? 0 : 'd';
        if (!thousands_ok(f->thousands, t))
            return t > 32 && t < 127
                       ? fail(err, cap, "Cannot specify '%c' with '%c'.", f->thousands, t)
                       : fail(err, cap, "Cannot specify '%c' with '\\x%x'.", f->thousands,
                              (unsigned)(unsigned char)t);
    }
    if (is_str) return check_str(f, tname, err, cap);
    if (is_float) {
        if (f->type && !strchr("eEfFgGn%", f->type)) return unknown(err, cap, f->type, tname);
        return true;
    }
    return check_int(f, tname, err, cap);
}
