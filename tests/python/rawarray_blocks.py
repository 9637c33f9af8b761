# Element-wise loops over raw arrays (only element i of each array, + - *,
# locals of the body): two workers, each its own half of 1000 elements,
# more than one block of 256 and a partial one each; the results are
# exact and the same as Python's.
from multiprocessing import Process, RawArray, set_start_method

def step(r, s, f, lo, hi, k, c):
    for i in range(lo, hi):
        x = r[i] * k - i
        r[i] = x + s[i]
        y = -r[i]
        y += 3
        s[i] -= y * 2
        f[i] = f[i] * c + r[i] * 2 + 0.5
        f[i] += x

if __name__ == "__main__":
    set_start_method("fork")
    n = 1000
    r = RawArray("q", n)
    s = RawArray("q", n)
    f = RawArray("d", n)
    for i in range(n):
        r[i] = i * 3 - 700
        s[i] = 1000 - i
        f[i] = i / 4
    workers = [Process(target=step, args=(r, s, f, k * 500, k * 500 + 500, 7 + k, 1.5)) for k in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(r[0], r[255], r[256], r[499], r[500], r[999])
    print(s[0], s[511], s[512], s[999])
    print(f[0], f[1], f[700], f[999])
    print(sum(r), sum(s), sum(f))
