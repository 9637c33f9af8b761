# apply_async: handles (AsyncResult) kept in variables and lists, get,
# wait and ready, an exception raised again at every get, and map beside
# pending jobs; an uncaught exception at get ends main.
from multiprocessing import Pool


def add(a, b):
    return a + b


def hello():
    return "hi"


def fail(x):
    if x > 0:
        raise ValueError(f"no {x}")
    return x


def words(s, n):
    return [s] * n


if __name__ == "__main__":
    P = Pool(2)
    h = P.apply_async(add, (1, 2))
    print(h.get())
    print(h.get(timeout=5))
    print(h.ready())
    g = P.apply_async(hello)
    g.wait()
    print(g.ready(), g.get())
    hs = [P.apply_async(add, (i, i)) for i in range(10)]
    print([x.get() for x in hs])
    w = P.apply_async(words, ("é", 3))
    print(w.get(), len(w.get()))
    bad = P.apply_async(fail, (3,))
    try:
        bad.get()
    except ValueError as e:
        print("caught", e)
    try:
        bad.get()
    except ValueError as e:
        print("again", e)
    pending = [P.apply_async(add, (i, 1)) for i in range(5)]
    print(P.starmap(add, [(4, 5), (6, 7)]))
    total = 0
    for p in pending:
        total += p.get()
    print(total)
    print(P.apply_async(fail, (0,)).get())
    P.apply_async(fail, (5,)).get()
    print("not reached")
