/* Unit tests of the scanner (grammar/lexer.l through parse_scan): tokens,
 * newlines, literals and their errors, strings, escapes and interpolation,
 * stray bytes, spans. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ast.h"
#include "parse.h"
#include "keywords.h"
#include "parser.h"

#include "front_test.h"

enum { MAX_TOKS = 256 };

typedef struct Scan {
    Front f; /* first: a Scan is used as its Front */
    int n;
    int kinds[MAX_TOKS];
    MPYSTYPE vals[MAX_TOKS];
    Span spans[MAX_TOKS];
} Scan;

static Scan *scan_len(const char *text, size_t len) {
    Scan *s = malloc(sizeof *s);
    assert_non_null(s);
    front_open(&s->f, text, len);
    s->n = parse_scan(&s->f.src, &s->f.arena, &s->f.diag, s->kinds, s->vals, s->spans, MAX_TOKS);
    front_end_diag(&s->f);
    return s;
}

static Scan *scan(const char *text) { return scan_len(text, strlen(text)); }

static void done(Scan *s) {
    front_close(&s->f);
    free(s);
}

/* The token kinds of TEXT must be the TK_END-terminated list that follows. */
static void want_tokens(const char *text, ...) {
    Scan *s = scan(text);
    va_list ap;
    va_start(ap, text);
    for (int i = 0;; i++) {
        int want = va_arg(ap, int);
        if (i >= s->n || s->kinds[i] != want) {
            fprintf(stderr, "source: %s\ntoken %d: got %d, want %d\n", text, i,
                    i < s->n ? s->kinds[i] : -1, want);
            fail();
        }
        if (want == TK_END) break;
    }
    va_end(ap);
    if (s->f.diag.errors) {
        fprintf(stderr, "source: %s\n%s", text, s->f.out);
        fail_msg("unexpected diagnostics");
    }
    done(s);
}

/* Parses TEXT (stray bytes are reported by the parser, which gets them as
 * INVALID tokens); the diagnostics are in s->f.out. */
static Scan *parse_text(const char *text) {
    Scan *s = malloc(sizeof *s);
    assert_non_null(s);
    front_open(&s->f, text, strlen(text));
    front_parse(&s->f);
    front_end_diag(&s->f);
    return s;
}

/* TEXT must give exactly one error containing MSG at LINE:COL. */
static void want_error_at(const char *text, const char *msg, int line, int col) {
    Scan *s = parse_text(text);
    char where[64];
    snprintf(where, sizeof where, "t.mp:%d:%d: error: ", line, col);
    if (s->f.diag.errors != 1 || !strstr(s->f.out, msg) ||
        strncmp(s->f.out, where, strlen(where))) {
        fprintf(stderr, "source: %s\nwant %s%s\ngot:\n%s", text, where, msg, s->f.out);
        fail();
    }
    done(s);
}

/* ---- tokens --------------------------------------------------------------- */

static void test_keywords(void **state) {
    (void)state;
    want_tokens("def let if elif else while for in break continue return pass", TK_DEF, TK_LET,
                TK_IF, TK_ELIF, TK_ELSE, TK_WHILE, TK_FOR, TK_IN, TK_BREAK, TK_CONTINUE, TK_RETURN,
                TK_PASS, TK_END);
    want_tokens("as and or not", TK_AS, TK_AND, TK_OR, TK_NOT, TK_END);
    want_tokens("True False", TK_TRUE, TK_FALSE, TK_END);
    /* the spellings before True and False */
    want_tokens("true false", TK_TRUE, TK_FALSE, TK_END);
    want_tokens("TRUE none None", TK_IDENT, TK_IDENT, TK_NONE, TK_END);
    /* words that contain keywords, and the type names, are names */
    want_tokens("define iffy _if if_ x1 int list conn str", TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT,
                TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_END);
}

/* "WORD x", for a soft keyword (static: one at a time). */
static const char *gstr_word(const char *word) {
    static char buf[64];
    snprintf(buf, sizeof buf, "%s x", word);
    return buf;
}

