/* gen_out: the text buffers the C is written into, emit() and #line
 * mapping back to the .mp source. */
#include "gen_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- text buffers ------------------------------------------------------ */

/* Small enough that the four sections held until the end (gen_program)
 * cost little memory, large enough that writes are few. */
enum { SPILL_AT = 64 * 1024 };

void buf_put(Buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        b->data = xrealloc(b->data, cap, 1);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    /* The body of a large program is written out as it grows, not held:
     * it can only be emitted after the declarations it makes us collect. */
    if (b->spill && b->len >= SPILL_AT) {
        if (fwrite(b->data, 1, b->len, b->spill) != b->len) b->spill_failed = true;
        b->len = 0;
    }
}

static void buf_vprintf(Buf *b, const char *fmt, va_list ap) {
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof small) {
        buf_put(b, small, (size_t)n);
    } else {
        char *big = xmalloc((size_t)n + 1);
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        buf_put(b, big, (size_t)n);
        free(big);
    }
    va_end(ap2);
}

void buf_printf(Buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *gstr(Gen *g, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof small) return arena_strndup(&g->arena, small, (size_t)n);
    Buf b = {0};
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *s = arena_strndup(&g->arena, b.data ? b.data : "", b.len);
    free(b.data);
    return s;
}

/* S copied where it survives arena resets (see Gen.perm). */
const char *keep_str(Gen *g, const char *s) { return arena_strndup(&g->perm, s, strlen(s)); }

static void loc_of(Gen *g, Span s, int *line, int *col) {
    src_position(g->src, s.begin, line, col);
}

const char *loc(Gen *g, Span s) {
    int line, col;
    loc_of(g, s, &line, &col);
    return gstr(g, "MP_LOC(%d, %d)", line, col);
}

/* Writes bytes as the inside of a C string literal. Only printable ASCII
 * other than \ " ? passes through, so no source text can end the literal,
 * form a trigraph or an escape, or change the meaning of the C. */
void put_c_string(Buf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\n': buf_put(b, "\\n", 2); break;
        case '\t': buf_put(b, "\\t", 2); break;
        case '\\': buf_put(b, "\\\\", 2); break;
        case '"': buf_put(b, "\\\"", 2); break;
        case '?': buf_put(b, "\\?", 2); break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                char ch = (char)c;
                buf_put(b, &ch, 1);
            } else {
                buf_printf(b, "\\%03o", c);
            }
        }
    }
}

static void emit_line_directive(Gen *g, int line) {
    if (!g->opt->line_directives || line == g->mapped) return;
    buf_printf(g->out, "#line %d \"", line);
    put_c_string(g->out, g->src->name, strlen(g->src->name));
    buf_put(g->out, "\"\n", 2);
    g->mapped = line;
}

/* Maps the next emitted line to the .mp line where N starts. */
void map(Gen *g, const Node *n) {
    int line, col;
    loc_of(g, n->span, &line, &col);
    emit_line_directive(g, line);
}

void emit(Gen *g, const char *fmt, ...) {
    for (int i = 0; i < g->indent; i++) buf_put(g->out, "    ", 4);
    va_list ap;
    va_start(ap, fmt);
    if (!g->checking || g->no_check) {
        buf_vprintf(g->out, fmt, ap);
        va_end(ap);
        buf_put(g->out, "\n", 1);
        if (g->mapped) g->mapped++;
        return;
    }
    /* Where an exception may be pending, a line that may raise is
     * followed by its check. */
    char small[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    char *line = small;
    if (n >= (int)sizeof small) {
        line = xmalloc((size_t)n + 1);
        vsnprintf(line, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    buf_put(g->out, line, strlen(line));
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    if (line_may_raise(g, line)) gen_check(g);
    if (line != small) free(line);
}

/* ---- side buffers ------------------------------------------------------ */

void side_begin(Gen *g, Side *s) {
    *s = (Side){.saved = g->out, .mapped = g->mapped};
    g->out = &s->buf;
}

void side_end(Gen *g, Side *s) { g->out = s->saved; }

void side_splice(Gen *g, Side *s) {
    if (s->buf.len) buf_put(g->out, s->buf.data, s->buf.len);
    side_free(s);
}

void side_free(Side *s) {
    free(s->buf.data);
    s->buf = (Buf){0};
}
