/* sema_expr: types of expressions; calls of defs, built-ins and methods;
 * members and indexing. */
#include "sema_impl.h"

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
    case TY_LIST: return type_is_message(t);
    default: return false;
    }
}

bool sema_assignable(const Type *dst, const Type *src) {
    if (dst == src || is_err(dst) || is_err(src)) return true;
    return dst->kind == TY_FLOAT && src->kind == TY_INT;
}

/* A caught exception prints as its message, as Python's str(e). */
static bool printable(const Type *t) {
    return sema_storable(t) || t->kind == TY_ARRAY || t->kind == TY_EXC;
}

static bool is_cmp(Op op) { return op >= OP_EQ && op <= OP_GE; }

/* ---- names ------------------------------------------------------------- */

static Type *name_expr(Sema *S, Node *e) {
    SymX *x = sema_lookup(S, e->name, NULL);
    if (!x) {
        sema_undefined(S, e);
        return ty(TY_ERROR);
    }
    e->sym = &x->s;
    x->s.used = true;
    switch (x->s.kind) {
    case SYM_FUNC:
    case SYM_BUILTIN: return ty(TY_FUNC);
    case SYM_PROCESS: return ty(TY_PROCESS);
    case SYM_GROUP: return ty(TY_GROUP);
    default: return x->s.type ? x->s.type : ty(TY_ERROR);
    }
}

SymX *sema_proc_of(Node *e) {
    if (e->kind == ND_INDEX) e = e->lhs;
    if (e->kind != ND_NAME || !e->sym) return NULL;
    if (e->sym->kind != SYM_PROCESS && e->sym->kind != SYM_GROUP) return NULL;
    return symx(e->sym);
}

MemberJoin *sema_member_join(SymX *g, int64_t k) {
    for (MemberJoin *j = g->member_joins; j; j = j->next)
        if (j->index == k) return j;
    return NULL;
}

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
        MemberJoin *j = arena_alloc(S->arena, sizeof *j);
        j->index = k->ival;
        j->at = at;
        j->next = g->member_joins;
        g->member_joins = j;
    }
}

int sema_pipe_dir(const SymX *x) {
    if (x->s.kind != SYM_PIPE_END || !x->s.decl || !x->s.decl->oneway) return 0;
    return x->s.decl->sym == &x->s ? 1 : 2;
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
static void check_args_only(Sema *S, Node *call) {
    for (Node *a = call->args; a; a = a->next) {
        if (a->kind == ND_KWARG) a->type = sema_value(S, a->lhs, NULL);
        else sema_value(S, a, NULL);
    }
}

/* ---- lists -------------------------------------------------------------- */

static bool is_empty_list(const Node *e) { return e->kind == ND_LIST && !e->elems; }

static Type *list_expr(Sema *S, Node *e, Type *hint) {
    Type *want = hint && hint->kind == TY_LIST ? hint->elem : NULL;
    if (!e->elems) {
        if (want) return hint;
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
        Type *t = sema_value(S, x, want);
        if (is_err(t)) {
            bad = true;
            continue;
        }
        if (!type_is_message(t)) {
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
            } else {
                diag_error(S->d, x->span,
                           "list elements must have one type: this one is %s, the first is %s",
                           sema_tname(t), sema_tname(el));
                diag_note(S->d, first->span, "the first element is here");
                bad = true;
            }
        }
    }
    if (want) return bad ? ty(TY_ERROR) : hint;
    if (deferred) {
        for (Node *x = e->elems; x; x = x->next) {
            if (!is_empty_list(x)) continue;
            if (el && el->kind == TY_LIST) {
                x->type = el;
            } else if (el) {
                x->type = ty(TY_ERROR);
                diag_error(S->d, x->span,
                           "list elements must have one type: this one is a list, the first is %s",
                           sema_tname(el));
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
    if (bad || !el) return ty(TY_ERROR);
    return type_of(TY_LIST, el);
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
        break;
    case OP_EQ:
    case OP_NE:
        if (nums || (l == r && sema_storable(l))) return tbool;
        break;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if (nums || (l == r && (l->kind == TY_STR || l->kind == TY_BOOL))) return tbool;
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
    else if (op >= OP_BITAND && op <= OP_SHR)
        diag_note(S->d, e->span, "'%s' works on ints only", op_spelling(op));
    else if ((op == OP_EQ || op == OP_NE) && sema_storable(l) && sema_storable(r))
        diag_note(S->d, e->span, "values of different types are never equal");
    else if (op == OP_EQ || op == OP_NE)
        diag_note(S->d, e->span, "only int, float, bool, str and list values can be compared");
    else if (is_cmp(op))
        diag_note(S->d, e->span, "'%s' orders numbers, strs or bools", op_spelling(op));
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
        Type *hint = lt->kind == TY_LIST && is_empty_list(b->rhs) ? lt : NULL;
        rt = sema_value(S, b->rhs, hint);
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
        return ty(TY_ERROR);
    case OP_BITNOT:
        if (is_err(t) || t->kind == TY_INT) return t;
        diag_error(S->d, e->span, "'~' needs an int, not %s", sema_tname(t));
        return ty(TY_ERROR);
    default: return ty(TY_ERROR);
    }
}

/* ---- indexing and members ------------------------------------------------- */

static Type *index_expr(Sema *S, Node *e) {
    Type *t = sema_expr(S, e->lhs, NULL);
    Type *it = sema_value(S, e->rhs, NULL);
    if (!is_err(it) && it->kind != TY_INT && !is_err(t))
        diag_error(S->d, e->rhs->span, "index must be int, not %s", sema_tname(it));
    switch (t->kind) {
    case TY_LIST:
    case TY_ARRAY: return t->elem;
    case TY_STR: return t;
    case TY_GROUP: return ty(TY_PROCESS);
    case TY_ERROR: return t;
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
    char buf[300];
    size_t len = 0;
    buf[0] = 0;
    for (BuiltinKind bk = BK_ATTR;; bk = BK_METHOD) {
        for (int i = 0; i < B__COUNT; i++)
            if (builtin_defs[i].kind == bk && builtin_defs[i].on == k)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? ", " : "",
                                        builtin_defs[i].name);
        if (bk == BK_METHOD) break;
    }
    const char *art = k == TY_INT || k == TY_ARRAY ? "an" : "a";
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
            diag_note(S->d, e->span, "a process's pid, name and exitcode are read-only");
            return e->type = ty(TY_ERROR);
        }
    }
    return e->type = member_expr(S, e, t);
}

