/* parse: the entry point of the front end, and the helpers the scanner
 * (grammar/lexer.l) and the grammar (grammar/parser.y) share: literals,
 * string interpolation, type names and error reporting. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"
#include "parser.h"

enum { NAME_MAX_BYTES = 255 };

/* ---- keywords ---------------------------------------------------------- */

static const struct Keyword {
    const char *word;
    unsigned char len;
    unsigned char flags;
    int tok;
} keywords[] = {
#define KEYWORD(tok, word, flags) {word, sizeof word - 1, flags, TK_##tok},
    MPC_KEYWORDS(KEYWORD)
#undef KEYWORD
};
enum { NKEYWORDS = sizeof keywords / sizeof keywords[0] };

/* Every name the scanner sees is looked up, so the lookup is a hash
 * table (open addressing, built from keywords[] on first use) rather
 * than a walk over the whole list. */
enum { KW_SLOTS = 256 };
static unsigned char kw_slot[KW_SLOTS]; /* index into keywords[] + 1; 0 = empty */
static bool kw_ready;

static unsigned kw_hash(const char *s, size_t n) {
    unsigned h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h & (KW_SLOTS - 1);
}

static void kw_build(void) {
    for (int i = 0; i < NKEYWORDS; i++) {
        unsigned h = kw_hash(keywords[i].word, keywords[i].len);
        while (kw_slot[h]) h = (h + 1) & (KW_SLOTS - 1);
        kw_slot[h] = (unsigned char)(i + 1);
    }
    kw_ready = true;
}

int parse_keyword(const char *s, size_t n) {
    _Static_assert(NKEYWORDS < KW_SLOTS / 2, "keep the keyword table at most half full");
    if (!kw_ready) kw_build();
    for (unsigned h = kw_hash(s, n); kw_slot[h]; h = (h + 1) & (KW_SLOTS - 1)) {
        const struct Keyword *k = &keywords[kw_slot[h] - 1];
        if (k->len == n && memcmp(k->word, s, n) == 0) return k->tok;
    }
    /* the spellings of .mp before True and False, kept for old programs */
    if (n == 4 && memcmp(s, "true", 4) == 0) return TK_TRUE;
    if (n == 5 && memcmp(s, "false", 5) == 0) return TK_FALSE;
    return 0;
}

unsigned parse_keyword_flags(int t) {
    /* the grammar declares the tokens in the order of MPC_KEYWORDS */
    int i = t - keywords[0].tok;
    if (i >= 0 && i < NKEYWORDS && keywords[i].tok == t) return keywords[i].flags;
    for (i = 0; i < NKEYWORDS; i++)
        if (keywords[i].tok == t) return keywords[i].flags;
    return 0;
}

int parse_keyword_count(void) { return NKEYWORDS; }

/* ---- errors ------------------------------------------------------------ */

static void vreport(Parser *P, Span at, const char *fmt, va_list ap) {
    ParseShared *sh = P->sh;
    if (sh->fatal || sh->stopped) return;
    if (sh->errors >= PARSE_MAX_ERRORS) {
        diag_file_error(sh->diag, "too many syntax errors; stopping after %d", PARSE_MAX_ERRORS);
        sh->stopped = true;
        return;
    }
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    diag_error(sh->diag, at, "%s", msg);
    sh->errors++;
}

void parse_error(Parser *P, Span at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(P, at, fmt, ap);
    va_end(ap);
}

void parse_note(Parser *P, Span at, const char *fmt, ...) {
    if (P->sh->stopped) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_note(P->sh->diag, at, "%s", msg);
}

void parse_fatal(Parser *P, Span at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(P, at, fmt, ap);
    va_end(ap);
    P->sh->fatal = true;
}

/* ---- scratch buffer ---------------------------------------------------- */

static void scratch_reserve(ParseShared *sh, size_t need) {
    if (need <= sh->cap) return;
    size_t cap = sh->cap ? sh->cap : 256;
    while (cap < need) cap *= 2;
    sh->buf = xrealloc(sh->buf, cap, 1);
    sh->cap = cap;
}

/* ---- nodes and names --------------------------------------------------- */

Node *parse_node(Parser *P, NodeKind kind, Span at) {
    ParseShared *sh = P->sh;
    if (sh->arena->total > PARSE_MAX_TREE && !sh->fatal)
        parse_fatal(P, at, "program too large: its syntax tree needs more than %zu MiB",
                    (size_t)PARSE_MAX_TREE >> 20);
    return node_new(sh->arena, kind, at);
}

/* Every word the scanner sees is looked up once in the word table, which
 * answers both questions the scanner asks of it: is it a keyword, and
 * which copy do the occurrences of the name share (a big program names
 * the same few identifiers millions of times). The copies live in the
 * arena; the table only while parsing. */

static uint32_t word_hash(const char *s, uint32_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The slot of S[0..N) with hash H, or the empty slot where it would go. */
static Word *word_slot(const ParseShared *sh, const char *s, uint32_t n, uint32_t h) {
    uint32_t mask = sh->words_cap - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        Word *w = &sh->words[i];
        if (!w->s || (w->hash == h && w->len == n && memcmp(w->s, s, n) == 0)) return w;
    }
}

