/* gen_impl.h: what the parts of gen share. Private to gen_*.c.
 *
 *   gen_out.c    text buffers, emit(), #line mapping, side buffers
 *   gen_types.c  C types, runtime type descriptors, string literals, C names
 *   gen_scope.c  C blocks: temporaries and the releases when a block ends
 *   gen_expr.c   expressions, operands in Python's order, built-ins, methods
 *   gen_stmt.c   statements, shared access (atomics, CAS, locks)
 *   gen_vec.c    element-wise range loops, in blocks the C compiler vectorizes
 *   gen_proc.c   defs, process argument structs and stubs, main, the file
 *
 * Layout of the output:
 *   banner, #include <mpr.h>
 *   list type descriptors, string literals      (collected while generating)
 *   prototypes of every def
 *   the defs, then for each def used as a process: an argument struct and
 *   an entry stub
 *   main(): the top-level program
 *
 * Values of type str, list and T | None are reference counted. An expression is
 * generated into a C expression string plus, where needed, statements
 * emitted before it (temporaries). A CExpr is "owned" when it yields a new
 * reference; every owned value is either stored (a variable, a list, an
 * argument struct) or held in a temporary that is released after the
 * statement. Calls are always hoisted into temporaries so that evaluation
 * order is Python's (left to right), whatever C's unspecified order. */
#ifndef MPC_GEN_IMPL_H
#define MPC_GEN_IMPL_H

#include <stdio.h>

#include "gen.h"
#include "util.h"

/* ---- text buffers (gen_out.c) ------------------------------------------ */

typedef struct Buf {
    char *data;
    size_t len, cap;
    FILE *spill; /* full megabytes go to this temporary file (gen_program) */
    bool spill_failed;
} Buf;

void buf_put(Buf *b, const char *s, size_t n);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes bytes as the inside of a C string literal. */
void put_c_string(Buf *b, const char *s, size_t n);

/* ---- generator state --------------------------------------------------- */

/* A C expression and whether it yields a new reference. */
typedef struct CExpr {
    const char *code;
    bool owned;
} CExpr;

/* A reference a C block owns: its C name and type. */
typedef struct Held {
    const char *name;
    Type *type;
    const char *code; /* instead: a statement that ends it (a def's process) */
} Held;

/* Heap variables and temporaries of one C block, released when it ends.
 * A Held of type NULL is an mp_buf (freed), of TY_EXC a caught exception. */
typedef struct Scope Scope;
typedef struct TryCtx TryCtx;
struct Scope {
    Scope *up;
    VEC(Held) held; /* references to release, in order made */
    bool loop;      /* break/continue stop releasing here */
    Symbol *unlock; /* a lock block: unlocked when left */
    const char *unlock_at;
    bool temps; /* statement temporaries, not a block */
    /* The body of a try (or a handler or else block while its finally is
     * still to run): leaving it by break, continue or return leaves the
     * try (mp_try_leave) and runs its finally block first. */
    Node *try_node;
    TryCtx *try_outer;       /* where exceptions go outside that try */
    bool try_outer_checking; /* and whether code there checks */
};

/* Where a pending exception goes from the code being generated: a label
 * after the try's body (or before its finally), reached after releasing
 * every scope up to (not including) SCOPE, the C block of the try. */
struct TryCtx {
    TryCtx *up;
    const char *label;
    Scope *scope;
    bool used; /* a jump to the label was emitted */
};

typedef struct ListType {
    Type *type;
    const char *cname;
} ListType;

/* A reference held in a process's argument struct, released at exit. */
typedef struct Kept {
    Symbol *proc;
    const char *field; /* NULL: the group's arrays themselves */
    Type *type;
    bool group;
} Kept;

/* A function pool workers run (pool_callN, pool_fnN: N is index + 1). */
typedef struct PoolFn {
    Symbol *def;
    Type *item;
    int how; /* POOL_ITEM, POOL_SPREAD, POOL_NO_ARGS (gen_expr.c) */
} PoolFn;

