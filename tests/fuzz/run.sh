#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz-build`.
#
#   tests/fuzz/run.sh BUILD SECONDS
#
# For each target (the two side by side when there are two CPUs, JOBS as
# in tests/each.sh): first every kept regression input (tests/fuzz/regress/
# TARGET/) must run clean, then the target fuzzes for SECONDS seconds from
# its seeds (front: every .mp in the repository; frame: tests/fuzz/seeds/
# frame/) plus its working corpus in BUILD/corpus/TARGET, which is kept
# between runs. A crash, sanitizer report, leak, timeout (10 s per input)
# or out-of-memory (2 GiB) fails the run; the input is left in
# BUILD/fuzz-artifacts/ and printed: copy it into tests/fuzz/regress/TARGET/
# once fixed.
set -u
build=${1:?usage: run.sh BUILD SECONDS}
seconds=${2:?usage: run.sh BUILD SECONDS}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
pass=0 fail=0
mkdir -p "$build/fuzz-artifacts" "$build/seeds/front"

# Seeds of the front end: every .mp file of the repository.
find . -name '*.mp' -not -path './build*' -not -path './.git/*' -print0 |
    while IFS= read -r -d '' f; do
        cp "$f" "$build/seeds/front/$(printf '%s' "$f" | tr '/.' '__')"
    done

fuzz_one() { # TARGET SEED-DIR...
    local t=$1; shift
    local bin=$build/fuzz_$t corpus=$build/corpus/$t log=$build/fuzz-$t.log
    mkdir -p "$corpus" "tests/fuzz/regress/$t"
    local opts=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048
                -artifact_prefix="$build/fuzz-artifacts/$t-" -print_final_stats=1)
    [ "$t" = front ] && opts+=(-dict=tests/fuzz/mp.dict -max_len=4096)
    [ "$t" = frame ] && opts+=(-max_len=512)
    local regress=(tests/fuzz/regress/$t/*)
    if [ -e "${regress[0]}" ]; then
        if ! "$bin" "${opts[@]}" "${regress[@]}" >"$log" 2>&1; then
            fail=$((fail + 1)); echo "FAIL: fuzz $t: a regression input fails again"
            grep -E 'ERROR|SUMMARY|Running:' "$log" | tail -n 20
            return
        fi
    fi
    if "$bin" "${opts[@]}" -max_total_time="$seconds" "$corpus" "$@" >"$log" 2>&1; then
        pass=$((pass + 1))
        local execs
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $t: ${execs:-?} inputs in ${seconds}s, corpus $(ls "$corpus" | wc -l) files, nothing found"
    else
        fail=$((fail + 1)); echo "FAIL: fuzz $t: found a problem (log: $log)"
        grep -E '^==[0-9]+==ERROR|SUMMARY|runtime error|Test unit written|ALARM|out-of-memory' "$log" | head -n 20
        local a
        for a in $(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log"); do
            echo "  input ($a):"; head -c 600 "$a" | od -c | head -n 12 | sed 's/^/    /'
        done
    fi
}

fuzz_target() {
    case $1 in
        front) fuzz_one front "$build/seeds/front" ;;
        frame) fuzz_one frame tests/fuzz/seeds/frame ;;
    esac
}

# The targets fuzz side by side, JOBS at a time (tests/each.sh; default:
# the CPUs), each on a CPU of its own for its SECONDS; reports in order.
work=$build/each
mkdir -p "$work"
# shellcheck source=tests/each.sh
. tests/each.sh
each fuzz_target front frame
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