/* Doubles the table (from 1024 slots), at most three quarters full. */
static void words_grow(ParseShared *sh) {
    Word *old = sh->words;
    uint32_t ocap = sh->words_cap;
    sh->words_cap = ocap ? ocap * 2 : 1024;
    sh->words = xcalloc(sh->words_cap, sizeof *sh->words);
    for (uint32_t i = 0; i < ocap; i++)
        if (old[i].s) *word_slot(sh, old[i].s, old[i].len, old[i].hash) = old[i];
    free(old);
}

const Word *parse_word(Parser *P, Span at) {
    ParseShared *sh = P->sh;
    uint32_t len = at.end - at.begin;
    if (len > NAME_MAX_BYTES)
        parse_error(P, at, "name is too long (%u characters; the limit is %d)", len,
                    NAME_MAX_BYTES);
    if ((sh->nwords + 1) * 4 > sh->words_cap * 3) words_grow(sh);
    const char *s = sh->src->text + at.begin;
    uint32_t h = word_hash(s, len);
    Word *w = word_slot(sh, s, len, h);
    if (!w->s) {
        *w = (Word){arena_strndup(sh->arena, s, len), len, h, parse_keyword(s, len)};
        sh->nwords++;
    }
    return w;
}

const char *parse_name(Parser *P, Span at) { return parse_word(P, at)->s; }

/* ---- numbers ----------------------------------------------------------- */

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

Node *parse_int_literal(Parser *P, Span at) {
    const char *s = P->sh->src->text + at.begin;
    size_t len = at.end - at.begin, i = 0;
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && s[1] != '_' && (s[1] < '0' || s[1] > '9')) {
        char b = (char)(s[1] | 0x20);
        base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
        i = 2;
    }
    uint64_t v = 0;
    bool over = false;
    const uint64_t limit = (uint64_t)1 << 63;
    for (; i < len; i++) {
        if (s[i] == '_') continue;
        uint64_t d = (uint64_t)digit_value(s[i]);
        if (v > (limit - d) / base) {
            over = true;
            break;
        }
        v = v * base + d;
    }
    Node *n = parse_node(P, ND_INT, at);
    if (over) {
        parse_error(P, at,
                    "integer literal is too large (the maximum is "
                    "9223372036854775807)");
        n->ival = 0;
    } else if (v == limit) {
        n->ival = INT64_MIN; /* valid only after a unary minus */
    } else {
        n->ival = (int64_t)v;
    }
    return n;
}

bool parse_is_big_literal(Parser *P, const Node *n) {
    return n->kind == ND_INT && n->ival == INT64_MIN && P->sh->src->text[n->span.begin] != '-';
}

Node *parse_check_literal(Parser *P, Node *n) {
    if (parse_is_big_literal(P, n)) {
        parse_error(P, n->span,
                    "integer literal is too large (the maximum is "
                    "9223372036854775807)");
        n->ival = 0;
    }
    return n;
}

Node *parse_float_literal(Parser *P, Span at) {
    ParseShared *sh = P->sh;
    const char *s = sh->src->text + at.begin;
    size_t len = at.end - at.begin, k = 0;
    scratch_reserve(sh, len + 1);
    for (size_t i = 0; i < len; i++)
        if (s[i] != '_') sh->buf[k++] = s[i];
    sh->buf[k] = '\0';
    Node *n = parse_node(P, ND_FLOAT, at);
    n->fval = strtod(sh->buf, NULL);
    if (isinf(n->fval)) {
        parse_error(P, at, "float literal is too large (the maximum is about 1.8e308)");
        n->fval = 0;
    }
    return n;
}

/* A run of digits and letters that is not a valid number. */
Node *parse_bad_number(Parser *P, Span at) {
    const char *s = P->sh->src->text + at.begin;
    size_t len = at.end - at.begin;
    char lower1 = len > 1 ? (char)(s[1] | 0x20) : 0;
    bool prefixed = len > 1 && s[0] == '0' && (lower1 == 'x' || lower1 == 'o' || lower1 == 'b');
    bool has_dot = memchr(s, '.', len) != NULL;
    bool all_digits = true;
    for (size_t i = 0; i < len; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '_') all_digits = false;

    if (prefixed && !has_dot) {
        const char *kind = lower1 == 'x' ? "hexadecimal" : lower1 == 'o' ? "octal" : "binary";
        unsigned base = lower1 == 'x' ? 16 : lower1 == 'o' ? 8 : 2;
        size_t i = 2, digits = 0;
        for (; i < len; i++) {
            if (s[i] == '_') continue;
            if ((unsigned)digit_value(s[i]) >= base) break;
            digits++;
        }
        if (i < len) parse_error(P, at, "invalid digit '%c' in %s literal", s[i], kind);
        else if (digits == 0) parse_error(P, at, "%s literal has no digits", kind);
        else parse_error(P, at, "'_' in a number must stand between digits");
    } else if (all_digits && len > 1 && s[0] == '0' && s[len - 1] != '_' && !strstr(s, "__")) {
        parse_error(P, at,
                    "leading zeros are not allowed in a decimal integer "
                    "(for octal, write 0o...)");
    } else if (all_digits || (!has_dot && len > 0 && s[len - 1] == '_')) {
        parse_error(P, at, "'_' in a number must stand between digits");
    } else {
        size_t i = 0;
        while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.')) i++;
        if (i < len && (s[i] == 'e' || s[i] == 'E') && i + 1 == len)
            parse_error(P, at, "exponent of a float literal has no digits");
        else parse_error(P, at, "invalid number literal '%.*s'", len > 40 ? 40 : (int)len, s);
    }
    Node *n = parse_node(P, ND_INT, at);
    return n;
}

