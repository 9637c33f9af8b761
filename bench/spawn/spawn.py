"""spawn.py: the Python multiprocessing side of the spawn benchmark.

Creates, starts and joins N processes, ROUNDS times: one at a time
(seq=1) and/or all at once (group=1), with the fork start method. Each
child adds 1 to its own slot of a shared array; the parent checks every
slot and every exit code.

usage: python3 spawn.py [n=200] [rounds=1] [seq=1] [group=1]
prints: RESULT bench=spawn check=ok|FAIL count=<processes verified>
"""
import multiprocessing as mp
import sys


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return int(v)
    return default


def child(seen, i):
    with seen.get_lock():
        seen.get_obj()[i] += 1


def main():
    mp.set_start_method("fork")
    n, rounds = arg("n", 200), arg("rounds", 1)
    seq, group = arg("seq", 1), arg("group", 1)
    seen = mp.Array("q", max(n, 1))
    bad_exits = 0
    for _ in range(rounds):
        if seq:
            for i in range(n):
                p = mp.Process(target=child, args=(seen, i))
                p.start()
                p.join()
                bad_exits += p.exitcode != 0
        if group:
            ps = [mp.Process(target=child, args=(seen, i)) for i in range(n)]
            for p in ps:
                p.start()
            for p in ps:
                p.join()
                bad_exits += p.exitcode != 0
    want = rounds * ((seq != 0) + (group != 0))
    vals = seen[:n]
    ok = bad_exits == 0 and all(v == want for v in vals)
    print(f"RESULT bench=spawn check={'ok' if ok else 'FAIL'} count={sum(vals)}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
