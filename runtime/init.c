/* init.c: mp_init/mp_finish/mp_exit and the registry of objects that
 * mp_finish frees, so leak checkers see a clean main process. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpr_internal.h"

struct obj {
    enum mpr_objkind kind;
    void *p;
};

static struct obj *objs;
static size_t nobjs, capobjs;

void mpr_register(enum mpr_objkind kind, void *p) {
    if (nobjs == capobjs) {
        capobjs = capobjs ? capobjs * 2 : 32;
        objs = mpr_realloc(objs, capobjs * sizeof *objs);
    }
    objs[nobjs++] = (struct obj){kind, p};
}

void mpr_unregister(void *p) {
    for (size_t i = nobjs; i-- > 0;)
        if (objs[i].p == p) {
            memmove(&objs[i], &objs[i + 1], (nobjs - i - 1) * sizeof *objs);
            nobjs--;
            return;
        }
}

static void free_obj(struct obj o) {
    switch (o.kind) {
    case MPR_OBJ_PROC:
        if (mp_proc_free(o.p) < 0) mpr_unregister(o.p); /* still running: leave it */
        break;
    case MPR_OBJ_CONN: mpr_conn_free(o.p); break;
    case MPR_OBJ_QUEUE: mp_queue_free(o.p); break;
    case MPR_OBJ_VALUE: mp_value_free(o.p); break;
    case MPR_OBJ_ARRAY: mp_array_free(o.p); break;
    case MPR_OBJ_LOCK: mp_lock_free(o.p); break;
    case MPR_OBJ_SEM: mp_sem_free(o.p); break;
    case MPR_OBJ_EVENT: mp_event_free(o.p); break;
    case MPR_OBJ_BARRIER: mp_barrier_free(o.p); break;
    case MPR_OBJ_SYNC: mpr_sync_free(o.p); break;
    case MPR_OBJ_POOL: mpr_pool_free(o.p); break;
    }
}

void mpr_each(enum mpr_objkind kind, void (*fn)(void *obj)) {
    for (size_t i = 0; i < nobjs; i++)
        if (objs[i].kind == kind) fn(objs[i].p);
}

void mpr_free_all(void) {
    /* Processes first: they refer to pipe ends and queues. */
    for (size_t i = nobjs; i-- > 0;)
        if (i < nobjs && objs[i].kind == MPR_OBJ_PROC) free_obj(objs[i]);
    while (nobjs > 0) {
        size_t before = nobjs;
        free_obj(objs[nobjs - 1]);
        if (nobjs == before) /* defensive: never loop forever */
            nobjs--;
    }
    free(objs);
    objs = NULL;
    capobjs = 0;
}

/* A closed stdin, stdout or stderr (`prog >&-`) would hand descriptor 0,
 * 1 or 2 to the first pipe, queue or file the runtime opens, and print or
 * an error message would then write into it. Every closed one of them is
 * filled with /dev/null (as if redirected there; Python prints nothing
 * either), or, without /dev/null, with a pipe nobody reads. */
static bool std_fds_open(void) {
    return fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0;
}

/* Keeps fd if it filled a standard slot; else closes it. */
static bool keep_low(int fd) {
    if (fd <= 2) return true;
    close(fd);
    return false;
}

static void fill_std_fds(void) {
    while (!std_fds_open()) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            if (!keep_low(fd)) return;
            continue;
        }
        int p[2];
        if (pipe(p) < 0) return; /* nothing left to fill them with */
        bool a = keep_low(p[0]), b = keep_low(p[1]);
        if (!a && !b) return;
    }
}

void mpr_ensure_init(void) {
    if (mpr_rt.inited) return;
    mpr_rt.inited = true;
    fill_std_fds();
    mpr_stack_init();
    if (mpr_rt.pid == 0) mpr_rt.pid = (int32_t)getpid();
    signal(SIGPIPE, SIG_IGN);
    /* Past `ulimit -f` a write fails with EFBIG, reported like a full
     * disk, instead of the signal killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    mpr_proc_init();
}

void mp_init(const char *source_name, int argc, char **argv) {
    if (source_name) mpr_rt.source = source_name;
    mpr_rt.argc = argc;
    mpr_rt.argv = argv;
    mpr_ensure_init();
}

int mp_finish(void) {
    mpr_ensure_init();
    mpr_self_done_all();
    if (mpr_rt.is_main) mpr_conns_close_all();
    mpr_join_all_children();
    if (mpr_rt.is_main) mpr_free_all();
    return 0;
}

_Noreturn void mp_exit(int status) { mpr_exit_process(status); }
