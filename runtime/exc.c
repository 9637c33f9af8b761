/* exc.c: Python exceptions. Raising prints and ends the process when no
 * `try` is active; inside one it records the exception as pending and
 * returns, and the generated code unwinds to the handler. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mpr_internal.h"

struct mp_exc {
    intptr_t refs;
    mp_exc_kind kind;
    mp_str *msg;
    mp_str *arg; /* repr of a raise's argument that is not a str; NULL: the
                    argument was MSG itself (or there was none) */
    mp_loc loc;
};

bool mp_exc_flag;
int mp_try_depth;

/* The pending exception while mp_exc_flag is set. */
static mp_exc *pending;

static const char *const exc_names[] = {
#define MP_EXC_NAME(name, base) #name,
    MP_EXCEPTION_KINDS(MP_EXC_NAME)
#undef MP_EXC_NAME
};

static const mp_exc_kind exc_bases[] = {
#define MP_EXC_BASE(name, base) MP_EXC_##base,
    MP_EXCEPTION_KINDS(MP_EXC_BASE)
#undef MP_EXC_BASE
};

const char *mp_exc_name(mp_exc_kind kind) {
    if (kind == MP_EXC_Empty) return "queue.Empty";
    if (kind == MP_EXC_Full) return "queue.Full";
    if (kind == MP_EXC_BrokenBarrierError) return "threading.BrokenBarrierError";
    return (unsigned)kind < MP_EXC__COUNT ? exc_names[kind] : "Exception";
}

bool mp_exc_subclass(mp_exc_kind kind, mp_exc_kind base) {
    if ((unsigned)kind >= MP_EXC__COUNT) return false;
    for (;;) {
        if (kind == base) return true;
        if (kind == MP_EXC_Exception) return false;
        kind = exc_bases[kind];
    }
}

/* Uncaught: the one-line report and the end of the process. */
_Noreturn static void uncaught(mp_exc_kind kind, const mp_str *msg, mp_loc loc) {
    if (msg->len == 0) mp_fail(loc, "%s", mp_exc_name(kind));
    mp_fail(loc, "%s: %.*s", mp_exc_name(kind), (int)(msg->len > 4000 ? 4000 : msg->len),
            msg->data);
}

/* Makes E pending (takes it). A second raise while one is pending (a
 * runtime function going on to a harmless return) keeps the first. */
static void set_pending(mp_exc *e) {
    if (mp_exc_flag) {
        mp_exc_unref(e);
        return;
    }
    pending = e;
    mp_exc_flag = true;
}

static mp_exc *exc_new(mp_exc_kind kind, mp_str *msg, mp_loc loc) {
    mp_exc *e = mpr_malloc(sizeof *e);
    e->refs = 1;
    e->kind = kind;
    e->msg = msg;
    e->arg = NULL;
    e->loc = loc;
    return e;
}

/* Pending, or the end of the process outside any try. */
static void raise_exc(mp_exc *e) {
    if (mp_try_depth <= 0) uncaught(e->kind, e->msg, e->loc);
    set_pending(e);
}

void mp_raise_str(mp_exc_kind kind, const mp_str *msg, mp_loc loc) {
    mp_str *text = mp_str_ref((mp_str *)msg);
    if (kind == MP_EXC_KeyError) { /* Python's str(KeyError(k)) is repr(k) */
        mp_buf b;
        mp_buf_init(&b);
        mpr_buf_repr_bytes(&b, msg->data, msg->len);
        mp_str_unref(text);
        text = mp_buf_finish(&b);
    }
    raise_exc(exc_new(kind, text, loc));
}

void mp_raise_val(mp_exc_kind kind, const mp_type *t, mp_val v, mp_loc loc) {
    if (t->kind == MP_STR) {
        mp_raise_str(kind, v.s, loc);
        return;
    }
    mp_str *repr = mp_repr_of(t, v);
    /* str(e) is str(arg), but a KeyError's is repr(arg), as in Python */
    mp_exc *e = exc_new(kind, kind == MP_EXC_KeyError ? mp_str_ref(repr) : mp_str_of(t, v), loc);
    e->arg = repr;
    raise_exc(e);
}

