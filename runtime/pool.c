/* pool.c: process pools (Python's multiprocessing.Pool).
 *
 * A pool is N worker processes (ordinary children, daemonic: terminated
 * when main ends however it ends), each joined to main by its own stream
 * socket. A map cuts the items into chunks and hands one chunk at a time
 * to each idle worker; the worker decodes it, runs the def on every item
 * and sends back the chunk's results, or the first exception one of them
 * raised (kind and message). Main places results by chunk, so the order
 * of the items is kept whatever order the chunks finish in.
 *
 * Messages: a fixed header, then the payload in the frame.c encoding (a
 * list of items or of results) or, for an exception, its message bytes.
 * The def travels as the address of its mp_pool_fn: workers are forks of
 * main, so the address means the same there.
 *
 * apply_async is a task of one item whose result is kept in a table of
 * jobs (the handle the program holds is an index into it). Pending jobs
 * go to workers before map chunks, in the order they were submitted, as
 * Python's one task queue would take them; their results are collected
 * whenever main waits on the pool (a map, get, wait, ready).
 *
 * A worker that dies while running a chunk closes its socket: main sees
 * end-of-file and reports the worker (Python's pool would wait forever).
 * Every other process forked after a pool closes main's ends of it (an
 * atfork handler), so end-of-file is never hidden by a stray copy. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpr_internal.h"

enum { POOL_RUN, POOL_CLOSED, POOL_JOINED };

struct worker {
    mp_proc *proc;
    int fd;       /* main's end; -1 closed */
    int child_fd; /* the worker's end (open in the worker only) */
    int64_t task; /* the map chunk it runs, -1: none */
    int64_t job;  /* the apply_async job it runs, -1: none */
};

struct mp_pool {
    char *name;
    int n;
    struct worker *w;
    int state;
    int64_t *queued; /* jobs not yet handed to a worker, oldest first */
    size_t nqueued, capqueued;
    struct mp_pool *next;
};

enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

/* One apply_async call. */
struct job {
    mp_pool *p;
    const mp_pool_fn *fn;
    int state;
    char *task; /* QUEUED: the encoded task, header and payload */
    size_t len;
    mp_val result; /* DONE without an exception (a new ref) */
    bool failed;
    mp_exc_kind kind;
    mp_str *msg; /* the exception, encoded (mpr_exc_encode) */
};

/* Every job of this process: a handle is an index. */
static struct job *jobs;
static int64_t njobs, capjobs;

/* One message's header. KIND: -1 a task or results, else the kind of the
 * exception whose message is the payload. */
struct msg {
    uint64_t len; /* payload bytes */
    uint64_t fn;  /* task: the address of its mp_pool_fn */
    int64_t seq;  /* the chunk */
    int64_t kind;
};

/* Every pool this process made. */
static mp_pool *pools;
static bool atfork_set;

/* ---- plumbing ------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* 1: read N bytes; 0: end-of-file before the first; -1: error or a
 * message cut short. */
static int read_all(int fd, void *buf, size_t n) {
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return got == 0 && k == 0 ? 0 : -1;
        got += (size_t)k;
    }
    return 1;
}

/* Sends a header and payload as one write. */
static int send_msg(int fd, struct msg m, const void *payload) {
    size_t total = sizeof m + m.len;
    char *buf = mpr_malloc(total);
    memcpy(buf, &m, sizeof m);
    if (m.len) memcpy(buf + sizeof m, payload, m.len);
    int r = write_all(fd, buf, total);
    free(buf);
    return r;
}

/* Sends V (of list type T) framed. */
static int send_list(int fd, struct msg m, const mp_type *t, mp_list *l) {
    mp_val v = {.l = l};
    m.len = mp_frame_size(t, v);
    char *buf = mpr_malloc(sizeof m + m.len);
    memcpy(buf, &m, sizeof m);
    mp_frame_encode(t, v, buf + sizeof m);
    int r = write_all(fd, buf, sizeof m + m.len);
    free(buf);
    return r;
}

