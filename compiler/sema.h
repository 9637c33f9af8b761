/* sema: names, types, calls and the parent program's process rules.
 *
 * Runs on a tree that parsed. Fills Node.type, Node.sym, Node.builtin,
 * Node.argv and Symbol.flags; on a program without errors also the facts
 * for code generation (Symbol.producers ... Node.plan, see ast.h);
 * reports through D. */
#ifndef MPC_SEMA_H
#define MPC_SEMA_H

#include "ast.h"

/* Returns true when there was no error (warnings allowed unless -Werror). */
bool sema_check(Program *p, Arena *a, Diag *d);

/* The shared object an assignment target writes (v.value, a[i] of a named
 * value or array), or NULL. */
Symbol *sema_shared_target(const Node *target);
/* Whether two select sources are the same pipe end or queue. */
bool sema_same_source(const Node *a, const Node *b);
/* The runtime's atomic read-modify-write ("add", "sub", "and", "or",
 * "xor") for `target op= e` with TARGET of type T, or NULL. */
const char *sema_atomic_op(const Node *target, Op op, const Type *t);

#endif
