/* sema_impl.h: what the parts of sema share (sema.c: scopes, statements and
 * the parent's process rules; sema_expr.c: expressions, calls, built-ins
 * and methods; sema_flow.c: which def puts into / gets from which queue;
 * sema_facts.c: the facts gen reads, computed once at the end).
 * Private to sema_*.c. */
#ifndef MPC_SEMA_IMPL_H
#define MPC_SEMA_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "builtins.h"
#include "sema.h"
#include "util.h"

/* ---- extended symbols ------------------------------------------------ */

/* Flow facts for queues and pipe ends. The public ones are SF_* bits of
 * Symbol.flags; XF_ITERS is sema's own: iterated with `for`. */
enum { XF_ITERS = 1u << 8 };
enum { FLOW_N = 7 }; /* PUTS GETS SENDS RECVS ITERS SELECTS NESTED */

typedef struct Edge Edge;

/* A group member joined at the top level by `w[K].join()` (K a literal). */
typedef struct MemberJoin {
    struct MemberJoin *next;
    int64_t index;
    Span at;
    Node *node; /* the target, `w[K]` (member starts) */
} MemberJoin;

/* What sema learns about a queue or pipe end (param or top-level object),
 * allocated only for those. */
typedef struct FlowInfo {
    unsigned fl;                /* flow bits found so far */
    unsigned direct;            /* flow bits this def/the parent sets itself */
    Span ev_at[FLOW_N];         /* where each bit was first seen */
    const char *ev_via[FLOW_N]; /* the def it came through, NULL: direct */
    Edge *users;                /* calls that pass an argument to this param */
    bool queued;
    bool explained; /* a never-ending loop through it was reported elsewhere */
    bool iter_eof;  /* the direct XF_ITERS is a select's eof case, not a loop */
} FlowInfo;

/* Every Symbol sema makes is the first member of a SymX, so a Symbol* from
 * a node can be widened to reach sema's bookkeeping. */
typedef struct SymX {
    Symbol s;
    Node *def;    /* the def a param or local belongs to; NULL: parent */
    FlowInfo *fi; /* queues and pipe ends: NULL until they have facts */
    void *sig;    /* defs: the parameter specs for calls (sema_expr.c;
                       in Sema.scratch, so only while sema runs) */
    /* Processes and groups (SYM_PROCESS, SYM_GROUP) only: the symbol of
     * any other kind is allocated up to `started` (sym_new), as a node is
     * up to its kind's last field, and the sanitizer build reports a read
     * past it. */
    bool started, joined, method_joined;
    bool daemon; /* declared daemon=True: never warned as unjoined */
    /* groups: members started one by one, `start w[K]` at the top level
     * (K a literal); loose: some member is started where the compiler
     * cannot tell which (another index, or inside a block) */
    bool loose;
    MemberJoin *member_starts;
    Span start_at, join_at;
    MemberJoin *member_joins; /* groups: members joined one by one */
} SymX;

static inline SymX *symx(Symbol *s) { return (SymX *)s; }

/* ---- scopes ---------------------------------------------------------- */

typedef enum Owner {
    OWN_BUILTIN, /* the built-in functions */
    OWN_DEFS,    /* every def, hoisted */
    OWN_PARENT,  /* the parent program's top level and its blocks */
    OWN_DEF,     /* a def's parameters, body and blocks */
} Owner;

typedef struct Scope Scope;
typedef struct Binding Binding;
struct Binding {
    SymX *sym;
    Binding *outer;      /* the binding this one hides */
    Binding *scope_next; /* next (older) binding of the same scope */
    Scope *scope;
};
struct Scope {
    Scope *parent;
    Binding *bindings; /* newest first */
    Owner owner;
};

typedef struct Loop Loop;
struct Loop {
    Loop *outer;
    bool has_break;
};

/* The first declaration of each name anywhere in the parent program, so a
 * def that uses one gets a precise error and the parent a "declared later"
 * note. */
typedef struct PDecl {
    Span at;
    const char *what; /* "variable", "queue", ... */
    bool used_in_def; /* a def used it (an error): not "unused" too */
} PDecl;

/* A pipe end passed to a def: checked against the def's use of the param
 * once the flow facts are known. */
typedef struct PipeArg {
    struct PipeArg *next;
    SymX *end; /* top-level pipe end */
    SymX *param;
    Node *arg;
    const char *callee;
} PipeArg;

