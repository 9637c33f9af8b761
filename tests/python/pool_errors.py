# An exception in a worker is raised again in main, at the map; an
# uncaught one ends main.
from multiprocessing import Pool


def check(x):
    if x == 7:
        raise ValueError(f"bad item {x}")
    return x


def inverse(x):
    return 100 // x


def lookup(k):
    d = {"a": 1}
    return d[k]


def nth(i):
    return [1, 2, 3][i]


def deep(n):
    if n == 0:
        return inverse(0)
    return deep(n - 1) + 1


def safe(x):
    try:
        return 10 // x
    except ZeroDivisionError:
        return -1


def label(x):
    if x == 13:
        raise ValueError(f"no label for {x}")
    return f"item {x}"


def ratio(a, b):
    return a / b


if __name__ == "__main__":
    P = Pool(2)
    try:
        print(P.map(check, range(20)))
    except ValueError as e:
        print("ValueError:", e)
    try:
        print(P.map(inverse, [5, 0, 4]))
    except ZeroDivisionError as e:
        print("ZeroDivisionError:", e)
    try:
        print(P.map(lookup, ["a", "b"]))
    except KeyError as e:
        print("KeyError:", e, repr(e))
    try:
        print(P.map(nth, [0, 5]))
    except LookupError as e:
        print("LookupError:", e)
    try:
        print(P.map(deep, [3]))
    except ArithmeticError as e:
        print("ArithmeticError:", e)
    print(P.map(safe, [5, 0, 2]))
    print(P.map(label, range(5), chunksize=2))
    try:
        print(P.map(label, range(30), chunksize=2))
    except ValueError as e:
        print("label:", e)
    print(sorted(P.imap_unordered(label, range(7), chunksize=3)))
    try:
        print(sorted(P.imap_unordered(label, range(20), chunksize=3)))
    except ValueError as e:
        print("unordered:", e)
    try:
        print(P.starmap(ratio, [(1, 2), (3, 0)]))
    except ZeroDivisionError as e:
        print("starmap:", e)
    print(P.map(check, [1, 2, 3]))
    try:
        print(list(P.imap(check, [1], chunksize=0)))
    except ValueError as e:
        print("chunksize:", e)
    try:
        P.join()
    except ValueError as e:
        print("join:", e)
    P.close()
    try:
        print(P.map(check, [1]))
    except ValueError as e:
        print("closed:", e)
    P.join()
    Q = Pool(2)
    print(Q.map(check, [1, 2]))
    print(Q.map(check, range(10)))    # uncaught: main ends here
    print("not reached")
