/* driver: one compilation from file to checked tree to C, and the steps
 * `mpc build` and `mpc run` take after it (invoking the C compiler). */
#ifndef MPC_DRIVER_H
#define MPC_DRIVER_H

#include <stdbool.h>

#include "diag.h"

typedef struct DriverOptions {
    bool dump_ast;        /* check: print the tree after analysis */
    bool line_directives; /* compile: #line directives (default on) */
    bool werror;
    bool disabled[W__COUNT];
    int color; /* -1 auto, 0 never, 1 always */
} DriverOptions;

/* Parses and checks PATH; with dump_ast prints the tree to stdout.
 * Returns 0 when clean, 1 when any error was reported. */
int driver_check(const char *path, const DriverOptions *opt);

/* Compiles PATH to C in OUT (a path, or "-" for stdout). The file is
 * written atomically: a failed compile never leaves a partial OUT. */
int driver_compile(const char *path, const char *out, const DriverOptions *opt);

/* Compiles PATH and links it with the runtime into the program OUT, with
 * $CC, $CFLAGS and $LDFLAGS. */
int driver_build(const char *path, const char *out, const DriverOptions *opt);

/* Builds PATH into a temporary directory, runs it with ARGV (NULL
 * terminated, argv[0] included) and returns its exit status (128+N when
 * killed by signal N). */
int driver_run(const char *path, char **argv, const DriverOptions *opt);

/* PATH without its .mp suffix, plus EXT (malloc'd): "a/b.mp" -> "a/b.c". */
char *driver_default_output(const char *path, const char *ext);

#endif
