# Process.pid is None until the process is started, then the child's pid,
# kept after join; members of a list of processes started one by one.
import multiprocessing as mp


def f(i):
    pass


if __name__ == "__main__":
    w = [mp.Process(target=f, args=(i,)) for i in range(3)]
    w[0].start()
    for k in range(3):
        pid = w[k].pid
        print(k, pid is None, pid is not None and pid > 0)
    print(w[1].pid)
    p0 = w[0].pid
    w[0].join()
    print(w[0].pid == p0)
    for k in range(1, 3):
        w[k].start()
    for k in range(1, 3):
        w[k].join()
    pids = [w[k].pid for k in range(3)]
    print(all(p is not None and p > 0 for p in pids), len(set(pids)))
    single = mp.Process(target=f, args=(9,))
    single.start()
    print(single.pid is not None and single.pid > 0)
    single.join()
