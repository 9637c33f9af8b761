/* sema_facts: the facts about the parent program that code generation
 * needs and that follow from the flow facts (Symbol.flags): how many
 * producers each queue starts with, how many processes use each pipe end,
 * and when the parent lets go of each. Stored on the symbols (ast.h) so
 * gen only reads them. */
#include "sema_impl.h"

/* The queue or pipe end S is used by top-level statement N itself (not
 * through a process it declares, starts or joins). */
static bool mentions_child(void *s, Node *child, const char *role);

static bool mentions(Node *n, Symbol *s) {
    if (!n) return false;
    if (n->kind == ND_PROCESS || n->kind == ND_START || n->kind == ND_JOIN) return false;
    if (n->kind == ND_NAME) return n->sym == s;
    return ast_children(n, true, mentions_child, s);
}

static bool mentions_child(void *s, Node *child, const char *role) {
    (void)role;
    return mentions(child, s);
}

/* `start` statement START starts a process that is passed END. */
static bool starts_user_of(Node *start, Symbol *end) {
    for (Node *t = start->targets; t; t = t->next) {
        Node *call = t->sym->decl->rhs;
        for (int i = 0; i < call->argc; i++)
            if (call->argv[i]->kind == ND_NAME && call->argv[i]->sym == end) return true;
    }
    return false;
}

/* Producers and users counted over the process declarations. */
static void count_uses(Program *p) {
    for (Node *t = p->top; t; t = t->next) {
        if (t->kind != ND_PROCESS) continue;
        Node *call = t->rhs;
        Node *param = call->callee->sym->decl->params;
        for (int i = 0; i < call->argc; i++, param = param->next) {
            Node *a = call->argv[i];
            if (a->kind != ND_NAME) continue;
            if (a->sym->kind == SYM_QUEUE && (param->sym->flags & SF_PUTS)) a->sym->producers++;
            if (a->sym->kind == SYM_PIPE_END) a->sym->users += t->lhs ? 2 : 1;
        }
    }
}

static bool used_by_main(Program *p, Symbol *s) {
    for (Node *t = p->top; t; t = t->next)
        if (t->kind != ND_PROCESS && mentions(t, s)) return true;
    return false;
}

/* A pipe end the parent never uses itself is closed after the start of
 * the last process that uses it (so children see end-of-file). */
static void pipe_end_facts(Program *p, Symbol *end) {
    bool by_main = used_by_main(p, end);
    end->users += by_main;
    Node *last = NULL;
    for (Node *m = p->top; m; m = m->next)
        if (m->kind == ND_START && starts_user_of(m, end)) last = m;
    if (!by_main) end->release_after = last;
}

/* A queue the parent puts into stops counting it as a producer after its
 * last top-level statement that mentions the queue. */
static void queue_facts(Node *decl) {
    Symbol *q = decl->sym;
    if (!(q->flags & SF_PUTS)) return;
    q->producers++;
    for (Node *m = decl->next; m; m = m->next)
        if (mentions(m, q)) q->release_after = m;
}

void facts_compute(Program *p) {
    count_uses(p);
    for (Node *d = p->top; d; d = d->next) {
        if (d->kind == ND_PIPE) {
            pipe_end_facts(p, d->sym);
            pipe_end_facts(p, d->sym2);
        } else if (d->kind == ND_QUEUE) {
            queue_facts(d);
        }
    }
}
