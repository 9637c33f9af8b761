/* gen_stmt: statements, and every access to a shared value or array:
 * a plain store, an atomic, a compare-and-swap loop or the object's lock. */
#include "gen_impl.h"
#include "sema.h"

#include <stdlib.h>
#include <string.h>

/* ---- shared objects in statements ----------------------------------------- */

static bool is_locked(Gen *g, Symbol *s) {
    for (int i = 0; i < g->nlocked; i++)
        if (g->locked[i] == s) return true;
    return false;
}

bool locked_read(Gen *g, const Node *obj) {
    if (obj->kind != ND_NAME || !obj->sym || g->stmt_locked) return false;
    return !is_locked(g, obj->sym) && obj->sym->guarded;
}

/* The position of index N's array in the hoisted loop's list, or -1. */
static int unchecked_at(const Gen *g, const Node *n) {
    const Symbol *v = g->unchecked_var;
    if (!v || n->kind != ND_INDEX || n->rhs->kind != ND_NAME || n->rhs->sym != v ||
        n->lhs->kind != ND_NAME)
        return -1;
    for (int k = 0; v->hoist[k]; k++)
        if (v->hoist[k] == n->lhs->sym) return k;
    return -1;
}

bool index_unchecked(const Gen *g, const Node *n) { return unchecked_at(g, n) >= 0; }

const char *unchecked_load(Gen *g, const Node *n, const char *o, const char *i) {
    const char *elems = g->unchecked_elems[unchecked_at(g, n)];
    if (elems) return gstr(g, "%s[%s]", elems, i);
    return gstr(g, "mp_array_get_%s(%s, %s)", ksuffix(n->lhs->type->elem), o, i);
}

/* ---- statements ------------------------------------------------------------ */

/* `a[i] = a[i] ** 2`, `v.value = v.value * 2 + 1`, `v.value *= 3`: one
 * shared location read and written by a pure expression becomes a
 * compare-and-swap loop, atomic without a lock. */
static void gen_cas(Gen *g, Node *n, Symbol *shared) {
    Node *target = n->lhs;
    Type *t = target->type;
    const char *o = cname(g, shared);
    const char *k = t->kind == TY_FLOAT ? "f" : "i";
    const char *idx = NULL;
    const char *old = new_tmp(g, "old");
    if (target->kind == ND_INDEX) {
        idx = hold(
            g, type_basic(TY_INT),
            gstr(g, "mp_array_index(%s, %s, %s)", o, borrow(g, target->rhs), loc(g, target->span)));
        emit(g, "%s = mp_array_load_%s(%s, %s, %s);", decl(g, t, old), k, o, idx,
             loc(g, target->span));
    } else {
        emit(g, "%s = mp_value_load_%s(%s);", decl(g, t, old), k, o);
    }
    /* The new value is computed in a buffer first: when it needs no
     * statements of its own the loop is a bare retry of the swap. */
    Side body;
    side_begin(g, &body);
    g->indent++;
    g->cas_sym = shared;
    g->cas_old = old;
    const char *value;
    if (n->op == OP_NONE) {
        value = borrow_as(g, n->rhs, t);
    } else {
        const char *r = borrow(g, n->rhs);
        if (t->kind == TY_FLOAT && n->rhs->type->kind == TY_INT) r = gstr(g, "(double)%s", r);
        value = arith(g, n->op, t, old, r, n->span);
    }
    g->cas_sym = NULL;
    g->indent--;
    side_end(g, &body);
    const char *swap = idx ? gstr(g, "mp_array_cas_%s(%s, %s, &%s, %s, %s)", k, o, idx, old, value,
                                  loc(g, target->span))
                           : gstr(g, "mp_value_cas_%s(%s, &%s, %s)", k, o, old, value);
    if (body.buf.len == 0) {
        side_free(&body);
        emit(g, "while (!%s)", swap);
        emit(g, "    continue;");
    } else {
        g->mapped = body.mapped;
        emit(g, "for (;;) {");
        side_splice(g, &body);
        g->indent++;
        emit(g, "if (%s) break;", swap);
        g->indent--;
        emit(g, "}");
        g->mapped = 0;
    }
}

/* Runs one statement's generation inside a temporaries scope, so owned
 * temporaries are released right after it. */
void stmt_begin(Gen *g, Scope *temps) {
    scope_push(g, temps, false);
    temps->temps = true;
}

void stmt_end(Gen *g, Scope *temps) {
    (void)temps;
    scope_pop(g, true);
}

/* Stores the owned value CODE into variable C of type T, releasing the old. */
static void store_var(Gen *g, const char *c, Type *t, const char *code) {
    if (is_heap(t)) {
        const char *tmp = new_tmp(g, "t");
        emit(g, "%s = %s;", decl(g, t, tmp), code);
        emit_release(g, c, t);
        emit(g, "%s = %s;", c, tmp);
    } else {
        emit(g, "%s = %s;", c, code);
    }
}

