/* gen_types: C types of .mp types, runtime type descriptors and string
 * literals declared at the top of the file, C names of symbols. */
#include "gen_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- types -------------------------------------------------------------- */

static const char *ctype(Gen *g, const Type *t) {
    switch (t->kind) {
    case TY_OPTIONAL: return is_heap(t->elem) ? ctype(g, t->elem) : "mp_box *";
    case TY_TUPLE: return "mp_tuple *";
    case TY_DICT: return "mp_dict *";
    case TY_SET: return "mp_set *";
    case TY_INT: return "int64_t";
    case TY_FLOAT: return "double";
    case TY_BOOL: return "bool";
    case TY_STR: return "mp_str *";
    case TY_LIST: return "mp_list *";
    case TY_CONN: return "mp_conn *";
    case TY_QUEUE: return "mp_queue *";
    case TY_VALUE: return "mp_value *";
    case TY_ARRAY: return "mp_array *";
    case TY_PROCESS: return "mp_proc *";
    case TY_FILE: return "mp_file *";
    case TY_EXC: return "mp_exc *";
    case TY_POOL: return "mp_pool *";
    case TY_ASYNC: return "int64_t"; /* an index into the runtime's jobs */
    case TY_HANDLES: return t->elem->kind == TY_CONN ? "mp_conns" : "mp_queues";
    default: return type_is_sync(t) ? "mp_sync *" : "void";
    }
}

bool is_heap(const Type *t) {
    return t &&
           (t->kind == TY_STR || t->kind == TY_LIST || t->kind == TY_OPTIONAL ||
            t->kind == TY_TUPLE || t->kind == TY_FILE || t->kind == TY_DICT || t->kind == TY_SET);
}

/* The runtime's function taking (REF) or dropping a reference to a value
 * of heap type T; each accepts NULL (None). */
const char *ref_fn(const Type *t) {
    switch (t->kind) {
    case TY_STR: return "mp_str_ref";
    case TY_TUPLE: return "mp_tuple_ref";
    case TY_DICT:
    case TY_SET: return "mp_dict_ref";
    case TY_FILE: return "mp_file_ref";
    case TY_EXC: return "mp_exc_ref";
    case TY_OPTIONAL: return is_heap(t->elem) ? ref_fn(t->elem) : "mp_box_ref";
    default: return "mp_list_ref";
    }
}

const char *unref_fn(const Type *t) {
    switch (t->kind) {
    case TY_STR: return "mp_str_unref";
    case TY_TUPLE: return "mp_tuple_unref";
    case TY_DICT:
    case TY_SET: return "mp_dict_unref";
    case TY_FILE: return "mp_file_unref";
    case TY_EXC: return "mp_exc_unref";
    case TY_OPTIONAL: return is_heap(t->elem) ? unref_fn(t->elem) : "mp_box_unref";
    default: return "mp_list_unref";
    }
}

/* The mp_val member holding a value of type T. */
const char *vfield(const Type *t) {
    switch (t->kind) {
    case TY_INT: return "i";
    case TY_FLOAT: return "f";
    case TY_BOOL: return "b";
    case TY_STR: return "s";
    case TY_OPTIONAL: return is_heap(t->elem) ? vfield(t->elem) : "o";
    case TY_NULL:
    case TY_ASYNC: return "i";
    case TY_TUPLE: return "t";
    case TY_DICT:
    case TY_SET: return "d";
    default: return "l";
    }
}

/* Suffix of the runtime's per-kind helpers (mp_value_load_i ...). */
const char *ksuffix(const Type *t) {
    return t->kind == TY_FLOAT ? "f" : t->kind == TY_BOOL ? "b" : "i";
}

const char *kind_enum(const Type *t) {
    return t->kind == TY_FLOAT ? "MP_FLOAT" : t->kind == TY_BOOL ? "MP_BOOL" : "MP_INT";
}

