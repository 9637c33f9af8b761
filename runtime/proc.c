/* proc.c: child processes. fork/start, the SIGCHLD handler that reaps
 * children and applies their producer_done, join with timeouts, exit
 * paths, and the shared process table.
 *
 * Reaping happens in one place, reap_children(), called from the SIGCHLD
 * handler and (with SIGCHLD blocked) from is_alive/exitcode/terminate and
 * the timed join; a join without a timeout reaps its own child with
 * waitpid. It only uses async-signal-safe operations: waitpid, atomics.
 *
 * Spawning is dominated by page faults (bench/RESULTS.md, spawn): a fork
 * write-protects every private page of the parent, so each page the
 * parent writes between two forks costs it a copy-on-write fault, and
 * each page or 64 KiB window of code a child touches costs the child one.
 * So what the parent writes about its children after a fork lives in
 * shared memory (the table) or in a page a fork leaves alone (struct
 * kids), and a child does as little as it can before its entry point. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpr_internal.h"

/* Queues this process produces into itself (the main program's puts). */
static mp_queue **self_prods;
static size_t nself_prods, capself_prods;

/* P_JOINING: running, and a join without a timeout is waiting for it in
 * waitpid, so the SIGCHLD handler leaves it to the join. */
enum { P_NEW, P_RUNNING, P_DONE, P_JOINING };

/* What a parent knows of its child. It lives in the child's slot of the
 * shared table when it has one: a fork does not write-protect a shared
 * page, so updating it after each fork costs the parent no fault. Written
 * only by the parent (and its SIGCHLD handler). */
struct rec {
    int32_t pid;   /* 0 before start; the pid every process looks up */
    int32_t state; /* P_* */
    int32_t code;  /* exit code (Python style) when done */
};

struct mp_proc {
    char *name;      /* "p" or "workers[2]", or the name= given */
    bool daemon;     /* terminated when its parent ends (Python's daemon) */
    pid_t owner;     /* the process that made it: the only one to start or join it */
    struct rec *rec; /* in the table, or own */
    struct rec own;
    int32_t slot; /* in the shared table, or -1 */
    mp_conn **uses;
    size_t nuses, capuses;
    mp_queue **prods;
    size_t nprods, capprods;
    struct mp_proc *next; /* this process's children */
};

/* This process's children (started or not). Linked and unlinked with a
 * single store, so the handler always sees a consistent list. */
static mp_proc *procs;
/* This process's counts about its children, written after forks by the
 * parent and its handler: in a page marked MADV_WIPEONFORK (beside the
 * handler's signal stack) a fork neither copies nor write-protects, and a
 * child finds it zeroed, as its own counts start. own_kids when that page
 * could not be made. */
struct kids {
    uint32_t events;  /* bumped every time the handler reaps a child */
    uint32_t running; /* children P_RUNNING, and one being forked */
    uint32_t strays;  /* zombies the handler found no running child for */
};
static struct kids own_kids, *kids = &own_kids;
/* The handle current_process() returns (made on first use), and in a
 * child the mp_proc it was started from (inherited by fork). */
static mp_proc *self_handle;
static mp_proc *self_proc;

/* ---- shared process table ------------------------------------------ */

/* One slot per process declared in this program (while slots last):
 * its parent's record, whether it has finished, its name, readable by
 * every process. Used to name a dead process in messages.
 *
 * A slot is never reused, so its number (plus one) is the identity a
 * process writes into the lock words it holds (sync.c). `life` is a
 * robust mutex the process holds from its first lock to its end: the
 * kernel marks it the moment the process ends (killed or not, before
 * anyone reaps it), which is how a lock's waiter learns that the holder
 * is gone without a pid that may be a zombie or reused. A process that
 * never takes a lock never touches its slot (a page fault saved). */
