/* sema_expr: types of expressions; calls of defs, built-ins and methods;
 * members and indexing. */
#include "sema_impl.h"

#include "../runtime/fmtspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deepest expression nesting checked. The parser already refuses more
 * than 1000 operators in an expression and deep brackets, so this is only
 * a guard; left-nested operator chains are walked without recursion. */
enum { MAX_EXPR_DEPTH = 4000 };

static Type *ty(TypeKind k) { return type_basic(k); }
static bool is_num(const Type *t) { return t->kind == TY_INT || t->kind == TY_FLOAT; }
static bool is_err(const Type *t) { return t->kind == TY_ERROR; }

bool sema_storable(const Type *t) {
    switch (t->kind) {
    case TY_INT:
    case TY_FLOAT:
    case TY_BOOL:
    case TY_STR:
    case TY_ERROR: return true;
    case TY_LIST: /* a list of apply_async handles too, kept in main */
        return type_is_message(t) || t->elem->kind == TY_ASYNC;
    case TY_OPTIONAL:
    case TY_DICT:
    case TY_SET:
    case TY_TUPLE: return type_is_message(t);
    case TY_FILE:
    case TY_ASYNC: return true;
    default: return false;
    }
}

bool sema_assignable(const Type *dst, const Type *src) {
    if (dst == src || is_err(dst) || is_err(src)) return true;
    /* a joinable queue is a queue (Python's JoinableQueue is a Queue) */
    if (dst->kind == TY_QUEUE && src->kind == TY_QUEUE && !dst->joinable)
        return dst->elem == src->elem;
    if (dst->kind == TY_OPTIONAL) return src->kind == TY_NULL || src == dst->elem;
    if (dst->kind == TY_SEMAPHORE) return src->kind == TY_BSEMAPHORE; /* its Python subclass */
    if (dst->kind == TY_HANDLES && src->kind == TY_HANDLES) /* list[queue[T]] takes joinable ones */
        return dst->elem->kind == TY_QUEUE && sema_assignable(dst->elem, src->elem);
    return dst->kind == TY_FLOAT && src->kind == TY_INT;
}

bool sema_none_misuse(Sema *S, Node *e, const Type *dst, const Type *src) {
    if (src->kind != TY_OPTIONAL && src->kind != TY_NULL) return false;
    if (src->kind == TY_OPTIONAL && !sema_assignable(dst, src->elem)) return false;
    if (src->kind == TY_NULL) {
        diag_error(S->d, e->span, "None is not %s %s", sema_an(dst), sema_tname(dst));
        diag_note(S->d, e->span, "a value that may be None has a type such as '%s | None'",
                  sema_tname(dst));
        return true;
    }
    if (e->kind == ND_NAME) diag_error(S->d, e->span, "'%s' may be None", e->name);
    else diag_error(S->d, e->span, "this %s may be None", sema_tname(src));
    diag_note(S->d, e->span, "%s is needed here; test it first, as in 'if %s is not None:'",
              sema_tname(dst), e->kind == ND_NAME ? e->name : "x");
    return true;
}

bool sema_none_receiver(Sema *S, Node *e, const Type *t) {
    if (t->kind != TY_OPTIONAL && t->kind != TY_NULL) return false;
    if (t->kind == TY_NULL) diag_error(S->d, e->span, "None has no length, items or methods");
    else if (e->kind == ND_NAME) diag_error(S->d, e->span, "'%s' may be None", e->name);
    else diag_error(S->d, e->span, "this %s may be None", sema_tname(t));
    if (t->kind == TY_OPTIONAL)
        diag_note(S->d, e->span, "test it first, as in 'if %s is not None:'",
                  e->kind == ND_NAME ? e->name : "x");
    return true;
}

/* A file or an apply_async handle (or a list of handles): stored, never
 * printed or compared (Python prints such objects as <... at 0x...>). */
static bool opaque(const Type *t) {
    return t->kind == TY_FILE || t->kind == TY_ASYNC || (t->kind == TY_LIST && opaque(t->elem));
}

static bool printable(const Type *t) {
    return (sema_storable(t) && !opaque(t)) || t->kind == TY_ARRAY || t->kind == TY_NULL ||
           t->kind == TY_EXC; /* a caught exception prints as its message, as str(e) */
}

/* The comparisons, `in`, `not in`, `is` and `is not` among them: bool
 * results, no chains. */
static bool is_cmp(Op op) { return op >= OP_EQ && op <= OP_ISNOT; }
static bool maybe_none(const Type *t) { return t->kind == TY_OPTIONAL || t->kind == TY_NULL; }

/* ---- names ------------------------------------------------------------- */

static Type *name_expr(Sema *S, Node *e) {
    SymX *x = sema_lookup(S, e->name, NULL);
    if (!x) {
        sema_undefined(S, e);
        return ty(TY_ERROR);
    }
    e->sym = &x->s;
    x->s.used = true;
    if (x->s.type && type_is_sync(x->s.type)) S->sync_named = true;
    if (x->s.kind == SYM_CONST && !S->def && !S->in_const && e->span.begin < x->s.span.begin) {
        diag_error(S->d, e->span, "'%s' is used before its declaration", e->name);
        diag_note(S->d, x->s.span, "'%s' is declared later, here; the parent program runs in order",
                  e->name);
    }
    if (x->s.type && x->s.type->kind == TY_OPTIONAL && narrow_has(S, &x->s)) return x->s.type->elem;
    switch (x->s.kind) {
    case SYM_FUNC:
    case SYM_BUILTIN: return x->s.type; /* a function, or argv, stdin... */
    case SYM_PROCESS: return ty(TY_PROCESS);
    case SYM_GROUP: return ty(TY_GROUP);
    default: return x->s.type ? x->s.type : ty(TY_ERROR);
    }
}

/* Whether the process E names (P: a process or group) has surely been
 * started where E is read: the process or the whole group was, or E is
 * w[K] with K a literal and `start w[K]` came before. */
static bool surely_started(const SymX *p, const Node *e) {
    if (p->started) return true;
    return e->kind == ND_INDEX && e->rhs->kind == ND_INT &&
           sema_member_find(p->member_starts, e->rhs->ival);
}

SymX *sema_proc_of(Node *e) {
    if (e->kind == ND_INDEX) e = e->lhs;
    if (e->kind != ND_NAME || !e->sym) return NULL;
    if (e->sym->kind != SYM_PROCESS && e->sym->kind != SYM_GROUP) return NULL;
    return symx(e->sym);
}

MemberJoin *sema_member_find(MemberJoin *list, int64_t k) {
    for (MemberJoin *j = list; j; j = j->next)
        if (j->index == k) return j;
    return NULL;
}

void sema_member_add(Sema *S, MemberJoin **list, int64_t k, Span at, Node *node) {
    MemberJoin *j = arena_alloc(S->arena, sizeof *j);
    j->index = k;
    j->at = at;
    j->node = node;
    j->next = *list;
    *list = j;
}

MemberJoin *sema_member_join(SymX *g, int64_t k) { return sema_member_find(g->member_joins, k); }

/* One join rule for every spelling: a member joined by a top-level
 * `w[K].join()` is joined once. Only a literal index is known here; any
 * other index is left to the runtime, whose join is idempotent. */
void sema_join_member(Sema *S, SymX *g, Node *member, Span at, bool joins) {
    Node *k = member->rhs;
    if (!k || k->kind != ND_INT) return;
    MemberJoin *first = sema_member_join(g, k->ival);
    if (first) {
        diag_error(S->d, at, "'%s[%lld]' is already joined", g->s.name, (long long)k->ival);
        diag_note(S->d, first->at, "'%s[%lld]' is first joined here", g->s.name,
                  (long long)k->ival);
    } else if (joins) {
        sema_member_add(S, &g->member_joins, k->ival, at, member);
    }
}

int sema_pipe_dir(const SymX *x) {
    if (x->s.kind != SYM_PIPE_END || !x->s.decl || !x->s.decl->oneway) return 0;
    const Symbol *end = x->s.array ? x->s.array : &x->s; /* an element: its array's side */
    return x->s.decl->sym == end ? 1 : 2;
}

void sema_pipe_misuse(Sema *S, SymX *end, Span at, bool receiving) {
    Node *p = end->s.decl;
    if (receiving)
        diag_error(S->d, at, "'%s' is the sending end of a one-way pipe; it cannot receive",
                   end->s.name);
    else
        diag_error(S->d, at, "'%s' is the receiving end of a one-way pipe; it cannot send",
                   end->s.name);
    diag_note(S->d, p->span, "'pipe %s -> %s' sends from '%s' to '%s'", p->name, p->name2, p->name,
              p->name2);
}

/* ---- values ------------------------------------------------------------ */

static void not_a_value(Sema *S, Node *e, Type *t) {
    if (t->kind == TY_PROCESS || t->kind == TY_GROUP) {
        SymX *p = sema_proc_of(e);
        if (t->kind == TY_GROUP) {
            diag_error(S->d, e->span, "process group '%s' is not a value", p ? p->s.name : "?");
            diag_note(S->d, e->span,
                      "a group is started and joined as a whole; one process of it is '%s[i]'",
                      p ? p->s.name : "w");
        } else {
            if (e->kind == ND_NAME)
                diag_error(S->d, e->span, "process '%s' is not a value", e->name);
            else diag_error(S->d, e->span, "a process is not a value");
            diag_note(S->d, e->span,
                      "processes cannot be passed, stored or printed; use pid, name, exitcode or "
                      "is_alive()");
        }
    } else if (t->kind == TY_FUNC) {
        if (e->kind == ND_NAME && e->sym && e->sym->kind == SYM_BUILTIN)
            diag_error(S->d, e->span, "'%s' is a built-in function, not a value; call it: %s(...)",
                       e->name, e->name);
        else if (e->kind == ND_NAME)
            diag_error(S->d, e->span, "'%s' is a def, not a value; call it: %s(...)", e->name,
                       e->name);
        else diag_error(S->d, e->span, "a function is not a value");
    } else if (t->kind == TY_NONE) {
        Node *c = e->kind == ND_CALL ? e->callee : e;
        const char *name = c->kind == ND_NAME || c->kind == ND_MEMBER ? c->name : NULL;
        if (name) diag_error(S->d, e->span, "'%s' does not return a value", name);
        else diag_error(S->d, e->span, "this call does not return a value");
        if (c->kind == ND_NAME && c->sym && c->sym->kind == SYM_FUNC)
            diag_note(S->d, c->sym->span, "'%s' has no return type; declare one with '-> type'",
                      name);
    }
}

Type *sema_value(Sema *S, Node *e, Type *hint) {
    Type *t = sema_expr(S, e, hint);
    switch (t->kind) {
    case TY_PROCESS:
    case TY_GROUP:
    case TY_FUNC:
    case TY_NONE: not_a_value(S, e, t); return ty(TY_ERROR);
    default: return t;
    }
}

/* Checks each argument of a call that could not be resolved. */
/* The arguments of a call whose callee is unknown or wrong (already
 * reported). A def named as an argument may be just what the callee takes
 * (a pool's map, key=), so it is looked up, not refused as a value. */
static void check_args_only(Sema *S, Node *call) {
    for (Node *a = call->args; a; a = a->next) {
        Node *v = a->kind == ND_KWARG ? a->lhs : a;
        Type *t = v->kind == ND_NAME ? sema_expr(S, v, NULL) : sema_value(S, v, NULL);
        if (a->kind == ND_KWARG) a->type = t;
    }
}

/* ---- lists -------------------------------------------------------------- */

static bool is_empty_list(const Node *e) {
    return (e->kind == ND_LIST || e->kind == ND_DICT) && !e->elems;
}

/* set() or dict(): typed by what the context expects. */
static bool is_empty_ctor(const Node *e) {
    return e->kind == ND_CALL && !e->args && e->callee->kind == ND_NAME &&
           (strcmp(e->callee->name, "set") == 0 || strcmp(e->callee->name, "dict") == 0);
}

/* The type kind an empty display ([] or {}) stands for. */
static TypeKind empty_kind(const Node *e) { return e->kind == ND_LIST ? TY_LIST : TY_DICT; }

static Type *list_expr(Sema *S, Node *e, Type *hint) {
    Type *want = hint && hint->kind == TY_LIST ? hint->elem : NULL;
    if (!e->elems) {
        if (want) return hint;
        if (hint && is_err(hint)) return hint; /* its declared type is wrong: reported */
        diag_error(S->d, e->span, "cannot infer the type of an empty list here");
        diag_note(S->d, e->span, "give it a type through a variable: 'let xs: list[int] = []'");
        return ty(TY_ERROR);
    }
    Type *el = NULL;
    Node *first = NULL;
    bool bad = false, deferred = false;
    for (Node *x = e->elems; x; x = x->next) {
        if (!want && is_empty_list(x)) {
            deferred = true;
            continue;
        }
        Type *t = sema_value(S, x, want ? want : is_empty_ctor(x) ? el : NULL);
        if (is_err(t)) {
            bad = true;
            continue;
        }
        if (!type_is_message(t) && t->kind != TY_NULL && t->kind != TY_ASYNC) {
            diag_error(S->d, x->span, "a list cannot hold %s %s", sema_an(t), sema_tname(t));
            bad = true;
            continue;
        }
        if (want) {
            if (!sema_assignable(want, t)) {
                diag_error(S->d, x->span, "list element must be %s, not %s", sema_tname(want),
                           sema_tname(t));
                bad = true;
            }
            continue;
        }
        if (!el) {
            el = t;
            first = x;
        } else if (el != t) {
            if (is_num(el) && is_num(t)) {
                el = ty(TY_FLOAT);
            } else if (el->kind == TY_OPTIONAL && (t->kind == TY_NULL || t == el->elem)) {
                /* [1, None, 2]: int | None */
            } else if (t->kind == TY_OPTIONAL && (el->kind == TY_NULL || el == t->elem)) {
                el = t;
            } else if (el->kind == TY_NULL && type_is_message(t)) {
                el = type_of(TY_OPTIONAL, t);
            } else if (t->kind == TY_NULL && type_is_message(el)) {
                el = type_of(TY_OPTIONAL, el);
            } else {
                diag_error(S->d, x->span,
                           "list elements must have one type: this one is %s, the first is %s",
                           sema_tname(t), sema_tname(el));
                diag_note(S->d, first->span, "the first element is here");
                if (!bad && el->kind != TY_LIST && t->kind != TY_LIST)
                    diag_note(S->d, e->span,
                              "values of different types go together in a tuple: (1, \"a\"); "
                              "a list of them is list[tuple[int, str]]");
                bad = true;
            }
        }
    }
    if (want) return bad ? ty(TY_ERROR) : hint;
    if (deferred) {
        for (Node *x = e->elems; x; x = x->next) {
            if (!is_empty_list(x)) continue;
            if (el && el->kind == empty_kind(x)) {
                x->type = el;
            } else if (el) {
                x->type = ty(TY_ERROR);
                diag_error(S->d, x->span,
                           "list elements must have one type: this one is a %s, the first is %s",
                           type_kind_name(empty_kind(x)), sema_tname(el));
                diag_note(S->d, first->span, "the first element is here");
                bad = true;
            } else {
                x->type = ty(TY_ERROR);
                if (!bad) {
                    diag_error(S->d, e->span, "cannot infer the type of a list of empty lists");
                    diag_note(
                        S->d, e->span,
                        "give it a type through a variable: 'let xs: list[list[int]] = [[]]'");
                }
                bad = true;
                break;
            }
        }
    }
    if (!bad && el && el->kind == TY_NULL) {
        diag_error(S->d, e->span, "cannot infer the type of a list of None");
        diag_note(S->d, e->span,
                  "give it a type through a variable: 'let xs: list[int | None] = [None]'");
        bad = true;
    }
    if (bad || !el) return ty(TY_ERROR);
    return type_of(TY_LIST, el);
}

