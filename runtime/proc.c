/* proc.c: child processes. fork/start, the SIGCHLD handler that reaps
 * children and applies their producer_done, join with timeouts, exit
 * paths, and the shared process table.
 *
 * Reaping happens in one place, reap_children(), called from the SIGCHLD
 * handler and (with SIGCHLD blocked) from join/is_alive/exitcode. It only
 * uses async-signal-safe operations: waitpid, atomics, futex wake. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpr_internal.h"

/* Queues this process produces into itself (the main program's puts). */
static mp_queue **self_prods;
static size_t nself_prods, capself_prods;

enum { P_NEW, P_RUNNING, P_DONE };

struct mp_proc {
    char *name;  /* "p" or "workers[2]", or the name= given */
    bool daemon; /* terminated when its parent ends (Python's daemon) */
    pid_t pid;
    int state;    /* P_*; written by the handler too */
    int code;     /* exit code (Python style) when done */
    int32_t slot; /* in the shared table, or -1 */
    mp_conn **uses;
    size_t nuses, capuses;
    mp_queue **prods;
    size_t nprods, capprods;
    struct mp_proc *next; /* this process's children */
};

/* This process's children (started or not). Linked with a single store so
 * the handler always sees a consistent list; unlinked with SIGCHLD
 * blocked. */
static mp_proc *procs;
/* Bumped (and futex-woken) every time a child is reaped. */
static uint32_t child_events;
/* The handle current_process() returns (made on first use), and in a
 * child the mp_proc it was started from (inherited by fork). */
static mp_proc *self_handle;
static mp_proc *self_proc;

/* ---- shared process table ------------------------------------------ */

/* One slot per process ever started in this program (while slots last):
 * pid, state and exit code, readable by every process. Used to name a
 * dead process in messages.
 *
 * A slot is never reused, so its number (plus one) is the identity a
 * process writes into the lock words it holds (sync.c). `life` is a
 * robust mutex the process holds from its start to its end: the kernel
 * marks it the moment the process ends (killed or not, before anyone
 * reaps it), which is how a lock's waiter learns that the holder is gone
 * without a pid that may be a zombie or reused. */
struct slot {
    int32_t pid;
    int32_t state; /* 0 free, 1 running, 2 finished */
    int32_t code;
    char name[52];
    pthread_mutex_t life;
};

struct table {
    uint32_t next; /* next free slot */
    uint32_t cap;
    struct slot slots[];
};

#define TABLE_SLOTS 4096
static struct table *table;
static size_t table_bytes;

static bool life_init(pthread_mutex_t *m) {
    pthread_mutexattr_t a;
    int r = pthread_mutexattr_init(&a);
    if (r == 0) r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (r == 0) r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (r == 0) r = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return r == 0;
}

static int32_t slot_claim(const char *name) {
    if (!table) return -1;
    uint32_t i = __atomic_fetch_add(&table->next, 1, __ATOMIC_RELAXED);
    if (i >= table->cap) return -1;
    struct slot *s = &table->slots[i];
    strncpy(s->name, name, sizeof s->name - 1);
    s->name[sizeof s->name - 1] = '\0';
    if (!life_init(&s->life)) return -1;
    __atomic_store_n(&s->state, 1, __ATOMIC_RELEASE);
    return (int32_t)i;
}

/* Called by the process of slot I at its start, before it can hold any
 * lock: takes the slot's life mutex for good and adopts the identity. */
static void slot_live(int32_t i) {
    mpr_rt.lock_id = 0;
    if (!table || i < 0) return;
    if (pthread_mutex_lock(&table->slots[i].life) == 0) mpr_rt.lock_id = (uint32_t)i + 1;
}

static void slot_set(int32_t i, int32_t pid, int32_t state, int32_t code) {
    if (!table || i < 0) return;
    struct slot *s = &table->slots[i];
    if (pid) __atomic_store_n(&s->pid, pid, __ATOMIC_RELAXED);
    s->code = code;
    __atomic_store_n(&s->state, state, __ATOMIC_RELEASE);
}

