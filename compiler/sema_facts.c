/* sema_facts: the facts about the whole program that code generation
 * needs: how each write to a shared value or array is made atomic and
 * which objects every access locks; how many producers each queue starts
 * with, how many processes use each pipe end, and when the parent lets go
 * of each (from the flow facts in Symbol.flags). Stored on the tree and
 * symbols (ast.h) so gen only reads them. */
#include "sema_impl.h"

#include <stdlib.h>

/* Whether def D holds what a walk looks for (SF_DEF_*, noted by sema):
 * the walks below skip the defs that hold none of it. */
static bool def_holds(const Node *d, unsigned flag) { return d->sym && (d->sym->flags & flag); }

/* ---- the parent's processes, queues and pipes ------------------------- */

/* The queue or pipe end S is used by top-level statement N itself (not
 * through a process it declares, starts or joins). */
static bool mentions_child(void *s, Node *child, const char *role);

bool sema_top_mentions(Node *n, Symbol *s) {
    if (!n) return false;
    if (n->kind == ND_PROCESS || n->kind == ND_START || n->kind == ND_JOIN) return false;
    /* an element: its array named whole or with an unknown index, or
     * its own constant index */
    if (n->kind == ND_NAME) return n->sym == s || (s->array && n->sym == s->array);
    if (n->kind == ND_INDEX && n->argc > 0 && s->array && n->lhs->kind == ND_NAME &&
        n->lhs->sym == s->array)
        return n->argc - 1 == s->elem_index;
    return ast_children(n, true, mentions_child, s);
}

static bool mentions_child(void *s, Node *child, const char *role) {
    (void)role;
    return sema_top_mentions(child, s);
}

/* Argument A of a process declaration gives it pipe end or queue S: S
 * itself, or S's array whole or through an index that may be S's. Of a
 * group, only MEMBER is started when it is not negative: a replica index
 * then names its element. */
static bool arg_holds(const Node *a, const Symbol *s, int64_t member) {
    if (a->kind == ND_NAME) return a->sym == s || (s->array && a->sym == s->array);
    if (a->kind != ND_INDEX || !s->array || a->lhs->kind != ND_NAME || a->lhs->sym != s->array)
        return false;
    if (a->argc == IX_REPLICA && member >= 0) return member == s->elem_index;
    return a->argc <= 0 || a->argc - 1 == s->elem_index;
}

/* `start` statement START starts a process that is passed END. */
static bool starts_user_of(Node *start, Symbol *end) {
    for (Node *t = start->targets; t; t = t->next) {
        Symbol *p = t->kind == ND_INDEX ? t->lhs->sym : t->sym;
        int64_t member = -1; /* `start w[2]`: that member only */
        if (t->kind == ND_INDEX && (!sema_const_int(t->rhs, &member) || member < 0)) member = -1;
        Node *call = p->decl->rhs;
        for (int i = 0; i < call->argc; i++)
            if (arg_holds(call->argv[i], end, member)) return true;
    }
    return false;
}

/* Top-level statement N is, or holds in its blocks (`start w[i]` in a
 * loop), a start of a process that is passed END. */
static bool holds_start_child(void *end, Node *child, const char *role);

static bool holds_start_of_user(Node *n, Symbol *end) {
    if (n->kind == ND_START) return starts_user_of(n, end);
    if (n->kind != ND_IF && n->kind != ND_WHILE && n->kind != ND_FOR && n->kind != ND_TRY &&
        n->kind != ND_BLOCK && n->kind != ND_EXCEPT && n->kind != ND_SELECT && n->kind != ND_CASE)
        return false;
    return ast_children(n, false, holds_start_child, end);
}

static bool holds_start_child(void *end, Node *child, const char *role) {
    (void)role;
    return holds_start_of_user(child, end);
}

/* Queue or pipe end S is given to a declaration that puts into it (PUTS),
 * gets from it (GETS) or selects on it (SELECTS) and runs USERS processes
 * (a group counts as 2: more than one); PROCS is the same count for a
 * queue's putters and getters, where a group of a constant 1 is one. */
static void add_use(Symbol *s, bool puts, bool gets, bool selects, int users, int procs) {
    if (s->kind == SYM_QUEUE && puts) s->producers++;
    if (s->kind == SYM_QUEUE && puts) s->putters += procs;
    if (s->kind == SYM_QUEUE && (gets || selects)) s->getters += procs;
    if (s->kind == SYM_QUEUE && selects) s->flags |= SF_SELECTS; /* made with its eventfd */
    if (s->kind == SYM_PIPE_END) s->users += users;
}

