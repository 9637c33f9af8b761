# Barrier phases: four workers go through five rounds in step; every round
# sees all four arrivals before anyone leaves it, with indices 0..3.
from multiprocessing import Process, Barrier, Array, Value, Queue, set_start_method
from threading import BrokenBarrierError

def phases(b, arrived, early, out, rounds):
    for r in range(rounds):
        with arrived.get_lock():
            arrived[r] += 1
        index = b.wait()
        if arrived[r] != b.parties:
            with early.get_lock():
                early.value += 1
        out.put((r, index))

if __name__ == "__main__":
    set_start_method("fork")
    rounds = 5
    b = Barrier(4)
    arrived = Array("i", rounds)
    early = Value("i", 0)
    out = Queue()
    workers = [Process(target=phases, args=(b, arrived, early, out, rounds)) for _ in range(4)]
    for w in workers:
        w.start()
    seen = [[] for _ in range(rounds)]
    for _ in range(4 * rounds):
        r, index = out.get()
        seen[r].append(index)
    for w in workers:
        w.join()
    for r in range(rounds):
        print("round", r, "arrivals:", arrived[r], "indices:", sorted(seen[r]))
    print("left a round early:", early.value)
    pair = Barrier(2)
    try:
        pair.wait(timeout=0.01)
    except BrokenBarrierError:
        print("timed out; broken:", pair.broken)
    pair.reset()
    print("reset; broken:", pair.broken)
    pair.abort()
    pair.wait()
