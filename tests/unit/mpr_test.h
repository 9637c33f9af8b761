/* mpr_test.h: what the runtime's unit tests share. Include after cmocka.h
 * and mpr_api.h. */
#ifndef MPR_TEST_H
#define MPR_TEST_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One byte over a pipe: how tests order their processes without sleeping. */
static inline void put_byte(int fd, char c) {
    while (write(fd, &c, 1) < 0 && errno == EINTR)
        ;
}

/* The next byte from FD, or -1 at end of file. */
static inline int get_byte(int fd) {
    char c;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    return n == 1 ? (unsigned char)c : -1;
}

struct mpt_run {
    void (*fn)(void *);
    void *arg;
    int fd;
};

static inline void mpt_run_entry(void *a) {
    struct mpt_run *r = a;
    dup2(r->fd, 2);
    r->fn(r->arg);
}

/* AddressSanitizer reserves terabytes of address space: a test that
 * limits RLIMIT_AS cannot run under it. */
#if defined(__SANITIZE_ADDRESS__)
#define MPT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MPT_ASAN 1
#endif
#endif
#ifndef MPT_ASAN
#define MPT_ASAN 0
#endif

/* Runs fn(arg) in a runtime child named NAME and returns what it wrote on
 * stderr (malloc'd), its exit code and its pid. */
static inline char *mpt_capture(void (*fn)(void *), void *arg, const char *name, int *code,
                                int64_t *pid) {
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    struct mpt_run r = {fn, arg, pfd[1]};
    mp_proc *p = mp_proc_new(name, -1);
    assert_int_equal(mp_proc_start(p, mpt_run_entry, &r), 0);
    close(pfd[1]);
    size_t len = 0, cap = 16384;
    char *out = malloc(cap);
    assert_non_null(out);
    ssize_t k;
    while ((k = read(pfd[0], out + len, cap - len - 1)) > 0) len += (size_t)k;
    out[len] = '\0';
    close(pfd[0]);
    assert_int_equal(mp_proc_join(p, -1), 0);
    *code = mp_proc_exitcode(p);
    if (pid) *pid = mp_proc_pid(p);
    mp_proc_free(p);
    return out;
}

/* fn(arg) must end its process with a runtime error containing MSG. */
static inline void mpt_expect_error(void (*fn)(void *), void *arg, const char *msg) {
    int code;
    char *out = mpt_capture(fn, arg, "t", &code, NULL);
    if (!strstr(out, msg)) fail_msg("expected '%s' in '%s'", msg, out);
    assert_int_equal(code, 1);
    free(out);
}

/* The exception the last call raised (inside a try): its kind and text. */
static inline void mpt_expect_raised(mp_exc_kind kind, const char *msg) {
    assert_true(mp_exc_flag);
    assert_true(mp_exc_is(kind));
    mp_exc *e = mp_exc_catch();
    assert_string_equal(mp_exc_message(e)->data, msg);
    mp_exc_unref(e);
}

#endif