typedef struct Gen {
    /* input */
    const Program *prog;
    const Source *src;
    const GenOptions *opt;

    /* memory */
    Arena arena; /* strings made while generating a function or a
                               top-level statement; reset after each */
    Arena perm;  /* strings that outlive it: C names of symbols,
                               type descriptors and string literals */

    /* output: the four parts of the file, in file order */
    Buf types, lits, protos, body;
    Buf *out; /* where emit() writes */
    int indent;
    int mapped; /* .mp line the next body line maps to; 0: none */

    /* file-level declarations collected while generating (gen_types.c) */
    VEC(ListType) ltypes; /* list type descriptors declared so far */
    HMap lits_by_bytes;   /* StrLit key -> its C name ("&s_3") */
    int nlit;             /* string literals declared (s_1, s_2, ...) */

    /* the function being generated */
    Node *def;    /* current def, NULL in main */
    Scope *scope; /* innermost C block */
    int ntmp;     /* temporaries made in it so far */

    /* locks */
    Symbol *locked[32]; /* objects locked by enclosing `lock` blocks */
    int nlocked;
    bool stmt_locked; /* the current statement holds its target's lock */

    /* Inside a compare-and-swap statement: reads of shared object cas_sym
     * are cas_old, the value loaded for the attempt. */
    Symbol *cas_sym;
    const char *cas_old;

    /* the list a comprehension's loop fills (a held temporary), its type */
    const char *comp;
    Type *comp_type;

    /* references in process argument structs, released at the end of main */
    VEC(Kept) kept;

    /* exceptions (gen_exc.c) */
    bool checking;       /* an exception may be pending after an operation
                            here: inside a try, or a def sema marked
                            try_reachable; checks are emitted only then */
    bool no_check;       /* emitting a check or releases: no check after */
    TryCtx *trying;      /* innermost try target in this function, or NULL */
    const char *handled; /* the exception the innermost handler holds */
    int nlabel;          /* labels made so far (x1, f1, ...) */

    /* the variable of the hoisted range loop whose unchecked copy is being
     * written (gen_stmt.c, gen_for), or NULL */
    Symbol *unchecked_var;
    /* its raw arrays' element pointers, by Symbol.hoist index (else NULL):
     * C locals, which no store or call in the loop can change */
    const char *unchecked_elems[HOIST_MAX];

    /* what pools run: one pool_callN and pool_fnN per def, item type and
     * spreading (gen_expr.c, pool_fn) */
    VEC(PoolFn) pool_fns;
} Gen;

/* ---- emitting (gen_out.c) ---------------------------------------------- */

