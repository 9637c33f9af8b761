/* ast: node constructors, interned types, operator names and the tree dump. */
#include "ast.h"
#include "builtins.h"
#include "util.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- nodes ------------------------------------------------------------ */

/* Where the fields of each kind end (see struct Node): a node is allocated
 * up to there. */
#define HEADER offsetof(Node, ival)
#define END(field) (offsetof(Node, field) + sizeof((Node *)0)->field)

static const uint8_t node_sizes[] = {
    [ND_INT] = END(ival),         [ND_FLOAT] = END(fval),      [ND_BOOL] = END(ival),
    [ND_STR] = END(parts),        [ND_STRPART] = END(len),     [ND_NAME] = END(sym),
    [ND_LIST] = END(elems),       [ND_UNARY] = HEADER,         [ND_BINARY] = HEADER,
    [ND_CALL] = END(argv),        [ND_KWARG] = END(name_span), [ND_INDEX] = HEADER,
    [ND_MEMBER] = END(name_span), [ND_SLICE] = END(step),      [ND_LISTCOMP] = END(body),
    [ND_COMP_PUSH] = HEADER,      [ND_BLOCK] = END(body),      [ND_LET] = END(type_span),
    [ND_ASSIGN] = HEADER,         [ND_IF] = END(els),          [ND_WHILE] = END(body),
    [ND_FOR] = END(body),         [ND_BREAK] = HEADER,         [ND_CONTINUE] = HEADER,
    [ND_RETURN] = HEADER,         [ND_EXPR_STMT] = HEADER,     [ND_LOCK] = END(body),
    [ND_PASS] = HEADER,           [ND_DEF] = END(params),      [ND_PARAM] = END(type_span),
    [ND_PIPE] = END(sym2),        [ND_QUEUE] = END(type_span), [ND_VALUE] = END(type_span),
    [ND_ARRAY] = END(lock_opt),   [ND_PROCESS] = END(sym2),    [ND_START] = END(targets),
    [ND_JOIN] = END(targets),     [ND_CONST] = END(name_span), [ND_NONE] = HEADER,
    [ND_TUPLE] = END(elems),      [ND_TRY] = END(els),         [ND_EXCEPT] = END(body),
    [ND_RAISE] = HEADER,          [ND_ASSERT] = HEADER,        [ND_SYNC] = END(type_span),
    [ND_DICT] = END(elems),       [ND_SET] = END(elems),       [ND_DEL] = END(targets),
    [ND_SELECT] = END(body),      [ND_CASE] = END(body),
};
_Static_assert(sizeof(Node) <= 255, "node_sizes holds bytes");
_Static_assert(sizeof node_sizes / sizeof node_sizes[0] == ND_SYNC + 1,
               "a size for every node kind");

size_t node_size(NodeKind kind) {
    return (unsigned)kind < sizeof node_sizes && node_sizes[kind] ? node_sizes[kind] : sizeof(Node);
}

Node *node_new(Arena *a, NodeKind kind, Span span) {
    Node *n = arena_alloc_aligned(a, node_size(kind), _Alignof(Node));
    n->kind = (uint8_t)kind;
    n->span = span;
    return n;
}

Node *node_binary(Arena *a, Op op, Node *lhs, Node *rhs, Span span) {
    Node *n = node_new(a, ND_BINARY, span);
    n->op = op;
    n->lhs = lhs;
    n->rhs = rhs;
    return n;
}

Span span_join(Span a, Span b) {
    Span s = a;
    if (b.begin < s.begin) s.begin = b.begin;
    if (b.end > s.end) s.end = b.end;
    return s;
}

/* ---- children ------------------------------------------------------------ */

static bool visit_list(Node *l, const char *role, NodeVisit f, void *ctx) {
    for (; l; l = l->next)
        if (f(ctx, l, role)) return true;
    return false;
}

