#!/usr/bin/env bash
# The main process fails (a runtime error) while it still produces into a
# queue that a child is waiting on. It must end with its runtime error and
# exit 1, never hang joining a child that waits for main's items: main's
# producer share is released on its way out (fixed in 76540d6; it used to
# hang), so the child sees the end of the stream. `timeout` is the safety
# net that detects a hang, not an ordering.
set -u
work=$FAULT_WORK/main_fails_producing
mkdir -p "$work"
src=tests/faults/progs/main_fails_producing.mp
"$MPC" build "$src" -o "$work/prog" || exit 1
timeout -k 2 5 "$work/prog" >"$work/out" 2>"$work/err" </dev/null
code=$?
if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
    echo "main hangs when it fails while producing into a queue a child consumes"
    exit 1
fi
fails=0
[ "$code" -eq 1 ] || { echo "exit status $code, expected 1"; fails=1; }
grep -Eq "^$src:12:7: runtime error: IndexError: list index out of range \(in process main, pid [0-9]+\)\$" "$work/err" &&
grep -Eq "^$src:5:17: runtime error: get from 'q': queue is empty and every producer has finished \(in process c, pid [0-9]+\)\$" "$work/err" &&
[ "$(wc -l <"$work/err")" -eq 2 ] || { echo "stderr:"; cat "$work/err"; fails=1; }
[ ! -s "$work/out" ] || { echo "stdout:"; cat "$work/out"; fails=1; }
exit $fails
