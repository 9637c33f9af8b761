/* exc.c: the plain-C side of the exc benchmark.
 *
 * C has no exceptions; the error path that crosses calls the way `raise`
 * does is setjmp/longjmp. This is the small try/raise a careful C
 * programmer would write: a stack of handlers (a jmp_buf each), `raise`
 * records the error (kind and message, a static string: nothing is
 * allocated) and longjmps to the innermost handler, which tests the kind
 * and re-raises what it does not catch. `raise` is a separate, non-inlined
 * function, as it would be in a library.
 *
 * Each of ITERS iterations runs a try whose block raises a ValueError "x"
 * when THROW is 1 and whose handler counts it; with THROW 0 the same loop
 * raises nothing and the block itself counts.
 *
 * usage: exc [iters=50000000] [throw=1]
 * prints: RESULT bench=exc check=ok|FAIL count=<iterations verified>
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long arg(int argc, char **argv, const char *key, long long def)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, k) == 0 && argv[i][k] == '=')
            return atoll(argv[i] + k + 1);
    return def;
}

enum kind { ERR_NONE, ERR_VALUE, ERR_TYPE };

struct handler {
    jmp_buf env;
    struct handler *outer;
};

static struct handler *handlers;
static struct {
    enum kind kind;
    const char *message;
} error;

__attribute__((noinline, noreturn)) static void raise_error(enum kind kind, const char *message)
{
    error.kind = kind;
    error.message = message;
    if (!handlers) {
        fprintf(stderr, "uncaught error %d: %s\n", kind, message);
        exit(1);
    }
    longjmp(handlers->env, 1);
}

/* One try: 1 when its block ran to the end, 0 when the handler caught a
 * ValueError. A function of its own, so that no variable of the caller's
 * loop lives across the longjmp. */
__attribute__((noinline)) static int attempt(int throw)
{
    struct handler h;
    h.outer = handlers;
    handlers = &h;
    if (setjmp(h.env) == 0) {
        if (throw)
            raise_error(ERR_VALUE, "x");
        handlers = h.outer;
        return 1;
    }
    handlers = h.outer;
    if (error.kind != ERR_VALUE)
        raise_error(error.kind, error.message);
    return 0;
}

static long long run(long long iters, int throw)
{
    long long caught = 0, passed = 0;
    for (long long i = 0; i < iters; i++) {
        if (attempt(throw))
            passed++;
        else
            caught++;
    }
    return throw ? caught + 1000 * passed : passed + 1000 * caught;
}

int main(int argc, char **argv)
{
    long long iters = arg(argc, argv, "iters", 50000000);
    int throw = (int)arg(argc, argv, "throw", 1);
    long long count = run(iters, throw);
    int ok = count == iters;
    printf("RESULT bench=exc check=%s count=%lld\n", ok ? "ok" : "FAIL", count);
    return ok ? 0 : 1;
}
