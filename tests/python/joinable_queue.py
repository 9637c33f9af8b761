# A worker pool on a JoinableQueue: main waits with q.join() until every
# task is marked done, then reads the results, then stops the workers
# with one None each and joins the queue again.
from multiprocessing import JoinableQueue, Process, Queue, set_start_method


def worker(tasks, results):
    while True:
        n = tasks.get()
        if n is None:
            tasks.task_done()
            break
        results.put(n * n)
        tasks.task_done()


if __name__ == '__main__':
    set_start_method('fork')
    tasks = JoinableQueue()
    results = Queue()
    workers = [Process(target=worker, args=(tasks, results)) for i in range(3)]
    for w in workers:
        w.start()
    for n in range(20):
        tasks.put(n)
    tasks.join()
    print("all 20 tasks done; results waiting:", results.qsize())
    squares = sorted([results.get() for _ in range(20)])
    print(squares)
    for w in workers:
        tasks.put(None)
    tasks.join()
    for w in workers:
        w.join()
    print("exit codes:", [w.exitcode for w in workers])
    try:
        tasks.task_done()
    except ValueError as e:
        print("ValueError:", e)