/* compiler/keywords.h and the grammar's %token list agree: each keyword
 * scans as its own token, and the grammar's keyword range (DEF..FALSE,
 * what its messages call a keyword) holds exactly the listed tokens. */
static void test_keyword_table(void **state) {
    (void)state;
    static const struct {
        int tok;
        const char *word;
    } table[] = {
#define KEYWORD(tok, word, flags) {TK_##tok, word},
        MPC_KEYWORDS(KEYWORD)
#undef KEYWORD
    };
    int n = (int)(sizeof table / sizeof table[0]);
    assert_int_equal(n, parse_keyword_count());
    assert_int_equal(TK_FALSE - TK_DEF + 1, n);
    for (int i = 0; i < n; i++) {
        assert_in_range(table[i].tok, TK_DEF, TK_FALSE);
        for (int j = 0; j < i; j++) assert_int_not_equal(table[i].tok, table[j].tok);
        if (parse_keyword_flags(table[i].tok) & KW_SOFT) /* a keyword before a name */
            want_tokens(gstr_word(table[i].word), table[i].tok, TK_IDENT, TK_END);
        else want_tokens(table[i].word, table[i].tok, TK_END);
        assert_int_equal(parse_keyword(table[i].word, strlen(table[i].word)), table[i].tok);
    }
    assert_int_equal(parse_keyword("defx", 4), 0);
    assert_int_equal(parse_keyword("de", 2), 0);
}

/* Soft keywords: declarations where a statement begins and a name
 * follows; names everywhere else, as in Python. */
static void test_soft_keywords(void **state) {
    (void)state;
    want_tokens("start p, w", TK_START, TK_IDENT, TK_COMMA, TK_IDENT, TK_END);
    want_tokens("x\njoin p; lock v {\nvalue v", TK_IDENT, TK_NEWLINE, TK_JOIN, TK_IDENT, TK_SEMI,
                TK_LOCK, TK_IDENT, TK_LC, TK_VALUE, TK_IDENT, TK_END);
    want_tokens("const N = 1", TK_CONST, TK_IDENT, TK_ASSIGN, TK_INT, TK_END);
    /* a name follows, even a soft keyword: `lock value {` */
    want_tokens("lock value {", TK_LOCK, TK_IDENT, TK_LC, TK_END);
    /* at the start, but no name follows */
    want_tokens("start = 0\njoin(x)\nvalue in xs\nqueue.x\narray[0] += 1", TK_IDENT, TK_ASSIGN,
                TK_INT, TK_NEWLINE, TK_IDENT, TK_LP, TK_IDENT, TK_RP, TK_NEWLINE, TK_IDENT, TK_IN,
                TK_IDENT, TK_NEWLINE, TK_IDENT, TK_DOT, TK_IDENT, TK_NEWLINE, TK_IDENT, TK_LB,
                TK_INT, TK_RB, TK_AUGASSIGN, TK_INT, TK_END);
    /* alone on its line: a declaration left unfinished, for the parser */
    want_tokens("start\n", TK_START, TK_NEWLINE, TK_END);
    /* not at the start */
    want_tokens("let start = join + process", TK_LET, TK_IDENT, TK_ASSIGN, TK_IDENT, TK_PLUS,
                TK_IDENT, TK_END);
    want_tokens("def lock(value: int, pipe: str)", TK_DEF, TK_IDENT, TK_LP, TK_IDENT, TK_COLON,
                TK_IDENT, TK_COMMA, TK_IDENT, TK_COLON, TK_IDENT, TK_RP, TK_END);
    want_tokens("for queue in x", TK_FOR, TK_IDENT, TK_IN, TK_IDENT, TK_END);
    want_tokens("f(start=1)", TK_IDENT, TK_LP, TK_IDENT, TK_ASSIGN, TK_INT, TK_RP, TK_END);
}

