/* mpr.h: libmpr, the runtime of mpc, as the C that mpc generates sees it.
 *
 * Generated C includes only this header and links with libmpr.a (and -lm
 * when it calls mp_fpow). The header compiles under -std=c11 -Wpedantic
 * with gcc and clang without _GNU_SOURCE and includes only standard headers.
 * It holds what generated code uses and nothing else; the rest of the
 * library (the errno-style calls, synchronization objects, the message
 * codec) is in mpr_api.h, for C programs and tests.
 *
 * Struct internals are public only where generated code needs them:
 * mp_str (string literals are static objects), mp_buf (kept on the
 * stack) and mp_value/mp_array, whose loads, stores and atomic updates are
 * inline so that a shared access is one instruction (the value and array
 * benchmark rows measure it); everything else is opaque.
 *
 * Conventions (libdill style):
 *   - Functions return 0 on success and -1 with errno set on failure,
 *     unless documented otherwise. Extra positive statuses: MP_EOF (end of
 *     stream) and MP_RECOVERED (a robust lock was taken over from a dead
 *     owner).
 *   - Timeouts are `double` seconds: negative waits forever, 0 does not
 *     wait, NaN is EINVAL. A timeout returns -1 with errno ETIMEDOUT.
 *   - Signals never make a blocking call fail: EINTR is retried inside.
 *   - The checked variants (mp_send, mp_get, mp_join, ...) take an mp_loc
 *     and report failures through mp_raise (a Python exception, which may
 *     return: see mp_raise) or mp_fail (a fatal error, which does not).
 *   - Running out of memory is fatal: the process prints a runtime error
 *     ("out of memory") and exits with status 1.
 *   - The runtime is single-threaded: call it from one thread per process.
 *
 * Ownership: "new ref" means the caller owns one reference and must drop it
 * (mp_str_unref, mp_list_unref, mp_val_unref); "borrowed" means the callee
 * keeps ownership; "takes" means the callee takes over the caller's
 * reference.
 */
#ifndef MPR_H
#define MPR_H

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MP_PRINTF(fmt, args)
#endif

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MP_NORETURN _Noreturn
#elif defined(__GNUC__) || defined(__clang__)
#define MP_NORETURN __attribute__((noreturn))
#else
#define MP_NORETURN
#endif

/* Extra statuses (positive, distinct from 0 and -1). */
#define MP_EOF 1       /* end of stream: recv, get */
#define MP_RECOVERED 2 /* lock acquired; its previous owner died */

/* mp_proc_exitcode of a process that has not finished (Python's None;
 * generated code uses mp_proc_exitcode_opt). No real exit code: those
 * are 0..255, or -N for signal N. */
#define MP_NOEXIT (-256)

/* Largest message a pipe carries and largest queue ring: 1 GiB. */
#define MP_MSG_MAX ((size_t)1 << 30)

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/* MP_NONE is the type of the literal None; MP_OPT is `T | None`. */
typedef enum mp_kind {
    MP_INT,
    MP_FLOAT,
    MP_BOOL,
    MP_STR,
    MP_LIST,
    MP_NONE,
    MP_OPT,
    MP_TUPLE,
    MP_DICT,
    MP_SET
} mp_kind;

/* A static type. List and optional types are declared by generated code:
 *     static const mp_type t_list_str = { MP_LIST, &mp_t_str };
 *     static const mp_type ty_opt_int = { MP_OPT, &mp_t_int };
 * elem is NULL for every kind but MP_LIST (the element type) and MP_OPT
 * (the type beside None). */
typedef struct mp_type {
    mp_kind kind;
    const struct mp_type *elem; /* element type of a list; T of T | None */
} mp_type;

/* A tuple type (kind MP_TUPLE) lists its n element types; its mp_type is
 * its first member, so &t.base is a type like any other:
 *     static const mp_type *const ty_tuple2_int_str_items[] = { &mp_t_int, &mp_t_str };
 *     static const mp_tuple_type ty_tuple2_int_str = {
 *         { MP_TUPLE, NULL }, 2, ty_tuple2_int_str_items };
 */
typedef struct mp_tuple_type {
    mp_type base;
    size_t n;
    const mp_type *const *items;
} mp_tuple_type;

/* A dict type (kind MP_DICT): its base's elem is the value type, key the
 * key type; &t.base is a type like any other:
 *     static const mp_dict_type ty_dict_str_int = { { MP_DICT, &mp_t_int }, &mp_t_str };
 * A set type is a plain mp_type { MP_SET, elem }. */
typedef struct mp_dict_type {
    mp_type base;
    const mp_type *key;
} mp_dict_type;

/* The tuple type whose base is t (t->kind == MP_TUPLE). */
static inline const mp_tuple_type *mp_tuple_type_of(const mp_type *t) {
    return (const mp_tuple_type *)(const void *)t;
}

extern const mp_type mp_t_int, mp_t_float, mp_t_bool, mp_t_str, mp_t_none;

/* Refcount of a static string that is never freed. */
#define MP_IMMORTAL ((intptr_t)-1)

/* A refcounted immutable string of UTF-8 bytes. data is NUL-terminated but
 * may hold NULs; len is authoritative. len(), indexing and iteration work
 * on characters (code points, as Python's str); a byte that is not part of
 * valid UTF-8 is a character of its own. Comparison is bytewise, which is
 * code point order. chars caches the character count (+1; 0: not counted
 * yet): a string whose count equals len is ASCII and indexed directly.
 * A literal: static mp_str s1 = { MP_IMMORTAL, 5, "hello", 0 }; */
typedef struct mp_str {
    intptr_t refs; /* MP_IMMORTAL for literals */
    size_t len;    /* bytes, without the final NUL */
    const char *data;
    size_t chars; /* characters + 1; 0: not counted yet */
} mp_str;

typedef struct mp_list mp_list; /* refcounted, mutable, aliased */

/* `int | None`, `float | None`, `bool | None`: NULL is None, else a
 * refcounted immutable box holding the scalar. (`str | None` and
 * `list[T] | None` are the str or list pointer itself, NULL for None.) */
typedef struct mp_box mp_box;
typedef struct mp_tuple mp_tuple; /* refcounted, immutable */
/* Dicts and sets share one insertion-ordered hash table (dict.c); a set
 * is a table without values. Refcounted, mutable, aliased, as lists. */
typedef struct mp_dict mp_dict;
typedef struct mp_dict mp_set;

typedef union mp_val {
    int64_t i;
    double f;
    bool b;
    mp_str *s;
    mp_list *l;
    mp_box *o; /* an optional scalar */
    mp_tuple *t;
    mp_dict *d; /* a dict or a set */
} mp_val;

struct mp_box {
    intptr_t refs;
    mp_val v; /* .i, .f or .b */
};

/* A source location in the .mp file, for runtime errors. */
typedef struct mp_loc {
    int line, col; /* 1-based; line 0 means unknown */
} mp_loc;
#define MP_LOC(l, c) ((mp_loc){(l), (c)})

/* ------------------------------------------------------------------ */
/* Runtime lifecycle and errors                                        */
/* ------------------------------------------------------------------ */

/* First call in main(): remembers the .mp file name for messages, names
 * the process "main", installs the SIGCHLD handler, creates the shared
 * process table and ignores SIGPIPE. Calling it again does nothing. */
void mp_init(const char *source_name, int argc, char **argv);

/* Last call in main(): joins every started child that was not joined
 * (their failures were already reported by themselves), frees every object
 * that is still registered (queues, values, arrays, pipe ends, processes,
 * sync objects) and returns the status main should return: 0. */
int mp_finish(void);

/* The .mp builtin exit(n). In the main process it first joins children
 * and frees like mp_finish, then exit(status). In a child it joins its own
 * children, marks itself finished and _exit(status). */
MP_NORETURN void mp_exit(int status);

/* Prints one line on stderr, with one write(2):
 *     FILE.mp:LINE:COL: runtime error: MESSAGE (in process NAME, pid N)
 * then exits with status 1. In a child: flushes stdio, marks itself
 * finished and _exit(1). In main: closes its pipe ends (so children
 * waiting on them see end-of-file), joins children like mp_finish, exit(1).
 * A message longer than about 4 KiB is truncated. */
MP_NORETURN void mp_fail(mp_loc loc, const char *fmt, ...) MP_PRINTF(2, 3);

/* Exceptions: the kinds Python programs meet, by Python's names, each
 * with its base class (Python's hierarchy where it matters). One row each;
 * generated code names a kind as MP_EXC_<Name>. The compiler reads this
 * same table for the names `except` and `raise` accept. */
#define MP_EXCEPTION_KINDS(X)             \
    X(Exception, Exception)               \
    X(ArithmeticError, Exception)         \
    X(LookupError, Exception)             \
    X(RuntimeError, Exception)            \
    X(ValueError, Exception)              \
    X(TypeError, Exception)               \
    X(IndexError, LookupError)            \
    X(KeyError, LookupError)              \
    X(ZeroDivisionError, ArithmeticError) \
    X(OverflowError, ArithmeticError)     \
    X(RecursionError, RuntimeError)       \
    X(AssertionError, Exception)          \
    X(EOFError, Exception)                \
    X(OSError, Exception)                 \
    X(TimeoutError, OSError)              \
    X(Empty, Exception)                   \
    X(Full, Exception)                    \
    X(BrokenBarrierError, RuntimeError)
typedef enum mp_exc_kind {
#define MP_EXC_ENUM(name, base) MP_EXC_##name,
    MP_EXCEPTION_KINDS(MP_EXC_ENUM)
#undef MP_EXC_ENUM
        MP_EXC__COUNT
} mp_exc_kind;

/* Raises exception KIND with Python's message text at loc.
 *
 * With no `try` active in this process (mp_try_depth is 0) it prints, like
 * mp_fail,
 *     FILE.mp:LINE:COL: runtime error: KIND: MESSAGE (in process NAME, pid N)
 * (just KIND when the message is empty) and ends the process with status 1.
 * Inside a `try` it records the exception as pending (mp_exc_flag) and
 * RETURNS: callers release what they hold and return a harmless value (0,
 * NULL, an empty string), and generated code, which checks mp_exc_flag
 * after each operation that may raise, unwinds to the handler. */
void mp_raise(mp_exc_kind kind, mp_loc loc, const char *fmt, ...) MP_PRINTF(3, 4);
/* Python's name of a kind: "ValueError"; queue's are "queue.Empty". */
const char *mp_exc_name(mp_exc_kind kind);
/* Whether KIND is BASE or a subclass of it (`except BASE` catches it). */
bool mp_exc_subclass(mp_exc_kind kind, mp_exc_kind base);

/* A raised exception: kind, message, where. Refcounted, single process. */
typedef struct mp_exc mp_exc;

