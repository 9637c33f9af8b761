/* sema: scopes and names, statements, and the parent program's process
 * rules. Expressions and calls are in sema_expr.c, queue and pipe flow in
 * sema_flow.c.
 *
 * Scopes: one hash table maps each name to its innermost Binding; a
 * binding remembers the one it hides, and each scope chains its own
 * bindings, so entering, leaving, declaring and looking up are all O(1)
 * per name. The outermost scopes hold the built-ins, then every def
 * (hoisted), then the parent program's top level. A def's body is checked
 * with its own scopes pushed on top of that; lookups from a def skip the
 * parent's bindings (a def cannot see the parent's variables). */
#include "exc_kinds.h"
#include "sema_impl.h"

#include "../runtime/mpr.h" /* MP_SEM_VALUE_MAX */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------- */

/* type_name into one of a few rotating buffers, so a message can name
 * several types. */
const char *sema_tname(const Type *t) {
    static char bufs[4][128];
    static int next;
    char *b = bufs[next];
    next = (next + 1) % 4;
    if (!t) return "?";
    switch (t->kind) {
    case TY_PROCESS: return "process";
    case TY_GROUP: return "process group";
    case TY_FUNC: return "function";
    case TY_NONE: return "nothing";
    case TY_NULL: return "None";
    default: return type_name(t, b, sizeof bufs[0]);
    }
}

const char *sema_an_word(const char *w) { return w[0] && strchr("aeiouEA", w[0]) ? "an" : "a"; }

const char *sema_an(const Type *t) {
    return t && (t->kind == TY_INT || t->kind == TY_ARRAY || t->kind == TY_EXC ||
                 t->kind == TY_EVENT || t->kind == TY_ASYNC)
               ? "an"
               : "a";
}

const char *sema_sym_what(const SymX *x) {
    switch (x->s.kind) {
    case SYM_VAR: return "variable";
    case SYM_PARAM: return "parameter";
    case SYM_FUNC: return "def";
    case SYM_BUILTIN:
        return builtin_defs[x->s.builtin].kind == BK_VAR ? "built-in name" : "built-in function";
    case SYM_PIPE_END: return "pipe end";
    case SYM_QUEUE: return "queue";
    case SYM_VALUE: return "value";
    case SYM_ARRAY: return "array";
    case SYM_PROCESS: return "process";
    case SYM_GROUP: return "process group";
    case SYM_CONST: return "constant";
    case SYM_SYNC: return type_kind_name(x->s.type->kind);
    }
    return "name";
}

static Span name_span(const Node *n) {
    return n->name_span.end > n->name_span.begin ? n->name_span : n->span;
}

Span sema_params_span(const Node *def) {
    if (!def->params) return name_span(def);
    const Node *last = def->params;
    while (last->next) last = last->next;
    return span_join(def->params->span, last->span);
}

/* Levenshtein distance of A and B, or MAX + 1 when it exceeds MAX. */
size_t sema_edit_distance(const char *a, const char *b, size_t max) {
    size_t la = strlen(a), lb = strlen(b);
    if ((la > lb ? la - lb : lb - la) > max || la > 255 || lb > 255) return max + 1;
    size_t row[256];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best;
        row[0] = best = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best) best = v;
        }
        if (best > max) return max + 1;
    }
    return row[lb];
}

/* ---- symbols and scopes ------------------------------------------------ */

static SymX *sym_new(Sema *S, SymKind kind, const char *name, Type *t, Node *decl, Span at) {
    /* aligned as itself, not max_align_t; only processes and groups
     * have the process fields (most symbols are locals and params) */
    size_t size = kind == SYM_PROCESS || kind == SYM_GROUP ? sizeof(SymX) : offsetof(SymX, started);
    SymX *x = arena_alloc_aligned(S->arena, size, _Alignof(SymX));
    x->s.kind = kind;
    x->s.name = name;
    x->s.type = t;
    x->s.decl = decl;
    x->s.span = at;
    x->def = S->def;
    return x;
}

static void push_scope(Sema *S, Owner owner) {
    Scope *sc = S->free_scopes;
    if (sc) S->free_scopes = sc->parent;
    else sc = arena_alloc(&S->scratch, sizeof *sc);
    sc->owner = owner;
    sc->bindings = NULL;
    sc->parent = S->scope;
    S->scope = sc;
}

static Owner local_owner(const Sema *S) { return S->def ? OWN_DEF : OWN_PARENT; }

static void bind(Sema *S, SymX *x) {
    Binding *b = S->free_bindings;
    if (b) S->free_bindings = b->scope_next;
    else b = arena_alloc(&S->scratch, sizeof *b);
    void **slot = hmap_slot(&S->names, x->s.name);
    b->sym = x;
    b->outer = *slot;
    b->scope = S->scope;
    b->scope_next = S->scope->bindings;
    S->scope->bindings = b;
    *slot = b;
}

static void warn_unused(Sema *S, SymX *x) {
    if (x->s.used || (x->s.flags & SF_NO_UNUSED) || x->s.name[0] == '_') return;
    if (x->s.kind == SYM_PARAM) {
        diag_warning(S->d, W_UNUSED, x->s.span, "parameter '%s' of '%s' is never used", x->s.name,
                     x->def ? x->def->name : "?");
    } else if (x->s.kind == SYM_VAR) {
        if (x->s.decl && x->s.decl->kind == ND_PROCESS)
            diag_warning(S->d, W_UNUSED, x->s.span, "replica index '%s' is never used", x->s.name);
        else if (x->s.flags & SF_ASSIGNED)
            diag_warning(S->d, W_UNUSED, x->s.span, "variable '%s' is assigned but never used",
                         x->s.name);
        else diag_warning(S->d, W_UNUSED, x->s.span, "variable '%s' is never used", x->s.name);
    }
}

static void pop_scope(Sema *S) {
    Scope *sc = S->scope;
    /* newest first: reverse, so warnings come in declaration order */
    Binding *rev = NULL;
    for (Binding *b = sc->bindings, *nx; b; b = nx) {
        nx = b->scope_next;
        b->scope_next = rev;
        rev = b;
    }
    for (Binding *b = rev, *nx; b; b = nx) {
        nx = b->scope_next;
        *hmap_slot(&S->names, b->sym->s.name) = b->outer;
        if (sc->owner == OWN_DEF || sc->owner == OWN_PARENT) warn_unused(S, b->sym);
        b->scope_next = S->free_bindings;
        S->free_bindings = b;
    }
    S->scope = sc->parent;
    sc->parent = S->free_scopes;
    S->free_scopes = sc;
}

SymX *sema_lookup(Sema *S, const char *name, SymX **parent_hit) {
    Binding *b = hmap_get(&S->names, name);
    if (parent_hit) *parent_hit = NULL;
    if (S->def) {
        while (b && b->scope->owner == OWN_PARENT) {
            if (parent_hit && !*parent_hit) *parent_hit = b->sym;
            b = b->outer;
        }
    }
    if (!b) return NULL;
    Type *t = b->sym->s.type;
    if (t && (t->kind == TY_VALUE || t->kind == TY_ARRAY)) sema_def_holds(S, SF_DEF_SHARED);
    return b->sym;
}

SymX *sema_builtin(Sema *S, const char *name) {
    Binding *b = hmap_get(&S->names, name);
    while (b && b->sym->s.kind != SYM_BUILTIN) b = b->outer;
    return b ? b->sym : NULL;
}

/* The closest visible name to NAME, for "did you mean". */
static const char *suggest_name(Sema *S, const char *name) {
    if (S->suggest_budget <= 0) return NULL;
    S->suggest_budget--;
    size_t max = strlen(name) < 3 ? 1 : (strlen(name) + 2) / 3;
    const char *best = NULL;
    size_t bestd = max + 1;
    for (Scope *sc = S->scope; sc; sc = sc->parent) {
        if (S->def && sc->owner == OWN_PARENT) continue;
        for (Binding *b = sc->bindings; b; b = b->scope_next) {
            if (sema_lookup(S, b->sym->s.name, NULL) != b->sym) continue; /* hidden */
            size_t dist = sema_edit_distance(name, b->sym->s.name, max);
            if (dist < bestd) {
                bestd = dist;
                best = b->sym->s.name;
            }
        }
    }
    return best;
}

/* Other languages' spellings of Python's constants, for "did you mean". */
static const struct {
    const char *foreign, *python;
} foreign_names[] = {
    {"nil", "None"},  {"null", "None"},   {"NULL", "None"},    {"none", "None"},
    {"Nil", "None"},  {"Null", "None"},   {"nullptr", "None"}, {"undefined", "None"},
    {"TRUE", "True"}, {"FALSE", "False"},
};

static const char *python_spelling(const char *name) {
    for (size_t i = 0; i < sizeof foreign_names / sizeof foreign_names[0]; i++)
        if (strcmp(name, foreign_names[i].foreign) == 0) return foreign_names[i].python;
    return NULL;
}

void sema_undefined(Sema *S, Node *n) {
    PDecl *pd = hmap_get(&S->parent_names, n->name);
    if (S->in_const && pd && strcmp(pd->what, "constant") != 0) {
        diag_error(S->d, n->span,
                   "'%s' is %s %s of the parent program, not a constant; a constant is "
                   "computed before the program runs",
                   n->name, sema_an_word(pd->what), pd->what);
        diag_note(S->d, pd->at, "'%s' is declared here", n->name);
        return;
    }
    if (S->def && pd) {
        SymX *hit; /* no "unused" warning on top of this error */
        sema_lookup(S, n->name, &hit);
        if (hit) hit->s.used = true;
        pd->used_in_def = true;
        if (strcmp(pd->what, "process") == 0 || strcmp(pd->what, "process group") == 0 ||
            strcmp(pd->what, "Pool") == 0) {
            diag_error(S->d, n->span, "'%s' is a %s of the parent program; a def cannot use %s",
                       n->name, pd->what,
                       strcmp(pd->what, "Pool") == 0 ? "pools" : "the parent program's processes");
            diag_note(S->d, pd->at, "'%s' is declared here", n->name);
        } else {
            diag_error(S->d, n->span,
                       "'%s' is %s %s of the parent program; pass it to '%s' as an argument",
                       n->name, sema_an_word(pd->what), pd->what, S->def->name);
            diag_note(S->d, pd->at, "'%s' is declared here", n->name);
            if (strcmp(pd->what, "variable") == 0)
                diag_note(S->d, pd->at,
                          "or, if its value is known before the program runs, declare it "
                          "with 'const %s = ...': defs see constants",
                          n->name);
        }
        return;
    }
    const char *sug = python_spelling(n->name);
    if (!sug) sug = suggest_name(S, n->name);
    if (sug) diag_error(S->d, n->span, "undefined name '%s'; did you mean '%s'?", n->name, sug);
    else diag_error(S->d, n->span, "undefined name '%s'", n->name);
    if (!S->def && pd && pd->at.begin > n->span.begin)
        diag_note(S->d, pd->at, "'%s' is declared later, here; the parent program runs in order",
                  n->name);
}

/* Binds X in the current scope after the redefinition and shadowing
 * checks. */
