# Sourced by the test scripts: runs one check per item, JOBS at a time
# (default: the number of CPUs), each in a subshell with a scratch
# directory of its own ($work/N), and prints the reports in the order of
# the items, so the output does not depend on which finishes first.
#
# The caller defines $work, the counters pass and fail, and ok/bad, which
# a check calls; a check that dies before counting counts as one failure.

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 1)}

# Calls FN ITEM for every ITEM, up to JOBS at once, each in a subshell with
# its own $work; then prints their reports in order and adds up their
# counts. Usage: each FN ITEM...
each() {
    local fn=$1 i=0 n item np nf
    shift
    local base=$work
    for item in "$@"; do
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
        mkdir -p "$base/$i"
        (work=$base/$i pass=0 fail=0; "$fn" "$item"; echo "@count $pass $fail") \
            >"$base/$i.log" 2>&1 &
        i=$((i + 1))
    done
    wait
    for ((n = 0; n < i; n++)); do
        grep -v '^@count ' "$base/$n.log"
        read -r _ np nf < <(grep '^@count ' "$base/$n.log" || echo "@count 0 1")
        pass=$((pass + np)) fail=$((fail + nf))
        rm -rf "${base:?}/$n" "$base/$n.log"
    done
}