/* 1 with a header and its payload (malloc'd, *body), 0 at end-of-file,
 * -1 on a broken stream. */
static int recv_msg(int fd, struct msg *m, char **body) {
    int r = read_all(fd, m, sizeof *m);
    if (r <= 0) return r;
    *body = mpr_malloc(m->len ? m->len : 1);
    if (m->len && read_all(fd, *body, m->len) <= 0) {
        free(*body);
        return -1;
    }
    return 1;
}

/* In every forked child: main's ends of every pool are not its own. */
static void pools_atfork_child(void) {
    for (mp_pool *p = pools; p; p = p->next)
        for (int i = 0; i < p->n; i++)
            if (p->w[i].fd >= 0) close(p->w[i].fd);
    pools = NULL;
}

/* ---- the worker ---------------------------------------------------- */

/* Runs FN over ITEMS and sends the results, or the first exception. */
static int run_chunk(int fd, const mp_pool_fn *fn, mp_list *items, int64_t seq) {
    mp_list *res = mp_list_new(fn->results, (size_t)items->len);
    for (int64_t i = 0; i < items->len; i++) {
        mp_val r = fn->call(items->items[i]);
        if (mp_exc_flag) {
            mp_val_unref(fn->results->elem, r);
            mp_list_unref(res);
            mp_exc *e = mp_exc_catch();
            mp_str *wire = mpr_exc_encode(e);
            struct msg m = {wire->len, 0, seq, mp_exc_kind_of(e)};
            int rc = send_msg(fd, m, wire->data);
            mp_str_unref(wire);
            mp_exc_unref(e);
            return rc;
        }
        mp_list_push(res, r);
    }
    int rc = send_list(fd, (struct msg){0, 0, seq, -1}, fn->results, res);
    mp_list_unref(res);
    return rc;
}

/* A worker's life: chunks until main closes the pool. Every def call runs
 * as if inside a `try`, so an exception comes back to main. */
static void worker_main(void *arg) {
    struct worker *w = arg;
    int fd = w->child_fd;
    mp_try_enter();
    for (;;) {
        struct msg m;
        char *body;
        if (recv_msg(fd, &m, &body) <= 0) break;
        const mp_pool_fn *fn = (const mp_pool_fn *)(uintptr_t)m.fn;
        mp_val items;
        int ok = mp_frame_decode(fn->items, body, m.len, &items);
        free(body);
        if (ok < 0) break; /* cannot happen: main encoded it */
        int rc = run_chunk(fd, fn, items.l, m.seq);
        mp_list_unref(items.l);
        if (rc < 0) break; /* main is gone */
    }
    mp_try_leave();
    close(fd);
}

/* ---- making and ending pools --------------------------------------- */

static void start_worker(mp_pool *p, int i, mp_loc loc) {
    struct worker *w = &p->w[i];
    int sv[2];
    w->task = w->job = -1;
    w->fd = w->child_fd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        mp_fail(loc, "cannot start pool '%s': %s", p->name, mp_strerror(errno));
    w->fd = sv[0];
    w->child_fd = sv[1];
    w->proc = mp_proc_new(p->name, i);
    mp_proc_set_daemon(w->proc, true); /* Python terminates them at exit */
    if (mp_proc_start(w->proc, worker_main, w) < 0)
        mp_fail(loc, "cannot start pool worker '%s': %s", mp_proc_name(w->proc),
                mp_strerror(errno));
    close(w->child_fd);
    w->child_fd = -1;
}

mp_pool *mp_make_pool(int64_t n, const char *name, mp_loc loc) {
    mpr_ensure_init();
    if (n < 0) n = mp_cpu_count();
    if (n == 0) {
        mp_raise(MP_EXC_ValueError, loc, "Number of processes must be at least 1");
        n = 1; /* inside a try: a harmless pool */
    }
    if (n > 4096)
        mp_fail(loc, "cannot start pool '%s': %lld workers is too many", name, (long long)n);
    if (!atfork_set) {
        pthread_atfork(NULL, NULL, pools_atfork_child);
        atfork_set = true;
    }
    mp_pool *p = mpr_calloc(1, sizeof *p);
    p->name = mpr_strdup(name);
    p->w = mpr_calloc((size_t)n, sizeof *p->w);
    p->state = POOL_RUN;
    p->next = pools;
    pools = p;
    mpr_register(MPR_OBJ_POOL, p);
    for (int i = 0; i < (int)n; i++) {
        p->n = i + 1; /* the atfork handler sees only started workers */
        start_worker(p, i, loc);
    }
    return p;
}