/* ---- tuples ------------------------------------------------------------- */

/* (a, b): each element a message; HINT (a tuple type of the same length)
 * types them as a declaration would (None, int to float). */
static Type *tuple_expr(Sema *S, Node *e, Type *hint) {
    int n = 0;
    for (Node *x = e->elems; x; x = x->next) n++;
    Type *want = hint && hint->kind == TY_TUPLE && hint->n == n ? hint : NULL;
    Type **items = n ? xmalloc((size_t)n * sizeof *items) : NULL;
    bool bad = false;
    int k = 0;
    for (Node *x = e->elems; x; x = x->next, k++) {
        Type *w = want ? want->items[k] : NULL;
        Type *t = sema_value(S, x, w);
        items[k] = w ? w : t;
        if (is_err(t)) {
            bad = true;
        } else if (w && !sema_assignable(w, t)) {
            if (!sema_none_misuse(S, x, w, t))
                diag_error(S->d, x->span, "tuple element %d must be %s, not %s", k, sema_tname(w),
                           sema_tname(t));
            bad = true;
        } else if (!w && t->kind == TY_NULL) {
            diag_error(S->d, x->span, "cannot infer the type of None in a tuple");
            diag_note(S->d, x->span,
                      "give it a type through a variable: 'let t: tuple[int | None, str] = "
                      "(None, \"a\")'");
            bad = true;
        } else if (!w && !type_is_message(t)) {
            diag_error(S->d, x->span, "a tuple cannot hold %s %s", sema_an(t), sema_tname(t));
            bad = true;
        }
    }
    Type *r = bad ? ty(TY_ERROR) : want ? want : type_tuple(items, n);
    free(items);
    return r;
}

/* ---- dicts and sets ------------------------------------------------------ */

/* Python's TypeError for a key or set element that cannot be hashed. */
static bool unhashable(Sema *S, Node *x, Type *t) {
    if (is_err(t) || t->kind == TY_NULL || type_is_hashable(t)) return false;
    Type *u = t->kind == TY_OPTIONAL ? t->elem : t;
    diag_error(S->d, x->span, "unhashable type: '%s'", type_kind_name(u->kind));
    diag_note(S->d, x->span,
              "a dict key or set element is an int, float, bool, str, or a tuple of those");
    return true;
}

/* One element X of a display or comprehension, WANT its type when known
 * (a declaration's, or the first element's); the joined type of the
 * elements so far in *EL. WHAT: "key", "value", "set element". */
static bool display_item(Sema *S, Node *x, Type *want, Type **el, Node **first, const char *what) {
    Type *t = sema_value(S, x, want ? want : *el);
    if (is_err(t)) return false;
    if (!type_is_message(t) && t->kind != TY_NULL) {
        diag_error(S->d, x->span, "a %s cannot be %s %s", what, sema_an(t), sema_tname(t));
        return false;
    }
    if (want) {
        if (sema_assignable(want, t)) return true;
        diag_error(S->d, x->span, "%s must be %s, not %s", what, sema_tname(want), sema_tname(t));
        return false;
    }
    if (!*el) {
        *el = t;
        *first = x;
    } else if (*el != t) {
        if (is_num(*el) && is_num(t)) *el = ty(TY_FLOAT);
        else if ((*el)->kind == TY_OPTIONAL && (t->kind == TY_NULL || t == (*el)->elem)) {
        } else if (t->kind == TY_OPTIONAL && ((*el)->kind == TY_NULL || *el == t->elem)) *el = t;
        else if ((*el)->kind == TY_NULL) *el = type_of(TY_OPTIONAL, t);
        else if (t->kind == TY_NULL) *el = type_of(TY_OPTIONAL, *el);
        else {
            diag_error(S->d, x->span, "%ss must have one type: this one is %s, the first is %s",
                       what, sema_tname(t), sema_tname(*el));
            diag_note(S->d, (*first)->span, "the first %s is here", what);
            return false;
        }
    }
    return true;
}

/* {k: v, ...}: HINT, a declared dict type, types the keys and values;
 * {} needs one. */
static Type *dict_expr(Sema *S, Node *e, Type *hint) {
    if (hint && hint->kind == TY_OPTIONAL) hint = hint->elem; /* dict[K, V] | None */
    Type *want = hint && hint->kind == TY_DICT ? hint : NULL;
    if (!e->elems) {
        if (want) return hint;
        if (hint && is_err(hint)) return hint;
        if (hint && hint->kind == TY_SET) {
            diag_error(S->d, e->span, "'{}' is an empty dict, not a set");
            diag_note(S->d, e->span, "an empty set is 'set()'");
            return ty(TY_ERROR);
        }
        diag_error(S->d, e->span, "cannot infer the type of an empty dict here");
        diag_note(S->d, e->span, "give it a type through a variable: 'let d: dict[str, int] = {}'");
        return ty(TY_ERROR);
    }
    Type *kt = NULL, *vt = NULL;
    Node *kfirst = NULL, *vfirst = NULL;
    bool bad = false;
    bool deferred = false;
    for (Node *k = e->elems; k && k->next; k = k->next->next) {
        Node *v = k->next;
        if (display_item(S, k, want ? want->items[0] : NULL, &kt, &kfirst, "key"))
            bad |= unhashable(S, k, k->type);
        else bad = true;
        if (!want && !vt && is_empty_list(v)) deferred = true; /* typed by the others */
        else bad |= !display_item(S, v, want ? want->items[1] : NULL, &vt, &vfirst, "value");
    }
    if (want) return bad ? ty(TY_ERROR) : want;
    for (Node *k = e->elems; deferred && k && k->next; k = k->next->next) {
        if (k->next->type) continue;
        if (vt && vt->kind == empty_kind(k->next)) {
            sema_value(S, k->next, vt);
            continue;
        }
        k->next->type = ty(TY_ERROR);
        if (!bad) {
            diag_error(S->d, k->next->span, "cannot infer the type of this empty %s",
                       type_kind_name(empty_kind(k->next)));
            diag_note(S->d, e->span, "give the dict a type through a variable: 'let d: %s'",
                      empty_kind(k->next) == TY_LIST ? "dict[str, list[int]] = {...}"
                                                     : "dict[str, dict[str, int]] = {...}");
        }
        bad = true;
    }
    if (!bad && (kt->kind == TY_NULL || vt->kind == TY_NULL)) {
        diag_error(S->d, e->span, "cannot infer the type of a dict of None");
        diag_note(S->d, e->span,
                  "give it a type through a variable: 'let d: dict[str, int | None] = {...}'");
        bad = true;
    }
    return bad ? ty(TY_ERROR) : type_dict(kt, vt);
}

/* {a, b, ...}: a set; HINT, a declared set type, types the elements. */
static Type *set_expr(Sema *S, Node *e, Type *hint) {
    if (hint && hint->kind == TY_OPTIONAL) hint = hint->elem;
    Type *want = hint && hint->kind == TY_SET ? hint->elem : NULL;
    Type *el = NULL;
    Node *first = NULL;
    bool bad = false;
    for (Node *x = e->elems; x; x = x->next) {
        if (display_item(S, x, want, &el, &first, "set element")) bad |= unhashable(S, x, x->type);
        else bad = true;
    }
    if (want) return bad ? ty(TY_ERROR) : hint;
    if (!bad && el->kind == TY_NULL) {
        diag_error(S->d, e->span, "cannot infer the type of a set of None");
        bad = true;
    }
    return bad ? ty(TY_ERROR) : type_of(TY_SET, el);
}

/* A key K given to dict or set type T: the key type (int converts to a
 * float key). Reports a wrong type; returns false then. */
static bool key_arg(Sema *S, Node *k, Type *kt, Type *t) {
    Type *it = sema_value(S, k, kt);
    if (is_err(it) || is_err(kt) || sema_assignable(kt, it)) return true;
    if (sema_none_misuse(S, k, kt, it)) return false;
    diag_error(S->d, k->span, "%s of %s must be %s, not %s",
               t->kind == TY_SET ? "an element" : "a key", sema_tname(t), sema_tname(kt),
               sema_tname(it));
    return false;
}

static Type *key_type(Type *t) { return t->kind == TY_DICT ? t->items[0] : t->elem; }

/* Whether values of tuple type T have an order: element by element. */
static bool tuple_ordered(const Type *t);

/* Values Python orders with <: numbers, bools, strs, and lists and tuples
 * of them. */
static bool orderable(const Type *x) {
    return is_num(x) || x->kind == TY_STR || x->kind == TY_BOOL ||
           (x->kind == TY_LIST && orderable(x->elem)) || (x->kind == TY_TUPLE && tuple_ordered(x));
}

static bool tuple_ordered(const Type *t) {
    for (int i = 0; i < t->n; i++)
        if (!orderable(t->items[i])) return false;
    return true;
}

/* A constant index: an int literal, or minus one. */
static bool const_index(const Node *i, int64_t *k) {
    if (i->kind == ND_INT) {
        *k = i->ival;
        return true;
    }
    if (i->kind == ND_UNARY && i->op == OP_NEG && i->lhs->kind == ND_INT &&
        i->lhs->ival != INT64_MIN) {
        *k = -i->lhs->ival;
        return true;
    }
    return false;
}

/* t[i] on tuple type T: a constant index in range, or any index when
 * every element has one type (then IndexError at run time). */
static Type *tuple_index(Sema *S, Node *e, Type *t) {
    int64_t k;
    if (e->unpack) { /* `let a, b = e`: item k of a tuple of argc */
        if (e->rhs->ival == 0 && t->n != e->argc) {
            if (t->n > e->argc)
                diag_error(S->d, e->span, "too many values to unpack (expected %d, got %d)",
                           e->argc, t->n);
            else
                diag_error(S->d, e->span, "not enough values to unpack (expected %d, got %d)",
                           e->argc, t->n);
        }
        return e->rhs->ival < t->n ? t->items[e->rhs->ival] : ty(TY_ERROR);
    }
    if (const_index(e->rhs, &k)) {
        if (k < -(int64_t)t->n || k >= t->n) {
            diag_error(S->d, e->rhs->span, "tuple index out of range: %s has %d element%s",
                       sema_tname(t), t->n, t->n == 1 ? "" : "s");
            return ty(TY_ERROR);
        }
        return t->items[k < 0 ? k + t->n : k];
    }
    for (int i = 1; i < t->n; i++)
        if (t->items[i] != t->items[0]) {
            diag_error(S->d, e->rhs->span,
                       "the index of a %s must be a constant: its elements have different types",
                       sema_tname(t));
            return ty(TY_ERROR);
        }
    if (!t->n) {
        diag_error(S->d, e->rhs->span, "tuple index out of range: the tuple is empty");
        return ty(TY_ERROR);
    }
    return t->items[0];
}

/* ---- strings ------------------------------------------------------------ */

static void not_printable(Sema *S, Node *e, Type *t, const char *how) {
    diag_error(S->d, e->span, "cannot %s %s %s", how, sema_an(t), sema_tname(t));
    if (t->kind == TY_VALUE && e->kind == ND_NAME)
        diag_note(S->d, e->span, "its content is '%s.value'", e->name);
}

static Type *str_expr(Sema *S, Node *e) {
    for (Node *p = e->parts; p; p = p->next) {
        if (p->kind == ND_STRPART) {
            p->type = ty(TY_STR);
            continue;
        }
        Type *t = sema_value(S, p, NULL);
        if (!printable(t)) not_printable(S, p, t, "interpolate");
    }
    return ty(TY_STR);
}

/* ---- operators ---------------------------------------------------------- */

/* `x in c` / `x not in c`: the one place that says what each container
 * holds (a list or array its elements, a str its substrings). */
static Type *membership_type(Sema *S, Node *e, Type *l, Type *r) {
    Type *tbool = ty(TY_BOOL);
    const char *op = op_spelling(e->op);
    switch (r->kind) {
    case TY_LIST:
    case TY_ARRAY:
        if (sema_assignable(r->elem, l) && l->kind != TY_ERROR) return tbool;
        diag_error(S->d, e->lhs->span, "'%s' on %s looks for %s %s, not %s %s", op, sema_tname(r),
                   sema_an(r->elem), sema_tname(r->elem), sema_an(l), sema_tname(l));
        return tbool;
    case TY_DICT:
    case TY_SET:
        if (sema_assignable(key_type(r), l)) return tbool;
        diag_error(S->d, e->lhs->span, "'%s' on %s looks for %s %s, not %s %s", op, sema_tname(r),
                   sema_an(key_type(r)), sema_tname(key_type(r)), sema_an(l), sema_tname(l));
        return tbool;
    case TY_STR:
        if (l->kind == TY_STR) return tbool;
        diag_error(S->d, e->lhs->span, "'%s' on a str looks for a substring, not %s %s", op,
                   sema_an(l), sema_tname(l));
        return tbool;
    default:
        diag_error(S->d, e->rhs->span,
                   "'%s' needs a list, str, array, dict or set on the right, not %s", op,
                   sema_tname(r));
        return tbool;
    }
}

/* The side of E that is not None (for messages). */
static Node *other_side(Node *e, Type *l) { return l->kind == TY_NULL ? e->rhs : e->lhs; }

static void may_be_none(Sema *S, Node *x) {
    if (x->kind == ND_NAME)
        diag_note(S->d, x->span, "'%s' may be None; test it first, as in 'if %s is not None:'",
                  x->name, x->name);
    else diag_note(S->d, x->span, "this value may be None");
}

/* An operator where a side is None or T | None, or `is`: `is`, == and !=
 * test for None; == and != compare T | None with T | None or T. Nothing
 * else applies: None has no order and no arithmetic (Python's TypeError). */
