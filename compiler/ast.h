/* ast: the syntax tree, types and symbols shared by every compiler stage.
 *
 * The parser builds Nodes (all in the compilation's arena); sema fills in
 * `type` on expressions and `sym` on names; gen reads the checked tree.
 * Lists (statements, parameters, arguments, list elements, string parts)
 * are chained through `next`. Each node holds only its kind's fields (see
 * struct Node); walk children of any kind with ast_children. */
#ifndef MPC_AST_H
#define MPC_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

/* ---- types ---------------------------------------------------------- */

typedef enum TypeKind {
    TY_ERROR, /* an already reported error; silences follow-up ones */
    TY_NONE,  /* no value: a def without return type */
    TY_INT,   /* 64-bit signed */
    TY_FLOAT, /* double */
    TY_BOOL,
    TY_STR,
    TY_LIST,     /* list[elem] */
    TY_CONN,     /* conn[elem]: one end of a pipe */
    TY_QUEUE,    /* queue[elem] */
    TY_VALUE,    /* value[elem]: shared scalar */
    TY_ARRAY,    /* array[elem]: shared fixed-size array */
    TY_PROCESS,  /* a declared process (top level only) */
    TY_GROUP,    /* a replicated process group (top level only) */
    TY_FUNC,     /* a def, as a callee */
    TY_NULL,     /* the type of the literal None (Python's NoneType) */
    TY_FILE,     /* an open file (refcounted; not a message) */
    TY_EXC,      /* a caught exception (`except K as e`) */
    TY_OPTIONAL, /* elem | None */
    TY_TUPLE,    /* tuple[items[0], ..., items[n-1]] */
    /* synchronization objects (top level, passed to defs as handles) */
    TY_LOCK,
    TY_RLOCK,
    TY_SEMAPHORE,
    TY_BSEMAPHORE, /* BoundedSemaphore */
    TY_EVENT,
    TY_CONDITION,
    TY_BARRIER,
    TY_DICT,    /* dict[items[0], items[1]]: elem is the value type too */
    TY_SET,     /* set[elem] */
    TY_POOL,    /* Pool NAME = N (top level only, main only) */
    TY_ASYNC,   /* AsyncResult[elem]: what a pool's apply_async returns */
    TY_HANDLES, /* list[conn[T]] or list[queue[T]]: an array of pipe ends or
                   queues, or a parameter given one (elem: the handle type) */
} TypeKind;

/* Whether T is one of the synchronization objects; one taken by `with`
 * (Lock, RLock, Semaphore, BoundedSemaphore, Condition). */
#define type_is_sync(t) ((t)->kind >= TY_LOCK && (t)->kind <= TY_BARRIER)
#define type_is_lockish(t) (type_is_sync(t) && (t)->kind != TY_EVENT && (t)->kind != TY_BARRIER)

typedef struct Type Type;
struct Type {
    TypeKind kind;
    Type *elem;    /* LIST, CONN, QUEUE, VALUE, ARRAY, OPTIONAL, SET; DICT: value */
    Type **items;  /* TUPLE: the element types; DICT: key, value (never freed) */
    int n;         /* TUPLE: how many; DICT: 2 */
    bool joinable; /* QUEUE: declared `joinable` (Python's JoinableQueue) */
    bool raw;      /* ARRAY: declared `lock=False` (Python's RawArray): rawarray[elem] */
};

/* Types are interned: equal types are the same pointer. They are global
 * (shared by every compilation in the process, not in any arena): basic
 * types are static, composite ones sit in a malloc'd intern table. */
Type *type_basic(TypeKind kind); /* ERROR NONE INT FLOAT BOOL STR PROCESS GROUP FUNC NULL FILE EXC,
                               the synchronization objects */
Type *type_of(TypeKind kind, Type *elem);    /* LIST CONN QUEUE VALUE ARRAY OPTIONAL */
Type *type_tuple(Type *const *items, int n); /* copies ITEMS */
Type *type_joinable_queue(Type *elem);       /* queue[elem] joinable */
Type *type_raw_array(Type *elem);            /* rawarray[elem] */
Type *type_dict(Type *key, Type *value);
/* Frees the intern table; every Type* from type_of is invalid afterwards.
 * Optional (the table stays reachable); call at exit for a clean valgrind
 * report. type_of may be used again afterwards. */
void ast_types_free(void);
/* The name of a kind alone: "int", "queue", "process group", "none". */
const char *type_kind_name(TypeKind k);
/* `int`, `list[str]`, `conn[list[int]]`, ... into BUF; returns BUF. */
const char *type_name(const Type *t, char *buf, size_t size);
/* Types a message (pipe, queue, list element) may carry: int float bool
 * str, lists of those, and any of those `| None`. */
