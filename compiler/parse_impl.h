/* parse_impl: what the scanner (grammar/lexer.l), the grammar
 * (grammar/parser.y) and compiler/parse.c share; not part of the front
 * end's interface, which is parse.h. Hand-written, so it exists before
 * bison runs; token numbers (TK_*) still come from bison's parser.h. */
#ifndef MPC_PARSE_IMPL_H
#define MPC_PARSE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "parse.h"
#include "util.h"

typedef struct Parser Parser;
/* A list under construction: appending is O(1). */
typedef struct NodeList {
    Node *head, *tail;
} NodeList;

/* bison's semantic value (parser.h defines it). */
union MPYSTYPE;

/* Operators in one expression (counted along the nesting path) beyond
 * which the expression is refused, so that later stages, which recurse
 * over the tree, stay within the C stack. */
#define PARSE_MAX_OPS 1000
/* Syntax errors reported before the parser gives up. */
#define PARSE_MAX_ERRORS 20
/* Memory for the tree beyond which the parse stops with an error rather
 * than exhausting the machine (a 100 MB file of one-line statements). */
#define PARSE_MAX_TREE ((size_t)4 << 30)
/* String interpolations inside interpolations (bounded in practice by the
 * quote rule; this caps the recursion whatever happens). */
#define PARSE_MAX_LEVEL 8

/* What an open bracket on the scanner's stack is. */
typedef enum BracketKind {
    BR_NONE,
    BR_BLOCK,  /* { */
    BR_GROUP,  /* ( around an expression */
    BR_CALL,   /* ( of a call */
    BR_PARAMS, /* ( of a def's parameters */
    BR_LIST,   /* [ of a list literal */
    BR_INDEX,  /* [ of an index, a type argument, a group size */
    BR_ELIF,   /* not a bracket: one `elif` of the current if chain */
    BR_DICT,   /* { of a dict or set display (its char is 'd') */
} BracketKind;

typedef struct Bracket {
    char c;             /* ( [ {, 'd' for BR_DICT or 'e' for BR_ELIF */
    unsigned char kind; /* BracketKind */
    uint32_t off;       /* where it opened */
    int ops;            /* the operator count to restore when it closes */
} Bracket;

/* A word of the source (a name or a keyword) in the parse's word table. */
typedef struct Word {
    const char *s; /* the one copy every occurrence shares (arena) */
    uint32_t len;
    uint32_t hash;
    int tok; /* the token it scans as: a keyword's, or 0 for a name */
} Word;

/* State of one parse shared with the parses of its interpolations. */
typedef struct ParseShared {
    const Source *src;
    Arena *arena;
    Diag *diag;
    int errors;   /* errors reported by the front end */
    bool fatal;   /* nesting too deep: stop quietly */
    bool stopped; /* too many errors: stop quietly */
    char *buf;    /* scratch for decoding literals (malloc) */
    size_t cap;
    void *sub[PARSE_MAX_LEVEL + 1]; /* cached scanners, by level */
    Node *defs, *defs_tail;         /* the program being built */
    Node *top, *top_tail;
    int nhidden; /* hidden variables made for unpacking so far */
    /* every word seen (parse_word): open addressing, a power of 2 slots */
    Word *words;
    uint32_t nwords, words_cap;
} ParseShared;

/* One parse: a scanner over [pos, end) of the source and its state. */
struct Parser {
    ParseShared *sh;
    void *scanner;
    int level;         /* 0: the file; n: inside n interpolations */
    int start_tok;     /* first token to hand out, then 0 */
    uint32_t pos, end; /* next byte to feed the scanner; end of input */
    uint32_t off;      /* offset of the next token */
    uint32_t skip_to;  /* tokens starting before this are dropped */
    int last, last2;   /* the last two tokens returned */
    int stmt_kw;       /* last block-opening keyword (if, while, ...) */
    int base_depth;    /* nesting outside this scanner (interpolations) */
    int depth;         /* open brackets */
    Bracket stack[PARSE_MAX_DEPTH + 1];
    int ops;         /* operators along the current nesting path */
    bool nl_seen;    /* a newline was dropped since the last token */
    uint32_t nl_off; /* the first such newline */
    int pending;     /* a token to return on the next call */
    Span pending_loc;
    /* facts about the last token returned, for error messages */
    int kw_before;        /* stmt_kw before it */
    Bracket top_before;   /* innermost open bracket before it (c == 0: none) */
    bool forced;          /* it closed brackets left open */
    Bracket forced_br;    /* the outermost of those */
    bool unmatched;       /* it is a closer without opener */
    bool mismatched;      /* it is a closer of the wrong kind */
    Bracket mismatch_br;  /* what it closed */
    bool keep_recovering; /* the error was a '{' on the next line: let
                               recovery discard it with its block */
    Node *expr;           /* START_EXPR: the expression */
    int blocks;           /* statement blocks open ({ ... }) */
    int def_blocks;       /* in a def: the value of blocks in its body, else 0 */
};

