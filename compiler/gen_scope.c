/* gen_scope: C blocks. Each holds the references its variables and
 * temporaries own, released when the block is left by any way. */
#include "gen_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- scopes and releases ------------------------------------------------- */

void scope_push(Gen *g, Scope *s, bool loop) {
    memset(s, 0, sizeof *s);
    s->up = g->scope;
    s->loop = loop;
    g->scope = s;
}

void scope_add(Scope *s, const char *name, Type *t) { vec_push(&s->held, ((Held){name, t, NULL})); }

void scope_add_code(Scope *s, const char *code) { vec_push(&s->held, ((Held){NULL, NULL, code})); }

void emit_release(Gen *g, const char *name, const Type *t) {
    if (!t) emit(g, "mp_buf_free(&%s);", name);
    else emit(g, "%s(%s);", unref_fn(t), name);
}

void release_scope(Gen *g, const Scope *s) {
    bool saved = g->no_check;
    g->no_check = true; /* releasing and unlocking never raise */
    for (size_t i = s->held.len; i-- > 0;) {
        const Held *h = &s->held.items[i];
        if (h->code) emit(g, "%s", h->code);
        else emit_release(g, h->name, h->type);
    }
    if (s->unlock && type_is_sync(s->unlock->type))
        emit(g, "mp_sync_exit(%s, %s);", cname(g, s->unlock), s->unlock_at);
    else if (s->unlock)
        emit(g, "mp_%s_unlock(%s, %s);", s->unlock->type->kind == TY_VALUE ? "value" : "array",
             cname(g, s->unlock), s->unlock_at);
    g->no_check = saved;
}

void scope_pop(Gen *g, bool release) {
    Scope *s = g->scope;
    if (release) release_scope(g, s);
    g->scope = s->up;
    vec_free(&s->held);
}

/* Releases everything up to and including the innermost loop scope
 * (break/continue: TO_LOOP), or every scope of the function (return). */
void release_until(Gen *g, bool to_loop) {
    for (Scope *s = g->scope; s; s = s->up) {
        release_scope(g, s);
        if (s->try_node) leave_try(g, s);
        if (to_loop && s->loop) break;
    }
}

const char *new_tmp(Gen *g, const char *prefix) { return gstr(g, "%s%d", prefix, ++g->ntmp); }

Scope *temps_scope(Gen *g) {
    Scope *s = g->scope;
    while (s && !s->temps) s = s->up;
    return s;
}

/* Holds an owned value in a temporary released when the statement ends. */
const char *hold(Gen *g, Type *t, const char *code) {
    const char *name = new_tmp(g, "t");
    emit(g, "%s = %s;", decl(g, t, name), code);
    if (!is_heap(t)) return name;
    Scope *s = temps_scope(g);
    if (s) scope_add(s, name, t);
    return name;
}
