#include "driver.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "ast.h"
#include "cleanup.h"
#include "gen.h"
#include "parse.h"
#include "sema.h"
#include "util.h"

/* One compilation: its source, arena, diagnostics and tree. */
typedef struct Unit {
    Source src;
    Arena arena;
    Diag diag;
    Program prog;
    bool loaded;
} Unit;

static void setup_diag(Diag *d, const DriverOptions *opt) {
    diag_init(d, NULL, stderr);
    if (opt->color < 0) diag_auto_color(d);
    else d->color = opt->color;
    d->werror = opt->werror;
    memcpy(d->disabled, opt->disabled, sizeof d->disabled);
}

/* Loads, parses and checks PATH. Returns true when the tree is usable. */
static bool unit_front(Unit *u, const char *path, const DriverOptions *opt) {
    memset(u, 0, sizeof *u);
    arena_init(&u->arena);
    setup_diag(&u->diag, opt);
    if (!src_load(&u->src, path, &u->diag)) return false;
    u->loaded = true;
    u->diag.src = &u->src;
    if (!parse_program(&u->src, &u->arena, &u->diag, &u->prog)) return false;
    sema_check(&u->prog, &u->arena, &u->diag);
    return u->diag.errors == 0;
}

static void unit_free(Unit *u) {
    arena_free(&u->arena);
    if (u->loaded) src_free(&u->src);
}

int driver_check(const char *path, const DriverOptions *opt) {
    Unit u;
    bool ok = unit_front(&u, path, opt);
    if (ok && opt->dump_ast) ast_dump(stdout, &u.prog, &u.src);
    unit_free(&u);
    return ok ? 0 : 1;
}

static void file_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void file_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("mpc: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Generates U's C into F; 0, or the errno of what failed. */
static int gen_to(FILE *f, Unit *u, const GenOptions *g) {
    errno = 0;
    int err = 0;
    if (!gen_program(f, &u->prog, &u->src, g)) err = errno ? errno : EIO;
    if ((fflush(f) != 0 || ferror(f)) && !err) err = errno ? errno : EIO;
    return err;
}

/* Writes the C for U to PATH through a temporary file beside it, renamed
 * into place only when every byte was written. */
static int write_c(Unit *u, const char *path, const DriverOptions *opt) {
    GenOptions g = {.line_directives = opt->line_directives};
    if (strcmp(path, "-") == 0) {
        int err = gen_to(stdout, u, &g);
        if (err) file_error("writing standard output: %s", strerror(err));
        clearerr(stdout); /* reported: main's final check need not repeat it */
        return err ? 1 : 0;
    }
    /* Not a regular file (/dev/null, /dev/full, a FIFO, a terminal): write
     * into it directly. Renaming a temporary over it would replace the
     * device node itself (as root, /dev/null would become a plain file). */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        FILE *f = fopen(path, "w");
        if (!f) {
            file_error("%s: cannot open output: %s", path, strerror(errno));
            return 1;
        }
        int err = gen_to(f, u, &g);
        if (fclose(f) != 0 && !err) err = errno;
        if (err) file_error("%s: cannot write output: %s", path, strerror(err));
        return err ? 1 : 0;
    }
    size_t n = strlen(path);
    char *tmp = xmalloc(n + 16);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", 12);
    cleanup_hold();
    int fd = mkstemp(tmp);
    int saved = errno;
    int slot = fd < 0 ? -1 : cleanup_add(tmp, false);
    cleanup_release();
    if (fd < 0) {
        file_error("%s: cannot create output: %s", path, strerror(saved));
        free(tmp);
        return 1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        file_error("%s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        cleanup_forget(slot);
        free(tmp);
        return 1;
    }
    int err = gen_to(f, u, &g);
    if (fclose(f) != 0 && !err) err = errno;
    /* Other users get the usual permissions, not mkstemp's 0600. */
    mode_t mask = umask(0);
    umask(mask);
    if (!err && chmod(tmp, 0666 & ~mask) != 0) err = errno;
    if (!err && rename(tmp, path) != 0) err = errno;
    if (err) {
        file_error("%s: cannot write output: %s", path, strerror(err));
        unlink(tmp);
    }
    cleanup_forget(slot);
    free(tmp);
    return err ? 1 : 0;
}

/* True (and says so) when writing OUT would replace the source PATH: the
 * same file by any name (./a.mp, a symlink, a hard link), compared by
 * device and inode. Only a regular input counts: a device or pipe read as
 * the source is not destroyed by writing to it. */
static bool output_is_input(const char *path, const char *out) {
    struct stat in, o;
    if (strcmp(out, "-") == 0 || stat(path, &in) != 0 || !S_ISREG(in.st_mode)) return false;
    if (stat(out, &o) != 0 || in.st_dev != o.st_dev || in.st_ino != o.st_ino) return false;
    file_error("output '%s' is the input file '%s'; refusing to overwrite the source", out, path);
    return true;
}

int driver_compile(const char *path, const char *out, const DriverOptions *opt) {
    Unit u;
    int rc = 1;
    if (output_is_input(path, out)) return 1;
    if (unit_front(&u, path, opt)) rc = write_c(&u, out, opt);
    unit_free(&u);
    return rc;
}

/* ---- invoking the C compiler ----------------------------------------- */

/* Where the runtime is: next to the mpc binary in the build tree
 * (build/mpc, build/libmpr.a, runtime/mpr.h), or installed
 * (bin/mpc, lib/libmpr.a, include/mpr.h). */
static bool find_runtime(char *inc, char *lib, size_t size) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = '\0';
    const char *layouts[][2] = {
        {"%s/../runtime", "%s/libmpr.a"},
        {"%s/../include", "%s/../lib/libmpr.a"},
    };
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        char hdr[PATH_MAX + 16];
        snprintf(inc, size, layouts[i][0], exe);
        snprintf(lib, size, layouts[i][1], exe);
        snprintf(hdr, sizeof hdr, "%s/mpr.h", inc);
        if (access(hdr, R_OK) == 0 && access(lib, R_OK) == 0) return true;
    }
    return false;
}