static void gen_let(Gen *g, Node *n) {
    Symbol *s = n->sym;
    Type *t = s->type;
    Scope temps;
    stmt_begin(g, &temps);
    const char *v = owned(g, n->rhs, t);
    Scope *outer = temps.up;
    emit(g, "%s = %s;", decl(g, t, cname(g, s)), v);
    mark_unread(g, s);
    stmt_end(g, &temps);
    if (is_heap(t)) scope_add(outer, cname(g, s), t);
}

/* Takes a statement's lock on its target; reads of other shared objects
 * in the rest of the statement are plain atomic loads, so a statement never
 * holds two locks (and two statements cannot deadlock each other). Where
 * an exception may be pending, the statement's scope (TEMPS) holds the
 * lock from here, so the unwinding unlocks it too; else the statement
 * unlocks it by hand at its end. */
static void lock_stmt(Gen *g, const char *kind, const char *obj, Span at, Scope *temps,
                      Symbol *shared) {
    emit(g, "mp_%s_lock(%s, %s);", kind, obj, loc(g, at));
    g->stmt_locked = true;
    if (g->checking) {
        temps->unlock = shared;
        temps->unlock_at = loc(g, at);
    }
}

/* A literal or a local name: evaluating it can neither fail nor be seen. */
static bool simple_operand(const Node *n) {
    return n->kind == ND_INT || n->kind == ND_FLOAT || n->kind == ND_BOOL ||
           (n->kind == ND_NAME && (n->sym->kind == SYM_VAR || n->sym->kind == SYM_PARAM));
}

/* A scalar right side computed into a temporary before a statement takes
 * its lock, so the reads of other shared objects in it are not made while
 * holding it. Literals and local names need no temporary. */
static const char *settle(Gen *g, Node *rhs, Type *t, const char *code) {
    return simple_operand(rhs) ? code : hold(g, t, code);
}