/* The wire form: the message's length (8 bytes), the message, then the
 * argument's repr when there is one. */
static mp_str *encode(const mp_str *msg, const mp_str *arg) {
    mp_buf b;
    mp_buf_init(&b);
    uint64_t n = msg->len;
    mp_buf_cstr(&b, (const char *)&n, sizeof n);
    mp_buf_cstr(&b, msg->data, msg->len);
    if (arg) mp_buf_cstr(&b, arg->data, arg->len);
    return mp_buf_finish(&b);
}

mp_str *mpr_exc_encode(const mp_exc *e) { return encode(e->msg, e->arg); }

mp_str *mpr_exc_encode_text(const char *text) {
    mp_str msg = {MP_IMMORTAL, strlen(text), text, 0};
    return encode(&msg, NULL);
}

void mpr_raise_encoded(mp_exc_kind kind, const mp_str *wire, mp_loc loc) {
    uint64_t n = 0;
    if (wire->len >= sizeof n) memcpy(&n, wire->data, sizeof n);
    size_t avail = wire->len >= sizeof n ? wire->len - sizeof n : 0;
    if (n > avail) n = avail;
    const char *p = wire->data + (wire->len >= sizeof n ? sizeof n : 0);
    mp_exc *e = exc_new(kind, mp_str_new(p, (size_t)n), loc);
    if (avail > n) e->arg = mp_str_new(p + n, avail - (size_t)n);
    raise_exc(e);
}

void mp_raise(mp_exc_kind kind, mp_loc loc, const char *fmt, ...) {
    char msg[4096];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof msg ? sizeof msg - 1 : (size_t)n;
    mp_str s = {MP_IMMORTAL, len, msg, 0};
    if (mp_try_depth <= 0) uncaught(kind, &s, loc);
    set_pending(exc_new(kind, mp_str_new(msg, len), loc));
}

bool mp_exc_is(mp_exc_kind base) {
    return mp_exc_flag && pending && mp_exc_subclass(pending->kind, base);
}

mp_exc *mp_exc_catch(void) {
    if (!mp_exc_flag) return NULL;
    mp_exc *e = pending;
    pending = NULL;
    mp_exc_flag = false;
    return e;
}

void mp_exc_reraise(mp_exc *e) {
    if (!e) return;
    raise_exc(e);
}

mp_exc *mp_exc_ref(mp_exc *e) {
    if (e) e->refs++;
    return e;
}

void mp_exc_unref(mp_exc *e) {
    if (!e || --e->refs > 0) return;
    mp_str_unref(e->msg);
    mp_str_unref(e->arg);
    mp_free(e);
}

mp_exc_kind mp_exc_kind_of(const mp_exc *e) { return e->kind; }

mp_str *mp_exc_message(const mp_exc *e) { return e->msg; }

mp_str *mp_exc_repr(const mp_exc *e) {
    mp_buf b;
    mp_buf_init(&b);
    /* Python's repr names the class without its module: Empty('...') */
    const char *name = exc_names[e->kind];
    mp_buf_cstr(&b, name, strlen(name));
    mp_buf_cstr(&b, "(", 1);
    if (e->arg) mp_buf_cstr(&b, e->arg->data, e->arg->len);
    /* a KeyError's message is already repr(key), as its str() is */
    else if (e->kind == MP_EXC_KeyError) mp_buf_cstr(&b, e->msg->data, e->msg->len);
    else if (e->msg->len) mpr_buf_repr_bytes(&b, e->msg->data, e->msg->len);
    mp_buf_cstr(&b, ")", 1);
    return mp_buf_finish(&b);
}

MPR_CHILD_PATH void mpr_exc_reset_child(void) {
    mp_try_depth = 0;
    mp_exc_unref(mp_exc_catch());
}

void mp_buf_exc(mp_buf *b, const mp_exc *e) { mp_buf_cstr(b, e->msg->data, e->msg->len); }