static bool declare(Sema *S, SymX *x) {
    const char *name = x->s.name;
    Binding *b = hmap_get(&S->names, name);
    if (b && b->scope == S->scope) {
        if (b->sym->s.kind == SYM_PARAM && x->s.kind == SYM_PARAM)
            diag_error(S->d, x->s.span, "duplicate parameter '%s'", name);
        else diag_error(S->d, x->s.span, "redefinition of '%s'", name);
        if (b->sym->s.kind == SYM_PARAM && x->s.kind != SYM_PARAM)
            diag_note(S->d, b->sym->s.span, "'%s' is a parameter of '%s'", name,
                      S->def ? S->def->name : "?");
        else diag_note(S->d, b->sym->s.span, "previous definition of '%s' is here", name);
        x->s.flags |= SF_NO_UNUSED;
        return false;
    }
    SymX *r = sema_lookup(S, name, NULL);
    if (r && r->s.kind == SYM_CONST && S->scope->owner == OWN_PARENT) {
        diag_error(S->d, x->s.span, "'%s' is a constant; it cannot be declared again", name);
        diag_note(S->d, r->s.span, "'%s' is declared here", name);
        x->s.flags |= SF_NO_UNUSED;
    } else if (r && r->s.kind == SYM_CONST) {
        if (diag_warning(S->d, W_SHADOW, x->s.span, "%s '%s' shadows the constant '%s'",
                         sema_sym_what(x), name, name))
            diag_note(S->d, r->s.span, "'%s' is declared here", name);
    } else if (r && r->s.kind == SYM_FUNC && S->scope->owner == OWN_PARENT) {
        diag_error(S->d, x->s.span,
                   "'%s' is already the name of a def; the parent program cannot reuse it", name);
        diag_note(S->d, r->s.span, "'%s' is defined here", name);
    } else if (r && r->s.kind == SYM_FUNC) {
        if (diag_warning(S->d, W_SHADOW, x->s.span, "%s '%s' shadows the def '%s'",
                         sema_sym_what(x), name, name))
            diag_note(S->d, r->s.span, "'%s' is defined here", name);
    } else if (r && r->s.kind == SYM_BUILTIN) {
        diag_warning(S->d, W_SHADOW, x->s.span, "%s '%s' shadows the %s '%s'", sema_sym_what(x),
                     name, sema_sym_what(r), name);
    }
    /* C declares a name before its initializer runs: `let x = x + 1` in a
     * block would read itself if both were one C name. */
    if (r && r->s.kind != SYM_FUNC && r->s.kind != SYM_BUILTIN) x->s.shadows = r->s.shadows + 1;
    x->s.global = !S->def && S->scope == S->parent_scope;
    if (!S->def) {
        PDecl *pd = hmap_get(&S->parent_names, name);
        if (pd && pd->used_in_def) x->s.flags |= SF_NO_UNUSED;
    }
    bind(S, x);
    return true;
}

SymX *sema_declare_const(Sema *S, Node *n, Type *t) {
    SymX *x = sym_new(S, SYM_CONST, n->name, t, n, name_span(n));
    x->s.flags |= SF_NO_UNUSED;
    declare(S, x);
    return x;
}

/* ---- written types ---------------------------------------------------- */

typedef enum TCtx { TC_PARAM, TC_VAR, TC_RET, TC_MSG, TC_SCALAR } TCtx;

static const char *msg_kinds = "int, float, bool, str or lists of those";

/* Whether T's element types are allowed (list and message elements are
 * messages, value and array elements are scalars); reports at AT. */
static bool wellformed(Sema *S, Type *t, Span at, bool report) {
    if (!t || t->kind == TY_ERROR) return false;
    switch (t->kind) {
    case TY_LIST:
    case TY_CONN:
    case TY_QUEUE:
        if (!wellformed(S, t->elem, at, report)) return false;
        if (!type_is_message(t->elem)) {
            if (report)
                diag_error(S->d, at, "a %s cannot %s %s %s; %s are %s",
                           t->kind == TY_LIST   ? "list"
                           : t->kind == TY_CONN ? "pipe"
                                                : "queue",
                           t->kind == TY_LIST ? "hold" : "carry", sema_an(t->elem),
                           sema_tname(t->elem), t->kind == TY_LIST ? "list elements" : "messages",
                           msg_kinds);
            return false;
        }
        return true;
    case TY_DICT:
    case TY_SET: {
        Type *k = t->kind == TY_DICT ? t->items[0] : t->elem;
        if (!wellformed(S, k, at, report)) return false;
        if (t->kind == TY_DICT && !wellformed(S, t->items[1], at, report)) return false;
        if (!type_is_hashable(k)) {
            Type *u = k->kind == TY_OPTIONAL ? k->elem : k;
            if (report) {
                diag_error(S->d, at, "unhashable type: '%s'", type_kind_name(u->kind));
                diag_note(S->d, at, "a %s is an int, float, bool, str, or a tuple of those",
                          t->kind == TY_DICT ? "dict key" : "set element");
            }
            return false;
        }
        if (t->kind == TY_DICT && !type_is_message(t->items[1])) {
            if (report)
                diag_error(S->d, at, "a dict cannot hold %s %s; its values are %s",
                           sema_an(t->items[1]), sema_tname(t->items[1]), msg_kinds);
            return false;
        }
        return true;
    }
    case TY_TUPLE:
        for (int i = 0; i < t->n; i++) {
            if (!wellformed(S, t->items[i], at, report)) return false;
            if (!type_is_message(t->items[i])) {
                if (report)
                    diag_error(S->d, at, "a tuple cannot hold %s %s; its elements are %s",
                               sema_an(t->items[i]), sema_tname(t->items[i]), msg_kinds);
                return false;
            }
        }
        return true;
    case TY_OPTIONAL:
        if (!wellformed(S, t->elem, at, report)) return false;
        if (!type_is_message(t->elem)) {
            if (report)
                diag_error(S->d, at, "'%s | None' is not a type; '| None' goes with %s",
                           sema_tname(t->elem), msg_kinds);
            return false;
        }
        return true;
    case TY_HANDLES: return wellformed(S, t->elem, at, report);
    case TY_VALUE:
    case TY_ARRAY:
        if (!t->elem || t->elem->kind == TY_ERROR) return false;
        if (!type_is_scalar(t->elem)) {
            if (report)
                diag_error(S->d, at, "%s holds int, float or bool, not %s",
                           t->kind == TY_VALUE ? "a value" : "an array", sema_tname(t->elem));
            return false;
        }
        return true;
    default: return true;
    }
}

/* Whether written type T is well formed and allowed in CTX; reports at AT
 * when REPORT. WHO names the def (TC_RET) or the object (TC_MSG). */
static bool type_ok(Sema *S, Type *t, Span at, TCtx ctx, bool report, const char *who) {
    if (!wellformed(S, t, at, report)) return false;
    switch (ctx) {
    case TC_PARAM:
        if (t->kind == TY_PROCESS || t->kind == TY_GROUP || t->kind == TY_FUNC ||
            t->kind == TY_NONE) {
            if (report)
                diag_error(S->d, at, "a parameter cannot be %s %s", sema_an(t), sema_tname(t));
            return false;
        }
        return true;
    case TC_VAR:
    case TC_RET:
        if (!sema_storable(t)) {
            if (report) {
                if (ctx == TC_RET)
                    diag_error(S->d, at, "'%s' cannot return %s %s", who ? who : "a def",
                               sema_an(t), sema_tname(t));
                else
                    diag_error(S->d, at, "a variable cannot hold %s %s", sema_an(t), sema_tname(t));
                if (t->kind == TY_EXC)
                    diag_note(S->d, at,
                              "a caught exception lives in its handler; keep its message, str(e)");
                else
                    diag_note(S->d, at,
                              "shared objects (pipes, queues, values, arrays) are passed to defs "
                              "as arguments");
            }
            return false;
        }
        return true;
    case TC_MSG:
        if (!type_is_message(t)) {
            if (report)
                diag_error(S->d, at, "%s cannot carry %s %s; messages are %s", who ? who : "a pipe",
                           sema_an(t), sema_tname(t), msg_kinds);
            return false;
        }
        return true;
    case TC_SCALAR: return type_is_scalar(t);
    }
    return true;
}

/* ---- statements ------------------------------------------------------- */

static bool check_stmt(Sema *S, Node *st);

static bool is_exit_call(const Node *st) {
    return st->kind == ND_EXPR_STMT && st->lhs && st->lhs->kind == ND_CALL &&
           st->lhs->builtin == B_EXIT;
}

static void unreachable(Sema *S, Node *st, Node *dead) {
    if (!diag_warning(S->d, W_UNREACHABLE, st->span, "unreachable code")) return;
    switch (dead->kind) {
    case ND_RETURN: diag_note(S->d, dead->span, "after this 'return'"); break;
    case ND_BREAK: diag_note(S->d, dead->span, "after this 'break'"); break;
    case ND_CONTINUE: diag_note(S->d, dead->span, "after this 'continue'"); break;
    case ND_WHILE:
        diag_note(S->d, dead->span,
                  "this loop never ends: its condition is 'True' and it has no 'break'");
        break;
    case ND_IF:
        diag_note(S->d, dead->span,
                  "every branch of this 'if' returns, breaks, continues or exits");
        break;
    default:
        if (is_exit_call(dead)) diag_note(S->d, dead->span, "exit() ends the process");
        else diag_note(S->d, dead->span, "this statement never finishes");
        break;
    }
}

typedef struct ListState {
    bool live, warned;
    Node *dead;
} ListState;

static void list_stmt(Sema *S, ListState *ls, Node *st) {
    if (!ls->live && !ls->warned) {
        unreachable(S, st, ls->dead);
        ls->warned = true;
    }
    narrow_before(S, st);
    bool c = check_stmt(S, st);
    narrow_after(S, st);
    if (ls->live && !c) {
        ls->live = false;
        ls->dead = st;
    }
}

/* Checks a statement list in the current scope; returns whether its end
 * is reachable. */
static bool check_list(Sema *S, Node *list) {
    ListState ls = {true, false, NULL};
    size_t mark = narrow_mark(S);
    for (Node *st = list; st; st = st->next) list_stmt(S, &ls, st);
    narrow_reset(S, mark);
    return ls.live;
}

static bool check_block(Sema *S, Node *block) {
    if (!block) return true;
    push_scope(S, local_owner(S));
    bool c = check_list(S, block->kind == ND_BLOCK ? block->body : block);
    pop_scope(S);
    return c;
}

static void check_cond(Sema *S, Node *cond, const char *what) {
    Type *t = sema_value(S, cond, NULL);
    if (t->kind == TY_BOOL || t->kind == TY_ERROR) return;
    diag_error(S->d, cond->span, "%s condition must be bool, not %s", what, sema_tname(t));
    if (t->kind == TY_INT || t->kind == TY_FLOAT)
        diag_note(S->d, cond->span, "compare it explicitly, for example 'x != 0'");
    else if (t->kind == TY_STR || t->kind == TY_LIST)
        diag_note(S->d, cond->span, "test its length, for example 'len(x) > 0'");
    else if (t->kind == TY_OPTIONAL)
        diag_note(S->d, cond->span, "test it explicitly, for example 'x is not None'");
}

static void check_let(Sema *S, Node *n) {
    Type *decl = n->decl_type;
    Type *t;
    if (decl) {
        if (!type_ok(S, decl, n->type_span.end > n->type_span.begin ? n->type_span : n->span,
                     TC_VAR, true, NULL))
            decl = type_basic(TY_ERROR);
        t = sema_value(S, n->rhs, decl);
        if (!sema_assignable(decl, t) && !sema_none_misuse(S, n->rhs, decl, t)) {
            diag_error(S->d, n->rhs->span, "'%s' is declared as %s but is given %s %s", n->name,
                       sema_tname(decl), sema_an(t), sema_tname(t));
        }
        t = decl;
    } else if (n->rhs->kind == ND_LIST && !n->rhs->elems) {
        diag_error(S->d, n->rhs->span,
                   "cannot infer the type of an empty list; write 'let %s: list[int] = []'",
                   n->name);
        n->rhs->type = t = type_basic(TY_ERROR);
    } else if (n->rhs->kind == ND_DICT && !n->rhs->elems) {
        diag_error(S->d, n->rhs->span,
                   "cannot infer the type of an empty dict; write 'let %s: dict[str, int] = {}'",
                   n->name);
        n->rhs->type = t = type_basic(TY_ERROR);
    } else {
        t = sema_value(S, n->rhs, NULL);
        if (t->kind == TY_NULL && n->unpack) {
            diag_error(S->d, n->rhs->span, "cannot unpack None; only a tuple unpacks");
            t = type_basic(TY_ERROR);
        } else if (t->kind == TY_NULL) {
            diag_error(S->d, n->rhs->span,
                       "cannot infer the type of '%s' from None; write 'let %s: int | None = "
                       "None' with the type it will hold",
                       n->name, n->name);
            t = type_basic(TY_ERROR);
        } else if (t->kind != TY_ERROR && !sema_storable(t)) {
            diag_error(S->d, n->rhs->span, "a variable cannot hold %s %s", sema_an(t),
                       sema_tname(t));
            if (t->kind == TY_EXC)
                diag_note(S->d, n->rhs->span,
                          "a caught exception lives in its handler; keep its message, str(e)");
            else
                diag_note(S->d, n->rhs->span,
                          "shared objects (pipes, queues, values, arrays) are passed to defs as "
                          "arguments");
            t = type_basic(TY_ERROR);
        }
    }
    SymX *x = sym_new(S, SYM_VAR, n->name, t, n, name_span(n));
    if (t->kind == TY_ERROR) x->s.flags |= SF_NO_UNUSED; /* its line has an error already */
    n->sym = &x->s;
    declare(S, x);
}

