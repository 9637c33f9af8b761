/* strmeth.c: the methods of str, as Python's: split, join, strip, find,
 * replace, the is* tests, padding. Strings are UTF-8; positions and
 * widths count characters (code points, a byte that is not valid UTF-8
 * counting as one), as Python's str does. Substring search works on bytes:
 * in valid UTF-8 a match always starts and ends on character boundaries. */
#define _GNU_SOURCE
#include <string.h>

#include "mpr_internal.h"

const mp_type mp_t_list_str = {MP_LIST, &mp_t_str};
mp_str mp_str_space = {MP_IMMORTAL, 1, " ", 2};

/* ---- characters --------------------------------------------------- */

/* The code point at p (n > 0 bytes left) and its byte length; a byte that
 * is not valid UTF-8 stands for itself as U+DC80..U+DCFF (as Python's
 * surrogateescape), which no valid character equals. */
static long cp_at(const char *p, size_t n, size_t *len) {
    int k;
    long cp = mpr_utf8_decode((const unsigned char *)p, n, &k);
    if (cp < 0) {
        *len = 1;
        return 0xdc00 | (unsigned char)*p;
    }
    *len = (size_t)k;
    return cp;
}

/* The start of the character that ends at byte off (> 0) of d. */
static size_t prev_char(const char *d, size_t off) {
    size_t j = off - 1;
    while (j > 0 && off - j < 4 && ((unsigned char)d[j] & 0xc0) == 0x80) j--;
    size_t k;
    cp_at(d + j, off - j, &k);
    return j + k == off ? j : off - 1;
}

/* Characters in the bytes [0, n) of p. */
static int64_t count_chars(const char *p, size_t n) {
    int64_t c = 0;
    for (size_t i = 0, k; i < n; i += k, c++) cp_at(p + i, n - i, &k);
    return c;
}

static bool is_ascii(const mp_str *s) { return (size_t)mp_str_len(s) == s->len; }

/* The byte offset of character index ci (0 <= ci <= characters). */
static size_t byte_off(const mp_str *s, int64_t ci) {
    if (is_ascii(s)) return (size_t)ci;
    size_t i = 0, k;
    for (; ci > 0 && i < s->len; ci--, i += k) cp_at(s->data + i, s->len - i, &k);
    return i;
}

/* Python's slice bounds s[start:end] of find, count, startswith...: false
 * when start is past end (nothing, not even "", is found there); else the
 * byte range [*b, *e). */
static bool sub_range(const mp_str *s, int64_t start, int64_t end, size_t *b, size_t *e) {
    int64_t n = mp_str_len(s);
    if (end > n) end = n;
    else if (end < 0 && (end += n) < 0) end = 0;
    if (start < 0 && (start += n) < 0) start = 0;
    if (start > end) return false;
    *b = byte_off(s, start);
    *e = byte_off(s, end);
    return true;
}

/* Python's str.isspace() of one code point. */
static bool cp_space(long c) {
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

/* A line boundary of str.splitlines(). */
static bool cp_linebreak(long c) {
    return (c >= 0x0a && c <= 0x0d) || (c >= 0x1c && c <= 0x1e) || c == 0x85 || c == 0x2028 ||
           c == 0x2029;
}

static bool in_ranges(long c, const mpr_cp_range *r, size_t n) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < (long)r[mid].lo) hi = mid;
        else if (c > (long)r[mid].hi) lo = mid + 1;
        else return true;
    }
    return false;
}

static bool cp_alpha(long c) { return in_ranges(c, mpr_alpha, mpr_alpha_len); }
static bool cp_digit(long c) { return in_ranges(c, mpr_digit, mpr_digit_len); }
static bool cp_alnum(long c) { return cp_alpha(c) || in_ranges(c, mpr_numeric, mpr_numeric_len); }

/* True when s is not empty and every character passes. */
static bool all_chars(const mp_str *s, bool (*pass)(long)) {
    if (s->len == 0) return false;
    for (size_t i = 0, k; i < s->len; i += k)
        if (!pass(cp_at(s->data + i, s->len - i, &k))) return false;
    return true;
}

bool mp_str_isspace(const mp_str *s) { return all_chars(s, cp_space); }
bool mp_str_isalpha(const mp_str *s) { return all_chars(s, cp_alpha); }
bool mp_str_isdigit(const mp_str *s) { return all_chars(s, cp_digit); }
bool mp_str_isalnum(const mp_str *s) { return all_chars(s, cp_alnum); }