void mpr_describe_pid(int32_t pid, char *buf, size_t cap) {
    if (table) {
        uint32_t n = __atomic_load_n(&table->next, __ATOMIC_RELAXED);
        if (n > table->cap) n = table->cap;
        for (uint32_t i = n; i-- > 0;) {
            struct slot *s = &table->slots[i];
            if (__atomic_load_n(&s->pid, __ATOMIC_RELAXED) == pid) {
                snprintf(buf, cap, "process %d (%s)", (int)pid, s->name);
                return;
            }
        }
    }
    snprintf(buf, cap, "process %d", (int)pid);
}

bool mpr_pid_dead(int32_t pid) {
    if (pid <= 0) return false;
    if (table) {
        uint32_t n = __atomic_load_n(&table->next, __ATOMIC_RELAXED);
        if (n > table->cap) n = table->cap;
        for (uint32_t i = n; i-- > 0;) /* the newest slot of that pid */
            if (__atomic_load_n(&table->slots[i].pid, __ATOMIC_RELAXED) == pid)
                return __atomic_load_n(&table->slots[i].state, __ATOMIC_ACQUIRE) == 2;
    }
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* ---- lock owner identities ----------------------------------------- */

/* A process without a slot (the table is full, or a fork made by C code)
 * is known by its pid, tagged so it never equals a slot number. */
#define ID_PID 0x40000000u

uint32_t mpr_lock_id_slow(void) {
    if (mpr_rt.pid == 0) mpr_rt.pid = (int32_t)getpid();
    mpr_rt.lock_id = ID_PID | (uint32_t)mpr_rt.pid; /* a fork resets it */
    return mpr_rt.lock_id;
}

int32_t mpr_lock_id_pid(uint32_t id) {
    if (id & ID_PID) return (int32_t)(id & ~ID_PID);
    if (!table || id == 0 || id > table->cap) return 0;
    return __atomic_load_n(&table->slots[id - 1].pid, __ATOMIC_RELAXED);
}

/* Whether process PID has ended, known only by its pid: gone, or a
 * zombie (kill() still reaches one). A pid reused after the reaping makes
 * this answer "alive" until the new process ends too: the price of the
 * fallback; processes with a slot never pay it. */
static bool pid_gone(int32_t pid) {
    if (kill(pid, 0) < 0 && errno == ESRCH) return true;
    char path[32], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return errno == ENOENT;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *c = strrchr(buf, ')'); /* the name may hold spaces and ')' */
    return c && (c[2] == 'Z' || c[2] == 'X');
}

/* The slot's life mutex is held by its live process: a try that does not
 * get EBUSY means the process is gone. The try that gets EOWNERDEAD lets
 * the mutex go without making it consistent, so every later try gets
 * ENOTRECOVERABLE: the answer stays "gone" for everyone. A try racing
 * with that one sees EBUSY and says "alive" once; its caller asks again. */
bool mpr_lock_id_dead(uint32_t id) {
    if (id & ID_PID) return pid_gone((int32_t)(id & ~ID_PID));
    if (!table || id == 0 || id > table->cap) return false;
    pthread_mutex_t *m = &table->slots[id - 1].life;
    int r = pthread_mutex_trylock(m);
    if (r == EBUSY) return false;
    if (r == 0 || r == EOWNERDEAD) pthread_mutex_unlock(m);
    return true;
}

/* ---- reaping ------------------------------------------------------- */

static void block_chld(sigset_t *old) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    sigprocmask(SIG_BLOCK, &s, old);
}

static void restore_mask(const sigset_t *old) { sigprocmask(SIG_SETMASK, old, NULL); }

static void finish_proc(mp_proc *p, int code) {
    p->code = code;
    for (size_t i = 0; i < p->nprods; i++) mp_queue_producer_done(p->prods[i]);
    slot_set(p->slot, 0, 2, code);
    __atomic_store_n(&p->state, P_DONE, __ATOMIC_RELEASE);
}

