/* fmtspec.c: format(value, spec), Python's format-spec mini-language for
 * int, bool, float and str (and list with an empty spec), as the
 * interpolation "{x:spec}" and the built-in format() use it. A number is
 * laid out in parts (sign, prefix, integer digits, the rest) so grouping
 * and zero padding go where Python puts them. Floats are formatted by
 * glibc's printf, which rounds exactly as Python's dtoa does. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtspec.h"
#include "mpr_internal.h"

/* A number laid out: sign, prefix ("0x"), integer digits, the rest. */
struct num {
    const char *sign;
    const char *prefix;
    mp_buf digits; /* the integer part, ungrouped */
    mp_buf rest;   /* decimal point, fraction, exponent, '%' */
    bool finite;
};

static void buf_cp(mp_buf *b, uint32_t cp) {
    char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xc0, 0xe0, 0xf0};
    for (size_t i = n - 1; i > 0; i--) {
        u[i] = (char)(0x80 | (cp & 0x3f));
        cp >>= 6;
    }
    u[0] = (char)(lead[n] | cp);
    mp_buf_cstr(b, u, n);
}

/* Characters in [p, p + n). */
static int64_t chars_of(const char *p, size_t n) {
    int64_t c = 0;
    for (size_t i = 0; i < n; c++) {
        int k;
        i += mpr_utf8_decode((const unsigned char *)p + i, n - i, &k) < 0 ? 1 : (size_t)k;
    }
    return c;
}

static void repeat_fill(mp_buf *b, uint32_t fill, int64_t n) {
    for (int64_t i = 0; i < n; i++) buf_cp(b, fill);
}

/* Appends BODY (N characters) padded to the spec's width; '=' pads after
 * its first LEAD bytes (sign and prefix). */
static void pad(mp_buf *b, const mp_fmtspec *f, char align, const char *body, size_t len, int64_t n,
                size_t lead) {
    int64_t gap = f->width > n ? f->width - n : 0, left = 0;
    if (align == '>') left = gap;
    else if (align == '^') left = gap / 2;
    if (align == '=') {
        mp_buf_cstr(b, body, lead);
        repeat_fill(b, f->fill, gap);
        mp_buf_cstr(b, body + lead, len - lead);
        return;
    }
    repeat_fill(b, f->fill, left);
    mp_buf_cstr(b, body, len);
    repeat_fill(b, f->fill, gap - left);
}

/* Appends the N digits at D with SEP every EVERY digits from the right. */
static void group(mp_buf *out, const char *d, size_t n, char sep, size_t every) {
    for (size_t i = 0; i < n; i++) {
        if (sep && i > 0 && (n - i) % every == 0) mp_buf_cstr(out, &sep, 1);
        mp_buf_cstr(out, d + i, 1);
    }
}

/* Lays x out into b and frees its parts. */
static void num_finish(mp_buf *b, struct num *x, const mp_fmtspec *f) {
    size_t every = f->type && strchr("boxX", f->type) ? 4 : 3;
    size_t lead = strlen(x->sign) + strlen(x->prefix);
    /* zero padding runs through the grouping, as Python's does */
    bool zeros = f->fill == '0' && f->align == '=' && x->finite;
    mp_buf body;
    mp_buf_init(&body);
    for (;;) {
        mp_buf_cstr(&body, x->sign, strlen(x->sign));
        mp_buf_cstr(&body, x->prefix, strlen(x->prefix));
        group(&body, x->digits.data, x->digits.len, x->finite ? f->thousands : 0, every);
        if (x->rest.len) mp_buf_cstr(&body, x->rest.data, x->rest.len);
        if (!zeros || (int64_t)body.len >= f->width) break;
        body.len = 0;
        mp_buf_cstr(&x->digits, "0", 1); /* one more leading zero */
        memmove(x->digits.data + 1, x->digits.data, x->digits.len - 1);
        x->digits.data[0] = '0';
    }
    pad(b, f, f->align ? f->align : '>', body.data, body.len, chars_of(body.data, body.len), lead);
    mp_buf_free(&body);
    mp_buf_free(&x->digits);
    mp_buf_free(&x->rest);
}

static const char *sign_of(bool neg, const mp_fmtspec *f) {
    if (neg) return "-";
    return f->sign == '+' ? "+" : f->sign == ' ' ? " " : "";
}

/* ---- floats ---------------------------------------------------------- */