static Type *member_expr(Sema *S, Node *e, Type *t) {
    const BuiltinDef *a = find_attr(t->kind, e->name);
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
    if (p && (id == A_PID || id == A_EXITCODE) && !p->started) {
        /* Python's None; `start` stands only at the top level, in order,
         * so this is known here, never left to the run. */
        diag_error(S->d, e->span, "'%s%s.%s' is read before '%s' is started", p->s.name,
                   e->lhs->kind == ND_INDEX ? "[i]" : "", e->name, p->s.name);
        diag_note(S->d, p->s.span, "a process has no %s until 'start %s'",
                  id == A_PID ? "pid" : "exit code", p->s.name);
        return ty(TY_INT);
    }
    if (p && id == A_EXITCODE && !p->joined && !p->method_joined) {
        if (diag_warning(S->d, W_UNJOINED, e->span,
                         "'exitcode' of '%s' is read before '%s' is joined", p->s.name, p->s.name))
            diag_note(S->d, e->span,
                      "while it runs, exitcode is -256 (Python's None); 'join %s' waits for it",
                      p->s.name);
    }
    return ty(TY_INT);
}

/* ---- binding arguments to parameters --------------------------------------- */

typedef struct PSpec {
    const char *name;
    Type *type;
    Span span; /* the parameter, for notes (defs) */
    bool optional, kwonly;
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
    Type *t = sema_value(S, val, p->type);
    if (sema_assignable(p->type, t)) return;
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
    Node **argv = c->np ? arena_alloc(S->arena, (size_t)c->np * sizeof *argv) : NULL;
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
    return x->s.type && (x->s.type->kind == TY_QUEUE || x->s.type->kind == TY_CONN) &&
           (x->s.kind == SYM_PARAM || x->s.kind == SYM_QUEUE || x->s.kind == SYM_PIPE_END);
}

Type *sema_def_call(Sema *S, Node *call, SymX *f, bool is_process) {
    Node *def = f->s.decl;
    call->callee->type = ty(TY_FUNC);
    PSpec *ps = f->sig;
    if (!ps) { /* first call: the specs, ending with a NULL name */
        int np = 0;
        for (Node *p = def->params; p; p = p->next) np++;
        f->sig = ps = arena_alloc(S->arena, (size_t)(np + 1) * sizeof *ps);
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
        if (!a || a->kind != ND_NAME || !a->sym || !p->sym) continue;
        SymX *x = symx(a->sym), *param = symx(p->sym);
        if (!flow_kind(x) || !flow_kind(param) || x->s.type != param->s.type) continue;
        if (!is_process) flow_edge(S, x, param, a->span, def->name);
        if (sema_pipe_dir(x)) flow_pipe_arg(S, x, param, a, def->name);
        flow_aliases(S, call, def, p, i);
    }
    Type *rt = def->ret_type;
    if (!rt) return ty(TY_NONE);
    return sema_storable(rt) ? rt : ty(TY_ERROR);
}

