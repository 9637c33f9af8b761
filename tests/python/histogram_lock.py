# A shared histogram: workers sort pseudo-random samples into buckets,
# updating a bucket and the running total together under one lock.
from multiprocessing import Process, Array, Value, set_start_method

def fill(hist, total, seed, samples):
    x = seed
    for _ in range(samples):
        x = (x * 1103515245 + 12345) % 2147483648
        bucket = x % 10
        with hist.get_lock():
            hist[bucket] += 1
            total.value += 1

if __name__ == "__main__":
    set_start_method("fork")
    hist = Array("i", 10)
    total = Value("i", 0)
    workers = [Process(target=fill, args=(hist, total, i + 1, 5000)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    counted = 0
    for count in hist:
        counted += count
    print(f"samples: {total.value}, in buckets: {counted}")
    print(f"histogram: {hist[:]}")