/* Producers and users counted over the process declarations, and the
 * queues a process selects on. An array given whole, or indexed by what
 * is not known before running, counts the declaration for every element;
 * indexed by the group's replica index, each element counts its one
 * replica. */
static void count_uses(Program *p) {
    for (Node *t = p->top; t; t = t->next) {
        if (t->kind != ND_PROCESS) continue;
        Node *call = t->rhs;
        Node *param = call->callee->sym->decl->params;
        for (int i = 0; i < call->argc; i++, param = param->next) {
            Node *a = call->argv[i];
            bool puts = param->sym->flags & SF_PUTS;
            bool gets = param->sym->flags & SF_GETS;
            bool selects = param->sym->flags & SF_SELECTS;
            /* a def that hands the end on to a process of its own: two
             * processes may use it at once */
            bool nested = param->sym->flags & SF_NESTED;
            int users = t->lhs || nested ? 2 : 1;
            int64_t one = 0;
            int procs = (t->lhs && !(sema_const_int(t->lhs, &one) && one == 1)) || nested ? 2 : 1;
            Node *nm = a->kind == ND_INDEX ? a->lhs : a;
            if (nm->kind != ND_NAME || !nm->sym) continue;
            Symbol *s = nm->sym;
            if (!s->elems) {
                if (a->kind == ND_NAME) add_use(s, puts, gets, selects, users, procs);
            } else if (a->kind == ND_INDEX && a->argc > 0) {
                add_use(s->elems[a->argc - 1], puts, gets, selects, users, procs);
            } else {
                if (a->kind == ND_INDEX && a->argc == IX_REPLICA) users = procs = 1;
                for (int64_t k = 0; k < s->count; k++)
                    add_use(s->elems[k], puts, gets, selects, users, procs);
            }
        }
    }
}

static bool used_by_main(Program *p, Symbol *s) {
    for (Node *t = p->top; t; t = t->next)
        if (t->kind != ND_PROCESS && sema_top_mentions(t, s)) return true;
    return false;
}

/* A pipe end the parent never uses itself is closed after the start of
 * the last process that uses it (so children see end-of-file). */
static void pipe_end_facts(Program *p, Symbol *end) {
    bool by_main = used_by_main(p, end);
    end->users += by_main;
    /* main calls a def that hands it on to a process of its own */
    if (end->flags & SF_NESTED) end->users += 2;
    Node *last = NULL;
    for (Node *m = p->top; m; m = m->next)
        if (holds_start_of_user(m, end)) last = m;
    if (!by_main) end->release_after = last;
}

/* A queue the parent puts into stops counting it as a producer after its
 * last top-level statement that mentions the queue. */
static void queue_facts(Node *decl, Symbol *q) {
    if (!(q->flags & SF_PUTS)) return;
    q->producers++;
    for (Node *m = decl->next; m; m = m->next)
        if (sema_top_mentions(m, q)) q->release_after = m;
}

/* ---- single-producer single-consumer queues ---------------------------- */

/* The parent's own use of queue Q (itself or through the defs it calls),
 * before count_uses adds what the processes do to Q's flags. */
static void parent_takes_part(Symbol *q) {
    q->putters += (q->flags & SF_PUTS) != 0;
    q->getters += (q->flags & (SF_GETS | SF_SELECTS)) != 0;
}

/* A process declared inside a def that is given a queue or a list of
 * handles: the counts above see the def's caller as several users, but
 * the def may run in any process, and its children in turn: no queue of
 * such a program is made lock-free (the runtime would catch a wrong
 * guess, as a located error, not a race). */
static bool def_gives_handles(void *found, Node *n, const char *role) {
    (void)role;
    if (n->kind == ND_PROCESS && n->rhs && n->rhs->kind == ND_CALL)
        for (int i = 0; i < n->rhs->argc; i++) {
            Type *t = n->rhs->argv[i]->type;
            if (t && (t->kind == TY_QUEUE || t->kind == TY_HANDLES)) *(bool *)found = true;
        }
    ast_children(n, true, def_gives_handles, found);
    return false;
}

/* A queue goes lock-free when exactly one process may put into it and
 * exactly one may get from it (or select on it), counting the parent, a
 * group as several, and a process given an element through an index not
 * known before running as a user of every element. The runtime enforces
 * the guess (a second process on a lock-free side is a runtime error). */
