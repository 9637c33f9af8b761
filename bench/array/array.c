/* array.c: the plain-C side of the array benchmark.
 *
 * Two processes update the elements of one shared array of N int64s
 * (zeroed, in an anonymous shared mapping):
 *   mode=atomic  each process adds 1 to every element with
 *                __atomic_fetch_add (seq_cst); every element ends at 2;
 *   mode=raw     process k adds 1 to each element of its half with a plain
 *                a[i] += 1 loop (no atomics, the compiler may vectorize);
 *                every element ends at 1.
 * The parent checks every element. Each worker makes PASSES passes
 * (passes=0: the processes and the array are made and checked, nothing is
 * updated: the harness's baseline).
 *
 * usage: array [n=10000000] [mode=atomic|raw] [procs=2] [passes=1]
 * prints: RESULT bench=array check=ok|FAIL count=<element updates verified>
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

static const char *sarg(int argc, char **argv, const char *key, const char *def)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, k) == 0 && argv[i][k] == '=')
            return argv[i] + k + 1;
    return def;
}

static void add_atomic(int64_t *a, int64_t lo, int64_t hi)
{
    for (int64_t i = lo; i < hi; i++)
        __atomic_fetch_add(&a[i], 1, __ATOMIC_SEQ_CST);
}

static void add_raw(int64_t *a, int64_t lo, int64_t hi)
{
    for (int64_t i = lo; i < hi; i++)
        a[i] += 1;
}

int main(int argc, char **argv)
{
    int64_t n = arg(argc, argv, "n", 10000000);
    int64_t procs = arg(argc, argv, "procs", 2);
    int64_t passes = arg(argc, argv, "passes", 1);
    const char *mode = sarg(argc, argv, "mode", "atomic");
    int atomic = strcmp(mode, "raw") != 0;
    int64_t *a = mmap(NULL, (size_t)(n > 0 ? n : 1) * sizeof *a,
                      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    for (int64_t k = 0; k < procs; k++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            for (int64_t r = 0; r < passes; r++) {
                if (atomic)
                    add_atomic(a, 0, n);
                else
                    add_raw(a, n * k / procs, n * (k + 1) / procs);
            }
            _exit(0);
        }
    }
    int ok = 1, st;
    for (int64_t k = 0; k < procs; k++) {
        while (wait(&st) < 0)
            if (errno != EINTR) {
                perror("wait");
                return 2;
            }
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    int64_t want = passes * (atomic ? procs : 1), total = 0, bad = 0;
    for (int64_t i = 0; i < n; i++) {
        total += a[i];
        bad += a[i] != want;
    }
    ok &= bad == 0;
    printf("RESULT bench=array check=%s count=%lld mode=%s\n", ok ? "ok" : "FAIL",
           (long long)total, atomic ? "atomic" : "raw");
    return ok ? 0 : 1;
}