/* printf into a buffer of the right size. */
static void buf_printf(mp_buf *b, const char *fmt, int prec, double x) {
    char small[64];
    int n = snprintf(small, sizeof small, fmt, prec, x);
    if (n < (int)sizeof small) {
        mp_buf_cstr(b, small, (size_t)n);
        return;
    }
    char *big = mpr_malloc((size_t)n + 1);
    snprintf(big, (size_t)n + 1, fmt, prec, x);
    mp_buf_cstr(b, big, (size_t)n);
    free(big);
}

/* 'g' (and no type with a precision, ADD_DOT_0): P significant digits,
 * exponent notation when the exponent is < -4 or >= the limit. */
static void general(mp_buf *out, double x, int p, bool alt, bool add_dot_0, char e) {
    mp_buf m;
    mp_buf_init(&m);
    buf_printf(&m, "%.*e", p - 1, x);
    char *ep = strchr(m.data, 'e');
    int exp = atoi(ep + 1), decpt = exp + 1;
    char d[64 + 1024];
    size_t n = 0;
    for (char *c = m.data; c < ep && n < sizeof d; c++)
        if (*c >= '0' && *c <= '9') d[n++] = *c;
    mp_buf_free(&m);
    if (!alt)
        while (n > 1 && d[n - 1] == '0') n--;
    bool use_exp = decpt <= -4 || decpt > (add_dot_0 ? p - 1 : p);
    if (use_exp) {
        mp_buf_cstr(out, d, 1);
        if (n > 1 || alt) mp_buf_cstr(out, ".", 1);
        mp_buf_cstr(out, d + 1, n - 1);
        char tail[16];
        int k =
            snprintf(tail, sizeof tail, "%c%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        mp_buf_cstr(out, tail, (size_t)k);
        return;
    }
    if (decpt <= 0) {
        mp_buf_cstr(out, "0.", 2);
        for (int i = 0; i < -decpt; i++) mp_buf_cstr(out, "0", 1);
        mp_buf_cstr(out, d, n);
    } else if ((size_t)decpt >= n) {
        mp_buf_cstr(out, d, n);
        for (size_t i = n; i < (size_t)decpt; i++) mp_buf_cstr(out, "0", 1);
        if (add_dot_0) mp_buf_cstr(out, ".0", 2);
        else if (alt) mp_buf_cstr(out, ".", 1);
    } else {
        mp_buf_cstr(out, d, (size_t)decpt);
        mp_buf_cstr(out, ".", 1);
        mp_buf_cstr(out, d + decpt, n - (size_t)decpt);
    }
}

/* The unsigned text of finite ax >= 0 for type t. */
static void float_text(mp_buf *out, double ax, const mp_fmtspec *f, char t) {
    int prec = f->precision < 0 ? 6 : (int)f->precision;
    switch (t) {
    case 'f':
    case 'F':
    case '%':
        buf_printf(out, f->alternate ? "%#.*f" : "%.*f", prec, t == '%' ? ax * 100 : ax);
        break;
    case 'e':
    case 'E':
        buf_printf(out,
                   f->alternate ? (t == 'e' ? "%#.*e" : "%#.*E") : (t == 'e' ? "%.*e" : "%.*E"),
                   prec, ax);
        break;
    case 'g':
    case 'G':
    case 'n': general(out, ax, prec ? prec : 1, f->alternate, false, t == 'G' ? 'E' : 'e'); break;
    default:
        if (f->precision >= 0) {
            general(out, ax, prec ? prec : 1, f->alternate, true, 'e');
        } else {
            mp_buf_float(out, ax); /* repr: shortest round trip */
            char *e = strchr(out->data, 'e');
            if (f->alternate && e && !memchr(out->data, '.', (size_t)(e - out->data))) {
                size_t at = (size_t)(e - out->data);
                mp_buf_cstr(out, ".", 1);
                memmove(out->data + at + 1, out->data + at, out->len - at - 1);
                out->data[at] = '.';
            }
        }
    }
    if (t == '%') mp_buf_cstr(out, "%", 1);
}

static void format_float(mp_buf *b, double x, const mp_fmtspec *f) {
    char t = f->type;
    struct num n = {"", "", {NULL, 0, 0}, {NULL, 0, 0}, x - x == 0.0};
    bool neg = __builtin_signbit(x) && x == x;
    mp_buf text;
    mp_buf_init(&text);
    if (!n.finite) {
        bool upper = t == 'E' || t == 'F' || t == 'G';
        const char *w = x != x ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        mp_buf_cstr(&text, w, 3);
        if (t == '%') mp_buf_cstr(&text, "%", 1);
    } else {
        float_text(&text, neg ? -x : x, f, t);
    }
    size_t int_len = 0;
    if (n.finite)
        while (int_len < text.len && text.data[int_len] >= '0' && text.data[int_len] <= '9')
            int_len++;
    if (neg && f->no_neg_0 && n.finite) { /* 'z': a result that reads zero drops '-' */
        bool zero = true;
        for (size_t i = 0; i < text.len && zero; i++) {
            char c = text.data[i];
            if (c == 'e' || c == 'E' || c == '%') break;
            zero = c == '0' || c == '.';
        }
        neg = !zero;
    }
    n.sign = sign_of(neg, f);
    mp_buf_cstr(&n.digits, text.data, int_len);
    mp_buf_cstr(&n.rest, text.data + int_len, text.len - int_len);
    mp_buf_free(&text);
    num_finish(b, &n, f);
}

/* ---- ints ------------------------------------------------------------ */

static void format_int(mp_buf *b, int64_t v, const mp_fmtspec *f, mp_loc loc) {
    char t = f->type;
    if (t && strchr("eEfFgG%", t)) {
        format_float(b, (double)v, f);
        return;
    }
    if (t == 'c') {
        if (v < 0 || v > 0x10ffff) {
            mp_raise(MP_EXC_OverflowError, loc, "%%c arg not in range(0x110000)");
            return;
        }
        mp_buf ch;
        mp_buf_init(&ch);
        buf_cp(&ch, (uint32_t)v);
        pad(b, f, f->align ? f->align : '>', ch.data, ch.len, 1, 0);
        mp_buf_free(&ch);
        return;
    }
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    unsigned base = t == 'x' || t == 'X' ? 16 : t == 'o' ? 8 : t == 'b' ? 2 : 10;
    const char *digits = t == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[65];
    size_t k = sizeof tmp;
    do {
        tmp[--k] = digits[u % base];
        u /= base;
    } while (u);
    struct num n = {sign_of(v < 0, f), "", {NULL, 0, 0}, {NULL, 0, 0}, true};
    if (f->alternate && base != 10)
        n.prefix = t == 'x' ? "0x" : t == 'X' ? "0X" : t == 'o' ? "0o" : "0b";
    mp_buf_cstr(&n.digits, tmp + k, sizeof tmp - k);
    num_finish(b, &n, f);
}

/* ---- strings --------------------------------------------------------- */

static void format_str(mp_buf *b, const mp_str *s, const mp_fmtspec *f) {
    size_t len = s->len;
    int64_t n = mp_str_len(s);
    if (f->precision >= 0 && n > f->precision) { /* keep the first precision characters */
        len = 0;
        for (int64_t c = 0; c < f->precision; c++) {
            int k;
            len += mpr_utf8_decode((const unsigned char *)s->data + len, s->len - len, &k) < 0
                       ? 1
                       : (size_t)k;
        }
        n = f->precision;
    }
    pad(b, f, f->align ? f->align : '<', s->data, len, n, 0);
}

/* ---- entry points ------------------------------------------------------ */

static const char *type_name(mp_kind k) {
    switch (k) {
    case MP_INT: return "int";
    case MP_FLOAT: return "float";
    case MP_BOOL: return "bool";
    case MP_STR: return "str";
    default: return "list";
    }
}

void mp_buf_format(mp_buf *b, const mp_type *t, mp_val v, const mp_str *spec, mp_loc loc) {
    if (spec->len == 0) { /* format(x, "") is str(x) */
        mp_buf_val(b, t, v);
        return;
    }
    if (t->kind == MP_LIST) {
        mp_raise(MP_EXC_TypeError, loc, "unsupported format string passed to list.__format__");
        return;
    }
    mp_fmtspec f;
    char err[300];
    if (!mp_fmtspec_parse(spec->data, spec->len, type_name(t->kind), &f, err, sizeof err)) {
        mp_raise(MP_EXC_ValueError, loc, "%s", err);
        return;
    }
    switch (t->kind) {
    case MP_INT: format_int(b, v.i, &f, loc); break;
    case MP_BOOL: format_int(b, v.b, &f, loc); break;
    case MP_FLOAT: format_float(b, v.f, &f); break;
    default: format_str(b, v.s, &f); break;
    }
}

mp_str *mp_format(const mp_type *t, mp_val v, const mp_str *spec, mp_loc loc) {
    mp_buf b;
    mp_buf_init(&b);
    mp_buf_format(&b, t, v, spec, loc);
    return mp_buf_finish(&b);
}