static void close_ends(mp_pool *p) {
    for (int i = 0; i < p->n; i++)
        if (p->w[i].fd >= 0) {
            close(p->w[i].fd);
            p->w[i].fd = -1;
        }
}

void mp_pool_close(mp_pool *p) {
    if (p->state == POOL_RUN) p->state = POOL_CLOSED;
}

static void drain(mp_pool *p, mp_loc loc);
static void abandon_jobs(mp_pool *p);

void mp_pool_join(mp_pool *p, mp_loc loc) {
    if (p->state == POOL_RUN) {
        mp_raise(MP_EXC_ValueError, loc, "Pool is still running");
        return;
    }
    if (p->state == POOL_JOINED) return;
    drain(p, loc); /* as Python's: the jobs submitted before close() finish */
    close_ends(p); /* idle workers see end-of-file and end */
    for (int i = 0; i < p->n; i++) mp_proc_join(p->w[i].proc, -1);
    p->state = POOL_JOINED;
}

void mp_pool_terminate(mp_pool *p) {
    if (p->state == POOL_JOINED) return;
    abandon_jobs(p);
    for (int i = 0; i < p->n; i++) mp_proc_terminate(p->w[i].proc);
    close_ends(p);
    for (int i = 0; i < p->n; i++) mp_proc_join(p->w[i].proc, -1);
    p->state = POOL_JOINED;
}