/* One object passed for two parameters of the same call (relay(q, q)). */
typedef struct Alias {
    struct Alias *next;
    SymX *obj;
    SymX *p1, *p2; /* the two parameters, in order */
    Node *arg;     /* the second argument */
    const char *callee;
} Alias;

struct Edge {
    Edge *next_user; /* next edge into the same param */
    SymX *from;      /* the caller's param or top-level object */
    SymX *to;        /* the callee's param */
    Span at;         /* the argument */
    const char *callee;
};

/* The most elements an array of pipes or queues may have. */
enum { MAX_HANDLES = 65536 };

typedef struct Sema {
    Program *prog;
    Arena *arena;  /* what outlives sema: symbols, types, call->argv */
    Arena scratch; /* what only sema reads (scopes, bindings, call
                       signatures): freed when sema ends, before gen */
    Diag *d;
    HMap names;        /* name -> innermost Binding */
    HMap parent_names; /* name -> PDecl */
    Scope *scope;
    Scope *parent_scope; /* the parent program's outermost scope */
    Binding *free_bindings;
    Scope *free_scopes;
    Node *def; /* def being checked; NULL in the parent */
    SymX *def_sym;
    Scope *def_scope; /* the def's outermost scope: its body's statements */
    Loop *loop;
    /* the top-level `for i in range(len(w))` loop being checked whose body
     * may start each member of a group once (check_for), and its scope */
    Node *member_loop;
    Scope *member_loop_scope;
    int handlers; /* `except` blocks around the statement: a bare `raise` re-raises */
    int expr_depth;
    bool too_deep;      /* "nested too deeply" was reported */
    bool range_ok;      /* the expression being checked is a for's iterable */
    bool in_const;      /* the expression being checked is a const's */
    Node *comp;         /* the list comprehension whose loop is being checked */
    Node *proc_decl;    /* the process declaration whose call is being checked */
    int suggest_budget; /* "did you mean" searches left */
    bool sync_named;    /* a name of a synchronization object is used:
                           sema_sync_paths has something to check */
    /* flow */
    VEC(SymX *) flow;                    /* queue and conn symbols with facts */
    PipeArg *pipe_args, *pipe_args_last; /* in source order */
    Alias *aliases, *aliases_last;       /* in source order */
    /* processes and groups in declaration order */
    VEC(SymX *) procs;
    /* variables of type T | None known not to be None here (NULL: a
     * narrowing ended early); see sema_narrow.c */
    VEC(Symbol *) narrowed;
} Sema;

/* sema_expr.c: lists of members named by a literal index */
MemberJoin *sema_member_find(MemberJoin *list, int64_t k);
void sema_member_add(Sema *S, MemberJoin **list, int64_t k, Span at, Node *node);
/* sema.c */
/* Some member (or all) of process or group P may be started by now. */
bool sema_maybe_started(const SymX *p);
/* The statement being checked stands directly in the body of the def
 * being checked, or at the top level of the parent program: where
 * processes are declared, started and joined. */
bool sema_at_body(const Sema *S);
SymX *sema_lookup(Sema *S, const char *name, SymX **parent_hit);
/* The built-in function NAME, even where a user name hides it. */
SymX *sema_builtin(Sema *S, const char *name);
void sema_undefined(Sema *S, Node *name_node);
const char *sema_tname(const Type *t);
const char *sema_sym_what(const SymX *x);
/* "a" or "an" before type T's name, or before word W. */
const char *sema_an(const Type *t);
const char *sema_an_word(const char *w);
Span sema_params_span(const Node *def);
size_t sema_edit_distance(const char *a, const char *b, size_t max);

/* sema.c: checks statement ST (a comprehension's loop is one); returns
 * whether its end is reachable. */
bool sema_stmt(Sema *S, Node *st);
/* sema_narrow.c: `x is not None` makes x a T until x may be None again */
size_t narrow_mark(Sema *S);
void narrow_reset(Sema *S, size_t mark);
void narrow_push(Sema *S, Symbol *s);
bool narrow_has(const Sema *S, const Symbol *s);
void narrow_drop(Sema *S, const Symbol *s);
/* Narrows what condition C proves when it evaluates to TRUTH. */
void narrow_cond(Sema *S, Node *c, bool truth);
/* Before statement ST of a list: ends the narrowings it may undo. */
void narrow_before(Sema *S, Node *st);
/* After ST: `x = e` narrows x when e is a T. */
void narrow_after(Sema *S, Node *st);
/* Reports E, of type SRC, used where DST is needed when E may be None but
 * would otherwise fit ("'x' may be None"); returns whether it did. */
