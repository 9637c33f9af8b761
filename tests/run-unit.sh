#!/usr/bin/env bash
# Runs each CMocka test binary given as an argument, JOBS at a time
# (tests/each.sh: their reports in the order given); prints one summary
# line.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mpc-unit-XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "unit: failed: $*"; }
# shellcheck source=tests/each.sh
. "$root/tests/each.sh"

# A binary runs from the directory make check runs in, as it always did.
run_one() { if "$1"; then ok; else bad "$1"; fi; }

each run_one "$@"
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