static int positional_args(Sema *S, Node *call, const char *name, Node ***out) {
    int n = 0;
    for (Node *a = call->args; a; a = a->next) n++;
    Node **argv = n ? arena_alloc(S->arena, (size_t)n * sizeof *argv) : NULL;
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
    case 'b': return ty(TY_BOOL);
    case 'i': return ty(TY_INT);
    case 'f': return ty(TY_FLOAT);
    case 's': return ty(TY_STR);
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

static Type *check_print(Sema *S, const BCall *c) {
    for (int i = 0; i < c->n; i++) {
        Type *t = sema_value(S, c->argv[i], NULL);
        if (!printable(t)) not_printable(S, c->argv[i], t, "print");
    }
    return ty(TY_NONE);
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
    if (!is_err(t) && t->kind != TY_STR && t->kind != TY_LIST && t->kind != TY_ARRAY &&
        t->kind != TY_GROUP)
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
    bool ok = id == B_STR ? printable(t)
                          : (is_num(t) || t->kind == TY_BOOL || t->kind == TY_STR ||
                             (id == B_BOOL && t->kind == TY_LIST));
    if (!is_err(t) && !ok)
        diag_error(S->d, c->argv[0]->span, "%s() cannot convert %s %s", c->d->name, sema_an(t),
                   sema_tname(t));
    return rk;
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

static Type *check_minmax(Sema *S, const BCall *c) {
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
    if (!arity(S, c->call, c->d->name, c->n, c->d->lo, c->d->hi)) return ty(TY_ERROR);
    return bad ? ty(TY_ERROR) : res;
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

typedef Type *(*CheckFn)(Sema *S, const BCall *c);

/* The CHECK column of builtins.def. */
static const CheckFn checkers[B__COUNT] = {
#define BUILTIN(id, name, kind, on, param, ptype, flags, lo, hi, result, check, emit) [id] = check,
#include "builtins.def"
#undef BUILTIN
};

static Type *builtin_call(Sema *S, Node *call, SymX *b, bool range_ok) {
    Builtin id = (Builtin)b->s.builtin;
    call->builtin = id;
    call->callee->type = ty(TY_FUNC);
    BCall c = {call, &builtin_defs[id], NULL, 0, range_ok};
    c.n = positional_args(S, call, b->s.name, &c.argv);
    return checkers[id](S, &c);
}

static Type *method_call(Sema *S, Node *call) {
    Node *m = call->callee;
    Type *t = sema_expr(S, m->lhs, NULL);
    if (is_err(t)) {
        m->type = t;
        check_args_only(S, call);
        return t;
    }
    const BuiltinDef *me = find_method(t->kind, m->name);
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
    SymX *recv = m->lhs->kind == ND_NAME && m->lhs->sym ? symx(m->lhs->sym) : NULL;
    PSpec ps;
    memset(&ps, 0, sizeof ps);
    if (me->param) {
        ps.name = me->param;
        ps.type = me->ptype == 'T' ? t->elem : ty(TY_FLOAT);
        ps.is_elem = me->ptype == 'T';
        ps.optional = me->flags & BP_OPTIONAL;
        ps.kwonly = me->flags & BP_KWONLY;
    }
    Callee c = {me->name, NULL, recv && recv->s.kind != SYM_PROCESS ? recv : NULL, &ps,
                me->param ? 1 : 0};
    bind_args(S, call, &c);

    if (t->kind == TY_PROCESS) {
        SymX *p = sema_proc_of(m->lhs);
        if (p && !p->started && (id == M_JOIN || id == M_TERMINATE || id == M_KILL)) {
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
            sema_join_member(S, p, m->lhs, call->span,
                             !call->argv[0] && !S->def && S->scope == S->parent_scope);
            if (!call->argv[0]) p->method_joined = true; /* joined in part, for the warnings */
        } else if (p && id == M_JOIN && !call->argv[0] && m->lhs->kind == ND_NAME) {
            /* Standing directly at the top level it surely runs, as `join p`
             * does; in a block it may not (or may run again). */
            if (!S->def && S->scope == S->parent_scope) {
                p->joined = true;
                p->join_at = call->span;
            } else {
                p->method_joined = true;
            }
        }
    }
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

/* RANGE_OK: the call is a for loop's iterable. */
static Type *call_expr(Sema *S, Node *call, bool range_ok) {
    Node *c = call->callee;
    if (c->kind == ND_MEMBER) return method_call(S, call);
    if (c->kind == ND_NAME) {
        SymX *x = sema_lookup(S, c->name, NULL);
        if (!x) {
            sema_undefined(S, c);
            c->type = ty(TY_ERROR);
            check_args_only(S, call);
            return ty(TY_ERROR);
        }
        c->sym = &x->s;
        x->s.used = true;
        if (x->s.kind == SYM_FUNC) return sema_def_call(S, call, x, false);
        if (x->s.kind == SYM_BUILTIN) return builtin_call(S, call, x, range_ok);
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
    case ND_STR: return str_expr(S, e);
    case ND_STRPART: return ty(TY_STR);
    case ND_NAME: return name_expr(S, e);
    case ND_LIST: return list_expr(S, e, hint);
    case ND_UNARY: return unary_expr(S, e);
    case ND_BINARY: return binary_chain(S, e);
    case ND_INDEX: return index_expr(S, e);
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
    Type *t = e->kind == ND_CALL ? call_expr(S, e, range_ok) : expr_inner(S, e, hint);
    S->expr_depth--;
    e->type = t;
    return t;
}
