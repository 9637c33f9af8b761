/* Unit tests of compiler/util.c: the hash map, growable arrays and the
 * out-of-memory policy. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static void test_string_keys(void **state) {
    (void)state;
    enum { N = 5000 };
    static char keys[N][16];
    HMap m = {0};
    assert_null(hmap_get(&m, "absent"));
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        void **slot = hmap_slot(&m, keys[i]);
        assert_null(*slot);
        *slot = &keys[i];
    }
    assert_int_equal(m.count, N);
    assert_true(m.count * 4 <= m.cap * 3);
    for (int i = 0; i < N; i++) {
        char probe[16];
        snprintf(probe, sizeof probe, "k%d", i); /* equal, not the same pointer */
        assert_ptr_equal(hmap_get(&m, probe), &keys[i]);
        assert_ptr_equal(*hmap_slot(&m, probe), &keys[i]);
    }
    assert_int_equal(m.count, N);
    assert_null(hmap_get(&m, "k5000"));
    hmap_free(&m);
    assert_null(hmap_get(&m, "k1"));
}

typedef struct Pair {
    int a, b;
} Pair;

static bool pair_eq(const void *x, const void *y) {
    const Pair *p = x, *q = y;
    return p->a == q->a && p->b == q->b;
}

/* Any key type, through the equality function; colliding hashes too. */
static void test_custom_keys(void **state) {
    (void)state;
    static Pair pairs[300];
    HMap m = {0};
    for (int i = 0; i < 300; i++) {
        pairs[i] = (Pair){i / 10, i % 10};
        HEnt *e = hmap_insert(&m, &pairs[i], (uint64_t)(i % 7), pair_eq);
        e->val = &pairs[i];
    }
    for (int i = 0; i < 300; i++) {
        Pair p = {i / 10, i % 10};
        HEnt *e = hmap_find(&m, &p, (uint64_t)(i % 7), pair_eq);
        assert_non_null(e);
        assert_ptr_equal(e->val, &pairs[i]);
    }
    Pair missing = {99, 99};
    assert_null(hmap_find(&m, &missing, 3, pair_eq));
    hmap_free(&m);
}

static void test_vec(void **state) {
    (void)state;
    VEC(int) v = {0};
    for (int i = 0; i < 10000; i++) vec_push(&v, i * 3);
    assert_int_equal(v.len, 10000);
    assert_true(v.cap >= v.len);
    for (int i = 0; i < 10000; i++) assert_int_equal(v.items[i], i * 3);
    vec_free(&v);
    assert_null(v.items);
    assert_int_equal(v.len, 0);
}

/* An impossible size is out of memory: one message, exit status 1, no
 * signal. */
static void test_out_of_memory(void **state) {
    (void)state;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pfd[1], 2);
        xrealloc(NULL, SIZE_MAX / 2, 4);
        _exit(0);
    }
    close(pfd[1]);
    char buf[256];
    ssize_t n = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    assert_true(n > 0);
    buf[n] = '\0';
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    assert_string_equal(buf, "mpc: fatal error: out of memory\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_keys),
        cmocka_unit_test(test_custom_keys),
        cmocka_unit_test(test_vec),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