bool sema_none_misuse(Sema *S, Node *e, const Type *dst, const Type *src);
/* Reports E of type T used as a str, list, ... when T is T | None or None;
 * returns whether it did. */
bool sema_none_receiver(Sema *S, Node *e, const Type *t);

/* sema_expr.c */
/* The element pushed by a list comprehension's loop (ND_COMP_PUSH). */
void sema_comp_push(Sema *S, Node *st);
/* Checks E; processes, groups and def names are allowed (for members,
 * indexing, calls). HINT is the type expected, if known (empty lists). */
Type *sema_expr(Sema *S, Node *e, Type *hint);
/* Checks E as a value: rejects processes, defs and calls without result. */
Type *sema_value(Sema *S, Node *e, Type *hint);
/* T can be held by a variable, returned or passed by copy. */
bool sema_storable(const Type *t);

/* sema_sync.c: a Lock acquired twice on one path, a lock released or a
 * Condition used where the def never acquired it (located errors). */
void sema_sync_paths(Sema *S, Program *p);
/* DST accepts a SRC value (equal, or int where float is expected). */
bool sema_assignable(const Type *dst, const Type *src);
/* An attribute o.name, or (ASSIGNING) an assignment target v.value. */
Type *sema_member(Sema *S, Node *e, bool assigning);
/* The type of `L op R`, reporting an error at E when it has none. */
Type *sema_binary_type(Sema *S, Node *e, Op op, Type *l, Type *r);
/* Checks the call of a def for `process`: CALL's callee names DEF. */
Type *sema_def_call(Sema *S, Node *call, SymX *def, bool is_process);
/* The value of E when it is a constant int (a literal, a const, negated). */
bool sema_const_int(const Node *e, int64_t *out);
/* The queue or pipe end (or array or list of them) expression E stands
 * for in the flow facts: a name's symbol, a constant index's element,
 * the whole array for any other index; NULL for anything else. */
SymX *sema_flow_sym(Node *e);
/* The process or group symbol E refers to (p, w[i]), or NULL. */
SymX *sema_proc_of(Node *e);
/* Top-level statement N uses queue or pipe end S itself (sema_facts.c);
 * the parent lets go of a queue after the last one. */
bool sema_top_mentions(Node *n, Symbol *s);
/* The member join of group G at literal index K, or NULL. */
MemberJoin *sema_member_join(SymX *g, int64_t k);
/* Check a `w[K].join()`; JOINS: it surely runs, record it. */
void sema_join_member(Sema *S, SymX *g, Node *member, Span at, bool joins);
/* For a one-way pipe end: 1 sends only, 2 receives only, 0 otherwise. */
int sema_pipe_dir(const SymX *x);
void sema_pipe_misuse(Sema *S, SymX *end, Span at, bool receiving);

/* Declares constant N (sema_const.c) of type T in the current scope. */
SymX *sema_declare_const(Sema *S, Node *n, Type *t);

/* sema_const.c: checks and folds `const NAME = EXPR`, binding NAME. */
void sema_const(Sema *S, Node *n);

/* sema_flow.c */
void flow_direct(Sema *S, SymX *x, unsigned bit, Span at);
void flow_edge(Sema *S, SymX *from, SymX *to, Span at, const char *callee);
void flow_pipe_arg(Sema *S, SymX *end, SymX *param, Node *arg, const char *callee);
void flow_alias(Sema *S, SymX *obj, SymX *p1, SymX *p2, Node *arg, const char *callee);
void flow_solve(Sema *S);

/* Notes FLAG (SF_DEF_*) on the def being checked, if any. */
static inline void sema_def_holds(Sema *S, unsigned flag) {
    if (S->def_sym) S->def_sym->s.flags |= flag;
}

/* sema_facts.c: after flow_solve, on a program without errors */
void facts_compute(Program *p);
/* Whether pool method ID runs the def it is given (in a worker, inside a
 * try whose exception goes back to the caller). */
bool sema_pool_runs_def(Builtin id);
/* sema_hoist.c: Symbol.hoist on range loops whose bounds checks can be
 * made once (after facts_compute, which marks guarded arrays). */
void sema_hoist(Program *p, Arena *a);

#endif