/* Set while an exception is pending (raised inside a `try`, not yet
 * handled); only ever set while mp_try_depth > 0. */
extern bool mp_exc_flag;
/* How many `try` statements (with their handlers while a `finally` is
 * still to run) this process is inside. 0 in a new child process. */
extern int mp_try_depth;

static inline void mp_try_enter(void) { mp_try_depth++; }
static inline void mp_try_leave(void) { mp_try_depth--; }
/* The pending exception is BASE or a subclass of it. */
bool mp_exc_is(mp_exc_kind base);
/* Takes the pending exception (new ref; NULL when none) and clears it. */
mp_exc *mp_exc_catch(void);
/* raise K(msg): borrowed msg. */
void mp_raise_str(mp_exc_kind kind, const mp_str *msg, mp_loc loc);
/* raise K(x) for x of any type (borrowed): str(e) is str(x) (repr(x) for
 * a KeyError) and repr(e) is K(repr(x)), as in Python. */
void mp_raise_val(mp_exc_kind kind, const mp_type *t, mp_val v, mp_loc loc);
/* Raises E again (takes it; NULL does nothing): pending inside a `try`,
 * else printed as uncaught with the location it was first raised at. */
void mp_exc_reraise(mp_exc *e);
mp_exc *mp_exc_ref(mp_exc *e); /* returns e */
void mp_exc_unref(mp_exc *e);  /* NULL ok */
mp_exc_kind mp_exc_kind_of(const mp_exc *e);
/* str(e): the message (borrowed). */
mp_str *mp_exc_message(const mp_exc *e);
/* repr(e): ValueError('message') (new ref). */
mp_str *mp_exc_repr(const mp_exc *e);

/* Deep recursion: before each call of a def, the caller checks that its
 * stack frame is above mp_stack_floor (set by mp_init from the stack size
 * limit, leaving room for the runtime's own calls). Below it, the runtime
 * error "maximum recursion depth exceeded" at the call (Python's
 * RecursionError) instead of a crash by SIGSEGV. */
extern uintptr_t mp_stack_floor;
/* A def that always calls itself is a valid program (it ends with that
 * runtime error, as Python's ends with RecursionError); the C compilers'
 * warning about it is moot, so generated C stays warning-free. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#endif
void mp_stack_overflow(mp_loc loc);
static inline void mp_stack_check(mp_loc loc) {
    if ((uintptr_t)__builtin_frame_address(0) < mp_stack_floor) mp_stack_overflow(loc);
}

/* Builtins getpid(), getppid(), sleep(seconds). mp_sleep sleeps the whole
 * time even when signals arrive; a negative or NaN duration is an error
 * reported at loc. */
int64_t mp_getpid(void);
int64_t mp_getppid(void);
void mp_sleep(double seconds, mp_loc loc);

/* malloc/free for generated code: mp_alloc never returns NULL (out of
 * memory is fatal); mp_free(NULL) is a no-op. */
void *mp_alloc(size_t n);
void mp_free(void *p);

/* ------------------------------------------------------------------ */
/* Strings                                                             */
/* ------------------------------------------------------------------ */

mp_str *mp_str_cstr(const char *s);  /* new ref, copies */
mp_str *mp_str_ref(mp_str *s);       /* returns s; immortal: no-op */
void mp_str_unref(mp_str *s);        /* NULL and immortal: no-op */
int64_t mp_str_len(const mp_str *s); /* characters */
bool mp_str_eq(const mp_str *a, const mp_str *b);
int mp_str_cmp(const mp_str *a, const mp_str *b);        /* <0, 0, >0 bytewise */
mp_str *mp_str_concat(const mp_str *a, const mp_str *b); /* new ref */
mp_str *mp_str_repeat(const mp_str *s, int64_t n);       /* new ref; n<=0: "" */
/* s[i], the i-th character, as a new string (new ref); negative i counts
 * from the end; out of range: runtime error "string index out of range" at
 * loc. Direct for ASCII strings, a scan otherwise. */
mp_str *mp_str_index(const mp_str *s, int64_t i, mp_loc loc);
/* For `for ch in s`: the character at byte offset *off as a new string
 * (new ref), advancing *off past it (*off < s->len). */
mp_str *mp_str_next(const mp_str *s, size_t *off);

/* ------------------------------------------------------------------ */
/* String methods (strmeth.c), as Python's str methods                 */
/* ------------------------------------------------------------------ */

/* Positions, widths and counts are in characters; start/end are Python's
 * slice bounds (negative from the end; 0 and INT64_MAX when omitted).
 * Every string argument is borrowed; a str result is a new ref. */
extern const mp_type mp_t_list_str; /* list[str]: what split() returns */
extern mp_str mp_str_space;         /* " ", immortal: the default fill */
/* s.split(sep, maxsplit): sep NULL splits at runs of whitespace; an empty
 * sep raises ValueError "empty separator"; maxsplit < 0: no limit. */
mp_list *mp_str_split(const mp_str *s, const mp_str *sep, int64_t maxsplit, mp_loc loc);
mp_list *mp_str_rsplit(const mp_str *s, const mp_str *sep, int64_t maxsplit, mp_loc loc);
mp_list *mp_str_splitlines(const mp_str *s, bool keepends);
mp_str *mp_str_join(const mp_str *sep, const mp_list *items); /* items: list[str] */
enum { MP_STRIP_LEFT = 1, MP_STRIP_RIGHT = 2, MP_STRIP_BOTH = 3 };
/* chars NULL: whitespace. */
mp_str *mp_str_strip(const mp_str *s, const mp_str *chars, int sides);
mp_str *mp_str_removeprefix(const mp_str *s, const mp_str *prefix);
mp_str *mp_str_removesuffix(const mp_str *s, const mp_str *suffix);
bool mp_str_startswith(const mp_str *s, const mp_str *prefix, int64_t start, int64_t end);
bool mp_str_endswith(const mp_str *s, const mp_str *suffix, int64_t start, int64_t end);
int64_t mp_str_find(const mp_str *s, const mp_str *sub, int64_t start, int64_t end);
int64_t mp_str_rfind(const mp_str *s, const mp_str *sub, int64_t start, int64_t end);
/* s.index(sub) and s.rindex(sub): not found raises ValueError "substring
 * not found". */
int64_t mp_str_find_index(const mp_str *s, const mp_str *sub, int64_t start, int64_t end,
                          mp_loc loc);
int64_t mp_str_rfind_index(const mp_str *s, const mp_str *sub, int64_t start, int64_t end,
                           mp_loc loc);
int64_t mp_str_count(const mp_str *s, const mp_str *sub, int64_t start, int64_t end);
/* count < 0: every occurrence. */
mp_str *mp_str_replace(const mp_str *s, const mp_str *old, const mp_str *new_, int64_t count);
mp_str *mp_str_upper(const mp_str *s); /* ASCII letters only */
mp_str *mp_str_lower(const mp_str *s);
/* Unicode properties as Python's (false for ""). */
bool mp_str_isspace(const mp_str *s);
bool mp_str_isalpha(const mp_str *s);
bool mp_str_isdigit(const mp_str *s);
bool mp_str_isalnum(const mp_str *s);
/* ljust ('<'), rjust ('>') and center ('^') to width with the one
 * character fill (else TypeError "The fill character must be exactly one
 * character long"). */
mp_str *mp_str_pad(const mp_str *s, int64_t width, const mp_str *fill, int align, mp_loc loc);
mp_str *mp_str_zfill(const mp_str *s, int64_t width);

/* ------------------------------------------------------------------ */
/* Lists: Python aliasing semantics, refcounted                        */
/* ------------------------------------------------------------------ */

/* A new empty list of type list_type (kind MP_LIST) with room for cap
 * elements. New ref. */
mp_list *mp_list_new(const mp_type *list_type, size_t cap);
mp_list *mp_list_ref(mp_list *l); /* returns l */
void mp_list_unref(mp_list *l);   /* NULL ok; frees str/list elems */
int64_t mp_list_len(const mp_list *l);
/* Room for n items in all (a negative n, as a count past INT64_MAX, is
 * out of memory). */
void mp_list_reserve(mp_list *l, int64_t n);
/* The layout is here so that an index in range, or a push with room,
 * costs no call in a hot loop (below); only value.c and these inline
 * functions change a list's fields. */
struct mp_list {
    intptr_t refs;
    const mp_type *type; /* the list type (kind MP_LIST) */
    int64_t len, cap;
    mp_val *items;
};
void mpr_list_push_grow(mp_list *l, mp_val v);
/* Appends v, taking it; the list grows out of line. */
static inline void mp_list_push(mp_list *l, mp_val v) {
    if (l->len < l->cap) l->items[l->len++] = v;
    else mpr_list_push_grow(l, v);
}
/* Any index: negative from the end; out of range: runtime error "list
 * index out of range" ("list assignment index ...") at loc. */
mp_val mpr_list_get_any(const mp_list *l, int64_t i, mp_loc loc);
void mpr_list_set_any(mp_list *l, int64_t i, mp_val v, mp_loc loc);
/* l[i], borrowed, as mpr_list_get_any. */
static inline mp_val mp_list_get(const mp_list *l, int64_t i, mp_loc loc) {
    if ((uint64_t)i < (uint64_t)l->len) return l->items[i];
    return mpr_list_get_any(l, i, loc);
}
/* l[i] = v, taking v; the old item is let go. */
static inline void mp_list_set(mp_list *l, int64_t i, mp_val v, mp_loc loc) {
    mp_kind k = l->type->elem->kind;
    if ((uint64_t)i < (uint64_t)l->len && (k <= MP_BOOL || k == MP_NONE)) {
        l->items[i] = v; /* nothing to let go */
        return;
    }
    mpr_list_set_any(l, i, v, loc);
}
mp_list *mp_list_concat(const mp_list *a, const mp_list *b); /* new ref */
/* l += other, in place (aliases see it); other may be l itself. */
void mp_list_extend(mp_list *l, const mp_list *other);
mp_list *mp_list_repeat(const mp_list *l, int64_t n); /* new ref */
/* A copy of l and of every list inside it (strings are immutable and
 * shared): what a process declaration hands its process. New ref. */
mp_list *mp_list_copy(const mp_list *l);
/* Python ==, element by element (floats compare with IEEE ==, so a list
 * holding NaN is never equal to anything). */
bool mp_list_eq(const mp_list *a, const mp_list *b);

/* ---- sequence operations (list.c) ---- */

/* Python's comparison of a (type ta) with b (type tb): -1, 0, 1, or
 * MP_UNORDERED when a NaN decides it (every ordering is then false, and
 * only != holds). ta and tb are the same type, or int and float in either
 * order (compared exactly, as Python). Lists and strings compare
 * lexicographically, False < True. The one comparison every ordering,
 * sort, min/max, index and `in` uses. */