static void test_names(void **state) {
    (void)state;
    Scan *s = scan("abc _x9 A_B");
    assert_int_equal(s->n, 4);
    assert_string_equal(s->vals[0].name, "abc");
    assert_string_equal(s->vals[1].name, "_x9");
    assert_string_equal(s->vals[2].name, "A_B");
    done(s);
}

static void test_member_keywords(void **state) {
    (void)state;
    /* after '.', any word is a name */
    Scan *s = scan("p.join() v.value q . queue x.def");
    int want[] = {TK_IDENT, TK_DOT, TK_IDENT, TK_LP,    TK_RP,  TK_IDENT, TK_DOT, TK_IDENT,
                  TK_IDENT, TK_DOT, TK_IDENT, TK_IDENT, TK_DOT, TK_IDENT, TK_END};
    assert_int_equal(s->n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < s->n; i++) assert_int_equal(s->kinds[i], want[i]);
    assert_string_equal(s->vals[2].name, "join");
    assert_string_equal(s->vals[7].name, "value");
    assert_string_equal(s->vals[10].name, "queue");
    assert_string_equal(s->vals[13].name, "def");
    assert_int_equal(s->f.diag.errors, 0);
    done(s);
}

static void test_operators(void **state) {
    (void)state;
    want_tokens("-> ** // << >> == != <= >= < >", TK_ARROW, TK_POW, TK_FLOORDIV, TK_SHL, TK_SHR,
                TK_EQ, TK_NE, TK_LE, TK_GE, TK_LT, TK_GT, TK_END);
    want_tokens("+ - * / % & | ^ ~ . = , : ;", TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT,
                TK_AMP, TK_BAR, TK_CARET, TK_TILDE, TK_DOT, TK_ASSIGN, TK_COMMA, TK_COLON, TK_SEMI,
                TK_END);
    want_tokens("( ) [ ] { }", TK_LP, TK_RP, TK_LB, TK_RB, TK_LC, TK_RC, TK_END);
    /* longest match */
    want_tokens("a***b", TK_IDENT, TK_POW, TK_STAR, TK_IDENT, TK_END);
    want_tokens("a<<=b>>c", TK_IDENT, TK_AUGASSIGN, TK_IDENT, TK_SHR, TK_IDENT, TK_END);
    want_tokens("a-->b", TK_IDENT, TK_MINUS, TK_ARROW, TK_IDENT, TK_END);
}

static void test_augmented(void **state) {
    (void)state;
    Scan *s = scan("+= -= *= /= //= %= **= &= |= ^= <<= >>=");
    Op want[] = {OP_ADD, OP_SUB,    OP_MUL,   OP_DIV,    OP_FLOORDIV, OP_MOD,
                 OP_POW, OP_BITAND, OP_BITOR, OP_BITXOR, OP_SHL,      OP_SHR};
    assert_int_equal(s->n, 13);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(s->kinds[i], TK_AUGASSIGN);
        assert_int_equal(s->vals[i].op, want[i]);
    }
    done(s);
}

/* ---- newlines ------------------------------------------------------------ */

static void test_newlines(void **state) {
    (void)state;
    /* leading, repeated and trailing blank lines and comments collapse */
    want_tokens("\n\n# c\n  x\n\n   \n# c\ny # c\n\n", TK_IDENT, TK_NEWLINE, TK_IDENT, TK_NEWLINE,
                TK_END);
    /* no newline at the end of the file */
    want_tokens("x", TK_IDENT, TK_END);
    /* inside ( ) and [ ] newlines are dropped */
    want_tokens("f(a,\n  b\n)\n", TK_IDENT, TK_LP, TK_IDENT, TK_COMMA, TK_IDENT, TK_RP, TK_NEWLINE,
                TK_END);
    want_tokens("[1,\n\n 2]\n", TK_LB, TK_INT, TK_COMMA, TK_INT, TK_RB, TK_NEWLINE, TK_END);
    /* inside { } they count, but not right after '{' */
    want_tokens("{\n x\n y\n}\n", TK_LC, TK_IDENT, TK_NEWLINE, TK_IDENT, TK_NEWLINE, TK_RC,
                TK_NEWLINE, TK_END);
    /* not after ';' */
    want_tokens("x;\ny; z", TK_IDENT, TK_SEMI, TK_IDENT, TK_SEMI, TK_IDENT, TK_END);
    /* CRLF */
    want_tokens("x\r\ny\r\n", TK_IDENT, TK_NEWLINE, TK_IDENT, TK_NEWLINE, TK_END);
}

