# A server with one pipe per client and a queue per worker: Python keeps
# lists of Pipe() pairs and of Queue()s; each client gets its own end.
from multiprocessing import Process, Pipe, Queue, set_start_method


def client(conn, me, n, inbox):
    for k in range(n):
        conn.send(f"{me}.{k}")
        reply = conn.recv()
        if reply != f"ok {me}.{k}":
            print("wrong reply", reply)
    conn.send("bye")
    total = 0
    while True:
        x = inbox.get()
        if x is None:
            break
        total += x
    conn.send(f"client {me}: {n} replies, inbox total {total}")


def server(ends, results):
    alive = [True for _ in range(len(ends))]
    left = len(ends)
    served = 0
    while left > 0:
        for k in range(len(ends)):
            if alive[k]:
                m = ends[k].recv()
                if m == "bye":
                    alive[k] = False
                    left -= 1
                else:
                    ends[k].send("ok " + m)
                    served += 1
    for k in range(len(ends)):
        results.put(ends[k].recv())
    results.put(f"served {served}")


if __name__ == "__main__":
    set_start_method("fork")
    pairs = [Pipe() for _ in range(4)]
    cl = [p[0] for p in pairs]
    sv = [p[1] for p in pairs]
    inbox = [Queue() for _ in range(4)]
    results = Queue()
    w = [Process(target=client, args=(cl[i], i, i + 1, inbox[i])) for i in range(4)]
    s = Process(target=server, args=(sv, results))
    for p in w:
        p.start()
    s.start()
    for i in range(len(inbox)):
        for k in range(i + 2):
            inbox[i].put(10 * i + k)
        inbox[i].put(None)
    for k in range(5):
        print(results.get())
    for p in w:
        p.join()
    s.join()
    print(len(cl), len(inbox))
    j = 4
    try:
        cl[j].send("x")
    except IndexError as e:
        print("IndexError:", e)