/* The descriptor's name without "ty_": int, list_int, opt_str, set_int,
 * dict_str_int, tuple2_int_list_str. A tuple says how many elements it has, so a name
 * never stands for two types. */
static const char *bare_name(Gen *g, const Type *t) {
    switch (t->kind) {
    case TY_LIST: return gstr(g, "list_%s", bare_name(g, t->elem));
    case TY_OPTIONAL: return gstr(g, "opt_%s", bare_name(g, t->elem));
    case TY_SET: return gstr(g, "set_%s", bare_name(g, t->elem));
    case TY_DICT: /* always two parts, each named without ambiguity */
        return gstr(g, "dict_%s_%s", bare_name(g, t->items[0]), bare_name(g, t->items[1]));
    case TY_TUPLE: {
        const char *s = gstr(g, "tuple%d", t->n);
        for (int i = 0; i < t->n; i++) s = gstr(g, "%s_%s", s, bare_name(g, t->items[i]));
        return s;
    }
    case TY_NULL: return "none";
    case TY_ASYNC: return "int";
    default: return type_kind_name(t->kind); /* int float bool str */
    }
}

/* Declares the descriptor of composite type T named ty_BARE at the top of
 * the file, after those of its parts. */
static void declare_type(Gen *g, Type *t, const char *bare) {
    if (t->kind == TY_DICT) {
        const char *key = tdesc(g, t->items[0]), *value = tdesc(g, t->items[1]);
        buf_printf(&g->types, "static const mp_dict_type ty_%s = { { MP_DICT, %s }, %s };\n", bare,
                   value, key);
        return;
    }
    if (t->kind != TY_TUPLE) {
        const char *elem = tdesc(g, t->elem);
        buf_printf(&g->types, "static const mp_type ty_%s = { %s, %s };\n", bare,
                   t->kind == TY_OPTIONAL ? "MP_OPT"
                   : t->kind == TY_SET    ? "MP_SET"
                                          : "MP_LIST",
                   elem);
        return;
    }
    Buf items = {0};
    for (int i = 0; i < t->n; i++) buf_printf(&items, "%s%s", i ? ", " : "", tdesc(g, t->items[i]));
    if (t->n)
        buf_printf(&g->types, "static const mp_type *const ty_%s_items[] = { %s };\n", bare,
                   items.data);
    buf_printf(&g->types, "static const mp_tuple_type ty_%s = { { MP_TUPLE, NULL }, %d, %s%s };\n",
               bare, t->n, t->n ? gstr(g, "ty_%s", bare) : "NULL", t->n ? "_items" : "");
    free(items.data);
}

/* A pointer to the runtime type descriptor of T, declaring composite
 * types at the top of the file on first use. */
const char *tdesc(Gen *g, Type *t) {
    switch (t->kind) {
    case TY_INT: return "&mp_t_int";
    case TY_FLOAT: return "&mp_t_float";
    case TY_BOOL: return "&mp_t_bool";
    case TY_STR: return "&mp_t_str";
    case TY_NULL: return "&mp_t_none";
    case TY_ASYNC: return "&mp_t_int"; /* a handle is an int underneath */
    default: break;
    }
    for (size_t i = 0; i < g->ltypes.len; i++)
        if (g->ltypes.items[i].type == t) return g->ltypes.items[i].cname;
    const char *bare = bare_name(g, t);
    bool based = t->kind == TY_TUPLE || t->kind == TY_DICT;
    const char *cname = keep_str(g, gstr(g, "&ty_%s%s", bare, based ? ".base" : ""));
    /* Equal types need not be one Type object (an array's element list, a
     * declared type): the name decides, so no descriptor is defined twice. */
    for (size_t i = 0; i < g->ltypes.len; i++)
        if (strcmp(g->ltypes.items[i].cname, cname) == 0) return g->ltypes.items[i].cname;
    declare_type(g, t, bare);
    vec_push(&g->ltypes, ((ListType){t, cname}));
    return cname;
}

