/* sema_flow: who puts into, gets from, sends on and receives from which
 * queue or pipe end.
 *
 * While checking, each def records what it does itself with its queue and
 * conn parameters (and the parent with its top-level queues and pipe ends),
 * and every call of a def that passes one of them on becomes an edge from
 * the caller's object to the callee's parameter. flow_solve propagates the
 * facts backwards along the edges with a worklist (each symbol is revisited
 * only when it gains a fact, so the work is linear in the edges times the
 * five facts), then reports loops that could never end (also when both
 * the putting and the looping happen in defs the same process calls, or in
 * one def given the same queue for two parameters) and one-way pipe
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
    case SF_SELECTS: return 5;
    case SF_NESTED: return 6;
    default: return 4; /* XF_ITERS */
    }
}

static const unsigned flow_bits[FLOW_N] = {SF_PUTS,  SF_GETS,    SF_SENDS, SF_RECVS,
                                           XF_ITERS, SF_SELECTS, SF_NESTED};

/* X's flow facts, allocated (and X listed) on first use. */
static FlowInfo *track(Sema *S, SymX *x) {
    if (!x->fi) {
        x->fi = arena_alloc(S->arena, sizeof *x->fi);
        vec_push(&S->flow, x);
    }
    return x->fi;
}

void flow_direct(Sema *S, SymX *x, unsigned bit, Span at) {
    FlowInfo *f = track(S, x);
    f->direct |= bit;
    if (f->fl & bit) return;
    f->fl |= bit;
    f->ev_at[flow_index(bit)] = at;
    f->ev_via[flow_index(bit)] = NULL;
}

void flow_edge(Sema *S, SymX *from, SymX *to, Span at, const char *callee) {
    Edge *e = arena_alloc(S->arena, sizeof *e);
    e->from = from;
    e->to = to;
    e->at = at;
    e->callee = callee;
    track(S, from);
    FlowInfo *t = track(S, to);
    e->next_user = t->users;
    t->users = e;
}

void flow_pipe_arg(Sema *S, SymX *end, SymX *param, Node *arg, const char *callee) {
    PipeArg *p = arena_alloc(S->arena, sizeof *p);
    p->end = end;
    p->param = param;
    p->arg = arg;
    p->callee = callee;
    if (S->pipe_args_last) S->pipe_args_last->next = p;
    else S->pipe_args = p;
    S->pipe_args_last = p;
}

void flow_alias(Sema *S, SymX *obj, SymX *p1, SymX *p2, Node *arg, const char *callee) {
    Alias *a = arena_alloc(S->arena, sizeof *a);
    a->obj = obj;
    a->p1 = p1;
    a->p2 = p2;
    a->arg = arg;
    a->callee = callee;
    if (S->aliases_last) S->aliases_last->next = a;
    else S->aliases = a;
    S->aliases_last = a;
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
    if (x->fi->ev_via[i])
        diag_note(S->d, x->fi->ev_at[i], "'%s' is passed to '%s' here, which %s it", x->s.name,
                  x->fi->ev_via[i], verb);
    else if (x->def) diag_note(S->d, x->fi->ev_at[i], "'%s' %s it here", x->def->name, verb);
    else diag_note(S->d, x->fi->ev_at[i], "the parent program %s it here", verb);
}

static bool has(const SymX *x, unsigned bit) { return x->fi && (x->fi->fl & bit); }

/* relay(q, q) where relay puts into one parameter and loops over the
 * other: the loop waits for its own process. Marks the object explained so
 * that the facts it got through the call are not reported again. */
static void aliased_loops(Sema *S) {
    for (Alias *a = S->aliases; a; a = a->next) {
        SymX *put = NULL, *iter = NULL;
        if (has(a->p1, SF_PUTS) && has(a->p2, XF_ITERS)) put = a->p1, iter = a->p2;
        else if (has(a->p2, SF_PUTS) && has(a->p1, XF_ITERS)) put = a->p2, iter = a->p1;
        if (!put || !a->obj->s.type || a->obj->s.type->kind != TY_QUEUE) continue;
        diag_error(S->d, a->arg->span,
                   "'%s' is passed to '%s' for both '%s' and '%s': '%s' loops over '%s' until "
                   "every process that puts into it has finished, but puts into '%s' itself; the "
                   "loop would never end",
                   a->obj->s.name, a->callee, a->p1->s.name, a->p2->s.name, a->callee, iter->s.name,
                   put->s.name);
        evidence(S, iter, XF_ITERS, "loops over");
        evidence(S, put, SF_PUTS, "puts into");
        if (a->obj->fi) a->obj->fi->explained = true;
    }
}

