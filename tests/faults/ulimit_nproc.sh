#!/usr/bin/env bash
# Processes exhausted: a program that starts more processes than
# RLIMIT_NPROC allows ends with a located runtime error naming the process
# that could not start, exit 1, after its started children finished; none
# is left behind. Root ignores RLIMIT_NPROC, so the program runs as the
# unprivileged user 'nobody' through setpriv(1) (util-linux); skipped (exit
# 77) when neither root nor setpriv is available.
set -u
work=$FAULT_WORK/ulimit_nproc
mkdir -p "$work" && chmod 755 "$work"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
    echo "needs root and setpriv(1) to run as an unprivileged user"; exit 77
fi
uid=$(id -u nobody 2>/dev/null) || { echo "no user 'nobody'"; exit 77; }
gid=$(id -g nobody)
"$MPC" build tests/faults/progs/nproc.mp -o "$work/prog" || exit 1
chmod 755 "$work/prog"
# nobody may already run processes elsewhere: leave room for 10 of ours.
have=$(ps -u "$uid" --no-headers 2>/dev/null | wc -l)
limit=$((have + 10))
setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    bash -c "ulimit -u $limit && exec '$work/prog'" >"$work/out" 2>"$work/err"
code=$?
fails=0
[ "$code" -eq 1 ] || { echo "exit status $code, expected 1"; fails=1; }
if ! grep -Eq '^tests/faults/progs/nproc.mp:[0-9]+:7: runtime error: cannot start process .w\[[0-9]+\].: Resource temporarily unavailable \(in process main, pid [0-9]+\)$' "$work/err" \
   || [ "$(wc -l <"$work/err")" -ne 1 ]; then
    echo "stderr is not exactly the runtime error:"; cat "$work/err"; fails=1
fi
if [ "$(grep -c 'saw end-of-file' "$work/out")" -ne 3 ] || grep -q 'not reached' "$work/out"; then
    echo "stdout:"; cat "$work/out"; fails=1
fi
left=$(ps -u "$uid" --no-headers -o pid,comm 2>/dev/null | grep -v -e ' ps$' | wc -l)
if [ "$left" -gt "$have" ]; then
    echo "processes of nobody left behind:"; ps -u "$uid" -o pid,comm; fails=1
fi
exit $fails