static Type *none_operands(Sema *S, Node *e, Op op, Type *l, Type *r) {
    Type *tbool = ty(TY_BOOL);
    bool is = op == OP_IS || op == OP_ISNOT, eq = op == OP_EQ || op == OP_NE;
    if (is || eq) {
        if (l->kind == TY_NULL || r->kind == TY_NULL) {
            Type *o = l->kind == TY_NULL ? r : l;
            if (maybe_none(o)) return tbool;
            Node *x = other_side(e, l);
            if (x->kind == ND_NAME && x->sym && x->sym->type && x->sym->type->kind == TY_OPTIONAL)
                diag_error(S->d, e->span, "'%s' is never None here: a test above proved it",
                           x->name);
            else diag_error(S->d, e->span, "%s %s is never None", sema_an(o), sema_tname(o));
            diag_note(S->d, x->span, "only a value of a type such as '%s | None' may be None",
                      sema_tname(o));
            return tbool;
        }
        if (is) {
            diag_error(S->d, e->span, "'%s' only tests for None, as in 'x %s None'",
                       op_spelling(op), op_spelling(op));
            diag_note(S->d, e->span, "compare values with '%s'", op == OP_IS ? "==" : "!=");
            return tbool;
        }
        Type *lo = l->kind == TY_OPTIONAL ? l->elem : l, *ro = r->kind == TY_OPTIONAL ? r->elem : r;
        if (lo == ro) return tbool;
        diag_error(S->d, e->span, "cannot apply '%s' to %s and %s", op_spelling(op), sema_tname(l),
                   sema_tname(r));
        diag_note(S->d, e->span, "values of different types are never equal");
        return tbool;
    }
    diag_error(S->d, e->span, "cannot apply '%s' to %s and %s", op_spelling(op), sema_tname(l),
               sema_tname(r));
    if (l->kind == TY_NULL || r->kind == TY_NULL)
        diag_note(S->d, e->span, "None %s", is_cmp(op) ? "has no order" : "is not a number");
    else if (l->kind == TY_OPTIONAL) may_be_none(S, e->lhs);
    else may_be_none(S, e->rhs);
    return is_cmp(op) ? tbool : ty(TY_ERROR);
}

Type *sema_binary_type(Sema *S, Node *e, Op op, Type *l, Type *r) {
    bool logic = op == OP_AND || op == OP_OR;
    Type *tbool = ty(TY_BOOL);
    if (logic) {
        if (!is_err(l) && l->kind != TY_BOOL)
            diag_error(S->d, e->lhs->span, "'%s' needs bool operands, not %s", op_spelling(op),
                       sema_tname(l));
        if (!is_err(r) && r->kind != TY_BOOL)
            diag_error(S->d, e->rhs->span, "'%s' needs bool operands, not %s", op_spelling(op),
                       sema_tname(r));
        return tbool;
    }
    if (is_err(l) || is_err(r)) return is_cmp(op) ? tbool : ty(TY_ERROR);
    if (op == OP_IN || op == OP_NOTIN) return membership_type(S, e, l, r);
    if (maybe_none(l) || maybe_none(r) || op == OP_IS || op == OP_ISNOT)
        return none_operands(S, e, op, l, r);
    bool nums = is_num(l) && is_num(r);
    Type *arith =
        nums ? (l->kind == TY_FLOAT || r->kind == TY_FLOAT ? ty(TY_FLOAT) : ty(TY_INT)) : NULL;
    switch (op) {
    case OP_ADD:
        if (nums) return arith;
        if (l->kind == TY_STR && r->kind == TY_STR) return l;
        if (l->kind == TY_LIST && l == r) return l;
        break;
    case OP_SUB:
        if (l->kind == TY_SET && l == r) return l; /* difference */
        if (nums) return arith;
        break;
    case OP_FLOORDIV:
    case OP_MOD:
    case OP_POW:
        if (nums) return arith;
        break;
    case OP_MUL:
        if (nums) return arith;
        if ((l->kind == TY_STR || l->kind == TY_LIST) && r->kind == TY_INT) return l;
        if (l->kind == TY_INT && (r->kind == TY_STR || r->kind == TY_LIST)) return r;
        break;
    case OP_DIV:
        if (nums) return ty(TY_FLOAT);
        break;
    case OP_BITAND:
    case OP_BITOR:
    case OP_BITXOR:
    case OP_SHL:
    case OP_SHR:
        if (l->kind == TY_INT && r->kind == TY_INT) return l;
        if (l->kind == TY_SET && l == r && op != OP_SHL && op != OP_SHR) return l;
        break;
    case OP_EQ:
    case OP_NE:
        if (nums || (l == r && sema_storable(l) && !opaque(l))) return tbool;
        break;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if (nums || (l == r && orderable(l))) return tbool;
        if (l == r && l->kind == TY_TUPLE && tuple_ordered(l)) return tbool;
        if (l == r && l->kind == TY_SET) return tbool; /* subset, superset */
        break;
    default: break;
    }
    diag_error(S->d, e->span, "cannot apply '%s' to %s and %s", op_spelling(op), sema_tname(l),
               sema_tname(r));
    bool ls = l->kind == TY_STR, rs = r->kind == TY_STR;
    if (op == OP_ADD && (ls || rs) && (ls ? sema_storable(r) : sema_storable(l)))
        diag_note(S->d, e->span, "convert with str(x), or interpolate: \"...{x}\"");
    else if (op == OP_ADD && l->kind == TY_LIST && r->kind == TY_LIST)
        diag_note(S->d, e->span, "only lists of the same type can be joined");
    else if ((l->kind == TY_SET || r->kind == TY_SET) && !is_cmp(op))
        diag_note(S->d, e->span, "sets combine with '|', '&', '-' and '^' with a set of one type");
    else if (op >= OP_BITAND && op <= OP_SHR)
        diag_note(S->d, e->span, "'%s' works on ints only", op_spelling(op));
    else if ((op == OP_EQ || op == OP_NE) && sema_storable(l) && sema_storable(r) && !opaque(l) &&
             !opaque(r))
        diag_note(S->d, e->span, "values of different types are never equal");
    else if (op == OP_EQ || op == OP_NE)
        diag_note(S->d, e->span, "only int, float, bool, str and list values can be compared");
    else if (is_cmp(op) && (l->kind == TY_DICT || r->kind == TY_DICT))
        diag_note(S->d, e->span, "'%s' not supported between instances of 'dict' and 'dict'",
                  op_spelling(op));
    else if (is_cmp(op) && l->kind == TY_SET && r->kind == TY_SET)
        diag_note(S->d, e->span, "'%s' compares sets of one type (subset, superset)",
                  op_spelling(op));
    else if (is_cmp(op))
        diag_note(S->d, e->span, "'%s' orders numbers, strs, bools, or lists of one type",
                  op_spelling(op));
    return is_cmp(op) ? tbool : ty(TY_ERROR);
}

/* Left-nested chains (a + b + c + ...) are walked with an explicit stack,
 * so a long chain cannot exhaust the C stack. */
static Type *binary_chain(Sema *S, Node *e) {
    Node *small[32];
    Node **st = small;
    size_t n = 0, cap = 32;
    for (Node *b = e; b->kind == ND_BINARY; b = b->lhs) {
        if (n == cap) {
            Node **ns = xmalloc(cap * 2 * sizeof *ns);
            memcpy(ns, st, n * sizeof *ns);
            if (st != small) free(st);
            st = ns;
            cap *= 2;
        }
        st[n++] = b;
    }
    Type *lt = sema_value(S, st[n - 1]->lhs, NULL);
    for (size_t i = n; i-- > 0;) {
        Node *b = st[i];
        Type *rt;
        if (is_cmp(b->op) && b->lhs->kind == ND_BINARY && is_cmp(b->lhs->op) && !b->lhs->parens) {
            sema_value(S, b->rhs, NULL);
            diag_error(S->d, b->span, "comparisons cannot be chained; write 'a < b and b < c'");
            lt = b->type = ty(TY_BOOL);
            continue;
        }
        bool container = lt->kind == TY_LIST || lt->kind == TY_DICT || lt->kind == TY_SET;
        Type *hint = container && (is_empty_list(b->rhs) || is_empty_ctor(b->rhs)) ? lt : NULL;
        /* `x is not None and x > 0`: the right side knows what the left proved */
        size_t mark = narrow_mark(S);
        if (b->op == OP_AND || b->op == OP_OR) narrow_cond(S, b->lhs, b->op == OP_AND);
        rt = sema_value(S, b->rhs, hint);
        narrow_reset(S, mark);
        lt = b->type = sema_binary_type(S, b, b->op, lt, rt);
    }
    if (st != small) free(st);
    return lt;
}

static Type *unary_expr(Sema *S, Node *e) {
    Type *t = sema_value(S, e->lhs, NULL);
    switch (e->op) {
    case OP_NOT:
        if (!is_err(t) && t->kind != TY_BOOL) {
            diag_error(S->d, e->lhs->span, "'not' needs a bool, not %s", sema_tname(t));
            if (is_num(t))
                diag_note(S->d, e->lhs->span, "compare it explicitly, for example 'x == 0'");
        }
        return ty(TY_BOOL);
    case OP_NEG:
    case OP_POS:
        if (is_err(t) || is_num(t)) return t;
        diag_error(S->d, e->span, "cannot apply unary '%s' to %s", op_spelling(e->op),
                   sema_tname(t));
        if (t->kind == TY_OPTIONAL) may_be_none(S, e->lhs);
        return ty(TY_ERROR);
    case OP_BITNOT:
        if (is_err(t) || t->kind == TY_INT) return t;
        diag_error(S->d, e->span, "'~' needs an int, not %s", sema_tname(t));
        return ty(TY_ERROR);
    default: return ty(TY_ERROR);
    }
}

/* ---- indexing and members ------------------------------------------------- */

bool sema_const_int(const Node *e, int64_t *out) {
    if (e->kind == ND_INT) {
        *out = e->ival;
        return true;
    }
    if (e->kind == ND_NAME && e->sym && e->sym->kind == SYM_CONST && e->sym->decl &&
        e->sym->decl->lhs)
        return sema_const_int(e->sym->decl->lhs, out);
    if (e->kind == ND_UNARY && e->op == OP_NEG && sema_const_int(e->lhs, out) &&
        *out != INT64_MIN) {
        *out = -*out;
        return true;
    }
    return false;
}

SymX *sema_flow_sym(Node *e) {
    Node *nm = e->kind == ND_INDEX ? e->lhs : e;
    if (nm->kind != ND_NAME || !nm->sym || !nm->sym->type) return NULL;
    Symbol *s = nm->sym;
    TypeKind k = s->type->kind;
    if (e->kind == ND_INDEX) {
        if (k != TY_HANDLES) return NULL;
        if (e->argc > 0 && s->elems && e->argc <= s->count) return symx(s->elems[e->argc - 1]);
        return symx(s);
    }
    return k == TY_QUEUE || k == TY_CONN || k == TY_HANDLES ? symx(s) : NULL;
}

static const char *handles_what(const Type *t) {
    return t->elem->kind == TY_CONN ? "pipe ends" : "queues";
}

/* a[i] of an array of pipe ends or queues (or a list of them given to a
 * def): the element's handle. A constant index is checked against the
 * array's size; the replica index of the group being declared gives each
 * replica its own element, when the group has the array's size. */
static Type *handle_index(Sema *S, Node *e, Type *t, Type *it) {
    e->argc = 0;
    Symbol *a = e->lhs->kind == ND_NAME ? e->lhs->sym : NULL;
    if (is_err(it) || it->kind != TY_INT || !a || !a->elems) return t->elem;
    int64_t k;
    Node *pd = S->proc_decl;
    if (sema_const_int(e->rhs, &k)) {
        int64_t at = k < 0 ? k + a->count : k;
        if (at < 0 || at >= a->count) {
            diag_error(S->d, e->rhs->span, "index %lld is out of range: '%s' has %lld %s",
                       (long long)k, a->name, (long long)a->count, handles_what(t));
            diag_note(S->d, a->span, "'%s' is declared here", a->name);
            return ty(TY_ERROR);
        }
        e->argc = (int)at + 1;
    } else if (pd && pd->sym2 && e->rhs->kind == ND_NAME && e->rhs->sym == pd->sym2) {
        int64_t n;
        if (!pd->lhs || !sema_const_int(pd->lhs, &n) || n != a->count) {
            if (pd->lhs && sema_const_int(pd->lhs, &n))
                diag_error(S->d, e->span,
                           "'%s[%s]' gives each process of '%s' its own element, but '%s' has "
                           "%lld processes and '%s' %lld %s",
                           a->name, pd->index_name, pd->name, pd->name, (long long)n, a->name,
                           (long long)a->count, handles_what(t));
            else
                diag_error(S->d, e->span,
                           "'%s[%s]' gives each process of '%s' its own element, but the size of "
                           "'%s' is not a constant",
                           a->name, pd->index_name, pd->name, pd->name);
            diag_note(S->d, a->span, "declare the group with the size of '%s': 'process %s[%lld]'",
                      a->name, pd->name, (long long)a->count);
            return ty(TY_ERROR);
        }
        e->argc = IX_REPLICA;
    }
    return t->elem;
}

static Type *index_expr(Sema *S, Node *e) {
    Type *t = sema_expr(S, e->lhs, NULL);
    if (t->kind == TY_DICT && !e->unpack) {
        key_arg(S, e->rhs, t->items[0], t);
        return t->elem;
    }
    if (t->kind == TY_SET && !e->unpack) {
        sema_value(S, e->rhs, NULL);
        diag_error(S->d, e->span, "a set cannot be indexed: it has no order of positions");
        diag_note(S->d, e->span, "test membership with 'x in s', or loop over it");
        return ty(TY_ERROR);
    }
    Type *it = sema_value(S, e->rhs, NULL);
    if (!is_err(it) && it->kind != TY_INT && !is_err(t))
        diag_error(S->d, e->rhs->span, "index must be int, not %s", sema_tname(it));
    if (e->unpack && t->kind != TY_TUPLE) { /* `let a, b = e`: only a tuple unpacks */
        if (!is_err(t) && e->rhs->ival == 0)
            diag_error(S->d, e->lhs->span, "cannot unpack %s %s; only a tuple unpacks", sema_an(t),
                       sema_tname(t));
        return ty(TY_ERROR);
    }
    switch (t->kind) {
    case TY_LIST:
    case TY_ARRAY: return t->elem;
    case TY_HANDLES: return handle_index(S, e, t, it);
    case TY_STR: return t;
    case TY_GROUP: return ty(TY_PROCESS);
    case TY_ERROR: return t;
    case TY_OPTIONAL:
    case TY_NULL: sema_none_receiver(S, e->lhs, t); return ty(TY_ERROR);
    case TY_TUPLE: return is_err(it) ? it : tuple_index(S, e, t);
    case TY_VALUE:
        diag_error(S->d, e->span, "cannot index %s %s", sema_an(t), sema_tname(t));
        if (e->lhs->kind == ND_NAME)
            diag_note(S->d, e->span, "its content is '%s.value'", e->lhs->name);
        return ty(TY_ERROR);
    default:
        diag_error(S->d, e->span, "cannot index %s %s", sema_an(t), sema_tname(t));
        return ty(TY_ERROR);
    }
}

