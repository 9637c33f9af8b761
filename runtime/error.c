/* error.c: who this process is, runtime errors and warnings, errno text,
 * allocation that treats out-of-memory as fatal. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mpr_internal.h"

struct mpr_state mpr_rt = {
    .is_main = true,
    .name = "main",
};

/* Set while the process is on its way out after a runtime error. */
static volatile int failing;

int mpr_write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int32_t self_pid(void) {
    if (mpr_rt.pid == 0) mpr_rt.pid = (int32_t)getpid();
    return mpr_rt.pid;
}

size_t mpr_format_diag(char *buf, size_t cap, mp_loc loc, const char *what, const char *fmt,
                       va_list ap) {
    char msg[4096];
    const char *src = mpr_rt.source ? mpr_rt.source : "<mp>";
    int n;

    vsnprintf(msg, sizeof msg, fmt, ap);
    if (loc.line > 0 && loc.col > 0)
        n = snprintf(buf, cap, "%s:%d:%d: %s: %s", src, loc.line, loc.col, what, msg);
    else if (loc.line > 0) n = snprintf(buf, cap, "%s:%d: %s: %s", src, loc.line, what, msg);
    else n = snprintf(buf, cap, "%s: %s: %s", src, what, msg);
    /* snprintf truncates; keep room for the suffix (a name is < 96). */
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used > cap - 160) used = cap - 160;
    n = snprintf(buf + used, cap - used, " (in process %s, pid %d)\n", mpr_rt.name,
                 (int)self_pid());
    used += n < 0 ? 0 : (size_t)n;
    return used;
}

_Noreturn void mp_fail(mp_loc loc, const char *fmt, ...) {
    char line[4608];
    va_list ap;

    if (failing) _exit(1);
    failing = 1;
    va_start(ap, fmt);
    size_t n = mpr_format_diag(line, sizeof line, loc, "runtime error", fmt, ap);
    va_end(ap);
    mpr_write_all(2, line, n);
    mpr_exit_process(1);
}

uintptr_t mp_stack_floor;

void mpr_stack_init(void) {
    struct rlimit rl;
    size_t size = (size_t)8 << 20; /* the usual default */
    /* Bigger or unlimited stacks still stop at 64 MiB: endless recursion
     * then fails in well under a second instead of first touching
     * gigabytes of stack (hundreds of thousands of calls remain). */
    const size_t cap = (size_t)64 << 20;
    if (getrlimit(RLIMIT_STACK, &rl) == 0)
        size = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > cap ? cap : (size_t)rl.rlim_cur;
    /* Arguments and environment take up to a quarter of the limit above
     * us; keep 256 KiB more for the runtime's calls (mp_fail, exit). */
    size_t reserve = size / 4 + ((size_t)256 << 10);
    if (reserve > size / 2) reserve = size / 2;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    size_t room = size - reserve;
    mp_stack_floor = here > room ? here - room : 0;
}

void mp_stack_overflow(mp_loc loc) {
    mp_raise(MP_EXC_RecursionError, loc, "maximum recursion depth exceeded");
}

void mp_warn(mp_loc loc, const char *fmt, ...) {
    char line[4608];
    va_list ap;

    va_start(ap, fmt);
    size_t n = mpr_format_diag(line, sizeof line, loc, "runtime warning", fmt, ap);
    va_end(ap);
    mpr_write_all(2, line, n);
}

const char *mp_strerror(int err) {
    switch (err) {
    case EPROTO: return "corrupt message or value of the wrong type";
    case ECONNRESET: return "the other end closed in the middle of a message";
    case EMSGSIZE: return "message too large";
    case ETIMEDOUT: return "timed out";
    case EPIPE: return "the other end was closed";
    case ECANCELED: return "the barrier is broken";
    case EBADF: return "closed, or not usable in this direction";
    case EFBIG: return "file too large (the file size limit, ulimit -f, is reached)";
    default: return strerror(err);
    }
}

const char *mp_self_name(void) { return mpr_rt.name; }

_Noreturn void mpr_oom(void) {
    static const char msg[] = "runtime error: out of memory";
    char line[256];
    int n = snprintf(line, sizeof line, "%s: %s (in process %s, pid %d)\n",
                     mpr_rt.source ? mpr_rt.source : "<mp>", msg, mpr_rt.name, (int)self_pid());
    if (n > 0) mpr_write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    if (failing) _exit(1);
    failing = 1;
    mpr_exit_process(1);
}

void *mpr_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) mpr_oom();
    return p;
}

void *mpr_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) mpr_oom();
    return p;
}

void *mpr_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) mpr_oom();
    return q;
}

char *mpr_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = mpr_malloc(n);
    memcpy(d, s, n);
    return d;
}

void *mp_alloc(size_t n) { return mpr_malloc(n); }

void mp_free(void *p) { free(p); }
