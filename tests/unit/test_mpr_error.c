/* test_mpr_error.c: runtime error and warning lines, errno messages,
 * allocation helpers (error.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpr_api.h"
#include "mpr_test.h"

static char *capture(void (*fn)(void *), void *arg, int *code, int64_t *pid) {
    return mpt_capture(fn, arg, "errs", code, pid);
}

static void warn_then_fail(void *arg) {
    (void)arg;
    mp_warn(MP_LOC(2, 3), "careful: %s", "x");
    mp_warn(MP_LOC(0, 0), "no location");
    mp_warn(MP_LOC(5, 0), "line only");
    mp_fail(MP_LOC(10, 20), "stop at %d", 10);
}

static void test_line_format(void **state) {
    (void)state;
    int code;
    int64_t pid;
    char *out = capture(warn_then_fail, NULL, &code, &pid);
    char expect[1024];
    snprintf(expect, sizeof expect,
             "prog.mp:2:3: runtime warning: careful: x (in process errs, "
             "pid %lld)\n"
             "prog.mp: runtime warning: no location (in process errs, "
             "pid %lld)\n"
             "prog.mp:5: runtime warning: line only (in process errs, "
             "pid %lld)\n"
             "prog.mp:10:20: runtime error: stop at 10 (in process errs, "
             "pid %lld)\n",
             (long long)pid, (long long)pid, (long long)pid, (long long)pid);
    assert_string_equal(out, expect);
    assert_int_equal(code, 1);
    free(out);
}

static void long_message(void *arg) {
    (void)arg;
    char big[10000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mp_fail(MP_LOC(1, 1), "%s", big);
}

static void test_long_message_truncated(void **state) {
    (void)state;
    int code;
    int64_t pid;
    char *out = capture(long_message, NULL, &code, &pid);
    size_t n = strlen(out);
    assert_true(n > 4000 && n < 5000);
    assert_int_equal(out[n - 1], '\n');
    assert_non_null(strstr(out, "mmm (in process errs, pid "));
    assert_ptr_equal(strchr(out, '\n'), out + n - 1); /* one line */
    assert_int_equal(code, 1);
    free(out);
}

static void exit_code(void *arg) { mp_exit(*(int *)arg); }

static void test_exit_codes(void **state) {
    (void)state;
    int codes[] = {0, 1, 2, 255};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int code;
        int64_t pid;
        char *out = capture(exit_code, &codes[i], &code, &pid);
        assert_string_equal(out, "");
        assert_int_equal(code, codes[i]);
        free(out);
    }
}

static void test_strerror(void **state) {
    (void)state;
    assert_string_equal(mp_strerror(EPROTO), "corrupt message or value of the wrong type");
    assert_string_equal(mp_strerror(ECONNRESET), "the other end closed in the middle of a message");
    assert_string_equal(mp_strerror(EPIPE), "the other end was closed");
    assert_string_equal(mp_strerror(ETIMEDOUT), "timed out");
    assert_string_equal(mp_strerror(ECANCELED), "the barrier is broken");
    assert_string_equal(mp_strerror(ENOENT), strerror(ENOENT));
    assert_non_null(mp_strerror(12345));
    assert_string_equal(mp_self_name(), "main");
    assert_int_equal(mp_getpid(), getpid());
    assert_int_equal(mp_getppid(), getppid());
}

static void name_of_child(void *arg) {
    (void)arg;
    fprintf(stderr, "%s %lld", mp_self_name(), (long long)mp_getpid());
}

static void test_identity_in_child(void **state) {
    (void)state;
    int code;
    int64_t pid;
    char *out = capture(name_of_child, NULL, &code, &pid);
    char expect[64];
    snprintf(expect, sizeof expect, "errs %lld", (long long)pid);
    assert_string_equal(out, expect); /* stdio flushed at exit */
    assert_int_equal(code, 0);
    free(out);
}

static void test_alloc(void **state) {
    (void)state;
    char *p = mp_alloc(0);
    assert_non_null(p);
    mp_free(p);
    p = mp_alloc(100);
    memset(p, 1, 100);
    mp_free(p);
    mp_free(NULL);
}

static void bad_sleep(void *arg) {
    (void)arg;
    mp_sleep(-1.0, MP_LOC(4, 4));
}

static void test_sleep(void **state) {
    (void)state;
    mp_sleep(0, MP_LOC(1, 1));
    mp_sleep(0.001, MP_LOC(1, 1));
    int code;
    int64_t pid;
    char *out = capture(bad_sleep, NULL, &code, &pid);
    assert_non_null(strstr(out, "prog.mp:4:4: runtime error: ValueError: sleep length "
                                "must be non-negative"));
    assert_int_equal(code, 1);
    free(out);
}

int main(int argc, char **argv) {
    mp_init("prog.mp", argc, argv);
    mp_init("prog.mp", argc, argv); /* a second call is harmless */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format),
        cmocka_unit_test(test_long_message_truncated),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_identity_in_child),
        cmocka_unit_test(test_alloc),
        cmocka_unit_test(test_sleep),
    };
    int r = cmocka_run_group_tests_name("mpr_error", tests, NULL, NULL);
    mp_finish();
    return r;
}