/* xs[lo:hi:step] of a list (a list), a str (a str) or an array (a list
 * copy of its elements). */
static Type *slice_expr(Sema *S, Node *e) {
    Type *t = sema_expr(S, e->lhs, NULL);
    Node *bounds[3] = {e->lo, e->hi, e->step};
    for (int i = 0; i < 3; i++) {
        if (!bounds[i]) continue;
        Type *bt = sema_value(S, bounds[i], NULL);
        if (!is_err(bt) && bt->kind != TY_INT)
            diag_error(S->d, bounds[i]->span, "slice indices must be int, not %s", sema_tname(bt));
    }
    if (e->step && e->step->kind == ND_INT && e->step->ival == 0)
        diag_error(S->d, e->step->span, "slice step cannot be zero");
    switch (t->kind) {
    case TY_LIST:
    case TY_STR:
    case TY_ERROR: return t;
    case TY_ARRAY: return type_of(TY_LIST, t->elem);
    case TY_GROUP:
        diag_error(S->d, e->span, "cannot slice a process group");
        diag_note(S->d, e->span,
                  "a group is started and joined as a whole; one process of it "
                  "is '%s[i]'",
                  e->lhs->kind == ND_NAME ? e->lhs->name : "w");
        return ty(TY_ERROR);
    case TY_PROCESS:
    case TY_FUNC:
    case TY_NONE: not_a_value(S, e->lhs, t); return ty(TY_ERROR);
    default:
        diag_error(S->d, e->span, "cannot slice %s %s", sema_an(t), sema_tname(t));
        return ty(TY_ERROR);
    }
}

/* [elem for x in xs if c]: the loop is checked as the statement it is,
 * in its own scope (x does not leak, as in Python 3); the element's push
 * (sema_comp_push) gives the list its type, kept in e->type meanwhile. */
static Type *listcomp_expr(Sema *S, Node *e) {
    Node *outer = S->comp;
    S->comp = e;
    e->type = NULL;
    sema_stmt(S, e->body);
    S->comp = outer;
    return e->type ? e->type : ty(TY_ERROR);
}

void sema_comp_push(Sema *S, Node *st) {
    Type *t = sema_value(S, st->lhs, NULL);
    Node *comp = S->comp;
    int what = comp ? comp->argc : COMP_LIST;
    const char *holder = what == COMP_LIST ? "a list" : what == COMP_SET ? "a set" : "a dict key";
    if (!is_err(t) && !type_is_message(t) && !(what == COMP_LIST && t->kind == TY_ASYNC)) {
        diag_error(S->d, st->lhs->span, "%s cannot %s %s %s", holder,
                   what == COMP_DICT ? "be" : "hold", sema_an(t), sema_tname(t));
        t = ty(TY_ERROR);
    } else if (what != COMP_LIST && unhashable(S, st->lhs, t)) {
        t = ty(TY_ERROR);
    }
    Type *v = NULL;
    if (what == COMP_DICT) {
        v = sema_value(S, st->rhs, NULL);
        if (!is_err(v) && !type_is_message(v)) {
            diag_error(S->d, st->rhs->span, "a dict value cannot be %s %s", sema_an(v),
                       sema_tname(v));
            v = ty(TY_ERROR);
        }
    }
    if (!comp) return;
    if (is_err(t) || (v && is_err(v))) comp->type = ty(TY_ERROR);
    else if (what == COMP_DICT) comp->type = type_dict(t, v);
    else comp->type = type_of(what == COMP_SET ? TY_SET : TY_LIST, t);
}

static Type *member_expr(Sema *S, Node *e, Type *t);

static const BuiltinDef *find_method(TypeKind k, const char *name) {
    return builtin_member(BK_METHOD, k, name);
}

static const BuiltinDef *find_attr(TypeKind k, const char *name) {
    return builtin_member(BK_ATTR, k, name);
}

static const char *kind_noun(TypeKind k) {
    return k == TY_NONE || k == TY_ERROR ? "nothing" : type_kind_name(k);
}

/* "a queue has: put, get, ..." for the kind of T, and a "did you mean". */
static void members_note(Sema *S, Span at, TypeKind k) {
    char buf[600];
    size_t len = 0;
    buf[0] = 0;
    for (BuiltinKind bk = BK_ATTR;; bk = BK_METHOD) {
        for (int i = 0; i < B__COUNT; i++)
            if (builtin_defs[i].kind == bk && builtin_defs[i].on == k && len < sizeof buf - 40)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? ", " : "",
                                        builtin_defs[i].name);
        if (bk == BK_METHOD) break;
    }
    const char *art = k == TY_INT || k == TY_ARRAY || k == TY_EVENT ? "an" : "a";
    if (len) diag_note(S->d, at, "%s %s has: %s", art, kind_noun(k), buf);
    else if (k == TY_ARRAY)
        diag_note(S->d, at, "an array has no methods or attributes; use len(a) and a[i]");
    else if (k == TY_GROUP)
        diag_note(S->d, at,
                  "a process group has no methods or attributes; use 'start w', 'join w', or one "
                  "process: w[i]");
    else diag_note(S->d, at, "%s %s has no methods or attributes", art, kind_noun(k));
}

static const char *suggest_member(TypeKind k, const char *name) {
    const char *best = NULL;
    size_t bestd = 3;
    for (BuiltinKind bk = BK_ATTR;; bk = BK_METHOD) {
        for (int i = 0; i < B__COUNT; i++) {
            const BuiltinDef *d = &builtin_defs[i];
            size_t dd = d->kind == bk && d->on == k ? sema_edit_distance(name, d->name, 2) : 3;
            if (dd < bestd) {
                bestd = dd;
                best = d->name;
            }
        }
        if (bk == BK_METHOD) break;
    }
    return best;
}

static void no_member(Sema *S, Node *m, Type *t, const char *what) {
    const char *sug = suggest_member(t->kind, m->name);
    Span at = m->name_span.end > m->name_span.begin ? m->name_span : m->span;
    if (sug)
        diag_error(S->d, at, "%s has no %s '%s'; did you mean '%s'?", kind_noun(t->kind), what,
                   m->name, sug);
    else diag_error(S->d, at, "%s has no %s '%s'", kind_noun(t->kind), what, m->name);
    members_note(S, at, t->kind);
}

/* An attribute o.name; ASSIGNING: as an assignment target (only
 * v.value can be one). */
Type *sema_member(Sema *S, Node *e, bool assigning) {
    Type *t = sema_expr(S, e->lhs, NULL);
    if (is_err(t)) return e->type = t;
    if (assigning) {
        const BuiltinDef *a = find_attr(t->kind, e->name);
        if (a && builtin_id(a) == A_VALUE) {
            e->builtin = A_VALUE;
            return e->type = t->elem;
        }
        if (a) {
            diag_error(S->d, e->span, "cannot assign to '%s.%s'",
                       e->lhs->kind == ND_NAME ? e->lhs->name : "p", e->name);
            if (t->kind == TY_BARRIER)
                diag_note(S->d, e->span, "a Barrier's parties, n_waiting and broken are read-only");
            else
                diag_note(S->d, e->span,
                          "a process's pid, name, daemon and exitcode are read-only (name= and "
                          "daemon= are given where it is declared)");
            return e->type = ty(TY_ERROR);
        }
    }
    return e->type = member_expr(S, e, t);
}

/* current_process() stands for the calling process, which it can only
 * describe: .name, .pid and .daemon. Reports anything else on it. */
static bool self_misuse(Sema *S, Node *m, const BuiltinDef *d) {
    Node *o = m->lhs;
    if (o->kind != ND_CALL || o->builtin != B_CURRENT_PROCESS) return false;
    Builtin id = d ? builtin_id(d) : B_NONE;
    if (id == A_NAME || id == A_PID || id == A_DAEMON) return false;
    Span at = m->name_span.end > m->name_span.begin ? m->name_span : m->span;
    diag_error(S->d, at, "current_process() has '.name', '.pid' and '.daemon' only, not '%s'",
               m->name);
    return true;
}

static Type *member_expr(Sema *S, Node *e, Type *t) {
    const BuiltinDef *a = find_attr(t->kind, e->name);
    if (t->kind == TY_PROCESS && self_misuse(S, e, a)) return ty(TY_ERROR);
    if (!a && sema_none_receiver(S, e->lhs, t)) return ty(TY_ERROR);
    if (!a) {
        Span at = e->name_span.end > e->name_span.begin ? e->name_span : e->span;
        if (find_method(t->kind, e->name))
            diag_error(S->d, at, "'%s' is a method; call it: %s.%s(...)", e->name,
                       e->lhs->kind == ND_NAME ? e->lhs->name : "x", e->name);
        else no_member(S, e, t, "attribute");
        return ty(TY_ERROR);
    }
    Builtin id = builtin_id(a);
    e->builtin = id;
    if (a->result == 'T') return t->elem;
    SymX *p = sema_proc_of(e->lhs);
    if (a->result == 's') return ty(TY_STR);
    if (a->result == 'b') return ty(TY_BOOL);
    if (p && (id == A_PID || id == A_EXITCODE) && !sema_maybe_started(p)) {
        /* Python's None; `start` stands only at the top level, in order,
         * so this is known here, never left to the run. */
        diag_error(S->d, e->span, "'%s%s.%s' is read before '%s' is started", p->s.name,
                   e->lhs->kind == ND_INDEX ? "[i]" : "", e->name, p->s.name);
        diag_note(S->d, p->s.span, "a process has no %s until 'start %s'",
                  id == A_PID ? "pid" : "exit code", p->s.name);
        return id == A_EXITCODE ? ty(TY_ERROR) : ty(TY_INT);
    }
    if (p && id == A_EXITCODE && !p->joined && !p->method_joined) {
        if (diag_warning(S->d, W_UNJOINED, e->span,
                         "'exitcode' of '%s' is read before '%s' is joined", p->s.name, p->s.name))
            diag_note(S->d, e->span, "while it runs, exitcode is None; 'join %s' waits for it",
                      p->s.name);
    }
    /* After a top-level `join p` the process has surely finished: its
     * exitcode is an int. Before, it may still run: int | None. */
    if (id == A_EXITCODE && !(p && p->joined)) return type_of(TY_OPTIONAL, ty(TY_INT));
    /* A group started member by member: a member not known to be started
     * has Python's None for a pid. */
    if (id == A_PID && p && !surely_started(p, e->lhs)) return type_of(TY_OPTIONAL, ty(TY_INT));
    return ty(TY_INT);
}

/* ---- binding arguments to parameters --------------------------------------- */

typedef struct PSpec {
    const char *name;
    Type *type;
    Span span; /* the parameter, for notes (defs) */
    bool optional, kwonly;
    bool posonly; /* given only by position (Python's '/') */
    bool is_elem; /* method: the object's element type */
} PSpec;

typedef struct Callee {
    const char *name; /* 'worker', 'put' */
    Node *def;        /* the def called, NULL: a method */
    SymX *recv;       /* method: the receiver object, if a name */
    PSpec *ps;
    int np;
} Callee;

static const char *plural(int n, const char *one, const char *many) { return n == 1 ? one : many; }

static Span arg_span(const Node *a) {
    if (a->kind == ND_KWARG && a->name_span.end > a->name_span.begin)
        return span_join(a->name_span, a->lhs ? a->lhs->span : a->name_span);
    return a->span;
}

static void where_note(Sema *S, const Callee *c) {
    if (c->def) diag_note(S->d, sema_params_span(c->def), "'%s' is defined here", c->name);
}

/* The first argument bound to parameter IDX (before DUP). */
static Node *first_binding(const Callee *c, Node *args, int idx, Node *dup) {
    int pos = 0;
    for (Node *a = args; a && a != dup; a = a->next) {
        if (a->kind == ND_KWARG) {
            if (strcmp(a->name, c->ps[idx].name) == 0) return a;
        } else if (pos++ == idx) {
            return a;
        }
    }
    return NULL;
}

static void arg_type(Sema *S, const Callee *c, int idx, Node *val) {
    PSpec *p = &c->ps[idx];
    if (!p->type) return; /* key=: a function, checked by the call's hook */
    Type *t = sema_value(S, val, p->type);
    if (sema_assignable(p->type, t) || sema_none_misuse(S, val, p->type, t)) return;
    if (c->def) {
        diag_error(S->d, val->span, "argument '%s' of '%s' must be %s, not %s", p->name, c->name,
                   sema_tname(p->type), sema_tname(t));
        diag_note(S->d, p->span, "parameter '%s' is declared here", p->name);
    } else {
        diag_error(S->d, val->span, "argument of '%s' must be %s, not %s", c->name,
                   sema_tname(p->type), sema_tname(t));
        if (c->recv && p->is_elem)
            diag_note(S->d, c->recv->s.span, "'%s' is declared here as %s %s", c->recv->s.name,
                      sema_an(c->recv->s.type), sema_tname(c->recv->s.type));
    }
}

/* Binds CALL's arguments to C's parameters as Python would; fills
 * call->argv (one slot per parameter, NULL: omitted optional) and argc. */
