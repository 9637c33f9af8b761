"""pool.py: the Python multiprocessing side of the pool benchmark.

A Pool of WORKERS maps a small function over ITEMS ints with chunksize
CHUNK (Pool.map); the parent checks every result, in order.

usage: python3 pool.py [workers=4] [items=100000] [chunk=1000]
prints: RESULT bench=pool check=ok|FAIL count=<results verified>
"""
import multiprocessing as mp
import sys


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return int(v)
    return default


def f(x):
    return x * x % 7 + x


def main():
    mp.set_start_method("fork")
    workers, items, chunk = arg("workers", 4), arg("items", 100000), arg("chunk", 1000)
    with mp.Pool(workers) as p:
        rs = p.map(f, range(items), chunksize=chunk)
    ok = len(rs) == items
    for i in range(len(rs)):
        if rs[i] != i * i % 7 + i:
            ok = False
    print(f"RESULT bench=pool check={'ok' if ok else 'FAIL'} count={len(rs)}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
