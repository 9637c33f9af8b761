# Floats in shared memory: each worker sums its part of the Leibniz
# series for pi into its own slot; the parent adds the slots in order.
from multiprocessing import Process, Array, Value, set_start_method

def partial(slots, done, index, workers, terms):
    total = 0.0
    for k in range(index, terms, workers):
        sign = 1.0
        if k % 2 == 1:
            sign = -1.0
        total += sign / (2 * k + 1)
    slots[index] = total
    with done.get_lock():
        done.value += 1

if __name__ == "__main__":
    set_start_method("fork")
    slots = Array("d", 4)
    done = Value("i", 0)
    group = [Process(target=partial, args=(slots, done, i, 4, 100000)) for i in range(4)]
    for p in group:
        p.start()
    for p in group:
        p.join()
    pi = 0.0
    for s in slots:
        pi += s
    print("workers done:", done.value)
    print("pi is about", 4 * pi)
    print("error:", abs(4 * pi - 3.141592653589793) < 0.0001)
    print("slots:", slots[:])