/* Our running child with this pid, or NULL. */
static mp_proc *running_child(pid_t pid) {
    for (mp_proc *p = __atomic_load_n(&procs, __ATOMIC_ACQUIRE); p; p = p->next)
        if (p->pid == pid && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_RUNNING) return p;
    return NULL;
}

/* Reaps P if it has ended; returns whether it did. */
static bool reap_one(mp_proc *p) {
    int st;
    pid_t r;
    do r = waitpid(p->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == p->pid) {
        finish_proc(p, WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : 255);
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        finish_proc(p, 255); /* reaped behind our back */
        return true;
    }
    return false;
}

/* Reaps every finished child of ours: by the pid waitid(WNOWAIT) names,
 * one waitpid per ended child (a scan calling waitpid on every running
 * child would be quadratic in a large group). A zombie that is not ours
 * (a fork by C code linked with the program) is left alone, and the
 * children are then checked one by one. Async-signal-safe; callers
 * outside the handler block SIGCHLD around it. */
static void reap_children(void) {
    int saved = errno;
    bool any = false;
    for (;;) {
        siginfo_t si;
        si.si_pid = 0;
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) break;
        mp_proc *p = running_child(si.si_pid);
        if (p && reap_one(p)) {
            any = true;
            continue;
        }
        for (p = __atomic_load_n(&procs, __ATOMIC_ACQUIRE); p; p = p->next)
            if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_RUNNING && reap_one(p))
                any = true;
        break;
    }
    if (any) {
        __atomic_fetch_add(&child_events, 1, __ATOMIC_SEQ_CST);
        mpr_futex_wake(&child_events, INT32_MAX, false);
    }
    errno = saved;
}

/* With SIGCHLD blocked, after reaping by hand: the exit just reaped left
 * a SIGCHLD pending, whose handler would only find nothing to do. Taking
 * it here saves the signal frame; as it may also stand for another child
 * that ended meanwhile, the handler's work is done in its place. */
static void take_pending_chld(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    struct timespec zero = {0, 0};
    if (sigtimedwait(&s, NULL, &zero) == SIGCHLD) reap_children();
}

static void on_sigchld(int sig) {
    (void)sig;
    reap_children();
}

static void reap_now(void) {
    sigset_t old;
    block_chld(&old);
    reap_children();
    restore_mask(&old);
}

/* In any forked child (ours or a plain fork()): the pid changed and the
 * parent's children are not ours, so we must neither wait for them nor
 * apply their producer_done. */
static void atfork_child(void) {
    mpr_rt.pid = (int32_t)getpid();
    mpr_rt.slot = -1;   /* the parent's; child_main sets a started child's */
    mpr_rt.lock_id = 0; /* the parent's identity is not ours */
    procs = NULL;
    child_events = 0;
    self_handle = NULL;    /* the parent's */
    mpr_exc_reset_child(); /* the parent's `try` is not the child's */
}

void mpr_proc_init(void) {
    pthread_atfork(NULL, NULL, atfork_child);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    if (!table) {
        table_bytes = sizeof(struct table) + TABLE_SLOTS * sizeof(struct slot);
        table = mpr_shm_alloc(table_bytes);
        if (table) {
            table->cap = TABLE_SLOTS;
            mpr_rt.slot = slot_claim(mpr_rt.name);
            slot_set(mpr_rt.slot, mpr_rt.pid, 1, 0);
            slot_live(mpr_rt.slot);
        }
    }
}

/* ---- lifecycle ----------------------------------------------------- */

