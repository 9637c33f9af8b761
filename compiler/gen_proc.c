/* gen_proc: defs, the argument struct and entry stub of each def a
 * process runs, main() with the process topology, and the file itself. */
#include "gen_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- definitions ----------------------------------------------------------- */

static bool has_try(Node *n);

static void gen_signature(Gen *g, Buf *b, Node *def) {
    Type *rt = def->ret_type ? def->ret_type : type_basic(TY_NONE);
    buf_printf(b, "static %s(", decl(g, rt, cname(g, def->sym)));
    if (!def->params) buf_put(b, "void", 4);
    for (Node *p = def->params; p; p = p->next) {
        const char *name = cname(g, p->sym);
        if (is_heap(p->sym->type) && (p->sym->flags & SF_ASSIGNED))
            name = gstr(g, "a_%s", p->sym->name);
        buf_printf(b, "%s%s", p == def->params ? "" : ", ", decl(g, p->sym->type, name));
    }
    buf_put(b, ")", 1);
}

static bool try_child(void *ctx, Node *child, const char *role) {
    (void)ctx;
    (void)role;
    return has_try(child);
}

static bool has_try(Node *n) {
    return n->kind == ND_TRY || ast_children(n, false, try_child, NULL);
}

static void gen_def(Gen *g, Node *def) {
    g->def = def;
    g->ntmp = 0;
    g->checking = def->sym->try_reachable;
    g->trying = NULL;
    gen_signature(g, &g->protos, def);
    buf_put(&g->protos, ";\n", 2);
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    map(g, def);
    gen_signature(g, g->out, def);
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    emit(g, "{");
    Scope fs;
    g->indent++;
    scope_push(g, &fs, false);
    /* Parameters assigned in the body become owned locals. */
    for (Node *p = def->params; p; p = p->next) {
        Symbol *s = p->sym;
        if (is_heap(s->type) && (s->flags & SF_ASSIGNED)) {
            emit(g, "%s = %s(a_%s);", decl(g, s->type, cname(g, s)), ref_fn(s->type), s->name);
            scope_add(&fs, cname(g, s), s->type);
        }
        mark_unread(g, s);
    }
    for (Node *st = def->body->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, !ends_in_jump(def->body->body));
    /* Sema knows every way out of a try returns; C sees the paths of an
     * exception that (at run time) ends the process instead. */
    if (def->ret_type && has_try(def->body)) emit_harmless_return(g);
    g->indent--;
    emit(g, "}");
    g->def = NULL;
    g->checking = false;
    arena_reset(&g->arena);
}

/* ---- processes ---------------------------------------------------------------- */

/* The argument struct's member for parameter P: prefixed like every user
 * name, so a parameter called `int` or `NULL` is no C token. */
static const char *field(Gen *g, const Node *p) {
    return keep_str(g, gstr(g, "v_%s", p->sym->name));
}

/* The argument struct and entry stub of a def used as a process target. */
static void gen_stub(Gen *g, Node *def) {
    const char *f = cname(g, def->sym);
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    map(g, def);
    emit(g, "/* Arguments of a process running %s, copied when it is declared. */", def->sym->name);
    emit(g, "struct args_%s {", def->sym->name);
    g->indent++;
    if (!def->params) emit(g, "char unused;");
    for (Node *p = def->params; p; p = p->next) emit(g, "%s;", decl(g, p->sym->type, field(g, p)));
    g->indent--;
    emit(g, "};");
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    emit(g, "static void run_%s(void *arg)", def->sym->name);
    emit(g, "{");
    g->indent++;
    Buf call = {0};
    for (Node *p = def->params; p; p = p->next)
        buf_printf(&call, "%sa->%s", p == def->params ? "" : ", ", field(g, p));
    if (def->params) emit(g, "struct args_%s *a = arg;", def->sym->name);
    else emit(g, "(void)arg;");
    if (def->ret_type && is_heap(def->ret_type))
        emit(g, "%s(%s(%s));", unref_fn(def->ret_type), f, call.data ? call.data : "");
    else emit(g, "%s%s(%s);", def->ret_type ? "(void)" : "", f, call.data ? call.data : "");
    free(call.data);
    g->indent--;
    emit(g, "}");
    arena_reset(&g->arena);
}

