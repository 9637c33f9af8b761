/* fuzz_front.c: libFuzzer target for the whole front end of mpc.
 *
 * One input is one .mp source: it is parsed, checked and, when it is
 * clean, translated to C, as `mpc compile` would, with diagnostics and
 * the generated C going to /dev/null. Built by `make fuzz` with
 * -fsanitize=fuzzer,address,undefined against compiler objects built with
 * -fsanitize=fuzzer-no-link,address,undefined (build-fuzz/).
 *
 * Any crash, sanitizer report, leak, or a run slower than the fuzzer's
 * -timeout is a bug; its input goes to tests/fuzz/regress/front/. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "gen.h"
#include "parse.h"
#include "sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *null_out(void) {
    static FILE *f;
    if (!f) {
        f = fopen("/dev/null", "w");
        if (!f) abort();
    }
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Offsets are 32-bit (SRC_MAX_BYTES); fuzz inputs are far smaller. */
    if (size > 1 << 20) return 0;
    FILE *out = null_out();
    Source src;
    Arena arena;
    Diag diag;
    Program prog;
    arena_init(&arena);
    src_from_string(&src, "fuzz.mp", (const char *)data, size);
    diag_init(&diag, &src, out);
    if (parse_program(&src, &arena, &diag, &prog)) {
        sema_check(&prog, &arena, &diag);
        if (diag.errors == 0) {
            GenOptions g = {.line_directives = (size & 1) != 0};
            gen_program(out, &prog, &src, &g);
        }
    }
    arena_free(&arena);
    src_free(&src);
    return 0;
}
