/* mpc: the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "cleanup.h"
#include "driver.h"
#include "util.h"

#ifndef MPC_VERSION
#define MPC_VERSION "dev"
#endif

typedef struct Command {
    const char *name;
    const char *usage;
    const char *help;
} Command;

static const Command commands[] = {
    {"check", "mpc check [OPTIONS] FILE.mp...",
     "Parse and check each FILE.mp; report every error and warning.\n"
     "\n"
     "  --dump-ast       print the checked syntax tree to standard output\n"},
    {"compile", "mpc compile [OPTIONS] FILE.mp [-o OUT.c]",
     "Translate FILE.mp to C. The default output is FILE.c beside the\n"
     "input; '-o -' writes to standard output. The output is replaced\n"
     "atomically: a failed compile leaves no partial file.\n"
     "\n"
     "  -o OUT.c         write the C to OUT.c\n"
     "  --no-line        omit #line directives\n"},
    {"build", "mpc build [OPTIONS] FILE.mp [-o PROG]",
     "Compile FILE.mp and link it with the runtime into the program PROG\n"
     "(default: FILE without .mp), using $CC (default cc), $CFLAGS\n"
     "(default -O2) and $LDFLAGS.\n"
     "\n"
     "  -o PROG          name of the program to write\n"
     "  --no-line        omit #line directives\n"},
    {"run", "mpc run [OPTIONS] FILE.mp [-- ARGS...]",
     "Build FILE.mp in a temporary directory, run it with ARGS, and exit\n"
     "with its exit status (128+N when it is killed by signal N).\n"},
};

static const char common_help[] =
    "\n"
    "Options for every command:\n"
    "  -Werror          treat warnings as errors\n"
    "  -Wno-NAME        disable warning NAME (unjoined, unstarted, unused,\n"
    "                   shadow, unreachable); -WNAME enables it again\n"
    "  --color=WHEN     color diagnostics: auto (default), always, never\n"
    "  -h, --help       show this help\n";

static void usage_all(FILE *f) {
    fputs("usage: mpc COMMAND [OPTIONS] FILE.mp...\n"
          "\n"
          "mpc compiles .mp process programs to C that links with libmpr.\n"
          "\n"
          "Commands:\n"
          "  check      parse and check, report diagnostics\n"
          "  compile    translate to C\n"
          "  build      translate and link a program\n"
          "  run        build and run a program\n"
          "  help CMD   show help for a command\n"
          "\n"
          "  mpc --version    show the version\n",
          f);
}

static const Command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void help_command(const Command *c) {
    printf("usage: %s\n\n%s%s", c->usage, c->help, common_help);
}

static int usage_error(const Command *c, const char *fmt, const char *arg) {
    fputs("mpc: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    if (c) fprintf(stderr, "usage: %s\n", c->usage);
    fputs("Try 'mpc --help' for more information.\n", stderr);
    return 2;
}

static int mpc_main(int argc, char **argv) {
    if (argc < 2) {
        usage_all(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage_all(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("mpc %s\n", MPC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage_all(stdout);
            return 0;
        }
        const Command *c = find_command(argv[2]);
        if (!c) return usage_error(NULL, "unknown command '%s'", argv[2]);
        help_command(c);
        return 0;
    }
    const Command *c = find_command(cmd);
    if (!c) return usage_error(NULL, "unknown command '%s'", cmd);

    DriverOptions opt = {.line_directives = true, .color = -1};
    const char *out = NULL;
    const char **files = xcalloc((size_t)argc, sizeof *files);
    int nfiles = 0;
    char **run_args = NULL;
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            run_args = argv + i + 1;
            break;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help_command(c);
            goto done;
        } else if (strcmp(a, "-o") == 0 && strcmp(cmd, "check") && strcmp(cmd, "run")) {
            if (++i == argc) {
                rc = usage_error(c, "%s needs an argument", "-o");
                goto done;
            }
            out = argv[i];
        } else if (strcmp(a, "--dump-ast") == 0 && strcmp(cmd, "check") == 0) {
            opt.dump_ast = true;
        } else if (strcmp(a, "--no-line") == 0 && strcmp(cmd, "check")) {
            opt.line_directives = false;
        } else if (strcmp(a, "-Werror") == 0) {
            opt.werror = true;
        } else if (strncmp(a, "-Wno-", 5) == 0 || strncmp(a, "-W", 2) == 0) {
            bool off = strncmp(a, "-Wno-", 5) == 0;
            Warning w = diag_warning_by_name(a + (off ? 5 : 2));
            if (w == W__COUNT) {
                rc = usage_error(c, "unknown warning option '%s'", a);
                goto done;
            }
            opt.disabled[w] = off;
        } else if (strncmp(a, "--color=", 8) == 0) {
            const char *v = a + 8;
            if (strcmp(v, "auto") == 0) opt.color = -1;
            else if (strcmp(v, "always") == 0) opt.color = 1;
            else if (strcmp(v, "never") == 0) opt.color = 0;
            else {
                rc = usage_error(c, "unknown --color value '%s'", v);
                goto done;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = usage_error(c, "unknown option '%s'", a);
            goto done;
        } else {
            files[nfiles++] = a;
        }
    }
    if (nfiles == 0) {
        rc = usage_error(c, "no input file%s", "");
        goto done;
    }
    if (strcmp(cmd, "check") != 0 && nfiles > 1) {
        rc = usage_error(c, "'%s' takes one input file", cmd);
        goto done;
    }

    if (strcmp(cmd, "check") == 0) {
        for (int i = 0; i < nfiles; i++)
            if (driver_check(files[i], &opt) != 0) rc = 1;
    } else if (strcmp(cmd, "compile") == 0) {
        char *def = out ? NULL : driver_default_output(files[0], ".c");
        rc = driver_compile(files[0], out ? out : def, &opt);
        free(def);
    } else if (strcmp(cmd, "build") == 0) {
        rc = driver_build(files[0], out, &opt);
    } else {
        /* Program arguments follow "--"; argv[0] is filled in by the driver. */
        int n = 0;
        while (run_args && run_args[n]) n++;
        char **pargv = xcalloc((size_t)n + 2, sizeof *pargv);
        for (int i = 0; i < n; i++) pargv[i + 1] = run_args[i];
        rc = driver_run(files[0], pargv, &opt);
        free(pargv);
    }
done:
    free(files);
    ast_types_free(); /* interned types: nothing left for valgrind */
    return rc;
}

/* A write that failed (stdout to a full disk or a closed pipe: --dump-ast,
 * help, version, compile -o -) is an error, never a silent exit 0. A
 * failure of stderr itself cannot be reported; it only sets the status. */
static int check_streams(int rc) {
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int err = errno ? errno : EIO;
        fprintf(stderr, "mpc: error: writing standard output: %s\n", strerror(err));
        if (rc == 0) rc = 1;
    }
    if ((fflush(stderr) != 0 || ferror(stderr)) && rc == 0) rc = 1;
    return rc;
}

int main(int argc, char **argv) {
    cleanup_install();
    return check_streams(mpc_main(argc, argv));
}
