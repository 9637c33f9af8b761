#!/bin/sh
# Checks for the tools mpc builds with and installs only what is missing,
# through apt-get (with sudo only when not root). Safe to run repeatedly.
#   sh scripts/deps.sh            what `make` and `make check` need
#   sh scripts/deps.sh fuzz       also clang and its libFuzzer runtime
#   sh scripts/deps.sh valgrind   also valgrind
#   sh scripts/deps.sh plot       also gnuplot (make bench-curves)
set -eu
extra=${1:-}

missing=""
need() { # need PACKAGE TEST-COMMAND...
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}

# grammar/parser.y says %require "3.8" (Debian 12, Ubuntu 22.04 and later).
BISON_MIN=3.8
bison_new_enough() {
    v=$(bison --version 2>/dev/null | sed -n '1s/.* \([0-9][0-9.]*\)$/\1/p')
    [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$BISON_MIN" "$v" | sort -V | head -n1)" = "$BISON_MIN" ]
}

need flex          command -v flex
need bison         bison_new_enough
need pkg-config    command -v pkg-config
need make          command -v make
need clang-format  command -v clang-format
need libcmocka-dev pkg-config --exists cmocka
if ! command -v "${CC:-cc}" >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    missing="$missing gcc libc6-dev"
fi

# clang links -fsanitize=fuzzer only with its compiler-rt package
# (libclang-rt-N-dev on Debian 12 and Ubuntu 23.04+, part of
# libclang-common-N-dev before).
fuzzer_links() {
    t=$(mktemp -d) || return 1
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$t/f.c"
    clang -fsanitize=fuzzer,address,undefined -o "$t/f" "$t/f.c" >/dev/null 2>&1
    rc=$?; rm -rf "$t"; return $rc
}
if [ "$extra" = fuzz ]; then
    need clang command -v clang
    if command -v clang >/dev/null 2>&1 && ! fuzzer_links; then
        v=$(clang -dumpversion | cut -d. -f1)
        missing="$missing libclang-rt-$v-dev"
    fi
fi
[ "$extra" = valgrind ] && need valgrind command -v valgrind
[ "$extra" = plot ] && need gnuplot-nox command -v gnuplot

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: error: apt-get not found; install these by hand:$missing" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "deps: error: not root and no sudo; install:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists: update once, then install.
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
if ! bison_new_enough; then
    echo "deps: error: bison $BISON_MIN or later is needed (found: $(bison --version 2>/dev/null | head -n1));" >&2
    echo "deps: install a newer bison (Debian 12 / Ubuntu 22.04 ship one) and put it first on PATH" >&2
    exit 1
fi
# clang arrived just now: its libFuzzer runtime may be a separate package.
if [ "$extra" = fuzz ] && ! fuzzer_links; then
    v=$(clang -dumpversion | cut -d. -f1)
    $sudo apt-get install -y -qq --no-install-recommends "libclang-rt-$v-dev" >&2 ||
        $sudo apt-get install -y -qq --no-install-recommends "libclang-common-$v-dev" >&2
fi