/* Describes an assignment target for messages: 'x', 'xs[...]'. */
static void target_desc(const Node *t, char *buf, size_t size) {
    if (t->kind == ND_NAME) snprintf(buf, size, "'%s'", t->name);
    else if (t->kind == ND_INDEX && t->lhs->kind == ND_NAME)
        snprintf(buf, size, "'%s[...]'", t->lhs->name);
    else if (t->kind == ND_MEMBER && t->lhs->kind == ND_NAME)
        snprintf(buf, size, "'%s.%s'", t->lhs->name, t->name);
    else snprintf(buf, size, "the target");
}

/* The type of assignment target T, or ERROR (reported). COMPOUND: the
 * target is read too. */
static Type *check_target(Sema *S, Node *t, bool compound) {
    Type *err = type_basic(TY_ERROR);
    switch (t->kind) {
    case ND_NAME: {
        SymX *x = sema_lookup(S, t->name, NULL);
        if (!x) {
            sema_undefined(S, t);
            return t->type = err;
        }
        t->sym = &x->s;
        if (compound) x->s.used = true;
        switch (x->s.kind) {
        case SYM_VAR:
        case SYM_PARAM:
            if (!sema_storable(x->s.type) && x->s.type->kind != TY_ERROR) {
                diag_error(S->d, t->span, "cannot assign to %s '%s' of type %s", sema_sym_what(x),
                           t->name, sema_tname(x->s.type));
                diag_note(S->d, x->s.span, "'%s' is declared here", t->name);
                return t->type = err;
            }
            x->s.flags |= SF_ASSIGNED;
            return t->type = x->s.type;
        case SYM_VALUE:
            diag_error(S->d, t->span, "cannot assign to value '%s'; assign to '%s.value'", t->name,
                       t->name);
            break;
        case SYM_ARRAY:
            diag_error(S->d, t->span,
                       "cannot assign to array '%s'; assign to its elements, '%s[i] = ...'",
                       t->name, t->name);
            break;
        default:
            diag_error(S->d, t->span, "cannot assign to %s '%s'", sema_sym_what(x), t->name);
            break;
        }
        if (x->s.kind != SYM_BUILTIN) diag_note(S->d, x->s.span, "'%s' is declared here", t->name);
        return t->type = err;
    }
    case ND_INDEX: {
        Type *lt = sema_expr(S, t->lhs, NULL);
        if (lt->kind == TY_DICT) { /* d[k] = v: the key's type */
            Type *kt = lt->items[0];
            Type *it = sema_value(S, t->rhs, kt);
            if (!sema_assignable(kt, it) && !sema_none_misuse(S, t->rhs, kt, it))
                diag_error(S->d, t->rhs->span, "a key of %s must be %s, not %s", sema_tname(lt),
                           sema_tname(kt), sema_tname(it));
            return t->type = lt->elem;
        }
        Type *it = sema_value(S, t->rhs, NULL);
        if (it->kind != TY_INT && it->kind != TY_ERROR)
            diag_error(S->d, t->rhs->span, "index must be int, not %s", sema_tname(it));
        switch (lt->kind) {
        case TY_LIST:
        case TY_ARRAY: return t->type = lt->elem;
        case TY_STR:
            diag_error(S->d, t->span, "cannot assign to a character of a str: strs are immutable");
            return t->type = err;
        case TY_ERROR: return t->type = err;
        default:
            diag_error(S->d, t->span, "cannot assign to an element of %s %s", sema_an(lt),
                       sema_tname(lt));
            return t->type = err;
        }
    }
    case ND_MEMBER: return sema_member(S, t, true);
    case ND_CALL:
        sema_expr(S, t, NULL);
        diag_error(S->d, t->span, "cannot assign to a function call");
        return t->type = err;
    default:
        sema_expr(S, t, NULL);
        diag_error(S->d, t->span, "cannot assign to this expression");
        return t->type = err;
    }
}

static void check_assign(Sema *S, Node *n) {
    Type *tt = check_target(S, n->lhs, n->op != OP_NONE);
    char desc[300];
    if (n->op == OP_NONE) {
        Type *rt = sema_value(S, n->rhs, tt->kind == TY_ERROR ? NULL : tt);
        if (!sema_assignable(tt, rt) && !sema_none_misuse(S, n->rhs, tt, rt)) {
            target_desc(n->lhs, desc, sizeof desc);
            diag_error(S->d, n->rhs->span, "cannot assign %s %s to %s of type %s", sema_an(rt),
                       sema_tname(rt), desc, sema_tname(tt));
        }
        return;
    }
    bool empty = n->rhs->kind == ND_LIST && !n->rhs->elems;
    Type *rt = sema_value(S, n->rhs, tt->kind == TY_LIST && empty ? tt : NULL);
    Type *res = sema_binary_type(S, n, n->op, tt, rt);
    if (!sema_assignable(tt, res)) {
        target_desc(n->lhs, desc, sizeof desc);
        diag_error(S->d, n->span, "'%s=' gives %s %s, which cannot be stored in %s of type %s",
                   op_spelling(n->op), sema_an(res), sema_tname(res), desc, sema_tname(tt));
    }
}

static void check_return(Sema *S, Node *n) {
    if (!S->def) {
        diag_error(S->d, n->span, "'return' outside a def");
        diag_note(S->d, n->span, "the parent program ends with exit(code)");
        if (n->lhs) sema_value(S, n->lhs, NULL);
        return;
    }
    Node *def = S->def;
    Type *rt = def->ret_type;
    if (!rt) {
        if (n->lhs) {
            sema_value(S, n->lhs, NULL);
            diag_error(S->d, n->lhs->span, "'%s' does not return a value", def->name);
            diag_note(S->d, name_span(def), "'%s' has no return type; declare one with '-> type'",
                      def->name);
        }
        return;
    }
    Span rspan = def->type_span.end > def->type_span.begin ? def->type_span : name_span(def);
    if (!n->lhs) {
        diag_error(S->d, n->span, "'return' needs a value: '%s' returns %s", def->name,
                   sema_tname(rt));
        diag_note(S->d, rspan, "the return type is declared here");
        return;
    }
    bool ok = type_ok(S, rt, rspan, TC_RET, false, NULL);
    Type *t = sema_value(S, n->lhs, ok ? rt : NULL);
    if (ok && !sema_assignable(rt, t) && !sema_none_misuse(S, n->lhs, rt, t)) {
        diag_error(S->d, n->lhs->span, "'%s' must return %s, not %s", def->name, sema_tname(rt),
                   sema_tname(t));
        diag_note(S->d, rspan, "the return type is declared here");
    }
}

/* Whether BLOCK's last statement stores a T (not None) into S. */
static bool ends_assigning(const Node *block, const Symbol *s) {
    const Node *last = block && block->kind == ND_BLOCK ? block->body : NULL;
    while (last && last->next) last = last->next;
    return last && last->kind == ND_ASSIGN && last->op == OP_NONE && last->lhs->kind == ND_NAME &&
           last->lhs->sym == s && last->rhs->type && last->rhs->type->kind != TY_OPTIONAL &&
           last->rhs->type->kind != TY_NULL && last->rhs->type->kind != TY_ERROR;
}

/* A branch under condition COND taken when COND is TRUTH. */
static bool check_branch(Sema *S, Node *cond, bool truth, Node *block) {
    size_t mark = narrow_mark(S);
    narrow_cond(S, cond, truth);
    bool c = check_block(S, block);
    narrow_reset(S, mark);
    return c;
}

static bool check_if(Sema *S, Node *n) {
    bool completes = false;
    Node *first = n;
    size_t mark = narrow_mark(S);
    for (;;) {
        check_cond(S, n->cond, "'if'");
        completes |= check_branch(S, n->cond, true, n->then);
        narrow_cond(S, n->cond, false); /* what the elifs and else know */
        if (!n->els) break;
        if (n->els->kind == ND_IF) {
            n = n->els;
            continue;
        }
        completes |= check_block(S, n->els);
        narrow_reset(S, mark);
        return completes;
    }
    narrow_reset(S, mark);
    /* `if x is None { return }` and `if x is None { x = 0 }`: x is not
     * None after them */
    if (!first->els) {
        narrow_cond(S, first->cond, false);
        for (size_t i = mark; i < S->narrowed.len; i++)
            if (completes && !ends_assigning(first->then, S->narrowed.items[i]))
                S->narrowed.items[i] = NULL;
    }
    return true;
}

static bool check_while(Sema *S, Node *n) {
    check_cond(S, n->cond, "'while'");
    Loop lp = {S->loop, false};
    S->loop = &lp;
    check_branch(S, n->cond, true, n->body);
    S->loop = lp.outer;
    bool forever = n->cond->kind == ND_BOOL && n->cond->ival;
    return !forever || lp.has_break;
}

/* Whether N contains break or continue, or assigns NAME. */
typedef struct LoopScan {
    const char *name;
    bool found;
} LoopScan;

static bool scan_child(void *ctx, Node *c, const char *role) {
    (void)role;
    LoopScan *l = ctx;
    if (c->kind == ND_BREAK || c->kind == ND_CONTINUE ||
        (c->kind == ND_ASSIGN && c->lhs->kind == ND_NAME && strcmp(c->lhs->name, l->name) == 0) ||
        (c->kind == ND_FOR && strcmp(c->name, l->name) == 0)) {
        l->found = true;
        return true;
    }
    return ast_children(c, false, scan_child, ctx);
}

/* A loop `for i in range(E)`, one argument: `start w[i]` directly in it
 * may start every member of w once (member_at). */
static bool member_range(Node *n) {
    Node *it = n->rhs;
    return it->kind == ND_CALL && it->builtin == B_RANGE && it->args && !it->args->next &&
           it->args->kind != ND_KWARG;
}

/* The body of loop N runs once for each value in order: no break,
 * continue or assignment to its variable. Asked only when a `start`
 * needs it: a walk of the whole body. */
static bool runs_each_once(Node *n) {
    LoopScan l = {n->name, false};
    if (n->body) scan_child(&l, n->body, NULL);
    return !l.found;
}

/* The size E of `range(E)` is the size of group G: len(w), the same
 * literal, or the same constant. */
static bool covers_group(Node *e, SymX *g) {
    Node *count = g->s.decl ? g->s.decl->lhs : NULL;
    if (!count) return false;
    if (e->kind == ND_CALL && e->builtin == B_LEN && e->args && e->args->kind == ND_NAME)
        return e->args->sym == &g->s;
    if (e->kind == ND_INT) return count->kind == ND_INT && count->ival == e->ival;
    if (e->kind == ND_NAME && e->sym && e->sym->kind == SYM_CONST)
        return count->kind == ND_NAME && count->sym == e->sym;
    return false;
}

