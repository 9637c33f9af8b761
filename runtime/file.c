/* file.c: open() and file objects, stdin/stdout/stderr, and the other
 * things a program reads from its surroundings: argv, getenv, time,
 * monotonic, cpu_count.
 *
 * A file is a refcounted descriptor. Writes are never buffered: each
 * write() (and each print to a file) is one write(2), so a fork can never
 * duplicate pending output and lines from several processes do not
 * interleave mid-line (up to PIPE_BUF on a pipe). Reads go through a
 * buffer of the process, so readline() is cheap; a child forked with
 * buffered input gets its own copy of it, as in Python. The descriptor is
 * closed by close() or when the last reference goes, as CPython's
 * refcounting closes a file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpr_internal.h"

struct mp_file {
    intptr_t refs; /* MP_IMMORTAL for the standard streams */
    int fd;        /* -1 once closed */
    bool readable, writable;
    bool eof;  /* the descriptor reported end of file */
    char *buf; /* read buffer: bytes [pos, len) not consumed yet */
    size_t pos, len, cap;
};

static mp_file std_files[3] = {
    {MP_IMMORTAL, 0, true, false, false, NULL, 0, 0, 0},
    {MP_IMMORTAL, 1, false, true, false, NULL, 0, 0, 0},
    {MP_IMMORTAL, 2, false, true, false, NULL, 0, 0, 0},
};

mp_file *mp_stdin(void) { return &std_files[0]; }
mp_file *mp_stdout(void) { return &std_files[1]; }
mp_file *mp_stderr(void) { return &std_files[2]; }

static const mp_str empty = {MP_IMMORTAL, 0, "", 1};

/* ---- opening and closing ------------------------------------------- */

/* The open(2) flags of a Python mode ("r", "w", "a", each with an optional
 * "+", "t"), or -1 for a mode Python refuses or .mp does not have. */
static int mode_flags(const mp_str *mode, bool *rd, bool *wr) {
    const char *m = mode->data;
    size_t n = mode->len;
    if (n == 0 || strlen(m) != n) return -1;
    int base;
    switch (m[0]) {
    case 'r':
        base = O_RDONLY;
        *rd = true;
        *wr = false;
        break;
    case 'w':
        base = O_WRONLY | O_CREAT | O_TRUNC;
        *rd = false;
        *wr = true;
        break;
    case 'a':
        base = O_WRONLY | O_CREAT | O_APPEND;
        *rd = false;
        *wr = true;
        break;
    default: return -1;
    }
    bool plus = false, text = false;
    for (size_t i = 1; i < n; i++) {
        if (m[i] == '+' && !plus) plus = true;
        else if (m[i] == 't' && !text) text = true;
        else return -1;
    }
    if (plus) {
        base = (base & ~(O_RDONLY | O_WRONLY)) | O_RDWR;
        *rd = *wr = true;
    }
    return base | O_CLOEXEC;
}

/* Python's OSError text: "[Errno 2] No such file or directory: 'x'". */
static void raise_os(int err, const mp_str *path, mp_loc loc) {
    mp_buf b;
    mp_buf_init(&b);
    mpr_buf_repr_bytes(&b, path->data, path->len);
    mp_raise(MP_EXC_OSError, loc, "[Errno %d] %s: %s", err, strerror(err), b.data);
    mp_buf_free(&b);
}

mp_file *mp_open(const mp_str *path, const mp_str *mode, mp_loc loc) {
    bool rd = false, wr = false;
    int flags = mode_flags(mode, &rd, &wr);
    if (flags < 0) {
        mp_buf b;
        mp_buf_init(&b);
        mpr_buf_repr_bytes(&b, mode->data, mode->len);
        mp_raise(MP_EXC_ValueError, loc, "invalid mode: %s", b.data);
        mp_buf_free(&b);
        return NULL;
    }
    if (strlen(path->data) != path->len) {
        mp_raise(MP_EXC_ValueError, loc, "embedded null byte");
        return NULL;
    }
    int fd;
    do fd = open(path->data, flags, 0666);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        raise_os(errno, path, loc);
        return NULL;
    }
    mp_file *f = mpr_calloc(1, sizeof *f);
    f->refs = 1;
    f->fd = fd;
    f->readable = rd;
    f->writable = wr;
    return f;
}

mp_file *mp_file_ref(mp_file *f) {
    if (f && f->refs != MP_IMMORTAL) f->refs++;
    return f;
}

void mp_file_close(mp_file *f) {
    if (!f || f->fd < 0) return;
    if (f->refs != MP_IMMORTAL) close(f->fd);
    else if (f->fd == 0) {
        /* stdin: later reads see end of file, as after Python's close */
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0 && null != 0) {
            dup2(null, 0);
            close(null);
        }
    }
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
    f->pos = f->len = f->cap = 0;
}

void mp_file_unref(mp_file *f) {
    if (!f || f->refs == MP_IMMORTAL) return;
    if (--f->refs > 0) return;
    mp_file_close(f);
    free(f);
}

bool mp_file_closed(const mp_file *f) { return f->fd < 0; }

/* Whether F can be used for reading (WRITE false) or writing; raises
 * Python's error when not. */
