/* spawn.c: the plain-C side of the spawn benchmark.
 *
 * Creates, starts and joins N processes, ROUNDS times: one at a time
 * (seq=1: fork, waitpid, fork, waitpid, ...) and/or all at once (group=1:
 * N forks, then N waitpids). Each child adds 1 to its own slot of a shared
 * array (an __atomic add, as the .mp child does) and _exits; the parent
 * checks every slot and every exit status.
 *
 * usage: spawn [n=200] [rounds=1] [seq=1] [group=1]
 * prints: RESULT bench=spawn check=ok|FAIL count=<processes verified>
 */
#define _GNU_SOURCE
#include <errno.h>
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

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static long long *seen;
static long long bad_exits;

static pid_t spawn(long long i)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        __atomic_fetch_add(&seen[i], 1, __ATOMIC_SEQ_CST);
        _exit(0);
    }
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        bad_exits++;
}

int main(int argc, char **argv)
{
    long long n = arg(argc, argv, "n", 200);
    long long rounds = arg(argc, argv, "rounds", 1);
    int seq = (int)arg(argc, argv, "seq", 1);
    int group = (int)arg(argc, argv, "group", 1);

    seen = mmap(NULL, (size_t)(n > 0 ? n : 1) * sizeof *seen,
                PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t *pids = malloc((size_t)(n > 0 ? n : 1) * sizeof *pids);
    if (seen == MAP_FAILED || !pids)
        die("memory");

    for (long long r = 0; r < rounds; r++) {
        if (seq)
            for (long long i = 0; i < n; i++)
                reap(spawn(i));
        if (group) {
            for (long long i = 0; i < n; i++)
                pids[i] = spawn(i);
            for (long long i = 0; i < n; i++)
                reap(pids[i]);
        }
    }

    long long want = rounds * ((seq != 0) + (group != 0)), total = 0;
    int ok = bad_exits == 0;
    for (long long i = 0; i < n; i++) {
        total += seen[i];
        if (seen[i] != want)
            ok = 0;
    }
    printf("RESULT bench=spawn check=%s count=%lld\n", ok ? "ok" : "FAIL", total);
    return ok ? 0 : 1;
}