bool type_is_message(const Type *t);
/* What a dict key or set element may be, as Python's hashable values:
 * int, float, bool, str, and tuples and `| None` of those. */
bool type_is_hashable(const Type *t);
/* int, float, bool: what value[] and array[] may hold. */
bool type_is_scalar(const Type *t);

/* ---- symbols -------------------------------------------------------- */

typedef enum SymKind {
    SYM_VAR, /* let, for variable, replica index */
    SYM_PARAM,
    SYM_FUNC,     /* def */
    SYM_BUILTIN,  /* print, len, range, ... */
    SYM_PIPE_END, /* one name of a `pipe a, b` declaration */
    SYM_QUEUE,
    SYM_VALUE,
    SYM_ARRAY,
    SYM_PROCESS, /* single process */
    SYM_GROUP,   /* process NAME[N] */
    SYM_CONST,   /* const NAME = EXPR; decl->lhs is the folded literal */
    SYM_SYNC,    /* Lock NAME, Semaphore NAME = N, ...: its type says which */
} SymKind;

typedef struct Node Node;
typedef struct Symbol Symbol;
/* Fields ordered so that no padding is left: there is one symbol for
 * every local and parameter of the program. */
struct Symbol {
    SymKind kind;
    int builtin; /* SYM_BUILTIN: which one (sema's enum) */
    const char *name;
    Type *type;
    Node *decl;        /* declaring node (def, let, param, top-level decl) */
    Span span;         /* the name in the declaration, for notes */
    const char *cname; /* C identifier chosen by gen */
    int shadows;       /* visible variables of this name it hides in its
                           C function (sema); gen names it apart from them */
    unsigned flags;    /* SF_* facts found by sema */
    int index;         /* gen's scratch */
    bool global;       /* declared at top level of the parent program */
    bool used;
    bool elementwise; /* a hoisted loop's variable: its body is element-wise
                          (sema_hoist.c), run in blocks (gen_vec.c) */
    /* What the parent does with its shared objects (sema_facts.c): */
    int producers;        /* queue: the process declarations putting into it,
                           plus 1 when the parent puts into it too */
    int users;            /* pipe end: processes that may use it (a group
                           counts as 2: more than one), plus 1 for main */
    int putters, getters; /* queue: processes that may put into / get from
                            it (a group counts as 2), the parent included */
    Node *release_after;  /* pipe end, queue: the top-level statement
                               after which the parent lets go of it (closes
                               the end / stops producing); NULL: never */
    bool guarded;         /* value, array (named): every access takes its lock */
    bool try_reachable;   /* def: may run while a `try` is active (called,
                            directly or not, from inside a try statement):
                            gen checks for a pending exception in it */
    bool unstarted;       /* process, group: never started (warning unstarted) */
    bool spsc;            /* queue: one process puts, one gets: no locks */
    /* An array of pipe ends or queues (`pipe a[4], b[4]: T`, `queue q[4]: T`)
     * is one symbol of type list[conn[T]] with one symbol per element
     * (named "a[2]", not in any scope), which carries the element's own
     * facts above; an element points back at its array. */
    union {
        int32_t count;      /* array: its elements */
        int32_t elem_index; /* element: its index */
    };
    Symbol **elems; /* array: its elements */
    Symbol *array;  /* element: its array */
    /* The variable of a `for` over range() whose bounds check is hoisted
     * (sema_hoist.c): the arrays its body indexes with it, each checked
     * once against the range before the loop. */
    Symbol **hoist; /* NULL-terminated; at most HOIST_MAX */
};

#define HOIST_MAX 8 /* arrays per hoisted loop: more is rare, and not hoisted */

