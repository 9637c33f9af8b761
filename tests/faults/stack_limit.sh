#!/usr/bin/env bash
# Endless recursion under small, default and unlimited stack limits
# (`ulimit -s`): always the located runtime error "maximum recursion depth
# exceeded" in the child and in main, exit 1; never SIGSEGV (status 139,
# exitcode -11).
set -u
work=$FAULT_WORK/stack_limit
mkdir -p "$work"
src=tests/run/recursion_depth.mp
"$MPC" build "$src" -o "$work/prog" || exit 1
fails=0
for size in 256 1024 8192 unlimited; do
    (ulimit -s "$size" && exec timeout -k 2 60 "$work/prog" >"$work/out" 2>"$work/err" </dev/null)
    code=$?
    [ "$code" -eq 1 ] || { echo "ulimit -s $size: exit status $code, expected 1"; fails=1; }
    [ "$(grep -c "runtime error: RecursionError: maximum recursion depth exceeded (in process" "$work/err")" -eq 3 ] ||
        { echo "ulimit -s $size: stderr:"; cat "$work/err"; fails=1; }
    grep -qx "1 1" "$work/out" || { echo "ulimit -s $size: stdout:"; cat "$work/out"; fails=1; }
done
exit $fails
