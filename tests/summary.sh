#!/bin/sh
# Adds up the "NAME: N passed, M failed" lines of every suite in the log
# given as $1 and prints one closing line; fails when anything failed.
awk '
    /^[a-z]+: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4; n++ }
    END {
        printf "check: %d passed, %d failed (%d suites)\n", p, f, n
        exit (f > 0 || n == 0)
    }' "$1"
