#include "diag.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- sources ---------------------------------------------------------- */

static const char *warning_names[W__COUNT] = {
    [W_UNJOINED] = "unjoined", [W_UNSTARTED] = "unstarted",     [W_UNUSED] = "unused",
    [W_SHADOW] = "shadow",     [W_UNREACHABLE] = "unreachable",
};

static void report(Diag *d, const char *level, const char *color, Span at, bool located,
                   const char *fmt, va_list ap);

/* Length of the valid UTF-8 sequence at P (at most N bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else return 0;
    if (len > n) return 0;
    unsigned cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

static void located_error(Diag *d, uint32_t off, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(d, "error", "\033[1;31m", (Span){off, off + 1}, true, fmt, ap);
    va_end(ap);
    d->errors++;
}

/* Bytes from P on (at most N) that are ASCII and not NUL, counted eight at
 * a time, so a whole word of plain text costs one test (a source is almost
 * all ASCII); the scan stops at the word holding the first other byte. */
static size_t plain_ascii_run(const unsigned char *p, size_t n) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (((w - ones) | w) & highs) break; /* a NUL (borrow) or a high bit */
    }
    return i;
}

/* A NUL byte or bad UTF-8 is rejected before scanning, so the scanner and
 * everything after it only ever see valid text. */
static bool src_validate(const Source *s, Diag *d) {
    const unsigned char *p = (const unsigned char *)s->text;
    for (size_t i = 0; i < s->len;) {
        i += plain_ascii_run(p + i, s->len - i);
        if (i == s->len) break;
        if (p[i] == 0) {
            located_error(d, (uint32_t)i, "NUL byte in source file");
            return false;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_len(p + i, s->len - i);
        if (n == 0) {
            located_error(d, (uint32_t)i, "invalid UTF-8 (byte 0x%02x); source must be UTF-8",
                          p[i]);
            return false;
        }
        i += n;
    }
    return true;
}

bool src_load(Source *s, const char *path, Diag *d) {
    memset(s, 0, sizeof *s);
    s->name = path;
    FILE *f = fopen(path, "rb");
    struct stat st;
    const char *why = NULL;
    if (!f) {
        why = strerror(errno);
    } else if (fstat(fileno(f), &st) != 0) {
        why = strerror(errno);
    } else if (S_ISDIR(st.st_mode)) {
        why = "is a directory";
    } else if (!S_ISREG(st.st_mode) && st.st_size == 0) {
        st.st_size = 0; /* a pipe or device: read what comes */
    } else if ((uint64_t)st.st_size >= SRC_MAX_BYTES) {
        why = "file too large (limit 1 GiB)";
    }
    if (!why) {
        size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
        s->text = xmalloc(cap);
        size_t n;
        while ((n = fread(s->text + s->len, 1, cap - s->len - 1, f)) > 0) {
            s->len += n;
            if (cap - s->len - 1 == 0) {
                if (cap >= SRC_MAX_BYTES) {
                    why = "file too large (limit 1 GiB)";
                    break;
                }
                s->text = xrealloc(s->text, cap, 2);
                cap *= 2;
            }
        }
        if (ferror(f)) why = strerror(errno);
        else s->text[s->len] = '\0';
    }
    if (f) fclose(f);
    if (why) {
        diag_file_error(d, "%s: %s", path, why);
        free(s->text);
        s->text = NULL;
        s->len = 0;
        return false;
    }
    const Source *saved = d->src;
    d->src = s;
    bool ok = src_validate(s, d);
    d->src = saved;
    return ok;
}

void src_from_string(Source *s, const char *name, const char *text, size_t len) {
    memset(s, 0, sizeof *s);
    s->name = name;
    s->text = xmalloc(len + 1);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->len = len;
}

void src_free(Source *s) {
    free(s->text);
    free(s->lines);
    s->text = NULL;
    s->lines = NULL;
}

static void build_lines(Source *s) {
    size_t n = 1;
    for (size_t i = 0; i < s->len; i++) n += s->text[i] == '\n';
    s->lines = xrealloc(NULL, n, sizeof *s->lines);
    s->lines[0] = 0;
    size_t k = 1;
    for (size_t i = 0; i < s->len; i++)
        if (s->text[i] == '\n') s->lines[k++] = (uint32_t)(i + 1);
    s->nlines = n;
}

/* Index of the line containing OFF. */
static size_t line_index(const Source *cs, uint32_t off) {
    Source *s = (Source *)cs; /* the line table is a cache */
    if (!s->lines) build_lines(s);
    size_t lo = 0, hi = s->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->lines[mid] <= off) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Columns count characters, not bytes: UTF-8 continuation bytes are skipped. */
static int chars_between(const char *text, uint32_t from, uint32_t to) {
    int n = 0;
    for (uint32_t i = from; i < to; i++) n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return n;
}

void src_position(const Source *s, uint32_t off, int *line, int *col) {
    if (off > s->len) off = (uint32_t)s->len;
    size_t li = line_index(s, off);
    *line = (int)li + 1;
    *col = chars_between(s->text, s->lines[li], off) + 1;
}

/* ---- diagnostics ------------------------------------------------------ */

void diag_init(Diag *d, const Source *src, FILE *out) {
    memset(d, 0, sizeof *d);
    d->src = src;
    d->out = out;
    d->limit = 50;
}

void diag_auto_color(Diag *d) {
    const char *nc = getenv("NO_COLOR");
    d->color = isatty(fileno(d->out)) && !(nc && *nc);
}

Warning diag_warning_by_name(const char *name) {
    for (int w = 0; w < W__COUNT; w++)
        if (strcmp(warning_names[w], name) == 0) return (Warning)w;
    return W__COUNT;
}

const char *diag_warning_name(Warning w) { return w < W__COUNT ? warning_names[w] : "?"; }

/* Long lines are shown as a window around the range. */
enum { SHOW_MAX = 160, SHOW_BEFORE = 60 };

static void show_line(Diag *d, Span at, int line, const char *color) {
    const Source *s = d->src;
    size_t li = (size_t)line - 1;
    uint32_t start = s->lines[li];
    uint32_t end = li + 1 < s->nlines ? s->lines[li + 1] - 1 : (uint32_t)s->len;
    if (end > start && s->text[end - 1] == '\r') end--;
    uint32_t b = at.begin < start ? start : at.begin;
    uint32_t e = at.end > end ? end : at.end;
    if (e < b) e = b;

    uint32_t from = start, to = end;
    bool cut_left = false, cut_right = false;
    if (chars_between(s->text, start, end) > SHOW_MAX) {
        if (b - start > SHOW_BEFORE) {
            from = b - SHOW_BEFORE;
            while (from < b && ((unsigned char)s->text[from] & 0xC0) == 0x80) from++;
            cut_left = true;
        }
        to = from + SHOW_MAX < end ? from + SHOW_MAX : end;
        while (to < end && ((unsigned char)s->text[to] & 0xC0) == 0x80) to++;
        cut_right = to < end;
    }
    if (e > to) e = to;

    char gutter[24];
    int gw = snprintf(gutter, sizeof gutter, "%5d", line);
    fprintf(d->out, "%s | %s", gutter, cut_left ? "..." : "");
    fwrite(s->text + from, 1, to - from, d->out);
    fprintf(d->out, "%s\n%*s | %s", cut_right ? "..." : "", gw, "", cut_left ? "   " : "");
    /* Tabs are copied so the caret lines up under them. */
    for (uint32_t i = from; i < b; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if ((c & 0xC0) == 0x80) continue;
        fputc(c == '\t' ? '\t' : ' ', d->out);
    }
    if (d->color) fputs(color, d->out);
    fputc('^', d->out);
    int width = chars_between(s->text, b, e);
    for (int i = 1; i < width; i++) fputc('~', d->out);
    if (d->color) fputs("\033[0m", d->out);
    fputc('\n', d->out);
}

static void report(Diag *d, const char *level, const char *color, Span at, bool located,
                   const char *fmt, va_list ap) {
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    const char *bold = d->color ? "\033[1m" : "";
    const char *reset = d->color ? "\033[0m" : "";
    const char *lc = d->color ? color : "";
    int line = 0, col = 0;
    if (located && d->src) {
        src_position(d->src, at.begin, &line, &col);
        fprintf(d->out, "%s%s:%d:%d:%s ", bold, d->src->name, line, col, reset);
    } else {
        fprintf(d->out, "%smpc:%s ", bold, reset);
    }
    fprintf(d->out, "%s%s:%s %s\n", lc, level, reset, msg);
    if (located && d->src) show_line(d, at, line, color);
}

static void report_fmt(Diag *d, const char *level, const char *color, Span at, const char *fmt,
                       ...) {
    va_list ap;
    va_start(ap, fmt);
    report(d, level, color, at, true, fmt, ap);
    va_end(ap);
}

static bool over_limit(Diag *d) {
    if (d->limit <= 0 || d->errors < d->limit) return false;
    if (d->errors == d->limit)
        fprintf(d->out, "mpc: too many errors; stopping after %d\n", d->limit);
    d->errors++;
    return true;
}

void diag_error(Diag *d, Span at, const char *fmt, ...) {
    if (over_limit(d)) return;
    va_list ap;
    va_start(ap, fmt);
    report(d, "error", "\033[1;31m", at, true, fmt, ap);
    va_end(ap);
    d->errors++;
}

bool diag_warning(Diag *d, Warning w, Span at, const char *fmt, ...) {
    if (d->disabled[w]) return false;
    if (d->werror && over_limit(d)) return false;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (d->werror) {
        diag_error(d, at, "%s [-Werror=%s]", msg, warning_names[w]);
    } else {
        report_fmt(d, "warning", "\033[1;35m", at, "%s [-W%s]", msg, warning_names[w]);
        d->warnings++;
    }
    return true;
}

void diag_note(Diag *d, Span at, const char *fmt, ...) {
    if (d->limit > 0 && d->errors > d->limit) return;
    va_list ap;
    va_start(ap, fmt);
    report(d, "note", "\033[1;36m", at, true, fmt, ap);
    va_end(ap);
}

void diag_file_error(Diag *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(d, "error", "\033[1;31m", (Span){0, 0}, false, fmt, ap);
    va_end(ap);
    d->errors++;
}
