#!/usr/bin/env bash
# Every write mpc does can fail; a failed write is an error, never exit 0:
#   stdout full (/dev/full) or closed: --dump-ast, --help, --version,
#   help CMD, CMD --help, compile -o -: "writing standard output", exit 1
#   stderr full with only warnings: exit 1 (nothing can be said)
# And closing stdout and stderr must not let a file mpc opens take their
# place: every program of the suites compiles, with both closed, to the
# same C as with them open (stdout only for a program with warnings: a
# warning written to a closed stderr is a failed write).
set -u
work=$FAULT_WORK/failed_writes
mkdir -p "$work"
fails=0
src=$PWD/examples/01_process.mp
[ -c /dev/full ] || { echo "no /dev/full"; exit 77; }
printf 'def f() {\n}\nlet unused_one = 1\nprint("x")\n' >"$work/warn.mp"

for target in /dev/full closed; do
    while IFS= read -r args; do
        # shellcheck disable=SC2086
        if [ $target = closed ]; then "$MPC" $args >&- 2>"$work/err"; else "$MPC" $args >/dev/full 2>"$work/err"; fi
        code=$?
        if [ "$code" -ne 1 ] || ! grep -q '^mpc: error: writing standard output: ' "$work/err"; then
            echo "mpc $args >$target: exit $code, stderr:"; cat "$work/err"; fails=1
        fi
        if [ "$(grep -c 'writing standard output' "$work/err")" -gt 1 ]; then
            echo "mpc $args >$target: reported more than once"; cat "$work/err"; fails=1
        fi
    done <<ARGS
check --dump-ast $src
--help
--version
help
help compile
compile --help
compile $src -o -
ARGS
done

"$MPC" check "$work/warn.mp" 2>/dev/null || { echo "warn.mp: expected only warnings"; fails=1; }
[ -n "$("$MPC" check "$work/warn.mp" 2>&1)" ] || { echo "warn.mp: expected a warning"; fails=1; }
"$MPC" check "$work/warn.mp" 2>/dev/full
code=$?
[ "$code" -eq 1 ] || { echo "warnings to a full stderr: exit $code, expected 1"; fails=1; }

for f in examples/*.mp tests/run/*.mp; do
    "$MPC" compile "$f" -o "$work/open.c" 2>"$work/warnings" || continue
    rm -f "$work/closed.c"
    # Without warnings, stderr closed too (compile says what check says).
    if [ ! -s "$work/warnings" ]; then
        "$MPC" compile "$f" -o "$work/closed.c" >&- 2>&-
    else
        "$MPC" compile "$f" -o "$work/closed.c" >&- 2>/dev/null
    fi
    code=$?
    if [ "$code" -ne 0 ] || ! cmp -s "$work/open.c" "$work/closed.c"; then
        echo "$f: with stdout and stderr closed: exit $code, output differs"; fails=1
    fi
done
exit $fails