/* The one type of the elements of tuple type T looped over (IT): all of
 * them must have it. */
static Type *tuple_elem(Sema *S, Node *it, Type *t) {
    for (int i = 1; i < t->n; i++)
        if (t->items[i] != t->items[0]) {
            diag_error(S->d, it->span,
                       "cannot loop over %s: its elements have different types (%s and %s)",
                       sema_tname(t), sema_tname(t->items[0]), sema_tname(t->items[i]));
            diag_note(S->d, it->span, "a loop variable has one type; use a list of one type");
            return type_basic(TY_ERROR);
        }
    if (!t->n) return type_basic(TY_INT); /* an empty tuple: the body never runs */
    return t->items[0];
}

static bool check_for(Sema *S, Node *n) {
    Node *it = n->rhs;
    Type *el;
    S->range_ok = it->kind == ND_CALL;
    Type *t = sema_value(S, it, NULL);
    S->range_ok = false;
    if (it->kind == ND_CALL && it->builtin == B_RANGE) {
        el = type_basic(TY_INT);
    } else {
        switch (t->kind) {
        case TY_LIST:
        case TY_ARRAY:
        case TY_CONN:
        case TY_QUEUE:
        case TY_SET: el = t->elem; break;
        case TY_DICT: el = t->items[0]; break; /* its keys, in insertion order */
        case TY_TUPLE: el = tuple_elem(S, it, t); break;
        case TY_HANDLES:
            diag_error(S->d, it->span, "cannot loop over %s directly", sema_tname(t));
            diag_note(S->d, it->span,
                      "index it, as in 'for k in range(len(%s))': then the compiler sees which "
                      "element each statement uses",
                      it->kind == ND_NAME ? it->name : "xs");
            el = type_basic(TY_ERROR);
            break;
        case TY_STR: el = t; break;
        case TY_FILE: el = type_basic(TY_STR); break; /* its lines */
        case TY_ERROR: el = t; break;
        case TY_OPTIONAL:
        case TY_NULL:
            sema_none_receiver(S, it, t);
            el = type_basic(TY_ERROR);
            break;
        default:
            diag_error(S->d, it->span, "cannot loop over %s %s",
                       t->kind == TY_INT || t->kind == TY_ARRAY ? "an" : "a", sema_tname(t));
            if (t->kind == TY_INT) diag_note(S->d, it->span, "to count, loop over range(n)");
            else if (t->kind == TY_VALUE)
                diag_note(S->d, it->span, "a value holds one %s, in '.value'", sema_tname(t->elem));
            el = type_basic(TY_ERROR);
            break;
        }
        SymX *fx = sema_flow_sym(it); /* also `for x in qs[k]` */
        if (fx && t->kind == TY_QUEUE) {
            flow_direct(S, fx, SF_GETS, it->span);
            flow_direct(S, fx, XF_ITERS, n->span);
        } else if (fx && t->kind == TY_CONN) {
            if (sema_pipe_dir(fx) == 1) sema_pipe_misuse(S, fx, it->span, true);
            flow_direct(S, fx, SF_RECVS, it->span);
        }
    }
    push_scope(S, local_owner(S));
    SymX *x = sym_new(S, SYM_VAR, n->name, el, n, name_span(n));
    x->s.flags |= SF_NO_UNUSED;
    n->sym = &x->s;
    declare(S, x);
    Loop lp = {S->loop, false};
    S->loop = &lp;
    Node *outer_loop = S->member_loop;
    Scope *outer_scope = S->member_loop_scope;
    bool top = S->scope->parent == (S->def ? S->def_scope : S->parent_scope);
    S->member_loop = top && member_range(n) ? n : NULL;
    S->member_loop_scope = S->scope;
    check_list(S, n->body ? (n->body->kind == ND_BLOCK ? n->body->body : n->body) : NULL);
    S->member_loop = outer_loop;
    S->member_loop_scope = outer_scope;
    S->loop = lp.outer;
    pop_scope(S);
    return true;
}

static bool check_lock(Sema *S, Node *n) {
    sema_def_holds(S, SF_DEF_SHARED);
    Type *t = sema_expr(S, n->lhs, NULL);
    const char *kw = n->with ? "with" : "lock";
    if (t->kind != TY_VALUE && t->kind != TY_ARRAY && t->kind != TY_ERROR && !type_is_lockish(t)) {
        if (n->with)
            diag_error(S->d, n->lhs->span,
                       "'with' needs a Lock, RLock, Semaphore, BoundedSemaphore, Condition, value "
                       "or array, not %s %s",
                       sema_an_word(sema_tname(t)), sema_tname(t));
        else
            diag_error(S->d, n->lhs->span, "'lock' needs a value or an array, not %s %s",
                       sema_an(t), sema_tname(t));
        if (t->kind == TY_EVENT || t->kind == TY_BARRIER)
            diag_note(S->d, n->lhs->span, "%s %s is waited for with '%s.wait()'",
                      sema_an_word(sema_tname(t)), sema_tname(t),
                      n->lhs->kind == ND_NAME ? n->lhs->name : "obj");
    } else if (t->kind == TY_ARRAY && t->raw) {
        diag_error(S->d, n->lhs->span, "'%s' needs a lock, and %s has none", kw, sema_tname(t));
        diag_note(S->d, n->lhs->span,
                  "an array declared 'lock=False' is raw, as Python's: declare it without "
                  "'lock=False' to lock it");
    } else if (t->kind != TY_ERROR && n->lhs->kind != ND_NAME) {
        diag_error(S->d, n->lhs->span, "'%s' needs the name of the object it holds", kw);
    }
    return check_block(S, n->body);
}

/* ---- exceptions --------------------------------------------------------- */

/* The kind NAME names, or -1 after a located error (with a "did you mean"
 * among the kinds). */
static int exc_kind_of(Sema *S, Node *name) {
    if (name->kind == ND_MEMBER) { /* raise queue.Empty: `queue` read as a name */
        size_t na = strlen(name->lhs->name), nb = strlen(name->name);
        char *s = arena_alloc(S->arena, na + nb + 2);
        memcpy(s, name->lhs->name, na);
        s[na] = '.';
        memcpy(s + na + 1, name->name, nb + 1);
        name = node_new(S->arena, ND_NAME, name->span);
        name->name = s;
    }
    int k = exc_kind_lookup(name->name);
    if (k >= 0) return k;
    diag_error(S->d, name->span, "unknown exception kind '%s'", name->name);
    const char *best = NULL;
    size_t bestd = 3;
    for (int i = 0; i < exc_kind_count(); i++) {
        size_t dist = sema_edit_distance(name->name, exc_kind_name(i), 2);
        if (dist < bestd) {
            bestd = dist;
            best = exc_kind_name(i);
        }
    }
    if (best) diag_note(S->d, name->span, "did you mean '%s'?", best);
    else
        diag_note(S->d, name->span,
                  "the kinds are Python's: Exception, ValueError, TypeError, IndexError, "
                  "KeyError, LookupError, ZeroDivisionError, OverflowError, ArithmeticError, ...");
    return -1;
}

/* Whether every kind handler H catches is caught by an earlier handler of
 * the same try (FIRST up to H); then H can never run. */
static Node *handler_shadowed(Node *first, Node *h) {
    for (Node *e = first; e != h; e = e->next) {
        if (!e->lhs) return e; /* a bare except catches everything */
        bool all = true;
        for (Node *k = h->lhs; k && all; k = k->next) {
            bool caught = false;
            for (Node *b = e->lhs; b; b = b->next)
                caught |= k->argc >= 0 && b->argc >= 0 && exc_kind_sub(k->argc, b->argc);
            all = caught;
        }
        if (h->lhs && all) return e;
    }
    return NULL;
}

static bool check_handler(Sema *S, Node *try_node, Node *h) {
    for (Node *k = h->lhs; k; k = k->next) k->argc = exc_kind_of(S, k);
    Node *by = handler_shadowed(try_node->then, h);
    if (by && diag_warning(S->d, W_UNREACHABLE, h->span, "this 'except' can never run"))
        diag_note(S->d, by->span, "an earlier 'except' catches every exception it names");
    push_scope(S, local_owner(S));
    if (h->name) {
        SymX *x = sym_new(S, SYM_VAR, h->name, type_basic(TY_EXC), h, name_span(h));
        x->s.flags |= SF_NO_UNUSED;
        h->sym = &x->s;
        declare(S, x);
    }
    S->handlers++;
    bool c = check_list(S, h->body ? h->body->body : NULL);
    S->handlers--;
    pop_scope(S);
    return c;
}

/* try: the end is reached when the body (then its else) or any handler
 * ends normally, and the finally block does. */
static bool check_try(Sema *S, Node *n) {
    sema_def_holds(S, SF_DEF_TRIES);
    bool completes = check_block(S, n->lhs);
    if (n->els) completes = check_block(S, n->els) && completes;
    for (Node *h = n->then; h; h = h->next) completes |= check_handler(S, n, h);
    if (n->rhs) completes = check_block(S, n->rhs) && completes;
    return completes;
}

/* ---- select ------------------------------------------------------------- */

/* The source a receiving case takes from (`rx` of `rx.recv()`), or NULL
 * after a located error. The call must be recv() or get() with no
 * arguments, on a pipe end or a queue. */
static Node *case_source(Sema *S, Node *c) {
    Node *call = c->rhs;
    bool shape =
        call->kind == ND_CALL && call->callee->kind == ND_MEMBER && !call->args &&
        (strcmp(call->callee->name, "recv") == 0 || strcmp(call->callee->name, "get") == 0);
    if (!shape) {
        diag_error(S->d, call->span, "a select case receives with 'END.recv()' or 'QUEUE.get()'");
        diag_note(S->d, call->span,
                  "with no arguments: the select waits; a 'timeout' case bounds the wait");
        return NULL;
    }
    Type *t = sema_value(S, call, NULL);
    if (t->kind == TY_ERROR) return NULL;
    if (call->builtin != M_RECV && call->builtin != M_GET) {
        Type *st = call->callee->lhs->type;
        diag_error(S->d, call->callee->lhs->span,
                   "a select case receives from a pipe end or a queue, not %s %s", sema_an(st),
                   sema_tname(st));
        return NULL;
    }
    return call->callee->lhs;
}

/* The source of receiving case C once checked without error, else NULL. */
static Node *checked_source(const Node *c) {
    const Node *call = c->rhs;
    if (c->argc != CASE_RECV || call->kind != ND_CALL || call->callee->kind != ND_MEMBER ||
        (call->builtin != M_RECV && call->builtin != M_GET))
        return NULL;
    return call->callee->lhs;
}

/* The symbol of a source: a name, or an element of an array of pipes or
 * queues by a constant index; NULL for an index known only when running. */
static Symbol *source_sym(const Node *n) {
    if (n->kind == ND_NAME) return n->sym;
    if (n->kind != ND_INDEX || n->lhs->kind != ND_NAME || !n->lhs->sym) return NULL;
    Symbol *a = n->lhs->sym;
    return a->elems && n->argc > 0 && n->argc <= a->count ? a->elems[n->argc - 1] : NULL;
}

/* Two sources are the same object when they name the same symbol, or
 * index the same array with the same variable. */
bool sema_same_source(const Node *a, const Node *b) {
    if (!a || !b) return false;
    Symbol *sa = source_sym(a), *sb = source_sym(b);
    if (sa || sb) return sa == sb;
    return a->kind == ND_INDEX && b->kind == ND_INDEX && a->argc == 0 && b->argc == 0 &&
           a->lhs->kind == ND_NAME && b->lhs->kind == ND_NAME && a->lhs->sym == b->lhs->sym &&
           a->rhs->kind == ND_NAME && b->rhs->kind == ND_NAME && a->rhs->sym &&
           a->rhs->sym == b->rhs->sym;
}

