#!/usr/bin/env bash
# The disk fills up while `mpc compile` writes its output. The promise
# (compiler/driver.h): a failed compile never leaves a partial output; an
# older output stays as it was; no temporary file is left; mpc says why and
# exits 1. Three ways, each where this machine allows it:
#   tmpfs   a 64 KiB tmpfs in a private mount namespace (unshare -m, root),
#           filled up to a few hundred bytes: ENOSPC
#   fsize   ulimit -f 1 (files over 1 KiB), SIGXFSZ ignored or not: EFBIG,
#           also in build and run (nothing left in $TMPDIR)
#   device  -o onto a character device like /dev/full (a private node made
#           with mknod): ENOSPC, and the node is still a device afterwards
# Runs every way available; skipped (77) only if none is.
set -u
work=$FAULT_WORK/compile_disk_full
mkdir -p "$work"
src=$PWD/examples/12_histogram.mp
fails=0 ran=0

check_dir() { # WAY DIR OUT-EXISTED-BEFORE
    local way=$1 dir=$2 before=$3
    if ls -a "$dir" | grep -q 'tmp-'; then
        echo "$way: temporary file left:"; ls -la "$dir"; fails=1
    fi
    if [ "$before" = yes ]; then
        if ! cmp -s "$dir/out.c" "$work/old.c"; then
            echo "$way: the previous output was changed"; fails=1
        fi
    elif [ -e "$dir/out.c" ]; then
        echo "$way: a partial output was left ($(wc -c <"$dir/out.c") bytes)"; fails=1
    fi
}

check_err() { # WAY CODE ERRFILE REASON
    if [ "$2" -ne 1 ]; then echo "$1: mpc exited $2, expected 1"; fails=1; fi
    if ! grep -q "^mpc: error: .*out.c: cannot write output: $4\$" "$3"; then
        echo "$1: stderr:"; cat "$3"; fails=1
    fi
}

printf '/* an older output */\n' >"$work/old.c"

# tmpfs: a real full disk.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null &&
   unshare -m true 2>/dev/null; then
    for before in no yes; do
        unshare -m bash -c '
            set -e
            dir=$1/tmpfs; mkdir -p "$dir"
            mount -t tmpfs -o size=64k tmpfs "$dir"
            [ "$4" = yes ] && cp "$1/old.c" "$dir/out.c"
            # Fill it, leaving less room than the output needs.
            dd if=/dev/zero of="$dir/fill" bs=1k count=64 2>/dev/null || true
            rm -f "$dir/fill"; dd if=/dev/zero of="$dir/fill" bs=1k count=62 2>/dev/null || true
            set +e
            "$2" compile "$3" -o "$dir/out.c" 2>"$1/tmpfs.err"
            echo $? >"$1/tmpfs.code"
            rm -f "$dir/fill"
            ls -a "$dir" >"$1/tmpfs.ls"
            [ -e "$dir/out.c" ] && cp "$dir/out.c" "$1/tmpfs.out" || rm -f "$1/tmpfs.out"
            umount "$dir"
        ' _ "$work" "$MPC" "$src" "$before" || { echo "tmpfs: setup failed"; fails=1; continue; }
        ran=1
        check_err "tmpfs($before)" "$(cat "$work/tmpfs.code")" "$work/tmpfs.err" "No space left on device"
        if grep -q 'tmp-' "$work/tmpfs.ls"; then echo "tmpfs: temporary file left"; fails=1; fi
        if [ "$before" = yes ]; then
            cmp -s "$work/tmpfs.out" "$work/old.c" || { echo "tmpfs: previous output changed"; fails=1; }
        elif [ -e "$work/tmpfs.out" ]; then
            echo "tmpfs: partial output left"; fails=1
        fi
    done
fi

# RLIMIT_FSIZE: every machine. SIGXFSZ either already ignored by the
# caller, or left at its default (mpc itself must not die by it, leaving
# its temporary behind with status 153).
for xfsz in ignored default; do
    for before in no yes; do
        dir=$work/fsize-$xfsz-$before; rm -rf "$dir"; mkdir -p "$dir"
        [ "$before" = yes ] && cp "$work/old.c" "$dir/out.c"
        (if [ $xfsz = ignored ]; then trap '' XFSZ; else trap - XFSZ; fi
         ulimit -f 1 && exec "$MPC" compile "$src" -o "$dir/out.c") 2>"$work/fsize.err"
        code=$?
        ran=1
        check_err "fsize($xfsz,$before)" "$code" "$work/fsize.err" "File too large"
        check_dir "fsize($xfsz,$before)" "$dir" "$before"
    done
done

# The same limit in `mpc build` and `mpc run`, whose C goes to a private
# directory in $TMPDIR: an error, and nothing left there.
for cmd in build run; do
    rm -rf "$work/tmp" "$work/prog"; mkdir -p "$work/tmp"
    if [ $cmd = build ]; then
        (trap - XFSZ; ulimit -f 1 && TMPDIR=$work/tmp exec "$MPC" build "$src" -o "$work/prog") \
            2>"$work/fsize.err"
    else
        (trap - XFSZ; ulimit -f 1 && TMPDIR=$work/tmp exec "$MPC" run "$src") 2>"$work/fsize.err"
    fi
    code=$?
    [ "$code" -eq 1 ] || { echo "fsize($cmd): mpc exited $code, expected 1"; fails=1; }
    grep -q "^mpc: error: .*prog.c: cannot write output: File too large\$" "$work/fsize.err" ||
        { echo "fsize($cmd): stderr:"; cat "$work/fsize.err"; fails=1; }
    [ -z "$(ls -A "$work/tmp")" ] || { echo "fsize($cmd): left in TMPDIR:"; ls -laR "$work/tmp"; fails=1; }
    [ -e "$work/prog" ] && { echo "fsize($cmd): program left"; fails=1; }
done

# A full device: written into, never renamed over.
if mknod "$work/full" c 1 7 2>/dev/null; then
    "$MPC" compile "$src" -o "$work/full" 2>"$work/dev.err"
    code=$?
    ran=1
    [ "$code" -eq 1 ] || { echo "device: mpc exited $code, expected 1"; fails=1; }
    grep -q "cannot write output: No space left on device" "$work/dev.err" ||
        { echo "device: stderr:"; cat "$work/dev.err"; fails=1; }
    [ -c "$work/full" ] || { echo "device: the device node was replaced"; ls -l "$work/full"; fails=1; }
    ls "$work" | grep -q '^full\.tmp-' && { echo "device: temporary file left"; fails=1; }
    rm -f "$work/full"
fi
[ "$ran" -eq 1 ] || { echo "no way to fill a disk here"; exit 77; }
exit $fails
