/* gen: C from the checked tree.
 *
 * Layout of the output:
 *   banner, #include <mpr.h>
 *   list type descriptors, string literals      (collected while generating)
 *   prototypes of every def
 *   the defs, then for each def used as a process: an argument struct and
 *   an entry stub
 *   main(): the top-level program
 *
 * Values of type str and list are reference counted. An expression is
 * generated into a C expression string plus, where needed, statements
 * emitted before it (temporaries). A CExpr is "owned" when it yields a new
 * reference; every owned value is either stored (a variable, a list, an
 * argument struct) or held in a temporary that is released after the
 * statement. Calls are always hoisted into temporaries so that evaluation
 * order is Python's (left to right), whatever C's unspecified order. */
#include "gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- text buffers ------------------------------------------------------ */

typedef struct Buf {
    char *data;
    size_t len, cap;
    FILE *spill;        /* the body: full megabytes go to a temporary file */
    bool spill_failed;
} Buf;

enum { SPILL_AT = 1 << 20 };

static void buf_put(Buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            fputs("mpc: fatal error: out of memory\n", stderr);
            exit(1);
        }
        b->data = d;
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
        char *big = malloc((size_t)n + 1);
        if (!big) {
            fputs("mpc: fatal error: out of memory\n", stderr);
            exit(1);
        }
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        buf_put(b, big, (size_t)n);
        free(big);
    }
    va_end(ap2);
}

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(Buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ---- generator state --------------------------------------------------- */

/* A C expression and whether it yields a new reference. */
typedef struct CExpr {
    const char *code;
    bool owned;
} CExpr;

/* Heap variables and temporaries of one C block, released when it ends. */
typedef struct Scope Scope;
struct Scope {
    Scope *up;
    const char **names;     /* C names to release */
    Type **types;
    int n, cap;
    bool loop;              /* break/continue stop releasing here */
    Symbol *unlock;         /* a lock block: unlocked when left */
    const char *unlock_at;
    bool temps;             /* statement temporaries, not a block */
};

typedef struct ListType {
    Type *type;
    const char *cname;
} ListType;

/* A reference held in a process's argument struct, released at exit. */
typedef struct Kept {
    const char *proc, *field;
    Type *type;
    bool group;
} Kept;

typedef struct Gen {
    const Program *prog;
    const Source *src;
    const GenOptions *opt;
    Arena arena;            /* strings made while generating a function or a
                               top-level statement; reset after each */
    Arena perm;             /* strings that outlive it: C names of symbols,
                               type descriptors and string literals */

    Buf types, lits, protos, body;
    Buf *out;               /* where emit() writes */
    int indent;
    int mapped;             /* .mp line the next body line maps to; 0: none */

    Scope *scope;
    int ntmp;               /* temporaries in the current function */
    int nlit;
    ListType *ltypes;
    int nltypes, capltypes;
    Node *def;              /* current def, NULL in main */
    Symbol *locked[32];     /* objects locked by enclosing `lock` blocks */
    int nlocked;
    bool stmt_locked;       /* a statement holds its target's lock */
    Symbol **guarded;       /* objects every access to which takes the lock */
    int nguarded, capguarded;
    Type *guarded_types[8]; /* value/array types guarded through a parameter */
    int nguarded_types;
    Kept *kept;
    int nkept, capkept;
    /* Inside a compare-and-swap statement: reads of this shared location
     * are the value loaded for the attempt. */
    struct Lit { const char *bytes; size_t len; const char *name; } *lits_tab;
    size_t lits_cap;        /* open addressing, a power of two */
    Symbol *cas_sym;
    Node *cas_index;        /* NULL for a value */
    const char *cas_old;
} Gen;

static char *gstr(Gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *gstr(Gen *g, const char *fmt, ...) {
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
static const char *keep_str(Gen *g, const char *s) {
    return arena_strndup(&g->perm, s, strlen(s));
}

static void loc_of(Gen *g, Span s, int *line, int *col) {
    src_position(g->src, s.begin, line, col);
}

static const char *loc(Gen *g, Span s) {
    int line, col;
    loc_of(g, s, &line, &col);
    return gstr(g, "MP_LOC(%d, %d)", line, col);
}

/* Writes bytes as the inside of a C string literal. Only printable ASCII
 * other than \ " ? passes through, so no source text can end the literal,
 * form a trigraph or an escape, or change the meaning of the C. */
static void put_c_string(Buf *b, const char *s, size_t n) {
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
static void map(Gen *g, const Node *n) {
    int line, col;
    loc_of(g, n->span, &line, &col);
    emit_line_directive(g, line);
}

static void emit(Gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(Gen *g, const char *fmt, ...) {
    for (int i = 0; i < g->indent; i++) buf_put(g->out, "    ", 4);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(g->out, fmt, ap);
    va_end(ap);
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
}

/* ---- types -------------------------------------------------------------- */

static const char *ctype(Gen *g, const Type *t) {
    (void)g;
    switch (t->kind) {
    case TY_INT: return "int64_t";
    case TY_FLOAT: return "double";
    case TY_BOOL: return "bool";
    case TY_STR: return "mp_str *";
    case TY_LIST: return "mp_list *";
    case TY_CONN: return "mp_conn *";
    case TY_QUEUE: return "mp_queue *";
    case TY_VALUE: return "mp_value *";
    case TY_ARRAY: return "mp_array *";
    case TY_PROCESS: return "mp_proc *";
    default: return "void";
    }
}

static bool is_heap(const Type *t) {
    return t && (t->kind == TY_STR || t->kind == TY_LIST);
}

/* "int64_t x", "mp_str *x": a declaration of NAME with type T. */
static const char *decl(Gen *g, const Type *t, const char *name);

/* The mp_val member holding a value of type T. */
static const char *vfield(const Type *t) {
    switch (t->kind) {
    case TY_INT: return "i";
    case TY_FLOAT: return "f";
    case TY_BOOL: return "b";
    case TY_STR: return "s";
    default: return "l";
    }
}

/* Suffix of the runtime's per-kind helpers (mp_value_load_i ...). */
static const char *ksuffix(const Type *t) {
    return t->kind == TY_FLOAT ? "f" : t->kind == TY_BOOL ? "b" : "i";
}

static const char *kind_enum(const Type *t) {
    return t->kind == TY_FLOAT ? "MP_FLOAT" : t->kind == TY_BOOL ? "MP_BOOL" : "MP_INT";
}

/* A pointer to the runtime type descriptor of T, declaring list types at
 * the top of the file on first use. */
static const char *tdesc(Gen *g, Type *t) {
    switch (t->kind) {
    case TY_INT: return "&mp_t_int";
    case TY_FLOAT: return "&mp_t_float";
    case TY_BOOL: return "&mp_t_bool";
    case TY_STR: return "&mp_t_str";
    default: break;
    }
    for (int i = 0; i < g->nltypes; i++)
        if (g->ltypes[i].type == t) return g->ltypes[i].cname;
    const char *elem = tdesc(g, t->elem);
    /* ty_list_int, ty_list_list_str: built from the element's name, so
     * any depth gets its own name. */
    const char *ename = strncmp(elem, "&mp_t_", 6) == 0 ? elem + 6 : elem + 4;
    const char *bare = gstr(g, "ty_list_%s", ename);
    /* Equal types need not be one Type object (an array's element list, a
     * declared type): the name decides, so no descriptor is defined twice. */
    for (int i = 0; i < g->nltypes; i++)
        if (strcmp(g->ltypes[i].cname + 1, bare) == 0) return g->ltypes[i].cname;
    const char *cname = keep_str(g, gstr(g, "&%s", bare));
    buf_printf(&g->types, "static const mp_type %s = { MP_LIST, %s };\n", bare, elem);
    if (g->nltypes == g->capltypes) {
        g->capltypes = g->capltypes ? 2 * g->capltypes : 16;
        g->ltypes = realloc(g->ltypes, (size_t)g->capltypes * sizeof *g->ltypes);
        if (!g->ltypes) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    }
    g->ltypes[g->nltypes++] = (ListType){ t, cname };
    return cname;
}

static const char *decl(Gen *g, const Type *t, const char *name) {
    const char *c = ctype(g, t);
    return gstr(g, "%s%s%s", c, c[strlen(c) - 1] == '*' ? "" : " ", name);
}

static const char *cname(Gen *g, Symbol *s);

/* ---- scopes and releases ------------------------------------------------- */

static void scope_push(Gen *g, Scope *s, bool loop) {
    memset(s, 0, sizeof *s);
    s->up = g->scope;
    s->loop = loop;
    g->scope = s;
}

static void scope_add(Scope *s, const char *name, Type *t) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->names = realloc(s->names, (size_t)s->cap * sizeof *s->names);
        s->types = realloc(s->types, (size_t)s->cap * sizeof *s->types);
        if (!s->names || !s->types) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    }
    s->names[s->n] = name;
    s->types[s->n] = t;
    s->n++;
}

static void emit_release(Gen *g, const char *name, const Type *t) {
    emit(g, "%s(%s);", t->kind == TY_STR ? "mp_str_unref" : "mp_list_unref", name);
}

static void release_scope(Gen *g, const Scope *s) {
    for (int i = s->n - 1; i >= 0; i--) emit_release(g, s->names[i], s->types[i]);
    if (s->unlock)
        emit(g, "mp_%s_unlock(%s, %s);", s->unlock->type->kind == TY_VALUE ? "value" : "array",
             cname(g, s->unlock), s->unlock_at);
}

static void scope_pop(Gen *g, bool release) {
    Scope *s = g->scope;
    if (release) release_scope(g, s);
    g->scope = s->up;
    free(s->names);
    free(s->types);
}

/* Releases everything up to and including the innermost loop scope
 * (break/continue), or every scope of the function (return: UNTIL NULL). */
static void release_until(Gen *g, bool to_loop) {
    for (Scope *s = g->scope; s; s = s->up) {
        release_scope(g, s);
        if (to_loop && s->loop) break;
    }
}

static const char *new_tmp(Gen *g, const char *prefix) {
    return gstr(g, "%s%d", prefix, ++g->ntmp);
}

/* Holds an owned value in a temporary released when the statement ends. */
static const char *hold(Gen *g, Type *t, const char *code) {
    const char *name = new_tmp(g, "t");
    emit(g, "%s = %s;", decl(g, t, name), code);
    if (!is_heap(t)) return name;
    Scope *s = g->scope;
    while (s && !s->temps) s = s->up;
    if (s) scope_add(s, name, t);
    return name;
}

/* ---- expressions -------------------------------------------------------- */

static CExpr gen_expr(Gen *g, Node *n);
/* Whether a read of shared object OBJ (a name) takes the object's lock. */
static bool locked_read(Gen *g, const Node *obj);
static void gen_block(Gen *g, Node *block, bool loop);
static void gen_stmt(Gen *g, Node *n);

/* The value of N as a borrowed reference (or plain scalar). */
static const char *borrow(Gen *g, Node *n) {
    CExpr e = gen_expr(g, n);
    if (e.owned) return hold(g, n->type, e.code);
    return e.code;
}

/* The value of N as a new reference (for storing), converted to type TO
 * (int to float is the only implicit conversion). */
static const char *owned(Gen *g, Node *n, Type *to) {
    CExpr e = gen_expr(g, n);
    if (to && to->kind == TY_FLOAT && n->type->kind == TY_INT)
        return gstr(g, "(double)%s", e.code);
    if (!is_heap(n->type) || e.owned) return e.code;
    return gstr(g, "%s(%s)", n->type->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", e.code);
}

/* A borrowed value converted to TO. */
static const char *borrow_as(Gen *g, Node *n, Type *to) {
    const char *c = borrow(g, n);
    if (to && to->kind == TY_FLOAT && n->type->kind == TY_INT)
        return gstr(g, "(double)%s", c);
    return c;
}

/* ---- operands in Python's order ---------------------------------------------- */

/* Operands of one construct (a call's arguments, a binary operator's sides),
 * generated left to right. An operand's code may run later than the
 * statements a later operand needs (a call hoisted, an index checked): then
 * the earlier codes are computed into temporaries before those statements,
 * so effects and runtime errors happen in Python's order. */
typedef struct Ops {
    const char **code;
    Type **type;
    bool *owned;
    int n, cap;
} Ops;

/* Whether CODE is a name or a literal: nothing left to run. */
static bool settled(const char *code) {
    if (code[0] == '&') code++;
    if (code[0] == '-') code++;
    for (const char *c = code; *c; c++)
        if (!(*c == '_' || *c == '.' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z')))
            return false;
    return code[0] != '\0';
}

/* Computes operand I of OPS now, into a temporary. */
static void pin(Gen *g, Ops *ops, int i) {
    Type *t = ops->type[i];
    const char *code = ops->code[i];
    if (settled(code)) return;
    if (is_heap(t) && !ops->owned[i]) {
        /* a borrowed element: keep it alive while later operands run */
        ops->code[i] = hold(g, t, gstr(g, "%s(%s)", t->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", code));
        return;
    }
    const char *name = new_tmp(g, "o");
    emit(g, "%s = %s;", decl(g, t, name), code);
    ops->code[i] = name;
}

/* Before the operands' codes are combined into one C expression, where C
 * leaves their order open: all but the last one still to run are computed
 * now, in order. */
static void ops_settle(Gen *g, Ops *ops) {
    int last = ops->n - 1;
    while (last >= 0 && settled(ops->code[last])) last--;
    for (int i = 0; i < last; i++) pin(g, ops, i);
}

/* Generates N as the next operand of OPS (owned and converted to TO when
 * OWN, else borrowed); returns its index in OPS. */
static int operand(Gen *g, Ops *ops, Node *n, bool own, Type *to);
/* Adds CODE, already generated, as the next operand. */
static int ops_add(Ops *ops, const char *code, Type *t, bool own);

static const char *mpval(Gen *g, Type *t, const char *code) {
    return gstr(g, "(mp_val){ .%s = %s }", vfield(t), code);
}

static size_t lit_hash(const char *s, size_t len) {
    size_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

/* The longest string literal a C11 compiler must accept is 4095 bytes
 * (-Woverlength-strings under -Wpedantic). */
enum { LIT_MAX = 4095 };

/* A static mp_str for literal bytes; equal literals share one. */
static const char *str_literal(Gen *g, const char *s, size_t len) {
    if ((size_t)g->nlit * 2 >= g->lits_cap) {
        size_t cap = g->lits_cap ? g->lits_cap * 2 : 64;
        struct Lit *tab = calloc(cap, sizeof *tab);
        if (!tab) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
        for (size_t i = 0; i < g->lits_cap; i++) {
            struct Lit *e = &g->lits_tab[i];
            if (!e->name) continue;
            size_t j = lit_hash(e->bytes, e->len) & (cap - 1);
            while (tab[j].name) j = (j + 1) & (cap - 1);
            tab[j] = *e;
        }
        free(g->lits_tab);
        g->lits_tab = tab;
        g->lits_cap = cap;
    }
    size_t j = lit_hash(s, len) & (g->lits_cap - 1);
    for (; g->lits_tab[j].name; j = (j + 1) & (g->lits_cap - 1)) {
        struct Lit *e = &g->lits_tab[j];
        if (e->len == len && memcmp(e->bytes, s, len) == 0) return e->name;
    }
    const char *name = gstr(g, "s_%d", ++g->nlit);
    if (len <= LIT_MAX) {
        buf_printf(&g->lits, "static mp_str %s = { MP_IMMORTAL, %zu, \"", name, len);
        put_c_string(&g->lits, s, len);
        buf_put(&g->lits, "\", 0 };\n", 8);
    } else {
        /* Longer than C guarantees a string literal can be: the bytes as
         * an array, NUL-terminated like every mp_str. */
        buf_printf(&g->lits, "static const char %s_bytes[%zu] = {", name, len + 1);
        for (size_t i = 0; i <= len; i++) {
            unsigned c = i < len ? (unsigned char)s[i] : 0;
            const char *sep = i % 12 ? " " : "\n    ";
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')
                buf_printf(&g->lits, "%s'%c',", sep, (char)c);
            else
                buf_printf(&g->lits, "%s'\\%03o',", sep, c);
        }
        buf_printf(&g->lits, "\n};\nstatic mp_str %s = { MP_IMMORTAL, %zu, %s_bytes, 0 };\n", name, len, name);
    }
    name = keep_str(g, gstr(g, "&%s", name));
    g->lits_tab[j] = (struct Lit){ s, len, name };
    return name;
}

/* CODE without one pair of enclosing parentheses, for `if (...)`. */
static const char *unparen(Gen *g, const char *code) {
    size_t n = strlen(code);
    if (n < 2 || code[0] != '(' || code[n - 1] != ')') return code;
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (code[i] == '(') depth++;
        else if (code[i] == ')' && --depth == 0 && i != n - 1) return code;
    }
    return gstr(g, "%.*s", (int)(n - 2), code + 1);
}

static int operand(Gen *g, Ops *ops, Node *n, bool own, Type *to) {
    Buf later = {0};
    Buf *saved = g->out;
    g->out = &later;
    const char *code = own ? owned(g, n, to) : borrow(g, n);
    g->out = saved;
    if (later.len)
        for (int i = 0; i < ops->n; i++) pin(g, ops, i);
    if (later.len) buf_put(g->out, later.data, later.len);
    free(later.data);
    return ops_add(ops, code, own && to && to->kind == TY_FLOAT ? to : n->type, own);
}

static int ops_add(Ops *ops, const char *code, Type *t, bool own) {
    if (ops->n == ops->cap) {
        ops->cap = ops->cap ? 2 * ops->cap : 8;
        ops->code = realloc(ops->code, (size_t)ops->cap * sizeof *ops->code);
        ops->type = realloc(ops->type, (size_t)ops->cap * sizeof *ops->type);
        ops->owned = realloc(ops->owned, (size_t)ops->cap * sizeof *ops->owned);
        if (!ops->code || !ops->type || !ops->owned) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    }
    ops->code[ops->n] = code;
    ops->type[ops->n] = t;
    ops->owned[ops->n] = own;
    return ops->n++;
}

static void ops_free(Ops *ops) {
    free(ops->code);
    free(ops->type);
    free(ops->owned);
}

/* C name of a symbol: every user name gets a prefix, so none is a C
 * keyword, a libc or runtime name or macro, or a generated helper's name.
 * A variable hiding others of its name in its function is v2_x, v3_x...:
 * no user name makes those, and C never sees one name twice in scope. */
static const char *cname(Gen *g, Symbol *s) {
    if (!s->cname) {
        if (s->kind == SYM_FUNC) s->cname = keep_str(g, gstr(g, "f_%s", s->name));
        else if (s->shadows) s->cname = keep_str(g, gstr(g, "v%d_%s", s->shadows + 1, s->name));
        else s->cname = keep_str(g, gstr(g, "v_%s", s->name));
    }
    return s->cname;
}

/* Appends str() of the value of N to the mp_buf named BUF. */
static void append_value(Gen *g, const char *buf, Node *n) {
    if (n->kind == ND_STR) {
        for (Node *p = n->parts; p; p = p->next) {
            if (p->kind == ND_STRPART) {
                if (p->len == 0) continue;
                Buf b = {0};
                put_c_string(&b, p->str, p->len);
                emit(g, "mp_buf_cstr(&%s, \"%s\", %zu);", buf, b.data, p->len);
                free(b.data);
            } else {
                append_value(g, buf, p);
            }
        }
        return;
    }
    if (n->type->kind == TY_ARRAY) {
        /* A guarded array prints as one snapshot, under its lock. */
        const char *a = borrow(g, n);
        bool lock = locked_read(g, n);
        if (lock) emit(g, "mp_array_lock(%s, %s);", a, loc(g, n->span));
        emit(g, "mp_buf_array(&%s, %s);", buf, a);
        if (lock) emit(g, "mp_array_unlock(%s, %s);", a, loc(g, n->span));
        return;
    }
    const char *v = borrow(g, n);
    emit(g, "mp_buf_val(&%s, %s, %s);", buf, tdesc(g, n->type), mpval(g, n->type, v));
}

static CExpr gen_fstring(Gen *g, Node *n) {
    if (!n->parts || (n->parts->kind == ND_STRPART && !n->parts->next))
        return (CExpr){ str_literal(g, n->parts ? n->parts->str : "", n->parts ? n->parts->len : 0), false };
    const char *b = new_tmp(g, "b");
    emit(g, "mp_buf %s;", b);
    emit(g, "mp_buf_init(&%s);", b);
    append_value(g, b, n);
    return (CExpr){ gstr(g, "mp_buf_finish(&%s)", b), true };
}

static const char *arith_fn(Op op, bool flt) {
    switch (op) {
    case OP_ADD: return flt ? NULL : "mp_add";
    case OP_SUB: return flt ? NULL : "mp_sub";
    case OP_MUL: return flt ? NULL : "mp_mul";
    case OP_DIV: return "mp_fdiv";
    case OP_FLOORDIV: return flt ? "mp_ffloordiv" : "mp_floordiv";
    case OP_MOD: return flt ? "mp_fmod" : "mp_mod";
    case OP_POW: return flt ? "mp_fpow" : "mp_pow";
    default: return NULL;
    }
}

static const char *c_operator(Op op) {
    switch (op) {
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_BITAND: return "&";
    case OP_BITOR: return "|";
    case OP_BITXOR: return "^";
    case OP_EQ: return "==";
    case OP_NE: return "!=";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    default: return "?";
    }
}

/* L op R on already generated operands of type T (after promotion). */
static const char *arith(Gen *g, Op op, Type *t, const char *l, const char *r, Span at) {
    bool flt = t->kind == TY_FLOAT;
    if (op == OP_SHL || op == OP_SHR)
        return gstr(g, "%s(%s, %s, %s)", op == OP_SHL ? "mp_shl" : "mp_shr", l, r, loc(g, at));
    const char *fn = arith_fn(op, flt);
    if (op == OP_DIV && !flt)   /* int / int: exact, correctly rounded */
        return gstr(g, "mp_idiv(%s, %s, %s)", l, r, loc(g, at));
    if (op == OP_DIV)
        return gstr(g, "mp_fdiv((double)%s, (double)%s, %s)", l, r, loc(g, at));
    if (fn) return gstr(g, "%s(%s, %s, %s)", fn, l, r, loc(g, at));
    return gstr(g, "(%s %s %s)", l, c_operator(op), r);
}

static Type *numeric_join(Type *a, Type *b) {
    return a->kind == TY_FLOAT || b->kind == TY_FLOAT ? type_basic(TY_FLOAT) : a;
}

/* Both operands of N, borrowed, the left one first. */
static void sides(Gen *g, Node *n, const char **l, const char **r) {
    Ops ops = {0};
    operand(g, &ops, n->lhs, false, NULL);
    operand(g, &ops, n->rhs, false, NULL);
    ops_settle(g, &ops);
    *l = ops.code[0];
    *r = ops.code[1];
    ops_free(&ops);
}

static CExpr gen_compare(Gen *g, Node *n) {
    Type *lt = n->lhs->type, *rt = n->rhs->type;
    const char *l, *r;
    sides(g, n, &l, &r);
    const char *op = c_operator(n->op);
    if (lt->kind == TY_STR) {
        if (n->op == OP_EQ || n->op == OP_NE)
            return (CExpr){ gstr(g, "(%smp_str_eq(%s, %s))", n->op == OP_NE ? "!" : "", l, r), false };
        return (CExpr){ gstr(g, "(mp_str_cmp(%s, %s) %s 0)", l, r, op), false };
    }
    if (lt->kind == TY_LIST)
        return (CExpr){ gstr(g, "(%smp_list_eq(%s, %s))", n->op == OP_NE ? "!" : "", l, r), false };
    if (lt->kind != rt->kind) {
        /* int against float compares exactly, as Python (no rounding) */
        static const char *const names[] = {
            [OP_EQ] = "eq", [OP_NE] = "ne", [OP_LT] = "lt",
            [OP_LE] = "le", [OP_GT] = "gt", [OP_GE] = "ge",
        };
        return (CExpr){ gstr(g, "mp_%s_%s(%s, %s)", lt->kind == TY_INT ? "if" : "fi",
                             names[n->op], l, r), false };
    }
    return (CExpr){ gstr(g, "(%s %s %s)", l, op, r), false };
}

/* `a and b`, `a or b`: B is evaluated only when needed, even when it needs
 * statements of its own. */
static CExpr gen_logic(Gen *g, Node *n) {
    const char *l = borrow(g, n->lhs);
    Buf *saved = g->out;
    int saved_mapped = g->mapped;
    Buf rhs = {0};
    g->out = &rhs;
    g->indent++;
    Scope temps;
    scope_push(g, &temps, false);
    temps.temps = true;
    const char *r = borrow(g, n->rhs);
    bool simple = rhs.len == 0 && temps.n == 0;
    g->out = saved;
    g->indent--;
    if (simple) {
        scope_pop(g, false);
        free(rhs.data);
        return (CExpr){ gstr(g, "(%s %s %s)", l, n->op == OP_AND ? "&&" : "||", r), false };
    }
    const char *t = new_tmp(g, "c");
    g->mapped = saved_mapped;
    emit(g, "bool %s = %s;", t, l);
    emit(g, "if (%s%s) {", n->op == OP_AND ? "" : "!", t);
    buf_put(g->out, rhs.data, rhs.len);
    g->indent++;
    emit(g, "%s = %s;", t, r);
    scope_pop(g, true);
    g->indent--;
    emit(g, "}");
    g->mapped = 0;
    free(rhs.data);
    return (CExpr){ t, false };
}

static CExpr gen_binary(Gen *g, Node *n) {
    switch (n->op) {
    case OP_AND:
    case OP_OR:
        return gen_logic(g, n);
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        return gen_compare(g, n);
    default:
        break;
    }
    Type *lt = n->lhs->type, *rt = n->rhs->type;
    if (lt->kind == TY_STR && n->op == OP_ADD) {
        const char *l, *r;
        sides(g, n, &l, &r);
        return (CExpr){ gstr(g, "mp_str_concat(%s, %s)", l, r), true };
    }
    if (lt->kind == TY_LIST && n->op == OP_ADD) {
        const char *l, *r;
        sides(g, n, &l, &r);
        return (CExpr){ gstr(g, "mp_list_concat(%s, %s)", l, r), true };
    }
    if (is_heap(lt) || is_heap(rt)) {   /* str * int, int * list, ... */
        Type *seq = is_heap(lt) ? lt : rt;
        const char *l, *r;
        sides(g, n, &l, &r);
        bool first = is_heap(lt);
        return (CExpr){ gstr(g, "%s(%s, %s)", seq->kind == TY_STR ? "mp_str_repeat" : "mp_list_repeat",
                             first ? l : r, first ? r : l), true };
    }
    Type *t = numeric_join(lt, rt);
    const char *l, *r;
    sides(g, n, &l, &r);
    if (t->kind == TY_FLOAT) {
        if (lt->kind == TY_INT) l = gstr(g, "(double)%s", l);
        if (rt->kind == TY_INT) r = gstr(g, "(double)%s", r);
    }
    return (CExpr){ arith(g, n->op, t, l, r, n->span), false };
}

static CExpr gen_unary(Gen *g, Node *n) {
    if (n->op == OP_NEG && n->lhs->kind == ND_INT && n->lhs->ival != INT64_MIN)
        return (CExpr){ gstr(g, "%" PRId64, -n->lhs->ival), false };
    const char *v = borrow(g, n->lhs);
    switch (n->op) {
    case OP_NOT: return (CExpr){ gstr(g, "(!%s)", v), false };
    case OP_BITNOT: return (CExpr){ gstr(g, "(~%s)", v), false };
    case OP_POS: return (CExpr){ v, false };
    default:
        if (n->type->kind == TY_FLOAT) return (CExpr){ gstr(g, "(-%s)", v), false };
        return (CExpr){ gstr(g, "mp_neg(%s, %s)", v, loc(g, n->span)), false };
    }
}

static CExpr gen_list(Gen *g, Node *n) {
    int count = 0;
    for (Node *e = n->elems; e; e = e->next) count++;
    const char *l = new_tmp(g, "l");
    emit(g, "mp_list *%s = mp_list_new(%s, %d);", l, tdesc(g, n->type), count);
    for (Node *e = n->elems; e; e = e->next) {
        const char *v = owned(g, e, n->type->elem);
        emit(g, "mp_list_push(%s, %s);", l, mpval(g, n->type->elem, v));
    }
    return (CExpr){ l, true };
}

/* Element access a[i] for reading. */
static CExpr gen_index(Gen *g, Node *n) {
    if (g->cas_sym && n->lhs->kind == ND_NAME && n->lhs->sym == g->cas_sym)
        return (CExpr){ g->cas_old, false };
    Type *ot = n->lhs->type;
    const char *o, *i;
    sides(g, n, &o, &i);
    const char *at = loc(g, n->span);
    switch (ot->kind) {
    case TY_STR:
        return (CExpr){ gstr(g, "mp_str_index(%s, %s, %s)", o, i, at), true };
    case TY_LIST:
        return (CExpr){ gstr(g, "mp_list_get(%s, %s, %s).%s", o, i, at, vfield(n->type)), false };
    case TY_ARRAY:
        return (CExpr){ gstr(g, "mp_array_%s_%s(%s, %s, %s)", locked_read(g, n->lhs) ? "read" : "load", ksuffix(ot->elem), o, i, at), false };
    default:    /* group[i] */
        return (CExpr){ gstr(g, "%s[mp_group_index(count_%s, %s, %s)]", o, o + 2, i, at), false };
    }
}

static CExpr gen_member(Gen *g, Node *n) {
    if (g->cas_sym && n->builtin == A_VALUE && n->lhs->kind == ND_NAME && n->lhs->sym == g->cas_sym)
        return (CExpr){ g->cas_old, false };
    const char *o = borrow(g, n->lhs);
    switch (n->builtin) {
    case A_VALUE:
        if (locked_read(g, n->lhs))
            return (CExpr){ gstr(g, "mp_value_read_%s(%s, %s)", ksuffix(n->type), o, loc(g, n->span)), false };
        return (CExpr){ gstr(g, "mp_value_load_%s(%s)", ksuffix(n->type), o), false };
    case A_PID:
        return (CExpr){ gstr(g, "mp_proc_pid(%s)", o), false };
    case A_EXITCODE:
        return (CExpr){ gstr(g, "(int64_t)mp_proc_exitcode(%s)", o), false };
    case A_NAME:
        return (CExpr){ gstr(g, "mp_str_cstr(mp_proc_name(%s))", o), true };
    default:
        return (CExpr){ "0", false };
    }
}

static bool is_float(const Node *n) { return n->type->kind == TY_FLOAT; }

/* min/max over two or more numbers. */
static CExpr gen_minmax(Gen *g, Node *n, bool max) {
    Type *t = n->type;
    const char *acc = new_tmp(g, "m");
    Node **argv = n->argv;
    emit(g, "%s = %s;", decl(g, t, acc), borrow_as(g, argv[0], t));
    for (int i = 1; i < n->argc; i++) {
        const char *v = borrow_as(g, argv[i], t);
        emit(g, "if (%s %s %s) %s = %s;", v, max ? ">" : "<", acc, acc, v);
    }
    return (CExpr){ acc, false };
}

static CExpr gen_builtin(Gen *g, Node *n) {
    Node **a = n->argv;
    const char *at = loc(g, n->span);
    switch (n->builtin) {
    case B_PRINT: {
        bool interpolated = n->argc == 1 && a[0]->kind == ND_STR && a[0]->parts &&
                            (a[0]->parts->kind != ND_STRPART || a[0]->parts->next);
        if (n->argc == 1 && a[0]->type->kind == TY_STR && !interpolated) {
            emit(g, "mp_print(%s);", borrow(g, a[0]));
            return (CExpr){ NULL, false };
        }
        const char *b = new_tmp(g, "b");
        emit(g, "mp_buf %s;", b);
        emit(g, "mp_buf_init(&%s);", b);
        for (int i = 0; i < n->argc; i++) {
            if (i > 0) emit(g, "mp_buf_cstr(&%s, \" \", 1);", b);
            append_value(g, b, a[i]);
        }
        emit(g, "mp_print_buf(&%s);", b);
        emit(g, "mp_buf_free(&%s);", b);
        return (CExpr){ NULL, false };
    }
    case B_LEN: {
        const char *v = borrow(g, a[0]);
        switch (a[0]->type->kind) {
        case TY_STR: return (CExpr){ gstr(g, "mp_str_len(%s)", v), false };
        case TY_LIST: return (CExpr){ gstr(g, "mp_list_len(%s)", v), false };
        case TY_ARRAY: return (CExpr){ gstr(g, "mp_array_len(%s)", v), false };
        default: return (CExpr){ gstr(g, "count_%s", v + 2), false };  /* a group */
        }
    }
    case B_STR: {
        if (a[0]->type->kind == TY_STR) return gen_expr(g, a[0]);
        if (a[0]->type->kind == TY_ARRAY) {
            /* An array is no mp_val: formatted as "{a}" is. */
            const char *b = new_tmp(g, "b");
            emit(g, "mp_buf %s;", b);
            emit(g, "mp_buf_init(&%s);", b);
            append_value(g, b, a[0]);
            return (CExpr){ gstr(g, "mp_buf_finish(&%s)", b), true };
        }
        const char *v = borrow(g, a[0]);
        return (CExpr){ gstr(g, "mp_str_of(%s, %s)", tdesc(g, a[0]->type), mpval(g, a[0]->type, v)), true };
    }
    case B_INT: {
        const char *v = borrow(g, a[0]);
        switch (a[0]->type->kind) {
        case TY_STR: return (CExpr){ gstr(g, "mp_int_of_str(%s, %s)", v, at), false };
        case TY_FLOAT: return (CExpr){ gstr(g, "mp_int_of_float(%s, %s)", v, at), false };
        case TY_BOOL: return (CExpr){ gstr(g, "(int64_t)%s", v), false };
        default: return (CExpr){ v, false };
        }
    }
    case B_FLOAT: {
        const char *v = borrow(g, a[0]);
        if (a[0]->type->kind == TY_STR) return (CExpr){ gstr(g, "mp_float_of_str(%s, %s)", v, at), false };
        return (CExpr){ gstr(g, "(double)%s", v), false };
    }
    case B_BOOL: {
        const char *v = borrow(g, a[0]);
        switch (a[0]->type->kind) {
        case TY_STR: return (CExpr){ gstr(g, "(mp_str_len(%s) != 0)", v), false };
        case TY_LIST: return (CExpr){ gstr(g, "(mp_list_len(%s) != 0)", v), false };
        default: return (CExpr){ gstr(g, "(%s != 0)", v), false };
        }
    }
    case B_ABS: {
        const char *v = borrow(g, a[0]);
        if (is_float(a[0])) return (CExpr){ gstr(g, "mp_fabs(%s)", v), false };
        return (CExpr){ gstr(g, "mp_abs(%s, %s)", v, at), false };
    }
    case B_MIN: return gen_minmax(g, n, false);
    case B_MAX: return gen_minmax(g, n, true);
    case B_GETPID: return (CExpr){ "mp_getpid()", false };
    case B_GETPPID: return (CExpr){ "mp_getppid()", false };
    case B_SLEEP:
        emit(g, "mp_sleep(%s, %s);", borrow_as(g, a[0], type_basic(TY_FLOAT)), at);
        return (CExpr){ NULL, false };
    case B_EXIT:
        emit(g, "mp_exit((int)%s);", borrow(g, a[0]));
        return (CExpr){ NULL, false };
    default:
        return (CExpr){ "0", false };
    }
}

/* `timeout` keyword or positional argument K of a method call, as a
 * double; ABSENT when not given. */
static const char *timeout_arg(Gen *g, Node *n, int k, const char *absent) {
    if (k < n->argc && n->argv[k]) return borrow_as(g, n->argv[k], type_basic(TY_FLOAT));
    return absent;
}

static CExpr gen_method(Gen *g, Node *n) {
    Node *obj = n->callee->lhs;
    const char *o = borrow(g, obj);
    if (n->argc > 0 && n->argv[0]) {
        /* the object (`xs[i()]`) before the argument (`.append(f())`) */
        Ops ops = {0};
        ops_add(&ops, o, obj->type, false);
        pin(g, &ops, 0);
        o = ops.code[0];
        ops_free(&ops);
    }
    const char *at = loc(g, n->span);
    Type *et = obj->type->elem;
    Node **a = n->argv;
    switch (n->builtin) {
    case M_SEND:
        emit(g, "mp_send(%s, %s, %s);", o, mpval(g, et, borrow_as(g, a[0], et)), at);
        return (CExpr){ NULL, false };
    case M_RECV:
        return (CExpr){ gstr(g, "mp_recv(%s, %s).%s", o, at, vfield(et)), is_heap(et) };
    case M_POLL:
        return (CExpr){ gstr(g, "mp_poll(%s, %s, %s)", o, timeout_arg(g, n, 0, "0.0"), at), false };
    case M_CLOSE:
        emit(g, "mp_close(%s, %s);", o, at);
        return (CExpr){ NULL, false };
    case M_PUT:
    case M_PUT_NOWAIT: {
        /* put() hands its reference to the queue's copy; the runtime
         * copies the bytes, so a borrowed value is enough. */
        const char *v = borrow_as(g, a[0], et);
        if (n->builtin == M_PUT) emit(g, "mp_put(%s, %s, %s);", o, mpval(g, et, v), at);
        else emit(g, "mp_put_nowait(%s, %s, %s);", o, mpval(g, et, v), at);
        return (CExpr){ NULL, false };
    }
    case M_GET:
        if (n->argc > 0 && a[0])
            return (CExpr){ gstr(g, "mp_get_wait(%s, %s, %s).%s", o, timeout_arg(g, n, 0, "-1.0"), at, vfield(et)), is_heap(et) };
        return (CExpr){ gstr(g, "mp_get(%s, %s).%s", o, at, vfield(et)), is_heap(et) };
    case M_GET_NOWAIT:
        return (CExpr){ gstr(g, "mp_get_wait(%s, 0.0, %s).%s", o, at, vfield(et)), is_heap(et) };
    case M_EMPTY:
        return (CExpr){ gstr(g, "mp_queue_empty(%s)", o), false };
    case M_QSIZE:
        return (CExpr){ gstr(g, "mp_queue_size(%s)", o), false };
    case M_APPEND:
        emit(g, "mp_list_push(%s, %s);", o, mpval(g, et, owned(g, a[0], et)));
        return (CExpr){ NULL, false };
    case M_IS_ALIVE:
        return (CExpr){ gstr(g, "mp_proc_is_alive(%s)", o), false };
    case M_TERMINATE:
        emit(g, "mp_terminate(%s, %s);", o, at);
        return (CExpr){ NULL, false };
    case M_KILL:
        emit(g, "mp_kill(%s, %s);", o, at);
        return (CExpr){ NULL, false };
    case M_JOIN:
        return (CExpr){ gstr(g, "mp_join_timeout(%s, %s, %s)", o, timeout_arg(g, n, 0, "-1.0"), at), false };
    default:
        return (CExpr){ "0", false };
    }
}

/* The arguments of call N to a def, generated in source order (keyword
 * arguments too, as Python evaluates them, not in parameter order): the
 * code of parameter k's argument ends up in ARGS[k], converted to the
 * parameter's type. OWN (a process declaration): owned, and lists copied,
 * so later changes to them do not reach the process. */
static void def_args(Gen *g, Node *n, bool own, const char **args) {
    Node *def = n->callee->sym->decl;
    Ops ops = {0};
    int *slot = calloc((size_t)n->argc + 1, sizeof *slot);
    if (!slot) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    for (Node *a = n->args; a; a = a->next) {
        Node *v = a->kind == ND_KWARG ? a->lhs : a;
        Node *param = def->params;
        for (int k = 0; k < n->argc; k++, param = param->next)
            if (n->argv[k] == v)
                slot[k] = operand(g, &ops, v, own && v->type->kind != TY_LIST, param->decl_type);
    }
    ops_settle(g, &ops);
    Node *param = def->params;
    for (int k = 0; k < n->argc; k++, param = param->next) {
        const char *c = ops.code[slot[k]];
        if (!ops.owned[slot[k]] && param->decl_type->kind == TY_FLOAT && n->argv[k]->type->kind == TY_INT)
            c = gstr(g, "(double)%s", c);
        if (own && n->argv[k]->type->kind == TY_LIST) c = gstr(g, "mp_list_copy(%s)", c);
        args[k] = c;
    }
    free(slot);
    ops_free(&ops);
}

static CExpr gen_call(Gen *g, Node *n) {
    if (n->callee->kind == ND_MEMBER) return gen_method(g, n);
    if (n->builtin != B_NONE) return gen_builtin(g, n);
    Symbol *f = n->callee->sym;
    Buf args = {0};
    const char **argv = malloc(((size_t)n->argc + 1) * sizeof *argv);
    if (!argv) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    def_args(g, n, false, argv);
    for (int i = 0; i < n->argc; i++) buf_printf(&args, "%s%s", i ? ", " : "", argv[i]);
    free(argv);
    const char *call = gstr(g, "%s(%s)", cname(g, f), args.data ? args.data : "");
    free(args.data);
    /* Deep recursion is a located runtime error, not a SIGSEGV. */
    emit(g, "mp_stack_check(%s);", loc(g, n->span));
    if (n->type->kind == TY_NONE) {
        emit(g, "%s;", call);
        return (CExpr){ NULL, false };
    }
    if (is_heap(n->type)) return (CExpr){ call, true };
    /* Scalars from calls are held too, so calls run left to right. */
    const char *t = new_tmp(g, "r");
    emit(g, "%s = %s;", decl(g, n->type, t), call);
    return (CExpr){ t, false };
}

static CExpr gen_expr(Gen *g, Node *n) {
    switch (n->kind) {
    case ND_INT:
        if (n->ival == INT64_MIN) return (CExpr){ "INT64_MIN", false };
        return (CExpr){ gstr(g, "%" PRId64, n->ival), false };
    case ND_FLOAT: {
        if (n->fval != n->fval) return (CExpr){ "MP_NAN", false };
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", n->fval);
        if (!strpbrk(buf, ".eEni")) strcat(buf, ".0");
        if (strcmp(buf, "inf") == 0) return (CExpr){ "MP_INFINITY", false };
        return (CExpr){ gstr(g, "%s", buf), false };
    }
    case ND_BOOL: return (CExpr){ n->ival ? "true" : "false", false };
    case ND_STR: return gen_fstring(g, n);
    case ND_NAME: {
        Symbol *s = n->sym;
        return (CExpr){ cname(g, s), false };
    }
    case ND_LIST: return gen_list(g, n);
    case ND_UNARY: return gen_unary(g, n);
    case ND_BINARY: return gen_binary(g, n);
    case ND_CALL: return gen_call(g, n);
    case ND_INDEX: return gen_index(g, n);
    case ND_MEMBER: return gen_member(g, n);
    default: return (CExpr){ "0", false };
    }
}

/* ---- shared objects in statements ----------------------------------------- */

/* Whether expression N reads shared object S (a value or array symbol). */
static bool reads_shared_child(void *s, Node *child, const char *role);

static bool reads_shared(Node *n, Symbol *s) {
    if (!n) return false;
    if (n->kind == ND_NAME) return n->sym == s;
    return ast_children(n, true, reads_shared_child, s);
}

static bool reads_shared_child(void *s, Node *child, const char *role) {
    (void)role;
    return reads_shared(child, s);
}

/* Structurally equal pure expressions (for a[i] on both sides). */
static bool same_expr(const Node *a, const Node *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind || a->op != b->op) return false;
    switch (a->kind) {
    case ND_INT: case ND_BOOL: return a->ival == b->ival;
    case ND_NAME: return a->sym == b->sym;
    case ND_UNARY: return same_expr(a->lhs, b->lhs);
    case ND_BINARY: return same_expr(a->lhs, b->lhs) && same_expr(a->rhs, b->rhs);
    default: return false;
    }
}

/* An expression whose evaluation has no effect but its value (and maybe a
 * runtime error): it can be evaluated again when a compare-and-swap is
 * retried. Reads of shared object S are allowed only at TARGET's place. */
static bool pure_on(const Node *n, const Symbol *s, const Node *target) {
    if (!n) return true;
    switch (n->kind) {
    case ND_INT: case ND_FLOAT: case ND_BOOL: return true;
    case ND_NAME: return n->sym != s;
    case ND_UNARY: return pure_on(n->lhs, s, target);
    case ND_BINARY: return pure_on(n->lhs, s, target) && pure_on(n->rhs, s, target);
    case ND_MEMBER:
        if (n->builtin == A_VALUE && n->lhs->kind == ND_NAME && n->lhs->sym == s)
            return target->kind == ND_MEMBER;
        return false;
    case ND_INDEX:
        if (n->lhs->kind == ND_NAME && n->lhs->sym == s)
            return target->kind == ND_INDEX && same_expr(n->rhs, target->rhs);
        return n->lhs->type->kind == TY_ARRAY && pure_on(n->lhs, s, target) && pure_on(n->rhs, s, target);
    default:
        return false;
    }
}

static bool is_locked(Gen *g, Symbol *s) {
    for (int i = 0; i < g->nlocked; i++) if (g->locked[i] == s) return true;
    return false;
}

/* The shared object written by an assignment target: v.value or a[i]. */
static Symbol *shared_target(Node *target) {
    Node *obj = NULL;
    if (target->kind == ND_MEMBER && target->builtin == A_VALUE) obj = target->lhs;
    if (target->kind == ND_INDEX && target->lhs->type->kind == TY_ARRAY) obj = target->lhs;
    return obj && obj->kind == ND_NAME ? obj->sym : NULL;
}

/* The runtime's atomic read-modify-write for `target op= e`, or NULL. */
static const char *atomic_op(Node *target, Op op, Type *t) {
    bool array = target->kind == ND_INDEX;
    if (t->kind == TY_INT) {
        if (op == OP_ADD) return "add";
        if (op == OP_SUB) return "sub";
        if (array) return NULL;
        return op == OP_BITAND ? "and" : op == OP_BITOR ? "or" : op == OP_BITXOR ? "xor" : NULL;
    }
    if (t->kind == TY_FLOAT && (op == OP_ADD || op == OP_SUB)) return "add";
    return NULL;
}

/* How a statement writing shared object S is made atomic when no lock
 * block on S encloses it. */
typedef enum SharedPlan { SH_STORE, SH_ATOMIC, SH_CAS, SH_LOCK } SharedPlan;

static SharedPlan shared_plan(Node *n, Symbol *s) {
    Node *target = n->lhs;
    Type *t = target->type;
    if (atomic_op(target, n->op, t) && !reads_shared(n->rhs, s)) return SH_ATOMIC;
    if (n->op == OP_NONE && !reads_shared(n->rhs, s)) return SH_STORE;
    if (t->kind != TY_BOOL && pure_on(n->rhs, s, target)) return SH_CAS;
    return SH_LOCK;
}

/* ---- guarded objects ------------------------------------------------------- */

/* A lock block's loads and stores are atomic only against others that
 * take the same lock. So an object that a lock block names, or that some
 * statement must lock, is guarded: every access to it, in any process,
 * takes its lock (re-entrant, so a def called inside a block can use the
 * object too) instead of a lock-free atomic operation. Objects never
 * locked keep the lock-free path. A handle parameter may stand for any
 * object of its type: locking through a parameter guards the whole type,
 * and a parameter is guarded when any object of its type is. */
static void guard(Gen *g, Symbol *s) {
    if (!s->global) {
        for (int i = 0; i < g->nguarded_types; i++) if (g->guarded_types[i] == s->type) return;
        if (g->nguarded_types < (int)(sizeof g->guarded_types / sizeof g->guarded_types[0]))
            g->guarded_types[g->nguarded_types++] = s->type;
        return;
    }
    for (int i = 0; i < g->nguarded; i++) if (g->guarded[i] == s) return;
    if (g->nguarded == g->capguarded) {
        g->capguarded = g->capguarded ? 2 * g->capguarded : 8;
        g->guarded = realloc(g->guarded, (size_t)g->capguarded * sizeof *g->guarded);
        if (!g->guarded) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    }
    g->guarded[g->nguarded++] = s;
}

static bool is_guarded(Gen *g, Symbol *s) {
    for (int i = 0; i < g->nguarded_types; i++) if (g->guarded_types[i] == s->type) return true;
    for (int i = 0; i < g->nguarded; i++)
        if (g->guarded[i] == s || (!s->global && g->guarded[i]->type == s->type)) return true;
    return false;
}

static bool find_guarded(void *g, Node *n, const char *role) {
    (void)role;
    if (n->kind == ND_LOCK && n->lhs->kind == ND_NAME && n->lhs->sym)
        guard(g, n->lhs->sym);
    if (n->kind == ND_ASSIGN) {
        Symbol *s = shared_target(n->lhs);
        if (s && shared_plan(n, s) == SH_LOCK) guard(g, s);
    }
    ast_children(n, true, find_guarded, g);
    return false;
}

static void find_guarded_all(Gen *g) {
    for (Node *d = g->prog->defs; d; d = d->next) find_guarded(g, d, NULL);
    for (Node *n = g->prog->top; n; n = n->next) find_guarded(g, n, NULL);
}

static bool locked_read(Gen *g, const Node *obj) {
    if (obj->kind != ND_NAME || !obj->sym || g->stmt_locked) return false;
    return !is_locked(g, obj->sym) && is_guarded(g, obj->sym);
}

/* ---- statements ------------------------------------------------------------ */

/* `a[i] = a[i] ** 2`, `v.value = v.value * 2 + 1`, `v.value *= 3`: one
 * shared location read and written by a pure expression becomes a
 * compare-and-swap loop, atomic without a lock. */
static void gen_cas(Gen *g, Node *n, Symbol *shared) {
    Node *target = n->lhs;
    Type *t = target->type;
    const char *o = cname(g, shared);
    const char *k = t->kind == TY_FLOAT ? "f" : "i";
    const char *idx = NULL;
    const char *old = new_tmp(g, "old");
    if (target->kind == ND_INDEX) {
        idx = hold(g, type_basic(TY_INT), gstr(g, "mp_array_index(%s, %s, %s)", o, borrow(g, target->rhs), loc(g, target->span)));
        emit(g, "%s = mp_array_load_%s(%s, %s, %s);", decl(g, t, old), k, o, idx, loc(g, target->span));
    } else {
        emit(g, "%s = mp_value_load_%s(%s);", decl(g, t, old), k, o);
    }
    /* The new value is computed in a buffer first: when it needs no
     * statements of its own the loop is a bare retry of the swap. */
    Buf *saved = g->out;
    int saved_mapped = g->mapped;
    Buf body = {0};
    g->out = &body;
    g->indent++;
    g->cas_sym = shared;
    g->cas_old = old;
    const char *value;
    if (n->op == OP_NONE) {
        value = borrow_as(g, n->rhs, t);
    } else {
        const char *r = borrow(g, n->rhs);
        if (t->kind == TY_FLOAT && n->rhs->type->kind == TY_INT) r = gstr(g, "(double)%s", r);
        value = arith(g, n->op, t, old, r, n->span);
    }
    g->cas_sym = NULL;
    g->indent--;
    g->out = saved;
    const char *swap = idx
        ? gstr(g, "mp_array_cas_%s(%s, %s, &%s, %s, %s)", k, o, idx, old, value, loc(g, target->span))
        : gstr(g, "mp_value_cas_%s(%s, &%s, %s)", k, o, old, value);
    if (body.len == 0) {
        emit(g, "while (!%s)", swap);
        emit(g, "    continue;");
    } else {
        g->mapped = saved_mapped;
        emit(g, "for (;;) {");
        buf_put(g->out, body.data, body.len);
        g->indent++;
        emit(g, "if (%s) break;", swap);
        g->indent--;
        emit(g, "}");
        g->mapped = 0;
    }
    free(body.data);
}

/* Runs one statement's generation inside a temporaries scope, so owned
 * temporaries are released right after it. */
static void stmt_begin(Gen *g, Scope *temps) {
    scope_push(g, temps, false);
    temps->temps = true;
}

static void stmt_end(Gen *g, Scope *temps) {
    (void)temps;
    scope_pop(g, true);
}

/* Stores the owned value CODE into variable C of type T, releasing the old. */
static void store_var(Gen *g, const char *c, Type *t, const char *code) {
    if (is_heap(t)) {
        const char *tmp = new_tmp(g, "t");
        emit(g, "%s = %s;", decl(g, t, tmp), code);
        emit_release(g, c, t);
        emit(g, "%s = %s;", c, tmp);
    } else {
        emit(g, "%s = %s;", c, code);
    }
}

static void gen_let(Gen *g, Node *n) {
    Symbol *s = n->sym;
    Type *t = s->type;
    Scope temps;
    stmt_begin(g, &temps);
    const char *v = owned(g, n->rhs, t);
    Scope *outer = temps.up;
    emit(g, "%s = %s;", decl(g, t, cname(g, s)), v);
    stmt_end(g, &temps);
    if (is_heap(t)) scope_add(outer, cname(g, s), t);
}

/* Takes a statement's lock on its target; reads of other shared objects
 * in the rest of the statement are plain atomic loads, so a statement never
 * holds two locks (and two statements cannot deadlock each other). */
static void lock_stmt(Gen *g, const char *kind, const char *obj, Span at) {
    emit(g, "mp_%s_lock(%s, %s);", kind, obj, loc(g, at));
    g->stmt_locked = true;
}

/* A scalar right side computed into a temporary before a statement takes
 * its lock, so the reads of other shared objects in it are not made while
 * holding it. Literals and local names need no temporary. */
static const char *settle(Gen *g, Node *rhs, Type *t, const char *code) {
    if (rhs->kind == ND_INT || rhs->kind == ND_FLOAT || rhs->kind == ND_BOOL
        || (rhs->kind == ND_NAME && (rhs->sym->kind == SYM_VAR || rhs->sym->kind == SYM_PARAM)))
        return code;
    return hold(g, t, code);
}

/* a[i] op= e and a[i] = e on a list, array or value. */
static void gen_assign(Gen *g, Node *n) {
    Node *target = n->lhs;
    Type *t = target->type;
    Scope temps;
    stmt_begin(g, &temps);
    Symbol *shared = shared_target(target);
    bool lock = false;
    if (shared && !is_locked(g, shared)) {
        SharedPlan plan = is_guarded(g, shared) ? SH_LOCK : shared_plan(n, shared);
        if (plan == SH_ATOMIC) {
            /* A compound form the runtime has as one atomic operation. */
            const char *fn = atomic_op(target, n->op, t);
            const char *d = borrow_as(g, n->rhs, t);
            const char *o = cname(g, shared);
            if (n->op == OP_SUB && strcmp(fn, "add") == 0)
                d = gstr(g, "(-%s)", d);    /* float: negation is exact */
            bool has_loc = t->kind == TY_INT && (n->op == OP_ADD || n->op == OP_SUB);
            if (target->kind == ND_MEMBER) {
                if (has_loc) emit(g, "mp_value_%s_%s(%s, %s, %s);", fn, ksuffix(t), o, d, loc(g, n->span));
                else emit(g, "mp_value_%s_%s(%s, %s);", fn, ksuffix(t), o, d);
            } else {
                const char *i = borrow(g, target->rhs);
                emit(g, "mp_array_%s_%s(%s, %s, %s, %s);", fn, ksuffix(t), o, i, d, loc(g, target->span));
            }
            stmt_end(g, &temps);
            return;
        }
        if (plan == SH_CAS) {
            gen_cas(g, n, shared);
            stmt_end(g, &temps);
            return;
        }
        lock = plan == SH_LOCK;
    }
    /* A statement that reads what it writes holds the lock from the start;
     * one that does not takes it only around the store, after its right
     * side (and any call in it) is evaluated, as Python does. */
    const char *obj = lock ? cname(g, shared) : NULL;
    const char *kind = lock && shared->type->kind == TY_VALUE ? "value" : "array";
    bool early = lock && reads_shared(n->rhs, shared);
    if (early) lock_stmt(g, kind, obj, n->span);
    /* `t[i] = e`: Python evaluates e first, then the target's container
     * and index; `t[i] op= e` the other way round. */
    const char *first = NULL;
    if (n->op == OP_NONE && target->kind == ND_INDEX && !early) {
        Ops ops = {0};
        operand(g, &ops, n->rhs, true, t);
        pin(g, &ops, 0);
        first = ops.code[0];
        ops_free(&ops);
    }
    /* Target's container and index first, as Python evaluates them. */
    const char *container = NULL, *index = NULL;
    if (target->kind == ND_MEMBER) container = borrow(g, target->lhs);
    if (target->kind == ND_INDEX) {
        sides(g, target, &container, &index);
        if (target->lhs->type->kind == TY_ARRAY)
            index = hold(g, type_basic(TY_INT), gstr(g, "mp_array_index(%s, %s, %s)", container, index, loc(g, target->span)));
    }
    if (n->op == OP_ADD && t->kind == TY_LIST) {
        /* xs += ys extends the list in place, as in Python (aliases see it). */
        const char *cur = target->kind == ND_NAME ? cname(g, target->sym)
                        : gstr(g, "mp_list_get(%s, %s, %s).l", container, index, loc(g, target->span));
        emit(g, "mp_list_extend(%s, %s);", cur, borrow(g, n->rhs));
        stmt_end(g, &temps);
        return;
    }
    const char *value;
    if (n->op == OP_NONE) {
        value = first ? first : owned(g, n->rhs, t);
        if (lock && !early) {
            if (!first) value = settle(g, n->rhs, t, value);
            lock_stmt(g, kind, obj, n->span);
        }
    } else {
        /* x op= e: read the current value through the container and
         * index evaluated above (calls are hoisted, so what is left of
         * them is pure), then combine. */
        const char *curv;
        if (target->kind == ND_NAME)
            curv = cname(g, target->sym);
        else if (target->kind == ND_MEMBER)
            curv = gstr(g, "mp_value_load_%s(%s)", ksuffix(t), container);
        else if (target->lhs->type->kind == TY_ARRAY)
            curv = gstr(g, "mp_array_load_%s(%s, %s, %s)", ksuffix(t), container, index, loc(g, target->span));
        else
            curv = gstr(g, "mp_list_get(%s, %s, %s).%s", container, index, loc(g, target->span), vfield(t));
        const char *r = borrow(g, n->rhs);
        if (lock && !early) {
            r = settle(g, n->rhs, n->rhs->type, r);
            lock_stmt(g, kind, obj, n->span);
        }
        Type *rt = n->rhs->type;
        if (is_heap(t)) {
            const char *what = t->kind == TY_STR ? "str" : "list";
            value = gstr(g, "mp_%s_%s(%s, %s)", what, n->op == OP_ADD ? "concat" : "repeat", curv, r);
        } else {
            if (t->kind == TY_FLOAT && rt->kind == TY_INT) r = gstr(g, "(double)%s", r);
            value = arith(g, n->op, t, curv, r, n->span);
        }
    }
    switch (target->kind) {
    case ND_NAME:
        store_var(g, cname(g, target->sym), t, value);
        break;
    case ND_MEMBER:
        emit(g, "mp_value_store_%s(%s, %s);", ksuffix(t), container, value);
        break;
    default:
        if (target->lhs->type->kind == TY_ARRAY)
            emit(g, "mp_array_store_%s(%s, %s, %s, %s);", ksuffix(t), container, index, value, loc(g, target->span));
        else
            emit(g, "mp_list_set(%s, %s, %s, %s);", container, index, mpval(g, t, value), loc(g, target->span));
    }
    if (lock) {
        emit(g, "mp_%s_unlock(%s, %s);", kind, obj, loc(g, n->span));
        g->stmt_locked = false;
    }
    stmt_end(g, &temps);
}

static void gen_if(Gen *g, Node *n) {
    Scope temps;
    stmt_begin(g, &temps);
    const char *c = borrow(g, n->cond);
    /* The condition's temporaries are released before either branch. */
    if (temps.n) {
        const char *cv = new_tmp(g, "c");
        emit(g, "bool %s = %s;", cv, c);
        c = cv;
    }
    stmt_end(g, &temps);
    emit(g, "if (%s) {", unparen(g, c));
    gen_block(g, n->then, false);
    if (!n->els) {
        emit(g, "}");
        return;
    }
    emit(g, "} else {");
    g->indent++;
    if (n->els->kind == ND_IF) {
        map(g, n->els);
        gen_if(g, n->els);
    } else {
        g->indent--;
        gen_block(g, n->els, false);
        g->indent++;
    }
    g->indent--;
    emit(g, "}");
}

static void gen_while(Gen *g, Node *n) {
    Buf *saved = g->out;
    Buf cond = {0};
    g->out = &cond;
    Scope temps;
    stmt_begin(g, &temps);
    g->indent++;
    const char *c = borrow(g, n->cond);
    g->indent--;
    bool simple = cond.len == 0 && temps.n == 0;
    g->out = saved;
    if (simple) {
        scope_pop(g, false);
        emit(g, "while (%s) {", unparen(g, c));
    } else {
        emit(g, "while (true) {");
        buf_put(g->out, cond.data, cond.len);
        g->indent++;
        const char *cv = new_tmp(g, "c");
        emit(g, "bool %s = %s;", cv, c);
        scope_pop(g, true);
        emit(g, "if (!%s) break;", cv);
        g->indent--;
        g->mapped = 0;
    }
    free(cond.data);
    gen_block(g, n->body, true);
    emit(g, "}");
}

/* Declares the loop variable of N holding VALUE (borrowed) for one
 * iteration; heap values take a reference released at the iteration end. */
static void loop_var(Gen *g, Node *n, const char *value, bool value_owned) {
    Symbol *s = n->sym;
    Type *t = s->type;
    if (!s->used) {     /* `for _ in range(n)`: nothing to declare */
        if (value_owned && is_heap(t)) emit_release(g, value, t);
        return;
    }
    if (is_heap(t) && !value_owned)
        value = gstr(g, "%s(%s)", t->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", value);
    emit(g, "%s = %s;", decl(g, t, cname(g, s)), value);
}

/* The loop body: a block whose scope also owns the loop variable. */
static void loop_body(Gen *g, Node *n, Scope *iter) {
    Symbol *s = n->sym;
    if (is_heap(s->type) && s->used) scope_add(iter, cname(g, s), s->type);
    for (Node *st = n->body->body; st; st = st->next) gen_stmt(g, st);
}

static void gen_for(Gen *g, Node *n) {
    Node *it = n->rhs;
    Type *t = it->type;
    Scope iter;
    Scope temps;
    stmt_begin(g, &temps);
    if (it->kind == ND_CALL && it->builtin == B_RANGE) {
        const char *start = "0", *stop, *step = "1";
        Ops ops = {0};
        for (int k = 0; k < it->argc; k++) operand(g, &ops, it->argv[k], false, NULL);
        if (it->argc == 1) stop = ops.code[0];
        else { start = ops.code[0]; stop = ops.code[1]; }
        if (it->argc == 3) step = ops.code[2];
        if (it->argc > 1) {     /* start is used last, in the loop's init */
            pin(g, &ops, 0);
            start = ops.code[0];
        }
        ops_free(&ops);
        const char *i = new_tmp(g, "i");
        const char *hi = new_tmp(g, "n");
        emit(g, "int64_t %s = %s;", hi, stop);
        if (strcmp(step, "1") == 0) {
            emit(g, "for (int64_t %s = %s; %s < %s; %s++) {", i, start, i, hi, i);
        } else {
            const char *st = new_tmp(g, "s");
            emit(g, "int64_t %s = mp_range_step(%s, %s);", st, step, loc(g, it->span));
            emit(g, "for (int64_t %s = %s; %s > 0 ? %s < %s : %s > %s; %s = mp_range_next(%s, %s, %s)) {",
                 i, start, st, i, hi, i, hi, i, i, st, hi);
        }
        g->indent++;
        scope_push(g, &iter, true);
        loop_var(g, n, i, false);
    } else if (t->kind == TY_LIST || t->kind == TY_STR || t->kind == TY_ARRAY) {
        /* The iterable is referenced for the loop, and indexed live. */
        CExpr e = gen_expr(g, it);
        const char *seq = e.code;
        if (is_heap(t)) seq = hold(g, t, e.owned ? e.code : gstr(g, "%s(%s)", t->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", e.code));
        const char *i = new_tmp(g, "i");
        const char *len = t->kind == TY_LIST ? "mp_list_len" : "mp_array_len";
        if (t->kind == TY_STR)  /* by byte offset: one pass over the characters */
            emit(g, "for (size_t %s = 0; %s < %s->len;) {", i, i, seq);
        else
            emit(g, "for (int64_t %s = 0; %s < %s(%s); %s++) {", i, i, len, seq, i);
        g->indent++;
        scope_push(g, &iter, true);
        if (t->kind == TY_LIST)
            loop_var(g, n, gstr(g, "mp_list_get(%s, %s, %s).%s", seq, i, loc(g, it->span), vfield(t->elem)), false);
        else if (t->kind == TY_STR)
            loop_var(g, n, gstr(g, "mp_str_next(%s, &%s)", seq, i), true);
        else
            loop_var(g, n, gstr(g, "mp_array_%s_%s(%s, %s, %s)", locked_read(g, it) ? "read" : "load", ksuffix(t->elem), seq, i, loc(g, it->span)), false);
    } else {
        /* conn or queue: until end of stream */
        const char *o = borrow(g, it);
        const char *v = new_tmp(g, "m");
        emit(g, "mp_val %s;", v);
        emit(g, "while (%s(%s, &%s, %s)) {", t->kind == TY_CONN ? "mp_recv_next" : "mp_get_next",
             o, v, loc(g, it->span));
        g->indent++;
        scope_push(g, &iter, true);
        loop_var(g, n, gstr(g, "%s.%s", v, vfield(t->elem)), true);
    }
    loop_body(g, n, &iter);
    scope_pop(g, true);
    g->indent--;
    emit(g, "}");
    stmt_end(g, &temps);
}

/* lock v { ... }: the block's scope holds the lock, so leaving it by any
 * way (its end, break, continue, return) unlocks after releasing. */
static void gen_lock(Gen *g, Node *n) {
    Symbol *s = n->lhs->sym;
    bool nested = is_locked(g, s);
    if (!nested && g->nlocked == (int)(sizeof g->locked / sizeof g->locked[0]))
        nested = true;      /* deeper than any real program; stays correct, just locks less */
    emit(g, "{");
    Scope block;
    g->indent++;
    scope_push(g, &block, false);
    if (!nested) {
        block.unlock = s;
        block.unlock_at = loc(g, n->span);
        emit(g, "mp_%s_lock(%s, %s);", s->type->kind == TY_VALUE ? "value" : "array", cname(g, s), block.unlock_at);
        g->locked[g->nlocked++] = s;
    }
    for (Node *st = n->body->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, true);
    if (!nested) g->nlocked--;
    g->indent--;
    emit(g, "}");
}

static void gen_return(Gen *g, Node *n) {
    if (!n->lhs) {
        release_until(g, false);
        emit(g, "return;");
        return;
    }
    Scope temps;
    stmt_begin(g, &temps);
    const char *v = owned(g, n->lhs, g->def ? g->def->ret_type : NULL);
    bool releases = false;
    for (Scope *s = temps.up; s; s = s->up) releases = releases || s->n || s->unlock;
    if (!releases && temps.n == 0) {
        scope_pop(g, false);
        emit(g, "return %s;", unparen(g, v));
        return;
    }
    const char *r = new_tmp(g, "ret");
    Type *rt = g->def && g->def->ret_type ? g->def->ret_type : n->lhs->type;
    emit(g, "%s = %s;", decl(g, rt, r), v);
    stmt_end(g, &temps);
    release_until(g, false);
    emit(g, "return %s;", r);
}

static void gen_stmt(Gen *g, Node *n) {
    map(g, n);
    Scope temps;
    switch (n->kind) {
    case ND_LET: gen_let(g, n); break;
    case ND_ASSIGN: gen_assign(g, n); break;
    case ND_IF: gen_if(g, n); break;
    case ND_WHILE: gen_while(g, n); break;
    case ND_FOR: gen_for(g, n); break;
    case ND_BREAK:
    case ND_CONTINUE:
        /* lock blocks inside the loop are not crossed: sema keeps loops and
         * locks apart by releasing them here. */
        release_until(g, true);
        emit(g, "%s;", n->kind == ND_BREAK ? "break" : "continue");
        break;
    case ND_RETURN: gen_return(g, n); break;
    case ND_LOCK: gen_lock(g, n); break;
    case ND_BLOCK:
        emit(g, "{");
        gen_block(g, n, false);
        emit(g, "}");
        break;
    case ND_PASS: break;
    case ND_EXPR_STMT: {
        stmt_begin(g, &temps);
        CExpr e = gen_expr(g, n->lhs);
        if (e.code) {
            if (e.owned) hold(g, n->lhs->type, e.code);
            else if (n->lhs->kind == ND_CALL) emit(g, "(void)%s;", e.code);
        }
        stmt_end(g, &temps);
        break;
    }
    default:
        break;
    }
}

/* The statements of BLOCK inside braces the caller has opened. */
static void gen_block(Gen *g, Node *block, bool loop) {
    Scope s;
    g->indent++;
    scope_push(g, &s, loop);
    for (Node *st = block->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, true);
    g->indent--;
}

/* ---- definitions ----------------------------------------------------------- */

static void gen_signature(Gen *g, Buf *b, Node *def) {
    Type *rt = def->ret_type ? def->ret_type : type_basic(TY_NONE);
    buf_printf(b, "static %s(", decl(g, rt, cname(g, def->sym)));
    if (!def->params) buf_put(b, "void", 4);
    for (Node *p = def->params; p; p = p->next) {
        const char *name = cname(g, p->sym);
        if (is_heap(p->sym->type) && (p->sym->flags & SF_ASSIGNED))
            name = gstr(g, "a_%s", p->sym->name);
        buf_printf(b, "%s%s", p == def->params ? "" : ", ", decl(g, p->sym->type, name));
    }
    buf_put(b, ")", 1);
}

static void gen_def(Gen *g, Node *def) {
    g->def = def;
    g->ntmp = 0;
    gen_signature(g, &g->protos, def);
    buf_put(&g->protos, ";\n", 2);
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    map(g, def);
    gen_signature(g, g->out, def);
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    emit(g, "{");
    Scope fs;
    g->indent++;
    scope_push(g, &fs, false);
    /* Parameters assigned in the body become owned locals. */
    for (Node *p = def->params; p; p = p->next) {
        Symbol *s = p->sym;
        if (is_heap(s->type) && (s->flags & SF_ASSIGNED)) {
            emit(g, "%s = %s(a_%s);", decl(g, s->type, cname(g, s)),
                 s->type->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", s->name);
            scope_add(&fs, cname(g, s), s->type);
        }
    }
    for (Node *st = def->body->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, true);
    g->indent--;
    emit(g, "}");
    g->def = NULL;
    arena_reset(&g->arena);
}

/* ---- processes ---------------------------------------------------------------- */

/* The argument struct's member for parameter P: prefixed like every user
 * name, so a parameter called `int` or `NULL` is no C token. */
static const char *field(Gen *g, const Node *p) {
    return keep_str(g, gstr(g, "v_%s", p->sym->name));
}

/* The argument struct and entry stub of a def used as a process target. */
static void gen_stub(Gen *g, Node *def) {
    const char *f = cname(g, def->sym);
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    map(g, def);
    emit(g, "/* Arguments of a process running %s, copied when it is declared. */", def->sym->name);
    emit(g, "struct args_%s {", def->sym->name);
    g->indent++;
    if (!def->params) emit(g, "char unused;");
    for (Node *p = def->params; p; p = p->next)
        emit(g, "%s;", decl(g, p->sym->type, field(g, p)));
    g->indent--;
    emit(g, "};");
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    emit(g, "static void run_%s(void *arg)", def->sym->name);
    emit(g, "{");
    g->indent++;
    Buf call = {0};
    for (Node *p = def->params; p; p = p->next)
        buf_printf(&call, "%sa->%s", p == def->params ? "" : ", ", field(g, p));
    if (def->params) emit(g, "struct args_%s *a = arg;", def->sym->name);
    else emit(g, "(void)arg;");
    if (def->ret_type && is_heap(def->ret_type))
        emit(g, "%s(%s(%s));", def->ret_type->kind == TY_STR ? "mp_str_unref" : "mp_list_unref", f, call.data ? call.data : "");
    else
        emit(g, "%s%s(%s);", def->ret_type ? "(void)" : "", f, call.data ? call.data : "");
    free(call.data);
    g->indent--;
    emit(g, "}");
    arena_reset(&g->arena);
}

/* Static topology: which queues a process puts into, which pipe ends it
 * uses; read off its call's arguments and the def's parameter facts. */
static void gen_topology(Gen *g, Node *n, const char *proc) {
    Node *call = n->rhs;
    Node *param = call->callee->sym->decl->params;
    for (int i = 0; i < call->argc; i++, param = param->next) {
        Node *a = call->argv[i];
        if (a->kind != ND_NAME) continue;
        if (a->sym->kind == SYM_PIPE_END)
            emit(g, "mp_proc_uses(%s, %s);", proc, cname(g, a->sym));
        if (a->sym->kind == SYM_QUEUE && (param->sym->flags & SF_PUTS))
            emit(g, "mp_proc_produces(%s, %s);", proc, cname(g, a->sym));
    }
}

static void keep(Gen *g, const char *proc, const char *field, Type *t, bool group) {
    if (g->nkept == g->capkept) {
        g->capkept = g->capkept ? 2 * g->capkept : 16;
        g->kept = realloc(g->kept, (size_t)g->capkept * sizeof *g->kept);
        if (!g->kept) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    }
    g->kept[g->nkept++] = (Kept){ proc, field, t, group };
}

static void gen_process(Gen *g, Node *n) {
    Symbol *p = n->sym;
    Node *call = n->rhs;
    Node *def = call->callee->sym->decl;
    const char *dn = def->sym->name;
    const char *pc = cname(g, p);
    Scope temps;
    stmt_begin(g, &temps);
    if (!n->lhs) {
        /* One process: its arguments are evaluated and copied now. */
        Buf init = {0};
        const char **argv = malloc(((size_t)call->argc + 1) * sizeof *argv);
        if (!argv) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
        def_args(g, call, true, argv);
        for (int i = 0; i < call->argc; i++) buf_printf(&init, "%s%s", i ? ", " : "", argv[i]);
        free(argv);
        emit(g, "struct args_%s args_%s = { %s };", dn, pc + 2, init.data ? init.data : "0");
        free(init.data);
        emit(g, "mp_proc *%s = mp_proc_new(\"%s\", -1);", pc, p->name);
        gen_topology(g, n, pc);
        for (Node *param = def->params; param; param = param->next)
            if (is_heap(param->sym->type))
                keep(g, pc, field(g, param), param->sym->type, false);
        stmt_end(g, &temps);
        return;
    }
    /* A group: N replicas, each with its own copy of the arguments. */
    const char *count = gstr(g, "count_%s", pc + 2);
    emit(g, "int64_t %s = mp_group_size(%s, %s);", count, borrow(g, n->lhs), loc(g, n->lhs->span));
    emit(g, "mp_proc **%s = mp_alloc((size_t)%s * sizeof *%s);", pc, count, pc);
    emit(g, "struct args_%s *args_%s = mp_alloc((size_t)%s * sizeof *args_%s);", dn, pc + 2, count, pc + 2);
    const char *k = new_tmp(g, "k");
    emit(g, "for (int64_t %s = 0; %s < %s; %s++) {", k, k, count, k);
    g->indent++;
    Scope inner;
    stmt_begin(g, &inner);
    if (p->decl && n->sym2) emit(g, "int64_t %s = %s;", cname(g, n->sym2), k);
    const char **argv = malloc(((size_t)call->argc + 1) * sizeof *argv);
    if (!argv) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    def_args(g, call, true, argv);
    Node *param = def->params;
    for (int i = 0; i < call->argc; i++, param = param->next)
        emit(g, "args_%s[%s].%s = %s;", pc + 2, k, field(g, param), argv[i]);
    free(argv);
    stmt_end(g, &inner);
    emit(g, "%s[%s] = mp_proc_new(\"%s\", %s);", pc, k, p->name, k);
    gen_topology(g, n, gstr(g, "%s[%s]", pc, k));
    g->indent--;
    emit(g, "}");
    /* Producers were counted once per declaration when the queue was made;
     * a group of N stands for N of them. */
    param = def->params;
    for (int i = 0; i < call->argc; i++, param = param->next) {
        Node *a = call->argv[i];
        if (a->kind == ND_NAME && a->sym->kind == SYM_QUEUE && (param->sym->flags & SF_PUTS))
            emit(g, "mp_queue_add_producers(%s, %s - 1);", cname(g, a->sym), count);
    }
    for (param = def->params; param; param = param->next)
        if (is_heap(param->sym->type))
            keep(g, pc, field(g, param), param->sym->type, true);
    keep(g, pc, NULL, NULL, true);
    stmt_end(g, &temps);
}

static void gen_start_join(Gen *g, Node *n) {
    for (Node *t = n->targets; t; t = t->next) {
        Symbol *p = t->sym;
        const char *pc = cname(g, p);
        const char *at = loc(g, t->span);
        if (n->kind == ND_START) {
            Node *def = p->decl->rhs->callee->sym->decl;
            if (p->kind == SYM_GROUP) {
                emit(g, "for (int64_t k = 0; k < count_%s; k++)", pc + 2);
                emit(g, "    mp_start(%s[k], run_%s, &args_%s[k], %s);", pc, def->sym->name, pc + 2, at);
            } else {
                emit(g, "mp_start(%s, run_%s, &args_%s, %s);", pc, def->sym->name, pc + 2, at);
            }
        } else if (p->kind == SYM_GROUP) {
            emit(g, "for (int64_t k = 0; k < count_%s; k++)", pc + 2);
            emit(g, "    mp_join(%s[k], %s);", pc, at);
        } else {
            emit(g, "mp_join(%s, %s);", pc, at);
        }
    }
}

/* Counts the declarations that make processes putting into queue Q. */
static int count_producers(const Program *prog, Symbol *q) {
    int n = 0;
    for (Node *t = prog->top; t; t = t->next) {
        if (t->kind != ND_PROCESS) continue;
        Node *call = t->rhs;
        Node *param = call->callee->sym->decl->params;
        for (int i = 0; i < call->argc; i++, param = param->next) {
            Node *a = call->argv[i];
            if (a->kind == ND_NAME && a->sym == q && (param->sym->flags & SF_PUTS)) n++;
        }
    }
    return n;
}

/* Whether top-level statement N puts into queue Q itself, or (for a pipe
 * end) uses it, anywhere inside. */
static bool mentions_child(void *s, Node *child, const char *role);

static bool mentions(Node *n, Symbol *s) {
    if (!n) return false;
    if (n->kind == ND_PROCESS || n->kind == ND_START || n->kind == ND_JOIN) return false;
    if (n->kind == ND_NAME) return n->sym == s;
    return ast_children(n, true, mentions_child, s);
}

static bool mentions_child(void *s, Node *child, const char *role) {
    (void)role;
    return mentions(child, s);
}

static bool starts_user_of(Node *start, Symbol *end) {
    for (Node *t = start->targets; t; t = t->next) {
        Node *call = t->sym->decl->rhs;
        for (int i = 0; i < call->argc; i++)
            if (call->argv[i]->kind == ND_NAME && call->argv[i]->sym == end) return true;
    }
    return false;
}

/* How many processes may use pipe end END: each declaration passing it
 * (a group counts as several), and main if it uses it itself. */
static int end_users(const Program *prog, Symbol *end) {
    int n = 0;
    bool by_main = false;
    for (Node *t = prog->top; t; t = t->next) {
        if (t->kind != ND_PROCESS) {
            by_main = by_main || mentions(t, end);
            continue;
        }
        Node *call = t->rhs;
        for (int i = 0; i < call->argc; i++)
            if (call->argv[i]->kind == ND_NAME && call->argv[i]->sym == end)
                n += t->lhs ? 2 : 1;
    }
    return n + by_main;
}

static void gen_shared_decl(Gen *g, Node *n) {
    Scope temps;
    stmt_begin(g, &temps);
    const char *at = loc(g, n->span);
    switch (n->kind) {
    case ND_PIPE: {
        const char *a = cname(g, n->sym), *b = cname(g, n->sym2);
        emit(g, "mp_conn *%s, *%s;", a, b);
        emit(g, "mp_make_pipe(&%s, &%s, %s, %s, \"%s\", \"%s\", %s);", a, b, tdesc(g, n->decl_type),
             n->oneway ? "false" : "true", n->name, n->name2, at);
        /* An end several processes use sends and receives whole frames
         * under a lock; the others stay lock-free. */
        if (end_users(g->prog, n->sym) > 1) emit(g, "mp_conn_share(%s);", a);
        if (end_users(g->prog, n->sym2) > 1) emit(g, "mp_conn_share(%s);", b);
        break;
    }
    case ND_QUEUE: {
        int producers = count_producers(g->prog, n->sym) + ((n->sym->flags & SF_PUTS) ? 1 : 0);
        if (n->lhs)     /* a bound of 0 is a rendezvous */
            emit(g, "mp_queue *%s = mp_make_queue(%s, %s, %d, \"%s\", %s);", cname(g, n->sym),
                 tdesc(g, n->decl_type), borrow(g, n->lhs), producers, n->name, at);
        else
            emit(g, "mp_queue *%s = mp_make_queue_unbounded(%s, %d, \"%s\", %s);", cname(g, n->sym),
                 tdesc(g, n->decl_type), producers, n->name, at);
        if (n->sym->flags & SF_PUTS)
            emit(g, "mp_self_produces(%s);    /* the parent puts into it too */", cname(g, n->sym));
        break;
    }
    case ND_VALUE: {
        Type *t = n->decl_type;
        const char *init = n->rhs ? borrow_as(g, n->rhs, t) : (t->kind == TY_FLOAT ? "0.0" : t->kind == TY_BOOL ? "false" : "0");
        emit(g, "mp_value *%s = mp_make_value(%s, %s, \"%s\", %s);", cname(g, n->sym), kind_enum(t),
             mpval(g, t, init), n->name, at);
        break;
    }
    case ND_ARRAY: {
        Type *t = n->decl_type;
        const char *c = cname(g, n->sym);
        if (n->rhs) {
            const char *l = borrow(g, n->rhs);
            emit(g, "mp_array *%s = mp_make_array_from(%s, %s, \"%s\", %s);", c, kind_enum(t), l, n->name, at);
        } else {
            emit(g, "mp_array *%s = mp_make_array(%s, %s, \"%s\", %s);", c, kind_enum(t), borrow(g, n->lhs), n->name, at);
        }
        break;
    }
    default:
        break;
    }
    stmt_end(g, &temps);
}

/* When the parent lets go of shared objects: a pipe end it never uses
 * itself is closed after the start of the last process that uses it (so
 * children see end-of-file); a queue it puts into stops counting it as a
 * producer after its last top-level statement that mentions the queue. */
typedef struct Release {
    Symbol *sym;
    Node *after;
    bool pipe;
} Release;

static Release *plan_releases(const Program *prog, int *count) {
    int n = 0, max = 0;
    for (Node *d = prog->top; d; d = d->next) max += d->kind == ND_PIPE ? 2 : d->kind == ND_QUEUE;
    Release *out = malloc((size_t)(max ? max : 1) * sizeof *out);
    if (!out) { fputs("mpc: fatal error: out of memory\n", stderr); exit(1); }
    for (Node *d = prog->top; d; d = d->next) {
        if (d->kind == ND_PIPE) {
            Symbol *ends[2] = { d->sym, d->sym2 };
            for (int e = 0; e < 2; e++) {
                Node *last = NULL;
                bool parent_uses = false;
                for (Node *m = prog->top; m; m = m->next) {
                    if (m->kind == ND_START && starts_user_of(m, ends[e])) last = m;
                    else if (mentions(m, ends[e])) parent_uses = true;
                }
                if (last && !parent_uses) out[n++] = (Release){ ends[e], last, true };
            }
        } else if (d->kind == ND_QUEUE && (d->sym->flags & SF_PUTS)) {
            Node *last = NULL;
            for (Node *m = d->next; m; m = m->next)
                if (mentions(m, d->sym)) last = m;
            if (last) out[n++] = (Release){ d->sym, last, false };
        }
    }
    *count = n;
    return out;
}

static void gen_main(Gen *g) {
    const Program *prog = g->prog;
    g->ntmp = 0;
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    emit(g, "int main(int argc, char **argv)");
    emit(g, "{");
    g->indent++;
    Buf name = {0};
    put_c_string(&name, g->src->name, strlen(g->src->name));
    emit(g, "mp_init(\"%s\", argc, argv);", name.data ? name.data : "");
    free(name.data);
    Scope fs;
    scope_push(g, &fs, false);
    int nrel;
    Release *rel = plan_releases(prog, &nrel);
    for (Node *n = prog->top; n; n = n->next) {
        map(g, n);
        switch (n->kind) {
        case ND_PIPE: case ND_QUEUE: case ND_VALUE: case ND_ARRAY:
            gen_shared_decl(g, n);
            break;
        case ND_PROCESS:
            gen_process(g, n);
            break;
        case ND_START:
        case ND_JOIN:
            gen_start_join(g, n);
            break;
        default:
            gen_stmt(g, n);
            break;
        }
        for (int i = 0; i < nrel; i++) {
            if (rel[i].after != n) continue;
            if (rel[i].pipe)
                emit(g, "mp_conn_close(%s);    /* the parent does not use it */", cname(g, rel[i].sym));
            else
                emit(g, "mp_self_done(%s);    /* the parent puts no more */", cname(g, rel[i].sym));
        }
        arena_reset(&g->arena);
    }
    g->mapped = 0;
    if (g->opt->line_directives) buf_put(g->out, "\n", 1);
    /* References kept in the processes' argument structs. */
    for (int i = 0; i < g->nkept; i++) {
        Kept *k = &g->kept[i];
        if (!k->field) {
            emit(g, "mp_free(%s);", k->proc);
            emit(g, "mp_free(args_%s);", k->proc + 2);
            continue;
        }
        const char *fn = k->type->kind == TY_STR ? "mp_str_unref" : "mp_list_unref";
        if (k->group) {
            emit(g, "for (int64_t k = 0; k < count_%s; k++)", k->proc + 2);
            emit(g, "    %s(args_%s[k].%s);", fn, k->proc + 2, k->field);
        } else {
            emit(g, "%s(args_%s.%s);", fn, k->proc + 2, k->field);
        }
    }
    free(rel);
    scope_pop(g, true);
    emit(g, "return mp_finish();");
    g->indent--;
    emit(g, "}");
}

bool gen_program(FILE *out, const Program *p, const Source *src, const GenOptions *opt) {
    Gen g = { .prog = p, .src = src, .opt = opt };
    arena_init(&g.arena);
    arena_init(&g.perm);
    g.out = &g.body;
    g.body.spill = tmpfile();   /* NULL (no temporary space): all in memory */
    find_guarded_all(&g);
    for (Node *d = p->defs; d; d = d->next) gen_def(&g, d);
    /* An argument struct and entry stub for each def a process runs, in
     * the order of the defs. */
    for (Node *n = p->top; n; n = n->next)
        if (n->kind == ND_PROCESS) n->rhs->callee->sym->index = 1;
    for (Node *d = p->defs; d; d = d->next)
        if (d->sym->index == 1) gen_stub(&g, d);
    gen_main(&g);

    const char *base = strrchr(src->name, '/');
    base = base ? base + 1 : src->name;
    fputs("/* Generated by mpc from ", out);
    for (const char *c = base; *c; c++)    /* keep the comment closed */
        fputc(c[0] == '*' && c[1] == '/' ? '_' : *c, out);
    fputs("; do not edit. */\n#include <stdbool.h>\n#include <stdint.h>\n\n#include <mpr.h>\n", out);
    if (g.types.len) fprintf(out, "\n%s", g.types.data);
    if (g.lits.len) fprintf(out, "\n%s", g.lits.data);
    if (g.protos.len) fprintf(out, "\n%s", g.protos.data);
    bool ok = !g.body.spill_failed;
    if (g.body.spill) {
        char chunk[1 << 16];
        size_t n;
        rewind(g.body.spill);
        while (ok && (n = fread(chunk, 1, sizeof chunk, g.body.spill)) > 0)
            fwrite(chunk, 1, n, out);
        ok = ok && !ferror(g.body.spill);
        fclose(g.body.spill);
    }
    if (g.body.len) fputs(g.body.data, out);
    free(g.types.data);
    free(g.lits.data);
    free(g.protos.data);
    free(g.body.data);
    free(g.ltypes);
    free(g.kept);
    free(g.guarded);
    free(g.lits_tab);
    arena_free(&g.arena);
    arena_free(&g.perm);
    return ok;
}