/* How messages name a source: `rx`, `b[2]`, `ends[k]`, or `it`. */
static const char *source_name(Sema *S, const Node *n) {
    Symbol *s = source_sym(n);
    if (s) return s->name;
    if (n->kind == ND_INDEX && n->lhs->kind == ND_NAME && n->rhs->kind == ND_NAME) {
        size_t a = strlen(n->lhs->name), i = strlen(n->rhs->name);
        char *buf = arena_alloc(S->arena, a + i + 3);
        memcpy(buf, n->lhs->name, a);
        buf[a] = '[';
        memcpy(buf + a + 1, n->rhs->name, i);
        memcpy(buf + a + 1 + i, "]", 2);
        return buf;
    }
    return "it";
}

/* The type of case C's variable (kept in its ND_LET's type): the written
 * type must be what the source carries. */
static void case_var_type(Sema *S, Node *c, Type *el) {
    Node *v = c->lhs;
    Type *t = el;
    if (v->decl_type) {
        Span at = v->type_span.end > v->type_span.begin ? v->type_span : v->span;
        t = type_ok(S, v->decl_type, at, TC_VAR, true, NULL) ? v->decl_type : type_basic(TY_ERROR);
        if (t->kind != TY_ERROR && el->kind != TY_ERROR && t != el) {
            diag_error(
                S->d, at, "'%s' is declared as %s but '%s' gives %s %s", v->name, sema_tname(t),
                c->rhs->callee->lhs->kind == ND_NAME ? c->rhs->callee->lhs->name : "the source",
                sema_an(el), sema_tname(el));
            t = type_basic(TY_ERROR);
        }
    }
    v->type = t;
}

static void case_variable(Sema *S, Node *c) {
    Node *v = c->lhs;
    SymX *x = sym_new(S, SYM_VAR, v->name, v->type, v, name_span(v));
    x->s.flags |= SF_NO_UNUSED;
    v->sym = &x->s;
    declare(S, x);
}

/* The receiving case of SRC among the select's cases before END. */
static Node *case_of(Node *first, Node *end, Node *src) {
    for (Node *c = first; c != end; c = c->next)
        if (sema_same_source(checked_source(c), src)) return c;
    return NULL;
}

/* An eof case names a source one of the select's receiving cases uses;
 * on a queue it waits, as a for loop does, for every producer to end. */
static void check_eof_case(Sema *S, Node *sel, Node *c, Node **srcs, int nsrc) {
    Type *t = sema_value(S, c->rhs, NULL);
    if (t->kind == TY_ERROR) return;
    if (t->kind != TY_CONN && t->kind != TY_QUEUE) {
        diag_error(S->d, c->rhs->span, "'eof' names a pipe end or a queue, not %s %s", sema_an(t),
                   sema_tname(t));
        return;
    }
    bool found = false;
    for (int i = 0; i < nsrc && !found; i++) found = sema_same_source(srcs[i], c->rhs);
    if (!found) {
        diag_error(S->d, c->rhs->span, "'eof %s': no case of this select receives from '%s'",
                   source_name(S, c->rhs), source_name(S, c->rhs));
        diag_note(S->d, sel->span, "add 'case msg = %s.%s() { ... }'", source_name(S, c->rhs),
                  t->kind == TY_CONN ? "recv" : "get");
        return;
    }
    for (Node *e = sel->body; e != c; e = e->next)
        if (e->argc == CASE_EOF && sema_same_source(e->rhs, c->rhs)) {
            diag_error(S->d, c->rhs->span, "a second 'eof' case for '%s' in this select",
                       source_name(S, c->rhs));
            diag_note(S->d, e->span, "the first one is here");
            return;
        }
    SymX *fx = sema_flow_sym(c->rhs);
    if (fx && t->kind == TY_QUEUE) {
        bool first = !fx->fi || !(fx->fi->direct & XF_ITERS);
        flow_direct(S, fx, XF_ITERS, c->span);
        if (first) fx->fi->iter_eof = true;
    }
}

static void check_timeout_case(Sema *S, Node *sel, Node *c) {
    for (Node *e = sel->body; e != c; e = e->next)
        if (e->argc == CASE_TIMEOUT) {
            diag_error(S->d, c->span, "a select has at most one 'timeout' case");
            diag_note(S->d, e->span, "the first one is here");
            return;
        }
    Type *t = sema_value(S, c->rhs, type_basic(TY_FLOAT));
    if (t->kind != TY_ERROR && t->kind != TY_INT && t->kind != TY_FLOAT)
        diag_error(S->d, c->rhs->span, "'timeout' needs a number of seconds, not %s %s", sema_an(t),
                   sema_tname(t));
}

/* select { case m = src.recv() {...} eof src {...} timeout s {...} }:
 * first the sources and the case heads in order, then each body in its
 * own scope (a receiving case's variable lives in it). The end is reached
 * when some case's body ends normally. */
static bool check_select(Sema *S, Node *n) {
    int nsrc = 0, nrecv = 0;
    for (Node *c = n->body; c; c = c->next) nrecv += c->argc == CASE_RECV;
    Node **srcs = arena_alloc(S->arena, (size_t)(nrecv ? nrecv : 1) * sizeof *srcs);
    for (Node *c = n->body; c; c = c->next) {
        if (c->argc != CASE_RECV) continue;
        Node *src = case_source(S, c);
        if (c->lhs) case_var_type(S, c, src ? c->rhs->type : type_basic(TY_ERROR));
        if (!src) continue;
        SymX *fx = sema_flow_sym(src);
        if (fx && src->type->kind == TY_QUEUE) flow_direct(S, fx, SF_SELECTS, src->span);
        Node *first = case_of(n->body, c, src);
        if (first) {
            diag_error(S->d, src->span, "'%s' is given twice in this select", source_name(S, src));
            diag_note(S->d, first->span, "its first case is here; one case per source");
        }
        srcs[nsrc++] = src;
    }
    if (!nrecv) {
        diag_error(S->d, n->span, "a select needs at least one case that receives");
        diag_note(S->d, n->span,
                  "case msg = END.recv() { ... } or case item = QUEUE.get() { ... }");
    }
    for (Node *c = n->body; c; c = c->next) {
        if (c->argc == CASE_EOF) check_eof_case(S, n, c, srcs, nsrc);
        else if (c->argc == CASE_TIMEOUT) check_timeout_case(S, n, c);
    }
    bool completes = !n->body;
    for (Node *c = n->body; c; c = c->next) {
        push_scope(S, local_owner(S));
        if (c->lhs) case_variable(S, c);
        completes |= check_list(S, c->body ? c->body->body : NULL);
        pop_scope(S);
    }
    return completes;
}

/* An exception's argument: any value (None too), as in Python. */
static void check_message(Sema *S, Node *msg, const char *what) {
    Type *t = sema_value(S, msg, NULL);
    if (t->kind != TY_ERROR && t->kind != TY_NULL && !sema_storable(t))
        diag_error(S->d, msg->span, "%s message cannot be %s %s", what, sema_an(t), sema_tname(t));
}

static void check_raise(Sema *S, Node *n) {
    Node *e = n->lhs;
    if (!e) {
        if (S->handlers == 0) {
            diag_error(S->d, n->span, "'raise' without an exception outside an 'except' block");
            diag_note(S->d, n->span,
                      "a bare 'raise' re-raises the exception being handled; Python raises "
                      "RuntimeError: No active exception to reraise");
        }
        return;
    }
    if (e->kind == ND_NAME) {
        SymX *x = sema_lookup(S, e->name, NULL);
        if (x && x->s.type && x->s.type->kind == TY_EXC) {
            sema_value(S, e, NULL);
            n->argc = -1;
            return;
        }
        if (!x || exc_kind_lookup(e->name) >= 0) {
            n->argc = exc_kind_of(S, e);
            return;
        }
    }
    if (e->kind == ND_MEMBER && e->lhs->kind == ND_NAME && e->builtin == B_NONE) {
        n->argc = exc_kind_of(S, e);
        return;
    }
    if (e->kind == ND_CALL && (e->callee->kind == ND_NAME ||
                               (e->callee->kind == ND_MEMBER && e->callee->lhs->kind == ND_NAME))) {
        n->argc = exc_kind_of(S, e->callee);
        int argc = 0;
        for (Node *a = e->args; a; a = a->next) {
            if (a->kind == ND_KWARG) {
                diag_error(S->d, a->span, "an exception takes no keyword arguments");
                return;
            }
            argc++;
        }
        if (argc > 1) {
            diag_error(S->d, e->args->next->span, "an exception takes one message, not %d", argc);
            diag_note(S->d, e->span, "format several values into one string: \"{a} {b}\"");
            return;
        }
        if (e->args) {
            check_message(S, e->args, "an exception's");
            n->rhs = e->args;
        }
        return;
    }
    Type *t = sema_value(S, e, NULL);
    if (t->kind != TY_ERROR)
        diag_error(S->d, e->span, "'raise' needs an exception, not %s %s", sema_an(t),
                   sema_tname(t));
    diag_note(S->d, e->span,
              "raise a kind with its message, 'raise ValueError(\"...\")', or a caught "
              "exception 'e'");
}

static void check_assert(Sema *S, Node *n) {
    check_cond(S, n->lhs, "'assert'");
    if (n->rhs) check_message(S, n->rhs, "an 'assert'");
}

/* ---- the parent's declarations ---------------------------------------- */

static Span type_span_or(const Node *n) {
    return n->type_span.end > n->type_span.begin ? n->type_span : n->span;
}

static SymX *declare_top(Sema *S, Node *n, SymKind kind, const char *name, Span at, Type *t) {
    SymX *x = sym_new(S, kind, name, t, n, at);
    declare(S, x);
    return x;
}

static void check_int_expr(Sema *S, Node *e, const char *fmt, const char *name) {
    Type *t = sema_value(S, e, NULL);
    if (t->kind != TY_INT && t->kind != TY_ERROR) {
        char msg[400];
        snprintf(msg, sizeof msg, fmt, name);
        diag_error(S->d, e->span, "%s must be int, not %s", msg, sema_tname(t));
    }
}

/* ---- arrays of pipes and queues ---------------------------------------- */

/* The number of elements of an array of pipes or queues, COUNT: a
 * constant, so that the topology (who holds which element) is known
 * before running; -1 after an error. */
static int64_t handle_count(Sema *S, Node *count, const char *what, const char *name) {
    Type *t = sema_value(S, count, NULL);
    int64_t k;
    if (t->kind == TY_ERROR) return -1;
    if (t->kind != TY_INT || !sema_const_int(count, &k)) {
        diag_error(S->d, count->span, "the size of an array of %s must be a constant int", what);
        diag_note(S->d, count->span,
                  "a literal or a 'const', as in '%s[4]': the compiler gives each process its "
                  "own elements",
                  name);
        return -1;
    }
    if (k < 1 || k > MAX_HANDLES) {
        diag_error(S->d, count->span, "an array of %s has 1 to %d elements, not %lld", what,
                   MAX_HANDLES, (long long)k);
        return -1;
    }
    return k;
}

/* Array symbol X of N elements: one symbol per element, "a[k]". */
static void make_elems(Sema *S, SymX *x, int64_t n) {
    if (n < 1 || x->s.type->kind != TY_HANDLES) return;
    x->s.count = (int32_t)n;
    x->s.elems = arena_alloc(S->arena, (size_t)n * sizeof *x->s.elems);
    for (int64_t k = 0; k < n; k++) {
        char nm[300];
        int len = snprintf(nm, sizeof nm, "%s[%lld]", x->s.name, (long long)k);
        SymX *e = sym_new(S, x->s.kind, arena_strndup(S->arena, nm, (size_t)len), x->s.type->elem,
                          x->s.decl, x->s.span);
        e->s.global = x->s.global;
        e->s.used = true;
        e->s.array = &x->s;
        e->s.elem_index = (int32_t)k;
        x->s.elems[k] = &e->s;
    }
}

