# The argument of an exception may be any value: str(e) and repr(e)
# follow its type, in the raising process and across a pool.
from multiprocessing import Pool


def show(kind, e):
    print(kind, "|", e, "|", repr(e), "|", f"{e}", "|", f"{e!r}")


def bad(x):
    if x == 3:
        raise ValueError([x, x * 2])
    if x == 4:
        raise KeyError((x, "k"))
    return x


if __name__ == "__main__":
    try:
        raise ValueError(42)
    except ValueError as e:
        show("ValueError", e)
    try:
        raise ValueError(2.5)
    except ValueError as e:
        show("ValueError", e)
    try:
        raise RuntimeError(True)
    except RuntimeError as e:
        show("RuntimeError", e)
    try:
        raise ValueError("it's")
    except ValueError as e:
        show("ValueError", e)
    try:
        raise ValueError(["one", "two"])
    except ValueError as e:
        show("ValueError", e)
    try:
        raise IndexError((1, "a"))
    except IndexError as e:
        show("IndexError", e)
    try:
        raise KeyError(7)
    except KeyError as e:
        show("KeyError", e)
    try:
        raise KeyError("k")
    except KeyError as e:
        show("KeyError", e)
    try:
        raise KeyError((1, "a"))
    except LookupError as e:
        show("LookupError", e)
    try:
        raise KeyError({"a": 1})
    except KeyError as e:
        show("KeyError", e)
    try:
        raise OSError(None)
    except OSError as e:
        show("OSError", e)
    try:
        assert 1 > 2, 99
    except AssertionError as e:
        show("AssertionError", e)
    try:
        try:
            raise ValueError(5)
        except ValueError as e:
            raise e
    except ValueError as e:
        show("ValueError", e)
    with Pool(2) as P:
        for x in [3, 4]:
            try:
                print(P.map(bad, [1, 2, x]))
            except Exception as e:
                show("Exception", e)
        r = P.apply_async(bad, (4,))
        try:
            r.get()
        except KeyError as e:
            show("KeyError", e)
    raise KeyError((2, "b"))
