#!/usr/bin/env bash
# File descriptors exhausted (ulimit -n): a program that declares more
# pipes than it may open ends with a located
# runtime error naming the pipe, exit 1; its child, reading the parent's
# pipe, sees end-of-file, finishes and is joined. (mpc itself is not
# starved this way: the dynamic loader needs the same descriptor mpc would
# run out of; its output errors are covered by compile_disk_full.sh.)
set -u
work=$FAULT_WORK/ulimit_fds
mkdir -p "$work"
src=$work/fds.mp
{
    echo "def drain(c: conn[int]) {"
    echo "    for m in c { print(\"got {m}\") }"
    echo "}"
    echo "pipe tx -> rx: int"
    echo "process p = drain(rx)"
    echo "start p"
    echo "tx.send(1)"
    for i in $(seq 1 40); do echo "pipe a$i -> b$i: int"; done
    echo "print(\"not reached\")"
    echo "join p"
} >"$src"
"$MPC" build "$src" -o "$work/prog" 2>"$work/build.err" || { cat "$work/build.err"; exit 1; }
fails=0
(ulimit -n 32 && exec "$work/prog") >"$work/out" 2>"$work/err"
code=$?
[ "$code" -eq 1 ] || { echo "program: exit status $code, expected 1"; fails=1; }
if ! grep -Eq "^$src:[0-9]+:1: runtime error: cannot create pipe 'a[0-9]+, b[0-9]+': Too many open files \(in process main, pid [0-9]+\)\$" "$work/err" \
   || [ "$(wc -l <"$work/err")" -ne 1 ]; then
    echo "program stderr:"; cat "$work/err"; fails=1
fi
[ "$(cat "$work/out")" = "got 1" ] || { echo "program stdout:"; cat "$work/out"; fails=1; }

exit $fails