/* Static topology: which queues a process puts into, which pipe ends it
 * uses; read off its call's arguments and the def's parameter facts. An
 * element of an array is the one its argument struct (ARGS) holds; an
 * array given whole, or indexed by what only the run knows, counts as a
 * producer of every queue in it (as sema counted it). */
static void gen_topology(Gen *g, Node *n, const char *proc, const char *args) {
    Node *call = n->rhs;
    Node *param = call->callee->sym->decl->params;
    for (int i = 0; i < call->argc; i++, param = param->next) {
        Node *a = call->argv[i];
        bool puts = param->sym->flags & SF_PUTS;
        if (a->kind == ND_INDEX && a->lhs->type->kind == TY_HANDLES) {
            const char *held = gstr(g, "%s.%s", args, field(g, param));
            if (a->lhs->sym->kind == SYM_PIPE_END) emit(g, "mp_proc_uses(%s, %s);", proc, held);
            else if (puts && a->argc == 0)
                emit(g, "mp_proc_produces_all(%s, %s);", proc, cname(g, a->lhs->sym));
            else if (puts) emit(g, "mp_proc_produces(%s, %s);", proc, held);
            continue;
        }
        if (a->kind != ND_NAME) continue;
        bool all = a->sym->elems != NULL;
        if (a->sym->kind == SYM_PIPE_END)
            emit(g, "mp_proc_uses%s(%s, %s);", all ? "_all" : "", proc, cname(g, a->sym));
        if (a->sym->kind == SYM_QUEUE && puts)
            emit(g, "mp_proc_produces%s(%s, %s);", all ? "_all" : "", proc, cname(g, a->sym));
    }
}

/* The topology of a process declared in a def: each pipe end it is
 * given stays open in it (every other end is closed after fork). Its
 * queues need no producer share of their own: the def's parameter counts
 * as putting into what the process puts into (sema_flow.c), so the
 * process running the def (or main, calling it) holds a share, and the
 * def's processes never outlive the call: they are joined when it ends,
 * and killed with it (the parent-death signal) if it is killed. A share
 * of their own would be lost with a killed def's process and leave the
 * stream open forever. An element of a list is the one the argument
 * struct ARGS holds. */
static void gen_nested_topology(Gen *g, Node *n, const char *proc, const char *args) {
    Node *call = n->rhs;
    Node *param = call->callee->sym->decl->params;
    for (int i = 0; i < call->argc; i++, param = param->next) {
        Node *a = call->argv[i];
        Type *t = a->type;
        if (a->kind == ND_INDEX && a->lhs->type->kind == TY_HANDLES && t->kind == TY_CONN)
            emit(g, "mp_proc_uses(%s, %s.%s);", proc, args, field(g, param));
        if (a->kind != ND_NAME || !a->sym) continue;
        if (t->kind == TY_CONN) emit(g, "mp_proc_uses(%s, %s);", proc, cname(g, a->sym));
        if (t->kind == TY_HANDLES && t->elem->kind == TY_CONN)
            emit(g, "mp_proc_uses_all(%s, %s);", proc, cname(g, a->sym));
    }
}

/* After a group of COUNT is made: each queue it puts into was counted
 * once per declaration when it was made; the group stands for COUNT
 * producers of it (its replica's own element: already one each). */
static void group_producers(Gen *g, Node *call, Node *def, const char *count) {
    Node *param = def->params;
    for (int i = 0; i < call->argc; i++, param = param->next) {
        Node *a = call->argv[i];
        if (!(param->sym->flags & SF_PUTS)) continue;
        Node *nm = a->kind == ND_INDEX ? a->lhs : a;
        if (nm->kind != ND_NAME || nm->sym->kind != SYM_QUEUE) continue;
        if (a->kind == ND_INDEX && a->argc == IX_REPLICA) continue;
        if (a->kind == ND_INDEX && a->argc > 0)
            emit(g, "mp_queue_add_producers(%s, %s - 1);", cname(g, nm->sym->elems[a->argc - 1]),
                 count);
        else if (nm->sym->elems)
            emit(g, "mp_queues_add_producers(%s, %s - 1);", cname(g, nm->sym), count);
        else emit(g, "mp_queue_add_producers(%s, %s - 1);", cname(g, nm->sym), count);
    }
}

