#!/usr/bin/env bash
# The parent of a program built by mpc is killed (SIGKILL, SIGTERM, SIGINT)
# at a seeded random point of its start-up, while its children are blocked
# in sleep, recv, get, a lock, or spin: no child may outlive it.
# tests/faults/reap.c waits for every descendant as their subreaper, so the
# check is exact and needs no sleep. Also: no file appears in /dev/shm.
set -u
work=$FAULT_WORK/parent_killed
mkdir -p "$work"
cc -O2 -o "$work/reap" tests/faults/reap.c || exit 1
"$MPC" build tests/faults/progs/parent_killed.mp -o "$work/prog" || exit 1
ls /dev/shm >"$work/shm.before" 2>/dev/null
RANDOM=$FAULT_SEED
for round in 1 2 3 4 5 6; do
    lines=$((RANDOM % 8))           # 7 processes announce themselves
    case $((round % 3)) in 0) sig=9 ;; 1) sig=15 ;; 2) sig=2 ;; esac
    if ! out=$("$work/reap" "$lines" "$sig" "$work/prog" 2>&1); then
        echo "round $round: killed with signal $sig after $lines lines:"
        echo "$out"
        exit 1
    fi
done
ls /dev/shm >"$work/shm.after" 2>/dev/null
if ! cmp -s "$work/shm.before" "$work/shm.after"; then
    echo "files appeared in /dev/shm:"; diff "$work/shm.before" "$work/shm.after"
    exit 1
fi