/* ---- strings ----------------------------------------------------------- */

static Node *parse_fragment(Parser *P, uint32_t begin, uint32_t end);

static void add_part(NodeList *l, Node *n) {
    if (!n) return;
    if (l->tail) l->tail->next = n;
    else l->head = n;
    l->tail = n;
}

static Node *make_part(Parser *P, const char *bytes, size_t len, Span at) {
    Node *n = parse_node(P, ND_STRPART, at);
    n->str = arena_strndup(P->sh->arena, bytes, len);
    n->len = len;
    return n;
}

static bool is_hex(char c) { return digit_value(c) < 16; }

static size_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the escape at T[I] (a backslash) into OUT (room for 4 bytes);
 * returns its length in the source and sets *N to the bytes written. */
static size_t decode_escape(Parser *P, const char *t, uint32_t i, uint32_t e, char *out,
                            size_t *n) {
    char c = t[i + 1];
    *n = 1;
    switch (c) {
    case 'n': out[0] = '\n'; return 2;
    case 't': out[0] = '\t'; return 2;
    case 'r': out[0] = '\r'; return 2;
    case '\\': out[0] = '\\'; return 2;
    case '\'': out[0] = '\''; return 2;
    case '"': out[0] = '"'; return 2;
    case '0': out[0] = '\0'; return 2;
    case 'a': out[0] = '\a'; return 2;
    case 'b': out[0] = '\b'; return 2;
    case 'f': out[0] = '\f'; return 2;
    case 'v': out[0] = '\v'; return 2;
    case 'x':
        if (i + 3 < e && is_hex(t[i + 2]) && is_hex(t[i + 3])) {
            out[0] = (char)(digit_value(t[i + 2]) * 16 + digit_value(t[i + 3]));
            return 4;
        }
        parse_error(P, (Span){i, i + 2}, "'\\x' must be followed by two hex digits");
        *n = 0;
        return 2;
    case 'u': {
        uint32_t k = i + 2, cp = 0;
        int digits = 0;
        if (k < e && t[k] == '{') {
            for (k++; k < e && is_hex(t[k]) && digits < 7; k++, digits++)
                cp = cp * 16 + (uint32_t)digit_value(t[k]);
            if (k < e && t[k] == '}' && digits >= 1 && digits <= 6) {
                k++;
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    parse_error(P, (Span){i, k}, "'\\u{%X}' is not a Unicode scalar value", cp);
                    *n = 0;
                } else {
                    *n = put_utf8(out, cp);
                }
                return k - i;
            }
        }
        /* skip a braced group too, so that it is not taken for `{expr}` */
        k = i + 2;
        if (k < e && t[k] == '{') {
            uint32_t close = k + 1;
            while (close < e && close < k + 10 && t[close] != '}') close++;
            k = close < e && t[close] == '}' ? close + 1 : i + 2;
        }
        parse_error(P, (Span){i, k},
                    "'\\u' must be followed by 1 to 6 hex digits in "
                    "braces, as in '\\u{e9}'");
        *n = 0;
        return k - i;
    }
    default:
        *n = 0;
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) {
            parse_error(P, (Span){i, i + 2}, "unknown escape sequence '\\%c'", c);
            return 2;
        }
        parse_error(P, (Span){i, i + 1}, "unknown escape sequence after '\\'");
        return 1;
    }
}

/* Index of the '}' that closes the '{' at T[I], or 0 when there is none.
 * Strings in the other quote are skipped; *BACKSLASH is set to the first
 * backslash outside them (or 0). */
static uint32_t find_close(const char *t, uint32_t i, uint32_t e, char quote, uint32_t *backslash) {
    char other = quote == '"' ? '\'' : '"';
    int depth = 1;
    *backslash = 0;
    for (uint32_t k = i + 1; k < e; k++) {
        char c = t[k];
        if (c == other) {
            for (k++; k < e && t[k] != other; k++)
                if (t[k] == '\\') k++;
        } else if (c == '\\') {
            if (!*backslash) *backslash = k;
            k++;
        } else if (c == '{') {
            depth++;
        } else if (c == '}' && --depth == 0) {
            return k;
        }
    }
    return 0;
}

static bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
}

/* The expression in [B, E). A plain name, the most common case, is made
 * here; anything else gets a parser of its own. */