static void keep(Gen *g, Symbol *proc, const char *field, Type *t, bool group) {
    vec_push(&g->kept, ((Kept){proc, field, t, group}));
}

/* name= and daemon= of declaration N, for process PROC (not started). */
static void gen_proc_opts(Gen *g, Node *n, const char *proc) {
    for (Node *o = n->body; o; o = o->next) {
        if (strcmp(o->name, "name") == 0)
            emit(g, "mp_proc_set_name(%s, %s);", proc, borrow(g, o->lhs));
        else emit(g, "mp_proc_set_daemon(%s, %s);", proc, borrow(g, o->lhs));
    }
}

/* A process never started (warning unstarted) still compiles without an
 * unused variable or entry stub. */
static void mark_unstarted(Gen *g, Node *n) {
    Symbol *p = n->sym;
    if (!p->unstarted) return;
    if (!n->lhs) emit(g, "(void)%s;", companion(g, "args", p));
    if (!n->lhs) emit(g, "(void)%s;", cname(g, p));
    emit(g, "(void)run_%s;", n->rhs->callee->sym->decl->sym->name);
}

/* A process of a def belongs to that call of the def: on every way out
 * (return, an exception, the end) the enclosing scope ends it, then
 * releases the references its argument struct holds. */
static void end_with_def(Gen *g, Scope *body, Node *n) {
    Symbol *p = n->sym;
    Node *def = n->rhs->callee->sym->decl;
    const char *pc = cname(g, p), *args = companion(g, "args", p);
    const char *count = companion(g, "count", p);
    if (n->lhs) scope_add_code(body, keep_str(g, gstr(g, "mp_free(%s);", args)));
    for (Node *param = def->params; param; param = param->next) {
        if (!is_heap(param->sym->type)) continue;
        const char *fn = unref_fn(param->sym->type), *f = field(g, param);
        if (n->lhs)
            scope_add_code(body,
                           keep_str(g, gstr(g, "for (int64_t k = 0; k < %s; k++) %s(%s[k].%s);",
                                            count, fn, args, f)));
        else scope_add_code(body, keep_str(g, gstr(g, "%s(%s.%s);", fn, args, f)));
    }
    if (n->lhs) scope_add_code(body, keep_str(g, gstr(g, "mp_group_end(%s, %s);", pc, count)));
    else scope_add_code(body, keep_str(g, gstr(g, "mp_proc_end(%s);", pc)));
}

