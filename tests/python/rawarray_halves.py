# Raw shared arrays (no lock): two workers update disjoint halves, so the
# result is exact; indexing out of range raises where Python does, after
# the earlier iterations' stores.
import ctypes
from multiprocessing import Process, Array, RawArray, set_start_method

def bump(counts, scale, lo, hi, passes):
    for _ in range(passes):
        for i in range(lo, hi):
            counts[i] += 1
            scale[i] = scale[i] * 2.0

def mark(flags, lo, hi):
    for i in range(lo, hi, 2):
        flags[i] = True

if __name__ == "__main__":
    set_start_method("fork")
    counts = RawArray("q", 10)
    scale = Array("d", 10, lock=False)
    flags = Array(ctypes.c_bool, 7, lock=False)
    for i in range(10):
        scale[i] = 0.5
    workers = [Process(target=bump, args=(counts, scale, k * 5, k * 5 + 5, 3 + k)) for k in range(2)]
    workers.append(Process(target=mark, args=(flags, 1, 7)))
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("counts:", counts[:])
    print("scale:", scale[:])
    print("flags:", flags[:])
    for i in range(-4, 0):
        counts[i] += 100
    for i in range(20, 5):
        counts[i] = 0
    print("after negatives:", counts[:], len(counts))
    try:
        for i in range(6, 12):
            counts[i] = i * 1000
            print("stored", i)
    except IndexError as e:
        print("IndexError:", e)
    print("after the error:", counts[:])
    total = 0
    for i in range(0, 10, 3):
        total += counts[i]
    print("every third:", total)
    counts[10] += 1