/* The one place that knows which fields of each kind hold children. */
bool ast_children(Node *n, bool argv, NodeVisit f, void *ctx) {
#define ONE(child, role)                                     \
    do {                                                     \
        if ((child) && f(ctx, (child), (role))) return true; \
    } while (0)
    switch ((NodeKind)n->kind) {
    case ND_INT:
    case ND_FLOAT:
    case ND_BOOL:
    case ND_NONE:
    case ND_STRPART:
    case ND_NAME:
    case ND_BREAK:
    case ND_CONTINUE:
    case ND_PASS:
    case ND_PARAM: return false;
    case ND_PIPE: /* an array of pipes: the counts of its ends */
        ONE(n->rhs, "count");
        ONE(n->lhs, "count");
        return false;
    case ND_STR: return visit_list(n->parts, NULL, f, ctx);
    case ND_LIST:
    case ND_DICT:
    case ND_SET:
    case ND_TUPLE: return visit_list(n->elems, NULL, f, ctx);
    case ND_DEL: return visit_list(n->targets, NULL, f, ctx);
    case ND_UNARY:
    case ND_KWARG:
    case ND_MEMBER:
    case ND_RETURN:
    case ND_EXPR_STMT: ONE(n->lhs, NULL); return false;
    case ND_COMP_PUSH:
        ONE(n->lhs, NULL);
        ONE(n->rhs, "value");
        return false;
    case ND_SLICE:
        ONE(n->lhs, NULL);
        ONE(n->lo, "lo");
        ONE(n->hi, "hi");
        ONE(n->step, "step");
        return false;
    case ND_LISTCOMP: ONE(n->body, NULL); return false;
    case ND_BINARY:
    case ND_INDEX:
        ONE(n->lhs, NULL);
        ONE(n->rhs, NULL);
        return false;
    case ND_CALL:
        ONE(n->callee, "callee");
        if (!argv) return visit_list(n->args, "arg", f, ctx);
        for (int i = 0; i < n->argc; i++) ONE(n->argv[i], "arg"); /* NULL: omitted */
        return false;
    case ND_BLOCK: return visit_list(n->body, NULL, f, ctx);
    case ND_LET: ONE(n->rhs, NULL); return false;
    case ND_ASSIGN:
        ONE(n->lhs, "target");
        ONE(n->rhs, "value");
        return false;
    case ND_IF:
        ONE(n->cond, "cond");
        ONE(n->then, "then");
        ONE(n->els, "else");
        return false;
    case ND_WHILE:
        ONE(n->cond, "cond");
        ONE(n->body, NULL);
        return false;
    case ND_FOR:
        ONE(n->rhs, "in");
        ONE(n->body, NULL);
        return false;
    case ND_LOCK:
        ONE(n->lhs, NULL);
        ONE(n->body, NULL);
        return false;
    case ND_TRY:
        ONE(n->lhs, NULL);
        if (visit_list(n->then, NULL, f, ctx)) return true;
        ONE(n->els, "else");
        ONE(n->rhs, "finally");
        return false;
    case ND_EXCEPT:
        if (visit_list(n->lhs, "kind", f, ctx)) return true;
        ONE(n->body, NULL);
        return false;
    case ND_SELECT: return visit_list(n->body, NULL, f, ctx);
    case ND_CASE:
        ONE(n->rhs, NULL);
        ONE(n->body, NULL);
        return false;
    case ND_RAISE: ONE(n->lhs, NULL); return false;
    case ND_ASSERT:
        ONE(n->lhs, NULL);
        ONE(n->rhs, "msg");
        return false;
    case ND_DEF:
        if (visit_list(n->params, NULL, f, ctx)) return true;
        ONE(n->body, NULL);
        return false;
    case ND_QUEUE:
        ONE(n->rhs, "count");
        ONE(n->lhs, "bound");
        return false;
    case ND_VALUE:
    case ND_SYNC: ONE(n->rhs, "init"); return false;
    case ND_ARRAY:
        ONE(n->lhs, "size");
        ONE(n->rhs, "init");
        ONE(n->lock_opt, "option");
        return false;
    case ND_PROCESS:
        ONE(n->lhs, "count");
        ONE(n->rhs, NULL);
        return visit_list(n->body, "option", f, ctx);
    case ND_START:
    case ND_JOIN: return visit_list(n->targets, NULL, f, ctx);
    case ND_CONST: ONE(n->rhs, NULL); return false;
    }
#undef ONE
    return false;
}