#define MP_UNORDERED 2
int mp_compare(const mp_type *ta, mp_val a, const mp_type *tb, mp_val b);
/* The result of mp_compare read as <, <=, >, >=. */
static inline bool mp_ord_lt(int c) { return c == -1; }
static inline bool mp_ord_le(int c) { return c == -1 || c == 0; }
static inline bool mp_ord_gt(int c) { return c == 1; }
static inline bool mp_ord_ge(int c) { return c == 1 || c == 0; }
/* a < b (and the others) on two lists of one type, lexicographic. */
int mp_list_order(const mp_list *a, const mp_list *b);

/* A slice a:b:c. A bound not written (xs[:3], xs[::-1]) is not given: it
 * means the whole side, whatever the step's sign. */
typedef struct mp_slice {
    int64_t lo, hi, step;
    bool has_lo, has_hi;
} mp_slice;
/* Python's slice.indices() for a sequence of len items: *start and the
 * number of items taken; step 0 raises ValueError "slice step cannot be
 * zero" (and gives 0 items). */
int64_t mp_slice_indices(mp_slice s, int64_t len, int64_t *start, int64_t *step, mp_loc loc);
mp_list *mp_list_slice(const mp_list *l, mp_slice s, mp_loc loc); /* new ref */
mp_str *mp_str_slice(const mp_str *str, mp_slice s, mp_loc loc);  /* new ref */

/* The list methods, as Python's. Values given to insert are taken. */
mp_list *mp_list_shallow(const mp_list *l); /* xs.copy(): new ref */
void mp_list_insert(mp_list *l, int64_t i, mp_val v);
/* xs.pop(i): new ref; IndexError "pop from empty list" / "pop index out
 * of range". */
mp_val mp_list_pop(mp_list *l, int64_t i, mp_loc loc);
/* del xs[i]: IndexError "list assignment index out of range". */
void mp_list_del(mp_list *l, int64_t i, mp_loc loc);
/* x is the element type's value, or an int when the elements are floats
 * (tx says which): index raises ValueError "X is not in list", remove
 * ValueError "list.remove(x): x not in list". */
int64_t mp_list_index(const mp_list *l, const mp_type *tx, mp_val x, mp_loc loc);
int64_t mp_list_count(const mp_list *l, const mp_type *tx, mp_val x);
void mp_list_remove(mp_list *l, const mp_type *tx, mp_val x, mp_loc loc);
bool mp_list_contains(const mp_list *l, const mp_type *tx, mp_val x);
void mp_list_clear(mp_list *l);
void mp_list_reverse(mp_list *l);
/* Sorts l in place, stably, as Python's list.sort: by the items, or by
 * keys[i] for item i when keys is not NULL (the key function's results);
 * reverse keeps equal items in their order. Keys not as many as the items
 * (the key function changed the list) raise ValueError "list modified
 * during sort". */
void mp_list_sort(mp_list *l, const mp_list *keys, bool reverse, mp_loc loc);
/* min(xs) / max(xs) (by keys when not NULL): the index of the first
 * smallest / largest item; an empty list raises ValueError "min() arg is
 * an empty sequence" (and gives -1). */
int64_t mp_list_minmax(const mp_list *l, const mp_list *keys, bool max, mp_loc loc);
/* sum(xs, start) of a list of ints (overflow is a runtime error) or of
 * ints or floats added to a float, left to right as Python. */
int64_t mp_list_sum_i(const mp_list *l, int64_t start, mp_loc loc);
double mp_list_sum_f(const mp_list *l, double start);
/* any(xs), all(xs) of a list of bools. */
bool mp_list_any(const mp_list *l);
bool mp_list_all(const mp_list *l);
/* `sub in s`: s holds sub (the empty string is in every string). */
bool mp_str_contains(const mp_str *s, const mp_str *sub);
/* list(s): the characters of s, each a string. New ref. */
mp_list *mp_list_of_str(const mp_str *s, const mp_type *list_type);

/* round(x) and round(x, n) as Python: halves to even, on the exact value
 * of x (round(2.675, 2) is 2.67). round(x) of a NaN or an infinity, and
 * results outside int64, are runtime errors. */
int64_t mp_round_f(double x, mp_loc loc);
double mp_round_fn(double x, int64_t n, mp_loc loc);
int64_t mp_round_in(int64_t x, int64_t n, mp_loc loc);
/* ------------------------------------------------------------------ */
/* Optional scalars (T | None)                                         */
/* ------------------------------------------------------------------ */

/* A box holding one scalar: the value of an `int | None` (...) that is
 * not None. New ref. */
mp_box *mp_box_i(int64_t v);
mp_box *mp_box_f(double v);
mp_box *mp_box_b(bool v);
mp_box *mp_box_ref(mp_box *o); /* NULL ok; returns o */
void mp_box_unref(mp_box *o);  /* NULL ok */

/* ------------------------------------------------------------------ */
/* Tuples                                                              */
/* ------------------------------------------------------------------ */

/* A tuple of type t (MP_TUPLE) from its t->n items, which it takes (owned
 * references), as mp_val arguments. New ref. */
mp_tuple *mp_tuple_pack(const mp_type *t, ...);
mp_tuple *mp_tuple_ref(mp_tuple *u); /* NULL ok; returns u */
void mp_tuple_unref(mp_tuple *u);    /* NULL ok */
int64_t mp_tuple_len(const mp_tuple *u);
/* u[i], borrowed; negative i from the end; out of range: IndexError
 * "tuple index out of range" at loc (then an int 0 if it returns). */
mp_val mp_tuple_get(const mp_tuple *u, int64_t i, mp_loc loc);
/* Item k of u, 0 <= k < len: borrowed, unchecked (a constant index the
 * compiler checked). */
mp_val mp_tuple_item(const mp_tuple *u, size_t k);

/* Built-ins that make tuples. lt is the list type of the result (a list
 * of tuples), each sequence a list or a str with its type.
 * enumerate(seq, start): [(start, seq[0]), (start + 1, seq[1]), ...]
 * (a count past int64 is OverflowError at loc);
 * zip(a, b[, c]): [(a[0], b[0]), ...] as long as the shortest. New ref. */
mp_list *mp_enumerate(const mp_type *lt, const mp_type *st, mp_val seq, int64_t start, mp_loc loc);
mp_list *mp_zip2(const mp_type *lt, const mp_type *at, mp_val a, const mp_type *bt, mp_val b);
mp_list *mp_zip3(const mp_type *lt, const mp_type *at, mp_val a, const mp_type *bt, mp_val b,
                 const mp_type *ct, mp_val c);
/* divmod(a, b) as Python, as a tuple of type t: (a // b, a % b).
 * ZeroDivisionError "integer division or modulo by zero" / "float
 * divmod()"; an int result outside int64 is OverflowError. New ref. */
mp_tuple *mp_divmod_i(const mp_type *t, int64_t a, int64_t b, mp_loc loc);
mp_tuple *mp_divmod_f(const mp_type *t, double a, double b, mp_loc loc);

/* ------------------------------------------------------------------ */
/* Dicts and sets (dict.c)                                             */
/* ------------------------------------------------------------------ */

/* The key type of dict type t. */
static inline const mp_type *mp_dict_key_type(const mp_type *t) {
    return ((const mp_dict_type *)(const void *)t)->key;
}

/* A new empty dict (t: MP_DICT) or set (t: MP_SET). New ref. */
mp_dict *mp_dict_new(const mp_type *t);
mp_dict *mp_dict_ref(mp_dict *d); /* NULL ok; returns d */
void mp_dict_unref(mp_dict *d);   /* NULL ok */
int64_t mp_dict_len(const mp_dict *d);
/* d[k] = v: takes k and v (an equal key already there is kept, as
 * Python keeps the first key object). */
void mp_dict_set(mp_dict *d, mp_val k, mp_val v);
/* d[k], borrowed; a missing key raises KeyError with the key's repr
 * (then a zero value if it returns). */
mp_val mp_dict_get(const mp_dict *d, mp_val k, mp_loc loc);
bool mp_dict_contains(const mp_dict *d, mp_val k);
/* d.get(k): a new reference of type `V | None` (a scalar boxed), NULL
 * for a missing key. d.get(k, dflt): the value or dflt, borrowed. */
mp_val mp_dict_get_opt(const mp_dict *d, mp_val k);
mp_val mp_dict_get_or(const mp_dict *d, mp_val k, mp_val dflt);
/* d.pop(k): new ref; KeyError. d.pop(k, dflt): the value or dflt, a new
 * ref either way (dflt is borrowed). */
mp_val mp_dict_pop(mp_dict *d, mp_val k, mp_loc loc);
mp_val mp_dict_pop_or(mp_dict *d, mp_val k, mp_val dflt);
/* d.pop(k) as a new reference of type `V | None` (a scalar boxed), NULL
 * for a missing key. */
mp_val mp_dict_pop_opt(mp_dict *d, mp_val k);
/* d.setdefault(k, dflt): the value, borrowed; when missing, k and dflt
 * are stored first (both borrowed). */
mp_val mp_dict_setdefault(mp_dict *d, mp_val k, mp_val dflt);
/* del d[k] (KeyError), d.update(other), d.clear(); d.copy() is shallow. */
void mp_dict_del(mp_dict *d, mp_val k, mp_loc loc);
void mp_dict_update(mp_dict *d, const mp_dict *other);
void mp_dict_clear(mp_dict *d);
mp_dict *mp_dict_shallow(const mp_dict *d);
/* keys(), values(), items() (and a set's elements) as new lists of type
 * lt, in insertion order. */
mp_list *mp_dict_keys(const mp_dict *d, const mp_type *lt);
mp_list *mp_dict_values(const mp_dict *d, const mp_type *lt);
mp_list *mp_dict_items(const mp_dict *d, const mp_type *lt);
/* Iteration in insertion order: *pos starts at 0; each call moves it past
 * the next live entry and returns true with its key (borrowed) in *k, or
 * false at the end. len0 is the length when the loop began: a different
 * length raises RuntimeError "dictionary changed size during iteration"
 * ("Set changed size during iteration"), and ends the loop. */
bool mp_dict_next(const mp_dict *d, int64_t *pos, int64_t len0, mp_val *k, mp_loc loc);

/* Sets: add takes x; remove raises KeyError; pop (new ref) raises KeyError
 * "pop from an empty set". */
