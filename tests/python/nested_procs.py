# Processes started inside functions: a branch starts and joins its own
# leaves, and a recursive tree of processes, depth 3 and fan-out 2.
# Deterministic: the parent sorts what the queue delivers, and reads it
# only after every producer has finished.
import multiprocessing


def leaf(q, k):
    q.put(k * k)


def branch(q, base):
    kids = [multiprocessing.Process(target=leaf, args=(q, base + i)) for i in range(3)]
    for k in kids:
        k.start()
    for k in kids:
        k.join()
    print(f"branch {base}: exitcodes {[k.exitcode for k in kids]}")


def tree(q, depth, label):
    if depth == 0:
        q.put(label)
        return
    left = multiprocessing.Process(target=tree, args=(q, depth - 1, label * 2))
    right = multiprocessing.Process(target=tree, args=(q, depth - 1, label * 2 + 1))
    left.start()
    right.start()
    left.join()
    right.join()


def drain(q, n):
    return sorted(q.get() for _ in range(n))


if __name__ == '__main__':
    multiprocessing.set_start_method('fork')
    q = multiprocessing.Queue()
    b1 = multiprocessing.Process(target=branch, args=(q, 0))
    b2 = multiprocessing.Process(target=branch, args=(q, 10))
    b1.start()
    b1.join()
    b2.start()
    b2.join()
    print(drain(q, 6))
    root = multiprocessing.Process(target=tree, args=(q, 3, 1))
    root.start()
    root.join()
    leaves = drain(q, 8)
    print(leaves, sum(leaves))
    branch(q, 100)
    print(drain(q, 3))
