/* sema_sync: the static checks of locks along the paths of one def (or
 * of the parent program): a Lock acquired again where it is surely held
 * already (it would wait for itself forever), and a Lock, RLock or
 * Condition released, or a Condition waited on or notified, where the def
 * has acquired it on no path before (Python's ValueError/AssertionError at
 * run time).
 *
 * The walk follows the structure: `with m { }` holds m in its block; a
 * blocking `m.acquire()` holds it from there on; a timed or non-blocking
 * one may hold it. After if/else, loops and try, an object is surely held
 * only where every way through held it, and "acquired before" is true if
 * any way acquired it. Semaphores are left alone: releasing a semaphore
 * another process acquired is their ordinary signalling use. */
#include "sema_impl.h"

#include <string.h>

#define TRACKED 32

typedef struct Track {
    Symbol *s;
    int held;  /* surely held this many times here */
    bool ever; /* acquired on some path before */
    Span at;   /* where it was last surely acquired */
} Track;

typedef struct State {
    Track t[TRACKED];
    int n;
} State;

typedef struct Walk {
    Sema *S;
    bool top; /* the parent program, not a def */
} Walk;

static Track *track(State *st, Symbol *s) {
    for (int i = 0; i < st->n; i++)
        if (st->t[i].s == s) return &st->t[i];
    if (st->n == TRACKED) return NULL; /* more objects than any real def: unchecked */
    st->t[st->n] = (Track){s, 0, false, {0, 0}};
    return &st->t[st->n++];
}

/* Where two ways meet: held on both, acquired on either. */
static void merge(State *into, const State *other) {
    for (int i = 0; i < into->n; i++) {
        Track *a = &into->t[i];
        const Track *b = NULL;
        for (int k = 0; k < other->n; k++)
            if (other->t[k].s == a->s) b = &other->t[k];
        if (!b) a->held = 0;
        else {
            if (b->held < a->held) a->held = b->held;
            a->ever = a->ever || b->ever;
        }
    }
    for (int k = 0; k < other->n; k++) {
        Track *a = track(into, other->t[k].s);
        if (a && !a->ever) a->ever = other->t[k].ever;
    }
}

static void walk(Walk *w, Node *n, State *st);

static bool walk_child(void *ctx, Node *child, const char *role) {
    (void)role;
    void **c = ctx;
    walk(c[0], child, c[1]);
    return false;
}

static void walk_children(Walk *w, Node *n, State *st) {
    void *ctx[2] = {w, st};
    ast_children(n, false, walk_child, ctx);
}

static void walk_list(Walk *w, Node *list, State *st) {
    for (Node *s = list; s; s = s->next) walk(w, s, st);
}

static void walk_block(Walk *w, Node *block, State *st) {
    if (block) walk_list(w, block->kind == ND_BLOCK ? block->body : block, st);
}

/* The name of the Lock a global Condition was declared on, if any. */
static Symbol *cond_lock(Symbol *c) {
    if (c->kind != SYM_SYNC || !c->decl || !c->decl->rhs || c->decl->rhs->kind != ND_NAME)
        return NULL;
    return c->decl->rhs->sym;
}

/* What is held when S is: for `Condition c = m`, m. */
static Symbol *holds(Symbol *s) {
    Symbol *l = s->type->kind == TY_CONDITION ? cond_lock(s) : NULL;
    return l ? l : s;
}

static bool acquired_before(State *st, Symbol *s) {
    Track *t = track(st, holds(s));
    return !t || t->ever;
}

/* m acquired surely (BLOCKING) or maybe, at AT. */
static void acquire(Walk *w, State *st, Symbol *s, bool blocking, Span at) {
    s = holds(s);
    Track *t = track(st, s);
    if (!t) return;
    if (blocking && t->held > 0 && s->type->kind == TY_LOCK) {
        diag_error(w->S->d, at,
                   "Lock '%s' is already held here: acquiring it again would wait forever",
                   s->name);
        diag_note(w->S->d, t->at, "'%s' is acquired here", s->name);
        diag_note(w->S->d, at, "a Lock is not re-entrant; an RLock may be acquired again");
    }
    t->ever = true;
    if (blocking) {
        t->held++;
        t->at = at;
    }
}

static const char *who(const Walk *w) { return w->top ? "the program" : "this def"; }

static void release(Walk *w, State *st, Symbol *s, Span at) {
    Track *t = track(st, holds(s));
    if (!t) return;
    if (!acquired_before(st, s))
        diag_error(w->S->d, at, "release of %s '%s', which %s never acquires before",
                   type_kind_name(s->type->kind), s->name, who(w));
    if (t->held > 0) t->held--;
}

static void cond_use(Walk *w, State *st, Symbol *s, const char *method, Span at) {
    if (!acquired_before(st, s))
        diag_error(w->S->d, at,
                   "'%s.%s()' needs Condition '%s' held, and %s never acquires it before", s->name,
                   method, s->name, who(w));
}

