/* gen: C code generation from a checked tree.
 *
 * The output is one C file that includes only <mpr.h> (and standard
 * headers), reads like careful hand-written C, and is deterministic: the
 * same input gives the same bytes. */
#ifndef MPC_GEN_H
#define MPC_GEN_H

#include "ast.h"

typedef struct GenOptions {
    bool line_directives; /* emit #line mapping back to the .mp file */
} GenOptions;

/* Writes the C translation of P to OUT. The caller checks OUT for write
 * errors; false means the temporary file that holds a large program's
 * body could not be written or read back (errno says why). */
bool gen_program(FILE *out, const Program *p, const Source *src, const GenOptions *opt);

#endif
