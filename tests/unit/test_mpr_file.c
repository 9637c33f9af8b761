/* test_mpr_file.c: files (file.c): open modes, write counts, reading by
 * lines across buffer refills, end of file, refcounted closing, and every
 * failure with Python's kind and text. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "mpr_api.h"
#include "mpr_test.h"

static char dir[256];
static char path[300];

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/mpr-file-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f.txt", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static mp_str *S(const char *s) { return mp_str_cstr(s); }

static mp_file *open_mode(const char *mode) {
    mp_str *p = S(path), *m = S(mode);
    mp_file *f = mp_open(p, m, MP_LOC(1, 1));
    mp_str_unref(p);
    mp_str_unref(m);
    return f;
}

static void expect_str(mp_str *s, const char *want) {
    assert_int_equal(s->len, strlen(want));
    assert_memory_equal(s->data, want, s->len);
    mp_str_unref(s);
}

static void test_write_then_read(void **state) {
    (void)state;
    mp_file *f = open_mode("w");
    mp_str *a = S("h\xc3\xa9llo\n"), *b = S("two\nthree");
    assert_int_equal(mp_file_write(f, a, MP_LOC(1, 1)), 6); /* characters, not bytes */
    assert_int_equal(mp_file_write(f, b, MP_LOC(1, 1)), 9);
    mp_file_unref(f); /* the last reference closes it */
    f = open_mode("r");
    expect_str(mp_file_readline(f, MP_LOC(1, 1)), "h\xc3\xa9llo\n");
    expect_str(mp_file_read(f, MP_LOC(1, 1)), "two\nthree");
    expect_str(mp_file_readline(f, MP_LOC(1, 1)), "");
    expect_str(mp_file_read(f, MP_LOC(1, 1)), "");
    assert_null(mp_file_next(f, MP_LOC(1, 1)));
    assert_false(mp_file_closed(f));
    mp_file_close(f);
    assert_true(mp_file_closed(f));
    mp_file_close(f); /* again: nothing */
    mp_file_unref(f);
    /* append keeps what is there */
    f = open_mode("a");
    mp_file_write(f, a, MP_LOC(1, 1));
    mp_file_close(f);
    mp_file_unref(f);
    f = open_mode("r");
    mp_str *line;
    int n = 0;
    while ((line = mp_file_next(f, MP_LOC(1, 1))) != NULL) {
        n++;
        mp_str_unref(line);
    }
    assert_int_equal(n, 3); /* "héllo\n", "two\n", "threehéllo\n" */
    mp_file_unref(f);
    mp_str_unref(a);
    mp_str_unref(b);
}

/* Lines longer than the read buffer, and a line split across refills. */
static void test_long_lines(void **state) {
    (void)state;
    size_t n = 100000;
    char *big = malloc(n + 2);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++) big[i] = (char)('a' + i % 26);
    big[n] = '\n';
    big[n + 1] = 0;
    mp_file *f = open_mode("w");
    mp_str *s = S(big), *small = S("x\n");
    for (int k = 0; k < 3; k++) {
        mp_file_write(f, small, MP_LOC(1, 1));
        mp_file_write(f, s, MP_LOC(1, 1));
    }
    mp_file_unref(f);
    f = open_mode("r");
    static const mp_type list_str = {MP_LIST, &mp_t_str};
    mp_list *l = mp_file_readlines(f, &list_str, MP_LOC(1, 1));
    assert_int_equal(mp_list_len(l), 6);
    for (int k = 0; k < 6; k++) {
        mp_str *line = mp_list_get(l, k, MP_LOC(1, 1)).s;
        assert_int_equal(line->len, k % 2 ? n + 1 : 2);
        if (k % 2) assert_memory_equal(line->data, big, n + 1);
    }
    mp_list_unref(l);
    mp_file_unref(f);
    mp_str_unref(s);
    mp_str_unref(small);
    free(big);
}

static void test_refs(void **state) {
    (void)state;
    mp_file *f = open_mode("w");
    assert_ptr_equal(mp_file_ref(f), f);
    mp_file_unref(f);
    assert_false(mp_file_closed(f)); /* one reference left */
    mp_file_unref(f);
    mp_file_unref(NULL);
    /* the standard streams are never freed */
    assert_ptr_equal(mp_file_ref(mp_stdout()), mp_stdout());
    mp_file_unref(mp_stdout());
    mp_file_unref(mp_stderr());
    assert_false(mp_file_closed(mp_stdout()));
}

static void open_missing(void *arg) {
    (void)arg;
    mp_open(S("/nonexistent-dir/nope.txt"), S("r"), MP_LOC(2, 3));
}

static void open_bad_mode(void *arg) {
    (void)arg;
    mp_open(S("x"), S("rw"), MP_LOC(2, 3));
}

static void write_closed(void *arg) {
    (void)arg;
    mp_file *f = open_mode("w");
    mp_file_close(f);
    mp_file_write(f, S("x"), MP_LOC(4, 5));
}

static void read_writer(void *arg) {
    (void)arg;
    mp_file_read(open_mode("w"), MP_LOC(4, 5));
}

static void write_reader(void *arg) {
    (void)arg;
    mp_file_write(open_mode("r"), S("x"), MP_LOC(4, 5));
}

static void write_stdin(void *arg) {
    (void)arg;
    mp_file_write(mp_stdin(), S("x"), MP_LOC(4, 5));
}

static void test_failures(void **state) {
    (void)state;
    mpt_expect_error(open_missing, NULL,
                     "t.mp:2:3: runtime error: OSError: [Errno 2] No such file or directory: "
                     "'/nonexistent-dir/nope.txt'");
    mpt_expect_error(open_bad_mode, NULL, "ValueError: invalid mode: 'rw'");
    mpt_expect_error(write_closed, NULL,
                     "t.mp:4:5: runtime error: ValueError: I/O operation on closed file.");
    mpt_expect_error(read_writer, NULL, "OSError: not readable");
    mpt_expect_error(write_reader, NULL, "OSError: not writable");
    mpt_expect_error(write_stdin, NULL, "OSError: not writable");
}

static void test_surroundings(void **state) {
    (void)state;
    mp_list *argv = mp_argv();
    assert_ptr_equal(mp_argv(), argv); /* one list per process */
    assert_int_equal(mp_list_len(argv), 1);
    expect_str(mp_str_ref(mp_list_get(argv, 0, MP_LOC(1, 1)).s), "test_mpr_file");
    setenv("MPR_TEST_VAR", "v\xc3\xa4l", 1);
    unsetenv("MPR_TEST_UNSET");
    mp_str *name = S("MPR_TEST_VAR"), *unset = S("MPR_TEST_UNSET"), *d = S("dflt");
    expect_str(mp_getenv(name, d), "v\xc3\xa4l");
    expect_str(mp_getenv(unset, d), "dflt");
    mp_str_unref(name);
    mp_str_unref(unset);
    mp_str_unref(d);
    double t0 = mp_monotonic(), t1 = mp_monotonic();
    assert_true(t1 >= t0);
    assert_true(mp_time() > 1.6e9);
    assert_true(mp_cpu_count() >= 1);
}

int main(void) {
    char *argv[] = {"test_mpr_file", NULL};
    mp_init("t.mp", 1, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_then_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
        cmocka_unit_test(test_surroundings),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    mp_finish();
    return r;
}
