#!/usr/bin/env bash
# Pipe peers SIGKILLed mid-frame (tests/faults/progs/pipe_peer_killed.mp):
# a writer in the middle of an 8 MiB frame (the reader gets EOFError), and
# a reader while its writer waits for room (the send fails with EPIPE).
# The program announces each victim on stdout; the harness reads the line
# and kills it, so nothing is ordered by sleeping. `timeout` turns a hang
# into a failure.
set -u
work=$FAULT_WORK/pipe_peer_killed
mkdir -p "$work"
"$MPC" build tests/faults/progs/pipe_peer_killed.mp -o "$work/prog" || exit 1
fails=0
exec 3< <(timeout -k 2 60 "$work/prog" 2>"$work/err" </dev/null; echo "exit $?")
kill_victim() {
    local line
    read -r -u 3 line
    case $line in
    victim\ *) kill -9 "${line#victim }" ;;
    *) echo "expected a victim's pid, got '$line'"; exit 1 ;;
    esac
}
kill_victim
read -r -u 3 a
read -r -u 3 b
kill_victim
rest=$(cat <&3)
exec 3<&-
expect="recv: EOFError|writer exit code: -9"
[ "$a|$b" = "$expect" ] || { echo "writer killed: '$a|$b', expected '$expect'"; fails=1; }
expect=$'send: OSError: [Errno 32] Broken pipe\nreader exit code: -9\nexit 0'
[ "$rest" = "$expect" ] || { echo "reader killed: '$rest', expected '$expect'"; fails=1; }
[ -s "$work/err" ] && { echo "unexpected stderr:"; cat "$work/err"; fails=1; }
exit $fails
