#!/bin/sh
# The style check: every C file of the compiler, the runtime and the tests
# must be exactly as clang-format (with .clang-format) writes it, no file
# may hold merge conflict markers, and no call in the code generator may
# leave the order of its effects to the C compiler. Prints one summary line; `make
# format` rewrites the C files that differ.
#   sh tests/format.sh            check
#   sh tests/format.sh fix        rewrite in place
cd "$(dirname "$0")/.." || exit 1
files=$(ls compiler/*.[ch] runtime/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/faults/*.c)
if [ "${1:-}" = fix ]; then
    # shellcheck disable=SC2086
    exec clang-format -i $files
fi
pass=0 fail=0
# CHECK_CACHE=DIR (.ci/run sets it for one run) remembers each file found
# as clang-format lays it out, keyed by its text, clang-format's version
# and .clang-format: the sanitizer run checks the same files again.
id=""
if [ -n "${CHECK_CACHE:-}" ]; then
    mkdir -p "$CHECK_CACHE/format"
    id=$({ clang-format --version; cat .clang-format; } | sha256sum)
fi
for f in $files; do
    key=""
    [ -n "$id" ] && key=$CHECK_CACHE/format/$({ echo "$id"; echo "$f"; cat "$f"; } | sha256sum | cut -c1-64)
    if [ -n "$key" ] && [ -e "$key" ]; then
        pass=$((pass + 1))
    elif clang-format "$f" | cmp -s - "$f"; then
        pass=$((pass + 1))
        [ -n "$key" ] && : >"$key"
    else
        fail=$((fail + 1))
        echo "format: $f differs from clang-format's layout (make format fixes it)"
    fi
done
# No file of the project may keep a merge's conflict markers.
if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
    sources=$(git ls-files)
else
    sources=$(find . -path ./build -prune -o -type f ! -path './.git/*' -print)
fi
# shellcheck disable=SC2086
markers=$(grep -lE '^(<{7} |={7}$|>{7} )' $sources 2>/dev/null)
if [ -n "$markers" ]; then
    fail=$((fail + 1))
    for f in $markers; do echo "format: $f holds merge conflict markers"; done
else
    pass=$((pass + 1))
fi
# The generated C must not depend on the C compiler that built mpc.
if command -v python3 >/dev/null 2>&1; then
    if python3 scripts/lint_eval_order.py; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
fi
echo "format: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
