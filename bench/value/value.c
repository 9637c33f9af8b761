/* value.c: the plain-C side of the value benchmark.
 *
 * PROCS processes each add 1 to one shared int64 OPS times with
 * __atomic_fetch_add (seq_cst: one lock xadd); the parent checks that the
 * value is exactly PROCS * OPS.
 *
 * usage: value [procs=4] [ops=1000000]
 * prints: RESULT bench=value check=ok|FAIL count=<increments verified>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

int main(int argc, char **argv)
{
    long long procs = arg(argc, argv, "procs", 4);
    long long ops = arg(argc, argv, "ops", 1000000);
    int64_t *v = mmap(NULL, sizeof *v, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    for (long long p = 0; p < procs; p++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            for (long long i = 0; i < ops; i++)
                __atomic_fetch_add(v, 1, __ATOMIC_SEQ_CST);
            _exit(0);
        }
    }
    int ok = 1, st;
    for (long long p = 0; p < procs; p++) {
        while (wait(&st) < 0)
            if (errno != EINTR) {
                perror("wait");
                return 2;
            }
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    long long got = __atomic_load_n(v, __ATOMIC_SEQ_CST);
    ok &= got == procs * ops;
    printf("RESULT bench=value check=%s count=%lld\n", ok ? "ok" : "FAIL", got);
    return ok ? 0 : 1;
}