/* a[i] op= e and a[i] = e on a list, array or value. */
static void gen_assign(Gen *g, Node *n) {
    Node *target = n->lhs;
    Type *t = target->type;
    Scope temps;
    stmt_begin(g, &temps);
    Symbol *shared = sema_shared_target(target);
    bool lock = false;
    if (shared && !is_locked(g, shared)) {
        SharedPlan plan = n->plan;
        if (plan == SH_ATOMIC) {
            /* A compound form the runtime has as one atomic operation. */
            const char *fn = sema_atomic_op(target, n->op, t);
            /* a[i] op= e: Python takes a[i] (and fails on a bad index)
             * before it evaluates e. A literal or a local needs no care. */
            const char *i = NULL;
            bool unchecked = index_unchecked(g, target) && t->kind == TY_INT;
            if (target->kind == ND_INDEX) {
                i = borrow(g, target->rhs);
                if (!simple_operand(n->rhs) && !unchecked)
                    i = hold(g, type_basic(TY_INT),
                             gstr(g, "mp_array_index(%s, %s, %s)", cname(g, shared), i,
                                  loc(g, target->span)));
            }
            const char *d = borrow_as(g, n->rhs, t);
            const char *o = cname(g, shared);
            if (n->op == OP_SUB && strcmp(fn, "add") == 0)
                d = gstr(g, "(-%s)", d); /* float: negation is exact */
            bool has_loc = t->kind == TY_INT && (n->op == OP_ADD || n->op == OP_SUB);
            if (unchecked) { /* int add or subtract, i proven in bounds */
                emit(g, "mp_atomic_%s_i(&mp_array_i(%s)[%s], %s, %s);", fn, o, i, d,
                     loc(g, target->span));
            } else if (target->kind == ND_MEMBER) {
                if (has_loc)
                    emit(g, "mp_value_%s_%s(%s, %s, %s);", fn, ksuffix(t), o, d, loc(g, n->span));
                else emit(g, "mp_value_%s_%s(%s, %s);", fn, ksuffix(t), o, d);
            } else {
                emit(g, "mp_array_%s_%s(%s, %s, %s, %s);", fn, ksuffix(t), o, i, d,
                     loc(g, target->span));
            }
            stmt_end(g, &temps);
            return;
        }
        if (plan == SH_CAS) {
            gen_cas(g, n, shared);
            stmt_end(g, &temps);
            return;
        }
        lock = plan == SH_LOCK;
    }
    /* A statement that reads what it writes holds the lock from the start;
     * one that does not takes it only around the store, after its right
     * side (and any call in it) is evaluated, as Python does. */
    const char *obj = lock ? cname(g, shared) : NULL;
    const char *kind = lock && shared->type->kind == TY_VALUE ? "value" : "array";
    bool early = lock && n->reads_target;
    if (early) lock_stmt(g, kind, obj, n->span, &temps, shared);
    /* `t[i] = e`: Python evaluates e first, then the target's container
     * and index; `t[i] op= e` the other way round. */
    const char *first = NULL;
    if (n->op == OP_NONE && target->kind == ND_INDEX && !early) {
        Ops ops = {0};
        operand(g, &ops, n->rhs, true, t);
        pin(g, &ops, 0);
        first = ops.items[0].code;
        vec_free(&ops);
    }
    /* Target's container and index first, as Python evaluates them. */
    const char *container = NULL, *index = NULL;
    if (target->kind == ND_MEMBER) container = borrow(g, target->lhs);
    bool dict = target->kind == ND_INDEX && target->lhs->type->kind == TY_DICT;
    const char *dict_cur = NULL; /* d[k] op= e: d[k], borrowed */
    if (target->kind == ND_INDEX) {
        sides(g, target, &container, &index);
        if (dict) index = key_val(g, target->rhs, index, target->lhs->type->items[0]);
        if (dict && n->op != OP_NONE) {
            /* d[k] op= e reads d[k] first (KeyError before e runs, as
             * Python), on a line of its own: where an exception may be
             * pending, it is checked before anything is stored */
            dict_cur = new_tmp(g, "o");
            emit(g, "%s = mp_dict_get(%s, %s, %s).%s;", decl(g, t, dict_cur), container,
                 mpval(g, target->lhs->type->items[0], index), loc(g, target->span), vfield(t));
        }
        if (target->lhs->type->kind == TY_ARRAY && !index_unchecked(g, target))
            index =
                hold(g, type_basic(TY_INT),
                     gstr(g, "mp_array_index(%s, %s, %s)", container, index, loc(g, target->span)));
    }
    if (n->op == OP_ADD && t->kind == TY_LIST) {
        /* xs += ys extends the list in place, as in Python (aliases see it). */
        const char *cur =
            target->kind == ND_NAME ? cname(g, target->sym)
            : dict                  ? dict_cur
                   : gstr(g, "mp_list_get(%s, %s, %s).l", container, index, loc(g, target->span));
        emit(g, "mp_list_extend(%s, %s);", cur, borrow(g, n->rhs));
        stmt_end(g, &temps);
        return;
    }
    if (n->op != OP_NONE && t->kind == TY_SET) {
        /* s |= t (and &= -= ^=) changes the set in place, as in Python */
        const char *cur =
            target->kind == ND_NAME ? cname(g, target->sym)
            : dict                  ? dict_cur
                   : gstr(g, "mp_list_get(%s, %s, %s).d", container, index, loc(g, target->span));
        const char *fn = n->op == OP_BITOR    ? "or"
                         : n->op == OP_BITAND ? "and"
                         : n->op == OP_SUB    ? "sub"
                                              : "xor";
        const char *r = borrow(g, n->rhs);
        emit(g, "mp_set_inplace(%s, mp_set_%s(%s, %s));", cur, fn, cur, r);
        stmt_end(g, &temps);
        return;
    }
    const char *value;
    if (n->op == OP_NONE) {
        value = first ? first : owned(g, n->rhs, t);
        if (lock && !early) {
            if (!first) value = settle(g, n->rhs, t, value);
            lock_stmt(g, kind, obj, n->span, &temps, shared);
        }
    } else {
        /* x op= e: read the current value through the container and
         * index evaluated above (calls are hoisted, so what is left of
         * them is pure), then combine. */
        const char *curv;
        if (target->kind == ND_NAME) curv = cname(g, target->sym);
        else if (target->kind == ND_MEMBER)
            curv = gstr(g, "mp_value_load_%s(%s)", ksuffix(t), container);
        else if (index_unchecked(g, target)) curv = unchecked_load(g, target, container, index);
        else if (target->lhs->type->kind == TY_ARRAY)
            curv = gstr(g, "mp_%s_load_%s(%s, %s, %s)", target->lhs->type->raw ? "raw" : "array",
                        ksuffix(t), container, index, loc(g, target->span));
        else if (dict) curv = dict_cur;
        else
            curv = gstr(g, "mp_list_get(%s, %s, %s).%s", container, index, loc(g, target->span),
                        vfield(t));
        const char *r = borrow(g, n->rhs);
        if (lock && !early) {
            r = settle(g, n->rhs, n->rhs->type, r);
            lock_stmt(g, kind, obj, n->span, &temps, shared);
        }
        Type *rt = n->rhs->type;
        if (is_heap(t)) {
            const char *what = t->kind == TY_STR ? "str" : "list";
            value =
                gstr(g, "mp_%s_%s(%s, %s)", what, n->op == OP_ADD ? "concat" : "repeat", curv, r);
        } else {
            if (t->kind == TY_FLOAT && rt->kind == TY_INT) r = gstr(g, "(double)%s", r);
            value = arith(g, n->op, t, curv, r, n->span);
        }
    }
    /* Where an exception may be pending, an operation that fails must not
     * store its harmless result: it is computed and checked first. */
    if (g->checking && !is_heap(t) && strstr(value, "MP_LOC(")) value = hold(g, t, value);
    switch (target->kind) {
    case ND_NAME: store_var(g, cname(g, target->sym), t, value); break;
    case ND_MEMBER: emit(g, "mp_value_store_%s(%s, %s);", ksuffix(t), container, value); break;
    default:
        if (dict) { /* the store takes a reference to the key */
            Type *kt = target->lhs->type->items[0];
            const char *k = is_heap(kt) ? gstr(g, "%s(%s)", ref_fn(kt), index) : index;
            emit(g, "mp_dict_set(%s, %s, %s);", container, mpval(g, kt, k), mpval(g, t, value));
        } else if (index_unchecked(g, target) && target->lhs->type->raw)
            emit(g, "%s = %s;", unchecked_load(g, target, container, index), value);
        else if (index_unchecked(g, target))
            emit(g, "mp_array_put_%s(%s, %s, %s);", ksuffix(t), container, index, value);
        else if (target->lhs->type->kind == TY_ARRAY)
            emit(g, "mp_%s_store_%s(%s, %s, %s, %s);", target->lhs->type->raw ? "raw" : "array",
                 ksuffix(t), container, index, value, loc(g, target->span));
        else
            emit(g, "mp_list_set(%s, %s, %s, %s);", container, index, mpval(g, t, value),
                 loc(g, target->span));
    }
    if (lock && !temps.unlock) emit(g, "mp_%s_unlock(%s, %s);", kind, obj, loc(g, n->span));
    g->stmt_locked = false;
    stmt_end(g, &temps);
}

