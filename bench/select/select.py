"""select.py: the Python multiprocessing side of the select benchmark.

4 producers, each with its own Pipe(duplex=False); producer p sends
p << 32 | seq for seq = 0..ITEMS-1 and exits. The parent waits on the 4
receiving ends with multiprocessing.connection.wait, receives one message
from each ready end, and drops an end from the list at EOFError. It checks
that every message came from its own pipe, in order, and that it got
every one.

usage: python3 select.py [items=100000]
prints: RESULT bench=select check=ok|FAIL count=<messages verified>
"""
import os
import sys

# This file is named select.py: keep its directory off the module path, or
# multiprocessing would import it instead of the standard select module.
_here = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _here]

import multiprocessing as mp  # noqa: E402
from multiprocessing.connection import wait  # noqa: E402


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return int(v)
    return default


def producer(tx, ident, items):
    base = ident << 32
    for i in range(items):
        tx.send(base | i)
    tx.close()


def main():
    mp.set_start_method("fork")
    items = arg("items", 100000)
    pipes = [mp.Pipe(duplex=False) for _ in range(4)]
    ps = [mp.Process(target=producer, args=(pipes[p][1], p, items)) for p in range(4)]
    for p in ps:
        p.start()
    for _, tx in pipes:
        tx.close()
    source = {rx: p for p, (rx, _) in enumerate(pipes)}
    nxt = [0] * 4
    errors = count = 0
    live = list(source)
    while live:
        for rx in wait(live):
            p = source[rx]
            try:
                x = rx.recv()
            except EOFError:
                live.remove(rx)
                continue
            if x != (p << 32) + nxt[p]:
                errors += 1
            nxt[p] += 1
            count += 1
    for p in ps:
        p.join()
    ok = (all(p.exitcode == 0 for p in ps) and errors == 0 and count == 4 * items
          and all(n == items for n in nxt))
    print(f"RESULT bench=select check={'ok' if ok else 'FAIL'} count={count} errors={errors}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