static Node *parse_interpolation(Parser *P, uint32_t b, uint32_t e) {
    const char *t = P->sh->src->text;
    uint32_t nb = b, ne = e;
    while (nb < ne && t[nb] == ' ') nb++;
    while (ne > nb && t[ne - 1] == ' ') ne--;
    bool word = nb < ne && !(t[nb] >= '0' && t[nb] <= '9') && ne - nb <= 32;
    for (uint32_t k = nb; word && k < ne; k++) word = is_word_char(t[k]);
    if (word) {
        int kw = parse_keyword(t + nb, ne - nb);
        word = !kw || (parse_keyword_flags(kw) & KW_SOFT); /* `{value}` is a name */
    }
    if (!word) return parse_fragment(P, b, e);
    Node *n = parse_node(P, ND_NAME, (Span){nb, ne});
    n->name = parse_name(P, n->span);
    return n;
}

/* Where the expression of the field [B, E) ends, as Python's f-strings
 * decide: at a ':' (format spec) or a '!' (conversion, not '!=') outside
 * brackets and strings; E when there is neither. */
static uint32_t field_end(const char *t, uint32_t b, uint32_t e, char quote) {
    char other = quote == '"' ? '\'' : '"';
    int depth = 0;
    for (uint32_t k = b; k < e; k++) {
        char c = t[k];
        if (c == other) {
            for (k++; k < e && t[k] != other; k++)
                ;
        } else if (c == '(' || c == '[' || c == '{') {
            depth++;
        } else if (c == ')' || c == ']' || c == '}') {
            depth--;
        } else if (depth == 0 && (c == ':' || (c == '!' && (k + 1 >= e || t[k + 1] != '=')))) {
            return k;
        }
    }
    return e;
}

/* A call of built-in ID on ARGS that the user did not write: it means the
 * built-in whatever the names in scope (Node.builtin set here). */
static Node *implicit_call(Parser *P, Builtin id, const char *name, Node *args, Span at) {
    Node *call = parse_node(P, ND_CALL, at);
    call->callee = parse_node(P, ND_NAME, at);
    call->callee->name = name;
    call->args = args;
    call->builtin = (uint8_t)id;
    return call;
}

static void add_field(Parser *P, NodeList *parts, uint32_t b, uint32_t e, char quote);

/* The format spec [B, E) of a field, as a string: literal text, and
 * nested fields ("{x:{width}}"). */
static Node *parse_spec(Parser *P, uint32_t b, uint32_t e, char quote) {
    const char *t = P->sh->src->text;
    Node *spec = parse_node(P, ND_STR, (Span){b, e});
    NodeList parts = {NULL, NULL};
    uint32_t seg = b;
    for (uint32_t i = b; i < e; i++) {
        if (t[i] != '{') continue;
        uint32_t backslash, close = find_close(t, i, e, quote, &backslash);
        if (!close) {
            parse_error(P, (Span){i, i + 1}, "'{' in a format spec has no matching '}'");
            break;
        }
        if (i > seg) add_part(&parts, make_part(P, t + seg, i - seg, (Span){seg, i}));
        add_field(P, &parts, i + 1, close, quote);
        i = close;
        seg = close + 1;
    }
    if (seg < e || !parts.head) add_part(&parts, make_part(P, t + seg, e - seg, (Span){seg, e}));
    spec->parts = parts.head;
    return spec;
}

/* The '=' that ends a self-documenting field "{expr=}" before X, or 0:
 * the last character but spaces, not part of == != <= >=. */
static uint32_t self_doc(const char *t, uint32_t b, uint32_t x) {
    uint32_t q = x;
    while (q > b && t[q - 1] == ' ') q--;
    if (q <= b + 1 || t[q - 1] != '=') return 0;
    char c = t[q - 2];
    return c == '=' || c == '!' || c == '<' || c == '>' ? 0 : q - 1;
}

/* One field "{expr}", "{expr!r}", "{expr:spec}", "{expr!r:spec}" or the
 * self-documenting "{expr=}" of an interpolated string, inside the braces
 * [B, E), added to PARTS. A conversion becomes a call of repr() or str(),
 * a spec one of format(x, spec); "{expr=}" is the text "expr=" and then
 * the repr of expr (with a spec, its format), as Python's. */
static void add_field(Parser *P, NodeList *parts, uint32_t b, uint32_t e, char quote) {
    const char *t = P->sh->src->text;
    uint32_t x = field_end(t, b, e, quote), eq = self_doc(t, b, x);
    uint32_t k = b;
    while (k < x && (t[k] == ' ' || t[k] == '\t')) k++;
    if (k == x || k == eq) {
        parse_error(P, (Span){b - 1, e + 1}, "'{...}' in a string needs an expression before '%c'",
                    t[k]);
        return;
    }
    if (x == e && !eq) {
        add_part(parts, parse_interpolation(P, b, e));
        return;
    }
    if (eq) add_part(parts, make_part(P, t + b, x - b, (Span){b, x}));
    Node *expr = parse_interpolation(P, b, eq ? eq : x);
    if (!expr) return; /* the expression's error is reported */
    Span at = {b, e};
    bool conv = false;
    k = x;
    if (k < e && t[k] == '!') {
        char c = k + 1 < e ? t[k + 1] : 0;
        if ((c != 'r' && c != 's') || (k + 2 < e && t[k + 2] != ':')) {
            uint32_t z = k + 2 < e && t[k + 2] != ':' ? k + 3 : k + 2;
            parse_error(P, (Span){k, z > e ? e : z},
                        "a conversion in '{...}' is '!r' (repr) or '!s' (str)");
            add_part(parts, expr);
            return;
        }
        expr = implicit_call(P, c == 'r' ? B_REPR : B_STR, c == 'r' ? "repr" : "str", expr, at);
        conv = true;
        k += 2;
    }
    if (k < e && t[k] == ':') {
        expr->next = parse_spec(P, k + 1, e, quote);
        expr = implicit_call(P, B_FORMAT, "format", expr, at);
    } else if (eq && !conv) {
        expr = implicit_call(P, B_REPR, "repr", expr, at);
    }
    add_part(parts, expr);
}

