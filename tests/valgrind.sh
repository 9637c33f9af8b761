#!/usr/bin/env bash
# valgrind memcheck over mpc for every input of the golden suites:
#   tests/errors/*.mp           mpc check
#   examples/*.mp, tests/run/*.mp, tests/codegen/*.mp
#                               mpc check --dump-ast, then mpc compile
# Each run must report no memory error and no leak of any kind (definite,
# indirect, possible or still reachable): valgrind exits 99 otherwise.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
MPC=${MPC:-build/mpc}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpc-valgrind-XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
vg=(valgrind --tool=memcheck -q --error-exitcode=99 --leak-check=full
    --show-leak-kinds=all --errors-for-leak-kinds=all --track-origins=yes
    --track-fds=no)

one() { # SRC ARGS...: runs mpc ARGS under memcheck
    local src=$1; shift
    "${vg[@]}" --log-file="$work/vg.log" "$MPC" "$@" >/dev/null 2>"$work/err"
    local code=$?
    if [ "$code" -eq 99 ] || [ -s "$work/vg.log" ]; then
        fail=$((fail + 1)); echo "FAIL: valgrind: mpc $*"
        head -n 40 "$work/vg.log" | sed 's/^/    /'
    elif [ "$code" -gt 1 ]; then
        fail=$((fail + 1)); echo "FAIL: valgrind: mpc $* exited $code"
        head -n 10 "$work/err" | sed 's/^/    /'
    else
        pass=$((pass + 1))
    fi
}

for src in tests/errors/*.mp; do
    [ -e "$src" ] || continue
    one "$src" check --color=never "$src"
done
for src in examples/*.mp tests/run/*.mp tests/codegen/*.mp; do
    [ -e "$src" ] || continue
    one "$src" check --dump-ast --color=never "$src"
    one "$src" compile "$src" -o "$work/out.c"
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