char *gstr(Gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* S copied where it survives arena resets (see Gen.perm). */
const char *keep_str(Gen *g, const char *s);
/* "MP_LOC(line, col)" of S. */
const char *loc(Gen *g, Span s);
/* Maps the next emitted line to the .mp line where N starts. */
void map(Gen *g, const Node *n);
/* One indented line of C. */
void emit(Gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Output diverted from g->out into a side buffer, spliced in later (after
 * statements that must come before it) or dropped. */
typedef struct Side {
    Buf buf;
    Buf *saved; /* the output diverted from */
    int mapped; /* g->mapped when diverted */
} Side;

void side_begin(Gen *g, Side *s);
/* Back to the output diverted from; the side text is kept. */
void side_end(Gen *g, Side *s);
/* Appends the side text to g->out and frees it. */
void side_splice(Gen *g, Side *s);
void side_free(Side *s);

/* ---- types, descriptors, literals, names (gen_types.c) ----------------- */

bool is_heap(const Type *t);
/* "mp_str_ref", "mp_list_unref", "mp_box_ref", ... for heap type T. */
const char *ref_fn(const Type *t);
const char *unref_fn(const Type *t);
/* The mp_val member holding a value of type T. */
const char *vfield(const Type *t);
/* Suffix of the runtime's per-kind helpers (mp_value_load_i ...). */
const char *ksuffix(const Type *t);
const char *kind_enum(const Type *t);
/* A pointer to the runtime type descriptor of T. */
const char *tdesc(Gen *g, Type *t);
/* "int64_t x", "mp_str *x": a declaration of NAME with type T. */
const char *decl(Gen *g, const Type *t, const char *name);
/* CODE as an mp_val of type T. */
const char *mpval(Gen *g, Type *t, const char *code);
/* A static mp_str for literal bytes; equal literals share one. */
const char *str_literal(Gen *g, const char *s, size_t len);
/* C name of a symbol. */
const char *cname(Gen *g, Symbol *s);
/* After S's declaration: `(void)v_x;` when the program never reads S, so
 * that an unused name (only a warning in mpc, or none for `_x`) does not
 * make the C fail under -Wall -Wextra -Werror. */
void mark_unread(Gen *g, Symbol *s);
/* C name of a process's or group's companion ("args", "count"). */
const char *companion(Gen *g, const char *what, Symbol *p);

/* ---- blocks and temporaries (gen_scope.c) ------------------------------- */

void scope_push(Gen *g, Scope *s, bool loop);
void scope_add(Scope *s, const char *name, Type *t);
/* CODE (kept for the whole function) ends something when S is left. */
void scope_add_code(Scope *s, const char *code);
/* Leaves the innermost scope, releasing its references when RELEASE. */
void scope_pop(Gen *g, bool release);
void emit_release(Gen *g, const char *name, const Type *t);
/* Emits the releases (and unlock) of one scope. */
void release_scope(Gen *g, const Scope *s);
/* Whether the statements from FIRST end in a return, break or continue. */
bool ends_in_jump(const Node *first);
/* Releases up to the innermost loop (TO_LOOP) or the whole function. */
void release_until(Gen *g, bool to_loop);
const char *new_tmp(Gen *g, const char *prefix);
/* The scope of the current statement's temporaries (NULL: none). */
Scope *temps_scope(Gen *g);
/* Holds an owned value in a temporary released when the statement ends. */
const char *hold(Gen *g, Type *t, const char *code);
/* CODE, the borrowed value of N, as a borrowed value of dict key (or set
 * element) type KT: converted, a scalar boxed (and held) for an optional
 * key. */
const char *key_val(Gen *g, Node *n, const char *code, Type *kt);

/* ---- expressions (gen_expr.c) ------------------------------------------ */

/* Operands of one construct (a call's arguments, a binary operator's sides),
 * generated left to right. An operand's code may run later than the
 * statements a later operand needs (a call hoisted, an index checked): then
 * the earlier codes are computed into temporaries before those statements,
 * so effects and runtime errors happen in Python's order. */
typedef struct Operand {
    const char *code;
    Type *type;
    bool owned;
    bool pinned; /* computed into a temporary already */
} Operand;
typedef VEC(Operand) Ops;

CExpr gen_expr(Gen *g, Node *n);
/* The value of N as a borrowed reference (or plain scalar). */
const char *borrow(Gen *g, Node *n);
/* The value of N as a new reference, converted to TO (may be NULL). */
const char *owned(Gen *g, Node *n, Type *to);
/* A borrowed value converted to TO. */
const char *borrow_as(Gen *g, Node *n, Type *to);
/* Generates N as the next operand of OPS (owned and converted to TO when
 * OWN, else borrowed); returns its index in OPS. */
int operand(Gen *g, Ops *ops, Node *n, bool own, Type *to);
/* Computes operand I of OPS now, into a temporary. */
void pin(Gen *g, Ops *ops, int i);
/* Pins all but the last operand still to run, before their codes are
 * combined into one C expression (C leaves their order open). */
void ops_settle(Gen *g, Ops *ops);
/* CODE without one pair of enclosing parentheses, for `if (...)`. */
const char *unparen(Gen *g, const char *code);
/* L op R on already generated operands of type T (after promotion). */
const char *arith(Gen *g, Op op, Type *t, const char *l, const char *r, Span at);
/* Both operands of N, borrowed, the left one first. */
void sides(Gen *g, Node *n, const char **l, const char **r);
/* The arguments of call N to a def, in Python's order, into ARGS by
 * parameter; OWN: owned copies (a process declaration). */
void def_args(Gen *g, Node *n, bool own, const char **args);

/* ---- exceptions (gen_exc.c) --------------------------------------------- */

/* After an operation that may raise, where g->checking: when an exception
 * is pending, release and jump to the handler (or return from the def). */
void gen_check(Gen *g);
/* Whether emitted line LINE needs a check after it: a runtime call that
 * takes a location (every one that can raise does) ends it. */
bool line_may_raise(Gen *g, const char *line);
/* E, the C code of N, computed into a temporary and checked, when it
 * may raise and g->checking; else E unchanged. */
CExpr settle_raising(Gen *g, Node *n, CExpr e);
/* Leaving try-body scope S by break, continue or return. */
void leave_try(Gen *g, Scope *s);
void gen_try(Gen *g, Node *n);
/* `return 0;` (or the def's type's harmless value). */
void emit_harmless_return(Gen *g);
void gen_raise(Gen *g, Node *n);
/* A bool condition as C code, its temporaries released (gen_stmt.c). */
const char *gen_cond(Gen *g, Node *cond);
void gen_assert(Gen *g, Node *n);

/* ---- statements (gen_stmt.c) ------------------------------------------- */

/* Whether a read of shared object OBJ (a name) takes the object's lock. */
bool locked_read(Gen *g, const Node *obj);
/* Whether array index N (`a[i]`) is written without a bounds check: in the
 * unchecked copy of a hoisted loop over i, a one of the arrays tested. */
bool index_unchecked(const Gen *g, const Node *n);
/* "mp_array_i(a)[i]" (a raw array: a C lvalue) or "mp_array_get_i(a, i)"
 * for index N whose bounds are proven; O and I the array and index. */
const char *unchecked_load(Gen *g, const Node *n, const char *o, const char *i);
/* One statement's generation inside a temporaries scope. */
void stmt_begin(Gen *g, Scope *temps);
void stmt_end(Gen *g, Scope *temps);
void gen_stmt(Gen *g, Node *n);
/* `start` and `join` statements (gen_proc.c), at the top level or, for
 * members of groups, in its blocks. */
void gen_start_join(Gen *g, Node *n);
/* `process p = f(...)` (gen_proc.c); in a def, the process is ended
 * (joined and freed) on every way out of the def. */
void gen_process(Gen *g, Node *n);
void gen_block(Gen *g, Node *block, bool loop);

/* ---- element-wise loops (gen_vec.c) ------------------------------------ */

/* Inside `for (int64_t I = start; I < HI;) {` of a hoisted range loop N
 * whose variable is elementwise, the raw arrays' element pointers set:
 * emits the whole blocks (an overflow pass, then the vectorizable one),
 * and returns the C name of the end of the block to run checked from I. */
const char *gen_vec_blocks(Gen *g, Node *n, const char *i, const char *hi);

#endif