/* An unmatched '{' at T[I] in the string whose closing quote is at E. If
 * the line goes on with a '}' and the same quote, the user wrote a string
 * in the same quote inside `{...}`: say so, and skip to that quote. */
static void unmatched_brace(Parser *P, uint32_t i, uint32_t e, char quote) {
    const Source *src = P->sh->src;
    const char *t = src->text;
    uint32_t z = 0;
    bool brace = false;
    for (uint32_t k = e + 1; k < P->end && t[k] != '\n'; k++) {
        if (t[k] == '}') brace = true;
        else if (t[k] == quote && brace) z = k;
    }
    if (z) {
        parse_error(P, (Span){e, e + 1},
                    "a string inside '{...}' must use the other "
                    "kind of quote (%s)",
                    quote == '"' ? "'...'" : "\"...\"");
        P->skip_to = z + 1;
    } else {
        parse_error(P, (Span){i, i + 1},
                    "'{' in a string has no matching '}'; write "
                    "'{{' for a literal '{'");
    }
}

Node *parse_string_literal(Parser *P, Span at, bool terminated) {
    ParseShared *sh = P->sh;
    const char *t = sh->src->text;
    char quote = t[at.begin];
    uint32_t b = at.begin + 1, e = terminated ? at.end - 1 : at.end;
    Node *str = parse_node(P, ND_STR, at);
    NodeList parts = {NULL, NULL};

    if (!terminated) {
        parse_error(P, (Span){at.begin, at.begin + 1},
                    "unterminated string literal "
                    "(a string ends on the line where it starts)");
        str->parts = make_part(P, t + b, e - b, (Span){b, e});
        return str;
    }
    /* Fast path: nothing to decode. */
    uint32_t i = b;
    while (i < e && t[i] != '\\' && t[i] != '{' && t[i] != '}') i++;
    if (i == e) {
        str->parts = make_part(P, t + b, e - b, (Span){b, e});
        return str;
    }

    scratch_reserve(sh, (size_t)(e - b) + 8);
    size_t n = 0;     /* bytes of the current literal part */
    uint32_t seg = b; /* where it began */
    i = b;
    while (i < e) {
        char c = t[i];
        if (c == '\\') {
            size_t w;
            i += (uint32_t)decode_escape(P, t, i, e, sh->buf + n, &w);
            n += w;
        } else if (c == '{' && i + 1 < e && t[i + 1] == '{') {
            sh->buf[n++] = '{';
            i += 2;
        } else if (c == '}' && i + 1 < e && t[i + 1] == '}') {
            sh->buf[n++] = '}';
            i += 2;
        } else if (c == '}') {
            parse_error(P, (Span){i, i + 1},
                        "single '}' in a string; write '}}' for a "
                        "literal '}'");
            i++;
        } else if (c == '{') {
            uint32_t backslash, close = find_close(t, i, e, quote, &backslash);
            if (!close) {
                unmatched_brace(P, i, e, quote);
                break;
            }
            if (n) add_part(&parts, make_part(P, sh->buf, n, (Span){seg, i}));
            n = 0;
            uint32_t k = i + 1;
            while (k < close && (t[k] == ' ' || t[k] == '\t')) k++;
            if (k == close) {
                parse_error(P, (Span){i, close + 1},
                            "empty '{}' in a string; write "
                            "'{{}}' for literal braces");
            } else if (backslash) {
                if (backslash + 1 < close && t[backslash + 1] == quote)
                    parse_error(P, (Span){backslash, backslash + 2},
                                "a string inside "
                                "'{...}' must use the other kind of quote (%s)",
                                quote == '"' ? "'...'" : "\"...\"");
                else
                    parse_error(P, (Span){backslash, backslash + 1},
                                "'\\' is not "
                                "allowed inside '{...}' in a string");
            } else {
                add_field(P, &parts, i + 1, close, quote);
            }
            i = close + 1;
            seg = i;
        } else {
            sh->buf[n++] = c;
            i++;
        }
    }
    if (n) add_part(&parts, make_part(P, sh->buf, n, (Span){seg, e}));
    if (!parts.head) parts.head = make_part(P, "", 0, (Span){b, e});
    str->parts = parts.head;
    return str;
}