mp_proc *mp_proc_new(const char *name, int64_t index) {
    char buf[sizeof mpr_rt.name];
    mpr_ensure_init();
    mp_proc *p = mpr_calloc(1, sizeof *p);
    if (index >= 0) snprintf(buf, sizeof buf, "%s[%lld]", name, (long long)index);
    else snprintf(buf, sizeof buf, "%s", name);
    p->name = mpr_strdup(buf);
    p->state = P_NEW;
    p->code = MP_NOEXIT;
    p->slot = -1;
    p->next = procs;
    __atomic_store_n(&procs, p, __ATOMIC_RELEASE);
    mpr_register(MPR_OBJ_PROC, p);
    return p;
}

void mp_proc_uses(mp_proc *p, mp_conn *c) {
    if (p->state != P_NEW || !c) return;
    if (p->nuses == p->capuses) {
        p->capuses = p->capuses ? 2 * p->capuses : 4;
        p->uses = mpr_realloc(p->uses, p->capuses * sizeof *p->uses);
    }
    p->uses[p->nuses++] = c;
}

void mp_proc_produces(mp_proc *p, mp_queue *q) {
    if (p->state != P_NEW || !q) return;
    if (p->nprods == p->capprods) {
        p->capprods = p->capprods ? 2 * p->capprods : 4;
        p->prods = mpr_realloc(p->prods, p->capprods * sizeof *p->prods);
    }
    p->prods[p->nprods++] = q;
    mpr_queue_claim(q);
}

/* A bounded copy for the child's first steps: snprintf would run
 * through several pages of libc's text that the child has not touched
 * (a page fault each, as fork does not copy the page tables of file
 * mappings). NAME is never longer than mpr_rt.name (mp_proc_new). */
static void copy_name(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; i + 1 < cap && src[i]; i++) dst[i] = src[i];
    dst[i] = '\0';
}

/* atfork_child has already forgotten the parent's children and taken
 * the new pid; this is what only a process of ours needs. */
_Noreturn static void child_main(mp_proc *p, void (*entry)(void *), void *arg, pid_t parent,
                                 const sigset_t *mask) {
    /* The parent's shares as a producer are not ours. */
    if (self_prods) {
        free(self_prods);
        self_prods = NULL;
        nself_prods = capself_prods = 0;
    }
    mpr_rt.is_main = false;
    self_proc = p;
    copy_name(mpr_rt.name, sizeof mpr_rt.name, p->name);
    mpr_rt.slot = p->slot;
    slot_set(p->slot, mpr_rt.pid, 1, 0);
    slot_live(p->slot);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl */
        raise(SIGKILL);
    char comm[16];
    copy_name(comm, sizeof comm, p->name);
    prctl(PR_SET_NAME, comm);

    restore_mask(mask);
    mpr_conns_close_except(p->uses, p->nuses);
    entry(arg);
    mpr_exit_process(0);
}

/* Bytes buffered by stdio would be written twice after a fork, once by
 * each process. The runtime never buffers output (a print or a write is
 * one write(2)), so only C code linked with it can leave bytes there, in
 * stdout or stderr. fflush(NULL) would lock and walk every FILE and dirty
 * stdio's pages (a copy-on-write fault in each process) at every fork. */
static void flush_std_streams(void) {
    if (__fpending(stdout) > 0) fflush(stdout);
    if (__fpending(stderr) > 0) fflush(stderr);
}

int mp_proc_start(mp_proc *p, void (*entry)(void *arg), void *arg) {
    sigset_t old;
    if (p->state != P_NEW) {
        errno = EINVAL;
        return -1;
    }
    mpr_ensure_init();
    if (p->slot < 0) p->slot = slot_claim(p->name);
    flush_std_streams();
    pid_t parent = (pid_t)mpr_rt.pid;
    block_chld(&old);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        restore_mask(&old);
        errno = e;
        return -1;
    }
    if (pid == 0) child_main(p, entry, arg, parent, &old);
    p->pid = pid;
    slot_set(p->slot, (int32_t)pid, 1, 0);
    __atomic_store_n(&p->state, P_RUNNING, __ATOMIC_RELEASE);
    restore_mask(&old); /* a pending SIGCHLD runs here */
    return 0;
}

