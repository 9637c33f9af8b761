# A server waits on three clients' pipes and a queue of jobs at once
# (multiprocessing.connection.wait; in .mp, a select), until every client
# has hung up (EOFError) and every producer has sent its None. Only
# deterministic facts are printed: what was received, not in which order.
from multiprocessing import Pipe, Process, Queue, set_start_method
from multiprocessing.connection import wait

def client(cid, tx, n):
    for i in range(n):
        tx.send(f"client {cid} request {i}")

def producer(jobs, pid, n):
    for i in range(n):
        jobs.put(pid * 1000 + i)
    jobs.put(None)

if __name__ == "__main__":
    set_start_method("fork")
    ends = [Pipe(duplex=False) for _ in range(3)]
    jobs = Queue()
    clients = [Process(target=client, args=(i + 1, ends[i][1], 3 * i)) for i in range(3)]
    producers = [Process(target=producer, args=(jobs, i, 50)) for i in range(2)]
    for p in clients + producers:
        p.start()
    for rx, tx in ends:
        tx.close()
    readers = [rx for rx, tx in ends] + [jobs._reader]
    requests = []
    per_producer = {0: [], 1: []}
    hung_up = 0
    done = 0
    while hung_up < 3 or done < 2:
        for r in wait(readers):
            if r is jobs._reader:
                job = jobs.get()
                if job is None:
                    done += 1
                    if done == 2:
                        readers.remove(r)
                else:
                    per_producer[job // 1000].append(job % 1000)
                continue
            try:
                requests.append(r.recv())
            except EOFError:
                hung_up += 1
                readers.remove(r)
    for p in clients + producers:
        p.join()
    requests.sort()
    for req in requests:
        print(req)
    print("clients hung up:", hung_up)
    for pid in sorted(per_producer):
        got = per_producer[pid]
        print("producer", pid, "jobs", len(got), "in order", got == list(range(50)))
    idle_rx, idle_tx = Pipe(duplex=False)
    print("ready before the timeout:", wait([idle_rx], 0.01))
