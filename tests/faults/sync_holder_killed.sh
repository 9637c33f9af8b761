#!/usr/bin/env bash
# A process SIGKILLed while it holds each lock-like object (Lock, RLock,
# Semaphore, BoundedSemaphore, Condition) or waits on a Condition. The
# next process to take the object gets it back with a runtime warning
# naming the dead holder; it never waits for the dead one, and a notify
# goes to a live waiter. `timeout` is the safety net that turns a hang
# into a failure, not an ordering: the program orders itself with Events.
set -u
work=$FAULT_WORK/sync_holder_killed
mkdir -p "$work"
src=tests/faults/progs/sync_holder_killed.mp
"$MPC" build "$src" -o "$work/prog" || exit 1
timeout -k 2 60 "$work/prog" >"$work/out" 2>"$work/err" </dev/null
code=$?
if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
    echo "hangs after a holder of a lock-like object was killed"
    exit 1
fi
fails=0
[ "$code" -eq 0 ] || { echo "exit status $code, expected 0"; fails=1; }
cat >"$work/want" <<'OUT'
Lock: True -9
RLock: True
RLock released once: True
Semaphore: True 1
BoundedSemaphore: 0
BoundedSemaphore back to 1
Condition: True
live waiter notified: True
OUT
diff "$work/want" "$work/out" || fails=1
pid='[0-9]+'
for w in "Lock 'm' recovered after process $pid \(p1\) died holding it" \
         "RLock 'r' recovered after process $pid \(p2\) died holding it" \
         "Semaphore 's': 2 units given back after process $pid \(p3\) died holding them" \
         "BoundedSemaphore 'b': 1 unit given back after process $pid \(p4\) died holding it" \
         "RLock 'c' recovered after process $pid \(p5\) died holding it"; do
    grep -Eq "^$src:[0-9]+:[0-9]+: runtime warning: $w \(in process main, pid $pid\)\$" "$work/err" ||
        { echo "missing warning: $w"; fails=1; }
done
[ "$(wc -l <"$work/err")" -eq 5 ] || { echo "stderr:"; cat "$work/err"; fails=1; }
exit $fails