/* del d[k], del xs[i]: each target in order, its container and key (or
 * index) evaluated first, as Python. */
static void gen_del(Gen *g, Node *n) {
    for (Node *t = n->targets; t; t = t->next) {
        Scope temps;
        stmt_begin(g, &temps);
        Type *ct = t->lhs->type;
        const char *c, *k;
        sides(g, t, &c, &k);
        if (ct->kind == TY_DICT)
            emit(g, "mp_dict_del(%s, %s, %s);", c,
                 mpval(g, ct->items[0], key_val(g, t->rhs, k, ct->items[0])), loc(g, t->span));
        else emit(g, "mp_list_del(%s, %s, %s);", c, k, loc(g, t->span));
        stmt_end(g, &temps);
    }
}

const char *gen_cond(Gen *g, Node *cond) {
    Scope temps;
    stmt_begin(g, &temps);
    const char *c = borrow(g, cond);
    /* The condition's temporaries are released before what it guards. */
    if (temps.held.len) {
        const char *cv = new_tmp(g, "c");
        emit(g, "bool %s = %s;", cv, c);
        c = cv;
    }
    stmt_end(g, &temps);
    return c;
}

static void gen_if(Gen *g, Node *n) {
    const char *c = gen_cond(g, n->cond);
    emit(g, "if (%s) {", unparen(g, c));
    gen_block(g, n->then, false);
    if (!n->els) {
        emit(g, "}");
        return;
    }
    emit(g, "} else {");
    g->indent++;
    if (n->els->kind == ND_IF) {
        map(g, n->els);
        gen_if(g, n->els);
    } else {
        g->indent--;
        gen_block(g, n->els, false);
        g->indent++;
    }
    g->indent--;
    emit(g, "}");
}

static void gen_while(Gen *g, Node *n) {
    Side cond;
    side_begin(g, &cond);
    Scope temps;
    stmt_begin(g, &temps);
    g->indent++;
    const char *c = borrow(g, n->cond);
    g->indent--;
    bool simple = cond.buf.len == 0 && temps.held.len == 0;
    side_end(g, &cond);
    if (simple) {
        scope_pop(g, false);
        side_free(&cond);
        emit(g, "while (%s) {", unparen(g, c));
    } else {
        emit(g, "while (true) {");
        side_splice(g, &cond);
        g->indent++;
        const char *cv = new_tmp(g, "c");
        emit(g, "bool %s = %s;", cv, c);
        scope_pop(g, true);
        emit(g, "if (!%s) break;", cv);
        g->indent--;
        g->mapped = 0;
    }
    gen_block(g, n->body, true);
    emit(g, "}");
}

/* Declares the loop variable of N holding VALUE (borrowed) for one
 * iteration; heap values take a reference released at the iteration end. */
static void loop_var(Gen *g, Node *n, const char *value, bool value_owned) {
    Symbol *s = n->sym;
    Type *t = s->type;
    if (!s->used) { /* `for _ in range(n)`: nothing to declare */
        if (value_owned && is_heap(t)) emit_release(g, value, t);
        return;
    }
    if (is_heap(t) && !value_owned) value = gstr(g, "%s(%s)", ref_fn(t), value);
    emit(g, "%s = %s;", decl(g, t, cname(g, s)), value);
}