static bool bind_args(Sema *S, Node *call, const Callee *c) {
    bool ok = true;
    Node **argv =
        c->np ? arena_alloc_aligned(S->arena, (size_t)c->np * sizeof *argv, _Alignof(Node *))
              : NULL;
    int npos = 0;
    while (npos < c->np && !c->ps[npos].kwonly) npos++;
    int pos = 0, extra = 0;
    Node *first_extra = NULL, *last_extra = NULL, *seen_kw = NULL;
    for (Node *a = call->args; a; a = a->next) {
        if (a->kind == ND_KWARG) {
            seen_kw = a;
            int idx = -1;
            for (int i = 0; i < c->np; i++)
                if (strcmp(c->ps[i].name, a->name) == 0) idx = i;
            if (idx >= 0 && c->ps[idx].posonly) {
                Span at = a->name_span.end > a->name_span.begin ? a->name_span : a->span;
                diag_error(S->d, at, "'%s' takes no keyword arguments", c->name);
                diag_note(S->d, at, "give '%s' by position", a->name);
                a->type = sema_value(S, a->lhs, NULL);
                ok = false;
                continue;
            }
            if (idx < 0) {
                const char *sug = NULL;
                size_t best = 3;
                for (int i = 0; i < c->np; i++) {
                    size_t dd = sema_edit_distance(a->name, c->ps[i].name, 2);
                    if (dd < best) {
                        best = dd;
                        sug = c->ps[i].name;
                    }
                }
                Span at = a->name_span.end > a->name_span.begin ? a->name_span : a->span;
                if (sug)
                    diag_error(S->d, at, "'%s' has no parameter named '%s'; did you mean '%s'?",
                               c->name, a->name, sug);
                else diag_error(S->d, at, "'%s' has no parameter named '%s'", c->name, a->name);
                where_note(S, c);
                a->type = sema_value(S, a->lhs, NULL);
                ok = false;
                continue;
            }
            if (argv[idx]) {
                diag_error(S->d, arg_span(a), "argument '%s' is given twice", a->name);
                Node *f = first_binding(c, call->args, idx, a);
                if (f) diag_note(S->d, arg_span(f), "'%s' is first given here", a->name);
                a->type = sema_value(S, a->lhs, NULL);
                ok = false;
                continue;
            }
            argv[idx] = a->lhs;
            arg_type(S, c, idx, a->lhs);
            a->type = a->lhs->type;
            continue;
        }
        if (seen_kw) {
            diag_error(S->d, a->span, "positional argument follows keyword argument");
            diag_note(S->d, arg_span(seen_kw), "keyword argument here");
            sema_value(S, a, NULL);
            ok = false;
            continue;
        }
        if (pos >= npos) {
            if (!first_extra) first_extra = a;
            last_extra = a;
            extra++;
            sema_value(S, a, NULL);
            pos++;
            continue;
        }
        argv[pos] = a;
        arg_type(S, c, pos, a);
        pos++;
    }
    if (extra) {
        int given = pos;
        Span at = span_join(first_extra->span, last_extra->span);
        int nreq = 0;
        for (int i = 0; i < npos; i++) nreq += !c->ps[i].optional;
        if (npos == 0)
            diag_error(S->d, at, "'%s' takes no %sarguments but %d %s given", c->name,
                       c->np ? "positional " : "", given, plural(given, "was", "were"));
        else if (nreq == npos)
            diag_error(S->d, at, "'%s' takes %d %s but %d %s given", c->name, npos,
                       plural(npos, "argument", "arguments"), given, plural(given, "was", "were"));
        else
            diag_error(S->d, at, "'%s' takes at most %d %s but %d %s given", c->name, npos,
                       plural(npos, "argument", "arguments"), given, plural(given, "was", "were"));
        if (npos < c->np && c->ps[npos].kwonly)
            diag_note(S->d, at, "'%s' is given by name: %s(%s=...)", c->ps[npos].name, c->name,
                      c->ps[npos].name);
        where_note(S, c);
        ok = false;
    }
    int nmiss = 0;
    for (int i = 0; i < c->np; i++) nmiss += !argv[i] && !c->ps[i].optional;
    if (nmiss && ok) {
        char buf[600];
        size_t len = 0;
        int k = 0;
        buf[0] = 0;
        for (int i = 0; i < c->np && len < sizeof buf - 1; i++) {
            if (argv[i] || c->ps[i].optional) continue;
            k++;
            const char *sep = k == 1 ? "" : k == nmiss ? " and " : ", ";
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s'%s'", sep, c->ps[i].name);
        }
        diag_error(S->d, call->span, "missing %s %s in call to '%s'",
                   plural(nmiss, "argument", "arguments"), buf, c->name);
        where_note(S, c);
        ok = false;
    }
    call->argv = argv;
    call->argc = c->np;
    return ok;
}

/* ---- calls --------------------------------------------------------------- */

/* Records every earlier parameter of this call given the same queue or
 * pipe end as parameter P (the I-th): the callee sees two names for one
 * object, which its own facts cannot tell. */
static void flow_aliases(Sema *S, Node *call, Node *def, Node *p, int i) {
    Node *a = call->argv[i];
    int j = 0;
    for (Node *q = def->params; q != p; q = q->next, j++) {
        Node *b = call->argv[j];
        if (b && b->kind == ND_NAME && b->sym == a->sym && q->sym)
            flow_alias(S, symx(a->sym), symx(q->sym), symx(p->sym), a, def->name);
    }
}

static bool flow_kind(const SymX *x) {
    return x->s.type &&
           (x->s.type->kind == TY_QUEUE || x->s.type->kind == TY_CONN ||
            x->s.type->kind == TY_HANDLES) &&
           (x->s.kind == SYM_PARAM || x->s.kind == SYM_QUEUE || x->s.kind == SYM_PIPE_END);
}

Type *sema_def_call(Sema *S, Node *call, SymX *f, bool is_process) {
    Node *def = f->s.decl;
    call->callee->type = ty(TY_FUNC);
    PSpec *ps = f->sig;
    if (!ps) { /* first call: the specs, ending with a NULL name */
        int np = 0;
        for (Node *p = def->params; p; p = p->next) np++;
        f->sig = ps = arena_alloc(&S->scratch, (size_t)(np + 1) * sizeof *ps);
        int k = 0;
        for (Node *p = def->params; p; p = p->next, k++) {
            ps[k].name = p->name;
            ps[k].type = p->sym ? p->sym->type : ty(TY_ERROR);
            ps[k].span = p->sym ? p->sym->span : p->span;
        }
    }
    int np = 0;
    while (ps[np].name) np++;
    Callee c = {def->name, def, NULL, ps, np};
    int i;
    call->builtin = B_NONE;
    bind_args(S, call, &c);
    i = 0;
    for (Node *p = def->params; p; p = p->next, i++) {
        Node *a = call->argv ? call->argv[i] : NULL;
        SymX *x = a ? sema_flow_sym(a) : NULL; /* `q`, or `qs[k]` of a list of them */
        if (!x || !p->sym) continue;
        SymX *param = symx(p->sym);
        if (!flow_kind(x) || !flow_kind(param) || !a->type || is_err(a->type) ||
            !sema_assignable(param->s.type, a->type)) /* also a joinable queue for a queue */
            continue;
        /* A process declared in a def runs the callee while the def runs:
         * the def counts as doing what the callee does, as for a call, and
         * hands the object on. A process of the parent program is counted
         * from its def's parameters instead (sema_facts.c). */
        if (!is_process || S->def) flow_edge(S, x, param, a->span, def->name);
        if (is_process && S->def) flow_direct(S, x, SF_NESTED, a->span);
        if (sema_pipe_dir(x)) flow_pipe_arg(S, x, param, a, def->name);
        if (a->kind == ND_NAME) flow_aliases(S, call, def, p, i);
    }
    Type *rt = def->ret_type;
    if (!rt) return ty(TY_NONE);
    return sema_storable(rt) ? rt : ty(TY_ERROR);
}

static int positional_args(Sema *S, Node *call, const char *name, Node ***out) {
    int n = 0;
    for (Node *a = call->args; a; a = a->next) n++;
    Node **argv =
        n ? arena_alloc_aligned(S->arena, (size_t)n * sizeof *argv, _Alignof(Node *)) : NULL;
    int k = 0;
    for (Node *a = call->args; a; a = a->next) {
        if (a->kind == ND_KWARG) {
            Span at = a->name_span.end > a->name_span.begin ? a->name_span : a->span;
            diag_error(S->d, at, "'%s' takes no keyword arguments", name);
            a->type = sema_value(S, a->lhs, NULL);
            continue;
        }
        argv[k++] = a;
    }
    call->argv = argv;
    call->argc = k;
    *out = argv;
    return k;
}

static bool arity(Sema *S, Node *call, const char *name, int given, int lo, int hi) {
    if (given >= lo && given <= hi) return true;
    if (lo == hi && lo == 0)
        diag_error(S->d, call->span, "'%s' takes no arguments but %d %s given", name, given,
                   plural(given, "was", "were"));
    else if (lo == hi)
        diag_error(S->d, call->span, "'%s' takes %d %s but %d %s given", name, lo,
                   plural(lo, "argument", "arguments"), given, plural(given, "was", "were"));
    else if (given < lo)
        diag_error(S->d, call->span, "'%s' takes at least %d %s but %d %s given", name, lo,
                   plural(lo, "argument", "arguments"), given, plural(given, "was", "were"));
    else
        diag_error(S->d, call->span, "'%s' takes at most %d %s but %d %s given", name, hi,
                   plural(hi, "argument", "arguments"), given, plural(given, "was", "were"));
    return false;
}

/* The type a row's RESULT letter stands for; OBJ: a method's object. */
static Type *result_type(char r, Type *obj) {
    switch (r) {
    case 'T': return obj->elem;
    case 'K': return type_of(TY_LIST, obj->items[0]);
    case 'V': return type_of(TY_LIST, obj->items[1]);
    case 'I': return type_of(TY_LIST, type_tuple(obj->items, 2));
    case 'O': return obj;
    case 'b': return ty(TY_BOOL);
    case 'i': return ty(TY_INT);
    case 'f': return ty(TY_FLOAT);
    case 's': return ty(TY_STR);
    case 'L': return type_of(TY_LIST, ty(TY_STR));
    case 'F': return ty(TY_FILE);
    default: return ty(TY_NONE);
    }
}

/* A call of a built-in function, for its CHECK hook (builtins.def): its
 * positional arguments ARGV[0..N-1] are not checked yet. */
typedef struct BCall {
    Node *call;
    const BuiltinDef *d;
    Node **argv;
    int n;
    bool range_ok; /* the call is a for loop's iterable */
    Type *obj;     /* a method's object */
    Type *hint;    /* the type the context expects (dict(), set()), or NULL */
} BCall;

/* Checks the arguments as values, at most 3 of their types kept in TYPES. */
static void arg_values(Sema *S, const BCall *c, Type **types) {
    for (int i = 0; i < c->n; i++) types[i < 3 ? i : 2] = sema_value(S, c->argv[i], NULL);
}

static Type *check_generic(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi);
    return result_type(c->d->result, NULL);
}

/* print's keyword arguments, in the order of its argv after the values. */
static const char *const print_kw[PRINT_KWARGS] = {"sep", "end", "file", "flush"};

/* print(values..., sep=, end=, file=, flush=): call->argv holds the values
 * and then one slot per keyword (NULL: not given), argc all of them. */
static Type *check_print(Sema *S, const BCall *c) {
    Node *call = c->call;
    int n = 0;
    for (Node *a = call->args; a; a = a->next) n += a->kind != ND_KWARG;
    Node **argv = arena_alloc(S->arena, (size_t)(n + PRINT_KWARGS) * sizeof *argv);
    memset(argv, 0, (size_t)(n + PRINT_KWARGS) * sizeof *argv);
    int k = 0;
    Node *seen_kw = NULL;
    for (Node *a = call->args; a; a = a->next) {
        if (a->kind != ND_KWARG) {
            Type *t = sema_value(S, a, NULL);
            if (!printable(t)) not_printable(S, a, t, "print");
            if (seen_kw) diag_error(S->d, a->span, "positional argument follows keyword argument");
            argv[k++] = a;
            continue;
        }
        seen_kw = a;
        Span at = a->name_span.end > a->name_span.begin ? a->name_span : a->span;
        int slot = -1;
        for (int i = 0; i < PRINT_KWARGS; i++)
            if (strcmp(a->name, print_kw[i]) == 0) slot = i;
        Type *want = slot == 2 ? ty(TY_FILE) : slot == 3 ? ty(TY_BOOL) : ty(TY_STR);
        Type *t = a->type = sema_value(S, a->lhs, want);
        if (slot < 0) {
            diag_error(S->d, at, "'print' has no parameter named '%s'", a->name);
            diag_note(S->d, at, "print takes sep=, end=, file= and flush= by name");
        } else if (argv[n + slot]) {
            diag_error(S->d, at, "argument '%s' is given twice", a->name);
        } else {
            argv[n + slot] = a->lhs;
            if (!sema_assignable(want, t))
                diag_error(S->d, a->lhs->span, "argument '%s' of 'print' must be %s, not %s",
                           a->name, sema_tname(want), sema_tname(t));
        }
    }
    call->argv = argv;
    call->argc = n + PRINT_KWARGS;
    return ty(TY_NONE);
}

/* Binds a keyword-taking built-in's arguments to its parameters PS as
 * Python binds them (call->argv, one slot per parameter). */
static void bind_builtin(Sema *S, const BCall *c, PSpec *ps, int np) {
    Callee callee = {c->d->name, NULL, NULL, ps, np};
    bind_args(S, c->call, &callee);
}

/* A mode open() refuses, known before the program runs. */
static bool bad_mode(const char *m, size_t n) {
    if (n == 0 || (m[0] != 'r' && m[0] != 'w' && m[0] != 'a')) return true;
    bool plus = false, text = false;
    for (size_t i = 1; i < n; i++) {
        if (m[i] == '+' && !plus) plus = true;
        else if (m[i] == 't' && !text) text = true;
        else return true;
    }
    return false;
}

/* open(file, mode="r") */
static Type *check_open(Sema *S, const BCall *c) {
    PSpec ps[2] = {{.name = "file", .type = ty(TY_STR)},
                   {.name = "mode", .type = ty(TY_STR), .optional = true}};
    bind_builtin(S, c, ps, 2);
    Node *mode = c->call->argv ? c->call->argv[1] : NULL;
    if (mode && mode->kind == ND_STR && mode->parts && mode->parts->kind == ND_STRPART &&
        !mode->parts->next && bad_mode(mode->parts->str, mode->parts->len)) {
        diag_error(S->d, mode->span, "invalid mode for open()");
        diag_note(S->d, mode->span,
                  "a mode is \"r\" (read), \"w\" (write, emptying the file) or \"a\" (append), "
                  "optionally with \"+\" (read and write); files are text");
    }
    return ty(TY_FILE);
}

/* getenv(key, default=None): Python's os.getenv. The result is a str when
 * the default is one, else `str | None`. */
static Type *check_getenv(Sema *S, const BCall *c) {
    Type *str_or_none = type_of(TY_OPTIONAL, ty(TY_STR));
    PSpec ps[2] = {{.name = "key", .type = ty(TY_STR)},
                   {.name = "default", .type = str_or_none, .optional = true}};
    bind_builtin(S, c, ps, 2);
    Node *dflt = c->call->argv ? c->call->argv[1] : NULL;
    return dflt && dflt->type && dflt->type->kind == TY_STR ? ty(TY_STR) : str_or_none;
}

