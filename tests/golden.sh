#!/usr/bin/env bash
# Golden-file suites.
#
#   tests/golden.sh errors [bless]   diagnostics: tests/errors/NAME.mp
#   tests/golden.sh run [bless]      programs: examples/*.mp, tests/run/*.mp
#   tests/golden.sh codegen [bless]  generated C: tests/codegen/NAME.mp
#
# errors:  `mpc check NAME.mp` must print exactly NAME.err on stderr and
#          exit 1 when it holds an error, 0 when only warnings. The source
#          may say `# mpc-flags: OPTIONS` and `# expect-exit: N`.
# run:     the program is built with `mpc build` and run twice, stdout to
#          a file and stdout to a pipe; each time stdout, stderr and the exit
#          status must match NAME.expected:
#              <stdout lines>
#              --- stderr
#              <stderr lines>
#              --- exit N
#          (and a third time with a terminal as stdout when script(1) is
#          installed; REPEAT=N repeats the runs N times after one build);
#          then once each with stdin, stdout or stderr closed, where the
#          closed stream's part of NAME.expected must be empty.
#          Each run starts in an empty scratch directory (files a test
#          writes are removed with it). The source may say `# args: A B`
#          (words given to the program after argv[0]); NAME.in, when it
#          exists, is the program's stdin (else /dev/null), and such a test
#          skips the run with stdin closed.
#          Normalization (one rule): a number after "pid " or "PID: " is
#          replaced by <pid>. A test whose output order is truly left open
#          by the program says `# expect: unordered` in its source; then
#          lines are compared as sorted sets.
# codegen: `mpc compile --no-line NAME.mp -o -` must print NAME.c.golden.
#
# A missing expected file is a failure that names the file. `bless`
# rewrites the expected files from the current output.
#
# Diagnostics, programs (run) and the strict builds (codegen) are checked
# JOBS at a time (default: the number of CPUs), each in a scratch
# directory of its own; reports are printed in the order of the files, so
# the output does not depend on which finishes first.
set -u
suite=${1:?usage: golden.sh errors|run|codegen [bless]}
mode=${2:-check}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
MPC=${MPC:-build/mpc}
# Programs are built as strictly as the project's own code: generated C
# must compile without a single warning.
STRICT="-std=c11 -Wall -Wextra -Wpedantic -Werror"
export CFLAGS="${CFLAGS:--O2} $STRICT"
work=$(mktemp -d "${TMPDIR:-/tmp}/mpc-golden-XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }

# shellcheck source=tests/each.sh
. "$root/tests/each.sh"

# Compares expected file $1 with actual file $2; prints a short diff.
same() {
    if cmp -s "$1" "$2"; then return 0; fi
    diff -u "$1" "$2" | head -n 40
    return 1
}

normalize() { sed -E 's/(pid |PID: )[0-9]+/\1<pid>/g'; }

error_one() {
    local src=$1 exp flags code want override
    exp=${src%.mp}.err
    # A test may give options (`# mpc-flags: -Werror`) and its exit
    # status (`# expect-exit: 2`) in its source.
    flags=$(sed -n 's/^# mpc-flags: //p' "$src" | head -n 1)
    # shellcheck disable=SC2086
    "$MPC" check --color=never $flags "$src" >/dev/null 2>"$work/err"
    code=$?
    if [ "$mode" = bless ]; then cp "$work/err" "$exp"; ok; return; fi
    if [ ! -f "$exp" ]; then bad "$src: MISSING expected file $exp"; return; fi
    want=0; grep -q ': error: ' "$exp" && want=1
    override=$(sed -n 's/^# expect-exit: //p' "$src" | head -n 1)
    [ -n "$override" ] && want=$override
    if ! same "$exp" "$work/err"; then bad "$src: stderr differs"
    elif [ "$code" -ne "$want" ]; then bad "$src: exit status $code, expected $want"
    else ok; fi
}

# JOBS at a time, as the programs are (tests/each.sh).
run_errors() {
    local srcs=() src
    for src in tests/errors/*.mp; do [ -e "$src" ] && srcs+=("$src"); done
    each error_one "${srcs[@]}"
}

# Writes the combined expected-format result of one run to $2.
# $1: how stdout leaves the program: file or pipe.
# $prog_args: the words of `# args:`; $stdin: NAME.in or /dev/null.
run_once() {
    local how=$1 out=$2 code
    rm -rf "$work/cwd" && mkdir "$work/cwd" && pushd "$work/cwd" >/dev/null || exit 2
    # shellcheck disable=SC2086
    if [ "$how" = file ]; then
        "$work/prog" $prog_args >"$work/stdout" 2>"$work/stderr" <"$stdin"
        code=$?
    elif [ "$how" = tty ]; then
        # A pseudo-terminal as stdout (script(1) from util-linux); the
        # terminal turns \n into \r\n, which is undone here.
        # stdin stays a file: the terminal would never end the input.
        script -qec "'$work/prog' $prog_args <'$stdin' 2>'$work/stderr'" /dev/null </dev/null \
            >"$work/stdout.raw"
        code=$?
        tr -d '\r' <"$work/stdout.raw" >"$work/stdout"
    elif [ "$how" = closed0 ]; then
        "$work/prog" $prog_args >"$work/stdout" 2>"$work/stderr" <&-
        code=$?
    elif [ "$how" = closed1 ]; then
        "$work/prog" $prog_args >&- 2>"$work/stderr" <"$stdin"
        code=$?
        : >"$work/stdout"
    elif [ "$how" = closed2 ]; then
        "$work/prog" $prog_args >"$work/stdout" 2>&- <"$stdin"
        code=$?
        : >"$work/stderr"
    else
        { "$work/prog" $prog_args 2>"$work/stderr" <"$stdin"; echo $? >"$work/code"; } | cat >"$work/stdout"
        code=$(cat "$work/code")
    fi
    popd >/dev/null || exit 2
    { cat "$work/stdout"; echo "--- stderr"; cat "$work/stderr"; echo "--- exit $code"; } \
        | normalize >"$out"
}

sorted() { LC_ALL=C sort "$1" >"$1.sorted" && mv "$1.sorted" "$1"; }

# How stdout leaves the program: a file and a pipe always, a terminal when
# script(1) is there.
modes="file pipe"
command -v script >/dev/null 2>&1 && modes="file pipe tty"
# Once per program (not repeated): stdin, stdout or stderr closed. The
# runtime must never hand descriptors 0-2 to a pipe or queue, so the
# program behaves the same; a closed stream's expected part is empty.
closed_modes="closed0 closed1 closed2"

# The expected result $1 as seen with stream $2 (1 or 2) closed, into $3.
expect_closed() {
    if [ "$2" = 1 ]; then sed -n '/^--- stderr$/,$p' "$1" >"$3"
    else sed '/^--- stderr$/,/^--- exit /{/^--- /!d}' "$1" >"$3"; fi
}

run_program() {
    local src=$1 exp prog_args stdin unordered
    exp=${src%.mp}.expected
    prog_args=$(sed -n 's/^# args: //p' "$src" | head -n 1)
    stdin=/dev/null
    [ -f "${src%.mp}.in" ] && stdin=$root/${src%.mp}.in
    if ! "$MPC" build "$src" -o "$work/prog" 2>"$work/build.err"; then
        bad "$src: does not build"; sed 's/^/    /' "$work/build.err" | head -n 20
        return
    fi
    run_once file "$work/result.file"
    if [ "$mode" = bless ]; then
        # An unordered test keeps its expected order while it still holds.
        if grep -q '^# expect: unordered' "$src" && [ -f "$exp" ] &&
           cmp -s <(LC_ALL=C sort "$exp") <(LC_ALL=C sort "$work/result.file"); then ok; return; fi
        cp "$work/result.file" "$exp"; ok; return
    fi
    if [ ! -f "$exp" ]; then bad "$src: MISSING expected file $exp"; return; fi
    cp "$exp" "$work/want"
    unordered=false
    grep -q '^# expect: unordered' "$src" && unordered=true && sorted "$work/want"
    # REPEAT=N runs the built program N times in each mode.
    local n=0 failed=false how
    while [ $n -lt "${REPEAT:-1}" ] && ! $failed; do
        n=$((n + 1))
        for how in $modes; do
            [ $n -eq 1 ] && [ "$how" = file ] || run_once "$how" "$work/result.$how"
            $unordered && sorted "$work/result.$how"
            if ! same "$work/want" "$work/result.$how"; then
                bad "$src: output differs (stdout to a $how, run $n)"; failed=true; break
            fi
        done
    done
    for how in $closed_modes; do
        $failed && break
        [ "$how" = closed0 ] && [ "$stdin" != /dev/null ] && continue
        run_once "$how" "$work/result.$how"
        case $how in
            closed1) expect_closed "$exp" 1 "$work/want.$how" ;;
            closed2) expect_closed "$exp" 2 "$work/want.$how" ;;
            *) cp "$work/want" "$work/want.$how" ;;
        esac
        $unordered && sorted "$work/result.$how" && sorted "$work/want.$how"
        if ! same "$work/want.$how" "$work/result.$how"; then
            bad "$src: output differs (${how#closed} closed)"; failed=true
        fi
    done
    $failed || ok
}

run_programs() {
    local srcs=()
    for src in examples/*.mp tests/run/*.mp; do [ -e "$src" ] && srcs+=("$src"); done
    each run_program "${srcs[@]}"
}

# Every program's C must also pass the strict build of the other compiler.
# CHECK_CACHE=DIR (.ci/run sets it for one run) remembers each C text that
# passed, keyed by the text, the compiler, its version, the flags and the
# runtime's headers: the sanitizer run generates the same C again, and the
# same compiler passes the same text the same way. A failure is never
# remembered.
strict_one() {
    local src=$1 cc key
    "$MPC" compile "$src" -o "$work/strict.c" 2>/dev/null || return
    for cc in gcc clang; do
        command -v $cc >/dev/null || continue
        key=
        if [ -n "${CHECK_CACHE:-}" ]; then
            key=$CHECK_CACHE/strict/$({ echo "${strict_id[$cc]}"; cat "$work/strict.c"; } | sha256sum | cut -c1-64)
            [ -e "$key" ] && { ok; continue; }
        fi
        if $cc $STRICT -Iruntime -fsyntax-only "$work/strict.c" 2>"$work/cc.err"; then
            ok; [ -n "$key" ] && : >"$key"
        else bad "$src: generated C does not pass $cc $STRICT"; head -n 10 "$work/cc.err"; fi
    done
}

strict_both() {
    local srcs=() src cc
    declare -gA strict_id=()
    if [ -n "${CHECK_CACHE:-}" ]; then
        mkdir -p "$CHECK_CACHE/strict"
        for cc in gcc clang; do
            command -v $cc >/dev/null || continue
            strict_id[$cc]=$({ command -v $cc; $cc --version; echo "$STRICT"; cat runtime/*.h; } | sha256sum)
        done
    fi
    for src in examples/*.mp tests/run/*.mp tests/codegen/*.mp; do [ -e "$src" ] && srcs+=("$src"); done
    each strict_one "${srcs[@]}"
}

run_codegen() {
    [ "$mode" = bless ] || strict_both
    for src in tests/codegen/*.mp; do
        [ -e "$src" ] || continue
        exp=${src%.mp}.c.golden
        "$MPC" compile --no-line "$src" -o "$work/out.c" 2>"$work/err"
        if [ "$mode" = bless ]; then cp "$work/out.c" "$exp"; ok; continue; fi
        if [ ! -f "$exp" ]; then bad "$src: MISSING expected file $exp"; continue; fi
        if same "$exp" "$work/out.c"; then ok; else bad "$src: generated C differs"; fi
    done
}

case $suite in
    errors) run_errors ;;
    run) run_programs ;;
    codegen) run_codegen ;;
    *) echo "golden.sh: unknown suite '$suite'" >&2; exit 2 ;;
esac
echo "$suite: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