/* ---- types ------------------------------------------------------------- */

Type *parse_type_name(Parser *P, const char *name, Span at) {
    if (strcmp(name, "int") == 0) return type_basic(TY_INT);
    if (strcmp(name, "float") == 0) return type_basic(TY_FLOAT);
    if (strcmp(name, "bool") == 0) return type_basic(TY_BOOL);
    if (strcmp(name, "str") == 0) return type_basic(TY_STR);
    if (strcmp(name, "file") == 0) return type_basic(TY_FILE);
    static const struct {
        const char *name;
        TypeKind kind;
    } sync_types[] = {{"Lock", TY_LOCK},           {"RLock", TY_RLOCK},
                      {"Semaphore", TY_SEMAPHORE}, {"BoundedSemaphore", TY_BSEMAPHORE},
                      {"Event", TY_EVENT},         {"Condition", TY_CONDITION},
                      {"Barrier", TY_BARRIER}};
    for (size_t i = 0; i < sizeof sync_types / sizeof sync_types[0]; i++)
        if (strcmp(name, sync_types[i].name) == 0) return type_basic(sync_types[i].kind);
    if (strcmp(name, "list") == 0 || strcmp(name, "conn") == 0 || strcmp(name, "queue") == 0 ||
        strcmp(name, "value") == 0 || strcmp(name, "array") == 0 || strcmp(name, "rawarray") == 0 ||
        strcmp(name, "tuple") == 0 || strcmp(name, "set") == 0)
        parse_error(P, at, "'%s' needs an element type, as in '%s[int]'", name, name);
    else if (strcmp(name, "dict") == 0)
        parse_error(P, at, "'dict' needs a key and a value type, as in 'dict[str, int]'");
    else parse_error(P, at, "unknown type '%s'", name);
    return type_basic(TY_ERROR);
}

Type *parse_type_generic(Parser *P, const char *name, Span at, Type *elem) {
    if (strcmp(name, "list") == 0) /* a list of pipe ends or queues: a handle */
        return type_of(
            elem && (elem->kind == TY_CONN || elem->kind == TY_QUEUE) ? TY_HANDLES : TY_LIST, elem);
    if (strcmp(name, "conn") == 0) return type_of(TY_CONN, elem);
    if (strcmp(name, "queue") == 0) return type_of(TY_QUEUE, elem);
    if (strcmp(name, "value") == 0) return type_of(TY_VALUE, elem);
    if (strcmp(name, "array") == 0) return type_of(TY_ARRAY, elem);
    if (strcmp(name, "rawarray") == 0) return type_raw_array(elem);
    if (strcmp(name, "tuple") == 0) return type_tuple(&elem, 1);
    if (strcmp(name, "set") == 0) return type_of(TY_SET, elem);
    if (strcmp(name, "dict") == 0) {
        parse_error(P, at, "'dict' needs a key and a value type, as in 'dict[str, int]'");
        return type_basic(TY_ERROR);
    }
    if (strcmp(name, "int") == 0 || strcmp(name, "float") == 0 || strcmp(name, "bool") == 0 ||
        strcmp(name, "str") == 0)
        parse_error(P, at, "type '%s' takes no '[...]'", name);
    else parse_error(P, at, "unknown type '%s'", name);
    return type_basic(TY_ERROR);
}

Type *parse_type_optional(Parser *P, Type *t, Span at) {
    if (t->kind == TY_OPTIONAL) {
        parse_error(P, at, "'None' is already part of this type");
        return t;
    }
    if (t->kind == TY_ERROR) return t;
    return type_of(TY_OPTIONAL, t);
}

/* `queue[T] joinable`: only a queue type can be. */
Type *parse_type_joinable(Parser *P, Type *t, Span at) {
    if (t->kind == TY_ERROR) return t;
    if (t->kind != TY_QUEUE) {
        parse_error(P, at, "only a queue can be joinable, as in 'queue[int] joinable'");
        return type_basic(TY_ERROR);
    }
    return type_joinable_queue(t->elem);
}

static Type *expr_type(Parser *P, Node *e) {
    if (e->kind == ND_NAME && !e->parens) return parse_type_name(P, e->name, e->span);
    /* `(int, str)`, the item type of a queue */
    if (e->kind == ND_TUPLE) {
        Type *t = type_tuple(NULL, 0);
        for (Node *x = e->elems; x; x = x->next) t = parse_type_tuple(t, expr_type(P, x));
        return t;
    }
    /* `(T | None)`, the parenthesized item type of a bounded queue */
    if (e->kind == ND_BINARY && e->op == OP_BITOR && e->rhs->kind == ND_NONE)
        return parse_type_optional(P, expr_type(P, e->lhs), e->span);
    if (e->kind == ND_INDEX && !e->parens && e->lhs->kind == ND_NAME && !e->lhs->parens &&
        strcmp(e->lhs->name, "dict") == 0 && e->rhs->kind == ND_TUPLE && !e->rhs->parens)
        return parse_type_dict(P, expr_type(P, e->rhs), e->lhs->span);
    if (e->kind == ND_INDEX && !e->parens && e->lhs->kind == ND_NAME && !e->lhs->parens)
        return parse_type_generic(P, e->lhs->name, e->lhs->span, expr_type(P, e->rhs));
    parse_error(P, e->span, "expected a type");
    return type_basic(TY_ERROR);
}

