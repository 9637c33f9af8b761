# Semaphore-limited workers: eight workers share three places; at no time
# are more than three inside. A BoundedSemaphore refuses a release too many.
from multiprocessing import Process, Semaphore, BoundedSemaphore, Value, set_start_method

def visit(s, inside, peak, visits, rounds):
    for _ in range(rounds):
        with s:
            with inside.get_lock():
                inside.value += 1
                if inside.value > peak.value:
                    peak.value = inside.value
            with visits.get_lock():
                visits.value += 1
            with inside.get_lock():
                inside.value -= 1

if __name__ == "__main__":
    set_start_method("fork")
    s = Semaphore(3)
    inside = Value("i", 0)
    peak = Value("i", 0)
    visits = Value("i", 0)
    workers = [Process(target=visit, args=(s, inside, peak, visits, 300)) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"visits: {visits.value}, at most 3 inside: {peak.value <= 3}, inside now: {inside.value}")
    print("value:", s.get_value())
    b = BoundedSemaphore(1)
    print(b.acquire(), b.acquire(False), b.get_value())
    b.release()
    try:
        b.release()
    except ValueError as e:
        print("ValueError:", e)
    # the largest value a semaphore holds (SEM_VALUE_MAX): no release past it
    top = Semaphore(2**31 - 1)
    try:
        top.release()
    except ValueError as e:
        print("ValueError:", e)
    print("top:", top.get_value())