/* The loop body: a block whose scope also owns the loop variable. */
static void loop_body(Gen *g, Node *n, Scope *iter) {
    Symbol *s = n->sym;
    if (is_heap(s->type) && s->used) scope_add(iter, cname(g, s), s->type);
    for (Node *st = n->body->body; st; st = st->next) gen_stmt(g, st);
}

/* One copy of a range loop: HEAD, the variable from I, the body. */
static void range_copy(Gen *g, Node *n, const char *head, const char *i) {
    Scope iter;
    emit(g, "%s", head);
    g->indent++;
    scope_push(g, &iter, true);
    loop_var(g, n, i, false);
    loop_body(g, n, &iter);
    scope_pop(g, true);
    g->indent--;
    emit(g, "}");
}

/* A range loop whose arrays sema found indexed with its variable
 * (Symbol.hoist): one test that every value [START, HI) indexes each of
 * them, then the loop with unchecked accesses; when the test fails, the
 * loop as written, which raises IndexError where Python does. */
static void hoisted_range(Gen *g, Node *n, const char *head, const char *i, const char *start,
                          const char *hi) {
    Symbol *v = n->sym;
    /* from 0, HI <= len(a) holds for the empty range too */
    bool zero = strcmp(start, "0") == 0;
    Buf test = {0};
    if (!zero) buf_printf(&test, "%s >= %s || (%s >= 0 && ", start, hi, start);
    for (int k = 0; v->hoist[k]; k++)
        buf_printf(&test, "%s%s <= mp_array_len(%s)", k ? " && " : "", hi, cname(g, v->hoist[k]));
    emit(g, "if (%s%s) { /* every index in bounds: checked once */", test.data, zero ? "" : ")");
    free(test.data);
    g->indent++;
    for (int k = 0; v->hoist[k]; k++) {
        Type *at = v->hoist[k]->type;
        g->unchecked_elems[k] = NULL;
        if (!at->raw) continue;
        const char *e = new_tmp(g, "e");
        const char *ct = at->elem->kind == TY_INT     ? "int64_t"
                         : at->elem->kind == TY_FLOAT ? "double"
                                                      : "bool";
        emit(g, "%s *%s = mp_array_%s(%s);", ct, e, ksuffix(at->elem), cname(g, v->hoist[k]));
        g->unchecked_elems[k] = e;
    }
    g->unchecked_var = v; /* never nested: sema hoists no loop inside another */
    if (v->elementwise) {
        emit(g, "for (int64_t %s = %s; %s < %s;) {", i, start, i, hi);
        g->indent++;
        const char *end = gen_vec_blocks(g, n, i, hi);
        range_copy(g, n, gstr(g, "for (; %s < %s; %s++) {", i, end, i), i);
        g->indent--;
        emit(g, "}");
    } else {
        range_copy(g, n, head, i);
    }
    g->unchecked_var = NULL;
    g->indent--;
    emit(g, "} else {");
    g->indent++;
    range_copy(g, n, head, i);
    g->indent--;
    emit(g, "}");
}