static bool generic_name(const Node *e) {
    return e->kind == ND_NAME && !e->parens &&
           (strcmp(e->name, "list") == 0 || strcmp(e->name, "conn") == 0 ||
            strcmp(e->name, "queue") == 0 || strcmp(e->name, "value") == 0 ||
            strcmp(e->name, "array") == 0 || strcmp(e->name, "tuple") == 0 ||
            strcmp(e->name, "dict") == 0 || strcmp(e->name, "set") == 0);
}

/* `T` or `T[bound]` written as an expression: the outermost [...] is a
 * bound unless it is the element type of list or conn. */
Type *parse_type_expr(Parser *P, Node *e, Node **bound, Span *type_at) {
    *bound = NULL;
    if (e->kind == ND_INDEX && !e->parens && !generic_name(e->lhs)) {
        *bound = e->rhs;
        e = e->lhs;
    }
    *type_at = e->span;
    return expr_type(P, e);
}

Type *parse_type_dict(Parser *P, Type *kv, Span at) {
    if (kv->kind == TY_TUPLE && kv->n == 2) return type_dict(kv->items[0], kv->items[1]);
    parse_error(P, at, "'dict' takes a key and a value type, as in 'dict[str, int]'");
    return type_basic(TY_ERROR);
}

Type *parse_type_tuple(Type *t, Type *a) {
    Type *items[256];
    int n = 0;
    if (t)
        for (; n < t->n && n < 255; n++) items[n] = t->items[n];
    items[n++] = a;
    return type_tuple(items, n);
}

/* A name no source can spell (a name never starts with a digit), made
 * once per unpacking: "0u1", "0u2", ... */
static const char *hidden_name(Parser *P) {
    char buf[32];
    snprintf(buf, sizeof buf, "0u%d", ++P->sh->nhidden);
    return arena_strndup(P->sh->arena, buf, strlen(buf));
}

static Node *hidden_ref(Parser *P, const char *name, Span at) {
    Node *n = parse_node(P, ND_NAME, at);
    n->name = name;
    return n;
}

/* hidden[k], unpacking into COUNT names, located at the target AT. */
static Node *hidden_item(Parser *P, const char *name, int k, int count, Span at) {
    Node *ix = parse_node(P, ND_INDEX, at);
    ix->lhs = hidden_ref(P, name, at);
    ix->rhs = parse_node(P, ND_INT, at);
    ix->rhs->ival = k;
    ix->unpack = true;
    ix->argc = count;
    return ix;
}

static int count_list(const Node *n) {
    int c = 0;
    for (; n; n = n->next) c++;
    return c;
}

/* The statements `let a = h[0]` (LET) or `a = h[0]` for each target. */
static Node *unpack_items(Parser *P, const char *h, Node *targets, bool let) {
    Node *head = NULL, **tail = &head;
    int count = count_list(targets), k = 0;
    for (Node *t = targets; t; t = t->next, k++) {
        Node *st;
        if (let && t->kind != ND_NAME) {
            /* name_list also takes `w[i]` (for start and join); a
             * declaration takes names only */
            parse_error(P, t->span,
                        "expected a name, not an item: 'let' and 'for' unpack into new names");
            continue;
        }
        if (let) {
            st = parse_node(P, ND_LET, t->span);
            st->name = t->name;
            st->name_span = t->span;
            st->rhs = hidden_item(P, h, k, count, t->span);
        } else {
            parse_check_target(P, t);
            st = parse_node(P, ND_ASSIGN, t->span);
            st->op = OP_NONE;
            st->lhs = t;
            st->rhs = hidden_item(P, h, k, count, t->span);
        }
        *tail = st;
        tail = &st->next;
    }
    return head;
}

Node *parse_unpack(Parser *P, Node *targets, Node *rhs, bool let, Span at) {
    const char *h = hidden_name(P);
    Node *hl = parse_node(P, ND_LET, at);
    hl->name = h;
    hl->name_span = rhs->span;
    hl->rhs = rhs;
    hl->unpack = true;
    /* the targets are chained by `next` already (a list, or a tuple's elems) */
    hl->next = unpack_items(P, h, targets, let);
    return hl;
}

Node *parse_for_unpack(Parser *P, Node *names, Node *it, Node *body, Span at) {
    const char *h = hidden_name(P);
    Node *f = parse_node(P, ND_FOR, at);
    f->name = h;
    f->name_span = it->span;
    f->rhs = it;
    f->body = body;
    f->unpack = true;
    Node *lets = unpack_items(P, h, names, true), *last = lets;
    while (last->next) last = last->next;
    last->next = body->body;
    body->body = lets;
    return f;
}

Node *parse_comp_unpack(Parser *P, Node *f, Node *names) {
    f->name = hidden_name(P);
    f->name_span = f->rhs->span;
    f->unpack = true;
    return unpack_items(P, f->name, names, true);
}

