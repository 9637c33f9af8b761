/* builtins: the table of built-in functions, methods and attributes, from
 * builtins.def. sema checks calls and gen emits them from it; neither keeps
 * a list of its own. */
#ifndef MPC_BUILTINS_H
#define MPC_BUILTINS_H

#include "ast.h"

/* BK_VAR: a built-in name that is a value (argv, stdin), not a function */
typedef enum BuiltinKind { BK_FUNC = 1, BK_METHOD, BK_ATTR, BK_VAR } BuiltinKind;

enum { BP_OPTIONAL = 1u << 0, BP_KWONLY = 1u << 1 };
/* A function whose CHECK hook binds its arguments itself, keyword ones
 * too (sorted(xs, key=f, reverse=True)); and a method with more than one
 * parameter, whose non-NULL CHECK hook does the same. */
enum { BF_KWARGS = 1u << 2 };
/* BP_KEYWORDS: a function whose CHECK hook binds all its arguments itself
 * (print, open, getenv) */
enum { BP_KEYWORDS = 1u << 3 };

/* print's keyword arguments (sep, end, file, flush): after sema, the last
 * entries of its call's argv, in that order (NULL: not given). */
enum { PRINT_KWARGS = 4 };

/* One row of builtins.def without its hooks (those are sema's and gen's). */
typedef struct BuiltinDef {
    const char *name;
    BuiltinKind kind;  /* 0: B_NONE, no row */
    TypeKind on;       /* methods and attributes: the object's type kind */
    const char *param; /* a method's one parameter, NULL: none */
    char ptype;        /* 'T' the object's element type, 'f' float */
    unsigned flags;    /* BP_* of the parameter */
    int lo, hi;        /* functions: argument count bounds */
    char result;       /* see builtins.def */
} BuiltinDef;

/* Indexed by Builtin. */
extern const BuiltinDef builtin_defs[B__COUNT];

/* The method (BK_METHOD) or attribute (BK_ATTR) NAME of type kind ON, or
 * NULL. */
const BuiltinDef *builtin_member(BuiltinKind kind, TypeKind on, const char *name);

static inline Builtin builtin_id(const BuiltinDef *d) { return (Builtin)(d - builtin_defs); }

#endif
