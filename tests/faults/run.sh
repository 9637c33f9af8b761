#!/usr/bin/env bash
# Fault-injection suite (make faults; part of make check).
#
#   tests/faults/run.sh [CASE...]
#
# Cases:
#   faults.c CASE SEED   C programs linked with libmpr: children SIGKILLed
#                        holding a lock, in queue puts and gets, in pipe
#                        sends; signals during every blocking call.
#   tests/faults/*.sh    shell cases on programs built by mpc: the parent
#                        killed, fds, memory and processes exhausted, the
#                        disk full while mpc writes its output.
# Randomized cases take their seed from FAULT_SEED (default: a new one per
# run) and print it on failure: FAULT_SEED=N make faults replays a run.
# No case sleeps to order processes; `timeout` is only a safety net that
# turns a hang into a failure.
#
# Environment: MPC (default build/mpc), BUILD (build), CC, CFLAGS, LDFLAGS
# (programs are built with them, as mpc build does), JOBS (cases run at a
# time; default: the CPUs).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
export MPC=${MPC:-build/mpc} BUILD=${BUILD:-build}
case $MPC in /*) ;; *) MPC=$root/$MPC ;; esac
seed=${FAULT_SEED:-$(( ($(date +%s%N) / 1000) % 1000000007 ))}
export FAULT_SEED=$seed
bin=$(mktemp -d "${TMPDIR:-/tmp}/mpc-faults-XXXXXX")
chmod 755 "$bin"
export FAULT_WORK=$bin
trap 'rm -rf "$bin"' EXIT
# Cases run JOBS at a time (tests/each.sh), each with its own $work under
# $bin; their reports come out in the order below.
work=$bin/each
mkdir -p "$work"
pass=0 fail=0 skip=0
want=" $* "

selected() { [ "$want" = "  " ] || [[ $want == *" $1 "* ]]; }

# Every case runs under this safety net (a hang becomes a failure).
LIMIT=120

if ! ${CC:-cc} -std=c11 ${CFLAGS:--O2 -g} -Wall -Wextra -Werror -Iruntime \
        -o "$bin/faults" tests/faults/faults.c "$BUILD/libmpr.a" ${LDFLAGS:-} -lm \
        2>"$bin/cc.log"; then
    cat "$bin/cc.log"; echo "faults: 0 passed, 1 failed"; exit 1
fi

# One case, in a scratch directory of its own ($work, from tests/each.sh).
fault_c() {
    local c=$1 code
    timeout -k 5 "$LIMIT" "$bin/faults" "$c" "$seed" >"$work/out" 2>"$work/err" </dev/null
    code=$?
    if [ "$code" -eq 0 ] && grep -qx "$c: ok" "$work/out"; then
        if [ "$c" = lock_kill ] && [ "$(grep -c 'recovered after process' "$work/err")" -ne 4 ]; then
            fail=$((fail + 1)); echo "FAIL: $c: expected 4 lock recoveries reported (seed $seed)"
            sed 's/^/    /' "$work/err" | head -n 10
        else
            pass=$((pass + 1))
        fi
    else
        fail=$((fail + 1))
        [ "$code" -eq 124 ] && echo "FAIL: $c: hung (seed $seed)" || echo "FAIL: $c: exit $code (seed $seed)"
        sed 's/^/    /' "$work/out" "$work/err" | head -n 20
    fi
}

fault_sh() {
    local name=$1 code
    timeout -k 5 "$LIMIT" bash "tests/faults/$name.sh" >"$work/out" 2>&1 </dev/null
    code=$?
    if [ "$code" -eq 0 ]; then pass=$((pass + 1))
    elif [ "$code" -eq 77 ]; then skip=$((skip + 1)); echo "skip: $name: $(tail -n 1 "$work/out")"
    else
        fail=$((fail + 1))
        [ "$code" -eq 124 ] && echo "FAIL: $name: hung (seed $seed)" || echo "FAIL: $name (seed $seed)"
        sed 's/^/    /' "$work/out" | head -n 30
    fi
}

# An item is a case, or cases joined by '+' that run one after the other:
# those that run processes as the user 'nobody' under a process limit
# counted per user, which must not overlap.
fault_item() {
    local c
    for c in ${1//+/ }; do
        case $c in *.sh) fault_sh "${c%.sh}" ;; *) fault_c "$c" ;; esac
    done
}

# tests/each.sh adds up pass and fail; skips are counted from the reports.
. tests/each.sh
# The shell cases take longest: they go first, so that the last to start
# are short.
alone=(ulimit_nproc main_stops_before_producer)
items=() together=""
for t in tests/faults/*.sh; do
    [ "$t" = tests/faults/run.sh ] && continue
    name=$(basename "$t" .sh)
    selected "$name" || continue
    if [[ " ${alone[*]} " == *" $name "* ]]; then together+=${together:++}$name.sh
    else items+=("$name.sh"); fi
done
[ -n "$together" ] && items=("$together" "${items[@]}")
for c in lock_kill queue_put_kill queue_get_kill spsc_put_kill pipe_send_kill pipe_stream_kill signals; do
    selected "$c" && items+=("$c")
done
each fault_item "${items[@]}" >"$bin/report"
skip=$(grep -c '^skip: ' "$bin/report")
cat "$bin/report"
echo "faults: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
