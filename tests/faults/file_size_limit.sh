#!/usr/bin/env bash
# `ulimit -f` reached by print, in main and in a child: the write fails with
# EFBIG and is reported once per process as a runtime warning, as a full
# disk is; SIGXFSZ (which would kill the process, status 153) is ignored.
set -u
work=$FAULT_WORK/file_size_limit
mkdir -p "$work"
src=tests/faults/progs/file_size_limit.mp
"$MPC" build "$src" -o "$work/prog" || exit 1
(ulimit -f 16; exec timeout -k 2 20 "$work/prog" >"$work/out" 2>"$work/err" </dev/null)
code=$?
fails=0
[ "$code" -eq 0 ] || { echo "exit status $code, expected 0"; fails=1; }
msg="runtime warning: print: cannot write to stdout: file too large (the file size limit, ulimit -f, is reached)"
grep -qF "$src: $msg (in process p, pid " "$work/err" &&
grep -qF "$src: $msg (in process main, pid " "$work/err" &&
[ "$(wc -l <"$work/err")" -eq 2 ] || { echo "stderr:"; cat "$work/err"; fails=1; }
exit $fails