const char *op_spelling(Op op) {
    switch (op) {
    case OP_NONE: return "=";
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_DIV: return "/";
    case OP_FLOORDIV: return "//";
    case OP_MOD: return "%";
    case OP_POW: return "**";
    case OP_BITAND: return "&";
    case OP_BITOR: return "|";
    case OP_BITXOR: return "^";
    case OP_SHL: return "<<";
    case OP_SHR: return ">>";
    case OP_EQ: return "==";
    case OP_NE: return "!=";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    case OP_IN: return "in";
    case OP_NOTIN: return "not in";
    case OP_IS: return "is";
    case OP_ISNOT: return "is not";
    case OP_AND: return "and";
    case OP_OR: return "or";
    case OP_NOT: return "not";
    case OP_NEG: return "-";
    case OP_POS: return "+";
    case OP_BITNOT: return "~";
    }
    return "?";
}

/* ---- types -------------------------------------------------------------
 *
 * Basic types are static. Composite types (kind + element) are interned in
 * one process-wide hash table keyed by (kind, elem pointer); since elements
 * are themselves interned, pointer equality is type equality. Types are
 * never freed during a run (they are shared by every compilation);
 * ast_types_free() releases them at exit. */

static Type basic_types[TY_EXC + 1] = {
    [TY_ERROR] = {.kind = TY_ERROR}, [TY_NONE] = {.kind = TY_NONE},
    [TY_INT] = {.kind = TY_INT},     [TY_FLOAT] = {.kind = TY_FLOAT},
    [TY_BOOL] = {.kind = TY_BOOL},   [TY_STR] = {.kind = TY_STR},
    [TY_LIST] = {.kind = TY_LIST},   [TY_CONN] = {.kind = TY_CONN},
    [TY_QUEUE] = {.kind = TY_QUEUE}, [TY_VALUE] = {.kind = TY_VALUE},
    [TY_ARRAY] = {.kind = TY_ARRAY}, [TY_PROCESS] = {.kind = TY_PROCESS},
    [TY_GROUP] = {.kind = TY_GROUP}, [TY_FUNC] = {.kind = TY_FUNC},
    [TY_NULL] = {.kind = TY_NULL},   [TY_FILE] = {.kind = TY_FILE},
    [TY_EXC] = {.kind = TY_EXC},
};

/* The synchronization objects' types, TY_LOCK .. TY_BARRIER. */
static Type sync_types[] = {{.kind = TY_LOCK},       {.kind = TY_RLOCK}, {.kind = TY_SEMAPHORE},
                            {.kind = TY_BSEMAPHORE}, {.kind = TY_EVENT}, {.kind = TY_CONDITION},
                            {.kind = TY_BARRIER}};

/* Composite types live in slabs; the table holds pointers into them. */
typedef struct TypeSlab TypeSlab;
struct TypeSlab {
    TypeSlab *prev;
    size_t used;
    Type types[256];
};

static struct {
    HMap map; /* Type -> itself, keyed by kind and elem */
    TypeSlab *slab;
} interned;

static uint64_t type_hash(TypeKind kind, const Type *elem, Type *const *items, int n) {
    uint64_t h = (uint64_t)(uintptr_t)elem * 0x9E3779B97F4A7C15u;
    h ^= (uint64_t)kind * 0xC2B2AE3D27D4EB4Fu;
    for (int i = 0; i < n; i++) h = (h ^ (uint64_t)(uintptr_t)items[i]) * 0x100000001B3u;
    return h ^ (h >> 29);
}

static bool type_eq(const void *a, const void *b) {
    const Type *x = a, *y = b;
    if (x->kind != y->kind || x->elem != y->elem || x->n != y->n || x->joinable != y->joinable ||
        x->raw != y->raw)
        return false;
    for (int i = 0; i < x->n; i++)
        if (x->items[i] != y->items[i]) return false;
    return true;
}