static void spsc_facts(Program *p) {
    bool found = false;
    for (Node *d = p->defs; d; d = d->next)
        if (def_holds(d, SF_DEF_PROCS)) def_gives_handles(&found, d->body, NULL);
    if (found) return;
    for (Node *d = p->top; d; d = d->next) {
        if (d->kind != ND_QUEUE) continue;
        Symbol *q = d->sym;
        for (int64_t k = 0; k < (q->elems ? q->count : 1); k++) {
            Symbol *e = q->elems ? q->elems[k] : q;
            e->spsc = e->putters == 1 && e->getters == 1;
        }
    }
}

/* ---- shared values and arrays --------------------------------------- */

/* Whether expression N reads shared object S (a value or array symbol). */
static bool reads_shared_child(void *s, Node *child, const char *role);

static bool reads_shared(Node *n, Symbol *s) {
    if (!n) return false;
    if (n->kind == ND_NAME) return n->sym == s;
    return ast_children(n, true, reads_shared_child, s);
}

static bool reads_shared_child(void *s, Node *child, const char *role) {
    (void)role;
    return reads_shared(child, s);
}

/* Structurally equal pure expressions (for a[i] on both sides). */
static bool same_expr(const Node *a, const Node *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind || a->op != b->op) return false;
    switch (a->kind) {
    case ND_INT:
    case ND_BOOL: return a->ival == b->ival;
    case ND_NAME: return a->sym == b->sym;
    case ND_UNARY: return same_expr(a->lhs, b->lhs);
    case ND_BINARY: return same_expr(a->lhs, b->lhs) && same_expr(a->rhs, b->rhs);
    default: return false;
    }
}

/* An expression whose evaluation has no effect but its value (and maybe a
 * runtime error): it can be evaluated again when a compare-and-swap is
 * retried. Reads of shared object S are allowed only at TARGET's place. */
static bool pure_on(const Node *n, const Symbol *s, const Node *target) {
    if (!n) return true;
    switch (n->kind) {
    case ND_INT:
    case ND_FLOAT:
    case ND_BOOL: return true;
    case ND_NAME: return n->sym != s;
    case ND_UNARY: return pure_on(n->lhs, s, target);
    case ND_BINARY: return pure_on(n->lhs, s, target) && pure_on(n->rhs, s, target);
    case ND_MEMBER:
        if (n->builtin == A_VALUE && n->lhs->kind == ND_NAME && n->lhs->sym == s)
            return target->kind == ND_MEMBER;
        return false;
    case ND_INDEX:
        if (n->lhs->kind == ND_NAME && n->lhs->sym == s)
            return target->kind == ND_INDEX && same_expr(n->rhs, target->rhs);
        return n->lhs->type->kind == TY_ARRAY && pure_on(n->lhs, s, target) &&
               pure_on(n->rhs, s, target);
    default: return false;
    }
}

Symbol *sema_shared_target(const Node *target) {
    Node *obj = NULL;
    if (target->kind == ND_MEMBER && target->builtin == A_VALUE) obj = target->lhs;
    /* a raw array's element is a plain C location: stored as a variable is */
    if (target->kind == ND_INDEX && target->lhs->type->kind == TY_ARRAY && !target->lhs->type->raw)
        obj = target->lhs;
    return obj && obj->kind == ND_NAME ? obj->sym : NULL;
}

const char *sema_atomic_op(const Node *target, Op op, const Type *t) {
    bool array = target->kind == ND_INDEX;
    if (t->kind == TY_INT) {
        if (op == OP_ADD) return "add";
        if (op == OP_SUB) return "sub";
        if (array) return NULL;
        return op == OP_BITAND ? "and" : op == OP_BITOR ? "or" : op == OP_BITXOR ? "xor" : NULL;
    }
    if (t->kind == TY_FLOAT && (op == OP_ADD || op == OP_SUB)) return "add";
    return NULL;
}

/* Whether N reads TARGET's location of shared object S (`a[i]` for the
 * target `a[i]`, `v.value` for `v.value`). */
static bool reads_target_place(const Node *n, const Symbol *s, const Node *target) {
    if (n->kind != target->kind || n->lhs->kind != ND_NAME || n->lhs->sym != s) return false;
    if (n->kind == ND_MEMBER) return n->builtin == A_VALUE;
    return same_expr(n->rhs, target->rhs);
}

/* `a[i] = a[i] + k`, `a[i] = a[i] - k` and `a[i] = k + a[i]` (k not
 * reading S) are `a[i] += k` and `a[i] -= k`: one atomic add instead of a
 * compare-and-swap loop. Python reads a[i] before it evaluates a k on the
 * right, as the compound form does; a k on the left is evaluated first,
 * so it must be a literal or a local, which cannot fail. */
