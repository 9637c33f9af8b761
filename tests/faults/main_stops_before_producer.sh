#!/usr/bin/env bash
# Main stops after starting a queue's consumer and before starting its
# producers: by a runtime error, by exit(0), and by a failed start under
# `ulimit -u` (as user nobody; that part is skipped without root and
# setpriv). Producers never started and declarations never reached must not
# count toward the end of the stream: the consumer finishes and main ends,
# with 1, 0 and 1. `timeout` only turns a hang into a failure.
set -u
work=$FAULT_WORK/main_stops_before_producer
mkdir -p "$work" && chmod 755 "$work"
fails=0
# run NAME WANT_EXIT [COMMAND PREFIX...]
run() {
    local name=$1 want=$2 src=tests/faults/progs/stop_before_producer_$1.mp
    shift 2
    "$MPC" build "$src" -o "$work/$name" || { fails=1; return; }
    chmod 755 "$work/$name"
    timeout -k 2 20 "$@" "$work/$name" >"$work/$name.out" 2>"$work/$name.err" </dev/null
    local code=$?
    if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
        echo "$name: hangs (a producer that will never run still counts)"; fails=1; return
    fi
    [ "$code" -eq "$want" ] || { echo "$name: exit status $code, expected $want"; fails=1; }
    grep -Eqx "consumer saw the end after [0-9]+" "$work/$name.out" && ! grep -q "not reached" "$work/$name.out" ||
        { echo "$name: stdout:"; cat "$work/$name.out"; fails=1; }
}
run error 1
grep -Eq "^tests/faults/progs/stop_before_producer_error.mp:22:7: runtime error: IndexError: list index out of range \(in process main, pid [0-9]+\)\$" "$work/error.err" &&
    [ "$(wc -l <"$work/error.err")" -eq 1 ] || { echo "error: stderr:"; cat "$work/error.err"; fails=1; }
grep -qx "consumer saw the end after 0" "$work/error.out" || fails=1
run exit 0
[ ! -s "$work/exit.err" ] || { echo "exit: stderr:"; cat "$work/exit.err"; fails=1; }
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && uid=$(id -u nobody 2>/dev/null); then
    gid=$(id -g nobody)
    have=$(ps -u "$uid" --no-headers 2>/dev/null | wc -l)
    run nproc 1 setpriv --reuid="$uid" --regid="$gid" --clear-groups \
        bash -c "ulimit -u $((have + 10)) && exec \"\$0\""
    grep -Eq "runtime error: cannot start process .w\[[0-9]+\].: Resource temporarily unavailable" "$work/nproc.err" ||
        { echo "nproc: stderr:"; cat "$work/nproc.err"; fails=1; }
fi
exit $fails
