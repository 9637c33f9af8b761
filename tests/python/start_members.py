# One process of a list at a time: start it, join it, then the next; and
# a list started one by one, then joined one by one.
from multiprocessing import Process, Queue, set_start_method


def child(i):
    print("child", i, "running")


def square(q, i):
    q.put(i * i)


if __name__ == '__main__':
    set_start_method('fork')
    procs = [Process(target=child, args=(i,)) for i in range(5)]
    for i in range(5):
        procs[i].start()
        procs[i].join()
        print("joined", i, "exit code", procs[i].exitcode)
    q = Queue()
    sq = [Process(target=square, args=(q, i)) for i in range(4)]
    for i in range(4):
        sq[i].start()
    for i in range(4):
        sq[i].join()
    print(sorted([q.get() for _ in range(4)]))