enum {
    SF_PUTS = 1u << 0,     /* queue param or global: something puts into it */
    SF_GETS = 1u << 1,     /* queue: something gets from / iterates it */
    SF_ASSIGNED = 1u << 2, /* variable: assigned after its declaration */
    /* added by sema: the same facts for a conn param or pipe end (sends
     * with send(); receives with recv(), poll() or a for loop). Like
     * SF_PUTS, transitive through calls to defs; on a pipe end, only what
     * the parent itself does (not the processes it is passed to). */
    SF_SENDS = 1u << 3,
    SF_RECVS = 1u << 4,
    SF_SELECTS = 1u << 5,   /* queue: a select waits on it, in the parent or (on a
                             global, after sema_facts) any process */
    SF_NESTED = 1u << 6,    /* queue or pipe end: a def hands it on to a process it
                             declares itself (directly or through calls) */
    SF_NO_UNUSED = 1u << 7, /* variable: never warned as unused */
    /* def: what its body holds, found while sema checks it, so that the
     * walks after it (sema_facts.c, sema_hoist.c) visit only the defs
     * where they can find something */
    SF_DEF_TRIES = 1u << 8,  /* a try statement, or a pool running a def */
    SF_DEF_SHARED = 1u << 9, /* a shared value or array named, or a lock block */
    SF_DEF_PROCS = 1u << 10, /* a process declaration */
};

/* Built-in functions, methods and attributes (Symbol.builtin, Node.builtin
 * on ND_CALL and ND_MEMBER): one per row of builtins.def. */
typedef enum Builtin {
    B_NONE,
#define BUILTIN(id, name, kind, on, param, ptype, flags, lo, hi, result, check, emit) id,
#include "builtins.def"
#undef BUILTIN
    B__COUNT
} Builtin;

/* How a statement writing a shared value or array element is made atomic
 * when no lock block on the object encloses it (Node.plan). */
typedef enum SharedPlan { SH_STORE, SH_ATOMIC, SH_CAS, SH_LOCK } SharedPlan;

/* ---- nodes ---------------------------------------------------------- */

typedef enum NodeKind {
    /* expressions */
    ND_INT,      /* ival */
    ND_FLOAT,    /* fval */
    ND_BOOL,     /* ival 0/1 */
    ND_STR,      /* parts: ND_STRPART literal pieces and interpolated
                       expressions, in order; a plain literal has one part */
    ND_STRPART,  /* str/len: decoded literal bytes (may contain NUL) */
    ND_NAME,     /* name; sym after sema */
    ND_LIST,     /* elems */
    ND_UNARY,    /* op (OP_NEG OP_POS OP_NOT OP_BITNOT), lhs */
    ND_BINARY,   /* op, lhs, rhs */
    ND_CALL,     /* callee, args (ND_KWARG for name=value); argv/argc and
                       builtin after sema */
    ND_KWARG,    /* name, lhs = value */
    ND_INDEX,    /* lhs[rhs]; on an array of pipe ends or queues, sema sets
                       argc: K + 1 for a constant index K (normalized), IX_REPLICA
                       for a group's replica index, 0 for any other index */
    ND_MEMBER,   /* lhs.name; a method call is ND_CALL with an ND_MEMBER callee */
    ND_SLICE,    /* lhs[lo:hi:step]; each bound may be NULL (not written) */
    ND_LISTCOMP, /* [x for ... if ...]: body is the loop that fills it, an
                       ND_FOR whose innermost statement is an ND_COMP_PUSH
                       (if clauses are ND_IFs in between); argc: COMP_LIST,
                       COMP_SET ({x for ...}) or COMP_DICT ({k: v for ...}) */
    ND_NONE,     /* the literal None */
    ND_TUPLE,    /* elems: (a, b), (a,), () */
    ND_DICT,     /* elems: key, value, key, value... ({} has none) */
    ND_SET,      /* elems: {a, b} */

    /* statements */
    ND_BLOCK,  /* body */
    ND_LET,    /* name, decl_type (may be NULL), rhs; sym */
    ND_ASSIGN, /* lhs = rhs; op is OP_NONE, or OP_ADD.. for `+=` etc. */
    ND_IF,     /* cond, then, els (NULL, an ND_BLOCK, or an ND_IF for elif) */
    ND_WHILE,  /* cond, body */
    ND_FOR,    /* name, sym (loop variable), rhs (iterable), body */
    ND_BREAK,
    ND_CONTINUE,
    ND_RETURN,    /* lhs (may be NULL) */
    ND_EXPR_STMT, /* lhs */
    ND_LOCK,      /* lhs (a value or array, or a lock-like object), body: the
                     block runs atomically / holding it; `with` sets n->with */
    ND_PASS,
    ND_COMP_PUSH, /* lhs: the element a comprehension adds (a dict's key),
                       rhs: a dict's value */
    ND_TRY,       /* lhs: the try block, then: ND_EXCEPT list, els: else block
                       or NULL, rhs: finally block or NULL */
    ND_EXCEPT,    /* lhs: ND_NAME list of kinds (none: bare except; sema puts
                       each kind's mp_exc_kind in its argc), name/name_span/
                       sym: the `as` name or NULL, body */
    ND_RAISE,     /* lhs: what is raised, NULL to re-raise; sema: argc is the
                       kind raised (-1: an exception variable, lhs) and rhs
                       the message (NULL: empty) */
    ND_ASSERT,    /* lhs: condition, rhs: message or NULL */
    ND_DEL,       /* targets: the ND_INDEX expressions deleted (d[k], xs[i]) */
    ND_SELECT,    /* body: the ND_CASE list, in source order */
    ND_CASE,      /* argc: CASE_RECV (rhs: the call `src.recv()` or `src.get()`;
                     lhs: an ND_LET for the variable (its name, written type,
                     sym; no rhs; not a child) or NULL), CASE_EOF (rhs: the
                     source) or CASE_TIMEOUT (rhs: seconds); body */

    /* top level */
    ND_DEF,     /* name, params (ND_PARAM), ret_type (NULL: none), body */
    ND_PARAM,   /* name, decl_type, sym */
    ND_PIPE,    /* name / name2 (the two ends), decl_type (message
                       type), oneway (name sends, name2 receives) */
    ND_QUEUE,   /* name, decl_type (item type), lhs: bound or NULL;
                       joinable */
    ND_VALUE,   /* name, decl_type (scalar type), rhs: initial value or NULL */
    ND_ARRAY,   /* name, decl_type (element type), lhs: size or NULL,
                       rhs: initial list or NULL (one of them is set),
                       lock_opt: `lock=False` (a raw array) or NULL */
    ND_PROCESS, /* name, rhs (ND_CALL of a def); group: lhs = count,
                       index_name = replica index name or NULL; body:
                       ND_KWARG options (name=, daemon=) or NULL */
    ND_START,   /* targets (ND_NAME list) */
    ND_JOIN,    /* targets (ND_NAME list) */
    ND_CONST,   /* name, rhs (the expression), sym; lhs: its value folded
                       by sema, an ND_INT, ND_FLOAT, ND_BOOL or ND_STR */
    ND_SYNC,    /* Lock m, Semaphore s = N, Condition c = m, ...: name,
                       decl_type (the object's type), rhs: count, parties or
                       the condition's lock, or NULL */
} NodeKind;

