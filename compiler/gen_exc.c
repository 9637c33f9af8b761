/* gen_exc: try/except/else/finally, raise, assert, and the checks that
 * unwind to a handler.
 *
 * A raise inside a try records the exception and returns (mp_raise), so
 * code that may run while a try is active (g->checking: try bodies, their
 * handlers while a finally is to run, and defs sema marked try_reachable)
 * checks mp_exc_flag after every operation that may raise and unwinds like
 * a return does: it releases the references of each scope it leaves,
 * unlocks lock blocks, and jumps to the try's label, or returns a harmless
 * value from the def so the caller's own check goes on. Elsewhere nothing
 * is checked: a raise there prints and ends the process. */
#include "exc_kinds.h"
#include "gen_impl.h"

#include <string.h>

/* ---- checks ------------------------------------------------------------- */

bool line_may_raise(Gen *g, const char *line) {
    (void)g;
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] != ';') return false; /* a loop's head, a brace */
    while (*line == ' ') line++;
    if (strncmp(line, "return", 6) == 0) return false;
    /* locking fails only fatally (a lock this process holds elsewhere) */
    if (strncmp(line, "mp_value_", 9) == 0 || strncmp(line, "mp_array_", 9) == 0)
        if (strstr(line, "lock(")) return false;
    if (strncmp(line, "mp_sync_enter(", 14) == 0) return false; /* it waits; never raises */
    return strstr(line, "MP_LOC(") != NULL;
}

/* What a def returns while an exception is pending (nobody reads it). */
static const char *harmless(Gen *g) {
    Type *t = g->def ? g->def->ret_type : NULL;
    if (!t) return "return;";
    switch (t->kind) {
    case TY_FLOAT: return "return 0.0;";
    case TY_BOOL: return "return false;";
    case TY_STR:
    case TY_LIST: return "return NULL;";
    default: return "return 0;";
    }
}

void emit_harmless_return(Gen *g) { emit(g, "%s", harmless(g)); }

/* Whether leaving to the current target releases anything. */
static bool unwind_releases(Gen *g) {
    Scope *stop = g->trying ? g->trying->scope : NULL;
    for (Scope *s = g->scope; s && s != stop; s = s->up)
        if (s->held.len || s->unlock) return true;
    return false;
}

/* The way out with an exception pending: releases, then the jump. */
static void unwind(Gen *g) {
    bool saved = g->no_check;
    g->no_check = true;
    Scope *stop = g->trying ? g->trying->scope : NULL;
    for (Scope *s = g->scope; s && s != stop; s = s->up) release_scope(g, s);
    if (g->trying) g->trying->used = true;
    if (g->trying) emit(g, "goto %s;", g->trying->label);
    else if (g->def) emit(g, "%s", harmless(g));
    g->no_check = saved;
}

void gen_check(Gen *g) {
    if (!g->checking || g->no_check) return;
    if (!g->trying && !g->def) return; /* main outside any try: never pending */
    bool saved = g->no_check;
    g->no_check = true;
    if (!unwind_releases(g)) {
        if (g->trying) g->trying->used = true;
        if (g->trying) emit(g, "if (mp_exc_flag) goto %s;", g->trying->label);
        else emit(g, "if (mp_exc_flag) %s", harmless(g));
    } else {
        emit(g, "if (mp_exc_flag) {");
        g->indent++;
        unwind(g);
        g->indent--;
        emit(g, "}");
    }
    g->no_check = saved;
}

/* Values the wrapper leaves alone: names and literals compute nothing. */
static bool plain_value(const Type *t) {
    return t->kind == TY_INT || t->kind == TY_FLOAT || t->kind == TY_BOOL || is_heap(t) ||
           t->kind == TY_CONN || t->kind == TY_QUEUE; /* `ends[k]`: an index that may raise */
}

