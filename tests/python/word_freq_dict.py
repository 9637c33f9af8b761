# Word frequencies with dicts: workers count the words of every third
# line into a dict and send it through a queue; the parent merges the
# dicts and prints the items sorted, then a set of the words seen once.
from multiprocessing import Process, Queue, set_start_method

def worker(lines, index, workers, results):
    counts = {}
    for i in range(index, len(lines), workers):
        for w in lines[i].lower().split():
            counts[w] = counts.get(w, 0) + 1
    results.put(counts)

if __name__ == "__main__":
    set_start_method("fork")
    lines = [
        "the quick brown fox jumps over the lazy dog",
        "The dog sleeps",
        "",
        "naïve café naïve über",
        "fox and dog and fox",
        "日本語 の テキスト の",
        "the end",
    ]
    results = Queue()
    workers = [Process(target=worker, args=(lines, i, 3, results)) for i in range(3)]
    for w in workers:
        w.start()
    total = {}
    for _ in range(3):
        part = results.get()
        for w, n in part.items():
            total[w] = total.get(w, 0) + n
    for w in workers:
        w.join()
    for w, n in sorted(total.items()):
        print(f"{w}: {n}")
    once = {w for w, n in total.items() if n == 1}
    print("words:", len(total), "seen once:", len(once))
    print(sorted(once))
    print("most:", max(total.values()), [w for w in sorted(total) if total[w] == max(total.values())])
