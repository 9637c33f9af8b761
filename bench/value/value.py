"""value.py: the Python multiprocessing side of the value benchmark.

PROCS processes each add 1 to one shared multiprocessing.Value('q') OPS
times, each increment under the value's lock (v.value += 1 alone is not
atomic in Python); the parent checks that the value is exactly PROCS * OPS.

usage: python3 value.py [procs=4] [ops=1000000]
prints: RESULT bench=value check=ok|FAIL count=<increments verified>
"""
import multiprocessing as mp
import sys


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return int(v)
    return default


def inc(counter, ops):
    lock = counter.get_lock()
    for _ in range(ops):
        with lock:
            counter.value += 1


def main():
    mp.set_start_method("fork")
    procs, ops = arg("procs", 4), arg("ops", 1000000)
    counter = mp.Value("q", 0)
    ps = [mp.Process(target=inc, args=(counter, ops)) for _ in range(procs)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    got = counter.value
    ok = all(p.exitcode == 0 for p in ps) and got == procs * ops
    print(f"RESULT bench=value check={'ok' if ok else 'FAIL'} count={got}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