static Type pool_type = {.kind = TY_POOL};

Type *type_basic(TypeKind kind) {
    if (kind >= TY_LOCK && kind <= TY_BARRIER) return &sync_types[kind - TY_LOCK];
    if (kind == TY_POOL) return &pool_type;
    if ((unsigned)kind > TY_EXC) kind = TY_ERROR;
    return &basic_types[kind];
}

/* A new interned type in the slabs (not yet in the table). */
static Type *type_slot(void) {
    if (!interned.slab ||
        interned.slab->used == sizeof interned.slab->types / sizeof interned.slab->types[0]) {
        TypeSlab *s = xcalloc(1, sizeof *s);
        s->prev = interned.slab;
        interned.slab = s;
    }
    return &interned.slab->types[interned.slab->used++];
}

Type *type_tuple(Type *const *items, int n) {
    Type probe = {.kind = TY_TUPLE, .items = (Type **)items, .n = n};
    uint64_t h = type_hash(TY_TUPLE, NULL, items, n);
    HEnt *e = hmap_find(&interned.map, &probe, h, type_eq);
    if (e) return e->val;
    Type *t = type_slot();
    t->kind = TY_TUPLE;
    t->n = n;
    t->items = n ? xmalloc((size_t)n * sizeof *t->items) : NULL;
    for (int i = 0; i < n; i++) t->items[i] = items[i] ? items[i] : type_basic(TY_ERROR);
    hmap_insert(&interned.map, t, h, type_eq)->val = t;
    return t;
}

Type *type_dict(Type *key, Type *value) {
    if (!key) key = type_basic(TY_ERROR);
    if (!value) value = type_basic(TY_ERROR);
    Type *items[2] = {key, value};
    Type probe = {.kind = TY_DICT, .elem = value, .items = items, .n = 2};
    uint64_t h = type_hash(TY_DICT, value, items, 2);
    HEnt *e = hmap_find(&interned.map, &probe, h, type_eq);
    if (e) return e->val;
    Type *t = type_slot();
    t->kind = TY_DICT;
    t->elem = value;
    t->n = 2;
    t->items = xmalloc(2 * sizeof *t->items);
    t->items[0] = key;
    t->items[1] = value;
    hmap_insert(&interned.map, t, h, type_eq)->val = t;
    return t;
}

/* FLAG is `joinable` for a queue, `raw` for an array. */
static Type *type_composite(TypeKind kind, Type *elem, bool flag) {
    if (!elem) elem = type_basic(TY_ERROR);
    bool joinable = kind == TY_QUEUE && flag, raw = kind == TY_ARRAY && flag;
    Type probe = {.kind = kind, .elem = elem, .joinable = joinable, .raw = raw};
    uint64_t h = type_hash(kind, elem, NULL, 0) ^ flag;
    HEnt *e = hmap_find(&interned.map, &probe, h, type_eq);
    if (e) return e->val;
    Type *t = type_slot();
    t->kind = kind;
    t->elem = elem;
    t->joinable = joinable;
    t->raw = raw;
    hmap_insert(&interned.map, t, h, type_eq)->val = t;
    return t;
}

Type *type_of(TypeKind kind, Type *elem) { return type_composite(kind, elem, false); }

Type *type_joinable_queue(Type *elem) { return type_composite(TY_QUEUE, elem, true); }

Type *type_raw_array(Type *elem) { return type_composite(TY_ARRAY, elem, true); }

void ast_types_free(void) {
    while (interned.slab) {
        TypeSlab *prev = interned.slab->prev;
        for (size_t i = 0; i < interned.slab->used; i++) free(interned.slab->types[i].items);
        free(interned.slab);
        interned.slab = prev;
    }
    hmap_free(&interned.map);
}

