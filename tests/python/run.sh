#!/usr/bin/env bash
# The CPython parity suite: tests/python/NAME.py is a multiprocessing
# program, NAME.mp its translation; both must behave the same.
#
#   tests/python/run.sh [NAME...]          check (every program by default)
#   tests/python/run.sh bless [NAME...]    write NAME.expected from Python
#
# Each program runs in a scratch directory of its own, stdin from
# NAME.stdin when it exists (else /dev/null), with the words of the first
# line of NAME.args as its arguments when that file exists. The .mp
# program is built with `mpc build` as strictly as the project's own C;
# the .py program runs with `python3 -u` (unbuffered, so each print
# reaches stdout when it runs, as in .mp) and PYTHONHASHSEED=0. Each run
# is reduced to one result:
#     <stdout lines>
#     --- exceptions
#     <KIND: MESSAGE of each uncaught exception, in stderr's order>
#     --- exit N
# Normalization: in stdout, a number after "pid " or "PID: " becomes <pid>
# (the rule of tests/golden.sh). From stderr only uncaught exceptions are
# kept: Python's traceback gives its last line ("ValueError: bad", the
# exception of a chain that was raised last), with `_queue.` read as
# `queue.`; mpc's one-line "FILE:L:C: runtime error: ValueError: bad (in
# process NAME, pid N)" gives what stands between "runtime error: " and
# the process suffix. Other stderr lines (warnings) are not compared.
#
# The .mp result must equal NAME.expected, and so must Python's when
# python3 is installed (PYTHON=... picks another interpreter). `bless`
# writes NAME.expected from the Python run, never from the .mp run: Python
# is the reference. A mismatch prints a short diff that names the side.
# REPEAT=N runs each .mp program N times (once built; Python once): its
# output must not vary.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
MPC=${MPC:-build/mpc}
case $MPC in /*) ;; *) MPC=$root/$MPC ;; esac
PYTHON=${PYTHON:-python3}
STRICT="-std=c11 -Wall -Wextra -Wpedantic -Werror"
export CFLAGS="${CFLAGS:--O2} $STRICT"
mode=check
if [ "${1:-}" = bless ]; then mode=bless; shift; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mpc-python-XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# shellcheck source=tests/each.sh
. tests/each.sh

have_python=false
command -v "$PYTHON" >/dev/null 2>&1 && have_python=true
# The interpreter itself, not a wrapper (pyenv's shim costs more than the
# program it starts).
if $have_python; then
    real=$("$PYTHON" -c 'import sys; print(sys.executable)' 2>/dev/null)
    [ -n "$real" ] && [ -x "$real" ] && PYTHON=$real
fi
if ! $have_python; then
    echo "python: $PYTHON not found; checking the .mp programs against their expected files only"
fi
# A program that hangs fails instead of stopping the suite.
limit=()
command -v timeout >/dev/null 2>&1 && limit=(timeout -k 5 60)

# stdin holds one run's stderr; prints its uncaught exceptions.
py_exceptions() {
    awk '
        /^Traceback \(most recent call last\):$/ { tb = 1; next }
        /^During handling of the above exception/ || /^The above exception was the direct cause/ {
            if (n > 0) n--; next
        }
        tb && /^[ \t]/ { next }
        tb { tb = 0; sub(/^_queue\./, "queue."); line[n++] = $0 }
        END { for (i = 0; i < n; i++) print line[i] }'
}
mp_exceptions() {
    sed -n -E 's/^.*: runtime error: (.*) \(in process .*, pid [0-9]+\)$/\1/p'
}
normalize() { sed -E 's/(pid |PID: )[0-9]+/\1<pid>/g'; }

# run_one SIDE NAME OUT: runs the built program or the script in a fresh
# directory and writes its result to OUT.
run_one() {
    local side=$1 name=$2 out=$3 code dir=$work/cwd.$1 args=() input=/dev/null
    rm -rf "$dir" && mkdir "$dir"
    [ -f "tests/python/$name.stdin" ] && input=$root/tests/python/$name.stdin
    # shellcheck disable=SC2207
    [ -f "tests/python/$name.args" ] && args=($(head -n 1 "tests/python/$name.args"))
    if [ "$side" = py ]; then
        (cd "$dir" && PYTHONHASHSEED=0 PYTHONIOENCODING=utf-8 PYTHONDONTWRITEBYTECODE=1 \
            "${limit[@]}" "$PYTHON" -u "$root/tests/python/$name.py" "${args[@]}" \
            <"$input" >"$work/stdout" 2>"$work/stderr")
        code=$?
        py_exceptions <"$work/stderr" >"$work/exc"
    else
        (cd "$dir" && "${limit[@]}" "$work/prog" "${args[@]}" <"$input" >"$work/stdout" 2>"$work/stderr")
        code=$?
        mp_exceptions <"$work/stderr" >"$work/exc"
    fi
    { normalize <"$work/stdout"; echo "--- exceptions"; cat "$work/exc"; echo "--- exit $code"; } >"$out"
}

# Prints a diff of expected $1 and actual $2, labelled.
show() { diff -u --label "$3" --label "$4" "$1" "$2" | head -n 40; }

# compare NAME: compares this run's results ($work/py, $work/mp) with
# NAME.expected; returns 1 after printing what differs.
compare() {
    local name=$1 src=tests/python/$1.mp py=tests/python/$1.py exp=tests/python/$1.expected
    local mp_ok=true py_ok=true
    cmp -s "$exp" "$work/mp" || mp_ok=false
    if $have_python; then cmp -s "$exp" "$work/py" || py_ok=false; fi
    if $mp_ok && $py_ok; then return 0; fi
    if ! $py_ok && cmp -s "$work/py" "$work/mp"; then
        bad "$name: Python and .mp agree, but not with $exp (read the diff, then bless)"
        show "$exp" "$work/py" "$exp" "python3 $py"
    elif ! $py_ok && $mp_ok; then
        bad "$name: the Python side differs from $exp"
        show "$exp" "$work/py" "$exp" "python3 $py"
    elif $have_python; then
        bad "$name: the .mp side differs from Python"
        show "$work/py" "$work/mp" "python3 $py" "$src"
    else
        bad "$name: the .mp side differs from $exp"
        show "$exp" "$work/mp" "$exp" "$src"
    fi
    return 1
}

check_one() {
    local name=$1 src=tests/python/$1.mp py=tests/python/$1.py exp=tests/python/$1.expected
    if [ ! -f "$py" ]; then bad "$src: MISSING its Python program $py"; return; fi
    if [ ! -f "$src" ]; then bad "$py: MISSING its translation $src"; return; fi
    if [ "$mode" = bless ]; then
        if ! $have_python; then bad "$py: cannot bless without $PYTHON"; return; fi
        run_one py "$name" "$exp"
    fi
    if ! "$MPC" build "$src" -o "$work/prog" 2>"$work/build.err"; then
        bad "$src: does not build"; sed 's/^/    /' "$work/build.err" | head -n 20
        return
    fi
    if [ ! -f "$exp" ]; then bad "$name: MISSING expected file $exp (make bless writes it from Python)"; return; fi
    # REPEAT=N runs the .mp program N times (built once) against one
    # Python run: its output must never vary.
    local n=0
    while [ $n -lt "${REPEAT:-1}" ]; do
        n=$((n + 1))
        if $have_python && [ $n -eq 1 ]; then run_one py "$name" "$work/py"; fi
        run_one mp "$name" "$work/mp"
        compare "$name" || { [ "$n" -gt 1 ] && echo "    (run $n)"; return; }
    done
    ok
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in tests/python/*.py tests/python/*.mp; do
        [ -e "$f" ] || continue
        n=$(basename "${f%.*}")
        case " ${names[*]-} " in *" $n "*) ;; *) names+=("$n") ;; esac
    done
fi
each check_one "${names[@]%.*}"
echo "python: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
