#!/usr/bin/env bash
# Hostile source paths: the .mp path is embedded in the generated C (the
# name given to mp_init, #line directives). Paths with quotes, backslashes,
# '*/', '%n', trigraphs '??/' and a newline must build (also with
# -std=c11 -trigraphs) and name the file exactly in a runtime error.
set -u
work=$FAULT_WORK/hostile_paths
mkdir -p "$work"
cd "$work" || exit 1
fails=0
nl='
'
for f in 'x*/y.mp' 'q"uote\back/%n ??/z.mp' "new${nl}line.mp" '-dash.mp'; do
    mkdir -p "$(dirname -- "$f")"
    printf 'print("hi")\nlet xs = [1]\nprint(xs[3])\n' >"$f"
    for cflags in "-O1" "-O1 -std=c11 -trigraphs -Wall -Werror"; do
        rm -f prog
        if ! CFLAGS="$cflags" "$MPC" build -- "$f" -o prog 2>build.err &&
           ! CFLAGS="$cflags" "$MPC" build "./$f" -o prog 2>build.err; then
            echo "[$f] ($cflags): does not build:"; cat build.err; fails=1; continue
        fi
        ./prog >out 2>err
        code=$?
        src=$(head -c 1 err; tail -c +2 err)  # keep every byte
        want="${f}:3:7: runtime error: IndexError: list index out of range (in process main, pid "
        want2="./${f}:3:7: runtime error: IndexError: list index out of range (in process main, pid "
        if [ "$code" -ne 1 ] || [ "$(cat out)" != hi ] ||
           { [ "${src#"$want"}" = "$src" ] && [ "${src#"$want2"}" = "$src" ]; }; then
            echo "[$f] ($cflags): exit $code, stdout '$(cat out)', stderr:"; cat err; fails=1
        fi
    done
done
exit $fails
