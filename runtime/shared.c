/* shared.c: shared values and arrays. Each is one anonymous shared
 * mapping: the public struct (so mpr.h's inline accessors work), a robust
 * lock, the name, and for arrays the elements. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "mpr_internal.h"

struct value_shm {
    mp_value pub;
    mpr_rlock lock;
    size_t bytes; /* mapping size */
    char name[64];
};

struct array_shm {
    mp_array pub;
    mpr_rlock lock;
    size_t bytes;
    char name[64];
    _Alignas(16) unsigned char data[];
};

static void set_name(char *dst, size_t cap, const char *name) {
    strncpy(dst, name ? name : "", cap - 1);
    dst[cap - 1] = '\0';
}

/* ---- values -------------------------------------------------------- */

mp_value *mp_value_new(mp_kind k, mp_val init, const char *name) {
    if (k != MP_INT && k != MP_FLOAT && k != MP_BOOL) {
        errno = EINVAL;
        return NULL;
    }
    mpr_ensure_init();
    struct value_shm *s = mpr_shm_alloc(sizeof *s);
    if (!s) return NULL;
    if (mpr_rlock_init(&s->lock) < 0) {
        int e = errno;
        mpr_shm_free(s, sizeof *s);
        errno = e;
        return NULL;
    }
    s->bytes = sizeof *s;
    set_name(s->name, sizeof s->name, name);
    s->pub.kind = k;
    s->pub.name = s->name;
    if (k == MP_INT) s->pub.v.i = init.i;
    else if (k == MP_FLOAT) s->pub.v.f = init.f;
    else s->pub.v.b = init.b;
    mpr_register(MPR_OBJ_VALUE, s);
    return &s->pub;
}

void mp_value_free(mp_value *v) {
    if (!v) return;
    struct value_shm *s = (struct value_shm *)v;
    mpr_unregister(s);
    mpr_shm_free(s, s->bytes);
}

void mp_value_lock(mp_value *v, mp_loc loc) {
    mpr_rlock_checked(&((struct value_shm *)v)->lock, "value", v->name, loc);
}

void mp_value_unlock(mp_value *v, mp_loc loc) {
    mpr_runlock_checked(&((struct value_shm *)v)->lock, "value", v->name, loc);
}

/* Reads of a guarded value or array element: lock, load, unlock. */
#define LOCKED_READ(T, obj, load, kind) \
    do {                                \
        mp_##kind##_lock(obj, loc);     \
        T x_ = load;                    \
        mp_##kind##_unlock(obj, loc);   \
        return x_;                      \
    } while (0)

int64_t mp_value_read_i(mp_value *v, mp_loc loc) {
    LOCKED_READ(int64_t, v, mp_value_load_i(v), value);
}

double mp_value_read_f(mp_value *v, mp_loc loc) {
    LOCKED_READ(double, v, mp_value_load_f(v), value);
}

bool mp_value_read_b(mp_value *v, mp_loc loc) { LOCKED_READ(bool, v, mp_value_load_b(v), value); }

void mp_buf_value(mp_buf *b, mp_value *v) {
    switch (v->kind) {
    case MP_INT: mp_buf_int(b, mp_value_load_i(v)); break;
    case MP_FLOAT: mp_buf_float(b, mp_value_load_f(v)); break;
    default:
        if (mp_value_load_b(v)) mp_buf_cstr(b, "True", 4);
        else mp_buf_cstr(b, "False", 5);
        break;
    }
}

/* ---- arrays -------------------------------------------------------- */

static size_t elem_size(mp_kind k) { return k == MP_BOOL ? sizeof(bool) : 8; }

mp_array *mp_array_new(mp_kind k, int64_t n, const char *name) {
    if ((k != MP_INT && k != MP_FLOAT && k != MP_BOOL) || n < 0 ||
        (uint64_t)n > MP_MSG_MAX * (uint64_t)4 / elem_size(k)) {
        errno = EINVAL;
        return NULL;
    }
    mpr_ensure_init();
    size_t bytes = sizeof(struct array_shm) + (size_t)n * elem_size(k);
    struct array_shm *s = mpr_shm_alloc(bytes);
    if (!s) return NULL;
    if (mpr_rlock_init(&s->lock) < 0) {
        int e = errno;
        mpr_shm_free(s, bytes);
        errno = e;
        return NULL;
    }
    s->bytes = bytes;
    set_name(s->name, sizeof s->name, name);
    s->pub.len = n;
    s->pub.kind = k;
    s->pub.name = s->name;
    s->pub.data = s->data;
    mpr_register(MPR_OBJ_ARRAY, s);
    return &s->pub;
}

