/* select.c: the plain-C side of the select benchmark.
 *
 * 4 producers, each with its own socketpair(AF_UNIX, SOCK_STREAM); producer
 * p sends p << 32 | seq for seq = 0..ITEMS-1, each message an 8-byte
 * length then the 8-byte value in one write(2), then closes its end. The
 * parent polls the 4 receiving ends (poll(2)); for each readable one it
 * reads as much as is available into that source's buffer and takes every
 * whole message from it; a read of 0 at a message boundary is that
 * source's end of stream, and the source leaves the poll set. It checks
 * that every message came from its own pipe, in order, and that it got
 * every one.
 *
 * usage: select [items=100000]
 * prints: RESULT bench=select check=ok|FAIL count=<messages verified>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOURCES 4
#define BUF 65536

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

static void write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        len -= (size_t)w;
    }
}

static void producer(int fd, int64_t ident, long long items)
{
    int64_t base = ident << 32;
    for (long long i = 0; i < items; i++) {
        int64_t msg[2] = { 8, base | i };
        write_all(fd, msg, sizeof msg);
    }
    close(fd);
}

struct source {
    int fd;
    size_t start, end;
    int64_t next;
    char buf[BUF];
};

/* Reads what is available into S and takes its whole messages; 0 at end
 * of stream, 1 otherwise. */
static int drain(struct source *s, int64_t ident, long long *count, long long *errors)
{
    if (s->start > 0) {
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
    }
    ssize_t r;
    while ((r = read(s->fd, s->buf + s->end, BUF - s->end)) < 0)
        if (errno != EINTR)
            die("read");
    if (r == 0) {
        if (s->end != s->start)
            (*errors)++; /* ended inside a message */
        return 0;
    }
    s->end += (size_t)r;
    while (s->end - s->start >= 16) {
        int64_t msg[2];
        memcpy(msg, s->buf + s->start, sizeof msg);
        s->start += sizeof msg;
        if (msg[0] != 8 || msg[1] != (ident << 32) + s->next)
            (*errors)++;
        s->next++;
        (*count)++;
    }
    return 1;
}

int main(int argc, char **argv)
{
    long long items = arg(argc, argv, "items", 100000);
    static struct source src[SOURCES];
    for (int p = 0; p < SOURCES; p++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
            die("socketpair");
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            close(sv[0]);
            for (int q = 0; q < p; q++)
                close(src[q].fd);
            producer(sv[1], p, items);
            _exit(0);
        }
        close(sv[1]);
        src[p].fd = sv[0];
    }
    long long count = 0, errors = 0;
    int live = SOURCES;
    struct pollfd pf[SOURCES];
    int who[SOURCES];
    while (live > 0) {
        int n = 0;
        for (int p = 0; p < SOURCES; p++)
            if (src[p].fd >= 0) {
                pf[n].fd = src[p].fd;
                pf[n].events = POLLIN;
                who[n++] = p;
            }
        if (poll(pf, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        for (int i = 0; i < n; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            struct source *s = &src[who[i]];
            if (!drain(s, who[i], &count, &errors)) {
                close(s->fd);
                s->fd = -1;
                live--;
            }
        }
    }
    int ok = 1, st;
    for (int p = 0; p < SOURCES; p++) {
        while (wait(&st) < 0)
            if (errno != EINTR)
                die("wait");
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    for (int p = 0; p < SOURCES; p++)
        ok &= src[p].next == items;
    ok &= errors == 0 && count == SOURCES * items;
    printf("RESULT bench=select check=%s count=%lld errors=%lld\n", ok ? "ok" : "FAIL", count,
           errors);
    return ok ? 0 : 1;
}
