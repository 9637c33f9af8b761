"""queue.py: the Python multiprocessing side of the queue benchmark.

P producers put ITEMS ints each into one multiprocessing.Queue; C
consumers take them until they get an end marker. Producer p sends
p<<32 | seq for seq = 0..ITEMS-1. Each consumer checks that the items of
each producer arrive in increasing order and adds up its count, the sum of
the items and the sum of the squares of the low 16 bits of seq, and sends
its tally back on a second queue; the parent checks the totals. The end markers (one None per
consumer) are put by the parent once every producer has been joined.

usage: python3 queue.py [producers=1] [consumers=1] [items=1000000]
prints: RESULT bench=queue check=ok|FAIL count=<items verified>
"""
import os
import sys

# This file is named queue.py: keep its directory off the module path, or
# multiprocessing would import it instead of the standard queue module.
_here = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _here]

import multiprocessing as mp  # noqa: E402


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return int(v)
    return default


def producer(q, ident, items):
    base = ident << 32
    for i in range(items):
        q.put(base | i)


def consumer(q, results, producers):
    last = [-1] * producers
    count = total = sumsq = errors = 0
    while True:
        x = q.get()
        if x is None:
            break
        p, s = x >> 32, x & 0xFFFFFFFF
        if p < 0 or p >= producers or s <= last[p]:
            errors += 1
        else:
            last[p] = s
        count += 1
        total += x
        low = s & 0xFFFF
        sumsq += low * low
    results.put((count, total, sumsq, errors))


def squares(m):
    """Sum of j * j for j < m, m <= 65536."""
    return (m - 1) * m * (2 * m - 1) // 6


def main():
    mp.set_start_method("fork")
    np_, nc = arg("producers", 1), arg("consumers", 1)
    items = arg("items", 1000000)
    q, results = mp.Queue(), mp.Queue()
    cons = [mp.Process(target=consumer, args=(q, results, np_)) for _ in range(nc)]
    prods = [mp.Process(target=producer, args=(q, p, items)) for p in range(np_)]
    for p in cons + prods:
        p.start()
    for p in prods:
        p.join()
    for _ in cons:
        q.put(None)
    tallies = [results.get() for _ in cons]
    for p in cons:
        p.join()
    count = sum(t[0] for t in tallies)
    total = sum(t[1] for t in tallies)
    sumsq = sum(t[2] for t in tallies)
    errors = sum(t[3] for t in tallies)
    want_total = sum((p << 32) * items + items * (items - 1) // 2 for p in range(np_))
    want_sumsq = np_ * ((items >> 16) * squares(65536) + squares(items & 0xFFFF))
    ok = (all(p.exitcode == 0 for p in cons + prods) and errors == 0
          and count == np_ * items and total == want_total and sumsq == want_sumsq)
    print(f"RESULT bench=queue check={'ok' if ok else 'FAIL'} count={count} errors={errors}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