void gen_process(Gen *g, Node *n) {
    Symbol *p = n->sym;
    Scope *body = g->scope;
    bool nested = g->def != NULL;
    Node *call = n->rhs;
    Node *def = call->callee->sym->decl;
    const char *dn = def->sym->name;
    const char *pc = cname(g, p);
    const char *args = companion(g, "args", p);
    Scope temps;
    stmt_begin(g, &temps);
    if (!n->lhs) {
        /* One process: its arguments are evaluated and copied now. */
        Buf init = {0};
        const char **argv = xmalloc(((size_t)call->argc + 1) * sizeof *argv);
        def_args(g, call, true, argv);
        for (int i = 0; i < call->argc; i++) buf_printf(&init, "%s%s", i ? ", " : "", argv[i]);
        free(argv);
        emit(g, "struct args_%s %s = { %s };", dn, args, init.data ? init.data : "0");
        free(init.data);
        emit(g, "mp_proc *%s = mp_proc_new(\"%s\", -1);", pc, p->name);
        gen_proc_opts(g, n, pc);
        mark_unstarted(g, n);
        if (nested) {
            gen_nested_topology(g, n, pc, args);
            stmt_end(g, &temps);
            end_with_def(g, body, n);
            return;
        }
        gen_topology(g, n, pc, args);
        for (Node *param = def->params; param; param = param->next)
            if (is_heap(param->sym->type)) keep(g, p, field(g, param), param->sym->type, false);
        stmt_end(g, &temps);
        return;
    }
    /* A group: N replicas, each with its own copy of the arguments. */
    const char *count = companion(g, "count", p);
    emit(g, "int64_t %s = mp_group_size(%s, %s);", count, borrow(g, n->lhs), loc(g, n->lhs->span));
    emit(g, "mp_proc **%s = mp_alloc((size_t)%s * sizeof *%s);", pc, count, pc);
    emit(g, "struct args_%s *%s = mp_alloc((size_t)%s * sizeof *%s);", dn, args, count, args);
    const char *k = new_tmp(g, "k");
    emit(g, "for (int64_t %s = 0; %s < %s; %s++) {", k, k, count, k);
    g->indent++;
    Scope inner;
    stmt_begin(g, &inner);
    if (p->decl && n->sym2) {
        emit(g, "int64_t %s = %s;", cname(g, n->sym2), k);
        mark_unread(g, n->sym2);
    }
    const char **argv = xmalloc(((size_t)call->argc + 1) * sizeof *argv);
    def_args(g, call, true, argv);
    Node *param = def->params;
    for (int i = 0; i < call->argc; i++, param = param->next)
        emit(g, "%s[%s].%s = %s;", args, k, field(g, param), argv[i]);
    free(argv);
    if (n->body) { /* the options may read the replica's index */
        emit(g, "%s[%s] = mp_proc_new(\"%s\", %s);", pc, k, p->name, k);
        gen_proc_opts(g, n, gstr(g, "%s[%s]", pc, k));
    }
    stmt_end(g, &inner);
    if (!n->body) emit(g, "%s[%s] = mp_proc_new(\"%s\", %s);", pc, k, p->name, k);
    if (nested) {
        gen_nested_topology(g, n, gstr(g, "%s[%s]", pc, k), gstr(g, "%s[%s]", args, k));
        g->indent--;
        emit(g, "}");
        mark_unstarted(g, n);
        stmt_end(g, &temps);
        end_with_def(g, body, n);
        return;
    }
    gen_topology(g, n, gstr(g, "%s[%s]", pc, k), gstr(g, "%s[%s]", args, k));
    g->indent--;
    emit(g, "}");
    mark_unstarted(g, n);
    group_producers(g, call, def, count);
    for (param = def->params; param; param = param->next)
        if (is_heap(param->sym->type)) keep(g, p, field(g, param), param->sym->type, true);
    keep(g, p, NULL, NULL, true);
    stmt_end(g, &temps);
}

/* `start w[i]` / `join w[i]`: one member, its index checked at run time
 * (a member started twice or joined unstarted is the runtime's error). */
static void gen_member(Gen *g, Node *n, Node *t) {
    Symbol *p = t->lhs->sym;
    Scope temps;
    stmt_begin(g, &temps);
    const char *k = new_tmp(g, "k");
    const char *at = loc(g, t->span);
    emit(g, "int64_t %s = mp_group_index(%s, %s, %s);", k, companion(g, "count", p),
         borrow(g, t->rhs), loc(g, t->rhs->span));
    if (n->kind == ND_START)
        emit(g, "mp_start(%s[%s], run_%s, &%s[%s], %s);", cname(g, p), k,
             p->decl->rhs->callee->sym->decl->sym->name, companion(g, "args", p), k, at);
    else emit(g, "mp_join(%s[%s], %s);", cname(g, p), k, at);
    stmt_end(g, &temps);
}

void gen_start_join(Gen *g, Node *n) {
    for (Node *t = n->targets; t; t = t->next) {
        if (t->kind == ND_INDEX) {
            gen_member(g, n, t);
            continue;
        }
        Symbol *p = t->sym;
        const char *pc = cname(g, p);
        const char *args = companion(g, "args", p);
        const char *count = companion(g, "count", p);
        const char *at = loc(g, t->span);
        if (n->kind == ND_START) {
            Node *def = p->decl->rhs->callee->sym->decl;
            if (p->kind == SYM_GROUP) {
                emit(g, "for (int64_t k = 0; k < %s; k++)", count);
                emit(g, "    mp_start(%s[k], run_%s, &%s[k], %s);", pc, def->sym->name, args, at);
            } else {
                emit(g, "mp_start(%s, run_%s, &%s, %s);", pc, def->sym->name, args, at);
            }
        } else if (p->kind == SYM_GROUP) {
            emit(g, "for (int64_t k = 0; k < %s; k++)", count);
            emit(g, "    mp_join(%s[k], %s);", pc, at);
        } else {
            emit(g, "mp_join(%s, %s);", pc, at);
        }
    }
}

