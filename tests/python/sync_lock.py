# A Lock guards a critical section: six workers, never two inside at once;
# an RLock is taken again by the process holding it (recursion).
from multiprocessing import Process, Lock, RLock, Value, set_start_method

def count(m, inside, peak, total, rounds):
    for _ in range(rounds):
        with m:
            inside.value += 1
            if inside.value > peak.value:
                peak.value = inside.value
            total.value += 1
            inside.value -= 1

def depth(r, n):
    if n == 0:
        return 0
    with r:
        return 1 + depth(r, n - 1)

# Releases r once more than it acquires it.
def release_twice(r):
    with r:
        pass
    r.release()

if __name__ == "__main__":
    set_start_method("fork")
    m = Lock()
    r = RLock()
    inside = Value("i", 0)
    peak = Value("i", 0)
    total = Value("i", 0)
    workers = [Process(target=count, args=(m, inside, peak, total, 500)) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"entries: {total.value}, most inside at once: {peak.value}")
    print(m.acquire(), m.acquire(False), m.acquire(timeout=0.01))
    m.release()
    try:
        m.release()
    except ValueError as e:
        print("ValueError:", e)
    print("depth:", depth(r, 4))
    try:
        release_twice(r)
    except AssertionError as e:
        print("AssertionError:", e)
