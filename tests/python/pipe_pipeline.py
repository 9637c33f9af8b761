# A pipeline of three processes joined by one-way pipes:
#   generate --> square --> report
# Each stage passes the sentinel on and stops.
from multiprocessing import Process, Pipe, set_start_method

SENTINEL = -1

def generate(out, count):
    for n in range(1, count + 1):
        out.send(n)
    out.send(SENTINEL)

def square(inp, out):
    while True:
        n = inp.recv()
        if n == SENTINEL:
            out.send(SENTINEL)
            break
        out.send(n * n)

def report(inp):
    count = 0
    total = 0
    while True:
        n = inp.recv()
        if n == SENTINEL:
            break
        count += 1
        total += n
        if count <= 3:
            print(f"square {count}: {n}")
    print(f"{count} squares, sum {total}")

if __name__ == "__main__":
    set_start_method("fork")
    numbers_rx, numbers_tx = Pipe(duplex=False)
    squares_rx, squares_tx = Pipe(duplex=False)
    first = Process(target=generate, args=(numbers_tx, 500))
    second = Process(target=square, args=(numbers_rx, squares_tx))
    third = Process(target=report, args=(squares_rx,))
    first.start()
    second.start()
    third.start()
    first.join()
    second.join()
    third.join()
    print("stages exited with", first.exitcode, second.exitcode, third.exitcode)