/* An exec argument vector: items[len - 1] is the terminating NULL. */
typedef VEC(char *) Argv;

static char *dup_bytes(const char *s, size_t n) {
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void argv_push(Argv *a, const char *s) {
    if (a->len) a->len--; /* over the NULL */
    vec_push(a, dup_bytes(s, strlen(s)));
    vec_push(a, NULL);
}

/* Words of an environment variable like $CFLAGS, split on blanks. */
static void argv_push_words(Argv *a, const char *s) {
    while (s && *s) {
        while (*s == ' ' || *s == '\t' || *s == '\n') s++;
        const char *e = s;
        while (*e && *e != ' ' && *e != '\t' && *e != '\n') e++;
        if (e > s) {
            char *w = dup_bytes(s, (size_t)(e - s));
            argv_push(a, w);
            free(w);
        }
        s = e;
    }
}

static void argv_free(Argv *a) {
    for (size_t i = 0; i < a->len; i++) free(a->items[i]);
    vec_free(a);
}

/* Runs FILE with ARGV (argv[0] as the program sees it) and returns its
 * exit status, 128+N when killed by signal N. */
static int run_file_wait(const char *file, char **argv) {
    fflush(NULL);
    cleanup_hold();
    pid_t pid = fork();
    if (pid < 0) {
        cleanup_release();
        file_error("cannot start %s: %s", argv[0], strerror(errno));
        return 1;
    }
    if (pid == 0) {
        cleanup_in_child();
        execvp(file, argv);
        fprintf(stderr, "mpc: error: cannot run %s: %s\n", file, strerror(errno));
        _exit(127);
    }
    cleanup_child(pid);
    cleanup_release();
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            cleanup_after_child();
            return 1;
        }
    }
    cleanup_after_child();
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

static int run_wait(char **argv) { return run_file_wait(argv[0], argv); }