static bool usable(mp_file *f, bool write, mp_loc loc) {
    if (f->fd < 0) {
        mp_raise(MP_EXC_ValueError, loc, "I/O operation on closed file.");
        return false;
    }
    if (write ? !f->writable : !f->readable) {
        mp_raise(MP_EXC_OSError, loc, write ? "not writable" : "not readable");
        return false;
    }
    return true;
}

/* ---- writing -------------------------------------------------------- */

static bool write_bytes(mp_file *f, const char *data, size_t len, mp_loc loc) {
    if (!usable(f, true, loc)) return false;
    if (mpr_write_all(f->fd, data, len) < 0) {
        int err = errno;
        mp_raise(MP_EXC_OSError, loc, "[Errno %d] %s", err, strerror(err));
        return false;
    }
    return true;
}

int64_t mp_file_write(mp_file *f, const mp_str *s, mp_loc loc) {
    if (!write_bytes(f, s->data, s->len, loc)) return 0;
    return mp_str_len(s);
}

void mp_file_write_buf(mp_file *f, mp_buf *b, mp_loc loc) {
    write_bytes(f, b->data ? b->data : "", b->len, loc);
    mp_buf_free(b);
}

void mp_file_flush(mp_file *f, mp_loc loc) {
    if (f->fd < 0) mp_raise(MP_EXC_ValueError, loc, "I/O operation on closed file.");
}

/* ---- reading -------------------------------------------------------- */

/* Reads more bytes into the buffer: false at end of file or on an error
 * (raised). */
static bool fill(mp_file *f, mp_loc loc) {
    if (f->eof) return false;
    if (f->pos > 0 && f->pos == f->len) f->pos = f->len = 0;
    if (f->len == f->cap) {
        if (f->pos > 0) { /* move the rest to the front */
            memmove(f->buf, f->buf + f->pos, f->len - f->pos);
            f->len -= f->pos;
            f->pos = 0;
        } else {
            f->cap = f->cap ? f->cap * 2 : 8192;
            f->buf = mpr_realloc(f->buf, f->cap);
        }
    }
    ssize_t n;
    do n = read(f->fd, f->buf + f->len, f->cap - f->len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int err = errno;
        if (err == EBADF && f->refs == MP_IMMORTAL) { /* a closed standard stream */
            f->eof = true;
            return false;
        }
        mp_raise(MP_EXC_OSError, loc, "[Errno %d] %s", err, strerror(err));
        return false;
    }
    if (n == 0) {
        f->eof = true;
        return false;
    }
    f->len += (size_t)n;
    return true;
}

/* Takes N buffered bytes as a new string. */
static mp_str *take(mp_file *f, size_t n) {
    if (n == 0) return (mp_str *)&empty;
    mp_buf b;
    mp_buf_init(&b);
    mp_buf_cstr(&b, f->buf + f->pos, n);
    f->pos += n;
    return mp_buf_finish(&b);
}

mp_str *mp_file_read(mp_file *f, mp_loc loc) {
    if (!usable(f, false, loc)) return (mp_str *)&empty;
    while (fill(f, loc)) {}
    f->eof = f->refs == MP_IMMORTAL ? false : f->eof; /* a terminal may give more later */
    return take(f, f->len - f->pos);
}

mp_str *mp_file_readline(mp_file *f, mp_loc loc) {
    if (!usable(f, false, loc)) return (mp_str *)&empty;
    size_t scanned = 0;
    for (;;) {
        char *start = f->buf ? f->buf + f->pos : NULL;
        size_t avail = f->len - f->pos;
        char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
        if (nl) return take(f, (size_t)(nl - start) + 1);
        scanned = avail; /* from buf + pos, which fill keeps pointing at the rest */
        if (!fill(f, loc)) break;
    }
    if (f->refs == MP_IMMORTAL) f->eof = false; /* a terminal may give more later */
    return take(f, f->len - f->pos);
}

mp_str *mp_file_next(mp_file *f, mp_loc loc) {
    mp_str *line = mp_file_readline(f, loc);
    if (line->len > 0) return line;
    mp_str_unref(line);
    return NULL;
}

mp_list *mp_file_readlines(mp_file *f, const mp_type *list_str, mp_loc loc) {
    mp_list *l = mp_list_new(list_str, 0);
    mp_str *line;
    while ((line = mp_file_next(f, loc)) != NULL) mp_list_push(l, (mp_val){.s = line});
    return l;
}

/* ---- the program's surroundings -------------------------------------- */

mp_list *mp_argv(void) {
    static const mp_type list_str = {MP_LIST, &mp_t_str};
    static mp_list *argv;
    if (!argv) {
        argv = mp_list_new(&list_str, (size_t)(mpr_rt.argc > 0 ? mpr_rt.argc : 1));
        for (int i = 0; i < mpr_rt.argc; i++)
            mp_list_push(argv, (mp_val){.s = mp_str_cstr(mpr_rt.argv[i])});
    }
    return argv;
}

mp_str *mp_getenv(const mp_str *name, const mp_str *dflt) {
    const char *v = strlen(name->data) == name->len ? getenv(name->data) : NULL;
    if (!v) return mp_str_ref((mp_str *)dflt);
    return mp_str_cstr(v);
}

double mp_time(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double mp_monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t mp_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int64_t)n : 1;
}
