/* format.c: byte buffers, Python str()/repr() of values (shortest
 * round-trip floats, quoted strings, lists) and str -> int/float. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpr_internal.h"

/* ---- buffers ------------------------------------------------------ */

void mp_buf_init(mp_buf *b) {
    b->data = NULL;
    b->len = b->cap = 0;
}

void mpr_buf_reserve(mp_buf *b, size_t extra) {
    if (extra > SIZE_MAX / 2 - b->len) mpr_oom();
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need) cap *= 2;
    b->data = mpr_realloc(b->data, cap);
    b->cap = cap;
}

void mp_buf_cstr(mp_buf *b, const char *s, size_t len) {
    mpr_buf_reserve(b, len);
    if (len) memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}

static void buf_char(mp_buf *b, char c) {
    mpr_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void mp_buf_str(mp_buf *b, const mp_str *s) { mp_buf_cstr(b, s->data, s->len); }

void mp_buf_free(mp_buf *b) {
    free(b->data);
    mp_buf_init(b);
}

mp_str *mp_buf_finish(mp_buf *b) {
    mp_str *s = mp_str_new(b->data ? b->data : "", b->len);
    mp_buf_free(b);
    return s;
}

/* ---- numbers ------------------------------------------------------ */

void mp_buf_int(mp_buf *b, int64_t i) {
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0) *--p = '-';
    mp_buf_cstr(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* Decimal digits of a positive finite double: value = 0.D1D2... * 10^decpt
 * in Python's convention (decimal point after decpt digits). */
struct digits {
    char d[24];
    int n;
    int decpt;
};

/* The correctly rounded p-digit decimal of x (glibc printf is exact). */
static void nearest_digits(double x, int p, struct digits *out) {
    char buf[48];
    snprintf(buf, sizeof buf, "%.*e", p - 1, x);
    int n = 0;
    const char *s = buf;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') out->d[n++] = *s;
    out->n = n;
    out->decpt = atoi(s + 1) + 1;
}

static bool digits_roundtrip(const struct digits *g, double x) {
    char buf[48];
    int k = 0;
    buf[k++] = '0';
    buf[k++] = '.';
    memcpy(buf + k, g->d, (size_t)g->n);
    k += g->n;
    snprintf(buf + k, sizeof buf - (size_t)k, "e%d", g->decpt);
    return strtod(buf, NULL) == x;
}

/* Adds +1 or -1 in the last place. */
static void digits_step(struct digits *g, int dir) {
    int i = g->n - 1;
    if (dir > 0) {
        while (i >= 0 && g->d[i] == '9') g->d[i--] = '0';
        if (i >= 0) {
            g->d[i]++;
        } else {
            g->d[0] = '1';
            for (int j = 1; j < g->n; j++) g->d[j] = '0';
            g->decpt++;
        }
    } else {
        while (i >= 0 && g->d[i] == '0') g->d[i--] = '9';
        g->d[i]--;
        if (g->d[0] == '0') { /* 1000 - 1 = 0999: renormalize */
            memmove(g->d, g->d + 1, (size_t)(g->n - 1));
            g->n--;
            g->decpt--;
            if (g->n == 0) {
                g->d[0] = '9';
                g->n = 1;
            }
        }
    }
}

/* Is there a p-digit decimal that reads back as x? The nearest one, or,
 * next to a power of two where the rounding interval is lopsided, its
 * neighbor on the other side. */
static bool digits_try(double x, int p, struct digits *out) {
    struct digits g;
    nearest_digits(x, p, &g);
    if (digits_roundtrip(&g, x)) {
        *out = g;
        return true;
    }
    for (int dir = -1; dir <= 1; dir += 2) {
        struct digits h = g;
        digits_step(&h, dir);
        if (digits_roundtrip(&h, x)) {
            *out = h;
            return true;
        }
    }
    return false;
}

/* Shortest digits that round-trip (what Python's repr uses). The property
 * is monotonic in the number of digits, so a binary search finds it. */
static void shortest_digits(double x, struct digits *out) {
    int lo = 1, hi = 17;
    struct digits best;
    nearest_digits(x, 17, &best);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        struct digits g;
        if (digits_try(x, mid, &g)) {
            best = g;
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if (lo == 17 && !digits_try(x, 17, &best)) nearest_digits(x, 17, &best);
    while (best.n > 1 && best.d[best.n - 1] == '0') best.n--;
    *out = best;
}

void mp_buf_float(mp_buf *b, double f) {
    if (f != f) {
        mp_buf_cstr(b, "nan", 3);
        return;
    }
    if (f - f != 0.0) {
        if (f < 0) mp_buf_cstr(b, "-inf", 4);
        else mp_buf_cstr(b, "inf", 3);
        return;
    }
    if (f == 0.0) {
        if (__builtin_signbit(f)) mp_buf_cstr(b, "-0.0", 4);
        else mp_buf_cstr(b, "0.0", 3);
        return;
    }
    if (f < 0) {
        buf_char(b, '-');
        f = -f;
    }
    struct digits g;
    shortest_digits(f, &g);
    int n = g.n, dp = g.decpt;
    if (dp > -4 && dp <= 16) { /* fixed notation */
        if (dp <= 0) {
            mp_buf_cstr(b, "0.", 2);
            for (int i = 0; i < -dp; i++) buf_char(b, '0');
            mp_buf_cstr(b, g.d, (size_t)n);
        } else if (dp < n) {
            mp_buf_cstr(b, g.d, (size_t)dp);
            buf_char(b, '.');
            mp_buf_cstr(b, g.d + dp, (size_t)(n - dp));
        } else {
            mp_buf_cstr(b, g.d, (size_t)n);
            for (int i = n; i < dp; i++) buf_char(b, '0');
            mp_buf_cstr(b, ".0", 2);
        }
    } else { /* exponent notation */
        char e[16];
        buf_char(b, g.d[0]);
        if (n > 1) {
            buf_char(b, '.');
            mp_buf_cstr(b, g.d + 1, (size_t)(n - 1));
        }
        int k =
            snprintf(e, sizeof e, "e%c%02d", dp - 1 < 0 ? '-' : '+', dp - 1 < 0 ? 1 - dp : dp - 1);
        mp_buf_cstr(b, e, (size_t)k);
    }
}

/* ---- strings: Python repr ----------------------------------------- */

/* Decodes one UTF-8 sequence at s (n bytes left): the code point and its
 * length, or -1 if the bytes are not valid UTF-8. */
long mpr_utf8_decode(const unsigned char *s, size_t n, int *len) {
    unsigned c = s[0];
    long cp;
    int k;
    if (c < 0x80) {
        *len = 1;
        return c;
    } else if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return -1;
    }
    if ((size_t)k > n) return -1;
    for (int i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *len = k;
    return cp;
}

/* Python's str.isprintable() for a code point, for the characters that
 * matter in practice: controls, separators and format characters. Other
 * code points (including unassigned ones) count as printable. */
static bool cp_printable(long cp) {
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) return false;
    if (cp == 0x61c || cp == 0x1680 || cp == 0x180e) return false;
    if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
        (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff ||
        (cp >= 0xfff9 && cp <= 0xfffb))
        return false;
    if ((cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0xf0000) return false; /* private use */
    return true;
}

void mpr_buf_repr_bytes(mp_buf *b, const char *s, size_t len) {
    bool squote = memchr(s, '\'', len) != NULL;
    bool dquote = memchr(s, '"', len) != NULL;
    char q = squote && !dquote ? '"' : '\'';
    const unsigned char *u = (const unsigned char *)s;
    char esc[16];

    mpr_buf_reserve(b, len + 2);
    buf_char(b, q);
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        if (c == (unsigned char)q || c == '\\') {
            buf_char(b, '\\');
            buf_char(b, (char)c);
            i++;
        } else if (c == '\n') {
            mp_buf_cstr(b, "\\n", 2);
            i++;
        } else if (c == '\r') {
            mp_buf_cstr(b, "\\r", 2);
            i++;
        } else if (c == '\t') {
            mp_buf_cstr(b, "\\t", 2);
            i++;
        } else if (c >= 0x20 && c < 0x7f) {
            buf_char(b, (char)c);
            i++;
        } else {
            int k;
            long cp = mpr_utf8_decode(u + i, len - i, &k);
            if (cp < 0) { /* not UTF-8: show the byte */
                snprintf(esc, sizeof esc, "\\x%02x", c);
                mp_buf_cstr(b, esc, 4);
                i++;
            } else if (cp_printable(cp)) {
                mp_buf_cstr(b, s + i, (size_t)k);
                i += (size_t)k;
            } else {
                int m;
                if (cp < 0x100) m = snprintf(esc, sizeof esc, "\\x%02lx", cp);
                else if (cp < 0x10000) m = snprintf(esc, sizeof esc, "\\u%04lx", cp);
                else m = snprintf(esc, sizeof esc, "\\U%08lx", cp);
                mp_buf_cstr(b, esc, (size_t)m);
                i += (size_t)k;
            }
        }
    }
    buf_char(b, q);
}

/* ---- values ------------------------------------------------------- */

static void buf_value(mp_buf *b, const mp_type *t, mp_val v, bool repr);

/* {'a': 1, 'b': [2]}, {} ; a set {1, 2}, or set() when empty: keys and
 * values as their repr, as Python prints them. */
static void buf_dict(mp_buf *b, const mp_type *t, const mp_dict *d) {
    bool set = t->kind == MP_SET;
    if (set && mp_dict_len(d) == 0) {
        mp_buf_cstr(b, "set()", 5);
        return;
    }
    const mp_type *kt = set ? t->elem : mp_dict_key_type(t);
    mp_val k, v;
    buf_char(b, '{');
    for (int64_t pos = 0, n = 0; mpr_dict_walk(d, &pos, &k, &v); n++) {
        if (n) mp_buf_cstr(b, ", ", 2);
        buf_value(b, kt, k, true);
        if (set) continue;
        mp_buf_cstr(b, ": ", 2);
        buf_value(b, t->elem, v, true);
    }
    buf_char(b, '}');
}

static void buf_value(mp_buf *b, const mp_type *t, mp_val v, bool repr) {
    switch (t->kind) {
    case MP_INT: mp_buf_int(b, v.i); break;
    case MP_FLOAT: mp_buf_float(b, v.f); break;
    case MP_BOOL:
        if (v.b) mp_buf_cstr(b, "True", 4);
        else mp_buf_cstr(b, "False", 5);
        break;
    case MP_STR:
        if (repr) mpr_buf_repr_bytes(b, v.s->data, v.s->len);
        else mp_buf_str(b, v.s);
        break;
    case MP_LIST: {
        int64_t n = mp_list_len(v.l);
        buf_char(b, '[');
        for (int64_t i = 0; i < n; i++) {
            if (i) mp_buf_cstr(b, ", ", 2);
            buf_value(b, t->elem, mp_list_get(v.l, i, MP_LOC(0, 0)), true);
        }
        buf_char(b, ']');
        break;
    }
    case MP_NONE: mp_buf_cstr(b, "None", 4); break;
    case MP_TUPLE: /* (), (1,), (1, 'a') */
        buf_char(b, '(');
        for (size_t k = 0; k < TUP(t)->n; k++) {
            if (k) mp_buf_cstr(b, ", ", 2);
            buf_value(b, TUP(t)->items[k], mp_tuple_item(v.t, k), true);
        }
        if (TUP(t)->n == 1) buf_char(b, ',');
        buf_char(b, ')');
        break;
    case MP_DICT:
    case MP_SET: buf_dict(b, t, v.d); break;
    case MP_OPT:
        if (mpr_opt_is_none(t, v)) mp_buf_cstr(b, "None", 4);
        else buf_value(b, t->elem, mpr_opt_inner(t, v), repr);
        break;
    }
}

void mp_buf_val(mp_buf *b, const mp_type *t, mp_val v) { buf_value(b, t, v, false); }

void mp_buf_repr(mp_buf *b, const mp_type *t, mp_val v) { buf_value(b, t, v, true); }

mp_str *mp_str_of(const mp_type *t, mp_val v) {
    if (t->kind == MP_STR) return mp_str_ref(v.s);
    mp_buf b;
    mp_buf_init(&b);
    buf_value(&b, t, v, false);
    return mp_buf_finish(&b);
}

mp_str *mp_repr_of(const mp_type *t, mp_val v) {
    mp_buf b;
    mp_buf_init(&b);
    buf_value(&b, t, v, true);
    return mp_buf_finish(&b);
}

/* ---- conversions -------------------------------------------------- */

static bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void trim(const mp_str *s, const char **p, const char **end) {
    *p = s->data;
    *end = s->data + s->len;
    while (*p < *end && is_space((unsigned char)**p)) (*p)++;
    while (*end > *p && is_space((unsigned char)(*end)[-1])) (*end)--;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Copies a digit run with single underscores between digits into out
 * (without them); returns the end, or NULL if there is no digit or an
 * underscore is misplaced. */
static const char *digit_part(const char *p, const char *end, mp_buf *out) {
    if (p >= end || !is_digit(*p)) return NULL;
    while (p < end) {
        if (is_digit(*p)) {
            buf_char(out, *p++);
        } else if (*p == '_' && p + 1 < end && is_digit(p[1])) {
            p++;
        } else {
            break;
        }
    }
    return p;
}

/* Raises KIND with "WHAT: REPR"; LIMIT > 0 cuts the repr to that many
 * characters, as Python's %.200R does for int(). */
static void conv_fail(mp_exc_kind kind, const mp_str *s, const char *what, int limit, mp_loc loc) {
    mp_buf b;
    mp_buf_init(&b);
    /* limit characters of repr never need more than 4 * limit bytes */
    size_t len = limit > 0 && s->len > 4 * (size_t)limit ? 4 * (size_t)limit : s->len;
    mpr_buf_repr_bytes(&b, s->data, len);
    size_t n = 0;
    for (int c = 0; n < b.len && (limit <= 0 || c < limit); c++) {
        int k;
        n += mpr_utf8_decode((const unsigned char *)b.data + n, b.len - n, &k) < 0 ? 1 : (size_t)k;
    }
    mp_raise(kind, loc, "%s: %.*s", what, (int)n, b.data);
    mp_buf_free(&b);
}

/* The value of c as a digit (letters from 10 up), 99 if none. */
static unsigned digit_of(char c) {
    if (c >= '0' && c <= '9') return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'z') return (unsigned)(c - 'a' + 10);
    if (c >= 'A' && c <= 'Z') return (unsigned)(c - 'A' + 10);
    return 99;
}

/* A prefix 0x/0o/0b at p that base allows (0: any): its base, else 0. */
static unsigned prefix_base(const char *p, const char *end, int64_t base) {
    if (end - p < 2 || p[0] != '0') return 0;
    char c = (char)(p[1] | 0x20);
    unsigned pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
    return pb && (base == 0 || base == (int64_t)pb) ? pb : 0;
}

int64_t mp_int_of_str_base(const mp_str *s, int64_t base, mp_loc loc) {
    if (base != 0 && (base < 2 || base > 36)) {
        mp_raise(MP_EXC_ValueError, loc, "int() base must be >= 2 and <= 36, or 0");
        return 0;
    }
    const char *p, *end;
    bool neg = false, overflow = false, prefixed = false;
    trim(s, &p, &end);
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    unsigned b = prefix_base(p, end, base);
    if (b) {
        p += 2;
        prefixed = true;
        if (p < end && *p == '_') p++; /* "0x_1f" */
    } else {
        b = base == 0 ? 10 : (unsigned)base;
    }
    const char *first = p;
    uint64_t acc = 0;
    for (; p < end; p++) {
        if (*p == '_' && p > first && p + 1 < end && digit_of(p[1]) < b) continue;
        unsigned d = digit_of(*p);
        if (d >= b) break;
        if (acc > (UINT64_MAX - d) / b) overflow = true;
        else acc = acc * b + d;
    }
    /* base 0 reads decimals as Python source does: no leading zeros */
    bool octal_like = base == 0 && !prefixed && *first == '0' && acc != 0;
    if (p == first || p != end || octal_like) {
        char what[64];
        snprintf(what, sizeof what, "invalid literal for int() with base %d", (int)base);
        conv_fail(MP_EXC_ValueError, s, what, 200, loc);
        return 0;
    }
    if (overflow || (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)) {
        conv_fail(MP_EXC_OverflowError, s, "integer overflow in int()", 200, loc);
        return 0;
    }
    return neg ? (int64_t)(0 - acc) : (int64_t)acc;
}

int64_t mp_int_of_str(const mp_str *s, mp_loc loc) { return mp_int_of_str_base(s, 10, loc); }

static bool word_ieq(const char *p, const char *end, const char *w) {
    size_t n = strlen(w);
    if ((size_t)(end - p) != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != w[i]) return false;
    }
    return true;
}

double mp_float_of_str(const mp_str *s, mp_loc loc) {
    const char *p, *end;
    bool neg = false;
    mp_buf num;

    trim(s, &p, &end);
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    if (word_ieq(p, end, "inf") || word_ieq(p, end, "infinity"))
        return neg ? -__builtin_inf() : __builtin_inf();
    if (word_ieq(p, end, "nan")) return neg ? -__builtin_nan("") : __builtin_nan("");

    mp_buf_init(&num);
    buf_char(&num, neg ? '-' : '+');
    const char *q = digit_part(p, end, &num);
    bool ok = true;
    if (q) {
        p = q;
        if (p < end && *p == '.') {
            buf_char(&num, *p++);
            q = digit_part(p, end, &num);
            if (q) p = q;
        }
    } else if (p < end && *p == '.') {
        buf_char(&num, *p++);
        q = digit_part(p, end, &num);
        if (q) p = q;
        else ok = false;
    } else {
        ok = false;
    }
    if (ok && p < end && (*p == 'e' || *p == 'E')) {
        buf_char(&num, *p++);
        if (p < end && (*p == '+' || *p == '-')) buf_char(&num, *p++);
        q = digit_part(p, end, &num);
        if (q) p = q;
        else ok = false;
    }
    if (!ok || p != end) {
        mp_buf_free(&num);
        conv_fail(MP_EXC_ValueError, s, "could not convert string to float", 0, loc);
        return 0.0;
    }
    double d = strtod(num.data, NULL); /* overflow gives inf, as Python */
    mp_buf_free(&num);
    return d;
}

int64_t mp_int_of_float(double f, mp_loc loc) {
    if (f != f) mp_raise(MP_EXC_ValueError, loc, "cannot convert float NaN to integer");
    else if (f - f != 0.0)
        mp_raise(MP_EXC_OverflowError, loc, "cannot convert float infinity to integer");
    else if (f >= 9223372036854775808.0 || f < -9223372036854775808.0)
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow in int()");
    else return (int64_t)f;
    return 0;
}
