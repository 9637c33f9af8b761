#!/usr/bin/env bash
# A pool worker SIGKILLed while it runs a task, and one that ends itself
# with exit(3) in a task: main ends at once with a runtime error at the
# map naming the worker, its pid and how it died (Python's pool would wait
# for the lost task forever), and no worker outlives main. The program
# announces its victim on stdout; the harness reads that line and kills
# it, so nothing is ordered by sleeping. `timeout` turns a hang into a
# failure.
set -u
work=$FAULT_WORK/pool_worker_killed
mkdir -p "$work"
src=tests/faults/progs/pool_worker_killed.mp
"$MPC" build "$src" -o "$work/prog" || exit 1
fails=0
pid='[0-9]+'
exec 3< <(timeout -k 2 60 "$work/prog" 2>"$work/err" </dev/null; echo "exit $?")
read -r -u 3 first
read -r -u 3 victim
[ "$first" = "[0, 10, 20]" ] || { echo "first map printed '$first'"; fails=1; }
case $victim in
victim\ *) kill -9 "${victim#victim }" ;;
*) echo "expected the victim's pid, got '$victim'"; exit 1 ;;
esac
rest=$(cat <&3)
exec 3<&-
[ "$rest" = "exit 1" ] || { echo "after the kill: '$rest', expected only 'exit 1'"; fails=1; }
w="pool worker 'P\[[01]\]' \(pid ${victim#victim }\) died while running 'task' \(killed by signal 9\)"
grep -Eq "^$src:24:11: runtime error: $w \(in process main, pid $pid\)\$" "$work/err" ||
    { echo "missing error: $w"; cat "$work/err"; fails=1; }

timeout -k 2 60 "$work/prog" quit >"$work/out" 2>"$work/err" </dev/null
code=$?
[ "$code" -eq 1 ] || { echo "exit(3) in a worker: status $code, expected 1"; fails=1; }
printf '[0, 10, 20]\n' | cmp -s - "$work/out" || { echo "exit(3): stdout"; cat "$work/out"; fails=1; }
w="pool worker 'P\[[01]\]' \(pid $pid\) died while running 'quit' \(exit code 3\)"
grep -Eq "^$src:22:11: runtime error: $w \(in process main, pid $pid\)\$" "$work/err" ||
    { echo "missing error: $w"; cat "$work/err"; fails=1; }
if pgrep -f "$work/prog" >/dev/null; then
    echo "a worker outlived main:"; pgrep -af "$work/prog"; fails=1
fi
exit $fails