/* Lock m, Semaphore s = N, Condition c = m, ...: one mp_make_sync. */
static void gen_sync_decl(Gen *g, Node *n, const char *at) {
    if (n->decl_type->kind == TY_POOL) { /* without a size: os.cpu_count() workers */
        emit(g, "mp_pool *%s = mp_make_pool(%s, \"%s\", %s);", cname(g, n->sym),
             n->rhs ? borrow(g, n->rhs) : "-1", n->name, at);
        return;
    }
    static const char *const kinds[] = {"MP_SYNC_LOCK",    "MP_SYNC_RLOCK", "MP_SYNC_SEMAPHORE",
                                        "MP_SYNC_BOUNDED", "MP_SYNC_EVENT", "MP_SYNC_CONDITION",
                                        "MP_SYNC_BARRIER"};
    TypeKind k = n->decl_type->kind;
    const char *count = k == TY_SEMAPHORE || k == TY_BSEMAPHORE ? "1" : "0", *lock = "NULL";
    if (n->rhs && k == TY_CONDITION) lock = cname(g, n->rhs->sym);
    else if (n->rhs) count = borrow(g, n->rhs);
    emit(g, "mp_sync *%s = mp_make_sync(%s, %s, %s, \"%s\", %s);", cname(g, n->sym),
         kinds[k - TY_LOCK], count, lock, n->name, at);
}

/* ---- arrays of pipe ends and queues --------------------------------------- */

typedef bool (*ElemPick)(const Symbol *e);

/* LINE (a format whose one %s is an element) for each element of array A
 * that PICK selects: one loop when it selects them all. */
static void each_elem(Gen *g, Symbol *a, ElemPick pick, const char *line) {
    int64_t picked = 0;
    for (int64_t k = 0; k < a->count; k++) picked += pick(a->elems[k]);
    if (picked == a->count && a->count > 1) {
        emit(g, "for (int64_t k = 0; k < %d; k++)", a->count);
        emit(g, "    %s", gstr(g, line, gstr(g, "%s[k]", companion(g, "at", a))));
        return;
    }
    for (int64_t k = 0; k < a->count; k++)
        if (pick(a->elems[k])) emit(g, "%s", gstr(g, line, cname(g, a->elems[k])));
}

static bool shared_end(const Symbol *e) { return e->users > 1; }
static bool parent_puts(const Symbol *e) { return e->flags & SF_PUTS; }
static bool selected(const Symbol *e) { return e->flags & SF_SELECTS; }
static bool solo(const Symbol *e) { return e->spsc; }
static bool every(const Symbol *e) {
    (void)e;
    return true;
}

/* `pipe a[N], b[N]: T`: the elements in a static C array each (at_a),
 * the list a def may be given (v_a). */
static void gen_pipes_decl(Gen *g, Node *n, const char *at) {
    Symbol *a = n->sym, *b = n->sym2;
    const char *aa = companion(g, "at", a), *ab = companion(g, "at", b);
    emit(g, "static mp_conn *%s[%d], *%s[%d];", aa, a->count, ab, b->count);
    emit(g, "mp_make_pipes(%s, %s, %d, %s, %s, \"%s\", \"%s\", %s);", aa, ab, a->count,
         tdesc(g, n->decl_type), n->oneway ? "false" : "true", n->name, n->name2, at);
    emit(g, "mp_conns %s = { %d, %s }, %s = { %d, %s };", cname(g, a), a->count, aa, cname(g, b),
         b->count, ab);
    emit(g, "(void)%s;", cname(g, a));
    emit(g, "(void)%s;", cname(g, b));
    each_elem(g, a, shared_end, "mp_conn_share(%s);");
    each_elem(g, b, shared_end, "mp_conn_share(%s);");
}