static void fold_self_add(Node *n, Symbol *s) {
    Node *target = n->lhs, *r = n->rhs;
    if (n->op != OP_NONE || r->kind != ND_BINARY || (r->op != OP_ADD && r->op != OP_SUB)) return;
    Node *k = NULL;
    if (reads_target_place(r->lhs, s, target)) k = r->rhs;
    else if (r->op == OP_ADD && reads_target_place(r->rhs, s, target) &&
             (r->lhs->kind == ND_INT || r->lhs->kind == ND_FLOAT ||
              (r->lhs->kind == ND_NAME &&
               (r->lhs->sym->kind == SYM_VAR || r->lhs->sym->kind == SYM_PARAM))))
        k = r->lhs;
    if (!k || reads_shared(k, s) || !sema_atomic_op(target, r->op, target->type)) return;
    n->op = r->op;
    n->rhs = k;
}

/* How assignment N writing shared object S is made atomic, unless S is
 * guarded. */
static SharedPlan shared_plan(Node *n, Symbol *s) {
    Node *target = n->lhs;
    Type *t = target->type;
    if (sema_atomic_op(target, n->op, t) && !reads_shared(n->rhs, s)) return SH_ATOMIC;
    if (n->op == OP_NONE && !reads_shared(n->rhs, s)) return SH_STORE;
    if (t->kind != TY_BOOL && pure_on(n->rhs, s, target)) return SH_CAS;
    return SH_LOCK;
}

/* ---- guarded objects -------------------------------------------------- */

/* A lock block's loads and stores are atomic only against others that
 * take the same lock. So an object that a lock block names, or that some
 * statement must lock, is guarded: every access to it, in any process,
 * takes its lock (re-entrant, so a def called inside a block can use the
 * object too) instead of a lock-free atomic operation. Objects never
 * locked keep the lock-free path. A handle parameter may stand for any
 * object of its type: locking through a parameter guards the whole type,
 * and a parameter is guarded when any object of its type is. */
typedef struct Guards {
    VEC(Symbol *) objs; /* top-level objects */
    VEC(Type *) types;  /* types locked through a parameter */
} Guards;

static void guard(Guards *gs, Symbol *s) {
    if (!s->global) {
        for (size_t i = 0; i < gs->types.len; i++)
            if (gs->types.items[i] == s->type) return;
        vec_push(&gs->types, s->type);
        return;
    }
    for (size_t i = 0; i < gs->objs.len; i++)
        if (gs->objs.items[i] == s) return;
    vec_push(&gs->objs, s);
}

static bool is_guarded(const Guards *gs, const Symbol *s) {
    for (size_t i = 0; i < gs->types.len; i++)
        if (gs->types.items[i] == s->type) return true;
    for (size_t i = 0; i < gs->objs.len; i++) {
        Symbol *x = gs->objs.items[i];
        if (x == s || (!s->global && x->type == s->type)) return true;
    }
    return false;
}

static bool find_guarded(void *gs, Node *n, const char *role) {
    (void)role;
    if (n->kind == ND_LOCK && n->lhs->kind == ND_NAME && n->lhs->sym) guard(gs, n->lhs->sym);
    if (n->kind == ND_ASSIGN) {
        Symbol *s = sema_shared_target(n->lhs);
        if (s) fold_self_add(n, s);
        if (s && shared_plan(n, s) == SH_LOCK) guard(gs, s);
    }
    ast_children(n, true, find_guarded, gs);
    return false;
}

/* Once the guarded set is complete: Symbol.guarded on every value and
 * array name, Node.plan and Node.reads_target on every shared write. */
static bool mark_shared(void *gs, Node *n, const char *role) {
    (void)role;
    if (n->kind == ND_NAME && n->sym && n->sym->type &&
        (n->sym->type->kind == TY_VALUE || n->sym->type->kind == TY_ARRAY))
        n->sym->guarded = is_guarded(gs, n->sym);
    if (n->kind == ND_ASSIGN) {
        Symbol *s = sema_shared_target(n->lhs);
        if (s) {
            n->plan = is_guarded(gs, s) ? SH_LOCK : shared_plan(n, s);
            n->reads_target = reads_shared(n->rhs, s);
        }
    }
    ast_children(n, true, mark_shared, gs);
    return false;
}

