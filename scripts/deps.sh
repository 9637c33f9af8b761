#!/bin/sh
# Checks for the tools mpc builds with and installs only what is missing,
# through apt-get (with sudo only when not root). Safe to run repeatedly.
set -eu

missing=""
need() { # need PACKAGE TEST-COMMAND...
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}

need flex          command -v flex
need bison         command -v bison
need pkg-config    command -v pkg-config
need make          command -v make
need libcmocka-dev pkg-config --exists cmocka
if ! command -v "${CC:-cc}" >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    missing="$missing gcc libc6-dev"
fi

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