const char *type_kind_name(TypeKind k) {
    switch (k) {
    case TY_ERROR: return "<error>";
    case TY_NONE: return "none";
    case TY_INT: return "int";
    case TY_FLOAT: return "float";
    case TY_BOOL: return "bool";
    case TY_STR: return "str";
    case TY_LIST: return "list";
    case TY_CONN: return "conn";
    case TY_QUEUE: return "queue";
    case TY_VALUE: return "value";
    case TY_ARRAY: return "array";
    case TY_PROCESS: return "process";
    case TY_GROUP: return "process group";
    case TY_FUNC: return "function";
    case TY_NULL: return "None";
    case TY_OPTIONAL: return "optional";
    case TY_TUPLE: return "tuple";
    case TY_DICT: return "dict";
    case TY_SET: return "set";
    case TY_FILE: return "file";
    case TY_EXC: return "exception";
    case TY_LOCK: return "Lock";
    case TY_RLOCK: return "RLock";
    case TY_SEMAPHORE: return "Semaphore";
    case TY_BSEMAPHORE: return "BoundedSemaphore";
    case TY_EVENT: return "Event";
    case TY_CONDITION: return "Condition";
    case TY_BARRIER: return "Barrier";
    case TY_POOL: return "Pool";
    case TY_ASYNC: return "AsyncResult";
    case TY_HANDLES: return "list";
    }
    return "?";
}