void mp_set_add(mp_set *s, mp_val x);
void mp_set_discard(mp_set *s, mp_val x);
void mp_set_remove(mp_set *s, mp_val x, mp_loc loc);
mp_val mp_set_pop(mp_set *s, mp_loc loc);
/* set(xs) of a list, as a set of type t. New ref. */
mp_set *mp_set_of_list(const mp_type *t, const mp_list *l);
/* a | b, a & b, a - b, a ^ b: new sets, in a's order then b's. */
mp_set *mp_set_or(const mp_set *a, const mp_set *b);
mp_set *mp_set_and(const mp_set *a, const mp_set *b);
mp_set *mp_set_sub(const mp_set *a, const mp_set *b);
mp_set *mp_set_xor(const mp_set *a, const mp_set *b);
/* s |= t and the others: s takes the elements of r (the result of the
 * operator, which it takes), in place, so that aliases of s see them. */
void mp_set_inplace(mp_set *s, mp_set *r);
/* a <= b: every element of a is in b. */
bool mp_set_le(const mp_set *a, const mp_set *b);

/* Python == on two values of type t (any type, optionals included). */
bool mp_val_eq(const mp_type *t, mp_val a, mp_val b);
/* Python's order of two values of an ordered type t (numbers, str, bool,
 * lists and tuples of those): -1, 0, 1, or MP_UNORDERED when a NaN decides
 * it (then every ordering is false and only != holds). See mp_compare for
 * an int against a float. */
int mp_val_cmp(const mp_type *t, mp_val a, mp_val b);
/* A copy of v for another process's arguments: lists copied deeply,
 * everything else shared (immutable). New ref. */
mp_val mp_val_copy(const mp_type *t, mp_val v);

/* ------------------------------------------------------------------ */
/* Arithmetic with Python semantics (errors through mp_raise at loc)     */
/* ------------------------------------------------------------------ */

static inline int64_t mp_add(int64_t a, int64_t b, mp_loc loc) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) {
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return 0;
    }
    return r;
}

static inline int64_t mp_sub(int64_t a, int64_t b, mp_loc loc) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) {
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return 0;
    }
    return r;
}

static inline int64_t mp_mul(int64_t a, int64_t b, mp_loc loc) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) {
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return 0;
    }
    return r;
}

static inline int64_t mp_neg(int64_t a, mp_loc loc) {
    if (a == INT64_MIN) {
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return 0;
    }
    return -a;
}

static inline int64_t mp_abs(int64_t a, mp_loc loc) {
    if (a == INT64_MIN) {
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return 0;
    }
    return a < 0 ? -a : a;
}

static inline double mp_fabs(double a) { return __builtin_fabs(a); }

/* The overflow pass of an element-wise loop (docs/compiler.md, "Element-wise
 * loops"): a op b wrapped, with the sign bit of *ov set when a op b would
 * overflow, so that the pass has no branch and vectorizes. For a
 * multiplication the test is that an operand lies outside int32, which
 * every overflow does (a block flagged without one runs checked: slower,
 * never different). With a constant operand the test is one operation. */
static inline int64_t mp_add_ov(int64_t a, int64_t b, int64_t *ov) {
    int64_t r = (int64_t)((uint64_t)a + (uint64_t)b);
    if (__builtin_constant_p(b >= 0)) *ov |= b >= 0 ? r & ~a : a & ~r;
    else *ov |= (a ^ r) & (b ^ r);
    return r;
}

static inline int64_t mp_sub_ov(int64_t a, int64_t b, int64_t *ov) {
    int64_t r = (int64_t)((uint64_t)a - (uint64_t)b);
    if (__builtin_constant_p(b > 0)) *ov |= b > 0 ? a & ~r : r & ~a;
    else *ov |= (a ^ b) & (a ^ r);
    return r;
}

static inline int64_t mp_mul_ov(int64_t a, int64_t b, int64_t *ov) {
    uint64_t outside = ((uint64_t)a + 0x80000000u) | ((uint64_t)b + 0x80000000u);
    *ov |= -(int64_t)(outside >> 32);
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

static inline int64_t mp_neg_ov(int64_t a, int64_t *ov) {
    int64_t r = (int64_t)(0 - (uint64_t)a);
    *ov |= a & r; /* both negative: a is INT64_MIN */
    return r;
}

/* Before an element-wise block reads an int array whose elements it will
 * store: an atomic addition of 0 to one of them, which changes nothing but
 * makes the access a write, so that a page this process has not mapped
 * yet is mapped by a write fault, writable and dirty at once. Were the
 * block's read first, its first store would still have to mark the page
 * dirty, which costs about a fault on a virtual machine that shadows the
 * page tables (bench/RESULTS.md, 2026-12-03). */
static inline void mp_touch_for_write(int64_t *p) {
    (void)__atomic_fetch_add(p, 0, __ATOMIC_RELAXED);
}

/* Before a loop of an element-wise block: no iteration depends on another
 * (each touches index i of whole arrays only), so the compiler may
 * vectorize without testing whether the arrays overlap, and unrolls. */
#if defined(__clang__)
#define MP_VECTOR _Pragma("clang loop vectorize(assume_safety) interleave(enable)")
#elif defined(__GNUC__)
#define MP_VECTOR _Pragma("GCC ivdep") _Pragma("GCC unroll 4")
#else
#define MP_VECTOR
#endif

/* a << b and a >> b as Python (>> floors); a negative count is a runtime
 * error, so is a left shift that overflows. */
static inline int64_t mp_shl(int64_t a, int64_t b, mp_loc loc) {
    if (b < 0) {
        mp_raise(MP_EXC_ValueError, loc, "negative shift count");
        return 0;
    }
    if (a == 0) return 0;
    if (b >= 63) {
        if (b == 63 && a == -1) return INT64_MIN;
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return 0;
    }
    if (a > 0 ? a > (INT64_MAX >> b) : a < INT64_MIN / ((int64_t)1 << b)) {
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return 0;
    }
    return (int64_t)((uint64_t)a << b);
}

static inline int64_t mp_shr(int64_t a, int64_t b, mp_loc loc) {
    if (b < 0) {
        mp_raise(MP_EXC_ValueError, loc, "negative shift count");
        return 0;
    }
    if (b > 63) b = 63;
    return a >= 0 ? a >> b : -1 - ((-1 - a) >> b);
}

/* The step of range(start, stop, step): 0 is a runtime error. */
static inline int64_t mp_range_step(int64_t step, mp_loc loc) {
    if (step == 0) {
        mp_raise(MP_EXC_ValueError, loc, "range() arg 3 must not be zero");
        return 0;
    }
    return step;
}

/* How many values range(start, stop, step) has (0 for a step of 0); a
 * count past INT64_MAX comes out negative, which no list can hold. */
static inline int64_t mp_range_count(int64_t start, int64_t stop, int64_t step) {
    if (step > 0 && start < stop)
        return (int64_t)(((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1);
    if (step < 0 && start > stop)
        return (int64_t)(((uint64_t)start - (uint64_t)stop - 1) / (0 - (uint64_t)step) + 1);
    return 0;
}

/* The value after i in a range stepping by step towards stop. Past the
 * int64 limits there is no next value: stop is returned, which ends the
 * loop (Python's range stops there too: it cannot reach stop). */
static inline int64_t mp_range_next(int64_t i, int64_t step, int64_t stop) {
    int64_t next;
    if (__builtin_add_overflow(i, step, &next)) return stop;
    return next;
}

#define MP_NAN (__builtin_nan(""))
#define MP_INFINITY (__builtin_inf())

/* a // b, rounding toward negative infinity. */
static inline int64_t mp_floordiv(int64_t a, int64_t b, mp_loc loc) {
    if (b == 0) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "integer division or modulo by zero");
        return 0;
    }
    if (b == -1) {
        if (a == INT64_MIN) {
            mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
            return 0;
        }
        return -a;
    }
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

/* a % b with the sign of b. */
static inline int64_t mp_mod(int64_t a, int64_t b, mp_loc loc) {
    if (b == 0) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "integer modulo by zero");
        return 0;
    }
    if (b == -1) return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

/* a ** b for b >= 0; a negative exponent is a runtime error (the result
 * would not be an int). */
static inline int64_t mp_pow(int64_t a, int64_t b, mp_loc loc) {
    if (b < 0) {
        mp_raise(MP_EXC_ValueError, loc, "negative exponent in integer power");
        return 0;
    }
    int64_t r = 1;
    while (b > 0) {
        if (b & 1) {
            if (__builtin_mul_overflow(r, a, &r)) {
                mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
                return 0;
            }
        }
        b >>= 1;
        if (b > 0 && __builtin_mul_overflow(a, a, &a)) {
            mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
            return 0;
        }
    }
    return r;
}

/* Out-of-line parts of the float helpers (no libm needed):
 * mp_fmod_raw is C fmod (exact); mp_floor_raw is C floor;
 * mp_ffloordiv_raw/mp_fmod_py_raw are Python's float // and % for b != 0. */
double mp_fmod_raw(double a, double b);
double mp_floor_raw(double a);
double mp_ffloordiv_raw(double a, double b);
double mp_fmod_py_raw(double a, double b);

/* x is +0.0 or -0.0 (written without == so that user code built with
 * -Wfloat-equal stays quiet). */
static inline bool mp_fzero(double x) { return x <= 0.0 && x >= 0.0; }

static inline double mp_fdiv(double a, double b, mp_loc loc) {
    if (mp_fzero(b)) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "float division by zero");
        return 0;
    }
    return a / b;
}

static inline double mp_ffloordiv(double a, double b, mp_loc loc) {
    if (mp_fzero(b)) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "float floor division by zero");
        return 0;
    }
    return mp_ffloordiv_raw(a, b);
}

static inline double mp_fmod(double a, double b, mp_loc loc) {
    if (mp_fzero(b)) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "float modulo");
        return 0;
    }
    return mp_fmod_py_raw(a, b);
}

/* a / b of two ints, correctly rounded (Python's int / int), for any
 * int64 operands; b != 0. */
double mp_idiv_raw(int64_t a, int64_t b);
/* Exact comparison of an int with a float, as Python: -1, 0 or 1, and 2
 * when b is NaN (then only != holds). */
int mp_cmp_if(int64_t a, double b);

/* Integer division of ints giving a float (Python int / int). */
static inline double mp_idiv(int64_t a, int64_t b, mp_loc loc) {
    if (b == 0) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "division by zero");
        return 0;
    }
    return mp_idiv_raw(a, b);
}

/* int OP float and float OP int, compared exactly (no rounding of the
 * int to a float first). */