/* A blocking acquire without a timeout: `m.acquire()`, `m.acquire(True)`. */
static bool blocking_call(const Node *call) {
    if (!call->argv) return true;
    const Node *block = call->argc > 0 ? call->argv[0] : NULL;
    const Node *timeout = call->argc > 1 ? call->argv[1] : NULL;
    return !timeout && (!block || (block->kind == ND_BOOL && block->ival));
}

static void sync_call(Walk *w, Node *n, State *st) {
    Node *obj = n->callee->lhs;
    Symbol *s = obj->kind == ND_NAME ? obj->sym : NULL;
    if (!s || !s->type || !type_is_sync(s->type)) return;
    switch (n->builtin) {
    case M_LK_ACQUIRE:
    case M_RL_ACQUIRE:
    case M_CO_ACQUIRE: acquire(w, st, s, blocking_call(n), n->span); break;
    case M_LK_RELEASE:
    case M_RL_RELEASE:
    case M_CO_RELEASE: release(w, st, s, n->span); break;
    case M_CO_WAIT: cond_use(w, st, s, "wait", n->span); break;
    case M_CO_NOTIFY: cond_use(w, st, s, "notify", n->span); break;
    case M_CO_NOTIFY_ALL: cond_use(w, st, s, "notify_all", n->span); break;
    default: break;
    }
}

/* Ways through that may be taken or not: each from a copy of ST. */
static void walk_maybe(Walk *w, Node *block, State *st) {
    State copy = *st;
    walk_block(w, block, &copy);
    merge(st, &copy);
}

static void walk_with(Walk *w, Node *n, State *st) {
    Symbol *s = n->lhs->kind == ND_NAME ? n->lhs->sym : NULL;
    if (!s || !s->type || !type_is_sync(s->type)) {
        walk_block(w, n->body, st);
        return;
    }
    acquire(w, st, s, true, n->lhs->span);
    walk_block(w, n->body, st);
    Track *t = track(st, holds(s));
    if (t && t->held > 0) t->held--;
}

/* `if m.acquire(timeout=...) { ... }`: the block holds m. */
static Symbol *acquired_if(const Node *cond) {
    if (!cond || cond->kind != ND_CALL || !cond->callee || cond->callee->kind != ND_MEMBER)
        return NULL;
    if (cond->builtin != M_LK_ACQUIRE && cond->builtin != M_RL_ACQUIRE &&
        cond->builtin != M_CO_ACQUIRE)
        return NULL;
    Node *obj = cond->callee->lhs;
    return obj->kind == ND_NAME && obj->sym && obj->sym->type ? holds(obj->sym) : NULL;
}

static void walk(Walk *w, Node *n, State *st) {
    if (!n) return;
    switch (n->kind) {
    case ND_DEF: return;
    case ND_LOCK: walk_with(w, n, st); return;
    case ND_IF: {
        walk(w, n->cond, st);
        State other = *st;
        Symbol *got = acquired_if(n->cond);
        Track *t = got ? track(st, got) : NULL;
        int before = t ? t->held++ : 0;
        walk_block(w, n->then, st);
        /* kept past the block only if surely held there: not counted */
        if (t && (t = track(st, got)) && t->held > before) t->held--;
        if (n->els && n->els->kind == ND_IF) walk(w, n->els, &other);
        else walk_block(w, n->els, &other);
        merge(st, &other);
        return;
    }
    case ND_WHILE:
        walk(w, n->cond, st);
        walk_maybe(w, n->body, st);
        return;
    case ND_FOR:
        walk(w, n->rhs, st);
        walk_maybe(w, n->body, st);
        return;
    case ND_SELECT: { /* one case runs: each from the state before */
        State before = *st;
        for (Node *c = n->body; c; c = c->next) {
            State cs = before;
            walk(w, c->rhs, &cs);
            walk_block(w, c->body, &cs);
            if (c == n->body) *st = cs;
            else merge(st, &cs);
        }
        return;
    }
    case ND_TRY: {
        State before = *st;
        walk_block(w, n->lhs, st);
        for (Node *h = n->then; h; h = h->next) {
            State hs = before;
            walk_block(w, h->body, &hs);
            merge(st, &hs);
        }
        if (n->els) walk_maybe(w, n->els, st);
        walk_block(w, n->rhs, st);
        return;
    }
    case ND_CALL:
        walk_children(w, n, st);
        if (n->callee && n->callee->kind == ND_MEMBER) sync_call(w, n, st);
        return;
    default: walk_children(w, n, st); return;
    }
}

void sema_sync_paths(Sema *S, Program *p) {
    Walk w = {S, false};
    for (Node *df = p->defs; df; df = df->next) {
        State st = {.n = 0};
        walk_block(&w, df->body, &st);
    }
    w.top = true;
    State st = {.n = 0};
    walk_list(&w, p->top, &st);
}
