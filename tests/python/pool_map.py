# Pool.map and its relatives, checked against Python's multiprocessing.Pool.
import os
from multiprocessing import Pool


def square(x):
    return x * x


def shout(s):
    return s.upper() + "!" + str(len(s))


def half(x):
    return x / 2


def pair(a, b):
    return (b * a, a)


def total(xs):
    return sum(xs)


def spread(n):
    return [[i] * i for i in range(n)]


def maybe(x):
    if x is None:
        return "none"
    return f"some {x}"


def count_words(text):
    d = {}
    for w in text.split():
        d[w] = d.get(w, 0) + 1
    return d


def whoami(x):
    return os.getpid() + x * 0


if __name__ == "__main__":
    P = Pool(3)
    print(P.map(square, [1, 2, 3, 4, 5]))
    print(P.map(square, range(10), chunksize=1))
    print(P.map(square, range(10), 4))
    print(P.map(square, range(10), chunksize=100))
    print(P.map(square, [-3, 0, 2**31]))
    none = []
    print(P.map(square, none))
    print(P.map(square, []))
    print(P.map(shout, ["hello", "", "日本語", "a b"]))
    print(P.map(shout, "abc"))
    print(P.map(half, [1, 2, 3]))
    print(P.map(half, [0.5, -1e300]))
    print(P.starmap(pair, [(1, "x"), (3, "ab"), (0, "z")]))
    print(P.map(total, [[1, 2], [], [10, 20, 30]]))
    print(P.map(spread, [0, 1, 3]))
    print(P.map(maybe, [1, None, 3]))
    print(P.map(maybe, [4, 5]))                 # int items where int | None is taken
    print(P.map(count_words, ["a b a", "", "x y z x"]))
    print(P.map(square, {3: "c", 1: "a"}))
    print(P.map(square, {5, 6}))
    for r in P.imap(square, [5, 6, 7]):
        print("imap", r)
    for r in P.imap(shout, ["x", "yy"], chunksize=2):
        print("imap", r)
    print(list(P.imap(square, range(5))))
    print(sorted(P.imap_unordered(square, range(8))))
    print(sorted(P.imap_unordered(square, range(8), chunksize=3)))
    pids = set(P.map(whoami, range(30), chunksize=1))
    again = set(P.map(whoami, range(30), chunksize=1))
    print(len(pids | again) <= 3, os.getpid() in pids)     # workers are reused
    P.close()
    P.join()
    print("done")