/* Objects whose PUTS and ITERS both came from one callee parameter that
 * has both itself: that parameter's def is where the error is reported. */
static void mark_explained(Sema *S) {
    for (size_t i = 0; i < S->flow.len; i++) {
        FlowInfo *f = S->flow.items[i]->fi;
        if ((f->fl & SF_PUTS) && (f->fl & XF_ITERS))
            for (Edge *e = f->users; e; e = e->next_user) e->from->fi->explained = true;
    }
}

/* A queue, or an array or list of queues: what is done to it through an
 * index not known before running may be done to any element, and a
 * process given it counts as a producer of every element. */
static bool queue_like(const SymX *x) {
    if (!x->s.type) return false;
    if (x->s.type->kind == TY_QUEUE) return true;
    return x->s.type->kind == TY_HANDLES && x->s.type->elem->kind == TY_QUEUE;
}

static bool puts_and_iters(const Symbol *s) {
    const SymX *x = symx((Symbol *)s);
    return x->fi && (x->fi->fl & SF_PUTS) && (x->fi->fl & XF_ITERS);
}

static void never_ending_loops(Sema *S) {
    char who[300];
    aliased_loops(S);
    mark_explained(S);
    for (size_t i = 0; i < S->flow.len; i++) {
        SymX *x = S->flow.items[i];
        FlowInfo *f = x->fi;
        if (!queue_like(x) || !(f->fl & SF_PUTS) || !(f->fl & XF_ITERS)) continue;
        if (x->s.array && puts_and_iters(x->s.array)) continue; /* reported on the array */
        int it = flow_index(XF_ITERS);
        int errs = S->d->errors;
        if (f->direct & XF_ITERS) {
            diag_error(S->d, f->ev_at[it],
                       "this %s '%s' never %s: it waits for every process that puts into "
                       "'%s' to finish, and %s puts into it too",
                       f->iter_eof ? "eof case on" : "loop over", x->s.name,
                       f->iter_eof ? "runs" : "ends", x->s.name, owner_name(x, who, sizeof who));
            evidence(S, x, SF_PUTS, "puts into");
        } else if (f->direct & SF_PUTS) {
            diag_error(S->d, f->ev_at[it],
                       "'%s' loops over '%s' until every process that puts into it has finished, "
                       "but %s puts into '%s' too; the loop would never end",
                       f->ev_via[it], x->s.name, owner_name(x, who, sizeof who), x->s.name);
            evidence(S, x, SF_PUTS, "puts into");
        } else if (!f->explained) {
            /* fill(q) then drain(q): both facts come through calls. */
            diag_error(S->d, f->ev_at[it],
                       "'%s' loops over '%s' until every process that puts into it has finished, "
                       "but %s also puts into '%s' (through '%s'); the loop would never end",
                       f->ev_via[it], x->s.name, owner_name(x, who, sizeof who), x->s.name,
                       f->ev_via[flow_index(SF_PUTS)]);
            evidence(S, x, SF_PUTS, "puts into");
        }
        if (x->s.type->kind == TY_HANDLES && S->d->errors > errs)
            diag_note(S->d, f->ev_at[it],
                      "'%s' holds several queues: a process given it, or one of them by an index "
                      "only the run knows, counts as a producer of every one",
                      x->s.name);
    }
}