const char *decl(Gen *g, const Type *t, const char *name) {
    const char *c = ctype(g, t);
    return gstr(g, "%s%s%s", c, c[strlen(c) - 1] == '*' ? "" : " ", name);
}

const char *mpval(Gen *g, Type *t, const char *code) {
    return gstr(g, "(mp_val){ .%s = %s }", vfield(t), code);
}

/* The key of a string literal in Gen.lits_by_bytes: its bytes (which may
 * hold NULs), borrowed from the tree. */
typedef struct StrLit {
    const char *bytes;
    size_t len;
} StrLit;

static bool strlit_eq(const void *a, const void *b) {
    const StrLit *x = a, *y = b;
    return x->len == y->len && memcmp(x->bytes, y->bytes, x->len) == 0;
}

/* The longest string literal a C11 compiler must accept is 4095 bytes
 * (-Woverlength-strings under -Wpedantic). */
enum { LIT_MAX = 4095 };

/* A static mp_str for literal bytes; equal literals share one. */
const char *str_literal(Gen *g, const char *s, size_t len) {
    StrLit probe = {s, len};
    uint64_t h = hash_bytes(s, len);
    HEnt *hit = hmap_find(&g->lits_by_bytes, &probe, h, strlit_eq);
    if (hit) return hit->val;
    const char *name = gstr(g, "s_%d", ++g->nlit);
    if (len <= LIT_MAX) {
        buf_printf(&g->lits, "static mp_str %s = { MP_IMMORTAL, %zu, \"", name, len);
        put_c_string(&g->lits, s, len);
        buf_put(&g->lits, "\", 0 };\n", 8);
    } else {
        /* Longer than C guarantees a string literal can be: the bytes as
         * an array, NUL-terminated like every mp_str. */
        buf_printf(&g->lits, "static const char %s_bytes[%zu] = {", name, len + 1);
        for (size_t i = 0; i <= len; i++) {
            unsigned c = i < len ? (unsigned char)s[i] : 0;
            const char *sep = i % 12 ? " " : "\n    ";
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == ' ')
                buf_printf(&g->lits, "%s'%c',", sep, (char)c);
            else buf_printf(&g->lits, "%s'\\%03o',", sep, c);
        }
        buf_printf(&g->lits, "\n};\nstatic mp_str %s = { MP_IMMORTAL, %zu, %s_bytes, 0 };\n", name,
                   len, name);
    }
    name = keep_str(g, gstr(g, "&%s", name));
    StrLit *key = arena_alloc(&g->perm, sizeof *key);
    *key = probe;
    hmap_insert(&g->lits_by_bytes, key, h, strlit_eq)->val = (void *)name;
    return name;
}

/* C name of a symbol: every user name gets a prefix, so none is a C
 * keyword, a libc or runtime name or macro, or a generated helper's name.
 * A variable hiding others of its name in its function is v2_x, v3_x...:
 * no user name makes those, and C never sees one name twice in scope. */
const char *cname(Gen *g, Symbol *s) {
    if (!s->cname) {
        if (s->array) /* an element of an array of pipe ends or queues */
            s->cname = keep_str(g, gstr(g, "%s[%d]", companion(g, "at", s->array), s->elem_index));
        else if (s->kind == SYM_FUNC) s->cname = keep_str(g, gstr(g, "f_%s", s->name));
        else if (s->shadows) s->cname = keep_str(g, gstr(g, "v%d_%s", s->shadows + 1, s->name));
        else s->cname = keep_str(g, gstr(g, "v_%s", s->name));
    }
    return s->cname;
}

void mark_unread(Gen *g, Symbol *s) {
    if (!s->used) emit(g, "(void)%s;", cname(g, s));
}

/* C name of a process's or group's companion object WHAT ("args": its
 * argument struct, "count": a group's size), named apart as the process is. */
const char *companion(Gen *g, const char *what, Symbol *p) {
    if (p->shadows) return gstr(g, "%s%d_%s", what, p->shadows + 1, p->name);
    return gstr(g, "%s_%s", what, p->name);
}
