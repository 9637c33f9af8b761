#!/usr/bin/env bash
# mpc interrupted by SIGINT, SIGTERM or SIGHUP, or ended by any other
# signal whose default would kill it (SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1,
# SIGXCPU...), leaves no temporary behind and dies by the same signal
# (exit 128+N seen by the shell):
#   compile  at the moment it renames OUT.c.tmp-XXXXXX into place (strace
#            makes that rename fail with EINTR and delivers the signal):
#            no OUT.c, no OUT.c.tmp-*
#   build    while the C compiler runs (a stand-in $CC signals mpc): no
#            mpc-* directory left in $TMPDIR, no program, and the compiler
#            was sent the signal too (else mpc would wait for it forever)
#   run      while the program runs (blocked in a get): the same, and the
#            program gets the signal too and is gone.
set -u
work=$FAULT_WORK/interrupted_mpc
mkdir -p "$work"
cd "$work" || exit 1
fails=0
printf 'print("hi")\n' >a.mp
cat >block.mp <<'MP'
def worker(q: queue[int], r: queue[int]) {
    let x = r.get()
    q.put(x)
}
queue q: int
queue r: int
process w = worker(q, r)
start w
print("ready {getpid()}")
let x = q.get()
r.put(x)
join w
MP
printf '#!/bin/sh\nkill -s "$MPC_TEST_SIG" "$PPID"\nexec sleep 60\n' >fakecc
chmod +x fakecc

expect_sig() { # WHAT SIG CODE
    local n
    n=$(kill -l "$2")
    [ "$3" -eq $((128 + n)) ] || { echo "$1: mpc exited $3, expected $((128 + n)) (SIG$2)"; fails=1; }
}
no_tmpdir() { # WHAT
    if [ -n "$(ls -A tmp)" ]; then echo "$1: left in TMPDIR:"; ls -la tmp; fails=1; fi
}

ulimit -c 0     # SIGQUIT would dump core
for sig in INT TERM HUP QUIT PIPE ALRM USR1 USR2 VTALRM PROF XCPU; do
    # compile
    if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
        rm -f out.c out.c.tmp-*
        strace -f -o /dev/null -e trace=rename -e inject=rename:error=EINTR:signal="$sig" \
            "$MPC" compile a.mp -o out.c 2>/dev/null
        expect_sig "compile($sig)" "$sig" $?
        ls | grep -q '^out\.c' && { echo "compile($sig): left:"; ls; fails=1; }
    fi

    # build and run, in the C compiler
    for cmd in build run; do
        rm -rf tmp prog; mkdir tmp
        if [ $cmd = build ]; then
            MPC_TEST_SIG=$sig TMPDIR=$PWD/tmp CC=$PWD/fakecc "$MPC" build a.mp -o prog
        else
            MPC_TEST_SIG=$sig TMPDIR=$PWD/tmp CC=$PWD/fakecc "$MPC" run a.mp
        fi
        expect_sig "$cmd($sig) in cc" "$sig" $?
        no_tmpdir "$cmd($sig) in cc"
        [ -e prog ] && { echo "$cmd($sig): program left"; fails=1; }
    done

    # A program ignores SIGPIPE, as Python does (a write to a closed pipe
    # fails instead): mpc passes it on and goes on waiting.
    [ $sig = PIPE ] && continue

    # run, in the program: job control so that a background mpc does not
    # start with SIGINT ignored.
    rm -rf tmp fifo; mkdir tmp; mkfifo fifo
    set -m
    TMPDIR=$PWD/tmp "$MPC" run block.mp >fifo &
    mpc=$!
    set +m
    read -r line <fifo
    pid=${line#ready }
    kill -s "$sig" "$mpc"
    wait "$mpc"
    expect_sig "run($sig) in the program" "$sig" $?
    no_tmpdir "run($sig) in the program"
    if kill -0 "$pid" 2>/dev/null; then
        echo "run($sig): the program (pid $pid) still runs"; kill -KILL "$pid"; fails=1
    fi
done
exit $fails
