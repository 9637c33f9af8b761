"""array.py: the Python multiprocessing side of the array benchmark.

Two processes update the elements of one shared array of N int64s:
  mode=atomic  each process adds 1 to every element of a
               multiprocessing.Array('q', N), each addition under the
               array's lock; every element ends at 2;
  mode=raw     process k adds 1 to each element of its half of a lock-free
               multiprocessing.Array('q', N, lock=False); every element
               ends at 1.
The parent checks every element.

Each worker makes PASSES passes (passes=0: the processes and the array
are made and checked, nothing is updated: the harness's baseline).

usage: python3 array.py [n=10000000] [mode=atomic|raw] [procs=2] [passes=1]
prints: RESULT bench=array check=ok|FAIL count=<element updates verified>
"""
import os
import sys

# This file is named array.py: keep its directory off the module path, or
# it would be imported instead of the standard array module.
_here = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _here]

import multiprocessing as mp  # noqa: E402
from array import array  # noqa: E402


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return v if isinstance(default, str) else int(v)
    return default


def add_atomic(arr, n, passes):
    lock, a = arr.get_lock(), arr.get_obj()
    for _ in range(passes):
        for i in range(n):
            with lock:
                a[i] += 1


def add_raw(a, lo, hi, passes):
    for _ in range(passes):
        for i in range(lo, hi):
            a[i] += 1


def main():
    mp.set_start_method("fork")
    n, procs, mode = arg("n", 10000000), arg("procs", 2), arg("mode", "atomic")
    passes = arg("passes", 1)
    atomic = mode != "raw"
    if atomic:
        arr = mp.Array("q", n)
        ps = [mp.Process(target=add_atomic, args=(arr, n, passes)) for _ in range(procs)]
        data = arr.get_obj()
    else:
        data = mp.Array("q", n, lock=False)
        ps = [mp.Process(target=add_raw, args=(data, n * k // procs, n * (k + 1) // procs, passes))
              for k in range(procs)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    want = passes * (procs if atomic else 1)
    ok = all(p.exitcode == 0 for p in ps)
    ok = ok and bytes(memoryview(data).cast("B")) == (array("q", [want]) * n).tobytes()
    count = want * n if ok else -1
    print(f"RESULT bench=array check={'ok' if ok else 'FAIL'} count={count} mode={mode}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
