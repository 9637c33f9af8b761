"""pipe.py: the Python multiprocessing side of the pipe benchmark.

Round trips: ROUNDS times the parent sends the small string "ping" to a
child over a duplex Pipe() and the child echoes it back; the parent checks
each reply. Bulk: a child sends MESSAGES str messages of SIZE characters
(built once: 'a', then 'x's, then 'z') over a one-way Pipe(duplex=False);
the parent checks the length, first and last character of each.

usage: python3 pipe.py [rounds=100000] [messages=16384] [size=65536]
prints: RESULT bench=pipe check=ok|FAIL count=<round trips + bytes>
"""
import multiprocessing as mp
import sys


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return int(v)
    return default


def echo(conn, other):
    other.close()       # the parent's end, inherited by fork: EOF needs it closed
    while True:
        try:
            m = conn.recv()
        except EOFError:
            break
        conn.send(m)


def bulk_send(tx, rx, messages, size):
    rx.close()
    s = "a" + "x" * (size - 2) + "z" if size >= 2 else "a" * size
    for _ in range(messages):
        tx.send(s)
    tx.close()


def main():
    mp.set_start_method("fork")
    rounds, messages = arg("rounds", 100000), arg("messages", 16384)
    size = arg("size", 65536)
    ok = True

    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b, a))
    p.start()
    b.close()
    msg = "ping"
    trips = 0
    for _ in range(rounds):
        a.send(msg)
        if a.recv() == msg:
            trips += 1
    a.close()
    p.join()
    ok = ok and p.exitcode == 0 and trips == rounds

    rx, tx = mp.Pipe(duplex=False)
    p = mp.Process(target=bulk_send, args=(tx, rx, messages, size))
    p.start()
    tx.close()
    got = nbytes = 0
    last = size - 1
    while True:
        try:
            m = rx.recv()
        except EOFError:
            break
        if len(m) == size and (size == 0 or (m[0] == "a" and m[last] == "z")):
            got += 1
            nbytes += len(m)
    rx.close()
    p.join()
    ok = ok and p.exitcode == 0 and got == messages and nbytes == messages * size

    print(f"RESULT bench=pipe check={'ok' if ok else 'FAIL'} "
          f"count={trips + nbytes} trips={trips} bytes={nbytes}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