/* ---- searching ---------------------------------------------------- */

/* The first match of needle in [b, e) of hay at or after b, or -1. */
static ptrdiff_t search(const char *hay, size_t b, size_t e, const mp_str *needle) {
    if (needle->len > e - b) return -1;
    if (needle->len == 0) return (ptrdiff_t)b;
    const char *p = memmem(hay + b, e - b, needle->data, needle->len);
    return p ? p - hay : -1;
}

/* The last match of needle in [b, e), or -1. */
static ptrdiff_t rsearch(const char *hay, size_t b, size_t e, const mp_str *needle) {
    if (needle->len > e - b) return -1;
    for (size_t i = e - needle->len;; i--) {
        if (memcmp(hay + i, needle->data, needle->len) == 0) return (ptrdiff_t)i;
        if (i == b) return -1;
    }
}

static int64_t char_index(const mp_str *s, ptrdiff_t at) {
    if (at < 0) return -1;
    return is_ascii(s) ? (int64_t)at : count_chars(s->data, (size_t)at);
}

int64_t mp_str_find(const mp_str *s, const mp_str *sub, int64_t start, int64_t end) {
    size_t b, e;
    if (!sub_range(s, start, end, &b, &e)) return -1;
    return char_index(s, search(s->data, b, e, sub));
}

int64_t mp_str_rfind(const mp_str *s, const mp_str *sub, int64_t start, int64_t end) {
    size_t b, e;
    if (!sub_range(s, start, end, &b, &e)) return -1;
    return char_index(s, rsearch(s->data, b, e, sub));
}

int64_t mp_str_find_index(const mp_str *s, const mp_str *sub, int64_t start, int64_t end,
                          mp_loc loc) {
    int64_t i = mp_str_find(s, sub, start, end);
    if (i < 0) mp_raise(MP_EXC_ValueError, loc, "substring not found");
    return i;
}

int64_t mp_str_rfind_index(const mp_str *s, const mp_str *sub, int64_t start, int64_t end,
                           mp_loc loc) {
    int64_t i = mp_str_rfind(s, sub, start, end);
    if (i < 0) mp_raise(MP_EXC_ValueError, loc, "substring not found");
    return i;
}

int64_t mp_str_count(const mp_str *s, const mp_str *sub, int64_t start, int64_t end) {
    size_t b, e;
    if (!sub_range(s, start, end, &b, &e)) return 0;
    if (sub->len == 0) return count_chars(s->data + b, e - b) + 1;
    int64_t n = 0;
    for (ptrdiff_t at; (at = search(s->data, b, e, sub)) >= 0; n++) b = (size_t)at + sub->len;
    return n;
}

bool mp_str_startswith(const mp_str *s, const mp_str *prefix, int64_t start, int64_t end) {
    size_t b, e;
    if (!sub_range(s, start, end, &b, &e) || prefix->len > e - b) return false;
    return memcmp(s->data + b, prefix->data, prefix->len) == 0;
}

bool mp_str_endswith(const mp_str *s, const mp_str *suffix, int64_t start, int64_t end) {
    size_t b, e;
    if (!sub_range(s, start, end, &b, &e) || suffix->len > e - b) return false;
    return memcmp(s->data + e - suffix->len, suffix->data, suffix->len) == 0;
}

/* ---- splitting and joining ---------------------------------------- */

static void push_part(mp_list *l, const char *p, size_t n) {
    mp_list_push(l, (mp_val){.s = mp_str_new(p, n)});
}

/* Splits at runs of whitespace, at most max times from the left. */
static void split_ws(mp_list *l, const mp_str *s, int64_t max) {
    const char *d = s->data;
    size_t n = s->len, i = 0, k;
    for (;;) {
        while (i < n && cp_space(cp_at(d + i, n - i, &k))) i += k;
        if (i == n) return;
        if (max-- == 0) break;
        size_t j = i;
        while (i < n && !cp_space(cp_at(d + i, n - i, &k))) i += k;
        push_part(l, d + j, i - j);
    }
    push_part(l, d + i, n - i); /* the rest, as it is */
}