mp_array *mp_array_from_list(const mp_list *l, const char *name) {
    mp_kind k = mp_list_type(l)->elem->kind;
    int64_t n = mp_list_len(l);
    mp_array *a = mp_array_new(k, n, name);
    if (!a) return NULL;
    for (int64_t i = 0; i < n; i++) {
        mp_val v = mp_list_get(l, i, MP_LOC(0, 0));
        if (k == MP_INT) mp_array_i(a)[i] = v.i;
        else if (k == MP_FLOAT) mp_array_f(a)[i] = v.f;
        else mp_array_b(a)[i] = v.b;
    }
    return a;
}

void mp_array_free(mp_array *a) {
    if (!a) return;
    struct array_shm *s = (struct array_shm *)a;
    mpr_unregister(s);
    mpr_shm_free(s, s->bytes);
}

void mp_array_index_error(const mp_array *a, int64_t i, mp_loc loc) {
    (void)a;
    (void)i;
    mp_raise(MP_EXC_IndexError, loc, "invalid index");
}

void mp_array_lock(mp_array *a, mp_loc loc) {
    mpr_rlock_checked(&((struct array_shm *)a)->lock, "array", a->name, loc);
}

void mp_array_unlock(mp_array *a, mp_loc loc) {
    mpr_runlock_checked(&((struct array_shm *)a)->lock, "array", a->name, loc);
}

int64_t mp_array_read_i(mp_array *a, int64_t i, mp_loc loc) {
    int64_t j = mp_array_index(a, i, loc);
    LOCKED_READ(int64_t, a, mp_array_i(a)[j], array);
}

double mp_array_read_f(mp_array *a, int64_t i, mp_loc loc) {
    int64_t j = mp_array_index(a, i, loc);
    LOCKED_READ(double, a, mp_array_f(a)[j], array);
}

bool mp_array_read_b(mp_array *a, int64_t i, mp_loc loc) {
    int64_t j = mp_array_index(a, i, loc);
    LOCKED_READ(bool, a, mp_array_b(a)[j], array);
}

void mp_buf_array(mp_buf *b, mp_array *a) {
    mp_buf_cstr(b, "[", 1);
    for (int64_t i = 0; i < a->len; i++) {
        if (i) mp_buf_cstr(b, ", ", 2);
        if (a->kind == MP_INT) mp_buf_int(b, __atomic_load_n(&mp_array_i(a)[i], __ATOMIC_RELAXED));
        else if (a->kind == MP_FLOAT) {
            double d;
            __atomic_load(&mp_array_f(a)[i], &d, __ATOMIC_RELAXED);
            mp_buf_float(b, d);
        } else if (__atomic_load_n(&mp_array_b(a)[i], __ATOMIC_RELAXED)) mp_buf_cstr(b, "True", 4);
        else mp_buf_cstr(b, "False", 5);
    }
    mp_buf_cstr(b, "]", 1);
}

mp_value *mp_make_value(mp_kind k, mp_val init, const char *name, mp_loc loc) {
    mp_value *v = mp_value_new(k, init, name);
    if (!v) mp_fail(loc, "cannot create value '%s': %s", name, mp_strerror(errno));
    return v;
}

mp_array *mp_make_array(mp_kind k, int64_t n, const char *name, mp_loc loc) {
    if (n < 0) mp_fail(loc, "array '%s' cannot have a negative size (%lld)", name, (long long)n);
    mp_array *a = mp_array_new(k, n, name);
    if (!a)
        mp_fail(loc, "cannot create array '%s' of %lld elements: %s", name, (long long)n,
                mp_strerror(errno));
    return a;
}

mp_array *mp_make_array_from(mp_kind k, const mp_list *l, const char *name, mp_loc loc) {
    if (mp_list_type(l)->elem->kind != k)
        mp_fail(loc, "array '%s': the list's elements have the wrong type", name);
    mp_array *a = mp_array_from_list(l, name);
    if (!a) mp_fail(loc, "cannot create array '%s': %s", name, mp_strerror(errno));
    return a;
}
