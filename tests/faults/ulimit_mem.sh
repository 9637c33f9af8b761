#!/usr/bin/env bash
# Memory exhausted (ulimit -v): a child whose list grows without bound
# reports "out of memory" naming itself and exits 1; the parent sees
# exitcode 1, then fails the same way on a huge string, exit 1. Never a
# crash, a hang or a silent death. Skipped (77) under AddressSanitizer,
# which cannot run with a small address-space limit.
set -u
case " ${CFLAGS:-} ${LDFLAGS:-} " in
    *-fsanitize=*address*) echo "AddressSanitizer reserves terabytes of address space"; exit 77 ;;
esac
work=$FAULT_WORK/ulimit_mem
mkdir -p "$work"
src=tests/faults/progs/oom_child.mp
"$MPC" build "$src" -o "$work/prog" || exit 1
(ulimit -v 262144 && exec "$work/prog") >"$work/out" 2>"$work/err"
code=$?
fails=0
[ "$code" -eq 1 ] || { echo "exit status $code, expected 1"; fails=1; }
want_err="$src: runtime error: out of memory (in process p, pid <pid>)
$src: runtime error: out of memory (in process main, pid <pid>)"
got_err=$(sed -E 's/pid [0-9]+/pid <pid>/' "$work/err")
[ "$got_err" = "$want_err" ] || { echo "stderr:"; cat "$work/err"; fails=1; }
[ "$(cat "$work/out")" = "child exit code 1" ] || { echo "stdout:"; cat "$work/out"; fails=1; }
exit $fails
