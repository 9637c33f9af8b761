/* select.c: one wait over several pipe ends and queues.
 *
 * A pipe end is a socket; a selectable queue has an eventfd its producers
 * write while some select sleeps on it (queue.c). So a select is: try
 * every source without waiting, starting at the turn; if none is ready,
 * register on the queues, try them all again (an item published before
 * the registration is seen now, one published after it writes the
 * eventfd), then ppoll over every descriptor until one is readable or
 * the deadline passes, and start over. No sleep loops: the only waits are
 * ppoll's. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>

#include "mpr_internal.h"

/* try_all and sleep_on: no source gave anything yet (not a result). */
#define NONE_READY (-3)

static bool *ended_flag(const mp_sel_src *s) {
    return s->conn ? mpr_conn_sel_ended(s->conn) : mpr_queue_sel_ended(s->queue);
}

/* A source whose eof case already ran here is left out of the selects
 * that have an eof case for it; one without tries it (and raises). */
static bool skipped(const mp_sel_src *s) { return s->eof_case && *ended_flag(s); }

/* What one source gives now: 0 with a message, MP_EOF, MPR_NOT_READY, or
 * -1 after raising. */
static int try_source(const mp_sel_src *s, mp_val *out, mp_loc loc) {
    int r = s->conn ? mpr_conn_try_recv(s->conn, out) : mpr_queue_try_get(s->queue, out);
    if (r < 0) {
        if (s->conn) mpr_conn_fail(s->conn, "recv", errno, loc);
        else mpr_queue_get_fail(s->queue, r, loc);
    }
    return r;
}

/* One pass over the live sources from *turn. Returns a result of
 * mp_select, or NONE_READY with *live set to how many have not ended. */
static int try_all(const mp_sel_src *src, int n, int *turn, mp_val *out, int *live, mp_loc loc) {
    *live = 0;
    int start = *turn >= 0 && *turn < n ? *turn : 0;
    for (int j = 0; j < n; j++) {
        int k = (start + j) % n;
        if (skipped(&src[k])) continue;
        ++*live;
        int r = try_source(&src[k], out, loc);
        if (r == MPR_NOT_READY) continue;
        *turn = (k + 1) % n;
        if (r == 0) return k;
        if (r < 0) return MP_SEL_RAISED;
        if (src[k].eof_case) { /* MP_EOF: the case runs once */
            *ended_flag(&src[k]) = true;
            return MP_SEL_EOF(n, k);
        }
        if (src[k].conn) { /* as recv would: EOFError, no message */
            mp_raise(MP_EXC_EOFError, loc, "%s", "");
            return MP_SEL_RAISED;
        }
        mpr_queue_get_fail(src[k].queue, r, loc); /* as get would */
        return MP_SEL_RAISED;
    }
    return NONE_READY;
}

static struct timespec *left(const mpr_deadline *d, struct timespec *ts) {
    if (d->forever) return NULL;
    double l = mpr_deadline_left(d);
    ts->tv_sec = (time_t)l;
    ts->tv_nsec = (long)((l - (double)ts->tv_sec) * 1e9);
    return ts;
}

/* Registers on the queues, checks once more, sleeps. Returns a result,
 * or NONE_READY to start over. DRAINED: the queues whose wake-up this
 * select took (handed on when it leaves). */
static int sleep_on(const mp_sel_src *src, int n, int *turn, const mpr_deadline *d, mp_val *out,
                    bool *drained, mp_loc loc) {
    struct pollfd *fds = mpr_calloc((size_t)n, sizeof *fds);
    bool *armed = mpr_calloc((size_t)n, sizeof *armed);
    int nfds = 0, live = 0;
    for (int k = 0; k < n; k++) {
        if (skipped(&src[k])) continue;
        if (src[k].queue && mpr_queue_sel_fd(src[k].queue) < 0)
            mp_fail(loc, "select on '%s': the queue was not made selectable",
                    mp_queue_name(src[k].queue));
        if (src[k].queue && mpr_queue_sel_arm(src[k].queue)) drained[k] = true;
        armed[k] = src[k].queue != NULL;
        if (src[k].conn) mpr_conn_sel_arm(src[k].conn);
        fds[nfds].fd = src[k].conn ? mp_conn_fd(src[k].conn) : mpr_queue_sel_fd(src[k].queue);
        fds[nfds++].events = POLLIN;
    }
    int r = try_all(src, n, turn, out, &live, loc);
    if (r == NONE_READY) {
        struct timespec ts;
        int p = ppoll(fds, (nfds_t)nfds, left(d, &ts), NULL);
        if (p == 0) r = MP_SEL_TIMEOUT;
        else if (p < 0 && errno != EINTR) mp_fail(loc, "select: %s", mp_strerror(errno));
    }
    for (int k = 0; k < n; k++)
        if (src[k].queue && armed[k]) mpr_queue_sel_disarm(src[k].queue);
        else if (src[k].conn) mpr_conn_sel_disarm(src[k].conn);
    free(armed);
    free(fds);
    return r;
}

int mp_select(const mp_sel_src *src, int n, int *turn, bool timed, double timeout, mp_val *out,
              mp_loc loc) {
    mpr_deadline d;
    int live = 0;
    if (!timed) timeout = -1;
    else if (timeout < 0) timeout = 0; /* as Python's selectors */
    if (isnan(timeout)) {              /* as Python's selectors turning it into ms */
        mp_raise(MP_EXC_ValueError, loc, "cannot convert float NaN to integer");
        return MP_SEL_RAISED;
    }
    int r = try_all(src, n, turn, out, &live, loc);
    if (r != NONE_READY) return r;
    if (live == 0 && timeout < 0) {
        mp_raise(MP_EXC_EOFError, loc, "select: every source has ended");
        return MP_SEL_RAISED;
    }
    if (timeout == 0) return MP_SEL_TIMEOUT;
    mpr_deadline_set(&d, timeout);
    bool *drained = mpr_calloc((size_t)n, sizeof *drained);
    do r = sleep_on(src, n, turn, &d, out, drained, loc);
    while (r == NONE_READY);
    for (int k = 0; k < n; k++)
        if (drained[k]) mpr_queue_sel_pass(src[k].queue);
    free(drained);
    return r;
}
