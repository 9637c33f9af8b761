# Matrix product by rows: each worker computes some rows of A x B and
# sends them back as [row index, values...]; booleans and floats travel
# on queues of their own.
from multiprocessing import Process, Queue, set_start_method

def rows(a, b, index, workers, out, flags, norms):
    for i in range(index, len(a), workers):
        row = [i]
        for j in range(len(b[0])):
            s = 0
            for k in range(len(b)):
                s += a[i][k] * b[k][j]
            row.append(s)
        out.put(row)
        flags.put(row[1] > 0)
        norms.put((row[1] * row[1] + row[2] * row[2]) ** 0.5)

if __name__ == "__main__":
    set_start_method("fork")
    a = [[1, 2, 3], [4, 5, 6], [-7, 8, -9], [0, 0, 1], [2, -2, 2]]
    b = [[1, 0], [0, 1], [3, -3]]
    out = Queue()
    flags = Queue()
    norms = Queue()
    workers = [Process(target=rows, args=(a, b, i, 2, out, flags, norms)) for i in range(2)]
    for w in workers:
        w.start()
    product = [[], [], [], [], []]
    positive = 0
    norm_sum = 0.0
    for _ in range(len(a)):
        r = out.get()
        product[r[0]] = [r[1], r[2]]
        if flags.get():
            positive += 1
        norm_sum += norms.get()
    for w in workers:
        w.join()
    print("product:", product)
    print("rows with a positive first column:", positive)
    print("norms add up to more than 40:", norm_sum > 40)
