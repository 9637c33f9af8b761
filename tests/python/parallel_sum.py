# A parallel sum by chunks: each worker adds up its slice of the data
# and sends [index, partial] back; the parent puts the parts in order.
from multiprocessing import Process, Queue, set_start_method

def partial_sum(data, index, chunk, results):
    first = index * chunk
    stop = min(first + chunk, len(data))
    total = 0
    for i in range(first, stop):
        total += data[i]
    results.put([index, total])

if __name__ == "__main__":
    set_start_method("fork")
    data = []
    for n in range(10007):
        data.append((n * 7919) % 1000 - 500)
    workers = 4
    chunk = (len(data) + workers - 1) // workers
    results = Queue()
    group = [Process(target=partial_sum, args=(data, i, chunk, results)) for i in range(workers)]
    for p in group:
        p.start()
    parts = [0, 0, 0, 0]
    for _ in range(workers):
        r = results.get()
        parts[r[0]] = r[1]
    for p in group:
        p.join()
    total = 0
    for x in data:
        total += x
    print("parts:", parts)
    print("parallel:", parts[0] + parts[1] + parts[2] + parts[3], "sequential:", total)