static void gen_for(Gen *g, Node *n) {
    Node *it = n->rhs;
    Type *t = it->type;
    Scope iter;
    Scope temps;
    stmt_begin(g, &temps);
    if (it->kind == ND_CALL && it->builtin == B_RANGE) {
        const char *start = "0", *stop, *step = "1";
        Ops ops = {0};
        for (int k = 0; k < it->argc; k++) operand(g, &ops, it->argv[k], false, NULL);
        if (it->argc == 1) stop = ops.items[0].code;
        else {
            start = ops.items[0].code;
            stop = ops.items[1].code;
        }
        if (it->argc == 3) step = ops.items[2].code;
        if (it->argc > 1) { /* start is used last, in the loop's init */
            pin(g, &ops, 0);
            start = ops.items[0].code;
        }
        vec_free(&ops);
        const char *i = new_tmp(g, "i");
        const char *hi = new_tmp(g, "n");
        emit(g, "int64_t %s = %s;", hi, stop);
        const char *head;
        if (strcmp(step, "1") == 0) {
            head = gstr(g, "for (int64_t %s = %s; %s < %s; %s++) {", i, start, i, hi, i);
        } else {
            const char *st = new_tmp(g, "s");
            emit(g, "int64_t %s = mp_range_step(%s, %s);", st, step, loc(g, it->span));
            head = gstr(g,
                        "for (int64_t %s = %s; %s > 0 ? %s < %s : %s > %s; %s = mp_range_next(%s, "
                        "%s, %s)) {",
                        i, start, st, i, hi, i, hi, i, i, st, hi);
        }
        if (n->sym->hoist) {
            hoisted_range(g, n, head, i, start, hi);
            stmt_end(g, &temps);
            return;
        }
        emit(g, "%s", head);
        g->indent++;
        scope_push(g, &iter, true);
        loop_var(g, n, i, false);
    } else if (t->kind == TY_LIST || t->kind == TY_STR || t->kind == TY_ARRAY) {
        /* The iterable is referenced for the loop, and indexed live. */
        CExpr e = gen_expr(g, it);
        const char *seq = e.code;
        if (is_heap(t)) seq = hold(g, t, e.owned ? e.code : gstr(g, "%s(%s)", ref_fn(t), e.code));
        const char *i = new_tmp(g, "i");
        const char *len = t->kind == TY_LIST ? "mp_list_len" : "mp_array_len";
        if (t->kind == TY_STR) /* by byte offset: one pass over the characters */
            emit(g, "for (size_t %s = 0; %s < %s->len;) {", i, i, seq);
        else emit(g, "for (int64_t %s = 0; %s < %s(%s); %s++) {", i, i, len, seq, i);
        g->indent++;
        scope_push(g, &iter, true);
        if (t->kind == TY_LIST)
            loop_var(
                g, n,
                gstr(g, "mp_list_get(%s, %s, %s).%s", seq, i, loc(g, it->span), vfield(t->elem)),
                false);
        else if (t->kind == TY_STR) loop_var(g, n, gstr(g, "mp_str_next(%s, &%s)", seq, i), true);
        else
            loop_var(g, n,
                     gstr(g, "mp_array_%s_%s(%s, %s, %s)", locked_read(g, it) ? "read" : "load",
                          ksuffix(t->elem), seq, i, loc(g, it->span)),
                     false);
    } else if (t->kind == TY_DICT || t->kind == TY_SET) {
        /* the keys in insertion order; a change of size raises RuntimeError */
        CExpr e = gen_expr(g, it);
        const char *d = hold(g, t, e.owned ? e.code : gstr(g, "%s(%s)", ref_fn(t), e.code));
        const char *i = new_tmp(g, "i"), *len = new_tmp(g, "n"), *k = new_tmp(g, "m");
        emit(g, "int64_t %s = 0, %s = mp_dict_len(%s);", i, len, d);
        emit(g, "mp_val %s;", k);
        emit(g, "while (mp_dict_next(%s, &%s, %s, &%s, %s)) {", d, i, len, k, loc(g, it->span));
        g->indent++;
        scope_push(g, &iter, true);
        loop_var(g, n, gstr(g, "%s.%s", k, vfield(n->sym->type)), false);
    } else if (t->kind == TY_TUPLE) {
        /* a tuple whose elements share one type */
        CExpr e = gen_expr(g, it);
        const char *u = hold(g, t, e.owned ? e.code : gstr(g, "%s(%s)", ref_fn(t), e.code));
        const char *i = new_tmp(g, "i");
        emit(g, "for (size_t %s = 0; %s < %d; %s++) {", i, i, t->n, i);
        g->indent++;
        scope_push(g, &iter, true);
        loop_var(g, n, gstr(g, "mp_tuple_item(%s, %s).%s", u, i, vfield(n->sym->type)), false);
    } else if (t->kind == TY_FILE) {
        /* by lines, each with its "\n", until end of file */
        const char *f = borrow(g, it);
        const char *v = new_tmp(g, "m");
        emit(g, "mp_str *%s;", v);
        emit(g, "while ((%s = mp_file_next(%s, %s)) != NULL) {", v, f, loc(g, it->span));
        g->indent++;
        scope_push(g, &iter, true);
        loop_var(g, n, v, true);
    } else {
        /* conn or queue: until end of stream */
        const char *o = borrow(g, it);
        const char *v = new_tmp(g, "m");
        emit(g, "mp_val %s;", v);
        emit(g, "while (%s(%s, &%s, %s)) {", t->kind == TY_CONN ? "mp_recv_next" : "mp_get_next", o,
             v, loc(g, it->span));
        g->indent++;
        scope_push(g, &iter, true);
        loop_var(g, n, gstr(g, "%s.%s", v, vfield(t->elem)), true);
    }
    loop_body(g, n, &iter);
    scope_pop(g, true);
    g->indent--;
    emit(g, "}");
    /* a receive that raised, or a dict that changed size, ended the loop above */
    if (t->kind == TY_CONN || t->kind == TY_QUEUE || t->kind == TY_DICT || t->kind == TY_SET)
        gen_check(g);
    stmt_end(g, &temps);
}

/* with m { ... } on a lock-like object: acquired every time (a Semaphore
 * counts each hold), released on every way out as a lock block is. */
static void gen_with(Gen *g, Node *n) {
    Symbol *s = n->lhs->sym;
    emit(g, "{");
    Scope block;
    g->indent++;
    scope_push(g, &block, false);
    block.unlock = s;
    block.unlock_at = loc(g, n->span);
    emit(g, "mp_sync_enter(%s, %s);", cname(g, s), block.unlock_at);
    for (Node *st = n->body->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, true);
    g->indent--;
    emit(g, "}");
}

