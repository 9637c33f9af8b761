/* reap.c: kills a program's main process and proves that none of its
 * processes outlives it.
 *
 *   reap LINES SIGNAL PROGRAM [ARGS...]
 *
 * Becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so every descendant
 * of PROGRAM is re-parented here when PROGRAM dies. Runs PROGRAM with its
 * stdout on a pipe, reads LINES lines of it ("pid N ..." lines: each
 * process says it is running), then sends SIGNAL to PROGRAM. Then it waits
 * for every descendant with waitpid(-1) until ECHILD: this returns only
 * when no process of the program is left. A process that lingers is found
 * by the safety net (alarm after 30 s), which prints the pids still alive
 * among those announced, kills them and fails.
 *
 * Prints "main: signal N; descendants reaped: K" and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int pids[256], npids;

static void on_alarm(int sig) {
    (void)sig;
    char buf[128];
    for (int i = 0; i < npids; i++) {
        if (kill(pids[i], 0) == 0) {
            int n = snprintf(buf, sizeof buf,
                             "reap: pid %d outlived the "
                             "killed program\n",
                             pids[i]);
            if (write(2, buf, (size_t)n) < 0) { /* nothing to do */
            }
            kill(pids[i], SIGKILL);
        }
    }
    _exit(1);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: reap LINES SIGNAL PROGRAM [ARGS...]\n");
        return 2;
    }
    int lines = atoi(argv[1]), sig = atoi(argv[2]);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("reap: PR_SET_CHILD_SUBREAPER");
        return 1;
    }
    int fd[2];
    if (pipe(fd) != 0) {
        perror("reap: pipe");
        return 1;
    }
    pid_t main_pid = fork();
    if (main_pid < 0) {
        perror("reap: fork");
        return 1;
    }
    if (main_pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(argv[3], argv + 3);
        perror("reap: exec");
        _exit(127);
    }
    close(fd[1]);
    signal(SIGALRM, on_alarm);
    alarm(30);
    FILE *in = fdopen(fd[0], "r");
    char line[512];
    for (int i = 0; i < lines; i++) {
        if (!fgets(line, sizeof line, in)) {
            fprintf(stderr, "reap: the program ended after %d of %d lines\n", i, lines);
            return 1;
        }
        int pid;
        if (sscanf(line, "pid %d", &pid) == 1 && npids < 256) pids[npids++] = pid;
    }
    if (kill(main_pid, sig) != 0) {
        perror("reap: kill");
        return 1;
    }
    int reaped = 0, main_status = -1;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0) {
            if (errno == EINTR) continue;
            if (errno == ECHILD) break;
            perror("reap: waitpid");
            return 1;
        }
        if (p == main_pid) main_status = st;
        else reaped++;
    }
    alarm(0);
    for (int i = 0; i < npids; i++) {
        if (kill(pids[i], 0) == 0 || errno != ESRCH) {
            fprintf(stderr, "reap: pid %d still exists\n", pids[i]);
            return 1;
        }
    }
    if (!WIFSIGNALED(main_status) || WTERMSIG(main_status) != sig) {
        fprintf(stderr,
                "reap: the program was not killed by signal %d "
                "(status 0x%x)\n",
                sig, main_status);
        return 1;
    }
    printf("main: signal %d; descendants reaped: %d\n", sig, reaped);
    return 0;
}