CExpr settle_raising(Gen *g, Node *n, CExpr e) {
    if (!g->checking || !e.code || !plain_value(n->type)) return e;
    bool call = n->kind == ND_CALL && n->callee->kind == ND_NAME && n->builtin == B_NONE &&
                n->callee->sym && n->callee->sym->kind == SYM_FUNC;
    if (!strstr(e.code, "MP_LOC(") && !(call && e.owned)) return e;
    Type *t = n->type;
    const char *name;
    if (!is_heap(t)) {
        name = new_tmp(g, "o");
        emit(g, "%s = %s;", decl(g, t, name), e.code);
        return (CExpr){name, false};
    }
    const char *code =
        e.owned ? e.code
                : gstr(g, "%s(%s)", t->kind == TY_STR ? "mp_str_ref" : "mp_list_ref", e.code);
    name = new_tmp(g, "t");
    emit(g, "%s = %s;", decl(g, t, name), code);
    if (call) gen_check(g); /* the line has no location: check it here */
    /* Held after the check: when it raised, the value is NULL or immortal. */
    Scope *s = temps_scope(g);
    if (s) scope_add(s, name, t);
    return (CExpr){name, false};
}

/* ---- try ----------------------------------------------------------------- */

/* A block of the try statement N, marked so that break, continue and
 * return out of it leave the try and run its finally. */
static void try_block(Gen *g, Node *n, Node *block, bool marked, TryCtx *outer, bool outer_checking,
                      const char *exc, Symbol *as, bool reraise) {
    Scope s;
    g->indent++;
    scope_push(g, &s, false);
    if (marked) {
        s.try_node = n;
        s.try_outer = outer;
        s.try_outer_checking = outer_checking;
    }
    if (exc) {
        bool saved = g->no_check;
        g->no_check = true;
        emit(g, "mp_exc *%s = mp_exc_catch();", exc);
        g->no_check = saved;
        scope_add(&s, exc, type_basic(TY_EXC));
        if (as) mark_unread(g, as);
    }
    for (Node *st = block->body; st; st = st->next) gen_stmt(g, st);
    if (reraise) {
        /* the finally block's end: the exception it set aside goes on */
        emit(g, "mp_exc_reraise(%s);", exc);
        emit(g, "%s = NULL;", exc);
    }
    scope_pop(g, true);
    g->indent--;
}

/* The condition that the pending exception is one handler H catches. */
static const char *handler_test(Gen *g, Node *h) {
    if (!h->lhs) return NULL;
    const char *c = NULL;
    for (Node *k = h->lhs; k; k = k->next) {
        if (k->argc == exc_kind_exception()) return NULL;
        const char *one = gstr(g, "mp_exc_is(%s)", exc_kind_enum(k->argc));
        c = c ? gstr(g, "%s || %s", c, one) : one;
    }
    return c;
}

/* The handlers: the first that matches takes the exception; none does:
 * it is raised again outside (with the finally run first, if any). */
static void gen_handlers(Gen *g, Node *n, bool fin, TryCtx *outer, bool outer_checking) {
    emit(g, "if (mp_exc_flag) {");
    g->indent++;
    bool open = false, catch_all = false;
    for (Node *h = n->then; h && !catch_all; h = h->next) {
        const char *test = handler_test(g, h);
        catch_all = test == NULL;
        if (!open) emit(g, test ? "if (%s) {" : "{", test);
        else if (test) emit(g, "} else if (%s) {", test);
        else emit(g, "} else {");
        open = true;
        const char *exc = h->sym ? cname(g, h->sym) : new_tmp(g, "e");
        const char *saved = g->handled;
        g->handled = exc;
        try_block(g, n, h->body, fin, outer, outer_checking, exc, h->sym, false);
        g->handled = saved;
    }
    if (!catch_all && !fin) {
        /* unmatched: raised again under the try's caller (uncaught there
         * if no try is left) */
        if (open) emit(g, "} else {");
        g->indent += open;
        bool saved = g->no_check;
        g->no_check = true;
        emit(g, "mp_exc_reraise(mp_exc_catch());");
        g->no_check = saved;
        g->indent -= open;
    }
    if (open) emit(g, "}");
    g->indent--;
}