static void test_newline_span(void **state) {
    (void)state;
    Scan *s = scan("ab  # c\n\n\ncd");
    assert_int_equal(s->kinds[1], TK_NEWLINE);
    assert_int_equal(s->spans[1].begin, 7); /* the first '\n' */
    assert_int_equal(s->spans[1].end, 8);
    assert_int_equal(s->spans[2].begin, 10);
    done(s);
}

/* A statement keyword inside brackets shows a bracket was left open: the
 * scanner closes it and ends the line there. */
static void test_unclosed_bracket_recovery(void **state) {
    (void)state;
    Scan *s = scan("f(a,\nlet x = 1\n");
    int want[] = {TK_IDENT, TK_LP,     TK_IDENT, TK_COMMA,   TK_NEWLINE, TK_LET,
                  TK_IDENT, TK_ASSIGN, TK_INT,   TK_NEWLINE, TK_END};
    assert_int_equal(s->n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < s->n; i++) assert_int_equal(s->kinds[i], want[i]);
    assert_int_equal(s->spans[4].begin, 4); /* at the newline after "f(a," */
    done(s);
    /* type keywords inside brackets are fine */
    want_tokens("f(q: queue[int],\n v: value[int])", TK_IDENT, TK_LP, TK_IDENT, TK_COLON, TK_IDENT,
                TK_LB, TK_IDENT, TK_RB, TK_COMMA, TK_IDENT, TK_COLON, TK_IDENT, TK_LB, TK_IDENT,
                TK_RB, TK_RP, TK_END);
    /* a soft keyword before a name, after a newline in brackets, too */
    s = scan("f(a,\nstart p\n");
    assert_int_equal(s->kinds[4], TK_NEWLINE);
    assert_int_equal(s->kinds[5], TK_START);
    done(s);
}

/* ---- numbers ------------------------------------------------------------- */

static void want_int(const char *text, int64_t v) {
    Scan *s = scan(text);
    if (s->kinds[0] != TK_INT || s->n != 2 || s->f.diag.errors) {
        fprintf(stderr, "source: %s\n%s", text, s->f.out);
        fail();
    }
    assert_int_equal(s->vals[0].node->kind, ND_INT);
    if (s->vals[0].node->ival != v) {
        fprintf(stderr, "source: %s: got %lld\n", text, (long long)s->vals[0].node->ival);
        fail();
    }
    done(s);
}

static void test_int_literals(void **state) {
    (void)state;
    want_int("0", 0);
    want_int("00", 0);
    want_int("0_0", 0);
    want_int("7", 7);
    want_int("123", 123);
    want_int("1_000_000", 1000000);
    want_int("0x1F", 31);
    want_int("0X1f", 31);
    want_int("0x_ff", 255);
    want_int("0o17", 15);
    want_int("0O7_7", 63);
    want_int("0b101", 5);
    want_int("0B1_0", 2);
    want_int("9223372036854775807", INT64_MAX);
    want_int("0x7fffffffffffffff", INT64_MAX);
    /* only valid after a unary minus: the scanner marks it with INT64_MIN */
    want_int("9223372036854775808", INT64_MIN);
    want_int("0x8000000000000000", INT64_MIN);
}

