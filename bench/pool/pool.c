/* pool.c: the plain-C side of the pool benchmark: a fork pool.
 *
 * WORKERS processes are forked up front, each joined to the parent by a
 * socketpair. The parent hands a chunk of CHUNK int64 items to each idle
 * worker (a length, then the items), poll()s the busy ones and places each
 * chunk of results by its index; the parent checks every result, in order.
 *
 * usage: pool [workers=4] [items=100000] [chunk=1000]
 * prints: RESULT bench=pool check=ok|FAIL count=<results verified>
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

static long long arg(int argc, char **argv, const char *key, long long def)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, k) == 0 && argv[i][k] == '=')
            return atoll(argv[i] + k + 1);
    return def;
}

static int64_t f(int64_t x) { return x * x % 7 + x; }

static int io_all(int fd, void *buf, size_t n, int rd)
{
    char *p = buf;
    while (n > 0) {
        ssize_t k = rd ? read(fd, p, n) : write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A task: chunk index and count, then the items; a result: the same
 * header, then the results. */
struct hdr {
    int64_t seq, n;
};

static void worker(int fd, long long chunk)
{
    int64_t *buf = malloc((size_t)chunk * sizeof *buf);
    struct hdr h;
    while (io_all(fd, &h, sizeof h, 1) == 0) {
        if (io_all(fd, buf, (size_t)h.n * sizeof *buf, 1) < 0)
            break;
        for (int64_t i = 0; i < h.n; i++)
            buf[i] = f(buf[i]);
        if (io_all(fd, &h, sizeof h, 0) < 0 || io_all(fd, buf, (size_t)h.n * sizeof *buf, 0) < 0)
            break;
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    long long workers = arg(argc, argv, "workers", 4);
    long long items = arg(argc, argv, "items", 100000);
    long long chunk = arg(argc, argv, "chunk", 1000);
    int *fd = calloc((size_t)workers, sizeof *fd);
    int64_t *task = calloc((size_t)workers, sizeof *task);
    pid_t *pid = calloc((size_t)workers, sizeof *pid);
    for (long long w = 0; w < workers; w++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
            perror("socketpair");
            return 2;
        }
        pid[w] = fork();
        if (pid[w] == 0) {
            close(sv[0]);
            for (long long o = 0; o < w; o++)
                close(fd[o]);
            worker(sv[1], chunk);
        }
        close(sv[1]);
        fd[w] = sv[0];
        task[w] = -1;
    }
    int64_t *in = malloc((size_t)(items ? items : 1) * sizeof *in);
    int64_t *out = malloc((size_t)(items ? items : 1) * sizeof *out);
    for (long long i = 0; i < items; i++)
        in[i] = i;
    long long nchunks = (items + chunk - 1) / chunk, next = 0, done = 0;
    struct pollfd *pf = calloc((size_t)workers, sizeof *pf);
    while (done < nchunks) {
        for (long long w = 0; w < workers && next < nchunks; w++) {
            if (task[w] >= 0)
                continue;
            struct hdr h = {next, items - next * chunk < chunk ? items - next * chunk : chunk};
            task[w] = next++;
            if (io_all(fd[w], &h, sizeof h, 0) < 0 ||
                io_all(fd[w], in + h.seq * chunk, (size_t)h.n * sizeof *in, 0) < 0)
                return 2;
        }
        int nb = 0;
        for (long long w = 0; w < workers; w++)
            if (task[w] >= 0)
                pf[nb++] = (struct pollfd){fd[w], POLLIN, 0};
        if (poll(pf, (nfds_t)nb, -1) < 0 && errno != EINTR)
            return 2;
        for (long long w = 0, j = 0; w < workers; w++) {
            if (task[w] < 0)
                continue;
            if (!pf[j++].revents)
                continue;
            struct hdr h;
            if (io_all(fd[w], &h, sizeof h, 1) < 0 ||
                io_all(fd[w], out + h.seq * chunk, (size_t)h.n * sizeof *out, 1) < 0)
                return 2;
            task[w] = -1;
            done++;
        }
    }
    for (long long w = 0; w < workers; w++)
        close(fd[w]);
    for (long long w = 0; w < workers; w++)
        waitpid(pid[w], NULL, 0);
    int ok = 1;
    for (long long i = 0; i < items; i++)
        if (out[i] != f(i))
            ok = 0;
    printf("RESULT bench=pool check=%s count=%lld\n", ok ? "ok" : "FAIL", items);
    return ok ? 0 : 1;
}