struct slot {
    struct rec rec;   /* rec.pid: who the slot is */
    int32_t finished; /* at the reaping; at its exit if it published its pid */
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

static void slot_name(int32_t i, const char *name) {
    struct slot *s = &table->slots[i];
    strncpy(s->name, name, sizeof s->name - 1);
    s->name[sizeof s->name - 1] = '\0';
}

static int32_t slot_claim(const char *name) {
    if (!table) return -1;
    uint32_t i = __atomic_fetch_add(&table->next, 1, __ATOMIC_RELAXED);
    if (i >= table->cap) return -1;
    slot_name((int32_t)i, name);
    if (!life_init(&table->slots[i].life)) return -1;
    return (int32_t)i;
}

/* Called by the process of slot I before it holds its first lock: takes
 * the slot's life mutex for good and adopts the identity. */
static void slot_live(int32_t i) {
    if (!table || i < 0) return;
    struct slot *s = &table->slots[i];
    if (pthread_mutex_lock(&s->life) != 0) return;
    /* the parent writes it too, maybe not yet */
    __atomic_store_n(&s->rec.pid, mpr_rt.pid, __ATOMIC_RELAXED);
    mpr_rt.lock_id = (uint32_t)i + 1;
    mpr_rt.published = true;
}

static void slot_finished(int32_t i) {
    if (table && i >= 0) __atomic_store_n(&table->slots[i].finished, 1, __ATOMIC_RELEASE);
}

void mpr_describe_pid(int32_t pid, char *buf, size_t cap) {
    if (table) {
        uint32_t n = __atomic_load_n(&table->next, __ATOMIC_RELAXED);
        if (n > table->cap) n = table->cap;
        for (uint32_t i = n; i-- > 0;) {
            struct slot *s = &table->slots[i];
            if (__atomic_load_n(&s->rec.pid, __ATOMIC_RELAXED) == pid) {
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
            if (__atomic_load_n(&table->slots[i].rec.pid, __ATOMIC_RELAXED) == pid)
                return __atomic_load_n(&table->slots[i].finished, __ATOMIC_ACQUIRE) != 0;
    }
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* ---- lock owner identities ----------------------------------------- */

/* A process without a slot (the table is full, or a fork made by C code)
 * is known by its pid, tagged so it never equals a slot number. */
#define ID_PID 0x40000000u

/* A process of ours takes its slot's life mutex here, at its first lock
 * (a fork resets the identity). */
uint32_t mpr_lock_id_slow(void) {
    if (mpr_rt.pid == 0) mpr_rt.pid = (int32_t)getpid();
    slot_live(mpr_rt.slot);
    if (mpr_rt.lock_id == 0) mpr_rt.lock_id = ID_PID | (uint32_t)mpr_rt.pid;
    return mpr_rt.lock_id;
}

void mpr_pid_published(void) { mpr_rt.published = true; }

int32_t mpr_lock_id_pid(uint32_t id) {
    if (id & ID_PID) return (int32_t)(id & ~ID_PID);
    if (!table || id == 0 || id > table->cap) return 0;
    return __atomic_load_n(&table->slots[id - 1].rec.pid, __ATOMIC_RELAXED);
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

static int32_t load_state(const mp_proc *p) {
    return __atomic_load_n(&p->rec->state, __ATOMIC_ACQUIRE);
}

/* Python's exit code from a wait status. */
static int exit_code(int st) {
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : 255;
}

/* P (running or joined) was reaped. The handler interrupts the main
 * program only between instructions, so the single-instruction updates
 * of the counts need no lock against it. */
static void finish_proc(mp_proc *p, int code) {
    struct rec *r = p->rec;
    r->code = code;
    for (size_t i = 0; i < p->nprods; i++) mp_queue_producer_done(p->prods[i]);
    slot_finished(p->slot);
    if (load_state(p) == P_RUNNING) __atomic_fetch_sub(&kids->running, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&r->state, P_DONE, __ATOMIC_RELEASE);
}

/* Our running child with this pid, or NULL. */
static mp_proc *running_child(pid_t pid) {
    for (mp_proc *p = __atomic_load_n(&procs, __ATOMIC_ACQUIRE); p; p = p->next)
        if (p->rec->pid == pid && load_state(p) == P_RUNNING) return p;
    return NULL;
}

/* Reaps P if it has ended; returns whether it did. */
static bool reap_one(mp_proc *p) {
    int st;
    pid_t r;
    do r = waitpid(p->rec->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == p->rec->pid) {
        finish_proc(p, exit_code(st));
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        finish_proc(p, 255); /* reaped behind our back */
        return true;
    }
    return false;
}

/* Reaps every finished running child of ours: by the pid
 * waitid(WNOWAIT) names, one waitpid per ended child (a scan calling
 * waitpid on every running child would be quadratic in a large group). A
 * zombie that is not ours (a fork by C code linked with the program, a
 * child being forked or joined) is left alone, counted as a stray, and
 * the running children are then checked one by one. With none running
 * (the SIGCHLD of a child its join reaped) it makes no system call.
 * Async-signal-safe; callers outside the handler block SIGCHLD around
 * it. */
static void reap_children(void) {
    if (__atomic_load_n(&kids->running, __ATOMIC_RELAXED) == 0) return;
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
        __atomic_fetch_add(&kids->strays, 1, __ATOMIC_RELAXED);
        for (p = __atomic_load_n(&procs, __ATOMIC_ACQUIRE); p; p = p->next)
            if (load_state(p) == P_RUNNING && reap_one(p)) any = true;
        break;
    }
    /* Only this thread sleeps on it (a timed join), and the system call it
     * sleeps in compares the word: the bump alone wakes it. */
    if (any) __atomic_fetch_add(&kids->events, 1, __ATOMIC_SEQ_CST);
    if (errno != saved) errno = saved; /* errno's page untouched otherwise */
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
MPR_CHILD_PATH static void atfork_child(void) {
    mpr_rt.pid = (int32_t)getpid();
    mpr_rt.slot = -1;   /* the parent's; child_main sets a started child's */
    mpr_rt.lock_id = 0; /* the parent's identity is not ours */
    mpr_rt.published = false;
    procs = NULL;
    if (kids == &own_kids) own_kids = (struct kids){0, 0, 0}; /* else wiped */
    self_handle = NULL;                                       /* the parent's */
    mpr_exc_reset_child(); /* the parent's `try` is not the child's */
    mpr_sync_forget();     /* nor its Locks and semaphore units */
}

/* The SIGCHLD handler's frame would land on the stack, a page the fork
 * before it write-protected: it runs on a stack of its own, in the
 * mapping of struct kids (a guard page below it). */
#define ALT_STACK (128 * 1024)

/* Makes the page of struct kids and the handler's stack; returns the
 * flag for sigaction. Without them (no MADV_WIPEONFORK; a signal stack
 * already there, a sanitizer's or C code's, is not ours to replace)
 * everything works the same, with the faults. */
static int kids_init(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = page + ALT_STACK + page;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 0;
    if (madvise(m, len, MADV_WIPEONFORK) < 0 || mprotect(m, page, PROT_NONE) < 0) {
        munmap(m, len);
        return 0;
    }
    kids = (struct kids *)(m + page + ALT_STACK);
    stack_t cur, ss = {.ss_sp = m + page, .ss_flags = 0, .ss_size = ALT_STACK};
    if (sigaltstack(NULL, &cur) < 0 || !(cur.ss_flags & SS_DISABLE)) return 0;
    return sigaltstack(&ss, NULL) == 0 ? SA_ONSTACK : 0;
}

void mpr_proc_init(void) {
    pthread_atfork(NULL, NULL, atfork_child);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP | kids_init();
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    if (!table) {
        table_bytes = sizeof(struct table) + TABLE_SLOTS * sizeof(struct slot);
        table = mpr_shm_alloc(table_bytes);
        if (table) {
            table->cap = TABLE_SLOTS;
            mpr_rt.slot = slot_claim(mpr_rt.name);
            if (mpr_rt.slot >= 0) {
                struct rec *r = &table->slots[mpr_rt.slot].rec;
                *r = (struct rec){mpr_rt.pid, P_RUNNING, MP_NOEXIT};
                slot_live(mpr_rt.slot);
            }
        }
    }
}

/* ---- lifecycle ----------------------------------------------------- */

/* The slot is claimed here, when the process is declared, not at its
 * start: a start then writes nothing of the parent's own memory. */
mp_proc *mp_proc_new(const char *name, int64_t index) {
    char buf[sizeof mpr_rt.name];
    mpr_ensure_init();
    mp_proc *p = mpr_calloc(1, sizeof *p);
    if (index >= 0) snprintf(buf, sizeof buf, "%s[%lld]", name, (long long)index);
    else snprintf(buf, sizeof buf, "%s", name);
    p->name = mpr_strdup(buf);
    p->owner = (pid_t)mp_getpid();
    p->slot = slot_claim(p->name);
    p->rec = p->slot >= 0 ? &table->slots[p->slot].rec : &p->own;
    *p->rec = (struct rec){0, P_NEW, MP_NOEXIT};
    p->next = procs;
    __atomic_store_n(&procs, p, __ATOMIC_RELEASE);
    mpr_register(MPR_OBJ_PROC, p);
    return p;
}

void mp_proc_uses(mp_proc *p, mp_conn *c) {
    if (load_state(p) != P_NEW || !c) return;
    if (p->nuses == p->capuses) {
        p->capuses = p->capuses ? 2 * p->capuses : 4;
        p->uses = mpr_realloc(p->uses, p->capuses * sizeof *p->uses);
    }
    p->uses[p->nuses++] = c;
}

void mp_proc_produces(mp_proc *p, mp_queue *q) {
    if (load_state(p) != P_NEW || !q) return;
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

/* prctl(OPTION, ARG) with the system call instruction on x86-64: libc's
 * wrapper lies in a page of its text the fork did not touch, a page fault
 * in every child. */
static void child_prctl(int option, unsigned long arg) {
#if defined(__x86_64__)
    register long r10 __asm__("r10") = 0, r8 __asm__("r8") = 0;
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_prctl), "D"((long)option), "S"(arg), "d"(0L), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    (void)r;
#else
    prctl(option, arg, 0UL, 0UL, 0UL);
#endif
}

/* atfork_child has already forgotten the parent's children and taken
 * the new pid; this is what only a process of ours needs. Its slot is
 * left alone until it takes a lock (mpr_lock_id_slow). */
_Noreturn static void child_main(mp_proc *p, void (*entry)(void *), void *arg, pid_t parent) {
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

    child_prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl */
        raise(SIGKILL);
    char comm[16];
    copy_name(comm, sizeof comm, p->name);
    child_prctl(PR_SET_NAME, (unsigned long)comm);

    mpr_conns_close_except(p->uses, p->nuses);
    entry(arg);
    mpr_exit_process(0);
}

/* Whether stdio holds bytes for F: __fpending's test, inline for the
 * narrow streams of glibc, as the call would fault in a page of libc's
 * text in every exiting child. */
static bool std_pending(FILE *f) {
#ifdef __GLIBC__
    if (f->_mode <= 0) return f->_IO_write_ptr > f->_IO_write_base;
#endif
    return __fpending(f) > 0;
}

/* Bytes buffered by stdio would be written twice after a fork, once by
 * each process. The runtime never buffers output (a print or a write is
 * one write(2)), so only C code linked with it can leave bytes there, in
 * stdout or stderr. fflush(NULL) would lock and walk every FILE and dirty
 * stdio's pages (a copy-on-write fault in each process) at every fork. */
static void flush_std_streams(void) {
    if (std_pending(stdout)) fflush(stdout);
    if (std_pending(stderr)) fflush(stderr);
}

void (*mpr_test_start_hook)(pid_t pid);

/* SIGCHLD stays unblocked: a child that ends before its record says
 * P_RUNNING is found by the handler, which cannot match it and counts a
 * stray (running counts it from before the fork, so the handler looks);
 * the parent then reaps it here. */
MPR_CHILD_PATH int mp_proc_start(mp_proc *p, void (*entry)(void *arg), void *arg) {
    if (load_state(p) != P_NEW || p->owner != (pid_t)mp_getpid()) {
        errno = load_state(p) != P_NEW ? EINVAL : EPERM; /* EPERM: another process's */
        return -1;
    }
    mpr_ensure_init();
    flush_std_streams();
    pid_t parent = (pid_t)mpr_rt.pid;
    uint32_t strays = __atomic_load_n(&kids->strays, __ATOMIC_RELAXED);
    __atomic_fetch_add(&kids->running, 1, __ATOMIC_RELAXED);
    pid_t pid = fork();
    if (pid < 0) {
        __atomic_fetch_sub(&kids->running, 1, __ATOMIC_RELAXED);
        return -1;
    }
    if (pid == 0) child_main(p, entry, arg, parent);
    if (mpr_test_start_hook) mpr_test_start_hook(pid);
    __atomic_store_n(&p->rec->pid, (int32_t)pid, __ATOMIC_RELAXED);
    __atomic_store_n(&p->rec->state, P_RUNNING, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&kids->strays, __ATOMIC_SEQ_CST) != strays) reap_now();
    return 0;
}

/* A join without a timeout sleeps in waitpid, as a C parent does: no
 * signal mask to change, nothing to take back. SIGCHLD stays unblocked,
 * so children that end meanwhile are reaped by the handler (the wait is
 * restarted after it: SA_RESTART) and their producer shares applied; the
 * record says P_JOINING, so the handler leaves this child to the join.
 * The SIGCHLD of the joined child then finds nothing running and makes
 * no system call. */
static void join_blocking(mp_proc *p) {
    int32_t running = P_RUNNING;
    if (!__atomic_compare_exchange_n(&p->rec->state, &running, P_JOINING, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return; /* reaped already */
    __atomic_fetch_sub(&kids->running, 1, __ATOMIC_RELAXED);
    pid_t pid = p->rec->pid, r;
    int st;
    do r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    finish_proc(p, r == pid ? exit_code(st) : 255); /* ECHILD: reaped behind our back */
}

int mp_proc_join(mp_proc *p, double timeout) {
    mpr_deadline d;
    if (load_state(p) == P_NEW) {
        errno = EINVAL;
        return -1;
    }
    if (p->owner != (pid_t)mp_getpid()) {
        errno = ECHILD; /* another process's child: only its parent can wait for it */
        return -1;
    }
    if (timeout < 0) {
        join_blocking(p);
        return 0;
    }
    if (mpr_deadline_set(&d, timeout) < 0) return -1;
    for (;;) {
        uint32_t seq = __atomic_load_n(&kids->events, __ATOMIC_SEQ_CST);
        if (load_state(p) == P_DONE) return 0;
        reap_now();
        if (load_state(p) == P_DONE) return 0;
        if (mpr_futex_wait(&kids->events, seq, &d, false) < 0) {
            reap_now();
            if (load_state(p) == P_DONE) return 0;
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

int mp_proc_exitcode(mp_proc *p) {
    if (load_state(p) == P_NEW) return MP_NOEXIT;
    reap_now();
    if (load_state(p) != P_DONE) return MP_NOEXIT;
    return p->rec->code;
}

mp_box *mp_proc_exitcode_opt(mp_proc *p) {
    int code = mp_proc_exitcode(p);
    return code == MP_NOEXIT ? NULL : mp_box_i(code);
}

int64_t mp_proc_pid(const mp_proc *p) { return p->rec->pid; }

mp_box *mp_proc_pid_opt(const mp_proc *p) {
    return load_state(p) == P_NEW ? NULL : mp_box_i(p->rec->pid);
}

bool mp_proc_is_alive(mp_proc *p) {
    if (load_state(p) == P_NEW) return false;
    reap_now();
    return load_state(p) == P_RUNNING;
}

static int proc_signal(mp_proc *p, int sig) {
    sigset_t old;
    if (load_state(p) == P_NEW) {
        errno = EINVAL;
        return -1;
    }
    /* With SIGCHLD blocked nobody reaps between the check and kill(), so
     * the pid cannot have been reused. */
    block_chld(&old);
    reap_children();
    if (load_state(p) == P_RUNNING) kill(p->rec->pid, sig);
    restore_mask(&old);
    return 0;
}

int mp_proc_terminate(mp_proc *p) { return proc_signal(p, SIGTERM); }

int mp_proc_kill(mp_proc *p) { return proc_signal(p, SIGKILL); }

const char *mp_proc_name(const mp_proc *p) { return p->name; }

void mp_proc_set_name(mp_proc *p, const mp_str *name) {
    if (load_state(p) != P_NEW) return;
    char *n = mpr_malloc(name->len + 1);
    memcpy(n, name->data, name->len);
    n[name->len] = '\0';
    free(p->name);
    p->name = n;
    if (p->slot >= 0) slot_name(p->slot, n);
}

void mp_proc_set_daemon(mp_proc *p, bool daemon) {
    if (load_state(p) == P_NEW) p->daemon = daemon;
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
                       .own = {(int32_t)mp_getpid(), P_RUNNING, MP_NOEXIT},
                       .slot = -1};
    handle.rec = &handle.own;
    self_handle = &handle;
    return self_handle;
}

int mp_proc_free(mp_proc *p) {
    if (!p) return 0;
    if (load_state(p) == P_RUNNING) {
        reap_now();
        if (load_state(p) == P_RUNNING) {
            errno = EBUSY;
            return -1;
        }
    }
    if (load_state(p) == P_NEW) /* it will never produce */
        for (size_t i = 0; i < p->nprods; i++) mp_queue_producer_done(p->prods[i]);
    /* One store unlinks it: the handler, which runs between two of our
     * instructions, sees the list with or without it. */
    for (mp_proc **pp = &procs; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            __atomic_store_n(pp, p->next, __ATOMIC_RELEASE);
            break;
        }
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
        if (ps[k] && ps[k]->daemon && load_state(ps[k]) != P_NEW) proc_signal(ps[k], SIGTERM);
    for (int64_t k = 0; k < n; k++)
        if (ps[k] && load_state(ps[k]) != P_NEW) mp_proc_join(ps[k], -1);
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
        if (load_state(p) == P_NEW)
            for (size_t i = 0; i < p->nuses; i++)
                if (p->uses[i] == c) return true;
    return false;
}

/* As Python at exit: daemonic children are terminated first, then every
 * child is joined. */
MPR_CHILD_PATH void mpr_join_all_children(void) {
    for (mp_proc *p = procs; p; p = p->next)
        if (p->daemon && load_state(p) != P_NEW) proc_signal(p, SIGTERM);
    for (mp_proc *p = procs; p; p = p->next)
        if (load_state(p) != P_NEW) mp_proc_join(p, -1);
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
MPR_CHILD_PATH void mpr_self_done_all(void) {
    if (mpr_rt.is_main) {
        for (mp_proc *p = procs; p; p = p->next)
            if (load_state(p) == P_NEW) {
                for (size_t i = 0; i < p->nprods; i++) mp_queue_producer_done(p->prods[i]);
                p->nprods = 0;
            }
        mpr_each(MPR_OBJ_QUEUE, mpr_queue_release_unreached);
    }
    while (nself_prods > 0) mp_queue_producer_done(self_prods[--nself_prods]);
    if (self_prods) { /* free(NULL) would fault in a page of libc in every child */
        free(self_prods);
        self_prods = NULL;
        capself_prods = 0;
    }
}

MPR_CHILD_PATH _Noreturn void mpr_exit_process(int status) {
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
    /* Its pid is recorded where others may ask whether it lives: they
     * learn it now, not only when the parent reaps it. */
    if (mpr_rt.published) slot_finished(mpr_rt.slot);
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
        if (errno == EINVAL && load_state(p) == P_NEW)
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