static void test_int_errors(void **state) {
    (void)state;
    want_error_at("x = 9223372036854775809", "integer literal is too large", 1, 5);
    want_error_at("x = 99999999999999999999999", "integer literal is too large", 1, 5);
    want_error_at("x = 0x10000000000000000", "integer literal is too large", 1, 5);
    want_error_at("x = 0x", "hexadecimal literal has no digits", 1, 5);
    want_error_at("x = 0b102", "invalid digit '2' in binary literal", 1, 5);
    want_error_at("x = 0o8", "invalid digit '8' in octal literal", 1, 5);
    want_error_at("x = 0xfg", "invalid digit 'g' in hexadecimal literal", 1, 5);
    want_error_at("x = 1__0", "'_' in a number must stand between digits", 1, 5);
    want_error_at("x = 1_", "'_' in a number must stand between digits", 1, 5);
    want_error_at("x = 0123", "leading zeros are not allowed", 1, 5);
    want_error_at("x = 123abc", "invalid number literal '123abc'", 1, 5);
}

static void want_float(const char *text, double v) {
    Scan *s = scan(text);
    if (s->kinds[0] != TK_FLOAT || s->n != 2 || s->f.diag.errors) {
        fprintf(stderr, "source: %s\n%s", text, s->f.out);
        fail();
    }
    assert_true(s->vals[0].node->fval == v);
    done(s);
}

static void test_float_literals(void **state) {
    (void)state;
    want_float("1.5", 1.5);
    want_float(".5", 0.5);
    want_float("1.", 1.0);
    want_float("1e10", 1e10);
    want_float("2.5e-3", 2.5e-3);
    want_float("1E+2", 100.0);
    want_float("1_0.2_5", 10.25);
    want_float("0.1", 0.1);
    want_float("1e-400", 0.0); /* underflow is zero, as in Python */
    want_float("1.7976931348623157e308", 1.7976931348623157e308);
    want_error_at("x = 1e400", "float literal is too large", 1, 5);
    want_error_at("x = 1e", "exponent of a float literal has no digits", 1, 5);
    want_error_at("x = 1.5x", "invalid number literal '1.5x'", 1, 5);
}

/* ---- strings --------------------------------------------------------------- */

/* The single part of the string token in TEXT must hold BYTES. */
static void want_string(const char *text, const char *bytes, size_t len) {
    Scan *s = scan(text);
    if (s->kinds[0] != TK_STRING || s->f.diag.errors) {
        fprintf(stderr, "source: %s\n%s", text, s->f.out);
        fail();
    }
    Node *str = s->vals[0].node;
    assert_int_equal(str->kind, ND_STR);
    assert_non_null(str->parts);
    assert_null(str->parts->next);
    assert_int_equal(str->parts->kind, ND_STRPART);
    assert_int_equal(str->parts->len, len);
    assert_memory_equal(str->parts->str, bytes, len);
    assert_int_equal(str->parts->str[len], '\0');
    done(s);
}

static void test_strings(void **state) {
    (void)state;
    want_string("\"abc\"", "abc", 3);
    want_string("'abc'", "abc", 3);
    want_string("\"\"", "", 0);
    want_string("''", "", 0);
    want_string("\"it's\"", "it's", 4);
    want_string("'say \"hi\"'", "say \"hi\"", 8);
    want_string("\"caf\xc3\xa9 \xe2\x82\xac\"", "caf\xc3\xa9 \xe2\x82\xac", 9);
    want_string("\"# not a comment\"", "# not a comment", 15);
}