/* `queue q[N]: T`: as pipes; each queue made with the producers every
 * element has, the others' extra ones added after. */
static void gen_queues_decl(Gen *g, Node *n, const char *at) {
    Symbol *q = n->sym;
    const char *aq = companion(g, "at", q);
    int64_t base = q->elems[0]->producers;
    for (int64_t k = 1; k < q->count; k++)
        if (q->elems[k]->producers < base) base = q->elems[k]->producers;
    emit(g, "static mp_queue *%s[%d];", aq, q->count);
    const char *t = tdesc(g, n->decl_type);
    const char *bound = n->lhs ? borrow(g, n->lhs) : "0";
    emit(g, "mp_make_queues(%s, %d, %s, %s, %s, %" PRId64 ", \"%s\", %s);", aq, q->count, t,
         n->lhs ? "true" : "false", bound, base, n->name, at);
    emit(g, "mp_queues %s = { %d, %s };", cname(g, q), q->count, aq);
    emit(g, "(void)%s;", cname(g, q));
    for (int64_t k = 0; k < q->count; k++) {
        Symbol *e = q->elems[k];
        e->index = (int)(e->producers - base);
        if (e->index) emit(g, "mp_queue_add_producers(%s, %d);", cname(g, e), e->index);
    }
    each_elem(g, q, solo, "mp_queue_set_spsc(%s);    /* one process puts, one gets: no locks */");
    if (n->joinable) each_elem(g, q, every, "mp_queue_set_joinable(%s);");
    each_elem(g, q, selected, gstr(g, "mp_queue_set_selectable(%%s, %s);", at));
    each_elem(g, q, parent_puts, "mp_self_produces(%s);    /* the parent puts into it too */");
}

static void gen_shared_decl(Gen *g, Node *n) {
    Scope temps;
    stmt_begin(g, &temps);
    const char *at = loc(g, n->span);
    if ((n->kind == ND_PIPE || n->kind == ND_QUEUE) && n->sym->elems) {
        if (n->kind == ND_PIPE) gen_pipes_decl(g, n, at);
        else gen_queues_decl(g, n, at);
        stmt_end(g, &temps);
        return;
    }
    switch (n->kind) {
    case ND_PIPE: {
        const char *a = cname(g, n->sym), *b = cname(g, n->sym2);
        emit(g, "mp_conn *%s, *%s;", a, b);
        emit(g, "mp_make_pipe(&%s, &%s, %s, %s, \"%s\", \"%s\", %s);", a, b, tdesc(g, n->decl_type),
             n->oneway ? "false" : "true", n->name, n->name2, at);
        /* An end several processes use sends and receives whole frames
         * under a lock; the others stay lock-free. */
        if (n->sym->users > 1) emit(g, "mp_conn_share(%s);", a);
        if (n->sym2->users > 1) emit(g, "mp_conn_share(%s);", b);
        if (n->sym->users <= 1 && n->sym2->users <= 1)
            emit(g, "mp_pipe_shm(%s, %s);    /* one process at each end: shared-memory rings */", a,
                 b);
        break;
    }
    case ND_QUEUE: {
        int producers = n->sym->producers;
        const char *t = tdesc(g, n->decl_type);
        if (n->lhs) /* a bound of 0 is a rendezvous */
            emit(g, "mp_queue *%s = mp_make_queue(%s, %s, %d, \"%s\", %s);", cname(g, n->sym), t,
                 borrow(g, n->lhs), producers, n->name, at);
        else
            emit(g, "mp_queue *%s = mp_make_queue_unbounded(%s, %d, \"%s\", %s);", cname(g, n->sym),
                 t, producers, n->name, at);
        if (n->sym->spsc)
            emit(g, "mp_queue_set_spsc(%s);    /* one process puts, one gets: no locks */",
                 cname(g, n->sym));
        if (n->joinable) emit(g, "mp_queue_set_joinable(%s);", cname(g, n->sym));
        if (n->sym->flags & SF_SELECTS)
            emit(g, "mp_queue_set_selectable(%s, %s);", cname(g, n->sym), at);
        if (n->sym->flags & SF_PUTS)
            emit(g, "mp_self_produces(%s);    /* the parent puts into it too */", cname(g, n->sym));
        break;
    }
    case ND_VALUE: {
        Type *t = n->decl_type;
        const char *init = n->rhs ? borrow_as(g, n->rhs, t)
                                  : (t->kind == TY_FLOAT  ? "0.0"
                                     : t->kind == TY_BOOL ? "false"
                                                          : "0");
        emit(g, "mp_value *%s = mp_make_value(%s, %s, \"%s\", %s);", cname(g, n->sym), kind_enum(t),
             mpval(g, t, init), n->name, at);
        break;
    }
    case ND_SYNC: gen_sync_decl(g, n, at); break;
    case ND_ARRAY: {
        Type *t = n->decl_type;
        const char *c = cname(g, n->sym);
        if (n->rhs) {
            const char *l = borrow(g, n->rhs);
            emit(g, "mp_array *%s = mp_make_array_from(%s, %s, \"%s\", %s);", c, kind_enum(t), l,
                 n->name, at);
        } else {
            emit(g, "mp_array *%s = mp_make_array(%s, %s, \"%s\", %s);", c, kind_enum(t),
                 borrow(g, n->lhs), n->name, at);
        }
        break;
    }
    default: break;
    }
    if (n->kind != ND_PIPE) mark_unread(g, n->sym);
    stmt_end(g, &temps);
}

