#!/bin/sh
# The style check: every C file of the compiler, the runtime and the tests
# must be exactly as clang-format (with .clang-format) writes it. Prints
# one summary line; `make format` rewrites the files that differ.
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
echo "format: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
