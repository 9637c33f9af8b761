# End of stream and timeouts are exceptions the program catches: recv at
# end of stream raises EOFError (also after poll() said it is ready),
# get from an empty queue raises queue.Empty, put to a full one
# queue.Full; a worker catches its own failures and reports them.
import queue
from multiprocessing import Pipe, Process, Queue, set_start_method

def sender(conn, n):
    for i in range(n):
        conn.send(f"message {i}")

def parser(texts, out):
    for t in texts:
        try:
            out.put((t, int(t), ""))
        except ValueError as e:
            out.put((t, 0, str(e)))

if __name__ == "__main__":
    set_start_method("fork")
    rx, tx = Pipe(duplex=False)
    p = Process(target=sender, args=(tx, 3))
    p.start()
    tx.close()
    got = []
    while True:
        try:
            got.append(rx.recv())
        except EOFError:
            print("end of stream after", len(got), "messages")
            break
    p.join()
    print(got)
    print("poll at end of stream:", rx.poll())
    try:
        rx.recv()
    except EOFError:
        print("recv after poll: EOFError")

    q = Queue()
    try:
        q.get(timeout=0.05)
    except queue.Empty:
        print("empty after a timeout")
    try:
        q.get_nowait()
    except queue.Empty:
        print("empty at once")

    small = Queue(2)
    put = 0
    try:
        for i in range(5):
            small.put_nowait(i)
            put += 1
    except queue.Full:
        print("full after", put, "items")
    try:
        small.put(99, timeout=0.05)
    except queue.Full:
        print("still full after a timeout")
    print(small.get(), small.get())

    out = Queue()
    w = Process(target=parser, args=(["12", "x7", "-3", ""], out))
    w.start()
    for _ in range(4):
        text, value, error = out.get()
        if error:
            print(repr(text), "failed:", error)
        else:
            print(repr(text), "is", value)
    w.join()
    print("exit codes:", p.exitcode, w.exitcode)