static void check_pipe(Sema *S, Node *n) {
    Type *ct = type_basic(TY_ERROR);
    int64_t count = 0;
    if (type_ok(S, n->decl_type, type_span_or(n), TC_MSG, true, "a pipe"))
        ct = type_of(TY_CONN, n->decl_type);
    if (n->rhs && n->lhs) { /* pipe a[N], b[N]: T */
        count = handle_count(S, n->rhs, "pipes", n->name);
        int64_t c2 = handle_count(S, n->lhs, "pipes", n->name2);
        if (count > 0 && c2 > 0 && c2 != count)
            diag_error(S->d, n->lhs->span,
                       "both ends of an array of pipes have one size: '%s' has %lld, '%s' %lld",
                       n->name, (long long)count, n->name2, (long long)c2);
        if (ct->kind != TY_ERROR) ct = type_of(TY_HANDLES, ct);
    }
    SymX *a = declare_top(S, n, SYM_PIPE_END, n->name, name_span(n), ct);
    n->sym = &a->s;
    Span s2 = n->name2_span.end > n->name2_span.begin ? n->name2_span : n->span;
    SymX *b = declare_top(S, n, SYM_PIPE_END, n->name2, s2, ct);
    n->sym2 = &b->s;
    make_elems(S, a, count);
    make_elems(S, b, count);
}

static void check_queue(Sema *S, Node *n) {
    Type *qt = type_basic(TY_ERROR);
    int64_t count = 0;
    if (type_ok(S, n->decl_type, type_span_or(n), TC_MSG, true, "a queue"))
        qt = n->joinable ? type_joinable_queue(n->decl_type) : type_of(TY_QUEUE, n->decl_type);
    if (n->rhs) { /* queue q[N]: T */
        count = handle_count(S, n->rhs, "queues", n->name);
        if (qt->kind != TY_ERROR) qt = type_of(TY_HANDLES, qt);
    }
    if (n->lhs) check_int_expr(S, n->lhs, "the bound of queue '%s'", n->name);
    SymX *q = declare_top(S, n, SYM_QUEUE, n->name, name_span(n), qt);
    n->sym = &q->s;
    make_elems(S, q, count);
}

static Type *shared_elem(Sema *S, Node *n, const char *what) {
    Type *t = n->decl_type;
    if (!t || t->kind == TY_ERROR) return type_basic(TY_ERROR);
    if (!type_is_scalar(t)) {
        diag_error(S->d, type_span_or(n), "%s holds int, float or bool, not %s", what,
                   sema_tname(t));
        return type_basic(TY_ERROR);
    }
    return t;
}

static void check_value_decl(Sema *S, Node *n) {
    Type *el = shared_elem(S, n, "a value");
    if (n->rhs) {
        Type *t = sema_value(S, n->rhs, el);
        if (!sema_assignable(el, t))
            diag_error(S->d, n->rhs->span, "the initial value of '%s' must be %s, not %s", n->name,
                       sema_tname(el), sema_tname(t));
    }
    Type *vt = el->kind == TY_ERROR ? el : type_of(TY_VALUE, el);
    n->sym = &declare_top(S, n, SYM_VALUE, n->name, name_span(n), vt)->s;
}

/* `, lock=False` after an array: Python's Array(..., lock=False), a raw
 * array. Its type depends on it, so it must be written True or False. */
static bool array_raw(Sema *S, Node *n) {
    Node *o = n->lock_opt;
    if (!o) return false;
    if (strcmp(o->name, "lock") != 0) {
        diag_error(S->d, o->name_span, "an array takes 'lock=', not '%s='", o->name);
        return false;
    }
    if (o->lhs->kind != ND_BOOL) {
        sema_expr(S, o->lhs, NULL);
        diag_error(S->d, o->lhs->span, "'lock=' of array '%s' must be written True or False",
                   n->name);
        diag_note(S->d, o->lhs->span,
                  "the array's type depends on it: 'lock=False' makes a rawarray[T]");
        return false;
    }
    o->lhs->type = type_basic(TY_BOOL);
    return !o->lhs->ival;
}

static void check_array_decl(Sema *S, Node *n) {
    Type *el = shared_elem(S, n, "an array");
    if (n->lhs) check_int_expr(S, n->lhs, "the size of array '%s'", n->name);
    if (n->rhs) {
        Type *want = el->kind == TY_ERROR ? NULL : type_of(TY_LIST, el);
        Type *t = sema_value(S, n->rhs, want);
        if (want && !sema_assignable(want, t))
            diag_error(S->d, n->rhs->span, "the initial value of array '%s' must be %s, not %s",
                       n->name, sema_tname(want), sema_tname(t));
    }
    Type *at = el->kind == TY_ERROR ? el : type_of(TY_ARRAY, el);
    if (array_raw(S, n) && el->kind != TY_ERROR) at = type_raw_array(el);
    n->sym = &declare_top(S, n, SYM_ARRAY, n->name, name_span(n), at)->s;
}

/* The options after a process's call, as Process()'s keywords: `name=`
 * (a str, evaluated per replica with the index in scope) and `daemon=`
 * (a bool). Returns whether it is surely a daemon (daemon=True). */
static bool check_proc_opts(Sema *S, Node *n) {
    bool daemon = false;
    for (Node *o = n->body; o; o = o->next) {
        for (Node *e = n->body; e != o; e = e->next)
            if (strcmp(e->name, o->name) == 0) {
                diag_error(S->d, o->name_span, "process '%s' is given '%s=' twice", n->name,
                           o->name);
                break;
            }
        bool is_name = strcmp(o->name, "name") == 0, is_daemon = strcmp(o->name, "daemon") == 0;
        if (!is_name && !is_daemon) {
            diag_error(S->d, o->name_span, "a process takes 'name=' and 'daemon=', not '%s='",
                       o->name);
            sema_value(S, o->lhs, NULL);
            continue;
        }
        Type *want = type_basic(is_name ? TY_STR : TY_BOOL);
        Type *t = sema_value(S, o->lhs, want);
        if (!sema_assignable(want, t))
            diag_error(S->d, o->lhs->span, "'%s=' of a process must be %s, not %s", o->name,
                       sema_tname(want), sema_tname(t));
        if (is_daemon && o->lhs->kind == ND_BOOL && o->lhs->ival) daemon = true;
    }
    return daemon;
}

/* An int the compiler knows: a literal, its negation, or a constant. */
static bool known_int(const Node *e, int64_t *v) {
    if (e->kind == ND_INT) return *v = e->ival, true;
    if (e->kind == ND_UNARY && e->op == OP_NEG && e->lhs->kind == ND_INT &&
        e->lhs->ival > INT64_MIN)
        return *v = -e->lhs->ival, true;
    if (e->kind == ND_NAME && e->sym && e->sym->kind == SYM_CONST && e->sym->decl->lhs &&
        e->sym->decl->lhs->kind == ND_INT)
        return *v = e->sym->decl->lhs->ival, true;
    return false;
}

/* Lock m, RLock r, Semaphore s = N, BoundedSemaphore b = N, Event e,
 * Condition c (= lock), Barrier b = parties. */
static void check_sync_decl(Sema *S, Node *n) {
    Type *t = n->decl_type;
    const char *kind = type_kind_name(t->kind);
    Node *init = n->rhs;
    int64_t v;
    switch (t->kind) {
    case TY_SEMAPHORE:
    case TY_BSEMAPHORE:
    case TY_BARRIER:
        if (!init) {
            if (t->kind == TY_BARRIER)
                diag_error(S->d, n->span,
                           "a Barrier needs its number of parties, as in 'Barrier %s = 4'",
                           n->name);
            break;
        }
        check_int_expr(S, init, t->kind == TY_BARRIER ? "the parties of '%s'" : "the value of '%s'",
                       n->name);
        if (known_int(init, &v) && t->kind != TY_BARRIER && v < 0)
            diag_error(S->d, init->span, "semaphore initial value must be >= 0");
        else if (known_int(init, &v) && t->kind != TY_BARRIER && v > MP_SEM_VALUE_MAX)
            diag_error(S->d, init->span, "semaphore initial value must be <= %d", MP_SEM_VALUE_MAX);
        else if (known_int(init, &v) && t->kind == TY_BARRIER && v < 1)
            diag_error(S->d, init->span, "parties must be > 0");
        break;
    case TY_POOL: /* Pool P = processes; without: os.cpu_count() */
        if (!init) break;
        check_int_expr(S, init, "the number of processes of '%s'", n->name);
        if (known_int(init, &v) && v < 1)
            diag_error(S->d, init->span, "Number of processes must be at least 1");
        break;
    case TY_CONDITION:
        if (!init) break;
        Type *lt = sema_expr(S, init, NULL);
        if (lt->kind != TY_ERROR &&
            (init->kind != ND_NAME || (lt->kind != TY_LOCK && lt->kind != TY_RLOCK)))
            diag_error(S->d, init->span,
                       "a Condition's lock is the name of a Lock or an RLock, not %s %s",
                       sema_an_word(sema_tname(lt)), sema_tname(lt));
        break;
    default:
        if (init) {
            sema_value(S, init, NULL);
            diag_error(S->d, init->span, "%s %s takes no value: '%s %s'", sema_an_word(kind), kind,
                       kind, n->name);
        }
        break;
    }
    n->sym = &declare_top(S, n, SYM_SYNC, n->name, name_span(n), t)->s;
}

/* Statement N is, or holds in its blocks, a way out of the def: return,
 * raise or exit(). */
static bool leaves_child(void *ctx, Node *c, const char *role);

static bool leaves_def(Node *n) {
    if (n->kind == ND_RETURN || n->kind == ND_RAISE || is_exit_call(n)) return true;
    return ast_children(n, false, leaves_child, NULL);
}

static bool leaves_child(void *ctx, Node *c, const char *role) {
    (void)ctx;
    (void)role;
    return leaves_def(c);
}

/* `process c = f(...)` in f itself: each process would start another
 * without end unless some statement before it can leave f (the guard of
 * the recursion, `if depth == 0 { return }`). */
static void check_recursion(Sema *S, Node *n, SymX *f) {
    if (!S->def || f->s.decl != S->def) return;
    for (Node *st = S->def->body->body; st && st != n; st = st->next)
        if (leaves_def(st)) return;
    diag_error(S->d, n->rhs->span,
               "process '%s' runs '%s' again before '%s' can return: every process would start "
               "another, without end",
               n->name, S->def->name, S->def->name);
    diag_note(S->d, name_span(S->def),
              "end the recursion first, before the declaration: 'if depth == 0 { return }'");
}

static void check_process(Sema *S, Node *n) {
    sema_def_holds(S, SF_DEF_PROCS);
    bool group = n->lhs != NULL;
    if (group) check_int_expr(S, n->lhs, "the number of processes in '%s'", n->name);
    if (n->index_name) {
        push_scope(S, local_owner(S));
        Span is = n->index_span.end > n->index_span.begin ? n->index_span : n->span;
        SymX *ix = sym_new(S, SYM_VAR, n->index_name, type_basic(TY_INT), n, is);
        n->sym2 = &ix->s;
        declare(S, ix);
    }
    Node *call = n->rhs;
    if (!call || call->kind != ND_CALL) {
        if (call) sema_value(S, call, NULL);
        diag_error(S->d, call ? call->span : n->span,
                   "a process runs a call of a def: 'process %s = f(...)'", n->name);
    } else {
        Node *c = call->callee;
        SymX *f = c->kind == ND_NAME ? sema_lookup(S, c->name, NULL) : NULL;
        if (f && f->s.kind == SYM_FUNC) {
            c->sym = &f->s;
            f->s.used = true;
            S->proc_decl = n; /* `a[i]`: replica i's own element */
            call->type = sema_def_call(S, call, f, true);
            S->proc_decl = NULL;
            check_recursion(S, n, f);
        } else {
            if (c->kind == ND_NAME && !f) {
                sema_undefined(S, c);
            } else if (f) {
                c->sym = &f->s;
                f->s.used = true;
                diag_error(S->d, c->span, "a process runs a def, and '%s' is %s %s", c->name,
                           sema_an_word(sema_sym_what(f)), sema_sym_what(f));
            } else {
                if (c->kind == ND_MEMBER) sema_expr(S, c->lhs, NULL);
                else sema_expr(S, c, NULL);
                diag_error(S->d, c->span, "a process runs a def, not a method or an expression");
            }
            for (Node *a = call->args; a; a = a->next)
                sema_value(S, a->kind == ND_KWARG ? a->lhs : a, NULL);
            call->type = type_basic(TY_ERROR);
        }
    }
    bool daemon = check_proc_opts(S, n);
    if (n->index_name) pop_scope(S);
    SymX *p = sym_new(S, group ? SYM_GROUP : SYM_PROCESS, n->name,
                      type_basic(group ? TY_GROUP : TY_PROCESS), n, name_span(n));
    p->daemon = daemon;
    n->sym = &p->s;
    if (declare(S, p)) vec_push(&S->procs, p);
}