static Type *check_len(Sema *S, const BCall *c) {
    Node **argv = c->argv;
    Type *types[3] = {NULL, NULL, NULL};
    /* len(w) of a process group is its number of processes */
    for (int i = 0; i < c->n; i++) {
        Type *t = sema_expr(S, argv[i], NULL);
        if (t->kind == TY_PROCESS || t->kind == TY_FUNC || t->kind == TY_NONE) {
            not_a_value(S, argv[i], t);
            t = ty(TY_ERROR);
        }
        types[i < 3 ? i : 2] = t;
    }
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_INT);
    Type *t = types[0];
    if (sema_none_receiver(S, argv[0], t)) return ty(TY_INT);
    if (!is_err(t) && t->kind != TY_STR && t->kind != TY_LIST && t->kind != TY_ARRAY &&
        t->kind != TY_GROUP && t->kind != TY_TUPLE && t->kind != TY_DICT && t->kind != TY_SET &&
        t->kind != TY_HANDLES)
        diag_error(S->d, argv[0]->span, "len() needs a str, list, array or process group, not %s",
                   sema_tname(t));
    return ty(TY_INT);
}

static Type *check_range(Sema *S, const BCall *c) {
    Node **argv = c->argv;
    for (int i = 0; i < c->n; i++) {
        Type *t = sema_value(S, argv[i], NULL);
        if (!is_err(t) && t->kind != TY_INT)
            diag_error(S->d, argv[i]->span, "range() arguments must be int, not %s", sema_tname(t));
    }
    arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi);
    if (c->n == 3 && argv[2]->kind == ND_INT && argv[2]->ival == 0)
        diag_error(S->d, argv[2]->span, "range() step must not be zero");
    if (!c->range_ok) {
        diag_error(S->d, c->call->span,
                   "range() can only be used in a for loop: 'for i in range(n)'");
        return ty(TY_ERROR);
    }
    return type_of(TY_LIST, ty(TY_INT));
}

/* str(), int(), float(), bool() */
static Type *check_convert(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    Type *rk = result_type(c->d->result, NULL);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return rk;
    Type *t = types[0];
    Builtin id = builtin_id(c->d);
    bool ok =
        id == B_STR || id == B_REPR
            ? printable(t)
            : (is_num(t) || t->kind == TY_BOOL || t->kind == TY_STR ||
               (id == B_BOOL && (t->kind == TY_LIST || t->kind == TY_DICT || t->kind == TY_SET)));
    if (!is_err(t) && !ok)
        diag_error(S->d, c->argv[0]->span, "%s() cannot convert %s %s", c->d->name, sema_an(t),
                   sema_tname(t));
    if (c->n == 2) { /* int(s, base) */
        if (!is_err(t) && t->kind != TY_STR)
            diag_error(S->d, c->argv[0]->span, "int() can't convert non-string with explicit base");
        if (!is_err(types[1]) && types[1]->kind != TY_INT)
            diag_error(S->d, c->argv[1]->span, "int() base must be an int, not %s",
                       sema_tname(types[1]));
        Node *b = c->argv[1];
        if (b->kind == ND_INT && b->ival != 0 && (b->ival < 2 || b->ival > 36))
            diag_error(S->d, b->span, "int() base must be >= 2 and <= 36, or 0");
    }
    return rk;
}

/* Python's name of the type format() sees for T, or NULL: not one of
 * int, bool, float, str, list. */
static const char *format_type_name(Type *t) {
    switch (t->kind) {
    case TY_INT: return "int";
    case TY_FLOAT: return "float";
    case TY_BOOL: return "bool";
    case TY_STR: return "str";
    case TY_LIST: return "list";
    default: return NULL;
    }
}

/* format(x), format(x, spec), and "{x:spec}": a literal spec is checked
 * here, as Python would check it at run time. */
static Type *check_format(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_STR);
    Type *t = types[0];
    const char *tname = format_type_name(t);
    if (!is_err(t) && !tname)
        diag_error(S->d, c->argv[0]->span, "format() cannot format %s %s", sema_an(t),
                   sema_tname(t));
    if (c->n < 2) return ty(TY_STR);
    Node *spec = c->argv[1];
    if (!is_err(types[1]) && types[1]->kind != TY_STR) {
        diag_error(S->d, spec->span, "format() argument 2 must be str, not %s",
                   sema_tname(types[1]));
        return ty(TY_STR);
    }
    bool literal = spec->kind == ND_STR && spec->parts && spec->parts->kind == ND_STRPART &&
                   !spec->parts->next;
    if (!tname || !literal || spec->parts->len == 0) return ty(TY_STR);
    if (t->kind == TY_LIST) {
        diag_error(S->d, spec->span, "unsupported format string passed to list.__format__");
        diag_note(S->d, spec->span, "a list takes no format spec; format its elements");
        return ty(TY_STR);
    }
    mp_fmtspec f;
    char err[300];
    if (!mp_fmtspec_parse(spec->parts->str, spec->parts->len, tname, &f, err, sizeof err))
        diag_error(S->d, spec->span, "%s", err);
    return ty(TY_STR);
}

static Type *check_abs(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    Type *t = types[0];
    if (is_err(t) || is_num(t)) return t;
    diag_error(S->d, c->argv[0]->span, "abs() needs a number, not %s", sema_tname(t));
    return ty(TY_ERROR);
}

/* The element type of a sequence zip() and enumerate() take (a list or
 * a str), else reports and gives ERROR. */
static Type *seq_elem(Sema *S, const BCall *c, Node *arg, Type *t) {
    if (is_err(t)) return t;
    if (t->kind == TY_LIST) return t->elem;
    if (t->kind == TY_STR) return t;
    if (!sema_none_receiver(S, arg, t))
        diag_error(S->d, arg->span, "%s() needs a list or a str, not %s", c->d->name,
                   sema_tname(t));
    return ty(TY_ERROR);
}

/* enumerate(xs[, start]): a list[tuple[int, T]]. */
static Type *check_enumerate(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    Type *el = seq_elem(S, c, c->argv[0], types[0]);
    if (c->n == 2 && !is_err(types[1]) && types[1]->kind != TY_INT) {
        diag_error(S->d, c->argv[1]->span, "enumerate() start must be int, not %s",
                   sema_tname(types[1]));
        return ty(TY_ERROR);
    }
    if (is_err(el)) return el;
    Type *items[2] = {ty(TY_INT), el};
    return type_of(TY_LIST, type_tuple(items, 2));
}

/* zip(a, b[, c]): a list of tuples, as long as the shortest. */
static Type *check_zip(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    Type *items[3];
    bool bad = false;
    for (int i = 0; i < c->n; i++) {
        items[i] = seq_elem(S, c, c->argv[i], types[i]);
        bad |= is_err(items[i]);
    }
    return bad ? ty(TY_ERROR) : type_of(TY_LIST, type_tuple(items, c->n));
}

/* divmod(a, b): (a // b, a % b) of two ints, or of numbers as floats. */
static Type *check_divmod(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    for (int i = 0; i < 2; i++) {
        if (is_err(types[i])) return types[i];
        if (!is_num(types[i])) {
            diag_error(S->d, c->argv[i]->span, "divmod() needs numbers, not %s",
                       sema_tname(types[i]));
            return ty(TY_ERROR);
        }
    }
    Type *t = types[0]->kind == TY_FLOAT || types[1]->kind == TY_FLOAT ? ty(TY_FLOAT) : ty(TY_INT);
    Type *items[2] = {t, t};
    return type_tuple(items, 2);
}

static Type *check_current_process(Sema *S, const BCall *c) {
    check_generic(S, c);
    return ty(TY_PROCESS);
}

static Type *check_sleep_exit(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_NONE);
    if (c->n == 1) {
        Type *t = types[0];
        bool sleep = builtin_id(c->d) == B_SLEEP;
        bool ok = sleep ? is_num(t) : t->kind == TY_INT;
        if (!is_err(t) && !ok)
            diag_error(S->d, c->argv[0]->span, "%s() needs %s, not %s", c->d->name,
                       sleep ? "a number of seconds" : "an int exit code", sema_tname(t));
    }
    return ty(TY_NONE);
}

/* ---- built-ins on lists and other iterables ---- */

/* The positional arguments of a BF_KWARGS call, unchecked; its keyword
 * ones are left to the hook's bind_args. */
static int call_positional(Node *call, Sema *S, Node ***out) {
    int n = 0;
    for (Node *a = call->args; a; a = a->next) n += a->kind != ND_KWARG;
    Node **argv =
        n ? arena_alloc_aligned(S->arena, (size_t)n * sizeof *argv, _Alignof(Node *)) : NULL;
    int k = 0;
    for (Node *a = call->args; a; a = a->next)
        if (a->kind != ND_KWARG) argv[k++] = a;
    *out = argv;
    return n;
}

/* Checks ARG as something to iterate (a list, str, array, range() or
 * reversed()); returns its element type, or ERROR (reported). */
static Type *iterable_elem(Sema *S, Node *arg, const char *fname, Type *hint) {
    S->range_ok = arg->kind == ND_CALL;
    Type *t = sema_value(S, arg, hint);
    S->range_ok = false;
    switch (t->kind) {
    case TY_LIST:
    case TY_ARRAY: return t->elem;
    case TY_DICT:
    case TY_SET: return key_type(t); /* a dict's keys */
    case TY_STR:
    case TY_ERROR: return t;
    default:
        diag_error(S->d, arg->span, "%s() needs a list, str, array or range, not %s", fname,
                   sema_tname(t));
        return ty(TY_ERROR);
    }
}

/* key=F of sorted/sort/min/max: F is a def of one parameter taking the
 * elements, or len/abs/str. Returns the key's type, NULL: no key. */
static Type *check_key(Sema *S, Node *key, Type *elem, const char *fname) {
    if (!key) return NULL;
    if (key->kind != ND_NAME) {
        sema_value(S, key, NULL);
        diag_error(S->d, key->span, "key= of %s() takes the name of a def or of len, abs or str",
                   fname);
        return ty(TY_ERROR);
    }
    SymX *x = sema_lookup(S, key->name, NULL);
    if (!x) {
        sema_undefined(S, key);
        return key->type = ty(TY_ERROR);
    }
    key->sym = &x->s;
    x->s.used = true;
    key->type = ty(TY_FUNC);
    if (is_err(elem)) return elem;
    if (x->s.kind == SYM_BUILTIN) {
        Builtin b = (Builtin)x->s.builtin;
        bool ok = (b == B_LEN && (elem->kind == TY_STR || elem->kind == TY_LIST)) ||
                  (b == B_ABS && is_num(elem)) || (b == B_STR && sema_storable(elem));
        if (ok) return b == B_STR ? ty(TY_STR) : b == B_LEN ? ty(TY_INT) : elem;
        diag_error(S->d, key->span, "key=%s cannot take the elements, which are %s", key->name,
                   sema_tname(elem));
        if (b != B_LEN && b != B_ABS && b != B_STR)
            diag_note(S->d, key->span, "the built-in keys are len, abs and str; or write a def");
        return ty(TY_ERROR);
    }
    if (x->s.kind != SYM_FUNC) {
        diag_error(S->d, key->span, "key= of %s() takes a def, but '%s' is %s %s", fname, key->name,
                   sema_an_word(sema_sym_what(x)), sema_sym_what(x));
        return ty(TY_ERROR);
    }
    Node *def = x->s.decl;
    int np = 0;
    for (Node *p = def->params; p; p = p->next) np++;
    if (np != 1 || !def->params->sym) {
        diag_error(S->d, key->span, "key function '%s' must take one parameter, not %d", key->name,
                   np);
        diag_note(S->d, sema_params_span(def), "'%s' is defined here", key->name);
        return ty(TY_ERROR);
    }
    Type *pt = def->params->sym->type, *rt = def->ret_type;
    if (!sema_assignable(pt, elem)) {
        diag_error(S->d, key->span, "key function '%s' takes %s, but the elements are %s",
                   key->name, sema_tname(pt), sema_tname(elem));
        diag_note(S->d, sema_params_span(def), "'%s' is defined here", key->name);
        return ty(TY_ERROR);
    }
    if (!rt || !orderable(rt)) {
        diag_error(S->d, key->span, "key function '%s' must return a value that can be ordered",
                   key->name);
        diag_note(S->d, sema_params_span(def), "'%s' %s", key->name,
                  rt ? "returns a value that cannot be ordered" : "has no return type");
        return ty(TY_ERROR);
    }
    return rt;
}

/* key= and reverse= (keyword only), bound into call->argv[0] and [1]. */
static void bind_sort_kwargs(Sema *S, Node *call, const char *name, Type *elem, bool reverse_ok) {
    PSpec ps[2];
    memset(ps, 0, sizeof ps);
    ps[0] = (PSpec){.name = "key", .type = NULL, .optional = true, .kwonly = true};
    ps[1] = (PSpec){.name = "reverse", .type = ty(TY_BOOL), .optional = true, .kwonly = true};
    /* positional arguments were taken by the caller: bind only keywords */
    Node *pos = NULL, **tail = &pos, *kw = NULL, **ktail = &kw;
    for (Node *a = call->args; a;) {
        Node *next = a->next;
        a->next = NULL;
        if (a->kind == ND_KWARG) *ktail = a, ktail = &a->next;
        else *tail = a, tail = &a->next;
        a = next;
    }
    Callee c = {name, NULL, NULL, ps, reverse_ok ? 2 : 1};
    call->args = kw;
    bind_args(S, call, &c);
    *tail = kw;
    call->args = pos ? pos : kw;
    if (call->argv && call->argv[0]) check_key(S, call->argv[0], elem, name);
}

/* The arguments of sorted/min/max in one array: the positional ones, then
 * key and reverse (NULL when not given). */
static void keep_args(Sema *S, Node *call, Node **pos, int n, int nkw) {
    Node **kwv = call->argv;
    Node **all = arena_alloc(S->arena, (size_t)(n + 2) * sizeof *all);
    for (int i = 0; i < n; i++) all[i] = pos[i];
    for (int i = 0; i < 2; i++) all[n + i] = i < nkw && kwv ? kwv[i] : NULL;
    call->argv = all;
    call->argc = n + 2;
}

static Type *check_sorted(Sema *S, const BCall *c) {
    Type *elem = ty(TY_ERROR);
    for (int i = 0; i < c->n; i++) {
        Type *e = iterable_elem(S, c->argv[i], "sorted", NULL);
        if (i == 0) elem = e;
    }
    bool ok = arity(S, c->call, c->d->name, c->n, 1, 1);
    bind_sort_kwargs(S, c->call, "sorted", elem, true);
    keep_args(S, c->call, c->argv, c->n, 2);
    if (!ok || is_err(elem)) return ty(TY_ERROR);
    return type_of(TY_LIST, elem);
}