static inline bool mp_if_eq(int64_t a, double b) { return mp_cmp_if(a, b) == 0; }
static inline bool mp_if_ne(int64_t a, double b) { return mp_cmp_if(a, b) != 0; }
static inline bool mp_if_lt(int64_t a, double b) { return mp_cmp_if(a, b) == -1; }
static inline bool mp_if_le(int64_t a, double b) {
    int c = mp_cmp_if(a, b);
    return c == -1 || c == 0;
}
static inline bool mp_if_gt(int64_t a, double b) { return mp_cmp_if(a, b) == 1; }
static inline bool mp_if_ge(int64_t a, double b) {
    int c = mp_cmp_if(a, b);
    return c == 1 || c == 0;
}
static inline bool mp_fi_eq(double a, int64_t b) { return mp_if_eq(b, a); }
static inline bool mp_fi_ne(double a, int64_t b) { return mp_if_ne(b, a); }
static inline bool mp_fi_lt(double a, int64_t b) { return mp_if_gt(b, a); }
static inline bool mp_fi_le(double a, int64_t b) { return mp_if_ge(b, a); }
static inline bool mp_fi_gt(double a, int64_t b) { return mp_if_lt(b, a); }
static inline bool mp_fi_ge(double a, int64_t b) { return mp_if_le(b, a); }

/* a ** b on floats as Python: 0.0 ** negative and negative ** fractional
 * are runtime errors, so is an overflow to infinity from finite operands.
 * Calls pow(): programs that use it link with -lm. */