static SymX *start_join_target(Sema *S, Node *t, const char *verb) {
    Node *nm = t->kind == ND_INDEX ? t->lhs : t;
    if (t->kind == ND_INDEX) check_int_expr(S, t->rhs, "the index of group '%s'", t->lhs->name);
    SymX *x = sema_lookup(S, nm->name, NULL);
    if (!x) {
        sema_undefined(S, nm);
        t->type = type_basic(TY_ERROR);
        return NULL;
    }
    nm->sym = &x->s;
    if (t->kind == ND_INDEX && x->s.kind == SYM_PROCESS) {
        diag_error(S->d, t->span, "'%s' is one process, not a group; write '%s %s'", nm->name,
                   verb[0] == 's' ? "start" : "join", nm->name);
        return NULL;
    }
    x->s.used = true;
    if (x->s.kind != SYM_PROCESS && x->s.kind != SYM_GROUP) {
        t->type = type_basic(TY_ERROR);
        diag_error(S->d, t->span, "'%s' is not a process; only processes can be %s", nm->name,
                   verb);
        if (x->s.kind != SYM_BUILTIN)
            diag_note(S->d, x->s.span, "'%s' is declared here as %s %s", nm->name,
                      sema_an_word(sema_sym_what(x)), sema_sym_what(x));
        return NULL;
    }
    t->type = type_basic(x->s.kind == SYM_GROUP && t->kind != ND_INDEX ? TY_GROUP : TY_PROCESS);
    return x;
}

bool sema_maybe_started(const SymX *p) { return p->started || p->loose || p->member_starts; }

bool sema_at_body(const Sema *S) { return S->scope == (S->def ? S->def_scope : S->parent_scope); }

/* "w[3]", "w[i]" or "w[...]": a member target in messages, in the arena. */
static const char *member_text(Sema *S, Node *t) {
    char buf[300];
    Node *k = t->rhs;
    if (k->kind == ND_INT) snprintf(buf, sizeof buf, "%s[%lld]", t->lhs->name, (long long)k->ival);
    else if (k->kind == ND_NAME) snprintf(buf, sizeof buf, "%s[%s]", t->lhs->name, k->name);
    else snprintf(buf, sizeof buf, "%s[...]", t->lhs->name);
    size_t n = strlen(buf) + 1;
    char *s = arena_alloc_aligned(S->arena, n, 1);
    memcpy(s, buf, n);
    return s;
}

/* Where T (a member target) stands: at the top level itself with a
 * literal index (the member is known), directly in the body of the loop
 * check_for recognised with the loop's variable as the index (each member
 * once, in order), or anywhere else (left to the runtime). */
typedef enum { AT_LITERAL, AT_LOOP, AT_UNKNOWN } MemberAt;

static MemberAt member_at(Sema *S, Node *t, SymX *g) {
    Node *k = t->rhs;
    if (sema_at_body(S) && k->kind == ND_INT) return AT_LITERAL;
    Node *loop = S->member_loop;
    if (loop && S->scope == S->member_loop_scope && k->kind == ND_NAME && k->sym == loop->sym &&
        covers_group(loop->rhs->args, g) && runs_each_once(loop))
        return AT_LOOP;
    return AT_UNKNOWN;
}

static void first_start(SymX *x, Span at) {
    if (!sema_maybe_started(x)) x->start_at = at;
}

static void start_member(Sema *S, Node *t, SymX *x) {
    const char *m = member_text(S, t);
    if (x->started) {
        diag_error(S->d, t->span, "'%s' is already started", m);
        diag_note(S->d, x->start_at, "'%s' is started here", x->s.name);
        return;
    }
    switch (member_at(S, t, x)) {
    case AT_LITERAL: {
        MemberJoin *first = sema_member_find(x->member_starts, t->rhs->ival);
        if (first) {
            diag_error(S->d, t->span, "'%s' is already started", m);
            diag_note(S->d, first->at, "'%s' is first started here", m);
            return;
        }
        first_start(x, t->span);
        sema_member_add(S, &x->member_starts, t->rhs->ival, t->span, t);
        return;
    }
    case AT_LOOP:
        if (x->member_starts || x->loose) {
            diag_error(S->d, t->span,
                       "this loop starts every member of '%s', but some are "
                       "already started",
                       x->s.name);
            diag_note(S->d, x->start_at, "'%s' is started here",
                      x->member_starts ? member_text(S, x->member_starts->node) : x->s.name);
            return;
        }
        x->started = true;
        x->start_at = t->span;
        return;
    case AT_UNKNOWN:
        first_start(x, t->span);
        x->loose = true;
        return;
    }
}

static void join_member(Sema *S, Node *t, SymX *x) {
    const char *m = member_text(S, t);
    if (x->joined) {
        diag_error(S->d, t->span, "'%s' is already joined", m);
        diag_note(S->d, x->join_at, "'%s' is joined here", x->s.name);
        return;
    }
    MemberAt at = member_at(S, t, x);
    /* In the loop: started by an earlier statement of its body, or
     * before the loop (then, where the compiler cannot tell which members,
     * the runtime checks each). */
    bool started = x->started || x->loose ||
                   (at == AT_LITERAL ? sema_member_find(x->member_starts, t->rhs->ival) != NULL
                                     : x->member_starts != NULL);
    if (!started) {
        diag_error(S->d, t->span, "'%s' is joined before it is started", m);
        diag_note(S->d, x->s.span, "'%s' is declared here; start it with 'start %s'", x->s.name, m);
        return;
    }
    if (at == AT_LITERAL) {
        sema_join_member(S, x, t, t->span, true);
        x->method_joined = true; /* joined in part, for the warnings */
    } else if (at == AT_LOOP) {
        if (x->member_joins) {
            MemberJoin *j = x->member_joins;
            while (j->next) j = j->next;
            diag_error(S->d, t->span,
                       "this loop joins every member of '%s', but '%s[%lld]' is "
                       "already joined",
                       x->s.name, x->s.name, (long long)j->index);
            diag_note(S->d, j->at, "'%s[%lld]' is first joined here", x->s.name,
                      (long long)j->index);
            return;
        }
        x->joined = true;
        x->join_at = t->span;
    } else {
        x->method_joined = true;
    }
}

static void check_start(Sema *S, Node *n) {
    for (Node *t = n->targets; t; t = t->next) {
        SymX *x = start_join_target(S, t, "started");
        if (!x) continue;
        if (t->kind == ND_INDEX) {
            start_member(S, t, x);
            continue;
        }
        if (x->member_starts) {
            const char *m = member_text(S, x->member_starts->node);
            diag_error(S->d, t->span, "'%s' is started as a whole, but '%s' is already started",
                       t->name, m);
            diag_note(S->d, x->member_starts->at, "'%s' is started here", m);
            continue;
        }
        if (x->started) {
            diag_error(S->d, t->span, "'%s' is already started", t->name);
            diag_note(S->d, x->start_at, "'%s' is first started here", t->name);
            continue;
        }
        x->started = true;
        x->start_at = t->span;
    }
}

static void check_join(Sema *S, Node *n) {
    for (Node *t = n->targets; t; t = t->next) {
        SymX *x = start_join_target(S, t, "joined");
        if (!x) continue;
        if (t->kind == ND_INDEX) {
            join_member(S, t, x);
            continue;
        }
        if (!x->started && x->member_starts && !x->loose) {
            const char *m = member_text(S, x->member_starts->node);
            diag_error(S->d, t->span,
                       "'%s' is joined as a whole, but only some of its members "
                       "are started",
                       t->name);
            diag_note(S->d, x->member_starts->at,
                      "'%s' is started here; start every member "
                      "with 'start %s'",
                      m, t->name);
        } else if (!x->started && !x->loose) {
            diag_error(S->d, t->span, "'%s' is joined before it is started", t->name);
            diag_note(S->d, x->s.span, "'%s' is declared here; start it with 'start %s'", t->name,
                      t->name);
        } else if (x->joined) {
            diag_error(S->d, t->span, "'%s' is already joined", t->name);
            diag_note(S->d, x->join_at, "'%s' is first joined here", t->name);
        } else if (x->member_joins) {
            MemberJoin *j = x->member_joins;
            while (j->next) j = j->next; /* the first one */
            diag_error(S->d, t->span, "'%s[%lld]' is already joined", t->name, (long long)j->index);
            diag_note(S->d, j->at, "'%s[%lld]' is first joined here", t->name, (long long)j->index);
            x->joined = true; /* the rest of it is joined: no "never joined" too */
            x->join_at = t->span;
        } else {
            x->joined = true;
            x->join_at = t->span;
        }
    }
}

/* Pipes, queues, values, arrays and sync objects: the parent program's
 * top level only (the static topology is made of them; the parser
 * refuses them in every block, a def's body too). */
static bool top_only(Sema *S, Node *st) {
    if (!S->def && S->scope == S->parent_scope) return true;
    diag_error(S->d, st->span, "declarations, 'start' and 'join' must stand at the top level");
    return false;
}

/* Processes are declared, started and joined directly at the top level
 * or directly in a def's body, where each statement runs once and in
 * order, so the rules (started once, joined after the start) are checked
 * on every path; in a block (if, for, while, try) only one member of a
 * group: `start w[i]`. The parser refuses the other statements; `p.start()`
 * is an expression statement it turns into a start, checked here. */
static bool proc_here(Sema *S, Node *st) {
    bool members = st->kind != ND_PROCESS;
    for (Node *t = st->targets; members && t; t = t->next) members = t->kind == ND_INDEX;
    if (sema_at_body(S) || members) return true;
    diag_error(S->d, st->span,
               "declarations, 'start' and 'join' must stand at the top level or directly in a "
               "def's body");
    if (st->kind != ND_PROCESS)
        diag_note(S->d, st->span, "in a block, %s one member of a group at a time: '%s w[i]'",
                  st->kind == ND_START ? "start" : "join", st->kind == ND_START ? "start" : "join");
    return false;
}

/* del d[k], del xs[i]: an item of a dict or a list; the container is
 * read, not assigned (as `xs[i] = v`). */
