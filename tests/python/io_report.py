# Input and output around worker processes: the arguments say how many
# workers and which file to write; the items come from standard input; the
# workers price their share and send rows back; the parent writes a report
# file, reads it back, and prints it with format specifications.
import os
import sys
from multiprocessing import Process, Queue, cpu_count, set_start_method

def price(rows, out):
    for name, count, unit in rows:
        out.put((name, count, unit, count * unit))
    out.put(None)

if __name__ == "__main__":
    set_start_method("fork")
    workers = int(sys.argv[1])
    path = sys.argv[2]
    rows = []
    for line in sys.stdin:
        name, count, unit = line.split()
        rows.append((name, int(count), float(unit)))
    print("read", len(rows), "items for", workers, "workers;", "cpus:", cpu_count() >= 1)
    print("mode:", os.getenv("MPC_SURELY_UNSET_MODE", "plain"), os.getenv("MPC_SURELY_UNSET_MODE"))
    out = Queue()
    procs = [Process(target=price, args=(rows[i::workers], out)) for i in range(workers)]
    for p in procs:
        p.start()
    priced = []
    done = 0
    while done < workers:
        item = out.get()
        if item is None:
            done += 1
        else:
            priced.append(item)
    for p in procs:
        p.join()
    priced.sort()
    with open(path, "w") as f:
        for name, count, unit, total in priced:
            f.write(f"{name} {count} {unit} {total}\n")
    print("wrote", len(priced), "lines", file=sys.stderr)
    f = open(path)
    first = f.readline()
    rest = f.readlines()
    f.close()
    print("first line:", repr(first))
    print(f"{'item':<10}|{'count':>6}|{'unit':>9}|{'total':>12}")
    grand = 0.0
    for line in [first] + rest:
        name, count, unit, total = line.split()
        grand += float(total)
        print(f"{name:<10}|{int(count):>6,}|{float(unit):>9.3f}|{float(total):>12,.2f}")
    print(f"{'':-^40}")
    print(f"{'grand total':<17}{grand:>23,.2f}")
    print(f"{grand:08.1f} {grand:e} {len(priced)!r} {path!r} {int(grand):x} {0.5:.0%}")
    try:
        open("missing/nowhere.txt")
    except OSError as e:
        print("OSError:", e)
