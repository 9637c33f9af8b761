/* sema: names, types, calls and the parent program's process rules.
 *
 * Runs on a tree that parsed. Fills Node.type, Node.sym, Node.builtin,
 * Node.argv and Symbol.flags; reports through D. */
#ifndef MPC_SEMA_H
#define MPC_SEMA_H

#include "ast.h"

/* Returns true when there was no error (warnings allowed unless -Werror). */
bool sema_check(Program *p, Arena *a, Diag *d);

#endif
