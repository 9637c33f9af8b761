"""exc.py: the Python side of the exc benchmark (one process).

Each of ITERS iterations runs a try whose block raises ValueError("x")
when THROW is 1 and whose handler counts it; with THROW 0 the same loop
raises nothing and the block itself counts.

usage: python3 exc.py [iters=50000000] [throw=1]
prints: RESULT bench=exc check=ok|FAIL count=<iterations verified>
"""
import sys


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return int(v)
    return default


def run(iters, throw):
    caught = passed = 0
    for _ in range(iters):
        try:
            if throw:
                raise ValueError("x")
            passed += 1
        except ValueError:
            caught += 1
    return caught + 1000 * passed if throw else passed + 1000 * caught


def main():
    iters, throw = arg("iters", 50000000), arg("throw", 1) == 1
    count = run(iters, throw)
    ok = count == iters
    print(f"RESULT bench=exc check={'ok' if ok else 'FAIL'} count={count}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