void parse_check_target(Parser *P, Node *t) {
    switch (t->kind) {
    case ND_NAME:
    case ND_INDEX:
    case ND_MEMBER: return;
    case ND_CALL: parse_error(P, t->span, "cannot assign to a function call"); return;
    case ND_INT:
    case ND_FLOAT:
    case ND_BOOL:
    case ND_STR: parse_error(P, t->span, "cannot assign to a literal"); return;
    case ND_LIST: parse_error(P, t->span, "cannot assign to a list literal"); return;
    case ND_SLICE:
        parse_error(P, t->span,
                    "cannot assign to a slice; build a new list instead: "
                    "xs = xs[:a] + ys + xs[b:]");
        return;
    case ND_TUPLE: parse_error(P, t->span, "cannot assign to a tuple inside a target"); return;
    case ND_NONE: parse_error(P, t->span, "cannot assign to None"); return;
    case ND_UNARY:
    case ND_BINARY:
        if (t->op >= OP_EQ && t->op <= OP_GE)
            parse_error(P, t->span, "cannot assign to a comparison");
        else parse_error(P, t->span, "cannot assign to the result of '%s'", op_spelling(t->op));
        return;
    default: parse_error(P, t->span, "cannot assign to this expression"); return;
    }
}

/* ---- parsing ----------------------------------------------------------- */

static void parser_init(Parser *P, ParseShared *sh, int level, uint32_t begin, uint32_t end,
                        int start_tok) {
    memset(P, 0, offsetof(Parser, stack));
    memset(&P->ops, 0, sizeof *P - offsetof(Parser, ops));
    P->sh = sh;
    P->level = level;
    P->start_tok = start_tok;
    P->pos = P->off = begin;
    P->end = end;
}

/* Parses the expression in [BEGIN, END) of the source (one `{...}` of a
 * string) with a scanner of its own. */
static Node *parse_fragment(Parser *P, uint32_t begin, uint32_t end) {
    ParseShared *sh = P->sh;
    int level = P->level + 1;
    if (sh->fatal || sh->stopped) return NULL;
    if (level > PARSE_MAX_LEVEL) {
        parse_error(P, (Span){begin, end}, "string interpolations nested too deeply (limit %d)",
                    PARSE_MAX_LEVEL);
        return NULL;
    }
    Parser Q;
    parser_init(&Q, sh, level, begin, end, TK_START_EXPR);
    Q.base_depth = P->base_depth + P->depth + 1;
    Q.ops = P->ops + 1;
    if (Q.base_depth > PARSE_MAX_DEPTH) {
        parse_fatal(P, (Span){begin - 1, begin},
                    "nesting too deep (limit %d): this "
                    "interpolation would be level %d of open brackets and blocks",
                    PARSE_MAX_DEPTH, Q.base_depth);
        return NULL;
    }
    if (!sh->sub[level]) sh->sub[level] = lex_new(&Q);
    Q.scanner = sh->sub[level];
    lex_reset(Q.scanner, &Q);
    int rc = mpyparse(&Q, Q.scanner);
    return rc == 0 ? Q.expr : NULL;
}

/* What one parse keeps besides the tree: the scanners, the scratch
 * buffer, the name table. */
static void shared_free(ParseShared *sh) {
    for (int i = 0; i <= PARSE_MAX_LEVEL; i++) lex_free(sh->sub[i]);
    free(sh->buf);
    free(sh->words);
}

bool parse_program(const Source *src, Arena *a, Diag *d, Program *out) {
    ParseShared sh;
    memset(&sh, 0, sizeof sh);
    sh.src = src;
    sh.arena = a;
    sh.diag = d;
    out->defs = out->top = NULL;
    if (src->len >= SRC_MAX_BYTES || src->len > UINT32_MAX - 2) {
        diag_file_error(d, "%s: file too large", src->name);
        return false;
    }
    Parser P;
    parser_init(&P, &sh, 0, 0, (uint32_t)src->len, TK_START_PROGRAM);
    P.scanner = lex_new(&P);
    int rc = mpyparse(&P, P.scanner);
    lex_free(P.scanner);
    shared_free(&sh);
    out->defs = sh.defs;
    out->top = sh.top;
    return rc == 0 && sh.errors == 0 && !sh.fatal && !sh.stopped;
}

int parse_scan(const Source *src, Arena *a, Diag *d, int *kinds, MPYSTYPE *vals, Span *spans,
               int max) {
    ParseShared sh;
    memset(&sh, 0, sizeof sh);
    sh.src = src;
    sh.arena = a;
    sh.diag = d;
    Parser P;
    parser_init(&P, &sh, 0, 0, (uint32_t)src->len, 0);
    P.scanner = lex_new(&P);
    int n = 0;
    while (n < max) {
        MPYSTYPE v;
        Span at;
        memset(&v, 0, sizeof v);
        int t = mpylex(&v, &at, P.scanner);
        kinds[n] = t;
        if (vals) vals[n] = v;
        if (spans) spans[n] = at;
        n++;
        if (t == TK_END) break;
    }
    lex_free(P.scanner);
    shared_free(&sh);
    return n;
}
