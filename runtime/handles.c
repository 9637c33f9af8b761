/* handles.c: arrays of pipe ends and queues (`pipe a[4], b[4]: T`,
 * `queue q[4]: T`): made in one call with their elements' names, indexed
 * with Python's rules, given whole to a process. */
#include <stdio.h>

#include "mpr_internal.h"

/* "NAME[k]" into BUF. */
static const char *elem_name(char *buf, size_t size, const char *name, int64_t k) {
    snprintf(buf, size, "%s[%lld]", name, (long long)k);
    return buf;
}

void mp_make_pipes(mp_conn **a, mp_conn **b, int64_t n, const mp_type *t, bool duplex,
                   const char *name_a, const char *name_b, mp_loc loc) {
    char na[300], nb[300];
    for (int64_t k = 0; k < n; k++)
        mp_make_pipe(&a[k], &b[k], t, duplex, elem_name(na, sizeof na, name_a, k),
                     elem_name(nb, sizeof nb, name_b, k), loc);
}

void mp_make_queues(mp_queue **q, int64_t n, const mp_type *t, bool bounded, int64_t bound,
                    int64_t producers, const char *name, mp_loc loc) {
    char nm[300];
    for (int64_t k = 0; k < n; k++) {
        elem_name(nm, sizeof nm, name, k);
        q[k] = bounded ? mp_make_queue(t, bound, producers, nm, loc)
                       : mp_make_queue_unbounded(t, producers, nm, loc);
    }
}

/* I as an index of a list of N, or -1 (IndexError raised). */
static int64_t handle_index(int64_t n, int64_t i, mp_loc loc) {
    if (i < 0) i += n;
    if (i < 0 || i >= n) {
        mp_raise(MP_EXC_IndexError, loc, "list index out of range");
        return -1;
    }
    return i;
}

mp_conn *mp_conns_at(mp_conns l, int64_t i, mp_loc loc) {
    int64_t k = handle_index(l.n, i, loc);
    return k < 0 ? NULL : l.at[k];
}

mp_queue *mp_queues_at(mp_queues l, int64_t i, mp_loc loc) {
    int64_t k = handle_index(l.n, i, loc);
    return k < 0 ? NULL : l.at[k];
}

void mp_proc_uses_all(mp_proc *p, mp_conns l) {
    for (int64_t k = 0; k < l.n; k++) mp_proc_uses(p, l.at[k]);
}

void mp_proc_produces_all(mp_proc *p, mp_queues l) {
    for (int64_t k = 0; k < l.n; k++) mp_proc_produces(p, l.at[k]);
}

void mp_queues_add_producers(mp_queues l, int64_t delta) {
    for (int64_t k = 0; k < l.n; k++) mp_queue_add_producers(l.at[k], delta);
}