static Type *check_sort(Sema *S, const BCall *c) {
    Node **pos;
    int n = call_positional(c->call, S, &pos);
    for (int i = 0; i < n; i++) sema_value(S, pos[i], NULL);
    if (n > 0) {
        diag_error(S->d, pos[0]->span, "'sort' takes no positional arguments");
        diag_note(S->d, pos[0]->span, "give them by name: xs.sort(key=f, reverse=True)");
    }
    bind_sort_kwargs(S, c->call, "sort", c->obj->elem, true);
    return ty(TY_NONE);
}

static Type *check_minmax(Sema *S, const BCall *c) {
    if (c->n == 1) { /* min(xs, key=f): the smallest element */
        Type *elem = iterable_elem(S, c->argv[0], c->d->name, NULL);
        bind_sort_kwargs(S, c->call, c->d->name, elem, false);
        keep_args(S, c->call, c->argv, 1, 1);
        return elem;
    }
    Type *res = ty(TY_INT);
    bool bad = false;
    for (int i = 0; i < c->n; i++) {
        Type *t = sema_value(S, c->argv[i], NULL);
        if (is_err(t)) {
            bad = true;
            continue;
        }
        if (!is_num(t)) {
            diag_error(S->d, c->argv[i]->span, "%s() needs numbers, not %s", c->d->name,
                       sema_tname(t));
            bad = true;
        } else if (t->kind == TY_FLOAT) {
            res = t;
        }
    }
    for (Node *a = c->call->args; a; a = a->next)
        if (a->kind == ND_KWARG) {
            diag_error(S->d, a->name_span,
                       "'%s' takes keyword arguments only with one list: "
                       "%s(xs, key=f)",
                       c->d->name, c->d->name);
            a->type = sema_value(S, a->lhs, NULL);
        }
    c->call->argv = c->argv;
    c->call->argc = c->n;
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    return bad ? ty(TY_ERROR) : res;
}

static Type *check_sum(Sema *S, const BCall *c) {
    Type *elem = c->n > 0 ? iterable_elem(S, c->argv[0], "sum", NULL) : ty(TY_ERROR);
    Type *start = c->n > 1 ? sema_value(S, c->argv[1], NULL) : ty(TY_INT);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    if (!is_err(elem) && !is_num(elem)) {
        diag_error(S->d, c->argv[0]->span, "sum() adds numbers, not %s", sema_tname(elem));
        if (elem->kind == TY_STR)
            diag_note(S->d, c->argv[0]->span, "to join strings, add them in a loop");
        return ty(TY_ERROR);
    }
    if (!is_err(start) && !is_num(start)) {
        diag_error(S->d, c->argv[1]->span, "sum() start must be a number, not %s",
                   sema_tname(start));
        return ty(TY_ERROR);
    }
    if (is_err(elem) || is_err(start)) return ty(TY_ERROR);
    return elem->kind == TY_FLOAT || start->kind == TY_FLOAT ? ty(TY_FLOAT) : ty(TY_INT);
}

static Type *check_any_all(Sema *S, const BCall *c) {
    Type *bools = type_of(TY_LIST, ty(TY_BOOL));
    Type *elem = c->n > 0 ? iterable_elem(S, c->argv[0], c->d->name, bools) : ty(TY_ERROR);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_BOOL);
    if (!is_err(elem) && elem->kind != TY_BOOL) {
        diag_error(S->d, c->argv[0]->span, "%s() needs bools, not %s elements", c->d->name,
                   sema_tname(elem));
        diag_note(S->d, c->argv[0]->span,
                  "values have no truth value in .mp; compare them: %s([x != 0 for x in xs])",
                  c->d->name);
    }
    return ty(TY_BOOL);
}

/* reversed(x) and list(x): a list of x's elements (reversed() only where
 * a for loop, list() or sorted() consumes it, as range()). */
static Type *check_reversed(Sema *S, const BCall *c) {
    Type *elem = c->n > 0 ? iterable_elem(S, c->argv[0], c->d->name, NULL) : ty(TY_ERROR);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    if (!c->range_ok) {
        diag_error(S->d, c->call->span,
                   "reversed() can only be looped over or given to list() or sorted()");
        diag_note(S->d, c->call->span, "a reversed copy of a list is xs[::-1]");
        return ty(TY_ERROR);
    }
    return is_err(elem) ? elem : type_of(TY_LIST, elem);
}

static Type *check_list_of(Sema *S, const BCall *c) {
    Type *elem = c->n > 0 ? iterable_elem(S, c->argv[0], c->d->name, NULL) : ty(TY_ERROR);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    return is_err(elem) ? elem : type_of(TY_LIST, elem);
}

static Type *check_round(Sema *S, const BCall *c) {
    Type *types[3] = {NULL, NULL, NULL};
    arg_values(S, c, types);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    Type *x = types[0], *nd = c->n > 1 ? types[1] : NULL;
    if (!is_err(x) && !is_num(x)) {
        diag_error(S->d, c->argv[0]->span, "round() needs a number, not %s", sema_tname(x));
        return ty(TY_ERROR);
    }
    if (nd && !is_err(nd) && nd->kind != TY_INT) {
        diag_error(S->d, c->argv[1]->span, "round() digits must be int, not %s", sema_tname(nd));
        return ty(TY_ERROR);
    }
    /* round(x) is an int; round(x, n) has x's type */
    return nd && x->kind == TY_FLOAT ? x : is_err(x) ? x : ty(TY_INT);
}

/* ---- pools ---- */

/* The def a pool runs: F names a def whose parameters and result can
 * travel between processes (the items go to the workers, the results come
 * back). Returns its declaration, or NULL (reported). */
static Node *pool_def(Sema *S, Node *f, const char *fname) {
    if (f->kind != ND_NAME) {
        sema_value(S, f, NULL);
        diag_error(S->d, f->span, "%s() takes the name of a def", fname);
        return NULL;
    }
    SymX *x = sema_lookup(S, f->name, NULL);
    if (!x) {
        sema_undefined(S, f);
        f->type = ty(TY_ERROR);
        return NULL;
    }
    f->sym = &x->s;
    x->s.used = true;
    f->type = ty(TY_FUNC);
    if (x->s.kind != SYM_FUNC) {
        diag_error(S->d, f->span, "%s() runs a def, but '%s' is %s %s", fname, f->name,
                   sema_an_word(sema_sym_what(x)), sema_sym_what(x));
        return NULL;
    }
    Node *def = x->s.decl;
    for (Node *p = def->params; p; p = p->next) {
        if (!p->sym) return NULL;
        if (is_err(p->sym->type) || type_is_message(p->sym->type)) continue;
        diag_error(S->d, f->span, "a pool cannot run '%s': its parameter '%s' is %s %s", f->name,
                   p->name, sema_an(p->sym->type), sema_tname(p->sym->type));
        diag_note(S->d, sema_params_span(def),
                  "a pool's def takes values that can be sent to a process (int, float, bool, "
                  "str, and lists, tuples, dicts, sets and optionals of them)");
        return NULL;
    }
    Type *rt = def->ret_type;
    if (!rt || (!is_err(rt) && !type_is_message(rt))) {
        diag_error(S->d, f->span, "a pool cannot run '%s': it %s", f->name,
                   rt ? "returns a value that cannot be sent back" : "returns no value");
        diag_note(S->d, sema_params_span(def), "'%s' is defined here; %s() collects its results",
                  f->name, fname);
        return NULL;
    }
    return def;
}

/* Whether items of type ELEM fit DEF's parameters: one item each (map),
 * or a tuple of one element per parameter (STAR: starmap). */
static bool pool_items_fit(Sema *S, Node *def, Node *f, Node *xs, Type *elem, bool star,
                           const char *fname) {
    int np = 0;
    for (Node *p = def->params; p; p = p->next) np++;
    if (!star) {
        if (np != 1) {
            diag_error(S->d, f->span, "%s() calls '%s' with one item, but it takes %d %s", fname,
                       f->name, np, np == 1 ? "parameter" : "parameters");
            if (np > 1)
                diag_note(S->d, f->span, "starmap() passes a tuple's elements as arguments");
            diag_note(S->d, sema_params_span(def), "'%s' is defined here", f->name);
            return false;
        }
        if (sema_assignable(def->params->sym->type, elem)) return true;
        diag_error(S->d, xs->span, "'%s' takes %s, but the items are %s", f->name,
                   sema_tname(def->params->sym->type), sema_tname(elem));
        diag_note(S->d, sema_params_span(def), "'%s' is defined here", f->name);
        return false;
    }
    bool one = strcmp(fname, "apply_async") == 0; /* xs is the args tuple itself */
    if (elem->kind != TY_TUPLE || elem->n != np) {
        diag_error(S->d, xs->span, "%s() needs %s tuples of %d %s for '%s', not %s", fname,
                   one ? "args that are" : "items that are", np, np == 1 ? "element" : "elements",
                   f->name, sema_tname(elem));
        diag_note(S->d, sema_params_span(def), "'%s' is defined here", f->name);
        return false;
    }
    int i = 0;
    for (Node *p = def->params; p; p = p->next, i++)
        if (!sema_assignable(p->sym->type, elem->items[i])) {
            diag_error(S->d, xs->span,
                       "element %d of the %s is %s, but parameter '%s' of '%s' is %s", i,
                       one ? "args" : "items", sema_tname(elem->items[i]), p->name, f->name,
                       sema_tname(p->sym->type));
            diag_note(S->d, sema_params_span(def), "'%s' is defined here", f->name);
            return false;
        }
    return true;
}

/* P.map(func, iterable, chunksize), starmap, imap, imap_unordered: a list
 * of the results (imap's only where a loop, list() or sorted() takes it,
 * as Python's iterators). */
static Type *check_pool_map(Sema *S, const BCall *c) {
    const char *name = c->d->name;
    Builtin id = c->call->builtin;
    bool lazy = id == M_POOL_IMAP || id == M_POOL_IMAP_UNORDERED;
    PSpec ps[3];
    memset(ps, 0, sizeof ps);
    ps[0] = (PSpec){.name = "func"};
    ps[1] = (PSpec){.name = "iterable"};
    ps[2] = (PSpec){.name = "chunksize", .type = ty(TY_INT), .optional = true};
    Callee cal = {name, NULL, NULL, ps, 3};
    bool ok = bind_args(S, c->call, &cal);
    Node *f = c->call->argv[0], *xs = c->call->argv[1];
    Node *def = f ? pool_def(S, f, name) : NULL;
    Type *hint = NULL; /* P.map(f, []): the items f takes */
    if (def && def->params && !def->params->next && def->params->sym && id != M_POOL_STARMAP &&
        xs && xs->kind == ND_LIST && !xs->elems)
        hint = type_of(TY_LIST, def->params->sym->type);
    Type *elem = xs ? iterable_elem(S, xs, name, hint) : ty(TY_ERROR);
    if (!ok || !def || is_err(elem)) return ty(TY_ERROR);
    if (!pool_items_fit(S, def, f, xs, elem, id == M_POOL_STARMAP, name)) return ty(TY_ERROR);
    if (lazy && !c->range_ok) {
        diag_error(S->d, c->call->span,
                   "%s() can only be looped over or given to list() or sorted()", name);
        diag_note(S->d, c->call->span, "map() gives the list of results at once");
        return ty(TY_ERROR);
    }
    return is_err(def->ret_type) ? def->ret_type : type_of(TY_LIST, def->ret_type);
}

/* P.apply_async(func, args): args a tuple of one element per parameter
 * (left out: a def of none); an AsyncResult of the def's result. */
static Type *check_pool_apply(Sema *S, const BCall *c) {
    PSpec ps[2];
    memset(ps, 0, sizeof ps);
    ps[0] = (PSpec){.name = "func"};
    ps[1] = (PSpec){.name = "args", .optional = true};
    Callee cal = {"apply_async", NULL, NULL, ps, 2};
    bool ok = bind_args(S, c->call, &cal);
    Node *f = c->call->argv[0], *args = c->call->argv[1];
    Node *def = f ? pool_def(S, f, "apply_async") : NULL;
    Type *at = args ? sema_value(S, args, NULL) : NULL;
    if (!ok || !def || (at && is_err(at))) return ty(TY_ERROR);
    int np = 0;
    for (Node *p = def->params; p; p = p->next) np++;
    if (!args && np > 0) {
        diag_error(S->d, c->call->span,
                   "apply_async() needs the arguments of '%s' as a tuple: "
                   "apply_async(%s, (%s%s))",
                   f->name, f->name, np == 1 ? "x" : "x, y", np == 1 ? "," : "");
        diag_note(S->d, sema_params_span(def), "'%s' is defined here", f->name);
        return ty(TY_ERROR);
    }
    if (args && !pool_items_fit(S, def, f, args, at, true, "apply_async")) return ty(TY_ERROR);
    return is_err(def->ret_type) ? def->ret_type : type_of(TY_ASYNC, def->ret_type);
}

/* xs.insert(index, object) */
static Type *check_insert(Sema *S, const BCall *c) {
    PSpec ps[2];
    memset(ps, 0, sizeof ps);
    ps[0] = (PSpec){.name = "index", .type = ty(TY_INT)};
    ps[1] = (PSpec){.name = "object", .type = c->obj->elem, .is_elem = true};
    Node *m = c->call->callee;
    SymX *recv = m->lhs->kind == ND_NAME && m->lhs->sym ? symx(m->lhs->sym) : NULL;
    Callee cal = {"insert", NULL, recv, ps, 2};
    bind_args(S, c->call, &cal);
    return ty(TY_NONE);
}

/* d.get(key[, default]) and d.pop(key[, default]): without a default,
 * get gives `V | None`; a default of None makes it `V | None` too. */
static Type *dict_lookup(Sema *S, const BCall *c, const char *name) {
    Type *v = c->obj->elem;
    Type *ov = v->kind == TY_OPTIONAL ? v : type_of(TY_OPTIONAL, v);
    PSpec ps[2];
    memset(ps, 0, sizeof ps);
    ps[0] = (PSpec){.name = "key", .type = c->obj->items[0], .is_elem = true, .posonly = true};
    ps[1] = (PSpec){.name = "default", .type = ov, .optional = true, .posonly = true};
    Node *m = c->call->callee;
    SymX *recv = m->lhs->kind == ND_NAME && m->lhs->sym ? symx(m->lhs->sym) : NULL;
    Callee cal = {name, NULL, recv, ps, 2};
    bind_args(S, c->call, &cal);
    Node *d = c->call->argv ? c->call->argv[1] : NULL;
    if (!d) return builtin_id(c->d) == M_D_GET ? ov : v;
    return d->type && (d->type->kind == TY_NULL || d->type->kind == TY_OPTIONAL) ? ov : v;
}

static Type *check_dict_get(Sema *S, const BCall *c) { return dict_lookup(S, c, "get"); }
static Type *check_dict_pop(Sema *S, const BCall *c) { return dict_lookup(S, c, "pop"); }