/* The same from the right; the parts come out last first. */
static void rsplit_ws(mp_list *l, const mp_str *s, int64_t max) {
    const char *d = s->data;
    size_t e = s->len, k;
    for (;;) {
        while (e > 0) {
            size_t p = prev_char(d, e);
            if (!cp_space(cp_at(d + p, e - p, &k))) break;
            e = p;
        }
        if (e == 0) return;
        if (max-- == 0) break;
        size_t j = e;
        while (e > 0) {
            size_t p = prev_char(d, e);
            if (cp_space(cp_at(d + p, e - p, &k))) break;
            e = p;
        }
        push_part(l, d + e, j - e);
    }
    push_part(l, d, e);
}

static void list_reverse(mp_list *l) {
    int64_t n = mp_list_len(l);
    for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
        mp_val a = mp_list_get(l, i, MP_LOC(0, 0)), b = mp_list_get(l, j, MP_LOC(0, 0));
        /* swap without touching refcounts: each slot's reference moves */
        mp_str *sa = mp_str_ref(a.s), *sb = mp_str_ref(b.s);
        mp_list_set(l, i, (mp_val){.s = sb}, MP_LOC(0, 0));
        mp_list_set(l, j, (mp_val){.s = sa}, MP_LOC(0, 0));
    }
}

static mp_list *split(const mp_str *s, const mp_str *sep, int64_t max, bool right, mp_loc loc) {
    mp_list *l = mp_list_new(&mp_t_list_str, 4);
    if (max < 0) max = INT64_MAX;
    if (!sep) {
        if (right) rsplit_ws(l, s, max);
        else split_ws(l, s, max);
    } else if (sep->len == 0) {
        mp_raise(MP_EXC_ValueError, loc, "empty separator");
        return l;
    } else if (!right) {
        size_t i = 0;
        for (ptrdiff_t at; max > 0 && (at = search(s->data, i, s->len, sep)) >= 0; max--) {
            push_part(l, s->data + i, (size_t)at - i);
            i = (size_t)at + sep->len;
        }
        push_part(l, s->data + i, s->len - i);
    } else {
        size_t e = s->len;
        for (ptrdiff_t at; max > 0 && (at = rsearch(s->data, 0, e, sep)) >= 0; max--) {
            push_part(l, s->data + at + sep->len, e - (size_t)at - sep->len);
            e = (size_t)at;
        }
        push_part(l, s->data, e);
    }
    if (right) list_reverse(l);
    return l;
}

mp_list *mp_str_split(const mp_str *s, const mp_str *sep, int64_t maxsplit, mp_loc loc) {
    return split(s, sep, maxsplit, false, loc);
}

mp_list *mp_str_rsplit(const mp_str *s, const mp_str *sep, int64_t maxsplit, mp_loc loc) {
    return split(s, sep, maxsplit, true, loc);
}

mp_list *mp_str_splitlines(const mp_str *s, bool keepends) {
    mp_list *l = mp_list_new(&mp_t_list_str, 4);
    const char *d = s->data;
    size_t n = s->len, i = 0, k = 1;
    while (i < n) {
        size_t j = i;
        while (i < n && !cp_linebreak(cp_at(d + i, n - i, &k))) i += k;
        size_t eol = i;
        if (i < n) {
            i += d[i] == '\r' && i + 1 < n && d[i + 1] == '\n' ? 2 : k;
            if (keepends) eol = i;
        }
        push_part(l, d + j, eol - j);
    }
    return l;
}

mp_str *mp_str_join(const mp_str *sep, const mp_list *items) {
    int64_t n = mp_list_len(items);
    if (n == 1) return mp_str_ref(mp_list_get(items, 0, MP_LOC(0, 0)).s);
    mp_buf b;
    mp_buf_init(&b);
    for (int64_t i = 0; i < n; i++) {
        if (i) mp_buf_cstr(&b, sep->data, sep->len);
        const mp_str *x = mp_list_get(items, i, MP_LOC(0, 0)).s;
        mp_buf_cstr(&b, x->data, x->len);
    }
    return mp_buf_finish(&b);
}

/* ---- transforming ------------------------------------------------- */

/* Is code point c one of the characters of set? */
static bool in_set(long c, const mp_str *set) {
    for (size_t i = 0, k; i < set->len; i += k)
        if (cp_at(set->data + i, set->len - i, &k) == c) return true;
    return false;
}

static bool strip_char(long c, const mp_str *chars) {
    return chars ? in_set(c, chars) : cp_space(c);
}

