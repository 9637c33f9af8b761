/* init.c: mp_init/mp_finish/mp_exit and the registry of objects that
 * mp_finish frees, so leak checkers see a clean main process. */
#define _GNU_SOURCE
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

void mpr_register(enum mpr_objkind kind, void *p)
{
    if (nobjs == capobjs) {
        capobjs = capobjs ? capobjs * 2 : 32;
        objs = mpr_realloc(objs, capobjs * sizeof *objs);
    }
    objs[nobjs++] = (struct obj){ kind, p };
}

void mpr_unregister(void *p)
{
    for (size_t i = nobjs; i-- > 0;)
        if (objs[i].p == p) {
            memmove(&objs[i], &objs[i + 1], (nobjs - i - 1) * sizeof *objs);
            nobjs--;
            return;
        }
}

static void free_obj(struct obj o)
{
    switch (o.kind) {
    case MPR_OBJ_PROC:
        if (mp_proc_free(o.p) < 0)
            mpr_unregister(o.p);        /* still running: leave it */
        break;
    case MPR_OBJ_CONN:
        mpr_conn_free(o.p);
        break;
    case MPR_OBJ_QUEUE:
        mp_queue_free(o.p);
        break;
    case MPR_OBJ_VALUE:
        mp_value_free(o.p);
        break;
    case MPR_OBJ_ARRAY:
        mp_array_free(o.p);
        break;
    case MPR_OBJ_LOCK:
        mp_lock_free(o.p);
        break;
    case MPR_OBJ_SEM:
        mp_sem_free(o.p);
        break;
    case MPR_OBJ_EVENT:
        mp_event_free(o.p);
        break;
    case MPR_OBJ_BARRIER:
        mp_barrier_free(o.p);
        break;
    }
}

void mpr_free_all(void)
{
    /* Processes first: they refer to pipe ends and queues. */
    for (size_t i = nobjs; i-- > 0;)
        if (i < nobjs && objs[i].kind == MPR_OBJ_PROC)
            free_obj(objs[i]);
    while (nobjs > 0) {
        size_t before = nobjs;
        free_obj(objs[nobjs - 1]);
        if (nobjs == before)            /* defensive: never loop forever */
            nobjs--;
    }
    free(objs);
    objs = NULL;
    capobjs = 0;
}

void mpr_ensure_init(void)
{
    if (mpr_rt.inited)
        return;
    mpr_rt.inited = true;
    if (mpr_rt.pid == 0)
        mpr_rt.pid = (int32_t)getpid();
    signal(SIGPIPE, SIG_IGN);
    mpr_proc_init();
}

void mp_init(const char *source_name, int argc, char **argv)
{
    if (source_name)
        mpr_rt.source = source_name;
    mpr_rt.argc = argc;
    mpr_rt.argv = argv;
    mpr_ensure_init();
}

int mp_finish(void)
{
    mpr_ensure_init();
    mpr_self_done_all();
    if (mpr_rt.is_main)
        mpr_conns_close_all();
    mpr_join_all_children();
    if (mpr_rt.is_main)
        mpr_free_all();
    return 0;
}

_Noreturn void mp_exit(int status)
{
    mpr_exit_process(status);
}
