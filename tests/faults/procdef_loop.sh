#!/usr/bin/env bash
# A def that declares, starts and joins a process of its own, called 2000
# times from a loop: each call frees what it made (the process record, the
# copied arguments), so the private memory of main after 2000 calls is that
# after 200 calls (a leak of a record per call would add hundreds of kB).
# `timeout` only turns a hang into a failure. Skipped (77) under
# AddressSanitizer, whose quarantine keeps freed memory from reuse.
set -u
case " ${CFLAGS:-} ${LDFLAGS:-} " in
    *-fsanitize=*address*) echo "AddressSanitizer's quarantine keeps freed memory"; exit 77 ;;
esac
work=$FAULT_WORK/procdef_loop
mkdir -p "$work"
"$MPC" build tests/faults/progs/procdef_loop.mp -o "$work/prog" || exit 1
fails=0
mem() { # N: runs N calls; prints main's private memory after them, in kB
    timeout -k 2 100 "$work/prog" "$1" >"$work/out.$1" 2>"$work/err.$1" </dev/null ||
        { echo "$1 calls: exit status $?"; cat "$work/err.$1"; fails=1; }
    [ "$(head -n 1 "$work/out.$1")" = "$1 0" ] || { echo "$1 calls:"; cat "$work/out.$1"; fails=1; }
    sed -n 2p "$work/out.$1"
}
small=$(mem 200)
large=$(mem 2000)
if [ -z "$small" ] || [ -z "$large" ] || [ "$large" -gt $((small + 128)) ]; then
    echo "private memory: ${small:-?} kB after 200 calls, ${large:-?} kB after 2000"; fails=1
fi
exit $fails