/* Appends to BUF at *LEN, truncating (with "...") when it is full. */
static void put(char *buf, size_t size, size_t *len, const char *s) {
    size_t n = strlen(s);
    if (*len + n >= size) {
        n = size - 1 - *len;
        if (size >= 4) memcpy(buf + size - 4, "...", 3);
    }
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* Appends the name of T. Iterative over list[list[...]], which may be
 * deep; recursive only into `T | None`, whose T is never optional. */
static void put_type(char *buf, size_t size, size_t *len, const Type *t) {
    size_t closers = 0;
    const Type *top = t;
    for (; t; t = t->elem) {
        if (t->kind == TY_OPTIONAL) {
            put_type(buf, size, len, t->elem);
            put(buf, size, len, " | None");
            break;
        }
        if (t->kind == TY_TUPLE) { /* Python's spelling: tuple[int, str], tuple[()] */
            put(buf, size, len, t->n ? "tuple[" : "tuple[()");
            for (int i = 0; i < t->n && *len + 1 < size; i++) {
                if (i) put(buf, size, len, ", ");
                put_type(buf, size, len, t->items[i]);
            }
            put(buf, size, len, "]");
            break;
        }
        if (t->kind == TY_DICT) { /* dict[str, int] */
            put(buf, size, len, "dict[");
            put_type(buf, size, len, t->items[0]);
            put(buf, size, len, ", ");
            put_type(buf, size, len, t->items[1]);
            put(buf, size, len, "]");
            break;
        }
        if (t->kind == TY_HANDLES) { /* list[conn[int]], list[queue[str] joinable] */
            put(buf, size, len, "list[");
            put_type(buf, size, len, t->elem);
            put(buf, size, len, "]");
            break;
        }
        put(buf, size, len, t->raw ? "rawarray" : type_kind_name(t->kind));
        if (!t->elem ||
            ((t->kind < TY_LIST || t->kind > TY_ARRAY) && t->kind != TY_SET && t->kind != TY_ASYNC))
            break;
        put(buf, size, len, "[");
        closers++;
        if (*len + 1 >= size) break;
    }
    while (closers-- && *len + 1 < size) put(buf, size, len, "]");
    if (top && top->kind == TY_QUEUE && top->joinable) put(buf, size, len, " joinable");
}

const char *type_name(const Type *t, char *buf, size_t size) {
    if (size == 0) return buf;
    buf[0] = '\0';
    if (!t) {
        put(buf, size, &(size_t){0}, "?");
        return buf;
    }
    size_t len = 0;
    put_type(buf, size, &len, t);
    return buf;
}

bool type_is_hashable(const Type *t) {
    if (t && t->kind == TY_OPTIONAL) t = t->elem;
    if (t && t->kind == TY_TUPLE) {
        for (int i = 0; i < t->n; i++)
            if (!type_is_hashable(t->items[i])) return false;
        return true;
    }
    return t &&
           (t->kind == TY_INT || t->kind == TY_FLOAT || t->kind == TY_BOOL || t->kind == TY_STR);
}

bool type_is_message(const Type *t) {
    while (t && (t->kind == TY_LIST || t->kind == TY_OPTIONAL)) t = t->elem;
    if (t && t->kind == TY_SET) return type_is_hashable(t->elem);
    if (t && t->kind == TY_DICT)
        return type_is_hashable(t->items[0]) && type_is_message(t->items[1]);
    if (t && t->kind == TY_TUPLE) {
        for (int i = 0; i < t->n; i++)
            if (!type_is_message(t->items[i])) return false;
        return true;
    }
    return t &&
           (t->kind == TY_INT || t->kind == TY_FLOAT || t->kind == TY_BOOL || t->kind == TY_STR);
}

bool type_is_scalar(const Type *t) {
    return t && (t->kind == TY_INT || t->kind == TY_FLOAT || t->kind == TY_BOOL);
}

/* ---- dump --------------------------------------------------------------- */

static const char *kind_names[] = {
    [ND_INT] = "int",
    [ND_FLOAT] = "float",
    [ND_BOOL] = "bool",
    [ND_STR] = "str",
    [ND_STRPART] = "strpart",
    [ND_NAME] = "name",
    [ND_LIST] = "list",
    [ND_UNARY] = "unary",
    [ND_BINARY] = "binary",
    [ND_CALL] = "call",
    [ND_KWARG] = "kwarg",
    [ND_INDEX] = "index",
    [ND_MEMBER] = "member",
    [ND_BLOCK] = "block",
    [ND_LET] = "let",
    [ND_ASSIGN] = "assign",
    [ND_IF] = "if",
    [ND_WHILE] = "while",
    [ND_FOR] = "for",
    [ND_BREAK] = "break",
    [ND_CONTINUE] = "continue",
    [ND_RETURN] = "return",
    [ND_EXPR_STMT] = "expr",
    [ND_LOCK] = "lock",
    [ND_PASS] = "pass",
    [ND_DEF] = "def",
    [ND_PARAM] = "param",
    [ND_PIPE] = "pipe",
    [ND_QUEUE] = "queue",
    [ND_VALUE] = "value",
    [ND_ARRAY] = "array",
    [ND_PROCESS] = "process",
    [ND_START] = "start",
    [ND_JOIN] = "join",
    [ND_DICT] = "dict",
    [ND_SET] = "set",
    [ND_DEL] = "del",
    [ND_CONST] = "const",
    [ND_SYNC] = "sync",
    [ND_SLICE] = "slice",
    [ND_LISTCOMP] = "listcomp",
    [ND_COMP_PUSH] = "comp_push",
    [ND_NONE] = "None",
    [ND_TUPLE] = "tuple",
    [ND_TRY] = "try",
    [ND_EXCEPT] = "except",
    [ND_SELECT] = "select",
    [ND_CASE] = "case",
    [ND_RAISE] = "raise",
    [ND_ASSERT] = "assert",
};

typedef struct Dumper {
    FILE *out;
    const Source *src;
} Dumper;

static void dump_node(Dumper *D, const Node *n, int depth, const char *role);

typedef struct DumpKids {
    Dumper *D;
    int depth;
} DumpKids;

static bool dump_child(void *ctx, Node *child, const char *role) {
    DumpKids *k = ctx;
    dump_node(k->D, child, k->depth, role);
    return false;
}

static void dump_type(FILE *out, const char *label, const Type *t) {
    char buf[256];
    fprintf(out, "%s%s", label, type_name(t, buf, sizeof buf));
}

/* Bytes as a C-like string literal: printable ASCII as is, the rest escaped. */
static void dump_bytes(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        default:
            if (c < 0x20 || c >= 0x7f) fprintf(out, "\\x%02x", c);
            else fputc(c, out);
        }
    }
    fputc('"', out);
}

/* Shortest %g form that reads back as the same double. */
static void dump_double(FILE *out, double v) {
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, out);
    if (!strpbrk(buf, ".eEni")) fputs(".0", out);
}

