# Strings of every size through a pipe and a queue: empty, Unicode,
# quotes and escapes, and a message far larger than a pipe's buffer.
from multiprocessing import Process, Pipe, Queue, set_start_method

def echo(conn, count):
    for _ in range(count):
        msg = conn.recv()
        conn.send(msg + msg)

def shout(q, words):
    for w in words:
        q.put(w + "!")

if __name__ == "__main__":
    set_start_method("fork")
    samples = ["", "plain", "tab\there", "quote ' and \"", "ünïcödé ✓", "𝔘𝔫𝔦", "x" * 300000]
    mine, theirs = Pipe()
    echoer = Process(target=echo, args=(theirs, len(samples)))
    echoer.start()
    for s in samples:
        mine.send(s)
        back = mine.recv()
        print(len(back), back == s + s, back[:12])
    echoer.join()

    q = Queue()
    shouter = Process(target=shout, args=(q, samples))
    shouter.start()
    lengths = []
    for _ in samples:
        lengths.append(len(q.get()))
    shouter.join()
    print("lengths:", lengths)
    print("lists:", [samples[4], "", samples[5]])