/* The shared objects the parent lets go of at some point (release_after,
 * found by sema), in declaration order. */
typedef VEC(Symbol *) Releases;

/* A pipe end or queue, or an array of them whose elements are let go of
 * at one statement (then the array stands for them all), or each element
 * of another array. */
static void add_release(Releases *r, Symbol *s) {
    if (!s->elems) {
        if (s->release_after) vec_push(r, s);
        return;
    }
    bool same = true;
    for (int64_t k = 1; k < s->count; k++)
        same = same && s->elems[k]->release_after == s->elems[0]->release_after;
    if (same && s->elems[0]->release_after) vec_push(r, s);
    else if (!same)
        for (int64_t k = 0; k < s->count; k++) add_release(r, s->elems[k]);
}

static Releases releases(const Program *prog) {
    Releases r = {0};
    for (Node *d = prog->top; d; d = d->next) {
        if (d->kind == ND_PIPE) {
            add_release(&r, d->sym);
            add_release(&r, d->sym2);
        }
        if (d->kind == ND_QUEUE) add_release(&r, d->sym);
    }
    return r;
}

/* The parent lets go of X (or of every element of array X). */
static void gen_release(Gen *g, Symbol *x) {
    const char *line = x->kind == SYM_PIPE_END
                           ? "mp_conn_close(%s);    /* the parent does not use it */"
                           : "mp_self_done(%s);    /* the parent puts no more */";
    if (x->elems) each_elem(g, x, every, line);
    else emit(g, "%s", gstr(g, line, cname(g, x)));
}

static void gen_main(Gen *g) {
    const Program *prog = g->prog;
    g->ntmp = 0;
    buf_put(g->out, "\n", 1);
    if (g->mapped) g->mapped++;
    emit(g, "int main(int argc, char **argv)");
    emit(g, "{");
    g->indent++;
    Buf name = {0};
    put_c_string(&name, g->src->name, strlen(g->src->name));
    emit(g, "mp_init(\"%s\", argc, argv);", name.data ? name.data : "");
    free(name.data);
    Scope fs;
    scope_push(g, &fs, false);
    Releases rel = releases(prog);
    for (Node *n = prog->top; n; n = n->next) {
        map(g, n);
        switch (n->kind) {
        case ND_PIPE:
        case ND_QUEUE:
        case ND_VALUE:
        case ND_SYNC:
        case ND_ARRAY: gen_shared_decl(g, n); break;
        case ND_PROCESS: gen_process(g, n); break;
        case ND_START:
        case ND_JOIN: gen_start_join(g, n); break;
        case ND_CONST: break; /* folded into each use */
        default: gen_stmt(g, n); break;
        }
        for (size_t i = 0; i < rel.len; i++) {
            Symbol *x = rel.items[i];
            if ((x->elems ? x->elems[0]->release_after : x->release_after) == n) gen_release(g, x);
        }
        arena_reset(&g->arena);
    }
    vec_free(&rel);
    g->mapped = 0;
    if (g->opt->line_directives) buf_put(g->out, "\n", 1);
    /* References kept in the processes' argument structs. */
    for (size_t i = 0; i < g->kept.len; i++) {
        Kept *k = &g->kept.items[i];
        const char *args = companion(g, "args", k->proc);
        if (!k->field) {
            emit(g, "mp_free(%s);", cname(g, k->proc));
            emit(g, "mp_free(%s);", args);
            continue;
        }
        const char *fn = unref_fn(k->type);
        if (k->group) {
            emit(g, "for (int64_t k = 0; k < %s; k++)", companion(g, "count", k->proc));
            emit(g, "    %s(%s[k].%s);", fn, args, k->field);
        } else {
            emit(g, "%s(%s.%s);", fn, args, k->field);
        }
    }
    scope_pop(g, true);
    emit(g, "return mp_finish();");
    g->indent--;
    emit(g, "}");
}

