/* print.c: one line, one write(2). Never through stdio, so lines from
 * concurrent processes do not interleave (up to PIPE_BUF on a pipe) and a
 * fork never duplicates buffered output. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpr_internal.h"

static bool stdout_broken; /* EPIPE seen: stop quietly */
static bool stdout_warned;

static void write_line(const char *buf, size_t len) {
    if (stdout_broken) return;
    if (mpr_write_all(1, buf, len) < 0) {
        if (errno == EPIPE) {
            stdout_broken = true;
        } else if (!stdout_warned) {
            stdout_warned = true;
            mp_warn(MP_LOC(0, 0), "print: cannot write to stdout: %s", mp_strerror(errno));
        }
    }
}

void mp_print(const mp_str *line) {
    char small[512];
    size_t n = line->len;
    char *buf = n + 1 <= sizeof small ? small : mpr_malloc(n + 1);
    memcpy(buf, line->data, n);
    buf[n] = '\n';
    write_line(buf, n + 1);
    if (buf != small) free(buf);
}

void mp_print_buf(mp_buf *b) {
    mpr_buf_reserve(b, 1);
    b->data[b->len++] = '\n';
    write_line(b->data, b->len);
    mp_buf_free(b);
}

void mp_print_file(mp_file *f, mp_buf *b, mp_loc loc) {
    if (f == mp_stdout() && !mp_file_closed(f)) {
        write_line(b->data ? b->data : "", b->len); /* print's own rules for stdout */
        mp_buf_free(b);
    } else if (f == mp_stderr() && !mp_file_closed(f)) {
        (void)mpr_write_all(2, b->data ? b->data : "", b->len);
        mp_buf_free(b);
    } else {
        mp_file_write_buf(f, b, loc);
    }
}