/* compiler/parse.c */
void parse_error(Parser *P, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void parse_note(Parser *P, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void parse_fatal(Parser *P, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The word at AT, looked up once: a name's shared copy and whether it
 * is a keyword (a name too long is reported here). */
const Word *parse_word(Parser *P, Span at);
/* The shared copy of the name at AT. */
const char *parse_name(Parser *P, Span at);
Node *parse_int_literal(Parser *P, Span at);
Node *parse_float_literal(Parser *P, Span at);
Node *parse_bad_number(Parser *P, Span at);
Node *parse_string_literal(Parser *P, Span at, bool terminated);
Node *parse_node(Parser *P, NodeKind kind, Span at);
Type *parse_type_name(Parser *P, const char *name, Span at);
Type *parse_type_generic(Parser *P, const char *name, Span name_at, Type *elem);
Type *parse_type_expr(Parser *P, Node *e, Node **bound, Span *type_at);
/* `T | None`; an error when T already admits None. */
Type *parse_type_optional(Parser *P, Type *t, Span at);
Type *parse_type_joinable(Parser *P, Type *t, Span at);
bool parse_is_big_literal(Parser *P, const Node *n);
Node *parse_check_literal(Parser *P, Node *n);
void parse_check_target(Parser *P, Node *target);
/* `(A, B)`: tuple type T extended by one more element A (T NULL: A alone). */
Type *parse_type_tuple(Type *t, Type *a);
/* dict[K, V]: KV is the tuple type the brackets read as. */
Type *parse_type_dict(Parser *P, Type *kv, Span at);
/* Unpacking into TARGETS (a list of names or targets) from RHS, as a chain
 * of statements over a hidden variable (see Node.unpack):
 *   LET:  let 0u1 = rhs; let a = 0u1[0]; let b = 0u1[1]
 *   else: let 0u1 = rhs; a = 0u1[0]; b = 0u1[1] */
Node *parse_unpack(Parser *P, Node *targets, Node *rhs, bool let, Span at);
/* `for a, b in it BODY`: `for 0u1 in it { let a = 0u1[0]; ... BODY }`. */
Node *parse_for_unpack(Parser *P, Node *names, Node *it, Node *body, Span at);
/* A comprehension's `for a, b in it` clause F: F iterates a hidden
 * variable; returns the lets that unpack it (`let a = 0u1[0]; ...`). */
Node *parse_comp_unpack(Parser *P, Node *f, Node *names);

/* For tests of the scanner: scans SRC into at most MAX tokens (their kinds
 * TK_*, values and spans; the last one is TK_END if it fits) and returns
 * how many. Errors go to D. */
int parse_scan(const Source *src, Arena *a, Diag *d, int *kinds, union MPYSTYPE *vals, Span *spans,
               int max);

/* grammar/lexer.l */
int mpylex(union MPYSTYPE *lval, Span *lloc, void *scanner);
void *lex_new(Parser *P);
void lex_reset(void *scanner, Parser *P);
void lex_free(void *scanner);

/* ---- keywords (compiler/keywords.h is the list) ---- */

/* How a keyword behaves in the scanner. */
enum {
    KW_STMT = 1,  /* only begins a statement: inside ( or [ it shows a
                       bracket was left open */
    KW_SOFT = 2,  /* a keyword only at the start of a statement when a
                       name follows; elsewhere a name (keywords.h) */
    KW_BLOCK = 4, /* opens a block (if, while, def, ...): remembered
                       for messages */
    KW_OP = 8,    /* an operator: counts toward the expression limit */
};

/* The token of the keyword spelled S[0..N), or 0 when it is a name. */
int parse_keyword(const char *s, size_t n);
/* The KW_* flags of keyword token T (0 for any other token). */
unsigned parse_keyword_flags(int t);
/* How many keywords there are (for the test that the grammar declares
 * each one). */
int parse_keyword_count(void);

#endif
