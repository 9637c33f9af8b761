# Integers at the edges, computed in a child and sent back: negative
# floor division and modulo, powers, the largest 64-bit values.
from multiprocessing import Process, Queue, set_start_method

def compute(q):
    q.put([-7 // 2, -7 % 2, 7 // -2, 7 % -2, -7 // -2, -7 % -2])
    q.put([2 ** 62, -(2 ** 62), 9223372036854775807, -9223372036854775807 - 1])
    q.put([0x7F, 0o17, 0b101, 1_000_000, -0, abs(-5)])
    q.put([1 << 40, -1 >> 3, 5 & 3, 5 | 3, 5 ^ 3, ~5])

if __name__ == "__main__":
    set_start_method("fork")
    q = Queue()
    child = Process(target=compute, args=(q,))
    child.start()
    for _ in range(4):
        print(q.get())
    child.join()
    print(int("-42") + int(" 17 "), float("2.5"), int(3.99), int(-3.99), float(7))
    print(7 / 2, -7 / 2, 1 / 3, 10 / 5, 2 ** 0.5)
    print(min(3, -1, 2), max(3, -1, 2), abs(-2.5))
