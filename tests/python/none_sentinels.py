# A pool of workers fed through one queue, stopped by one None per worker
# (the idiom of the multiprocessing docs); results come back as
# (task, worker, square) tuples on a second queue.
from multiprocessing import Process, Queue, set_start_method

WORKERS = 3

def worker(wid, tasks, results):
    done = 0
    while True:
        task = tasks.get()
        if task is None:
            break
        results.put((task, wid, task * task))
        done += 1
    results.put((-1, wid, done))  # this worker's count, then it stops

def lookup(table, key):
    for k, v in table:
        if k == key:
            return v
    return None

if __name__ == "__main__":
    set_start_method("fork")
    tasks = Queue()
    results = Queue()
    workers = [Process(target=worker, args=(i, tasks, results)) for i in range(WORKERS)]
    for w in workers:
        w.start()
    for n in range(1, 21):
        tasks.put(n)
    for _ in range(WORKERS):
        tasks.put(None)
    squares = []
    counted = 0
    finished = 0
    while finished < WORKERS:
        task, _, value = results.get()
        if task == -1:
            finished += 1
            counted += value
        else:
            squares.append((task, value))
    for w in workers:
        w.join()
    squares.sort()
    print("tasks done:", counted, "results:", len(squares))
    print("first:", squares[:3], "last:", squares[-1])
    print("sum of squares:", sum(v for _, v in squares))
    table = [(k, v) for k, v in squares if k % 5 == 0]
    print(table)
    print(lookup(table, 10), lookup(table, 11))
    found = lookup(table, 15)
    if found is not None:
        print("15 squared is", found)
    print("exit codes:", [w.exitcode for w in workers])