/* A join without a timeout sleeps in waitid with SIGCHLD blocked, as a C
 * parent sleeps in waitpid: no signal frame and no futex between the exit
 * and the wake-up. It reaps every child of ours that ends meanwhile, so
 * their producer shares are applied as the handler would. Returns false
 * when a child that is not ours ended, or P is not our child: then the
 * caller waits on the events the handler posts. */
static bool join_in_waitid(mp_proc *p) {
    sigset_t old;
    bool ours = true;
    if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_DONE) return true;
    block_chld(&old);
    while (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != P_DONE) {
        siginfo_t si;
        si.si_pid = 0;
        if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
            if (errno == EINTR) continue;
            /* ECHILD: p was reaped behind our back, or is not our child */
            if (running_child(p->pid) == p) reap_one(p);
            else ours = false;
            break;
        }
        mp_proc *q = running_child(si.si_pid);
        if (!q || !reap_one(q)) {
            reap_children();
            ours = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_DONE;
            break;
        }
        /* Nobody sleeps on it now (the process is here), but a join
         * with a timeout compares it. */
        __atomic_fetch_add(&child_events, 1, __ATOMIC_SEQ_CST);
    }
    take_pending_chld();
    restore_mask(&old);
    return ours;
}

int mp_proc_join(mp_proc *p, double timeout) {
    mpr_deadline d;
    if (p->state == P_NEW) {
        errno = EINVAL;
        return -1;
    }
    if (timeout < 0 && join_in_waitid(p)) return 0;
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    for (;;) {
        uint32_t seq = __atomic_load_n(&child_events, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_DONE) return 0;
        reap_now();
        if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_DONE) return 0;
        if (mpr_futex_wait(&child_events, seq, &d, false) < 0) {
            reap_now();
            if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_DONE) return 0;
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

int mp_proc_exitcode(mp_proc *p) {
    if (p->state == P_NEW) return MP_NOEXIT;
    reap_now();
    if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != P_DONE) return MP_NOEXIT;
    return p->code;
}

mp_box *mp_proc_exitcode_opt(mp_proc *p) {
    int code = mp_proc_exitcode(p);
    return code == MP_NOEXIT ? NULL : mp_box_i(code);
}

int64_t mp_proc_pid(const mp_proc *p) { return p->pid; }

mp_box *mp_proc_pid_opt(const mp_proc *p) { return p->state == P_NEW ? NULL : mp_box_i(p->pid); }

bool mp_proc_is_alive(mp_proc *p) {
    if (p->state == P_NEW) return false;
    reap_now();
    return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_RUNNING;
}

static int proc_signal(mp_proc *p, int sig) {
    sigset_t old;
    if (p->state == P_NEW) {
        errno = EINVAL;
        return -1;
    }
    /* With SIGCHLD blocked nobody reaps between the check and kill(), so
     * the pid cannot have been reused. */
    block_chld(&old);
    reap_children();
    if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_RUNNING) kill(p->pid, sig);
    restore_mask(&old);
    return 0;
}

int mp_proc_terminate(mp_proc *p) { return proc_signal(p, SIGTERM); }

int mp_proc_kill(mp_proc *p) { return proc_signal(p, SIGKILL); }

const char *mp_proc_name(const mp_proc *p) { return p->name; }

void mp_proc_set_name(mp_proc *p, const mp_str *name) {
    if (p->state != P_NEW) return;
    char *n = mpr_malloc(name->len + 1);
    memcpy(n, name->data, name->len);
    n[name->len] = '\0';
    free(p->name);
    p->name = n;
}

void mp_proc_set_daemon(mp_proc *p, bool daemon) {
    if (p->state == P_NEW) p->daemon = daemon;
}

bool mp_proc_daemon(const mp_proc *p) { return p->daemon; }

/* Python's current_process(): "MainProcess" in main; in a child, the
 * process it was started as. Not a child of anyone here: never started,
 * joined or freed through this handle (mp_finish leaves it). */