void mpr_pool_free(mp_pool *p) {
    close_ends(p);
    for (mp_pool **pp = &pools; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    mpr_unregister(p);
    for (int64_t k = 0; k < njobs; k++) /* its jobs: results and tasks */
        if (jobs[k].p == p) {
            struct job *j = &jobs[k];
            if (j->state == JOB_DONE && !j->failed) mp_val_unref(j->fn->results->elem, j->result);
            mp_str_unref(j->msg);
            free(j->task);
            j->task = NULL;
            j->msg = NULL;
            j->state = JOB_DONE;
            j->failed = false;
            j->result = (mp_val){0};
            j->fn = NULL;
            j->p = NULL;
        }
    free(p->queued);
    free(p->w);
    free(p->name);
    free(p);
}

/* ---- scheduling ---------------------------------------------------- */

/* One map in progress (NULL while main waits for jobs only). */
struct run {
    mp_pool *p;
    const mp_pool_fn *fn;
    const mp_list *items;
    int64_t size, nchunks, next, done;
    mp_pool_order order;
    /* The results, each chunk's decoded straight into place: by chunk
     * (ordered) or after those that came before it (unordered). Its len
     * stays 0 until every chunk is in. */
    mp_list *out;
    int64_t placed;  /* results in out */
    int64_t *at;     /* per chunk: where its results start in out, -1: none */
    int64_t exc_seq; /* the first failed chunk, -1: none */
    mp_exc_kind exc_kind;
    mp_str *exc_msg; /* encoded (mpr_exc_encode) */
};

static bool idle(const struct worker *w) { return w->task < 0 && w->job < 0; }

_Noreturn static void worker_died(struct worker *w, const char *fname, mp_loc loc) {
    mp_proc_join(w->proc, -1);
    int code = mp_proc_exitcode(w->proc);
    char how[64];
    if (code < 0) snprintf(how, sizeof how, "killed by signal %d", -code);
    else snprintf(how, sizeof how, "exit code %d", code);
    mp_fail(loc, "pool worker '%s' (pid %lld) died while running '%s' (%s)", mp_proc_name(w->proc),
            (long long)mp_proc_pid(w->proc), fname, how);
}

/* What worker W runs, for messages. */
static const char *running(const struct worker *w, const struct run *r) {
    if (w->job >= 0) return jobs[w->job].fn->name;
    return r ? r->fn->name : "?";
}

/* How many items chunk SEQ has. */
static int64_t chunk_len(const struct run *r, int64_t seq) {
    int64_t lo = seq * r->size;
    return r->items->len - lo < r->size ? r->items->len - lo : r->size;
}

/* Hands chunk r->next to idle worker W. */
static void dispatch(struct run *r, struct worker *w, mp_loc loc) {
    int64_t seq = r->next++, lo = seq * r->size, len = chunk_len(r, seq);
    /* a view of the chunk, never referenced past the send */
    mp_list view = {MP_IMMORTAL, r->items->type, len, len, r->items->items + lo};
    struct msg m = {0, (uint64_t)(uintptr_t)r->fn, seq, -1};
    w->task = seq;
    if (send_list(w->fd, m, r->fn->items, &view) < 0) worker_died(w, r->fn->name, loc);
}

/* Hands the oldest queued job to idle worker W. */
static void dispatch_job(mp_pool *p, struct worker *w, mp_loc loc) {
    int64_t id = p->queued[0];
    memmove(p->queued, p->queued + 1, --p->nqueued * sizeof *p->queued);
    struct job *j = &jobs[id];
    w->job = id;
    j->state = JOB_RUNNING;
    int rc = write_all(w->fd, j->task, j->len);
    free(j->task);
    j->task = NULL;
    if (rc < 0) worker_died(w, j->fn->name, loc);
}

/* Gives every idle worker something to do: queued jobs first. */
static void feed(mp_pool *p, struct run *r, mp_loc loc) {
    for (int i = 0; i < p->n; i++) {
        if (!idle(&p->w[i])) continue;
        if (p->nqueued > 0) dispatch_job(p, &p->w[i], loc);
        else if (r && r->next < r->nchunks) dispatch(r, &p->w[i], loc);
    }
}

static void collect_chunk(struct run *r, struct msg *m, char *body, struct worker *w, mp_loc loc) {
    int64_t seq = m->seq;
    r->done++;
    if (m->kind >= 0) {
        if (r->exc_seq < 0 || seq < r->exc_seq) {
            mp_str_unref(r->exc_msg);
            r->exc_seq = seq;
            r->exc_kind = (mp_exc_kind)m->kind;
            r->exc_msg = mp_str_new(body, m->len);
        }
        return;
    }
    int64_t n = chunk_len(r, seq), at = r->order == MP_POOL_ORDERED ? seq * r->size : r->placed;
    if (mpr_frame_decode_items(r->fn->results, body, m->len, r->out->items + at, n) < 0)
        worker_died(w, r->fn->name, loc);
    r->at[seq] = at;
    r->placed += n;
}

static void collect_job(struct job *j, struct msg *m, char *body, struct worker *w, mp_loc loc) {
    j->state = JOB_DONE;
    if (m->kind >= 0) {
        j->failed = true;
        j->kind = (mp_exc_kind)m->kind;
        j->msg = mp_str_new(body, m->len);
        return;
    }
    mp_val v;
    if (mp_frame_decode(j->fn->results, body, m->len, &v) < 0 || v.l->len != 1)
        worker_died(w, j->fn->name, loc);
    j->result = v.l->items[0];
    v.l->len = 0; /* the result moved */
    mp_list_unref(v.l);
}

/* Reads busy worker W's answer. */
static void collect(struct run *r, struct worker *w, mp_loc loc) {
    struct msg m;
    char *body;
    int64_t want = w->job >= 0 ? -1 - w->job : w->task;
    if (recv_msg(w->fd, &m, &body) <= 0) worker_died(w, running(w, r), loc);
    if (m.seq != want) {
        free(body);
        worker_died(w, running(w, r), loc);
    }
    if (w->job >= 0) collect_job(&jobs[w->job], &m, body, w, loc);
    else collect_chunk(r, &m, body, w, loc);
    w->task = w->job = -1;
    free(body);
}

/* Waits until a busy worker answers (at most until D), collects every
 * answer there is; false when nothing came (time is up, or all idle). */
static bool wait_some(mp_pool *p, struct run *r, const mpr_deadline *d, mp_loc loc) {
    struct pollfd *fds = mpr_malloc((size_t)p->n * sizeof *fds);
    int nb = 0, k;
    for (int i = 0; i < p->n; i++)
        if (!idle(&p->w[i])) fds[nb++] = (struct pollfd){p->w[i].fd, POLLIN, 0};
    for (;;) {
        double left = mpr_deadline_left(d);
        int ms = left < 0 ? -1 : left > 1e6 ? 1000000000 : (int)(left * 1000.0 + 0.999);
        k = nb ? poll(fds, (nfds_t)nb, ms) : 0;
        if (k >= 0 || errno != EINTR) break;
    }
    for (int i = 0, j = 0; i < p->n && k > 0; i++) {
        if (idle(&p->w[i])) continue;
        if (fds[j++].revents) collect(r, &p->w[i], loc);
    }
    free(fds);
    return k > 0;
}

/* ---- map ----------------------------------------------------------- */

static int64_t default_chunksize(int64_t len, int workers) {
    int64_t per = 4 * (int64_t)workers;
    return len / per + (len % per != 0);
}

/* A map that failed: lets go of the results that came. */
static void drop_results(struct run *r) {
    const mp_type *et = r->fn->results->elem;
    for (int64_t seq = 0; seq < r->nchunks; seq++)
        for (int64_t i = 0, n = r->at[seq] < 0 ? 0 : chunk_len(r, seq); i < n; i++)
            mp_val_unref(et, r->out->items[r->at[seq] + i]);
    mp_list_unref(r->out);
}

mp_list *mp_pool_map(mp_pool *p, const mp_pool_fn *fn, const mp_list *items, int64_t chunksize,
                     mp_pool_order order, mp_loc loc) {
    if (p->state != POOL_RUN) {
        mp_raise(MP_EXC_ValueError, loc, "Pool not running");
        return NULL; /* harmless: the caller's check releases nothing */
    }
    if (chunksize == MP_POOL_AUTO) chunksize = default_chunksize(items->len, p->n);
    else if (chunksize < 1) {
        mp_raise(MP_EXC_ValueError, loc, "Chunksize must be 1+, not %lld", (long long)chunksize);
        return NULL;
    }
    if (items->len == 0) return mp_list_new(fn->results, 0);
    struct run r = {
        .p = p, .fn = fn, .items = items, .size = chunksize, .order = order, .exc_seq = -1};
    r.nchunks = items->len / chunksize + (items->len % chunksize != 0);
    r.out = mp_list_new(fn->results, (size_t)items->len);
    r.at = mpr_malloc((size_t)r.nchunks * sizeof *r.at);
    for (int64_t k = 0; k < r.nchunks; k++) r.at[k] = -1;
    mpr_deadline forever;
    mpr_deadline_set(&forever, -1);
    while (r.done < r.nchunks) {
        feed(p, &r, loc);
        wait_some(p, &r, &forever, loc);
    }
    mp_list *out = r.out;
    if (r.exc_seq < 0) out->len = items->len;
    else { /* as Python: raised once every chunk is done */ drop_results(&r);
        out = NULL;
        mpr_raise_encoded(r.exc_kind, r.exc_msg, loc);
        mp_str_unref(r.exc_msg);
    }
    free(r.at);
    return out;
}

/* ---- apply_async --------------------------------------------------- */

int64_t mp_pool_apply_async(mp_pool *p, const mp_pool_fn *fn, mp_val item, mp_loc loc) {
    if (p->state != POOL_RUN) {
        mp_raise(MP_EXC_ValueError, loc, "Pool not running");
        return -1;
    }
    if (njobs == capjobs) {
        capjobs = capjobs ? 2 * capjobs : 16;
        jobs = mpr_realloc(jobs, (size_t)capjobs * sizeof *jobs);
    }
    int64_t id = njobs++;
    struct job *j = &jobs[id];
    *j = (struct job){.p = p, .fn = fn, .state = JOB_QUEUED};
    /* encoded now: the task owes nothing to the caller's values */
    mp_val one[1] = {item};
    mp_list view = {MP_IMMORTAL, fn->items, 1, 1, one};
    struct msg m = {0, (uint64_t)(uintptr_t)fn, -1 - id, -1};
    m.len = mp_frame_size(fn->items, (mp_val){.l = &view});
    j->len = sizeof m + m.len;
    j->task = mpr_malloc(j->len);
    memcpy(j->task, &m, sizeof m);
    mp_frame_encode(fn->items, (mp_val){.l = &view}, j->task + sizeof m);
    if (p->nqueued == p->capqueued) {
        p->capqueued = p->capqueued ? 2 * p->capqueued : 16;
        p->queued = mpr_realloc(p->queued, p->capqueued * sizeof *p->queued);
    }
    p->queued[p->nqueued++] = id;
    feed(p, NULL, loc);
    return id;
}

/* Runs every queued and running job of P to its end. */
static void drain(mp_pool *p, mp_loc loc) {
    mpr_deadline forever;
    mpr_deadline_set(&forever, -1);
    for (;;) {
        feed(p, NULL, loc);
        bool busy = false;
        for (int i = 0; i < p->n; i++) busy = busy || !idle(&p->w[i]);
        if (!busy) return;
        wait_some(p, NULL, &forever, loc);
    }
}

/* terminate(): the jobs not done never will be; their get raises
 * (Python's would wait for ever). */
static void abandon_jobs(mp_pool *p) {
    for (int64_t k = 0; k < njobs; k++) {
        struct job *j = &jobs[k];
        if (j->p != p || j->state == JOB_DONE) continue;
        free(j->task);
        j->task = NULL;
        j->state = JOB_DONE;
        j->failed = true;
        j->kind = MP_EXC_ValueError;
        j->msg = mpr_exc_encode_text("Pool not running");
    }
    p->nqueued = 0;
    for (int i = 0; i < p->n; i++) p->w[i].task = p->w[i].job = -1;
}

/* Job H, or NULL (its pool is gone, or H is no handle). */
static struct job *job_of(int64_t h) { return h >= 0 && h < njobs && jobs[h].p ? &jobs[h] : NULL; }

/* Waits until job H is done or D passes; whether it is done. */
static bool await_job(struct job *j, const mpr_deadline *d, mp_loc loc) {
    for (;;) {
        feed(j->p, NULL, loc);
        if (j->state == JOB_DONE) return true;
        if (!wait_some(j->p, NULL, d, loc) && mpr_deadline_left(d) == 0)
            return j->state == JOB_DONE;
    }
}

mp_val mp_async_get(int64_t h, double timeout, mp_loc loc) {
    struct job *j = job_of(h);
    if (!j) {
        mp_raise(MP_EXC_ValueError, loc, "Pool not running");
        return (mp_val){0};
    }
    const mp_type *t = j->fn->results->elem;
    mpr_deadline d;
    mpr_deadline_set(&d, timeout);
    if (!await_job(j, &d, loc)) {
        mp_raise(MP_EXC_TimeoutError, loc, "%s", "");
        return (mp_val){0};
    }
    if (j->failed) { /* raised again at every get, as Python does */
        mpr_raise_encoded(j->kind, j->msg, loc);
        return (mp_val){0};
    }
    mp_val_ref(t, j->result);
    return j->result;
}

void mp_async_wait(int64_t h, double timeout, mp_loc loc) {
    struct job *j = job_of(h);
    if (!j) return;
    mpr_deadline d;
    mpr_deadline_set(&d, timeout);
    await_job(j, &d, loc);
}

bool mp_async_ready(int64_t h, mp_loc loc) {
    struct job *j = job_of(h);
    if (!j) return true;
    mpr_deadline now;
    mpr_deadline_set(&now, 0);
    return await_job(j, &now, loc);
}
