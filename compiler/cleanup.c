/* cleanup: temporaries removed, and the same signal re-raised, when mpc is
 * interrupted. The handler only calls async-signal-safe functions
 * (unlink, rmdir, kill, sigaction, raise) on paths stored in advance. */
#include "cleanup.h"

#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

enum { SLOTS = 8 };

static char paths[SLOTS][PATH_MAX];
static volatile sig_atomic_t used[SLOTS]; /* 0 free, 1 file, 2 directory */
static volatile sig_atomic_t child;       /* pid waited for, 0: none */
static volatile sig_atomic_t pending;     /* a signal that came meanwhile */
/* Every signal whose default action ends the process and that can be
 * caught: not only ^C and kill, also a terminal's ^\, SIGPIPE, timers and
 * ulimit -t, so no such death leaves a temporary behind. */
static const int signals[] = {
    SIGINT,  SIGTERM, SIGHUP,    SIGQUIT, SIGPIPE, SIGALRM,
    SIGUSR1, SIGUSR2, SIGVTALRM, SIGPROF, SIGXCPU,
};

static void remove_all(void) {
    for (int kind = 1; kind <= 2; kind++)
        for (int i = 0; i < SLOTS; i++) {
            if (used[i] != kind) continue;
            if (kind == 1) unlink(paths[i]);
            else rmdir(paths[i]);
            used[i] = 0;
        }
}

static void die_by(int sig) {
    remove_all();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached */
}

static void on_signal(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    if (child <= 0) die_by(sig);
    /* A terminal's ^C already reached the whole foreground group, child
     * included; a signal sent to mpc alone is passed on. Then mpc waits
     * for the child to end and dies after it. */
    if (info->si_code <= 0) kill((pid_t)child, sig);
    pending = sig;
}

void cleanup_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    /* ulimit -f reached while writing the output: the write fails with
     * EFBIG and is reported (and the temporary removed) like a full disk,
     * instead of SIGXFSZ killing mpc mid-file. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &sa, NULL);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        sigaddset(&sa.sa_mask, signals[i]);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction old;
        /* A signal ignored by whoever started mpc (nohup) stays ignored. */
        if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(signals[i], &sa, NULL);
    }
}

static void mask(int how) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&set, signals[i]);
    sigprocmask(how, &set, NULL);
}

void cleanup_hold(void) { mask(SIG_BLOCK); }
void cleanup_release(void) { mask(SIG_UNBLOCK); }

int cleanup_add(const char *path, bool is_dir) {
    size_t n = strlen(path);
    if (n >= PATH_MAX) return -1;
    for (int i = 0; i < SLOTS; i++) {
        if (used[i]) continue;
        memcpy(paths[i], path, n + 1);
        used[i] = is_dir ? 2 : 1;
        return i;
    }
    return -1;
}

void cleanup_forget(int slot) {
    if (slot >= 0 && slot < SLOTS) used[slot] = 0;
}

void cleanup_forget_all(void) {
    for (int i = 0; i < SLOTS; i++) used[i] = 0;
}

void cleanup_child(pid_t pid) { child = pid; }

void cleanup_in_child(void) {
    cleanup_forget_all();
    child = 0;
    cleanup_release();
}

void cleanup_after_child(void) {
    child = 0;
    if (pending) die_by(pending);
}