mp_proc *mp_current_process(void) {
    static mp_proc handle;
    static char main_name[] = "MainProcess";
    if (self_handle) return self_handle;
    bool child = self_proc && !mpr_rt.is_main;
    handle = (mp_proc){.name = child ? self_proc->name : main_name,
                       .daemon = child && self_proc->daemon,
                       .pid = (pid_t)mp_getpid(),
                       .state = P_RUNNING,
                       .code = MP_NOEXIT,
                       .slot = -1};
    self_handle = &handle;
    return self_handle;
}

int mp_proc_free(mp_proc *p) {
    sigset_t old;
    if (!p) return 0;
    if (p->state == P_RUNNING) {
        reap_now();
        if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == P_RUNNING) {
            errno = EBUSY;
            return -1;
        }
    }
    if (p->state == P_NEW) /* it will never produce */
        for (size_t i = 0; i < p->nprods; i++) mp_queue_producer_done(p->prods[i]);
    block_chld(&old);
    for (mp_proc **pp = &procs; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    restore_mask(&old);
    mpr_unregister(p);
    free(p->uses);
    free(p->prods);
    free(p->name);
    free(p);
    return 0;
}

/* Python ends a daemonic child when its parent exits; a def's own
 * processes end with the call of the def, so the same order applies
 * there: daemons terminated first, then every started one joined, then the
 * records freed (one never started gives up its producer shares). */
static void end_procs(mp_proc **ps, int64_t n) {
    for (int64_t k = 0; k < n; k++)
        if (ps[k] && ps[k]->daemon && ps[k]->state != P_NEW) proc_signal(ps[k], SIGTERM);
    for (int64_t k = 0; k < n; k++)
        if (ps[k] && ps[k]->state != P_NEW) mp_proc_join(ps[k], -1);
    for (int64_t k = 0; k < n; k++) mp_proc_free(ps[k]);
}

void mp_proc_end(mp_proc *p) { end_procs(&p, 1); }

void mp_group_end(mp_proc **ps, int64_t n) {
    if (!ps) return;
    end_procs(ps, n);
    free(ps);
}

void mpr_procs_forget_queue(mp_queue *q) {
    sigset_t old;
    block_chld(&old);
    for (mp_proc *p = procs; p; p = p->next)
        for (size_t i = 0; i < p->nprods;)
            if (p->prods[i] == q) p->prods[i] = p->prods[--p->nprods];
            else i++;
    restore_mask(&old);
}

bool mpr_procs_will_use(const mp_conn *c) {
    for (mp_proc *p = procs; p; p = p->next)
        if (p->state == P_NEW)
            for (size_t i = 0; i < p->nuses; i++)
                if (p->uses[i] == c) return true;
    return false;
}

/* As Python at exit: daemonic children are terminated first, then every
 * child is joined. */
void mpr_join_all_children(void) {
    for (mp_proc *p = procs; p; p = p->next)
        if (p->daemon && p->state != P_NEW) proc_signal(p, SIGTERM);
    for (mp_proc *p = procs; p; p = p->next)
        if (p->state != P_NEW) mp_proc_join(p, -1);
}

void mp_self_produces(mp_queue *q) {
    if (nself_prods == capself_prods) {
        capself_prods = capself_prods ? 2 * capself_prods : 4;
        self_prods = mpr_realloc(self_prods, capself_prods * sizeof *self_prods);
    }
    self_prods[nself_prods++] = q;
    mpr_queue_claim(q);
}

void mp_self_done(mp_queue *q) {
    for (size_t i = 0; i < nself_prods; i++)
        if (self_prods[i] == q) {
            self_prods[i] = self_prods[--nself_prods];
            mp_queue_producer_done(q);
            return;
        }
}

/* Leaving: every queue still waiting for this process's items hears that
 * none will come, before anyone is joined. Main also speaks for the
 * producers it never started and the declarations it never reached (a
 * runtime error, exit(), a failed start): they will never produce. */