static void check_del(Sema *S, Node *n) {
    for (Node *t = n->targets; t; t = t->next) {
        if (t->kind != ND_INDEX || t->unpack) {
            sema_expr(S, t, NULL);
            diag_error(S->d, t->span, "'del' deletes an item: 'del d[key]' or 'del xs[i]'");
            if (t->kind == ND_NAME)
                diag_note(S->d, t->span, "a variable lives until its block ends");
            continue;
        }
        Type *ct = sema_expr(S, t->lhs, NULL);
        if (ct->kind == TY_DICT) {
            Type *it = sema_value(S, t->rhs, ct->items[0]);
            if (!sema_assignable(ct->items[0], it) &&
                !sema_none_misuse(S, t->rhs, ct->items[0], it))
                diag_error(S->d, t->rhs->span, "a key of %s must be %s, not %s", sema_tname(ct),
                           sema_tname(ct->items[0]), sema_tname(it));
        } else if (ct->kind == TY_LIST) {
            Type *it = sema_value(S, t->rhs, NULL);
            if (it->kind != TY_INT && it->kind != TY_ERROR)
                diag_error(S->d, t->rhs->span, "list indices must be int, not %s", sema_tname(it));
        } else {
            sema_value(S, t->rhs, NULL);
            if (ct->kind != TY_ERROR && !sema_none_receiver(S, t->lhs, ct))
                diag_error(S->d, t->span, "'%s' object doesn't support item deletion",
                           type_kind_name(ct->kind));
        }
        t->type = ct->kind == TY_DICT ? ct->elem : ct->kind == TY_LIST ? ct->elem : ct;
    }
}

bool sema_stmt(Sema *S, Node *st) { return check_stmt(S, st); }

static bool check_stmt(Sema *S, Node *st) {
    switch (st->kind) {
    case ND_LET: check_let(S, st); return true;
    case ND_ASSIGN: check_assign(S, st); return true;
    case ND_IF: return check_if(S, st);
    case ND_WHILE: return check_while(S, st);
    case ND_FOR: return check_for(S, st);
    case ND_BREAK:
    case ND_CONTINUE:
        if (!S->loop) {
            diag_error(S->d, st->span, "'%s' outside a loop",
                       st->kind == ND_BREAK ? "break" : "continue");
            return true;
        }
        if (st->kind == ND_BREAK) S->loop->has_break = true;
        return false;
    case ND_RETURN: check_return(S, st); return false;
    case ND_EXPR_STMT:
        if (st->lhs->kind == ND_CALL) sema_expr(S, st->lhs, NULL);
        else sema_value(S, st->lhs, NULL);
        return !is_exit_call(st);
    case ND_LOCK: return check_lock(S, st);
    case ND_PASS: return true;
    case ND_COMP_PUSH: sema_comp_push(S, st); return true;
    case ND_TRY: return check_try(S, st);
    case ND_SELECT: return check_select(S, st);
    case ND_RAISE: check_raise(S, st); return false;
    case ND_ASSERT: check_assert(S, st); return true;
    case ND_DEL: check_del(S, st); return true;
    case ND_BLOCK: return check_block(S, st);
    case ND_PIPE:
        if (top_only(S, st)) check_pipe(S, st);
        return true;
    case ND_QUEUE:
        if (top_only(S, st)) check_queue(S, st);
        return true;
    case ND_VALUE:
        if (top_only(S, st)) check_value_decl(S, st);
        return true;
    case ND_ARRAY:
        if (top_only(S, st)) check_array_decl(S, st);
        return true;
    case ND_PROCESS:
        if (proc_here(S, st)) check_process(S, st);
        return true;
    case ND_START:
    case ND_JOIN:
        if (proc_here(S, st)) {
            if (st->kind == ND_START) check_start(S, st);
            else check_join(S, st);
        }
        return true;
    case ND_SYNC:
        if (top_only(S, st)) check_sync_decl(S, st);
        return true;
    case ND_CONST: return true; /* checked first of all: see sema_check */
    default: diag_error(S->d, st->span, "this is not a statement here"); return true;
    }
}

/* ---- defs ------------------------------------------------------------- */

static void def_signature(Sema *S, Node *def) {
    SymX *f = sym_new(S, SYM_FUNC, def->name, type_basic(TY_FUNC), def, name_span(def));
    f->def = NULL;
    def->sym = &f->s;
    Binding *prev = hmap_get(&S->names, def->name);
    if (prev && prev->scope == S->scope) {
        diag_error(S->d, name_span(def), "redefinition of '%s'", def->name);
        diag_note(S->d, prev->sym->s.span, "previous definition of '%s' is here", def->name);
    } else {
        if (prev && prev->sym->s.kind == SYM_BUILTIN)
            diag_warning(S->d, W_SHADOW, name_span(def),
                         "def '%s' shadows the built-in function '%s'", def->name, def->name);
        bind(S, f);
    }
    S->def = def;
    for (Node *p = def->params; p; p = p->next) {
        Type *t = p->decl_type;
        if (!type_ok(S, t, type_span_or(p), TC_PARAM, false, NULL)) t = type_basic(TY_ERROR);
        SymX *x = sym_new(S, SYM_PARAM, p->name, t, p, name_span(p));
        if (t->kind == TY_ERROR) x->s.flags |= SF_NO_UNUSED;
        p->sym = &x->s;
    }
    S->def = NULL;
}

static void check_def(Sema *S, Node *def) {
    S->def = def;
    S->def_sym = symx(def->sym);
    push_scope(S, OWN_DEF);
    S->def_scope = S->scope;
    for (Node *p = def->params; p; p = p->next) {
        type_ok(S, p->decl_type, type_span_or(p), TC_PARAM, true, NULL);
        declare(S, symx(p->sym));
    }
    Span rspan = def->type_span.end > def->type_span.begin ? def->type_span : name_span(def);
    bool ret_ok = !def->ret_type || type_ok(S, def->ret_type, rspan, TC_RET, true, def->name);
    Node *body = def->body;
    bool completes = check_list(S, body ? (body->kind == ND_BLOCK ? body->body : body) : NULL);
    if (def->ret_type && ret_ok && completes) {
        Span end = def->span;
        if (body && body->span.end > body->span.begin) end = body->span;
        end.begin = end.end - 1;
        diag_error(S->d, end, "missing return at end of '%s'", def->name);
        diag_note(S->d, rspan, "'%s' returns %s", def->name, sema_tname(def->ret_type));
    }
    pop_scope(S);
    S->def = NULL;
    S->def_sym = NULL;
    S->def_scope = NULL;
}

/* ---- the parent's names, for errors in defs --------------------------- */

static void pname(Sema *S, const char *name, Span at, const char *what) {
    if (!name) return;
    void **slot = hmap_slot(&S->parent_names, name);
    if (*slot) return;
    PDecl *pd = arena_alloc(S->arena, sizeof *pd);
    pd->at = at;
    pd->what = what;
    *slot = pd;
}

static void collect_parent(Sema *S, Node *list) {
    for (Node *st = list; st; st = st->next) {
        switch (st->kind) {
        case ND_LET: pname(S, st->name, name_span(st), "variable"); break;
        case ND_FOR:
            pname(S, st->name, name_span(st), "variable");
            if (st->body) collect_parent(S, st->body->kind == ND_BLOCK ? st->body->body : st->body);
            break;
        case ND_WHILE:
        case ND_LOCK:
            if (st->body) collect_parent(S, st->body->kind == ND_BLOCK ? st->body->body : st->body);
            break;
        case ND_TRY:
            collect_parent(S, st->lhs->body);
            for (Node *h = st->then; h; h = h->next) {
                pname(S, h->name, name_span(h), "variable");
                collect_parent(S, h->body->body);
            }
            if (st->els) collect_parent(S, st->els->body);
            if (st->rhs) collect_parent(S, st->rhs->body);
            break;
        case ND_BLOCK: collect_parent(S, st->body); break;
        case ND_SELECT:
            for (Node *c = st->body; c; c = c->next) {
                if (c->lhs) pname(S, c->lhs->name, name_span(c->lhs), "variable");
                collect_parent(S, c->body->body);
            }
            break;
        case ND_IF:
            for (Node *n = st; n; n = n->els && n->els->kind == ND_IF ? n->els : NULL) {
                if (n->then) collect_parent(S, n->then->body);
                if (n->els && n->els->kind != ND_IF) collect_parent(S, n->els->body);
            }
            break;
        case ND_PIPE:
            pname(S, st->name, name_span(st), "pipe end");
            pname(S, st->name2,
                  st->name2_span.end > st->name2_span.begin ? st->name2_span : st->span,
                  "pipe end");
            break;
        case ND_QUEUE: pname(S, st->name, name_span(st), "queue"); break;
        case ND_VALUE: pname(S, st->name, name_span(st), "value"); break;
        case ND_ARRAY: pname(S, st->name, name_span(st), "array"); break;
        case ND_PROCESS:
            pname(S, st->name, name_span(st), st->lhs ? "process group" : "process");
            break;
        case ND_CONST: pname(S, st->name, name_span(st), "constant"); break;
        case ND_SYNC: pname(S, st->name, name_span(st), type_kind_name(st->decl_type->kind)); break;
        default: break;
        }
    }
}

/* ---- the whole program ------------------------------------------------- */

static void process_warnings(Sema *S) {
    for (size_t i = 0; i < S->procs.len; i++) {
        SymX *p = S->procs.items[i];
        const char *what = p->s.kind == SYM_GROUP ? "process group" : "process";
        p->s.unstarted = !sema_maybe_started(p);
        if (!sema_maybe_started(p))
            diag_warning(S->d, W_UNSTARTED, p->s.span, "%s '%s' is never started", what, p->s.name);
        else if (!p->joined && !p->method_joined && !p->daemon && p->def)
            diag_warning(S->d, W_UNJOINED, p->start_at,
                         "%s '%s' is never joined; it will be joined when '%s' returns", what,
                         p->s.name, p->def->name);
        else if (!p->joined && !p->method_joined && !p->daemon) /* a daemon ends with main */
            diag_warning(S->d, W_UNJOINED, p->start_at,
                         "%s '%s' is never joined; it will be joined when the program ends", what,
                         p->s.name);
    }
}

bool sema_check(Program *p, Arena *a, Diag *d) {
    Sema S;
    memset(&S, 0, sizeof S);
    S.prog = p;
    S.arena = a;
    arena_init(&S.scratch);
    S.d = d;
    S.suggest_budget = 20;
    int errors0 = d->errors;

    push_scope(&S, OWN_BUILTIN);
    for (int b = 0; b < B__COUNT; b++) {
        if (builtin_defs[b].kind != BK_FUNC && builtin_defs[b].kind != BK_VAR) continue;
        Type *t = type_basic(TY_FUNC);
        if (builtin_defs[b].kind == BK_VAR) /* argv: list[str]; stdin...: file */
            t = builtin_defs[b].result == 'L' ? type_of(TY_LIST, type_basic(TY_STR))
                                              : type_basic(TY_FILE);
        SymX *x = sym_new(&S, SYM_BUILTIN, builtin_defs[b].name, t, NULL, (Span){0, 0});
        x->s.builtin = b;
        bind(&S, x);
    }
    push_scope(&S, OWN_DEFS);
    for (Node *df = p->defs; df; df = df->next) def_signature(&S, df);
    collect_parent(&S, p->top);
    /* Constants first, beside the defs: every def sees them. */
    for (Node *st = p->top; st; st = st->next)
        if (st->kind == ND_CONST) sema_const(&S, st);

    push_scope(&S, OWN_PARENT);
    S.parent_scope = S.scope;
    ListState ls = {true, false, NULL};
    Node *df = p->defs, *st = p->top;
    while (df || st) {
        if (df && (!st || df->span.begin < st->span.begin)) {
            check_def(&S, df);
            df = df->next;
        } else {
            list_stmt(&S, &ls, st);
            st = st->next;
        }
    }
    process_warnings(&S);
    if (d->errors == errors0 && S.sync_named) sema_sync_paths(&S, p);
    pop_scope(&S);
    flow_solve(&S);
    if (d->errors == errors0) {
        facts_compute(p);
        sema_hoist(p, a);
    }
    pop_scope(&S);
    pop_scope(&S);

    hmap_free(&S.names);
    hmap_free(&S.parent_names);
    vec_free(&S.flow);
    vec_free(&S.procs);
    vec_free(&S.narrowed);
    arena_free(&S.scratch);
    return d->errors == errors0;
}