/* dict() and set(): an empty one of the type the context declares;
 * set(xs) of an iterable's elements. */
static Type *check_dict_set(Sema *S, const BCall *c) {
    bool set = builtin_id(c->d) == B_SET;
    TypeKind k = set ? TY_SET : TY_DICT;
    Type *hint = c->hint && c->hint->kind == TY_OPTIONAL ? c->hint->elem : c->hint;
    Type *arg = NULL;
    if (c->n > 0) arg = iterable_elem(S, c->argv[0], c->d->name, NULL);
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    if (arg) {
        if (is_err(arg)) return arg;
        if (unhashable(S, c->argv[0], arg)) return ty(TY_ERROR);
        return type_of(TY_SET, arg);
    }
    if (hint && hint->kind == k) return hint;
    if (hint && is_err(hint)) return hint;
    diag_error(S->d, c->call->span, "cannot infer the type of an empty %s here", c->d->name);
    diag_note(S->d, c->call->span, "give it a type through a variable: '%s'",
              set ? "let s: set[int] = set()" : "let d: dict[str, int] = dict()");
    return ty(TY_ERROR);
}

typedef Type *(*CheckFn)(Sema *S, const BCall *c);

/* The CHECK column of builtins.def. */
static const CheckFn checkers[B__COUNT] = {
#define BUILTIN(id, name, kind, on, param, ptype, flags, lo, hi, result, check, emit) [id] = check,
#include "builtins.def"
#undef BUILTIN
};

static Type *builtin_call(Sema *S, Node *call, SymX *b, bool range_ok, Type *hint) {
    Builtin id = (Builtin)b->s.builtin;
    call->builtin = id;
    call->callee->type = ty(TY_FUNC);
    BCall c = {call, &builtin_defs[id], NULL, 0, range_ok, NULL, hint};
    if (c.d->flags & BF_KWARGS) c.n = call_positional(call, S, &c.argv);
    else if (!(c.d->flags & BP_KEYWORDS)) c.n = positional_args(S, call, b->s.name, &c.argv);
    return checkers[id](S, &c);
}

/* The type a signature letter of builtins.def stands for (PTYPE '*'). */
static Type *sig_type(char c, Type *obj) {
    switch (c) {
    case 'T': return obj->elem;
    case 'K': return key_type(obj);
    case 'i': return ty(TY_INT);
    case 'f': return ty(TY_FLOAT);
    case 'b': return ty(TY_BOOL);
    case 'L': return type_of(TY_LIST, ty(TY_STR));
    default: return ty(TY_STR);
    }
}

/* The parameters of a method whose row gives a signature (PTYPE '*'):
 * "name:T" words, '?' after an optional one, "/" after the ones given
 * only by position and "*" before the ones given only by name, as
 * Python's. Returns how many. */
static int method_signature(Sema *S, const char *sig, Type *obj, PSpec **out) {
    int np = 0;
    for (const char *p = sig; *p; p++) np += *p == ':';
    PSpec *ps = arena_alloc(S->arena, (size_t)(np ? np : 1) * sizeof *ps);
    memset(ps, 0, (size_t)(np ? np : 1) * sizeof *ps);
    int k = 0;
    bool kwonly = false;
    for (const char *p = sig; *p;) {
        while (*p == ' ') p++;
        if (*p == '/') {
            for (int i = 0; i < k; i++) ps[i].posonly = true;
            p++;
            continue;
        }
        if (*p == '*') {
            kwonly = true;
            p++;
            continue;
        }
        const char *colon = strchr(p, ':');
        if (!colon) break;
        ps[k].name = arena_strndup(S->arena, p, (size_t)(colon - p));
        ps[k].type = sig_type(colon[1], obj);
        ps[k].is_elem = colon[1] == 'T' || colon[1] == 'K';
        ps[k].kwonly = kwonly;
        p = colon + 2;
        if (*p == '?') {
            ps[k].optional = true;
            p++;
        }
        k++;
    }
    *out = ps;
    return k;
}

/* stdin.write(), stdout.read(): Python's "not writable" / "not readable",
 * known before the program runs. */
static void std_stream_misuse(Sema *S, Node *call, Builtin id) {
    Node *o = call->callee->lhs;
    if (o->kind != ND_NAME || !o->sym || o->sym->kind != SYM_BUILTIN) return;
    bool in = o->sym->builtin == V_STDIN;
    bool reads = id == M_F_READ || id == M_F_READLINE || id == M_F_READLINES;
    if (in && id == M_F_WRITE)
        diag_error(S->d, call->span, "stdin is not writable; write to stdout or stderr");
    else if (!in && reads)
        diag_error(S->d, call->span, "%s is not readable; read from stdin", o->name);
}

/* q.task_done() or q.join() on a queue not declared joinable: Python's
 * plain Queue has neither (AttributeError). */
static void not_joinable(Sema *S, Node *m, Type *t) {
    Span at = m->name_span.end > m->name_span.begin ? m->name_span : m->span;
    diag_error(S->d, at, "%s has no method '%s': it is not joinable", sema_tname(t), m->name);
    Symbol *q = m->lhs->kind == ND_NAME ? m->lhs->sym : NULL;
    char el[128];
    type_name(t->elem, el, sizeof el);
    if (q && q->kind == SYM_QUEUE)
        diag_note(S->d, q->span, "declare it 'queue %s: %s joinable' (Python's JoinableQueue)",
                  q->name, el);
    else if (q && q->kind == SYM_PARAM)
        diag_note(S->d, q->span, "declare the parameter '%s: queue[%s] joinable'", q->name, el);
}

static Type *method_call(Sema *S, Node *call, bool range_ok) {
    Node *m = call->callee;
    Type *t = sema_expr(S, m->lhs, NULL);
    if (is_err(t)) {
        m->type = t;
        check_args_only(S, call);
        return t;
    }
    const BuiltinDef *me = find_method(t->kind, m->name);
    if (t->kind == TY_PROCESS && self_misuse(S, m, me)) {
        m->type = ty(TY_ERROR);
        check_args_only(S, call);
        return ty(TY_ERROR);
    }
    if (!me && sema_none_receiver(S, m->lhs, t)) {
        m->type = ty(TY_ERROR);
        check_args_only(S, call);
        return ty(TY_ERROR);
    }
    if (!me) {
        Span at = m->name_span.end > m->name_span.begin ? m->name_span : m->span;
        if (find_attr(t->kind, m->name)) {
            char lhs[200] = "x";
            if (m->lhs->kind == ND_NAME) snprintf(lhs, sizeof lhs, "%s", m->lhs->name);
            diag_error(S->d, at, "'%s' is an attribute, not a method; write '%s.%s'", m->name, lhs,
                       m->name);
        } else {
            no_member(S, m, t, "method");
        }
        m->type = ty(TY_ERROR);
        check_args_only(S, call);
        return ty(TY_ERROR);
    }
    m->type = ty(TY_FUNC);
    Builtin id = builtin_id(me);
    m->builtin = call->builtin = id;
    if (sema_pool_runs_def(id)) sema_def_holds(S, SF_DEF_TRIES);
    if ((id == M_TASK_DONE || id == M_QJOIN) && !t->joinable) not_joinable(S, m, t);
    if (checkers[id]) { /* several parameters: the hook binds them */
        BCall bc = {call, me, NULL, 0, range_ok, t, NULL};
        return checkers[id](S, &bc);
    }
    SymX *recv = m->lhs->kind == ND_NAME && m->lhs->sym ? symx(m->lhs->sym) : NULL;
    PSpec one, *ps = &one;
    int np = me->param ? 1 : 0;
    memset(&one, 0, sizeof one);
    if (me->ptype == '*') {
        np = method_signature(S, me->param, t, &ps);
    } else if (me->param) {
        one.name = me->param;
        one.type = me->ptype == 'T'   ? t->elem
                   : me->ptype == 'K' ? key_type(t)
                   : me->ptype == 'O' ? t
                   : me->ptype == 'i' ? ty(TY_INT)
                                      : ty(TY_FLOAT);
        one.is_elem = me->ptype == 'T' || me->ptype == 'K';
        one.optional = me->flags & BP_OPTIONAL;
        one.kwonly = me->flags & BP_KWONLY;
    }
    Callee c = {me->name, NULL, recv && recv->s.kind != SYM_PROCESS ? recv : NULL, ps, np};
    bind_args(S, call, &c);
    if (t->kind == TY_FILE) std_stream_misuse(S, call, id);

    if (t->kind == TY_PROCESS) {
        SymX *p = sema_proc_of(m->lhs);
        if (p && !sema_maybe_started(p) && (id == M_JOIN || id == M_TERMINATE || id == M_KILL)) {
            if (id == M_JOIN)
                diag_error(S->d, call->span, "'%s' is joined before it is started", p->s.name);
            else diag_error(S->d, call->span, "'%s' is stopped before it is started", p->s.name);
            diag_note(S->d, p->s.span, "'%s' is declared here; start it with 'start %s'", p->s.name,
                      p->s.name);
        } else if (p && id == M_JOIN && p->joined) {
            /* one rule for `join p` and `p.join()`: a process is joined once */
            diag_error(S->d, call->span, "'%s' is already joined", p->s.name);
            diag_note(S->d, p->join_at, "'%s' is first joined here", p->s.name);
        } else if (p && id == M_JOIN && m->lhs->kind == ND_INDEX) {
            sema_join_member(S, p, m->lhs, call->span, !call->argv[0] && sema_at_body(S));
            if (!call->argv[0]) p->method_joined = true; /* joined in part, for the warnings */
        } else if (p && id == M_JOIN && !call->argv[0] && m->lhs->kind == ND_NAME) {
            /* Standing directly at the top level it surely runs, as `join p`
             * does; in a block it may not (or may run again). */
            if (sema_at_body(S)) {
                p->joined = true;
                p->join_at = call->span;
            } else {
                p->method_joined = true;
            }
        }
    }
    recv = sema_flow_sym(m->lhs); /* also `a[i].send(x)` */
    if (recv && flow_kind(recv)) {
        unsigned bit = 0;
        switch (id) {
        case M_PUT:
        case M_PUT_NOWAIT: bit = SF_PUTS; break;
        case M_GET:
        case M_GET_NOWAIT: bit = SF_GETS; break;
        case M_SEND: bit = SF_SENDS; break;
        case M_RECV:
        case M_POLL: bit = SF_RECVS; break;
        default: break;
        }
        int dir = sema_pipe_dir(recv);
        if (dir == 1 && bit == SF_RECVS) sema_pipe_misuse(S, recv, call->span, true);
        if (dir == 2 && bit == SF_SENDS) sema_pipe_misuse(S, recv, call->span, false);
        if (bit) flow_direct(S, recv, bit, call->span);
    }
    return result_type(me->result, t);
}

/* RANGE_OK: the call is a for loop's iterable; HINT the type expected. */
static Type *call_expr(Sema *S, Node *call, bool range_ok, Type *hint) {
    Node *c = call->callee;
    if (c->kind == ND_MEMBER) return method_call(S, call, range_ok);
    if (c->kind == ND_NAME) {
        /* a call the parser made ("{x:spec}") means the built-in */
        SymX *x = call->builtin ? sema_builtin(S, c->name) : sema_lookup(S, c->name, NULL);
        if (!x) {
            sema_undefined(S, c);
            c->type = ty(TY_ERROR);
            check_args_only(S, call);
            return ty(TY_ERROR);
        }
        c->sym = &x->s;
        x->s.used = true;
        if (x->s.kind == SYM_FUNC) return sema_def_call(S, call, x, false);
        if (x->s.kind == SYM_BUILTIN && builtin_defs[x->s.builtin].kind == BK_FUNC)
            return builtin_call(S, call, x, range_ok, hint);
        c->type = name_expr(S, c);
        if (x->s.kind == SYM_VAR || x->s.kind == SYM_PARAM)
            diag_error(S->d, c->span, "'%s' is %s %s of type %s, not a function", c->name,
                       sema_an_word(sema_sym_what(x)), sema_sym_what(x), sema_tname(x->s.type));
        else
            diag_error(S->d, c->span, "'%s' is %s %s, not a function", c->name,
                       sema_an_word(sema_sym_what(x)), sema_sym_what(x));
        if (x->s.kind != SYM_BUILTIN) diag_note(S->d, x->s.span, "'%s' is declared here", c->name);
        check_args_only(S, call);
        return ty(TY_ERROR);
    }
    Type *t = sema_expr(S, c, NULL);
    if (!is_err(t)) diag_error(S->d, c->span, "this expression is not a function");
    check_args_only(S, call);
    return ty(TY_ERROR);
}

/* ---- dispatch --------------------------------------------------------------- */

static Type *expr_inner(Sema *S, Node *e, Type *hint) {
    switch (e->kind) {
    case ND_INT: return ty(TY_INT);
    case ND_FLOAT: return ty(TY_FLOAT);
    case ND_BOOL: return ty(TY_BOOL);
    case ND_NONE: return ty(TY_NULL);
    case ND_TUPLE: return tuple_expr(S, e, hint);
    case ND_STR: return str_expr(S, e);
    case ND_STRPART: return ty(TY_STR);
    case ND_NAME: return name_expr(S, e);
    case ND_LIST: return list_expr(S, e, hint);
    case ND_DICT: return dict_expr(S, e, hint);
    case ND_SET: return set_expr(S, e, hint);
    case ND_UNARY: return unary_expr(S, e);
    case ND_BINARY: return binary_chain(S, e);
    case ND_INDEX: return index_expr(S, e);
    case ND_SLICE: return slice_expr(S, e);
    case ND_LISTCOMP: return listcomp_expr(S, e);
    case ND_MEMBER: return sema_member(S, e, false);
    case ND_KWARG:
        diag_error(S->d, e->span, "a keyword argument is only allowed in a call");
        if (e->lhs) sema_value(S, e->lhs, NULL);
        return ty(TY_ERROR);
    default: diag_error(S->d, e->span, "expected an expression"); return ty(TY_ERROR);
    }
}

Type *sema_expr(Sema *S, Node *e, Type *hint) {
    bool range_ok = S->range_ok;
    S->range_ok = false;
    if (S->expr_depth >= MAX_EXPR_DEPTH) {
        if (!S->too_deep)
            diag_error(S->d, e->span, "expression nested too deeply (more than %d levels)",
                       MAX_EXPR_DEPTH);
        S->too_deep = true;
        return e->type = ty(TY_ERROR);
    }
    S->expr_depth++;
    Type *t = e->kind == ND_CALL ? call_expr(S, e, range_ok, hint) : expr_inner(S, e, hint);
    S->expr_depth--;
    e->type = t;
    return t;
}