/* ND_INDEX.argc on an array of handles: the replica index of the group
 * being declared (replica k gets element k). */
enum { IX_REPLICA = -1 };
/* What an ND_CASE of a select waits for (its argc). */
enum { CASE_RECV, CASE_EOF, CASE_TIMEOUT };

/* What an ND_LISTCOMP builds (its argc). */
enum { COMP_LIST, COMP_SET, COMP_DICT };

typedef enum Op {
    OP_NONE,
    /* arithmetic, also the compound assignments */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_FLOORDIV,
    OP_MOD,
    OP_POW,
    OP_BITAND,
    OP_BITOR,
    OP_BITXOR,
    OP_SHL,
    OP_SHR,
    /* comparison */
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    /* membership */
    OP_IN,
    OP_NOTIN,
    OP_IS,    /* `is`: only against None */
    OP_ISNOT, /* `is not` */
    /* logic */
    OP_AND,
    OP_OR,
    OP_NOT,
    /* unary */
    OP_NEG,
    OP_POS,
    OP_BITNOT,
} Op;

/* The operator as written in source ("+", "//", "and", ...). */
const char *op_spelling(Op op);

/* A node is a common header and the fields of its kind. Every field has a
 * fixed offset (the kind-specific ones overlap in anonymous unions), and
 * node_new allocates only the bytes up to the last field its kind uses
 * (node_size), so a name costs 64 bytes and a binary operator 48 instead
 * of one 288-byte struct holding every field of every kind. Reading a field
 * the kind does not own reads another field or past the node: code that
 * walks nodes of any kind goes through ast_children. The SANITIZE=address
 * build puts a poisoned gap after every arena object to catch that. */
