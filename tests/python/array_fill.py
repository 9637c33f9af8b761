# Workers fill a shared array, each its own interleaved share of the
# indexes; a second array of floats gets one slot per worker.
from multiprocessing import Process, Array, set_start_method

def fill(squares, means, index, workers):
    total = 0
    count = 0
    for i in range(index, len(squares), workers):
        squares[i] = i * i - 10
        total += squares[i]
        count += 1
    means[index] = total / count

if __name__ == "__main__":
    set_start_method("fork")
    squares = Array("i", 14)
    means = Array("d", 3)
    workers = [Process(target=fill, args=(squares, means, i, 3)) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("squares:", squares[:])
    print("means:", means[:])
    print("length:", len(squares), "first:", squares[0], "last:", squares[len(squares) - 1])