mp_str *mp_str_strip(const mp_str *s, const mp_str *chars, int sides) {
    const char *d = s->data;
    size_t b = 0, e = s->len, k;
    if (sides & MP_STRIP_LEFT)
        while (b < e && strip_char(cp_at(d + b, e - b, &k), chars)) b += k;
    if (sides & MP_STRIP_RIGHT)
        while (e > b) {
            size_t p = prev_char(d, e);
            if (!strip_char(cp_at(d + p, e - p, &k), chars)) break;
            e = p;
        }
    if (b == 0 && e == s->len) return mp_str_ref((mp_str *)s);
    return mp_str_new(d + b, e - b);
}

mp_str *mp_str_removeprefix(const mp_str *s, const mp_str *prefix) {
    if (s->len >= prefix->len && memcmp(s->data, prefix->data, prefix->len) == 0)
        return mp_str_new(s->data + prefix->len, s->len - prefix->len);
    return mp_str_ref((mp_str *)s);
}

mp_str *mp_str_removesuffix(const mp_str *s, const mp_str *suffix) {
    if (suffix->len && s->len >= suffix->len &&
        memcmp(s->data + s->len - suffix->len, suffix->data, suffix->len) == 0)
        return mp_str_new(s->data, s->len - suffix->len);
    return mp_str_ref((mp_str *)s);
}

mp_str *mp_str_replace(const mp_str *s, const mp_str *old, const mp_str *new_, int64_t count) {
    if (count < 0) count = INT64_MAX;
    mp_buf b;
    mp_buf_init(&b);
    size_t i = 0, k;
    if (old->len == 0) { /* new before every character and at the end */
        for (; count > 0; count--) {
            mp_buf_cstr(&b, new_->data, new_->len);
            if (i == s->len) break;
            cp_at(s->data + i, s->len - i, &k);
            mp_buf_cstr(&b, s->data + i, k);
            i += k;
        }
    } else {
        for (ptrdiff_t at; count > 0 && (at = search(s->data, i, s->len, old)) >= 0; count--) {
            mp_buf_cstr(&b, s->data + i, (size_t)at - i);
            mp_buf_cstr(&b, new_->data, new_->len);
            i = (size_t)at + old->len;
        }
    }
    mp_buf_cstr(&b, s->data + i, s->len - i);
    return mp_buf_finish(&b);
}

/* ASCII letters change case; every other character stays. */
static mp_str *ascii_case(const mp_str *s, char from, char to) {
    mp_buf b;
    mp_buf_init(&b);
    mp_buf_cstr(&b, s->data, s->len);
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] >= from && b.data[i] <= from + 25) b.data[i] = (char)(b.data[i] - from + to);
    return mp_buf_finish(&b);
}

mp_str *mp_str_upper(const mp_str *s) { return ascii_case(s, 'a', 'A'); }
mp_str *mp_str_lower(const mp_str *s) { return ascii_case(s, 'A', 'a'); }

/* ---- padding ------------------------------------------------------ */

static void buf_repeat(mp_buf *b, const char *p, size_t n, int64_t times) {
    for (int64_t i = 0; i < times; i++) mp_buf_cstr(b, p, n);
}

mp_str *mp_str_pad(const mp_str *s, int64_t width, const mp_str *fill, int align, mp_loc loc) {
    if (mp_str_len(fill) != 1) {
        mp_raise(MP_EXC_TypeError, loc, "The fill character must be exactly one character long");
        return mp_str_ref((mp_str *)s);
    }
    int64_t n = mp_str_len(s);
    if (width <= n) return mp_str_ref((mp_str *)s);
    int64_t marg = width - n, left;
    if (align == '<') left = 0;
    else if (align == '>') left = marg;
    else left = marg / 2 + (marg & width & 1); /* Python's center() */
    mp_buf b;
    mp_buf_init(&b);
    buf_repeat(&b, fill->data, fill->len, left);
    mp_buf_cstr(&b, s->data, s->len);
    buf_repeat(&b, fill->data, fill->len, marg - left);
    return mp_buf_finish(&b);
}

mp_str *mp_str_zfill(const mp_str *s, int64_t width) {
    int64_t n = mp_str_len(s);
    if (width <= n) return mp_str_ref((mp_str *)s);
    mp_buf b;
    mp_buf_init(&b);
    size_t sign = s->len && (s->data[0] == '+' || s->data[0] == '-');
    mp_buf_cstr(&b, s->data, sign);
    buf_repeat(&b, "0", 1, width - n);
    mp_buf_cstr(&b, s->data + sign, s->len - sign);
    return mp_buf_finish(&b);
}