static void pipe_args(Sema *S) {
    for (PipeArg *p = S->pipe_args; p; p = p->next) {
        int dir = sema_pipe_dir(p->end);
        unsigned bad = dir == 1 ? SF_RECVS : SF_SENDS;
        if (!p->param->fi || !(p->param->fi->fl & bad)) continue;
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

/* ---- joins that wait for an end of stream ----------------------------- */

/* Argument A may give its process queue Q or one of its elements: Q
 * itself, an element of array Q, or Q's array whole or by an index not
 * known before running. */
static bool arg_may_share(Node *a, const Symbol *q) {
    SymX *x = a ? sema_flow_sym(a) : NULL;
    if (!x) return false;
    const Symbol *s = &x->s;
    return s == q || (s->array && s->array == q) || (q->array && q->array == s);
}

/* The parent program puts into queue Q (or into any element of array Q). */
static bool parent_puts(const SymX *q) {
    if (has(q, SF_PUTS)) return true;
    for (int32_t k = 0; q->s.elems && k < q->s.count; k++)
        if (has(symx(q->s.elems[k]), SF_PUTS)) return true;
    return false;
}

/* The parameter of process or group P's def that is given queue Q and has
 * fact BIT, or NULL (also after an error in P's declaration). */
static SymX *proc_param(const SymX *p, const Symbol *q, unsigned bit) {
    Node *call = p->s.decl ? p->s.decl->rhs : NULL;
    if (!call || call->kind != ND_CALL || !call->argv || !call->callee || !call->callee->sym ||
        call->callee->sym->kind != SYM_FUNC || !call->callee->sym->decl)
        return NULL;
    Node *param = call->callee->sym->decl->params;
    for (int i = 0; i < call->argc && param; i++, param = param->next) {
        if (arg_may_share(call->argv[i], q) && param->sym && has(symx(param->sym), bit))
            return symx(param->sym);
    }
    return NULL;
}

/* The last top-level statement after FROM that uses Q itself: the parent
 * counts as a producer of Q until after it (sema_facts.c). */
static Node *parent_last_use(Node *from, Symbol *q) {
    Node *last = NULL;
    for (Node *m = from->next; m; m = m->next)
        if (sema_top_mentions(m, q)) last = m;
    return last;
}

/* A producer of Q other than P not started before AT (or never started):
 * the loop over Q waits for it. */
static SymX *late_producer(Sema *S, const SymX *p, const Symbol *q, Span at) {
    for (size_t i = 0; i < S->procs.len; i++) {
        SymX *r = S->procs.items[i];
        if (r == p || !proc_param(r, q, SF_PUTS)) continue;
        if (!sema_maybe_started(r) || r->start_at.begin > at.begin) return r;
    }
    return NULL;
}

/* Joining P (statement ST, at AT, no timeout) waits until every loop of P
 * over a queue ends; report each loop that only something after the join
 * could end. */
static void join_waits(Sema *S, SymX *p, Node *st, Span at) {
    Node *call = p->s.decl ? p->s.decl->rhs : NULL;
    if (!call || call->kind != ND_CALL || !call->argv) return;
    for (int i = 0; i < call->argc; i++) {
        SymX *q = call->argv[i] ? sema_flow_sym(call->argv[i]) : NULL; /* also `inbox[i]` */
        if (!q || q->s.kind != SYM_QUEUE) continue;
        SymX *iter = proc_param(p, &q->s, XF_ITERS);
        if (!iter) continue;
        Node *use = parent_puts(q) ? parent_last_use(st, &q->s) : NULL;
        SymX *r = use ? NULL : late_producer(S, p, &q->s, at);
        if (use) {
            diag_error(
                S->d, at,
                "'%s' loops over '%s' until every process that puts into it has finished, but the "
                "parent program puts into '%s' until after this join; the join would wait forever",
                p->s.name, q->s.name, q->s.name);
            diag_note(S->d, use->span,
                      "the parent program still uses '%s' here: it stops counting as a producer of "
                      "'%s' only after its last statement that uses it",
                      q->s.name, q->s.name);
        } else if (r) {
            diag_error(S->d, at,
                       "'%s' loops over '%s' until every process that puts into it has finished, "
                       "but '%s', which puts into '%s', is %s; the join would wait forever",
                       p->s.name, q->s.name, r->s.name, q->s.name,
                       sema_maybe_started(r) ? "started only after this join" : "never started");
            if (sema_maybe_started(r))
                diag_note(S->d, r->start_at, "'%s' is started here", r->s.name);
            else diag_note(S->d, r->s.span, "'%s' is declared here and never started", r->s.name);
        } else {
            continue;
        }
        evidence(S, iter, XF_ITERS, "loops over");
    }
}

/* The process or group a start or join target names (`p`, `w`, `w[i]`). */
static SymX *target_proc(Node *t) {
    Node *nm = t->kind == ND_INDEX ? t->lhs : t;
    if (!nm->sym || (nm->sym->kind != SYM_PROCESS && nm->sym->kind != SYM_GROUP)) return NULL;
    return symx(nm->sym);
}

/* `join w[i]` in a block of top-level statement TOP: checked as standing
 * at TOP's place. */
typedef struct NestedJoins {
    Sema *S;
    Node *top;
} NestedJoins;

static bool nested_join(void *ctx, Node *c, const char *role) {
    (void)role;
    NestedJoins *nj = ctx;
    if (c->kind == ND_JOIN) {
        for (Node *t = c->targets; t; t = t->next) {
            SymX *p = target_proc(t);
            if (p) join_waits(nj->S, p, nj->top, t->span);
        }
        return false;
    }
    return ast_children(c, false, nested_join, ctx);
}

/* `start` and `join` of whole processes stand only at the top level (and
 * of members inside its blocks), so the order of each join against the
 * parent's puts and the producers' starts is known. */
static void joins_in_order(Sema *S) {
    for (Node *st = S->prog->top; st; st = st->next) {
        if (st->kind == ND_JOIN) {
            for (Node *t = st->targets; t; t = t->next) {
                SymX *p = target_proc(t);
                if (p) join_waits(S, p, st, t->span);
            }
            continue;
        }
        if (st->kind == ND_IF || st->kind == ND_WHILE || st->kind == ND_FOR || st->kind == ND_TRY ||
            st->kind == ND_SELECT) {
            NestedJoins nj = {S, st};
            ast_children(st, false, nested_join, &nj);
        }
        Node *call = st->kind == ND_EXPR_STMT ? st->lhs : NULL;
        if (!call || call->kind != ND_CALL || call->builtin != M_JOIN || !call->callee ||
            call->callee->kind != ND_MEMBER || (call->argv && call->argv[0]))
            continue; /* a join with a timeout does not wait forever */
        SymX *p = sema_proc_of(call->callee->lhs);
        if (p) join_waits(S, p, st, call->span);
    }
}

/* An element of a top-level array of pipe ends or queues gets every fact
 * of the array itself: used through an index not known before running,
 * or given whole to a def, any element may be the one. */
static void merge_elems(Sema *S) {
    size_t n = S->flow.len; /* elements are tracked (appended) as they get facts */
    for (size_t i = 0; i < n; i++) {
        SymX *a = S->flow.items[i];
        if (!a->s.elems || !a->fi->fl) continue;
        for (int64_t k = 0; k < a->s.count; k++) {
            FlowInfo *f = track(S, symx(a->s.elems[k]));
            unsigned add = a->fi->fl & ~f->fl;
            for (int b = 0; b < FLOW_N; b++) {
                if (!(add & flow_bits[b])) continue;
                f->ev_at[b] = a->fi->ev_at[b];
                f->ev_via[b] = a->fi->ev_via[b];
                if (!f->ev_via[b]) f->direct |= flow_bits[b];
            }
            f->fl |= add;
            f->explained = f->explained || a->fi->explained;
        }
    }
}

void flow_solve(Sema *S) {
    VEC(SymX *) work = {0};
    for (size_t i = 0; i < S->flow.len; i++) {
        FlowInfo *f = S->flow.items[i]->fi;
        if (f->fl && f->users) {
            f->queued = true;
            vec_push(&work, S->flow.items[i]);
        }
    }
    while (work.len) {
        FlowInfo *x = work.items[--work.len]->fi;
        x->queued = false;
        for (Edge *e = x->users; e; e = e->next_user) {
            FlowInfo *f = e->from->fi;
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
                vec_push(&work, e->from);
            }
        }
    }
    vec_free(&work);
    merge_elems(S);
    never_ending_loops(S);
    joins_in_order(S);
    pipe_args(S);
    for (size_t i = 0; i < S->flow.len; i++) {
        SymX *x = S->flow.items[i];
        x->s.flags |=
            x->fi->fl & (SF_PUTS | SF_GETS | SF_SENDS | SF_RECVS | SF_SELECTS | SF_NESTED);
    }
}
