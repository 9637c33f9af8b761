/* sema_flow: who puts into, gets from, sends on and receives from which
 * queue or pipe end.
 *
 * While checking, each def records what it does itself with its queue and
 * conn parameters (and the parent with its top-level queues and pipe ends),
 * and every call of a def that passes one of them on becomes an edge from
 * the caller's object to the callee's parameter. flow_solve propagates the
 * facts backwards along the edges with a worklist (each symbol is revisited
 * only when it gains a fact, so the work is linear in the edges times the
 * five facts), then reports loops that could never end and one-way pipe
 * ends passed to defs that use them the wrong way, and publishes the facts
 * as SF_* flags for code generation. */
#include "sema_impl.h"

#include <stdio.h>
#include <stdlib.h>

static int flow_index(unsigned bit) {
    switch (bit) {
    case SF_PUTS: return 0;
    case SF_GETS: return 1;
    case SF_SENDS: return 2;
    case SF_RECVS: return 3;
    default: return 4;  /* XF_ITERS */
    }
}

static const unsigned flow_bits[FLOW_N] = {SF_PUTS, SF_GETS, SF_SENDS, SF_RECVS, XF_ITERS};

static void track(Sema *S, SymX *x) {
    if (x->in_flow) return;
    x->in_flow = true;
    sema_push(S, x, (void ***)&S->flow, &S->nflow, &S->capflow);
}

void flow_direct(Sema *S, SymX *x, unsigned bit, Span at) {
    track(S, x);
    x->direct |= bit;
    if (x->fl & bit) return;
    x->fl |= bit;
    x->ev_at[flow_index(bit)] = at;
    x->ev_via[flow_index(bit)] = NULL;
}

void flow_edge(Sema *S, SymX *from, SymX *to, Span at, const char *callee) {
    Edge *e = arena_alloc(S->arena, sizeof *e);
    e->from = from;
    e->to = to;
    e->at = at;
    e->callee = callee;
    e->next_user = to->users;
    to->users = e;
    track(S, from);
    track(S, to);
}

void flow_pipe_arg(Sema *S, SymX *end, SymX *param, Node *arg, const char *callee) {
    PipeArg *p = arena_alloc(S->arena, sizeof *p);
    p->end = end;
    p->param = param;
    p->arg = arg;
    p->callee = callee;
    p->next = S->pipe_args;
    S->pipe_args = p;
}

static const char *owner_name(const SymX *x, char *buf, size_t size) {
    if (x->def) snprintf(buf, size, "'%s'", x->def->name);
    else snprintf(buf, size, "the parent program");
    return buf;
}

/* A note at where X got fact BIT: "'q' is put into here" or "'q' is passed
 * to 'f' here, which puts into it". */
static void evidence(Sema *S, const SymX *x, unsigned bit, const char *verb) {
    int i = flow_index(bit);
    if (x->ev_via[i])
        diag_note(S->d, x->ev_at[i], "'%s' is passed to '%s' here, which %s it", x->s.name,
                  x->ev_via[i], verb);
    else
        diag_note(S->d, x->ev_at[i], "'%s' %s it here", x->def ? x->def->name : "the parent program",
                  verb);
}

static void never_ending_loops(Sema *S) {
    char who[300];
    for (size_t i = 0; i < S->nflow; i++) {
        SymX *x = S->flow[i];
        if (!x->s.type || x->s.type->kind != TY_QUEUE || !(x->fl & SF_PUTS) ||
            !(x->fl & XF_ITERS))
            continue;
        int it = flow_index(XF_ITERS);
        if (x->direct & XF_ITERS) {
            diag_error(S->d, x->ev_at[it],
                       "this loop over '%s' never ends: it waits for every process that puts into '%s' to finish, and %s puts into it too",
                       x->s.name, x->s.name, owner_name(x, who, sizeof who));
            evidence(S, x, SF_PUTS, "puts into");
        } else if (x->direct & SF_PUTS) {
            diag_error(S->d, x->ev_at[it],
                       "'%s' loops over '%s' until every process that puts into it has finished, but %s puts into '%s' too; the loop would never end",
                       x->ev_via[it], x->s.name, owner_name(x, who, sizeof who), x->s.name);
            evidence(S, x, SF_PUTS, "puts into");
        }
    }
}

static void pipe_args(Sema *S) {
    PipeArg *rev = NULL;
    for (PipeArg *p = S->pipe_args, *nx; p; p = nx) {
        nx = p->next;
        p->next = rev;
        rev = p;
    }
    for (PipeArg *p = rev; p; p = p->next) {
        int dir = sema_pipe_dir(p->end);
        unsigned bad = dir == 1 ? SF_RECVS : SF_SENDS;
        if (!(p->param->fl & bad)) continue;
        Node *decl = p->end->s.decl;
        diag_error(S->d, p->arg->span,
                   "'%s' is the %s end of a one-way pipe, but '%s' %s its parameter '%s'",
                   p->end->s.name, dir == 1 ? "sending" : "receiving", p->callee,
                   dir == 1 ? "receives on" : "sends on", p->param->s.name);
        evidence(S, p->param, bad, dir == 1 ? "receives on" : "sends on");
        diag_note(S->d, decl->span, "'pipe %s -> %s' sends from '%s' to '%s'", decl->name,
                  decl->name2, decl->name, decl->name2);
    }
}

void flow_solve(Sema *S) {
    SymX **work = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < S->nflow; i++) {
        SymX *x = S->flow[i];
        if (x->fl && x->users) {
            x->queued = true;
            sema_push(S, x, (void ***)&work, &n, &cap);
        }
    }
    while (n) {
        SymX *x = work[--n];
        x->queued = false;
        for (Edge *e = x->users; e; e = e->next_user) {
            SymX *f = e->from;
            unsigned add = x->fl & ~f->fl;
            if (!add) continue;
            for (int b = 0; b < FLOW_N; b++) {
                if (!(add & flow_bits[b])) continue;
                f->ev_at[b] = e->at;
                f->ev_via[b] = e->callee;
            }
            f->fl |= add;
            if (!f->queued && f->users) {
                f->queued = true;
                sema_push(S, f, (void ***)&work, &n, &cap);
            }
        }
    }
    free(work);
    never_ending_loops(S);
    pipe_args(S);
    for (size_t i = 0; i < S->nflow; i++) {
        SymX *x = S->flow[i];
        x->s.flags |= x->fl & (SF_PUTS | SF_GETS | SF_SENDS | SF_RECVS);
    }
}
