/* parse: the front door to the flex scanner and bison parser in grammar/.
 *
 * Syntax errors are reported through D (several per run: the parser
 * recovers at statement boundaries). */
#ifndef MPC_PARSE_H
#define MPC_PARSE_H

#include "ast.h"

/* Deepest nesting of blocks and parentheses accepted; deeper input gets a
 * located error instead of exhausting the stack. */
#define PARSE_MAX_DEPTH 256

/* Parses SRC into *OUT (nodes in A). Returns true when there was no error. */
bool parse_program(const Source *src, Arena *a, Diag *d, Program *out);

#endif