static void test_escapes(void **state) {
    (void)state;
    want_string("\"\\n\\t\\r\\\\\\'\\\"\"", "\n\t\r\\'\"", 6);
    want_string("'\\0\\a\\b\\f\\v'", "\0\a\b\f\v", 5);
    want_string("\"\\x41\\x7a\\xff\"", "Az\xff", 3);
    want_string("\"\\u{41}\\u{e9}\\u{20AC}\\u{1F600}\"", "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                10);
    want_string("\"\\u{10FFFF}\"", "\xf4\x8f\xbf\xbf", 4);
    want_string("\"{{}}{{x}}\"", "{}{x}", 5);
}

static void test_escape_errors(void **state) {
    (void)state;
    want_error_at("x = \"a\\qb\"", "unknown escape sequence '\\q'", 1, 7);
    want_error_at("x = \"\\x4\"", "'\\x' must be followed by two hex digits", 1, 6);
    want_error_at("x = \"\\xg0\"", "'\\x' must be followed by two hex digits", 1, 6);
    want_error_at("x = \"\\u41\"", "'\\u' must be followed by 1 to 6 hex digits", 1, 6);
    want_error_at("x = \"\\u{}\"", "'\\u' must be followed by 1 to 6 hex digits", 1, 6);
    want_error_at("x = \"\\u{1234567}\"", "'\\u' must be followed", 1, 6);
    want_error_at("x = \"\\u{110000}\"", "'\\u{110000}' is not a Unicode scalar value", 1, 6);
    want_error_at("x = \"\\u{D800}\"", "is not a Unicode scalar value", 1, 6);
}

static void test_unterminated(void **state) {
    (void)state;
    want_error_at("x = \"abc\ny = 2\n", "unterminated string literal", 1, 5);
    want_error_at("x = 'abc", "unterminated string literal", 1, 5);
    want_error_at("x = \"abc\\\"\n", "unterminated string literal", 1, 5);
    want_error_at("x = \"abc\\", "unterminated string literal", 1, 5);
    /* the next line scans normally */
    Scan *s = scan("x = \"abc\ny = 2\n");
    int want[] = {TK_IDENT,  TK_ASSIGN, TK_STRING,  TK_NEWLINE, TK_IDENT,
                  TK_ASSIGN, TK_INT,    TK_NEWLINE, TK_END};
    assert_int_equal(s->n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < s->n; i++) assert_int_equal(s->kinds[i], want[i]);
    done(s);
}

static void test_interpolation(void **state) {
    (void)state;
    const char *text = "\"a{x}b{y + 1}c{ z }\"";
    Scan *s = scan(text);
    assert_int_equal(s->f.diag.errors, 0);
    Node *p = s->vals[0].node->parts;
    assert_int_equal(p->kind, ND_STRPART);
    assert_string_equal(p->str, "a");
    p = p->next;
    assert_int_equal(p->kind, ND_NAME);
    assert_string_equal(p->name, "x");
    assert_int_equal(p->span.begin, 3);
    assert_int_equal(p->span.end, 4);
    p = p->next;
    assert_string_equal(p->str, "b");
    p = p->next;
    assert_int_equal(p->kind, ND_BINARY);
    assert_int_equal(p->op, OP_ADD);
    assert_int_equal(p->span.begin, 7); /* spans in the file */
    assert_int_equal(p->span.end, 12);
    assert_int_equal(p->rhs->kind, ND_INT);
    assert_int_equal(p->rhs->span.begin, 11);
    p = p->next;
    assert_string_equal(p->str, "c");
    p = p->next;
    assert_int_equal(p->kind, ND_NAME);
    assert_string_equal(p->name, "z");
    assert_int_equal(p->span.begin, 16);
    assert_null(p->next);
    done(s);

    /* only an interpolation: no empty parts around it */
    s = scan("'{n}'");
    p = s->vals[0].node->parts;
    assert_int_equal(p->kind, ND_NAME);
    assert_null(p->next);
    done(s);

    /* strings in the other quote inside, with braces */
    s = scan("\"<{f('}}', '{{')}>\"");
    assert_int_equal(s->f.diag.errors, 0);
    p = s->vals[0].node->parts;
    assert_string_equal(p->str, "<");
    assert_int_equal(p->next->kind, ND_CALL);
    Node *arg = p->next->args;
    assert_int_equal(arg->kind, ND_STR);
    assert_string_equal(arg->parts->str, "}");
    assert_string_equal(arg->next->parts->str, "{");
    assert_string_equal(p->next->next->str, ">");
    done(s);

    /* interpolation inside interpolation */
    s = scan("\"{'<{x.y}>'}\"");
    assert_int_equal(s->f.diag.errors, 0);
    p = s->vals[0].node->parts;
    assert_int_equal(p->kind, ND_STR);
    assert_int_equal(p->parts->next->kind, ND_MEMBER);
    assert_string_equal(p->parts->next->name, "y");
    done(s);

    /* keywords are not taken for names */
    s = scan("\"{true} {not b}\"");
    assert_int_equal(s->f.diag.errors, 0);
    p = s->vals[0].node->parts;
    assert_int_equal(p->kind, ND_BOOL);
    assert_int_equal(p->next->next->kind, ND_UNARY);
    done(s);
}

static void test_interpolation_errors(void **state) {
    (void)state;
    want_error_at("x = \"a } b\"", "single '}' in a string; write '}}'", 1, 8);
    want_error_at("x = \"a { b\"", "'{' in a string has no matching '}'", 1, 8);
    want_error_at("x = \"a {} b\"", "empty '{}' in a string", 1, 8);
    want_error_at("x = \"a { } b\"", "empty '{}' in a string", 1, 8);
    want_error_at("print(\"{f(\"x\")}\")",
                  "a string inside '{...}' must use the other kind of quote ('...')", 1, 11);
    want_error_at("print('{f('x')}')",
                  "a string inside '{...}' must use the other kind of quote (\"...\")", 1, 11);
    want_error_at("x = \"{f(\\\"x\\\")}\"", "must use the other kind of quote", 1, 9);
    want_error_at("x = \"{a \\n}\"", "'\\' is not allowed inside '{...}'", 1, 9);
    /* errors inside are located in the file */
    want_error_at("x = \"..{1 +}\"", "expected an expression", 1, 12);
    want_error_at("x = \"..{a b}\"", "expected '}' after the expression in the string", 1, 11);
    want_error_at("x = \"..{(a}\"", "'(' was never closed", 1, 9);
    want_error_at("x = \"{a $ b}\"", "stray '$' in program", 1, 9);
}

/* ---- bytes that are not tokens ---------------------------------------------- */

static void test_stray(void **state) {
    (void)state;
    want_error_at("x = $", "stray '$' in program", 1, 5);
    want_error_at("x = a ? b", "stray '?' in program", 1, 7);
    want_error_at("x = `a`", "stray '`' in program", 1, 5);
    want_error_at("x = \\", "stray '\\' in program", 1, 5);
    want_error_at("x = @", "stray '@' in program", 1, 5);
    want_error_at("x = !a", "stray '!' in program (use 'not'", 1, 5);
    want_error_at("x = a && b", "'&&' is not an operator; use 'and'", 1, 7);
    want_error_at("x = a || b", "'||' is not an operator; use 'or'", 1, 7);
    want_error_at("x = caf\xc3\xa9",
                  "non-ASCII character '\xc3\xa9' (U+00E9) outside a "
                  "string or comment",
                  1, 8);
    want_error_at("x = \xe2\x82\xac", "non-ASCII character '\xe2\x82\xac' (U+20AC)", 1, 5);
    want_error_at("x = \x01", "unexpected control character 0x01", 1, 5);
    /* src_load rejects these; the scanner copes anyway */
    want_error_at("x = \xff", "unexpected byte 0xff", 1, 5);
    want_error_at("x = \x80\x80", "unexpected byte 0x80", 1, 5);
}

static void test_bom(void **state) {
    (void)state;
    want_tokens("\xef\xbb\xbfx = 1\n", TK_IDENT, TK_ASSIGN, TK_INT, TK_NEWLINE, TK_END);
    want_error_at("x = 1\n\xef\xbb\xbf", "non-ASCII character '\xef\xbb\xbf' (U+FEFF)", 2, 1);
}

static void test_stray_tokens(void **state) {
    (void)state;
    want_tokens("$ ? \xc3\xa9\xc3\xa9 &&", TK_INVALID, TK_INVALID, TK_INVALID, TK_INVALID, TK_END);
}

static void test_nul_byte(void **state) {
    (void)state;
    const char text[] = "x = 1\0 + 2\n";
    Scan *s = scan_len(text, sizeof text - 1);
    int kinds[] = {TK_IDENT, TK_ASSIGN, TK_INT, TK_INVALID, TK_PLUS, TK_INT, TK_NEWLINE, TK_END};
    assert_int_equal(s->n, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(s->kinds[i], kinds[i]);
    assert_int_equal(s->spans[3].begin, 5);
    done(s);
    /* in a string, a NUL is a byte like any other */
    const char str[] = "'a\0b'";
    s = scan_len(str, sizeof str - 1);
    assert_int_equal(s->kinds[0], TK_STRING);
    assert_int_equal(s->vals[0].node->parts->len, 3);
    done(s);
}

/* ---- names -------------------------------------------------------------------- */

static void test_long_names(void **state) {
    (void)state;
    char *name = malloc(100001);
    assert_non_null(name);
    memset(name, 'n', 100000);
    name[255] = '\0';
    Scan *s = scan(name);
    assert_int_equal(s->f.diag.errors, 0);
    assert_int_equal(strlen(s->vals[0].name), 255);
    done(s);
    name[255] = 'n';
    name[256] = '\0';
    s = scan(name);
    assert_int_equal(s->f.diag.errors, 1);
    assert_non_null(strstr(s->f.out, "name is too long (256 characters; the limit is 255)"));
    done(s);
    name[256] = 'n';
    name[100000] = '\0';
    s = scan(name);
    assert_int_equal(s->f.diag.errors, 1);
    assert_int_equal(s->n, 2);
    assert_non_null(strstr(s->f.out, "(100000 characters; the limit is 255)"));
    done(s);
    free(name);
}

static void test_spans(void **state) {
    (void)state;
    Scan *s = scan("let  x = 12 # c\n'ab'");
    Span want[] = {{0, 3}, {5, 6}, {7, 8}, {9, 11}, {15, 16}, {16, 20}};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(s->spans[i].begin, want[i].begin);
        assert_int_equal(s->spans[i].end, want[i].end);
    }
    assert_int_equal(s->spans[6].begin, 20); /* end of file */
    assert_int_equal(s->vals[3].node->span.begin, 9);
    assert_int_equal(s->vals[5].node->parts->span.begin, 17);
    assert_int_equal(s->vals[5].node->parts->span.end, 19);
    done(s);
}

/* A long token is read in linear time (flex's default reads 8 KiB at a
 * time and moves the token each time). */
static void test_huge_tokens(void **state) {
    (void)state;
    size_t n = 20u << 20;
    char *text = malloc(n + 3);
    assert_non_null(text);
    text[0] = '"';
    memset(text + 1, 'a', n);
    text[n + 1] = '"';
    text[n + 2] = '\0';
    Scan *s = scan_len(text, n + 2);
    assert_int_equal(s->kinds[0], TK_STRING);
    assert_int_equal(s->vals[0].node->parts->len, n);
    done(s);
    text[0] = '#';
    s = scan_len(text, n + 2);
    assert_int_equal(s->n, 1);
    done(s);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_keyword_table),
        cmocka_unit_test(test_soft_keywords),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_member_keywords),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_augmented),
        cmocka_unit_test(test_newlines),
        cmocka_unit_test(test_newline_span),
        cmocka_unit_test(test_unclosed_bracket_recovery),
        cmocka_unit_test(test_int_literals),
        cmocka_unit_test(test_int_errors),
        cmocka_unit_test(test_float_literals),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_escape_errors),
        cmocka_unit_test(test_unterminated),
        cmocka_unit_test(test_interpolation),
        cmocka_unit_test(test_interpolation_errors),
        cmocka_unit_test(test_stray),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_stray_tokens),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_huge_tokens),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ast_types_free();
    return failed;
}
