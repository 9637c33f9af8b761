#!/usr/bin/env bash
# An output that is the input, by any name, is refused: mpc says so, exits
# 1 and the source is unchanged. Names: the same path, ./path, dir/../path,
# a symlink to it, a hard link to it, the input given through a symlink,
# and `mpc build` of an input without .mp (whose default program name is
# the input itself). An output that only resembles the input is written.
set -u
work=$FAULT_WORK/output_is_input
mkdir -p "$work/d"
cd "$work" || exit 1
fails=0
src='print("hi")
'
reset() { printf '%s' "$src" >a.mp; cp a.mp prog; rm -f link.mp hard.mp; ln -s a.mp link.mp; ln a.mp hard.mp; }
refused() { # ARGS...
    reset
    "$MPC" "$@" 2>err
    code=$?
    if [ "$code" -ne 1 ] || ! grep -q "^mpc: error: output '.*' is the input file '.*'; refusing to overwrite the source\$" err; then
        echo "mpc $*: exit $code, stderr:"; cat err; fails=1
    fi
    for f in a.mp prog; do
        [ "$(cat "$f")" = "$(printf '%s' "$src")" ] || { echo "mpc $*: $f was changed"; fails=1; }
    done
    ls | grep -q 'tmp-' && { echo "mpc $*: temporary left"; fails=1; }
}
for cmd in compile build; do
    for out in a.mp ./a.mp d/../a.mp "$PWD/a.mp" link.mp hard.mp; do
        refused "$cmd" a.mp -o "$out"
        refused "$cmd" link.mp -o "$out"
    done
done
refused build prog
refused build ./prog
refused build hard.mp -o a.mp
# Not the input: written as usual.
reset
"$MPC" compile a.mp -o a.mp.c 2>err && [ -s a.mp.c ] || { echo "compile -o a.mp.c failed:"; cat err; fails=1; }
"$MPC" compile a.mp -o - >/dev/null 2>err || { echo "compile -o - failed:"; cat err; fails=1; }
cp a.mp b.mp
"$MPC" compile a.mp -o b.mp 2>err || { echo "compile -o copy failed:"; cat err; fails=1; }
exit $fails