static int link_program(const char *cfile, const char *out) {
    char inc[PATH_MAX], lib[PATH_MAX];
    if (!find_runtime(inc, lib, sizeof inc)) {
        file_error("cannot find the runtime (mpr.h and libmpr.a) beside the mpc binary");
        return 1;
    }
    const char *cc = getenv("CC");
    const char *cflags = getenv("CFLAGS");
    Argv a = {0};
    argv_push_words(&a, cc && *cc ? cc : "cc");
    argv_push_words(&a, cflags ? cflags : "-O2");
    argv_push(&a, "-I");
    argv_push(&a, inc);
    argv_push(&a, "-o");
    argv_push(&a, out);
    argv_push(&a, cfile);
    argv_push(&a, lib);
    argv_push_words(&a, getenv("LDFLAGS"));
    argv_push(&a, "-lm");
    /* Bind every symbol at start: otherwise each child resolves the libc
     * calls its parent never made and writes the GOT, a copy-on-write
     * fault per child (bench/RESULTS.md, spawn). */
    argv_push(&a, "-Wl,-z,now");
    int rc = run_wait(a.items);
    if (rc != 0) file_error("C compiler failed (%s exited with %d)", a.items[0], rc);
    argv_free(&a);
    return rc ? 1 : 0;
}

/* The files mpc may leave in its temporary directory. */
static const char *const tmp_files[] = {"prog.c", "prog", NULL};

/* A private temporary directory, removed by tmpdir_remove (or on a
 * signal, with every file of tmp_files). */
static bool tmpdir_make(char *dir, size_t size) {
    const char *t = getenv("TMPDIR");
    snprintf(dir, size, "%s/mpc-XXXXXX", t && *t ? t : "/tmp");
    cleanup_hold();
    bool ok = mkdtemp(dir) != NULL;
    int saved = errno;
    if (ok) {
        char p[PATH_MAX + 64];
        for (const char *const *f = tmp_files; *f; f++) {
            snprintf(p, sizeof p, "%s/%s", dir, *f);
            cleanup_add(p, false);
        }
        cleanup_add(dir, true);
    }
    cleanup_release();
    if (!ok) file_error("cannot create a temporary directory: %s", strerror(saved));
    return ok;
}

static void tmpdir_remove(const char *dir) {
    char p[PATH_MAX + 64];
    cleanup_hold();
    for (const char *const *f = tmp_files; *f; f++) {
        snprintf(p, sizeof p, "%s/%s", dir, *f);
        unlink(p);
    }
    rmdir(dir);
    cleanup_forget_all();
    cleanup_release();
}

/* Default program name: FILE.mp -> FILE. */
char *driver_default_output(const char *path, const char *ext) {
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".mp") == 0) n -= 3;
    char *s = xmalloc(n + strlen(ext) + 1);
    memcpy(s, path, n);
    strcpy(s + n, ext);
    return s;
}

static int build_in(const char *path, const char *dir, const char *prog, const DriverOptions *opt) {
    char cfile[PATH_MAX + 16];
    snprintf(cfile, sizeof cfile, "%s/prog.c", dir);
    Unit u;
    int rc = 1;
    if (unit_front(&u, path, opt)) rc = write_c(&u, cfile, opt);
    unit_free(&u);
    if (rc == 0) rc = link_program(cfile, prog);
    return rc;
}

int driver_build(const char *path, const char *out, const DriverOptions *opt) {
    char *def = out ? NULL : driver_default_output(path, "");
    if (output_is_input(path, out ? out : def)) {
        free(def);
        return 1;
    }
    char dir[PATH_MAX];
    if (!tmpdir_make(dir, sizeof dir)) {
        free(def);
        return 1;
    }
    int rc = build_in(path, dir, out ? out : def, opt);
    tmpdir_remove(dir);
    free(def);
    return rc;
}

int driver_run(const char *path, char **argv, const DriverOptions *opt) {
    char dir[PATH_MAX];
    if (!tmpdir_make(dir, sizeof dir)) return 1;
    char prog[PATH_MAX + 16];
    snprintf(prog, sizeof prog, "%s/prog", dir);
    int rc = build_in(path, dir, prog, opt);
    if (rc == 0) {
        argv[0] = (char *)path; /* argv[0]: the program as invoked, as Python's */
        rc = run_file_wait(prog, argv);
    }
    tmpdir_remove(dir);
    return rc;
}