/* lock v { ... }: the block's scope holds the lock, so leaving it by any
 * way (its end, break, continue, return) unlocks after releasing. */
static void gen_lock(Gen *g, Node *n) {
    Symbol *s = n->lhs->sym;
    if (type_is_sync(s->type)) {
        gen_with(g, n);
        return;
    }
    bool nested = is_locked(g, s);
    if (!nested && g->nlocked == (int)(sizeof g->locked / sizeof g->locked[0]))
        nested = true; /* deeper than any real program; stays correct, just locks less */
    emit(g, "{");
    Scope block;
    g->indent++;
    scope_push(g, &block, false);
    if (!nested) {
        block.unlock = s;
        block.unlock_at = loc(g, n->span);
        emit(g, "mp_%s_lock(%s, %s);", s->type->kind == TY_VALUE ? "value" : "array", cname(g, s),
             block.unlock_at);
        g->locked[g->nlocked++] = s;
    }
    for (Node *st = n->body->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, true);
    if (!nested) g->nlocked--;
    g->indent--;
    emit(g, "}");
}

static void gen_return(Gen *g, Node *n) {
    if (!n->lhs) {
        release_until(g, false);
        emit(g, "return;");
        return;
    }
    Scope temps;
    stmt_begin(g, &temps);
    const char *v = owned(g, n->lhs, g->def ? g->def->ret_type : NULL);
    bool releases = false;
    for (Scope *s = temps.up; s; s = s->up)
        releases = releases || s->held.len || s->unlock || s->try_node;
    if (!releases && temps.held.len == 0) {
        scope_pop(g, false);
        emit(g, "return %s;", unparen(g, v));
        return;
    }
    const char *r = new_tmp(g, "ret");
    Type *rt = g->def && g->def->ret_type ? g->def->ret_type : n->lhs->type;
    emit(g, "%s = %s;", decl(g, rt, r), v);
    stmt_end(g, &temps);
    release_until(g, false);
    emit(g, "return %s;", r);
}

/* ---- select ------------------------------------------------------------- */

/* The source of a receiving case: `rx` of `rx.recv()`. */
static Node *case_source(const Node *c) { return c->rhs->callee->lhs; }

/* Index of receiving case C's source among the select's sources. */
static int source_index(const Node *sel, const Node *src) {
    int i = 0;
    for (const Node *c = sel->body; c; c = c->next) {
        if (c->argc != CASE_RECV) continue;
        const Node *s = case_source(c);
        if (s == src || sema_same_source(s, src)) return i;
        i++;
    }
    return -1;
}

/* A case's block: a receiving case's variable takes the message received
 * into M (a new reference, owned by the block), or the message is let go. */
static void case_body(Gen *g, Node *c, const char *m) {
    Scope block;
    scope_push(g, &block, false);
    if (c->argc == CASE_RECV) {
        Type *t = c->rhs->type;
        const char *v = gstr(g, "%s.%s", m, vfield(t));
        Symbol *s = c->lhs ? c->lhs->sym : NULL;
        if (s && s->used) {
            emit(g, "%s = %s;", decl(g, t, cname(g, s)), v);
            if (is_heap(t)) scope_add(&block, cname(g, s), t);
        } else if (is_heap(t)) {
            emit_release(g, v, t);
        }
    }
    for (Node *st = c->body->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, true);
}

/* select: the sources in an array, one runtime wait (mp_select, with its
 * turn kept per select statement and process, for fairness), then the
 * case its result names. An if chain, not a switch, so that break and
 * continue in a case reach the enclosing loop. */