static void dump_span(Dumper *D, Span s) {
    int l1, c1, l2, c2;
    src_position(D->src, s.begin, &l1, &c1);
    src_position(D->src, s.end, &l2, &c2);
    fprintf(D->out, " @%d:%d-%d:%d", l1, c1, l2, c2);
}

static void dump_node(Dumper *D, const Node *n, int depth, const char *role) {
    FILE *out = D->out;
    fprintf(out, "%*s", depth * 2, "");
    if (role) fprintf(out, "%s: ", role);
    const char *kn =
        (unsigned)n->kind < sizeof kind_names / sizeof kind_names[0] && kind_names[n->kind]
            ? kind_names[n->kind]
            : "?";
    fputs(kn, out);
    switch (n->kind) {
    case ND_INT: fprintf(out, " %" PRId64, n->ival); break;
    case ND_FLOAT:
        fputc(' ', out);
        dump_double(out, n->fval);
        break;
    case ND_BOOL: fputs(n->ival ? " true" : " false", out); break;
    case ND_STRPART:
        fputc(' ', out);
        dump_bytes(out, n->str, n->len);
        break;
    case ND_NAME:
    case ND_KWARG:
    case ND_MEMBER:
    case ND_FOR:
    case ND_QUEUE:
    case ND_VALUE:
    case ND_ARRAY:
    case ND_SYNC:
    case ND_CONST: fprintf(out, " %s", n->name ? n->name : "?"); break;
    case ND_UNARY:
    case ND_BINARY: fprintf(out, " '%s'", op_spelling(n->op)); break;
    case ND_ASSIGN:
        if (n->op == OP_NONE) fputs(" '='", out);
        else fprintf(out, " '%s='", op_spelling(n->op));
        break;
    case ND_LET:
    case ND_PARAM:
    case ND_DEF: fprintf(out, " %s", n->name ? n->name : "?"); break;
    case ND_EXCEPT:
        if (n->name) fprintf(out, " as %s", n->name);
        break;
    case ND_CASE:
        fputs(n->argc == CASE_RECV ? "" : n->argc == CASE_EOF ? " eof" : " timeout", out);
        if (n->lhs) fprintf(out, " %s", n->lhs->name);
        break;
    case ND_PIPE:
        fprintf(out, " %s %s %s", n->name ? n->name : "?", n->oneway ? "->" : ",",
                n->name2 ? n->name2 : "?");
        break;
    case ND_PROCESS:
        fprintf(out, " %s", n->name ? n->name : "?");
        if (n->lhs) fputs(" group", out);
        if (n->index_name) fprintf(out, " as %s", n->index_name);
        break;
    default: break;
    }
    switch (n->kind) {
    case ND_LET:
    case ND_PARAM:
    case ND_PIPE:
    case ND_QUEUE:
    case ND_VALUE:
    case ND_ARRAY:
    case ND_SYNC:
        if (n->decl_type) dump_type(out, ": ", n->decl_type);
        break;
    default: break;
    }
    if (n->kind == ND_DEF && n->ret_type) dump_type(out, " -> ", n->ret_type);
    if ((n->kind == ND_CALL || n->kind == ND_MEMBER) && n->builtin != B_NONE &&
        n->builtin < B__COUNT)
        fprintf(out, " builtin=%s", builtin_defs[n->builtin].name);
    if (n->parens) fputs(" (parens)", out);
    dump_span(D, n->span);
    if (n->type) dump_type(out, " type=", n->type);
    fputc('\n', out);

    DumpKids k = {D, depth + 1};
    ast_children((Node *)n, false, dump_child, &k);
}

void ast_dump(FILE *out, const Program *p, const Source *src) {
    Dumper D = {out, src};
    fputs("program\n", out);
    /* Definitions and top-level statements, merged back into source order. */
    const Node *d = p->defs, *t = p->top;
    while (d || t) {
        if (d && (!t || d->span.begin <= t->span.begin)) {
            dump_node(&D, d, 1, NULL);
            d = d->next;
        } else {
            dump_node(&D, t, 1, NULL);
            t = t->next;
        }
    }
}
