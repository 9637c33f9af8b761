#!/bin/sh
# The style check: every C file of the compiler, the runtime and the tests
# must be exactly as clang-format (with .clang-format) writes it, and no
# file may hold merge conflict markers. Prints one summary line; `make
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
for f in $files; do
    if clang-format "$f" | cmp -s - "$f"; then
        pass=$((pass + 1))
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
echo "format: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
