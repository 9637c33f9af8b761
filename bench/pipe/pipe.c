/* pipe.c: the plain-C side of the pipe benchmark.
 *
 * Round trips: ROUNDS times the parent sends the small string "ping" to a
 * child over a socketpair and the child echoes it back; the parent checks
 * each reply. Bulk: a child sends MESSAGES messages of SIZE bytes (one
 * buffer built once: 'a', then 'x's, then 'z') over another socketpair;
 * the parent checks the length, first and last byte of each and counts
 * the bytes.
 *
 * Messages are framed as an 8-byte length then the bytes, sent with one
 * writev; the reader keeps a buffer and reads as much as is available, so
 * a small message costs one read(2) and one writev(2) on each side.
 *
 * usage: pipe [rounds=100000] [messages=16384] [size=65536]
 * prints: RESULT bench=pipe check=ok|FAIL count=<round trips + bytes>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static long long arg(int argc, char **argv, const char *key, long long def)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, k) == 0 && argv[i][k] == '=')
            return atoll(argv[i] + k + 1);
    return def;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* ---- framing ---------------------------------------------------------- */

static void send_msg(int fd, const void *data, uint64_t len)
{
    struct iovec iov[2] = { { &len, sizeof len }, { (void *)data, len } };
    int iovcnt = 2;
    struct iovec *v = iov;
    while (iovcnt > 0) {
        ssize_t w = writev(fd, v, iovcnt);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("writev");
        }
        while (iovcnt > 0 && (size_t)w >= v->iov_len) {
            w -= (ssize_t)v->iov_len;
            v++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            v->iov_base = (char *)v->iov_base + w;
            v->iov_len -= (size_t)w;
        }
    }
}

typedef struct reader {
    int fd;
    char *buf;
    size_t cap, start, end;
} reader;

static void reader_init(reader *r, int fd, size_t cap)
{
    r->fd = fd;
    r->cap = cap;
    r->start = r->end = 0;
    r->buf = malloc(cap);
    if (!r->buf)
        die("malloc");
}

/* Makes at least n bytes available at buf+start; false at end of file
 * before any byte of them. */
static int fill(reader *r, size_t n)
{
    if (r->end - r->start >= n)
        return 1;
    if (n > r->cap - r->start) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
        if (n > r->cap) {
            r->cap = n;
            r->buf = realloc(r->buf, r->cap);
            if (!r->buf)
                die("realloc");
        }
    }
    while (r->end - r->start < n) {
        ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (got == 0) {
            if (r->end == r->start)
                return 0;
            fprintf(stderr, "pipe: truncated message\n");
            exit(2);
        }
        r->end += (size_t)got;
    }
    return 1;
}

/* The next message, valid until the next call; NULL at end of file. */
static const char *recv_msg(reader *r, uint64_t *len)
{
    if (!fill(r, sizeof *len))
        return NULL;
    memcpy(len, r->buf + r->start, sizeof *len);
    r->start += sizeof *len;
    if (!fill(r, *len)) {
        fprintf(stderr, "pipe: truncated message\n");
        exit(2);
    }
    const char *m = r->buf + r->start;
    r->start += *len;
    return m;
}

/* ---- the two children ------------------------------------------------- */

static void echo(int fd)
{
    reader r;
    reader_init(&r, fd, 4096);
    uint64_t len;
    const char *m;
    while ((m = recv_msg(&r, &len)))
        send_msg(fd, m, len);
    _exit(0);
}

static void bulk_send(int fd, long long messages, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        die("malloc");
    memset(s, 'x', size);
    if (size) {
        s[0] = 'a';
        s[size - 1] = 'z';
    }
    for (long long i = 0; i < messages; i++)
        send_msg(fd, s, size);
    _exit(0);
}

static int reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
    long long rounds = arg(argc, argv, "rounds", 100000);
    long long messages = arg(argc, argv, "messages", 16384);
    size_t size = (size_t)arg(argc, argv, "size", 65536);
    int ok = 1;

    /* Round trips over a duplex socketpair. */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(sv[0]);
        echo(sv[1]);
    }
    close(sv[1]);
    reader r;
    reader_init(&r, sv[0], 4096);
    static const char ping[] = "ping";
    long long trips = 0;
    for (long long i = 0; i < rounds; i++) {
        uint64_t len;
        send_msg(sv[0], ping, 4);
        const char *m = recv_msg(&r, &len);
        if (m && len == 4 && memcmp(m, ping, 4) == 0)
            trips++;
    }
    close(sv[0]);
    ok &= reap(pid) && trips == rounds;

    /* Bulk, one way. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(sv[0]);
        bulk_send(sv[1], messages, size);
    }
    close(sv[1]);
    reader_init(&r, sv[0], 4 * size + 4096);
    long long got = 0, bytes = 0;
    uint64_t len;
    const char *m;
    while ((m = recv_msg(&r, &len))) {
        if (len == size && (size == 0 || (m[0] == 'a' && m[size - 1] == 'z'))) {
            got++;
            bytes += (long long)len;
        }
    }
    close(sv[0]);
    ok &= reap(pid) && got == messages && bytes == messages * (long long)size;

    printf("RESULT bench=pipe check=%s count=%lld trips=%lld bytes=%lld\n",
           ok ? "ok" : "FAIL", trips + bytes, trips, bytes);
    return ok ? 0 : 1;
}