static void gen_select(Gen *g, Node *n) {
    Scope temps;
    stmt_begin(g, &temps);
    int nsrc = 0;
    Node *timeout = NULL;
    for (Node *c = n->body; c; c = c->next) {
        nsrc += c->argc == CASE_RECV;
        if (c->argc == CASE_TIMEOUT) timeout = c;
    }
    const char **srcs = arena_alloc(&g->arena, (size_t)nsrc * sizeof *srcs);
    int i = 0;
    for (Node *c = n->body; c; c = c->next)
        if (c->argc == CASE_RECV) srcs[i++] = borrow(g, case_source(c));
    const char *secs = timeout ? borrow_as(g, timeout->rhs, type_basic(TY_FLOAT)) : "0.0";
    const char *arr = new_tmp(g, "src"), *turn = new_tmp(g, "turn"), *m = new_tmp(g, "m");
    const char *k = new_tmp(g, "k");
    emit(g, "static int %s; /* the source tried first: the turn moves past each one served */",
         turn);
    emit(g, "mp_sel_src %s[%d] = {", arr, nsrc);
    g->indent++;
    i = 0;
    for (Node *c = n->body; c; c = c->next) {
        if (c->argc != CASE_RECV) continue;
        bool eof = false;
        for (Node *e = n->body; e; e = e->next)
            eof |= e->argc == CASE_EOF && source_index(n, e->rhs) == i;
        bool conn = case_source(c)->type->kind == TY_CONN;
        emit(g, "{%s, %s, %s},", conn ? srcs[i] : "NULL", conn ? "NULL" : srcs[i],
             eof ? "true" : "false");
        i++;
    }
    g->indent--;
    emit(g, "};");
    emit(g, "mp_val %s;", m);
    emit(g, "int %s = mp_select(%s, %d, &%s, %s, %s, &%s, %s);", k, arr, nsrc, turn,
         timeout ? "true" : "false", secs, m, loc(g, n->span));
    const char *kw = "if";
    i = 0;
    for (Node *c = n->body; c; c = c->next) {
        if (c->argc == CASE_RECV) emit(g, "%s (%s == %d) {", kw, k, i++);
        else if (c->argc == CASE_EOF)
            emit(g, "%s (%s == MP_SEL_EOF(%d, %d)) {", kw, k, nsrc, source_index(n, c->rhs));
        else emit(g, "%s (%s == MP_SEL_TIMEOUT) {", kw, k);
        g->indent++;
        case_body(g, c, m);
        g->indent--;
        kw = "} else if";
    }
    if (n->body) emit(g, "}");
    stmt_end(g, &temps);
}

void gen_stmt(Gen *g, Node *n) {
    map(g, n);
    Scope temps;
    switch (n->kind) {
    case ND_LET: gen_let(g, n); break;
    case ND_ASSIGN: gen_assign(g, n); break;
    case ND_IF: gen_if(g, n); break;
    case ND_WHILE: gen_while(g, n); break;
    case ND_FOR: gen_for(g, n); break;
    case ND_BREAK:
    case ND_CONTINUE:
        /* lock blocks inside the loop are not crossed: sema keeps loops and
         * locks apart by releasing them here. */
        release_until(g, true);
        emit(g, "%s;", n->kind == ND_BREAK ? "break" : "continue");
        break;
    case ND_RETURN: gen_return(g, n); break;
    case ND_LOCK: gen_lock(g, n); break;
    case ND_BLOCK:
        emit(g, "{");
        gen_block(g, n, false);
        emit(g, "}");
        break;
    case ND_PASS: break;
    case ND_COMP_PUSH: {
        const char *l = g->comp;
        Type *ct = g->comp_type, *et = ct->kind == TY_DICT ? ct->items[0] : ct->elem;
        stmt_begin(g, &temps);
        if (ct->kind == TY_DICT) { /* the key, then the value, as Python */
            Ops ops = {0};
            operand(g, &ops, n->lhs, true, et);
            operand(g, &ops, n->rhs, true, ct->elem);
            ops_settle(g, &ops);
            emit(g, "mp_dict_set(%s, %s, %s);", l, mpval(g, et, ops.items[0].code),
                 mpval(g, ct->elem, ops.items[1].code));
            vec_free(&ops);
        } else {
            emit(g, "%s(%s, %s);", ct->kind == TY_SET ? "mp_set_add" : "mp_list_push", l,
                 mpval(g, et, owned(g, n->lhs, et)));
        }
        stmt_end(g, &temps);
        break;
    }
    case ND_DEL: gen_del(g, n); break;
    case ND_TRY: gen_try(g, n); break;
    case ND_SELECT: gen_select(g, n); break;
    case ND_RAISE: gen_raise(g, n); break;
    case ND_ASSERT: gen_assert(g, n); break;
    case ND_PROCESS: gen_process(g, n); break;
    case ND_START:
    case ND_JOIN: gen_start_join(g, n); break;
    case ND_EXPR_STMT: {
        stmt_begin(g, &temps);
        CExpr e = gen_expr(g, n->lhs);
        if (e.code) {
            if (e.owned) hold(g, n->lhs->type, e.code);
            else if (n->lhs->kind == ND_CALL) emit(g, "(void)%s;", e.code);
        }
        stmt_end(g, &temps);
        break;
    }
    default: break;
    }
}

/* Whether the statements from FIRST end by leaving the block (return,
 * break, continue): that statement released every scope it crosses, so a
 * release after it would be dead code. */
bool ends_in_jump(const Node *first) {
    const Node *last = first;
    for (; last && last->next; last = last->next) {}
    return last && (last->kind == ND_RETURN || last->kind == ND_BREAK || last->kind == ND_CONTINUE);
}

/* The statements of BLOCK inside braces the caller has opened. */
void gen_block(Gen *g, Node *block, bool loop) {
    Scope s;
    g->indent++;
    scope_push(g, &s, loop);
    for (Node *st = block->body; st; st = st->next) gen_stmt(g, st);
    scope_pop(g, !ends_in_jump(block->body));
    g->indent--;
}
