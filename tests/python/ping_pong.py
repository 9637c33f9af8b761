# Ping-pong over one duplex pipe: each side answers the other, so the
# lines alternate in a fixed order.
from multiprocessing import Process, Pipe, set_start_method

def ping(conn, rounds):
    for n in range(rounds):
        conn.send(n)
        reply = conn.recv()
        print(f"ping got {reply}")
    conn.send(-1)

def pong(conn):
    while True:
        n = conn.recv()
        if n < 0:
            print("pong done")
            break
        print(f"pong got {n}")
        conn.send(n * 10)

if __name__ == "__main__":
    set_start_method("fork")
    a, b = Pipe()
    pinger = Process(target=ping, args=(a, 4))
    ponger = Process(target=pong, args=(b,))
    pinger.start()
    ponger.start()
    pinger.join()
    ponger.join()
    print("exit codes:", pinger.exitcode, ponger.exitcode)