void mpr_self_done_all(void) {
    if (mpr_rt.is_main) {
        for (mp_proc *p = procs; p; p = p->next)
            if (p->state == P_NEW) {
                for (size_t i = 0; i < p->nprods; i++) mp_queue_producer_done(p->prods[i]);
                p->nprods = 0;
            }
        mpr_each(MPR_OBJ_QUEUE, mpr_queue_release_unreached);
    }
    while (nself_prods > 0) mp_queue_producer_done(self_prods[--nself_prods]);
    free(self_prods);
    self_prods = NULL;
    capself_prods = 0;
}

_Noreturn void mpr_exit_process(int status) {
    /* First: the children main joins below may be waiting for them. */
    mpr_runlock_all();
    mpr_sync_release_all();
    mpr_self_done_all();
    if (mpr_rt.is_main) {
        /* Children waiting on our pipe ends see end-of-file instead of
         * waiting for a process that is leaving. */
        mpr_conns_close_all();
        mpr_join_all_children();
        mpr_free_all();
        exit(status);
    }
    mpr_join_all_children();
    flush_std_streams();
    slot_set(mpr_rt.slot, 0, 2, status);
    _exit(status);
}

/* ---- checked variants and builtins --------------------------------- */

void mp_start(mp_proc *p, void (*entry)(void *), void *arg, mp_loc loc) {
    if (mp_proc_start(p, entry, arg) < 0) {
        if (errno == EINVAL)
            mp_fail(loc, "cannot start process '%s': it was already started", p->name);
        mp_fail(loc, "cannot start process '%s': %s", p->name, mp_strerror(errno));
    }
}

void mp_join(mp_proc *p, mp_loc loc) {
    if (mp_proc_join(p, -1) < 0) {
        if (errno == EINVAL)
            mp_fail(loc, "cannot join process '%s': it was never started", p->name);
        mp_fail(loc, "cannot join process '%s': %s", p->name, mp_strerror(errno));
    }
}

int64_t mp_group_index(int64_t count, int64_t i, mp_loc loc) {
    int64_t j = i < 0 ? i + count : i;
    if (j < 0 || j >= count) mp_fail(loc, "process group index out of range");
    return j;
}

int64_t mp_getpid(void) {
    if (mpr_rt.pid == 0) mpr_rt.pid = (int32_t)getpid();
    return mpr_rt.pid;
}

int64_t mp_getppid(void) { return getppid(); }

void mp_sleep(double seconds, mp_loc loc) {
    struct timespec at;
    if (seconds != seconds || seconds < 0) {
        mp_raise(MP_EXC_ValueError, loc, "sleep length must be non-negative");
        return;
    }
    if (seconds > 1e9) seconds = 1e9;
    clock_gettime(CLOCK_MONOTONIC, &at);
    double whole = (double)(int64_t)seconds;
    at.tv_sec += (time_t)whole;
    at.tv_nsec += (long)((seconds - whole) * 1e9);
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
        ;
}

void mp_join_timeout(mp_proc *p, double timeout, mp_loc loc) {
    if (mp_proc_join(p, timeout) < 0 && errno != ETIMEDOUT) {
        if (errno == EINVAL && p->state == P_NEW)
            mp_fail(loc, "cannot join process '%s': it was never started", p->name);
        mp_fail(loc, "cannot join process '%s': %s", p->name, mp_strerror(errno));
    }
}

void mp_terminate(mp_proc *p, mp_loc loc) {
    if (mp_proc_terminate(p) < 0)
        mp_fail(loc, "cannot terminate process '%s': it was never started", p->name);
}

void mp_kill(mp_proc *p, mp_loc loc) {
    if (mp_proc_kill(p) < 0)
        mp_fail(loc, "cannot kill process '%s': it was never started", p->name);
}

int64_t mp_group_size(int64_t n, mp_loc loc) {
    if (n < 0) mp_fail(loc, "a process group cannot have a negative size (%lld)", (long long)n);
    return n;
}
