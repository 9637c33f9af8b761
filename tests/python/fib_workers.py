# Recursive work in a group of processes: each computes fib(n) for its
# own n and reports it on a shared queue; the parent orders the answers.
from multiprocessing import Process, Queue, set_start_method

def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

def work(index, n, results):
    results.put([index, n, fib(n)])

if __name__ == "__main__":
    set_start_method("fork")
    results = Queue()
    group = [Process(target=work, args=(i, 10 + 3 * i, results)) for i in range(5)]
    for p in group:
        p.start()
    answers = [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]
    for _ in range(len(group)):
        r = results.get()
        answers[r[0]] = [r[1], r[2]]
    for p in group:
        p.join()
    for a in answers:
        print(f"fib({a[0]}) = {a[1]}")
    print("answers:", answers)