void gen_try(Gen *g, Node *n) {
    int id = ++g->nlabel;
    bool fin = n->rhs != NULL;
    bool outer_checking = g->checking;
    TryCtx *outer = g->trying;
    TryCtx body_ctx = {outer, gstr(g, "x%d", id), g->scope, false};
    TryCtx fin_ctx = {outer, gstr(g, "f%d", id), g->scope, false};
    bool saved = g->no_check;

    emit(g, "mp_try_enter();");
    emit(g, "{");
    g->checking = true;
    g->trying = &body_ctx;
    try_block(g, n, n->lhs, true, outer, outer_checking, NULL, NULL, false);
    emit(g, "}");
    if (body_ctx.used) {
        g->indent--;
        emit(g, "%s:", body_ctx.label);
        g->indent++;
    }
    g->no_check = true;
    if (!fin) emit(g, "mp_try_leave();");
    g->no_check = saved;
    /* Handlers and else run inside the try while a finally is to come
     * (their exceptions go to it), else outside. */
    g->checking = fin || outer_checking;
    g->trying = fin ? &fin_ctx : outer;
    if (n->then) {
        gen_handlers(g, n, fin, outer, outer_checking);
        if (n->els) { /* the body raised nothing */
            emit(g, "} else {");
            try_block(g, n, n->els, fin, outer, outer_checking, NULL, NULL, false);
        }
        emit(g, "}");
    }
    g->checking = outer_checking;
    g->trying = outer;
    if (fin) {
        if (fin_ctx.used) {
            g->indent--;
            emit(g, "%s:", fin_ctx.label);
            g->indent++;
        }
        g->no_check = true;
        emit(g, "mp_try_leave();");
        g->no_check = saved;
        /* The finally block runs with no exception pending: the one in
         * flight (if any) is set aside and raised again after it; an
         * exception, break or return in the block drops it, as Python. */
        emit(g, "{");
        try_block(g, n, n->rhs, false, NULL, false, new_tmp(g, "e"), NULL, true);
        emit(g, "}");
    }
    gen_check(g);
}

/* Leaving scope S (a try body, or a handler or else block before a
 * finally) by break, continue or return: out of the try, and through its
 * finally block, generated here in the try's own C block. */
void leave_try(Gen *g, Scope *s) {
    bool saved = g->no_check;
    g->no_check = true;
    emit(g, "mp_try_leave();");
    g->no_check = saved;
    Node *fin = s->try_node->rhs;
    if (!fin) return;
    Scope *scope = g->scope;
    TryCtx *trying = g->trying;
    bool checking = g->checking;
    g->scope = s->up;
    g->trying = s->try_outer;
    g->checking = s->try_outer_checking;
    emit(g, "{");
    try_block(g, s->try_node, fin, false, NULL, false, NULL, NULL, false);
    emit(g, "}");
    g->scope = scope;
    g->trying = trying;
    g->checking = checking;
}

/* ---- raise and assert ------------------------------------------------- */

/* After a raise: the exception is pending (or the process has ended). */
static void after_raise(Gen *g) {
    if (g->trying || g->def) unwind(g);
}

/* raise KIND(MSG): a str message as it is, any other value through the
 * runtime (str(e) and repr(e) depend on its type, as in Python). */
static void raise_kind(Gen *g, int kind, Node *msg, Span at) {
    const char *m = msg ? borrow(g, msg) : NULL;
    bool saved = g->no_check;
    g->no_check = true;
    if (!m) emit(g, "mp_raise(%s, %s, \"%%s\", \"\");", exc_kind_enum(kind), loc(g, at));
    else if (msg->type->kind == TY_STR)
        emit(g, "mp_raise_str(%s, %s, %s);", exc_kind_enum(kind), m, loc(g, at));
    else
        emit(g, "mp_raise_val(%s, %s, %s, %s);", exc_kind_enum(kind), tdesc(g, msg->type),
             mpval(g, msg->type, m), loc(g, at));
    g->no_check = saved;
}

void gen_raise(Gen *g, Node *n) {
    Scope temps;
    stmt_begin(g, &temps);
    if (!n->lhs || n->argc < 0) {
        const char *e = n->lhs ? cname(g, n->lhs->sym) : g->handled;
        emit(g, "mp_exc_reraise(mp_exc_ref(%s));", e);
    } else {
        raise_kind(g, n->argc, n->rhs, n->span);
    }
    after_raise(g);
    scope_pop(g, false); /* the jump released them */
}

void gen_assert(Gen *g, Node *n) {
    const char *c = gen_cond(g, n->lhs);
    emit(g, "if (!%s) {", c);
    g->indent++;
    Scope temps; /* the message's */
    stmt_begin(g, &temps);
    raise_kind(g, exc_kind_lookup("AssertionError"), n->rhs, n->span);
    after_raise(g);
    scope_pop(g, false);
    g->indent--;
    emit(g, "}");
}