/* Copies what B holds, spilled and in memory, to OUT, after a blank line
 * when BLANK and B is not empty; closes B's spill file. False when the
 * spill file could not be written or read. */
static bool buf_copy_out(Buf *b, FILE *out, bool blank) {
    bool ok = !b->spill_failed;
    bool any = b->len > 0;
    if (b->spill) {
        char chunk[1 << 16];
        size_t n;
        any = any || ftell(b->spill) > 0;
        if (blank && any) fputc('\n', out);
        rewind(b->spill);
        while (ok && (n = fread(chunk, 1, sizeof chunk, b->spill)) > 0) fwrite(chunk, 1, n, out);
        ok = ok && !ferror(b->spill);
        fclose(b->spill);
    } else if (blank && any) {
        fputc('\n', out);
    }
    if (b->len) fputs(b->data, out);
    return ok;
}

bool gen_program(FILE *out, const Program *p, const Source *src, const GenOptions *opt) {
    Gen g = {.prog = p, .src = src, .opt = opt};
    arena_init(&g.arena);
    arena_init(&g.perm);
    g.out = &g.body;
    /* Every section is written out as it grows, not held: each is emitted
     * only once all of them are complete. NULL (no temporary space): all
     * in memory. */
    Buf *sections[] = {&g.types, &g.lits, &g.protos, &g.body};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        sections[i]->spill = tmpfile();
    /* An argument struct and entry stub for each def a process runs, in
     * the order of the defs: before the defs when a def declares such a
     * process itself (its body needs them), after them otherwise. */
    for (Node *n = p->top; n; n = n->next)
        if (n->kind == ND_PROCESS) n->rhs->callee->sym->index = 1;
    for (Node *d = p->defs; d; d = d->next)
        for (Node *n = d->body->body; n; n = n->next)
            if (n->kind == ND_PROCESS) n->rhs->callee->sym->index = 2;
    for (Node *d = p->defs; d; d = d->next)
        if (d->sym->index == 2) gen_stub(&g, d);
    for (Node *d = p->defs; d; d = d->next) gen_def(&g, d);
    for (Node *d = p->defs; d; d = d->next)
        if (d->sym->index == 1) gen_stub(&g, d);
    gen_main(&g);

    const char *base = strrchr(src->name, '/');
    base = base ? base + 1 : src->name;
    fputs("/* Generated by mpc from ", out);
    for (const char *c = base; *c; c++) /* keep the comment closed */
        fputc(c[0] == '*' && c[1] == '/' ? '_' : *c, out);
    fputs("; do not edit. */\n#include <stdbool.h>\n#include <stdint.h>\n\n#include <mpr.h>\n",
          out);
    bool ok = true;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        ok = buf_copy_out(sections[i], out, sections[i] != &g.body) && ok;
        free(sections[i]->data);
    }
    vec_free(&g.ltypes);
    vec_free(&g.kept);
    vec_free(&g.pool_fns);
    hmap_free(&g.lits_by_bytes);
    arena_free(&g.arena);
    arena_free(&g.perm);
    return ok;
}
