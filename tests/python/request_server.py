# A request/reply server with three clients, each on its own duplex
# pipe; the server serves one client until its sentinel, then the next.
import sys
from multiprocessing import Process, Pipe, set_start_method

DONE = -1

def serve(peer, name):
    served = 0
    while True:
        request = peer.recv()
        if request == DONE:
            break
        peer.send(request * request)
        served += 1
    print(f"server: {name} made {served} requests")
    return served

def server(a, b, c):
    total = serve(a, "client a") + serve(b, "client b") + serve(c, "client c")
    print(f"server: {total} requests in all")

def client(link, first, count):
    for n in range(first, first + count):
        link.send(n)
        answer = link.recv()
        if answer != n * n:
            print(f"client: wrong answer {answer} for {n}")
            sys.exit(1)
    link.send(DONE)

if __name__ == "__main__":
    set_start_method("fork")
    a_client, a_server = Pipe()
    b_client, b_server = Pipe()
    c_client, c_server = Pipe()
    srv = Process(target=server, args=(a_server, b_server, c_server))
    ca = Process(target=client, args=(a_client, 1, 5))
    cb = Process(target=client, args=(b_client, 100, 3))
    cc = Process(target=client, args=(c_client, -12, 10))
    for p in [srv, ca, cb, cc]:
        p.start()
    for p in [ca, cb, cc, srv]:
        p.join()
    print(f"clients exited with {ca.exitcode}, {cb.exitcode}, {cc.exitcode}")