static void shared_facts(Program *p) {
    Guards gs = {0};
    for (Node *d = p->defs; d; d = d->next)
        if (def_holds(d, SF_DEF_SHARED)) find_guarded(&gs, d, NULL);
    for (Node *n = p->top; n; n = n->next) find_guarded(&gs, n, NULL);
    for (Node *d = p->defs; d; d = d->next)
        if (def_holds(d, SF_DEF_SHARED)) mark_shared(&gs, d, NULL);
    for (Node *n = p->top; n; n = n->next) mark_shared(&gs, n, NULL);
    vec_free(&gs.objs);
    vec_free(&gs.types);
}

/* ---- defs that may run inside a try ------------------------------------- */

/* Marks every def N calls (ALL) or calls from inside a try statement (not
 * ALL: only once a try is entered), and queues each def newly marked. */
typedef struct Reach {
    bool all;      /* the walk is in a try-reachable def: every call counts */
    bool in_try;   /* inside a try statement */
    Symbol **todo; /* marked defs whose bodies are still to walk */
    size_t ntodo;
} Reach;

bool sema_pool_runs_def(Builtin id) {
    return id == M_POOL_MAP || id == M_POOL_STARMAP || id == M_POOL_IMAP ||
           id == M_POOL_IMAP_UNORDERED || id == M_POOL_APPLY_ASYNC;
}

/* A pool's map (starmap, imap, ...) of a def. */
static bool pool_runs(const Node *n) {
    return n->kind == ND_CALL && n->argc > 0 && n->argv && n->argv[0] &&
           sema_pool_runs_def((Builtin)n->builtin) && n->argv[0]->sym &&
           n->argv[0]->sym->kind == SYM_FUNC;
}

static void mark_try_reachable(Reach *r, Symbol *def) {
    if (def->try_reachable) return;
    def->try_reachable = true;
    r->todo[r->ntodo++] = def; /* each def once: the list holds them all */
}

static bool reach_child(void *ctx, Node *child, const char *role) {
    (void)role;
    Reach *r = ctx;
    if (child->kind == ND_PROCESS) return false; /* the call runs in a child */
    if (child->kind == ND_CALL && child->callee->kind == ND_NAME && child->callee->sym &&
        child->callee->sym->kind == SYM_FUNC && (r->all || r->in_try))
        mark_try_reachable(r, child->callee->sym);
    /* workers run it inside a try: its exception goes back to main */
    if (pool_runs(child)) mark_try_reachable(r, child->argv[0]->sym);
    bool saved = r->in_try;
    if (child->kind == ND_TRY) r->in_try = true;
    ast_children(child, true, reach_child, r);
    r->in_try = saved;
    return false;
}

/* Defs called, directly or through other defs, from inside a try: a raise
 * in them must unwind to the handler instead of ending the process. Each
 * def's body is walked once more at most, when it is first marked. */
static void try_reach(Program *p) {
    size_t ndefs = 0;
    for (Node *d = p->defs; d; d = d->next) ndefs++;
    Reach r = {false, false, xmalloc((ndefs + 1) * sizeof(Symbol *)), 0};
    for (Node *n = p->top; n; n = n->next) reach_child(&r, n, NULL);
    for (Node *d = p->defs; d; d = d->next)
        if (def_holds(d, SF_DEF_TRIES)) reach_child(&r, d->body, NULL);
    r.all = true;
    while (r.ntodo > 0) {
        Symbol *def = r.todo[--r.ntodo];
        if (def->decl && def->decl->kind == ND_DEF) reach_child(&r, def->decl->body, NULL);
    }
    free(r.todo);
}

void facts_compute(Program *p) {
    try_reach(p);
    shared_facts(p);
    for (Node *d = p->top; d; d = d->next) {
        if (d->kind != ND_QUEUE) continue;
        if (!d->sym->elems) parent_takes_part(d->sym);
        for (int64_t k = 0; d->sym->elems && k < d->sym->count; k++)
            parent_takes_part(d->sym->elems[k]);
    }
    count_uses(p);
    spsc_facts(p);
    for (Node *d = p->top; d; d = d->next) {
        if (d->kind == ND_PIPE && d->sym->elems) {
            for (int64_t k = 0; k < d->sym->count; k++) {
                pipe_end_facts(p, d->sym->elems[k]);
                pipe_end_facts(p, d->sym2->elems[k]);
            }
        } else if (d->kind == ND_PIPE) {
            pipe_end_facts(p, d->sym);
            pipe_end_facts(p, d->sym2);
        } else if (d->kind == ND_QUEUE && d->sym->elems) {
            for (int64_t k = 0; k < d->sym->count; k++) queue_facts(d, d->sym->elems[k]);
        } else if (d->kind == ND_QUEUE) {
            queue_facts(d, d->sym);
        }
    }
}