static inline double mp_fpow(double a, double b, mp_loc loc) {
    if (mp_fzero(b)) return 1.0;
    if (mp_fzero(a) && b < 0.0) {
        mp_raise(MP_EXC_ZeroDivisionError, loc, "0.0 cannot be raised to a negative power");
        return 0;
    }
    if (a < 0.0 && __builtin_isfinite(a) && b > -9007199254740992.0 && b < 9007199254740992.0) {
        double t = (double)(int64_t)b;
        if (b < t || b > t) {
            mp_raise(MP_EXC_ValueError, loc,
                     "negative number cannot be raised to a fractional power");
            return 0;
        }
    }
    double r = pow(a, b);
    if (__builtin_isinf(r) && __builtin_isfinite(a) && __builtin_isfinite(b)) {
        mp_raise(MP_EXC_OverflowError, loc, "(34, 'Numerical result out of range')");
        return 0;
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* Formatting and printing (Python print/str/repr)                     */
/* ------------------------------------------------------------------ */

/* A growable byte buffer. Zero-initialized is valid (= mp_buf_init). */
typedef struct mp_buf {
    char *data; /* NUL-terminated when non-NULL */
    size_t len, cap;
} mp_buf;

void mp_buf_init(mp_buf *b);
void mp_buf_cstr(mp_buf *b, const char *s, size_t len); /* append bytes */
/* Appends str() of a value: ints in decimal; floats as Python repr
 * (shortest round-trip: 1.0, 0.1, 1e+16, 1e-05, inf, -inf, nan, -0.0);
 * True/False; strings raw; lists as [1, 'a', 2.5] with strings inside
 * shown as Python repr (quote choice and escapes as Python). */
void mp_buf_val(mp_buf *b, const mp_type *t, mp_val v);
/* The buffer's bytes as a new string (new ref); the buffer is left empty
 * and owns no memory (no mp_buf_free needed after). */
mp_str *mp_buf_finish(mp_buf *b);
void mp_buf_free(mp_buf *b); /* frees and resets */

/* Writes line and '\n' to stdout with one write(2) (looping only on a
 * partial write), never through stdio. A line of at most PIPE_BUF (4096)
 * bytes including the newline written to a pipe is atomic: lines from
 * concurrent processes never interleave. Longer lines, or lines to a
 * terminal or file opened without O_APPEND, may interleave with others.
 * EPIPE (stdout closed) is ignored quietly; another write error is
 * reported once per process as a runtime warning. line is borrowed. */
void mp_print(const mp_str *line);
/* Prints the buffer's bytes as one line (same rules) and leaves it empty
 * and owning no memory. */
void mp_print_buf(mp_buf *b);

/* str(v), new ref (for a str, the same string with one more ref). */
mp_str *mp_str_of(const mp_type *t, mp_val v);
/* repr(v), new ref: strings quoted and escaped as Python's repr. */
mp_str *mp_repr_of(const mp_type *t, mp_val v);
/* Appends format(v, spec): Python's format-spec mini-language for int,
 * bool, float and str; an empty spec is str(v) (the only one a list
 * takes: else TypeError). A spec that does not fit the type raises
 * ValueError with Python's message. */
void mp_buf_format(mp_buf *b, const mp_type *t, mp_val v, const mp_str *spec, mp_loc loc);
mp_str *mp_format(const mp_type *t, mp_val v, const mp_str *spec, mp_loc loc); /* new ref */
/* Python int(s) in base 10: surrounding whitespace, a sign and single
 * underscores between digits are accepted; anything else is a runtime
 * error "invalid literal for int() with base 10: '...'"; a value outside
 * int64 is "integer overflow". */
int64_t mp_int_of_str(const mp_str *s, mp_loc loc);
/* Python int(s, base): base 2..36, or 0 (the prefix decides: 0x, 0o, 0b,
 * else decimal without leading zeros); a prefix matching the base may be
 * written; digits past 9 are letters in either case. Another base raises
 * ValueError "int() base must be >= 2 and <= 36, or 0". */
int64_t mp_int_of_str_base(const mp_str *s, int64_t base, mp_loc loc);
/* Python float(s): decimal or exponent notation, inf/infinity/nan in any
 * case, surrounding whitespace, underscores between digits; else runtime
 * error "could not convert string to float: '...'". */
double mp_float_of_str(const mp_str *s, mp_loc loc);
/* Python int(f): truncates; NaN, infinities and values outside int64 are
 * runtime errors. */
int64_t mp_int_of_float(double f, mp_loc loc);

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

typedef struct mp_proc mp_proc;
typedef struct mp_conn mp_conn;
typedef struct mp_queue mp_queue;

/* A process not yet started. index is -1 for a single process, else the
 * replica index: it is then named "name[index]" in messages. */
mp_proc *mp_proc_new(const char *name, int64_t index);
/* Before start: the child uses pipe end c. Right after fork the child
 * closes every pipe end made by mp_pipe that it was not given, so that
 * end-of-file works without closing by hand. No effect after start.
 * (The parent keeps its own ends: close, in the parent, the ends it does
 * not use once the children that use them are started, or call
 * mp_conn_close_unused.) */
void mp_proc_uses(mp_proc *p, mp_conn *c);
/* Before start: the child puts into q. When the child finishes (return,
 * exit(n), mp_fail, or killed by a signal), the parent applies
 * mp_queue_producer_done(q) exactly once for it, from its SIGCHLD handler,
 * so consumers blocked anywhere (even the parent) wake up. A process that
 * is freed without being started also counts as done. The producer count
 * given to mp_queue_new must include this process. No effect after start. */
void mp_proc_produces(mp_proc *p, mp_queue *q);
/* As Python: 0 or the exit status, -N if killed by signal N, MP_NOEXIT if
 * not started or not finished. */
int mp_proc_exitcode(mp_proc *p);
/* p.exitcode as `int | None`: NULL while not finished, else a box (new
 * ref). */
mp_box *mp_proc_exitcode_opt(mp_proc *p);
int64_t mp_proc_pid(const mp_proc *p);     /* 0 before start */
mp_box *mp_proc_pid_opt(const mp_proc *p); /* NULL (None) before start */
bool mp_proc_is_alive(mp_proc *p);
const char *mp_proc_name(const mp_proc *p); /* "p" or "workers[2]" */
/* Before start (no effect after): name= (it names the process in runtime
 * messages too) and daemon= of the declaration. A daemon still running
 * when its parent ends is terminated (SIGTERM) before the parent joins its
 * children, as Python does at exit. */
void mp_proc_set_name(mp_proc *p, const mp_str *name);
void mp_proc_set_daemon(mp_proc *p, bool daemon);
bool mp_proc_daemon(const mp_proc *p);
/* Python's current_process(): a handle for the calling process (name
 * "MainProcess" in main, else the name it was started with; its pid and
 * daemon flag). Only read through it: never start, join or free it. */
mp_proc *mp_current_process(void);
/* Checked: failures are runtime errors at loc ("cannot start process
 * 'p': ..."). A child that failed does not make join fail: see
 * mp_proc_exitcode. */
void mp_start(mp_proc *p, void (*entry)(void *arg), void *arg, mp_loc loc);
void mp_join(mp_proc *p, mp_loc loc);
/* p.join(timeout): waits at most timeout seconds (negative: forever);
 * still running afterwards is not an error (see mp_proc_is_alive). */
void mp_join_timeout(mp_proc *p, double timeout, mp_loc loc);
void mp_terminate(mp_proc *p, mp_loc loc);
void mp_kill(mp_proc *p, mp_loc loc);
/* A process declared in a def, when the call of the def ends (returns,
 * raises, or runs to its end): a daemon still running is terminated
 * (SIGTERM), a started process joined, then the record freed; one never
 * started gives up its producer shares. mp_group_end does the same for
 * the n processes of a group (daemons first, then the joins) and frees
 * the array ps (made with mp_alloc). */
void mp_proc_end(mp_proc *p);
void mp_group_end(mp_proc **ps, int64_t n);
/* The replica count of a process group: negative is a runtime error. */
int64_t mp_group_size(int64_t n, mp_loc loc);
/* w[i] on a group of count processes: i normalized as Python (negative
 * from the end); out of range is the runtime error "process group index
 * out of range". */
int64_t mp_group_index(int64_t count, int64_t i, mp_loc loc);

/* ------------------------------------------------------------------ */
/* Pipes: typed framed messages over a socketpair                      */
/* ------------------------------------------------------------------ */

/* Marks c as used by several processes (the compiler calls it right after
 * making the pipe, before any start): each send and each receive then
 * moves one whole frame under a lock in shared memory, and receives read
 * no further than their frame, so messages never interleave or split. */
void mp_conn_share(mp_conn *c);
/* Marks a pipe whose ends have one user each (call it right after making
 * the pipe, before any start): its frames then go through rings in shared
 * memory, the socket staying as doorbell and liveness channel. A no-op
 * when either end is shared or the memory is not there (the pipe stays a
 * socket). */
void mp_pipe_shm(mp_conn *a, mp_conn *b);
/* Closes this process's copy of the end; idempotent (0). The handle stays
 * valid (later use fails with EBADF) and is freed by mp_finish. */
int mp_conn_close(mp_conn *c);

/* mp_pipe, failing at loc ("cannot create pipe 'a, b': ..."). */
void mp_make_pipe(mp_conn **a, mp_conn **b, const mp_type *t, bool duplex, const char *name_a,
                  const char *name_b, mp_loc loc);

/* Checked variants. mp_recv at end-of-file is the runtime error
 * "recv on 'NAME': the other end was closed". */
void mp_send(mp_conn *c, mp_val v, mp_loc loc);
mp_val mp_recv(mp_conn *c, mp_loc loc); /* new ref */
/* For `for msg in conn`: true with a message (new ref), false at EOF. */
bool mp_recv_next(mp_conn *c, mp_val *out, mp_loc loc);
void mp_close(mp_conn *c, mp_loc loc);
bool mp_poll(mp_conn *c, double timeout, mp_loc loc);

/* ------------------------------------------------------------------ */
/* Queues: many producers, many consumers, across processes            */
/* ------------------------------------------------------------------ */

/* Adjusts the producer count; when it reaches 0 every waiting consumer
 * wakes. Async-signal-safe. The count never goes below 0. */
void mp_queue_add_producers(mp_queue *q, int64_t delta);
void mp_queue_producer_done(mp_queue *q);
/* The calling process counts as one of q's producers (it is included in
 * the count given to mp_queue_new). mp_self_done(q) says it puts no more
 * (idempotent); if the process leaves first (returns from main, exit,
 * mp_fail), its share is released then, so consumers still see the end of
 * the stream. */
void mp_self_produces(mp_queue *q);
void mp_self_done(mp_queue *q);
/* One process puts into q and one other gets from it (the compiler proved
 * it): both sides run without their lock. Call right after making q,
 * before any start and before any mp_queue_add_producers adjusting its
 * count; ignored on a rendezvous queue. A later mp_queue_add_producers
 * with more producers makes the put side locked again (the caller holds
 * the one producer share and is not putting). A second process putting
 * or getting while its side is lock-free is the runtime error "get from
 * 'q': the queue has one consumer, process N (c), and is not shared". */
void mp_queue_set_spsc(mp_queue *q);
/* Both sides are still lock-free. */
bool mp_queue_is_spsc(const mp_queue *q);
/* Item count / emptiness: exact under the queue's locks; with a lock-free
 * side, exact for its own process and otherwise a count that was true
 * between two loads (see docs/runtime.md). */
int64_t mp_queue_size(mp_queue *q);
bool mp_queue_empty(mp_queue *q);
/* mp_queue_new with the default ring, failing at loc. bound is the .mp
 * queue bound (0: a rendezvous; negative is a runtime error). */
mp_queue *mp_make_queue(const mp_type *t, int64_t bound, int64_t producers, const char *name,
                        mp_loc loc);
/* A queue declared without a bound (only its ring bounds it). */
mp_queue *mp_make_queue_unbounded(const mp_type *t, int64_t producers, const char *name,
                                  mp_loc loc);

/* Checked variants. mp_get at end of stream is the runtime error
 * "get from 'q': queue is empty and every producer has finished". */
void mp_put(mp_queue *q, mp_val v, mp_loc loc);
mp_val mp_get(mp_queue *q, mp_loc loc); /* new ref */
/* true with an item; false on timeout; end of stream is the same runtime
 * error as mp_get. */
bool mp_get_timeout(mp_queue *q, double timeout, mp_val *out, mp_loc loc);
/* For `for item in q`: true with an item, false at end of stream. */
bool mp_get_next(mp_queue *q, mp_val *out, mp_loc loc);
/* q.get(timeout=s) / q.get_nowait() (timeout 0): a queue still empty
 * after the timeout, or at end of stream, raises queue.Empty. New ref. */
mp_val mp_get_wait(mp_queue *q, double timeout, mp_loc loc);
/* q.put(v, timeout=s) / q.put_nowait(v) (timeout 0): a queue still full
 * after the timeout raises queue.Full. */
void mp_put_wait(mp_queue *q, mp_val v, double timeout, mp_loc loc);
/* Joinable queues. mp_queue_set_joinable(q) right after making q (before
 * any start). q.task_done(): one task more than were put raises
 * ValueError "task_done() called too many times", as Python. q.join():
 * waits until every item put has been marked done (forever, as Python,
 * if no process will). */
void mp_queue_set_joinable(mp_queue *q);
void mp_task_done(mp_queue *q, mp_loc loc);
void mp_queue_join_all(mp_queue *q, mp_loc loc);

/* ------------------------------------------------------------------ */
/* Arrays of pipe ends and queues (handles.c)                          */
/* ------------------------------------------------------------------ */

/* `pipe a[4], b[4]: T`, `queue q[4]: T`, and a `list[conn[T]]` or
 * `list[queue[T]]` parameter: n handles (borrowed; the array itself lives
 * in the parent program's main, which children inherit). */
typedef struct mp_conns {
    int64_t n;
    mp_conn **at;
} mp_conns;
typedef struct mp_queues {
    int64_t n;
    mp_queue **at;
} mp_queues;

/* n pipes into a[0..n-1], b[0..n-1], their ends named "NAME_A[k]" and
 * "NAME_B[k]"; fails at loc as mp_make_pipe. */
void mp_make_pipes(mp_conn **a, mp_conn **b, int64_t n, const mp_type *t, bool duplex,
                   const char *name_a, const char *name_b, mp_loc loc);
/* n queues "NAME[k]" into q[0..n-1], each with PRODUCERS producers;
 * BOUNDED: each holds at most BOUND items (as mp_make_queue), else as
 * mp_make_queue_unbounded. */
void mp_make_queues(mp_queue **q, int64_t n, const mp_type *t, bool bounded, int64_t bound,
                    int64_t producers, const char *name, mp_loc loc);
/* l[i], i normalized as Python (negative from the end); out of range
 * raises IndexError "list index out of range" and returns NULL. */
mp_conn *mp_conns_at(mp_conns l, int64_t i, mp_loc loc);
mp_queue *mp_queues_at(mp_queues l, int64_t i, mp_loc loc);
/* Before start: the child uses every end of l / puts into every queue of
 * l (mp_proc_uses, mp_proc_produces for each). */
void mp_proc_uses_all(mp_proc *p, mp_conns l);
void mp_proc_produces_all(mp_proc *p, mp_queues l);
/* mp_queue_add_producers on every queue of l. */
void mp_queues_add_producers(mp_queues l, int64_t delta);
/* Select: one wait over several pipe ends and queues (select.c)       */
/* ------------------------------------------------------------------ */

/* A queue a select may wait on: call right after making it, before any
 * start (it gets an eventfd its producers write while a select sleeps). */
void mp_queue_set_selectable(mp_queue *q, mp_loc loc);

/* One source of a select: a pipe end or a queue (the other NULL), and
 * whether the select has an eof case for it. */
typedef struct mp_sel_src {
    mp_conn *conn;
    mp_queue *queue;
    bool eof_case;
} mp_sel_src;

/* The results of mp_select besides k (a message from source k). */
#define MP_SEL_EOF(n, k) ((n) + (k)) /* source k ended: run its eof case */
#define MP_SEL_TIMEOUT (-1)
#define MP_SEL_RAISED (-2) /* an exception is pending (see mp_raise) */

/* Waits until one of the n sources has a message (received into *out,
 * a new reference) or has ended, or, when TIMED, until timeout seconds
 * pass (negative is 0, NaN raises ValueError, as Python's selectors). The sources are
 * tried in turn from *turn, and *turn moves past the one served, so a
 * ready source waits for at most n - 1 others. A source whose eof case
 * ran is left out of this process's later selects. A source that ended
 * without an eof case raises what recv (EOFError) or get (a runtime
 * error) would; when every source has ended and there is no timeout,
 * EOFError "select: every source has ended". */
int mp_select(const mp_sel_src *src, int n, int *turn, bool timed, double timeout, mp_val *out,
              mp_loc loc);

/* ------------------------------------------------------------------ */
/* Shared values and arrays (anonymous shared mappings)                */
/* ------------------------------------------------------------------ */

/* The public part of a shared value; it lives in shared memory (with a
 * robust lock after it). Use the functions below, not the fields. */
typedef struct mp_value {
    union {
        int64_t i;
        double f;
        bool b;
    } v;
    mp_kind kind; /* MP_INT, MP_FLOAT or MP_BOOL */
    const char *name;
} mp_value;

/* mp_value_new, failing at loc. */
mp_value *mp_make_value(mp_kind k, mp_val init, const char *name, mp_loc loc);

/* Every access is atomic. A load acquires and a store releases (on x86
 * both are plain moves); the read-modify-write operations below are
 * sequentially consistent. The language promises that each statement on
 * shared data is atomic, not a single order of all shared accesses. */
static inline int64_t mp_value_load_i(mp_value *v) {
    return __atomic_load_n(&v->v.i, __ATOMIC_ACQUIRE);
}

static inline double mp_value_load_f(mp_value *v) {
    double d;
    __atomic_load(&v->v.f, &d, __ATOMIC_ACQUIRE);
    return d;
}

static inline bool mp_value_load_b(mp_value *v) {
    return __atomic_load_n(&v->v.b, __ATOMIC_ACQUIRE);
}

static inline void mp_value_store_i(mp_value *v, int64_t x) {
    __atomic_store_n(&v->v.i, x, __ATOMIC_RELEASE);
}

static inline void mp_value_store_f(mp_value *v, double x) {
    __atomic_store(&v->v.f, &x, __ATOMIC_RELEASE);
}

static inline void mp_value_store_b(mp_value *v, bool x) {
    __atomic_store_n(&v->v.b, x, __ATOMIC_RELEASE);
}

/* One `lock xadd`, as C's __atomic_fetch_add. An add that overflows is
 * detected from the old value: it is undone (the wrapped sum lives in the
 * object for the few instructions in between) and raised as OverflowError
 * at loc, so the object keeps its value, as Python would. */
static inline int64_t mp_atomic_add_i(int64_t *p, int64_t delta, mp_loc loc) {
    int64_t old = __atomic_fetch_add(p, delta, __ATOMIC_SEQ_CST), nv;
    if (__builtin_expect(__builtin_add_overflow(old, delta, &nv), 0)) {
        __atomic_fetch_sub(p, delta, __ATOMIC_SEQ_CST);
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return old;
    }
    return nv;
}

/* A separate subtract: -delta overflows for INT64_MIN even when the
 * result fits. */
static inline int64_t mp_atomic_sub_i(int64_t *p, int64_t delta, mp_loc loc) {
    int64_t old = __atomic_fetch_sub(p, delta, __ATOMIC_SEQ_CST), nv;
    if (__builtin_expect(__builtin_sub_overflow(old, delta, &nv), 0)) {
        __atomic_fetch_add(p, delta, __ATOMIC_SEQ_CST);
        mp_raise(MP_EXC_OverflowError, loc, "integer overflow");
        return old;
    }
    return nv;
}

/* Atomic add and subtract; return the new value (see mp_atomic_add_i). */
static inline int64_t mp_value_add_i(mp_value *v, int64_t delta, mp_loc loc) {
    return mp_atomic_add_i(&v->v.i, delta, loc);
}

static inline int64_t mp_value_sub_i(mp_value *v, int64_t delta, mp_loc loc) {
    return mp_atomic_sub_i(&v->v.i, delta, loc);
}

/* Atomic bitwise ops; return the new value. */
static inline int64_t mp_value_and_i(mp_value *v, int64_t x) {
    return __atomic_and_fetch(&v->v.i, x, __ATOMIC_SEQ_CST);
}

static inline int64_t mp_value_or_i(mp_value *v, int64_t x) {
    return __atomic_or_fetch(&v->v.i, x, __ATOMIC_SEQ_CST);
}

static inline int64_t mp_value_xor_i(mp_value *v, int64_t x) {
    return __atomic_xor_fetch(&v->v.i, x, __ATOMIC_SEQ_CST);
}

/* Atomic float add (compare-and-swap loop); returns the new value. */
static inline double mp_value_add_f(mp_value *v, double delta) {
    double old, nv;
    __atomic_load(&v->v.f, &old, __ATOMIC_RELAXED);
    do {
        nv = old + delta;
    } while (
        !__atomic_compare_exchange(&v->v.f, &old, &nv, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    return nv;
}

/* If the value equals *expected, stores desired and returns true; else
 * stores the current value in *expected and returns false. */
static inline bool mp_value_cas_i(mp_value *v, int64_t *expected, int64_t desired) {
    return __atomic_compare_exchange_n(&v->v.i, expected, desired, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

static inline bool mp_value_cas_f(mp_value *v, double *expected, double desired) {
    return __atomic_compare_exchange(&v->v.f, expected, &desired, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}

static inline int64_t mp_value_xchg_i(mp_value *v, int64_t x) {
    return __atomic_exchange_n(&v->v.i, x, __ATOMIC_SEQ_CST);
}

/* The value's robust process-shared lock, held for a statement or a
 * `lock counter { ... }` block. Re-entrant, as Python's RLock: taking it
 * again in the process that holds it counts, and it is released by the
 * matching last unlock (or when the process leaves by exit or a runtime
 * error). If its holder died, the lock is taken over and mp_warn
 * reports "lock on 'NAME' recovered after process N (PNAME) died holding
 * it". Unlocking a lock this process does not hold is a runtime error. */
void mp_value_lock(mp_value *v, mp_loc loc);
void mp_value_unlock(mp_value *v, mp_loc loc);
/* The value read under its lock (a guarded value). */
int64_t mp_value_read_i(mp_value *v, mp_loc loc);
double mp_value_read_f(mp_value *v, mp_loc loc);
bool mp_value_read_b(mp_value *v, mp_loc loc);

/* The public part of a shared array (in shared memory). */
typedef struct mp_array {
    int64_t len;
    mp_kind kind; /* MP_INT, MP_FLOAT or MP_BOOL */
    const char *name;
    void *data; /* len elements, in the same mapping */
} mp_array;

/* Checked: a negative size or a failure is a runtime error at loc. k must
 * match the list's element kind. */
mp_array *mp_make_array(mp_kind k, int64_t n, const char *name, mp_loc loc);
mp_array *mp_make_array_from(mp_kind k, const mp_list *l, const char *name, mp_loc loc);

static inline int64_t mp_array_len(const mp_array *a) { return a->len; }
static inline int64_t *mp_array_i(mp_array *a) { return (int64_t *)a->data; }
static inline double *mp_array_f(mp_array *a) { return (double *)a->data; }
static inline bool *mp_array_b(mp_array *a) { return (bool *)a->data; }
/* Raises IndexError "invalid index" (Python's text) for 'NAME' at loc. */
void mp_array_index_error(const mp_array *a, int64_t i, mp_loc loc);

/* i normalized as Python (negative from the end); out of range is a
 * runtime error at loc. */
static inline int64_t mp_array_index(const mp_array *a, int64_t i, mp_loc loc) {
    int64_t j = i < 0 ? i + a->len : i;
    if (j < 0 || j >= a->len) {
        mp_array_index_error(a, i, loc);
        return -1;
    }
    return j;
}

/* The element slot of a[i]; a bad index raises and gives a scratch slot
 * that no one reads, so the access after it stays in bounds. */
static inline void *mp_array_slot(mp_array *a, int64_t i, size_t size, mp_loc loc) {
    static int64_t scratch;
    int64_t j = mp_array_index(a, i, loc);
    return j < 0 ? (void *)&scratch : (char *)a->data + (size_t)j * size;
}

/* Atomic element access; i is checked with mp_array_index. */
static inline int64_t mp_array_load_i(mp_array *a, int64_t i, mp_loc loc) {
    return __atomic_load_n((int64_t *)mp_array_slot(a, i, sizeof(int64_t), loc), __ATOMIC_ACQUIRE);
}

static inline void mp_array_store_i(mp_array *a, int64_t i, int64_t x, mp_loc loc) {
    __atomic_store_n((int64_t *)mp_array_slot(a, i, sizeof(int64_t), loc), x, __ATOMIC_RELEASE);
}

static inline double mp_array_load_f(mp_array *a, int64_t i, mp_loc loc) {
    double d;
    __atomic_load((double *)mp_array_slot(a, i, sizeof(double), loc), &d, __ATOMIC_ACQUIRE);
    return d;
}

static inline void mp_array_store_f(mp_array *a, int64_t i, double x, mp_loc loc) {
    __atomic_store((double *)mp_array_slot(a, i, sizeof(double), loc), &x, __ATOMIC_RELEASE);
}

static inline bool mp_array_load_b(mp_array *a, int64_t i, mp_loc loc) {
    return __atomic_load_n((bool *)mp_array_slot(a, i, sizeof(bool), loc), __ATOMIC_ACQUIRE);
}

static inline void mp_array_store_b(mp_array *a, int64_t i, bool x, mp_loc loc) {
    __atomic_store_n((bool *)mp_array_slot(a, i, sizeof(bool), loc), x, __ATOMIC_RELEASE);
}

/* Atomic add and subtract on element i; return the new value (see
 * mp_atomic_add_i). */
static inline int64_t mp_array_add_i(mp_array *a, int64_t i, int64_t delta, mp_loc loc) {
    return mp_atomic_add_i((int64_t *)mp_array_slot(a, i, sizeof(int64_t), loc), delta, loc);
}

static inline int64_t mp_array_sub_i(mp_array *a, int64_t i, int64_t delta, mp_loc loc) {
    return mp_atomic_sub_i((int64_t *)mp_array_slot(a, i, sizeof(int64_t), loc), delta, loc);
}

static inline double mp_array_add_f(mp_array *a, int64_t i, double delta, mp_loc loc) {
    double *p = (double *)mp_array_slot(a, i, sizeof(double), loc);
    double old, nv;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    do {
        nv = old + delta;
    } while (!__atomic_compare_exchange(p, &old, &nv, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    return nv;
}

static inline bool mp_array_cas_i(mp_array *a, int64_t i, int64_t *expected, int64_t desired,
                                  mp_loc loc) {
    return __atomic_compare_exchange_n((int64_t *)mp_array_slot(a, i, sizeof(int64_t), loc),
                                       expected, desired, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

static inline bool mp_array_cas_f(mp_array *a, int64_t i, double *expected, double desired,
                                  mp_loc loc) {
    return __atomic_compare_exchange((double *)mp_array_slot(a, i, sizeof(double), loc), expected,
                                     &desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Element access with i already proven in [0, len) (a range loop whose
 * bounds check was made once before it): atomic, unchecked. */
static inline int64_t mp_array_get_i(mp_array *a, int64_t i) {
    return __atomic_load_n(&mp_array_i(a)[i], __ATOMIC_ACQUIRE);
}
static inline double mp_array_get_f(mp_array *a, int64_t i) {
    double d;
    __atomic_load(&mp_array_f(a)[i], &d, __ATOMIC_ACQUIRE);
    return d;
}
static inline bool mp_array_get_b(mp_array *a, int64_t i) {
    return __atomic_load_n(&mp_array_b(a)[i], __ATOMIC_ACQUIRE);
}
static inline void mp_array_put_i(mp_array *a, int64_t i, int64_t x) {
    __atomic_store_n(&mp_array_i(a)[i], x, __ATOMIC_RELEASE);
}
static inline void mp_array_put_f(mp_array *a, int64_t i, double x) {
    __atomic_store(&mp_array_f(a)[i], &x, __ATOMIC_RELEASE);
}
static inline void mp_array_put_b(mp_array *a, int64_t i, bool x) {
    __atomic_store_n(&mp_array_b(a)[i], x, __ATOMIC_RELEASE);
}

/* A raw array (declared `lock=False`, Python's RawArray): plain loads and
 * stores, which the C compiler may keep in registers, merge and vectorize.
 * The index is checked as mp_array_index does; within a range loop whose
 * check was made once, the generated C indexes mp_array_i(a)[i] directly.
 * Accesses by several processes to one element race, as in Python. */
static inline int64_t mp_raw_load_i(mp_array *a, int64_t i, mp_loc loc) {
    return *(int64_t *)mp_array_slot(a, i, sizeof(int64_t), loc);
}
static inline double mp_raw_load_f(mp_array *a, int64_t i, mp_loc loc) {
    return *(double *)mp_array_slot(a, i, sizeof(double), loc);
}
static inline bool mp_raw_load_b(mp_array *a, int64_t i, mp_loc loc) {
    return *(bool *)mp_array_slot(a, i, sizeof(bool), loc);
}
static inline void mp_raw_store_i(mp_array *a, int64_t i, int64_t x, mp_loc loc) {
    *(int64_t *)mp_array_slot(a, i, sizeof(int64_t), loc) = x;
}
static inline void mp_raw_store_f(mp_array *a, int64_t i, double x, mp_loc loc) {
    *(double *)mp_array_slot(a, i, sizeof(double), loc) = x;
}
static inline void mp_raw_store_b(mp_array *a, int64_t i, bool x, mp_loc loc) {
    *(bool *)mp_array_slot(a, i, sizeof(bool), loc) = x;
}

/* The whole array's robust lock (same rules as mp_value_lock). */
void mp_array_lock(mp_array *a, mp_loc loc);
void mp_array_unlock(mp_array *a, mp_loc loc);
/* Element i read under the array's lock (a guarded array: one that lock
 * blocks use, so reads must not see a block half done). */
int64_t mp_array_read_i(mp_array *a, int64_t i, mp_loc loc);
double mp_array_read_f(mp_array *a, int64_t i, mp_loc loc);
bool mp_array_read_b(mp_array *a, int64_t i, mp_loc loc);

/* a[lo:hi:step] as a new list of type list_type (new ref), and `x in a`
 * (x of type tx: the element type, or int for a float array). Each element
 * is read atomically; a guarded array is locked around the call by the
 * caller, which makes the whole read one snapshot. */
mp_list *mp_array_slice(mp_array *a, mp_slice s, const mp_type *list_type, mp_loc loc);
bool mp_array_contains(mp_array *a, const mp_type *tx, mp_val x);

/* Appends str() of a caught exception: its message. */
void mp_buf_exc(mp_buf *b, const mp_exc *e);
/* Appends the array as a Python list: [1, 16, 81]. */
void mp_buf_array(mp_buf *b, mp_array *a);
/* Appends str() of a shared value. */
void mp_buf_value(mp_buf *b, mp_value *v);

/* ------------------------------------------------------------------ */
/* Files and the program's surroundings (file.c)                       */
/* ------------------------------------------------------------------ */

/* A file: a refcounted descriptor (Python's text file, without decoding:
 * strings are bytes). Writes are not buffered: each mp_file_write and each
 * mp_file_write_buf is one write(2), so a fork never duplicates pending
 * output. Reads are buffered per process. Errors are raised with Python's
 * kinds and texts: OSError "[Errno 2] No such file or directory: 'x'",
 * "not readable", "not writable"; ValueError "I/O operation on closed
 * file.", "invalid mode: 'x'". */
typedef struct mp_file mp_file;

/* open(path, mode): mode "r", "w" or "a", optionally with "+" and "t".
 * New ref; NULL after a raise. */
mp_file *mp_open(const mp_str *path, const mp_str *mode, mp_loc loc);
mp_file *mp_file_ref(mp_file *f); /* returns f; standard streams: no-op */
/* Drops a reference; the last one closes the file. NULL: no-op. */
void mp_file_unref(mp_file *f);
/* Closes the descriptor now (again: no-op). Closing stdin makes later
 * reads see end of file; closing stdout or stderr stops writes to them
 * through the file (print keeps its own descriptor). */
void mp_file_close(mp_file *f);
bool mp_file_closed(const mp_file *f);
/* The standard streams: borrowed, never freed. */
mp_file *mp_stdin(void);
mp_file *mp_stdout(void);
mp_file *mp_stderr(void);
/* write(s): the number of characters written. */
int64_t mp_file_write(mp_file *f, const mp_str *s, mp_loc loc);
/* Writes the buffer with one write(2) and frees it (print(file=f)). */
void mp_file_write_buf(mp_file *f, mp_buf *b, mp_loc loc);
/* print(..., file=f): writes the finished line B (its end included) with
 * one write(2) and frees it. To stdout, with mp_print's rules (a broken
 * pipe is quiet, another failure a warning); to stderr, quietly; to any
 * other file, as mp_file_write. */
void mp_print_file(mp_file *f, mp_buf *b, mp_loc loc);
/* flush(): nothing is buffered; raises on a closed file, as Python. */
void mp_file_flush(mp_file *f, mp_loc loc);
/* read(): the rest of the file (new ref). */
mp_str *mp_file_read(mp_file *f, mp_loc loc);
/* readline(): the next line with its "\n", or "" at end of file (new ref). */
mp_str *mp_file_readline(mp_file *f, mp_loc loc);
/* The next line (new ref), or NULL at end of file: `for line in f`. */
mp_str *mp_file_next(mp_file *f, mp_loc loc);
/* readlines(): a new list of type LIST_STR (a list[str] descriptor). */
mp_list *mp_file_readlines(mp_file *f, const mp_type *list_str, mp_loc loc);

/* argv: the program's arguments, argv[0] the program as invoked (Python's
 * sys.argv). Borrowed: one list per process. */
mp_list *mp_argv(void);
/* getenv(name, default): the variable's value, or default (new ref; NULL
 * is None). */
mp_str *mp_getenv(const mp_str *name, const mp_str *dflt);
double mp_time(void);       /* seconds since the epoch (time.time()) */
double mp_monotonic(void);  /* seconds of a clock that never goes back */
int64_t mp_cpu_count(void); /* processors online (os.cpu_count()) */

/* ------------------------------------------------------------------ */
/* Synchronization objects (syncobj.c): Python's Lock, RLock,          */
/* Semaphore, BoundedSemaphore, Event, Condition and Barrier          */
/* ------------------------------------------------------------------ */

/* One handle type for the seven kinds; each object is an anonymous
 * shared mapping made before fork. A timeout is in seconds; a negative
 * one means none (wait forever): generated code passes a user's timeout
 * through mp_sync_timeout, as Python treats a negative timeout as 0.
 * Misuse raises Python's exception (the message is multiprocessing's);
 * a holder that died is found by the next process that waits (within a
 * tenth of a second) and its hold given back, with a runtime warning. */
typedef struct mp_sync mp_sync;
/* The largest semaphore value, as Python's on Linux (SEM_VALUE_MAX). */
#define MP_SEM_VALUE_MAX 2147483647
typedef enum mp_sync_kind {
    MP_SYNC_LOCK,
    MP_SYNC_RLOCK,
    MP_SYNC_SEMAPHORE,
    MP_SYNC_BOUNDED,
    MP_SYNC_EVENT,
    MP_SYNC_CONDITION,
    MP_SYNC_BARRIER
} mp_sync_kind;

/* A new object of KIND: N is a semaphore's initial value or a barrier's
 * parties (else ignored); LOCK is a condition's lock (NULL: its own
 * RLock). A negative count raises ValueError; out of memory fails. */
mp_sync *mp_make_sync(mp_sync_kind kind, int64_t n, mp_sync *lock, const char *name, mp_loc loc);
static inline double mp_sync_timeout(double t) { return t > 0 ? t : 0.0; }

/* Lock, RLock, semaphores, Condition (its lock). acquire: whether it was
 * acquired (block false: at once or not at all). release: ValueError for
 * a Lock not held or a BoundedSemaphore past its value, AssertionError
 * for an RLock this process does not hold. enter/exit: `with`. */
bool mp_sync_acquire(mp_sync *s, bool block, double timeout, mp_loc loc);
void mp_sync_release(mp_sync *s, mp_loc loc);
bool mp_sync_locked(mp_sync *s);
void mp_sync_enter(mp_sync *s, mp_loc loc);
void mp_sync_exit(mp_sync *s, mp_loc loc);
int64_t mp_sync_get_value(mp_sync *s);

/* Event: set, clear, is_set; wait returns the flag when it returns.
 * Condition: wait releases the lock (which this process must hold:
 * AssertionError), waits for a notify or the timeout, takes the lock
 * again; true if notified. */
void mp_sync_set(mp_sync *s);
void mp_sync_clear(mp_sync *s);
bool mp_sync_is_set(mp_sync *s);
bool mp_sync_wait(mp_sync *s, double timeout, mp_loc loc);
/* Condition: wakes up to n of the waiting processes, oldest first (the
 * lock must be held: AssertionError). */
void mp_sync_notify(mp_sync *s, int64_t n, mp_loc loc);
void mp_sync_notify_all(mp_sync *s, mp_loc loc);

/* Barrier: wait returns the arrival index (0 .. parties-1) once all
 * parties arrived; BrokenBarrierError when the barrier is or becomes
 * broken (abort, reset while waiting, a wait that timed out). */
int64_t mp_barrier_wait_at(mp_sync *s, double timeout, mp_loc loc);
void mp_sync_reset(mp_sync *s);
void mp_sync_abort(mp_sync *s);
int64_t mp_sync_parties(mp_sync *s);
int64_t mp_sync_n_waiting(mp_sync *s);
bool mp_sync_broken(mp_sync *s);

/* ------------------------------------------------------------------ */
/* Process pools (pool.c): Python's multiprocessing.Pool               */
/* ------------------------------------------------------------------ */

/* What a pool's workers run: a def applied to one item (map) or to the
 * elements of one tuple (starmap), generated per call site. CALL takes a
 * borrowed item and returns its result (new ref); an exception it raises
 * is pending (workers run inside a `try`). ITEMS and RESULTS are the list
 * types the items and results travel as. */
typedef struct mp_pool_fn {
    const char *name; /* the def, for messages */
    mp_val (*call)(mp_val item);
    const mp_type *items;
    const mp_type *results;
} mp_pool_fn;

typedef struct mp_pool mp_pool;

/* Pool NAME = n: forks n workers (n < 0: mp_cpu_count()) named NAME[0],
 * NAME[1], ...; n == 0 raises ValueError (Python's text). Workers are
 * terminated when main ends, however it ends. */
mp_pool *mp_make_pool(int64_t n, const char *name, mp_loc loc);

/* How a map returns its results. */
typedef enum mp_pool_order { MP_POOL_ORDERED, MP_POOL_UNORDERED } mp_pool_order;
/* A chunksize not given to map or starmap: Python's default. */
#define MP_POOL_AUTO INT64_MIN

/* Runs FN on every element of ITEMS (borrowed) in chunks of CHUNKSIZE
 * (MP_POOL_AUTO: len / (4 * workers) rounded up, Python's default; below
 * 1: ValueError, Python's text); new ref:
 * the results in the items' order, or in the order chunks finished (NULL when
 * it raised). An
 * exception in a worker is raised here (the first chunk's that failed, in
 * the items' order) once every chunk is done; a worker that dies while
 * running a task is a fatal error naming it. */
mp_list *mp_pool_map(mp_pool *p, const mp_pool_fn *fn, const mp_list *items, int64_t chunksize,
                     mp_pool_order order, mp_loc loc);
/* apply_async(f, args): queues one call of FN on ITEM (borrowed; encoded
 * at once) and returns its handle (Python's AsyncResult), an index valid
 * until the program ends; -1 after ValueError "Pool not running". */
int64_t mp_pool_apply_async(mp_pool *p, const mp_pool_fn *fn, mp_val item, mp_loc loc);
/* The handle's result (new ref), waiting at most TIMEOUT seconds
 * (negative: as long as it takes): TimeoutError when it is not ready
 * then, the worker's exception (every time) when the call raised one. */
mp_val mp_async_get(int64_t h, double timeout, mp_loc loc);
/* Waits at most TIMEOUT seconds (negative: until the result is there). */
void mp_async_wait(int64_t h, double timeout, mp_loc loc);
/* Whether the result is there (never waits). */
bool mp_async_ready(int64_t h, mp_loc loc);
/* close(): no more tasks; join(): waits for the workers (after close or
 * terminate: ValueError otherwise); terminate(): stops them now. */
void mp_pool_close(mp_pool *p);
void mp_pool_join(mp_pool *p, mp_loc loc);
void mp_pool_terminate(mp_pool *p);

#ifdef __cplusplus
}
#endif

#endif /* MPR_H */