struct Node {
    /* small enums as bytes (NodeKind, Op, Builtin): the header fits in 48 */
    uint8_t kind;      /* NodeKind */
    uint8_t op;        /* Op: ND_UNARY, ND_BINARY, ND_ASSIGN; else OP_NONE */
    uint8_t builtin;   /* Builtin: ND_CALL / ND_MEMBER, what sema resolved it to */
    bool parens : 1;   /* expression was parenthesized (chained comparisons) */
    bool oneway : 1;   /* ND_PIPE */
    bool joinable : 1; /* ND_QUEUE: declared `joinable` */
    /* ND_ASSIGN to a shared v.value or a[i] (sema_facts.c): */
    unsigned plan : 2;     /* SharedPlan: how the write is made atomic */
    bool reads_target : 1; /* the right side reads the shared object */
    /* made by the parser for `let a, b = e`, `a, b = e`, `for a, b in`:
     * the hidden variable's let, and each ND_INDEX taking item k of it
     * (argc: how many names it unpacks into) */
    bool unpack : 1;
    bool with : 1;   /* ND_LOCK written `with` */
    Span span;       /* the whole construct */
    int argc;        /* ND_CALL: entries of argv (in what would be padding);
                        ND_RAISE and an ND_EXCEPT's kind names: the kind */
    Node *next;      /* next in the enclosing list */
    Type *type;      /* expressions: set by sema */
    Node *lhs, *rhs; /* operands; see NodeKind for each kind's use */

    /* The fields of each kind (see NodeKind). Names must be unique across
     * the union, so fields shared by several kinds (body, type_span, sym)
     * sit where all of them can reach them. */
    union {
        int64_t ival;        /* ND_INT, ND_BOOL */
        double fval;         /* ND_FLOAT */
        struct {             /* ND_STRPART */
            const char *str; /* bytes (arena, NUL-terminated) */
            size_t len;
        };
        Node *parts;   /* ND_STR */
        Node *elems;   /* ND_LIST, ND_TUPLE, ND_DICT, ND_SET */
        Node *targets; /* ND_START, ND_JOIN, ND_DEL */
        struct {       /* ND_CALL */
            Node *callee, *args;
            Node **argv; /* arguments in parameter order (sema) */
        };
        struct { /* ND_SLICE */
            Node *lo, *hi, *step;
        };
        struct { /* ND_IF (all three), ND_WHILE (cond) */
            Node *cond, *then, *els;
        };
        struct {              /* names, declarations, bodies */
            const char *name; /* identifier (arena, NUL-terminated) */
            Symbol *sym;      /* ND_NAME, ND_LET, ND_FOR, ND_PARAM, ND_DEF,
                                           top-level decls */
            Span name_span;   /* the name in a declaration, ND_KWARG, ND_MEMBER */
            union {
                Type *decl_type; /* written type, NULL when absent */
                Node *body;      /* ND_BLOCK statements; ND_WHILE, ND_FOR,
                                           ND_LOCK, ND_DEF: an ND_BLOCK;
                                           ND_LISTCOMP: its ND_FOR */
            };
            Span type_span; /* decl_type, or ND_DEF's ret_type */
            union {
                struct {            /* ND_DEF */
                    Type *ret_type; /* NULL: none */
                    Node *params;   /* ND_PARAM list */
                };
                struct { /* ND_PIPE, ND_PROCESS, ND_ARRAY */
                    union {
                        const char *name2;      /* ND_PIPE second end */
                        const char *index_name; /* ND_PROCESS replica index */
                        Node *lock_opt;         /* ND_ARRAY: its `lock=` ND_KWARG, or NULL */
                    };
                    union {
                        Span name2_span;
                        Span index_span;
                    };
                    Symbol *sym2; /* second end; replica index */
                };
            };
        };
    };
};

/* A parsed file: its definitions and its top-level statements in order. */
typedef struct Program {
    Node *defs; /* ND_DEF list */
    Node *top;  /* top-level statements and declarations */
} Program;

/* A zeroed node of node_size(KIND) bytes. */
Node *node_new(Arena *a, NodeKind kind, Span span);
/* Bytes a node of KIND occupies: the header and its own fields. */
size_t node_size(NodeKind kind);
/* The child nodes of N in source order, whatever its kind, each with the
 * role ast_dump shows ("cond", "arg", NULL...). Lists (arguments, elements,
 * statements, string parts, targets) are yielded node by node. Calls F for
 * each; stops and returns true as soon as F does. With ARGV, an ND_CALL
 * whose argv is set (after sema) yields argv instead of args, so keyword
 * arguments come as their values in parameter order. */
typedef bool (*NodeVisit)(void *ctx, Node *child, const char *role);
bool ast_children(Node *n, bool argv, NodeVisit f, void *ctx);
Node *node_binary(Arena *a, Op op, Node *lhs, Node *rhs, Span span);
/* Spans from the start of A to the end of B. */
Span span_join(Span a, Span b);

/* Writes a readable indented dump of the tree (used by tests and
 * `mpc check --dump-ast`): one node per line with its kind, fields, types
 * and line:col range. */
void ast_dump(FILE *out, const Program *p, const Source *src);

#endif
