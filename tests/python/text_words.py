# Text processing in workers: each worker cleans its lines (lower case,
# punctuation stripped, split into words) and sends the words back as one
# joined string; the parent counts words and lays out a table.
from multiprocessing import Process, Queue, set_start_method

def clean(line):
    words = []
    for w in line.lower().split():
        w = w.strip(".,;:!?\"'()")
        if w != "":
            words.append(w)
    return words

def worker(lines, index, workers, out):
    for i in range(index, len(lines), workers):
        out.put(f"{i}|" + " ".join(clean(lines[i])))

if __name__ == "__main__":
    set_start_method("fork")
    lines = [
        "It was the best of times, it was the worst of times;",
        "it was the age of wisdom, it was the age of foolishness...",
        "  (The) END!  ",
        "",
        "Naïve café: the café, THE end.",
    ]
    out = Queue()
    workers = [Process(target=worker, args=(lines, i, 2, out)) for i in range(2)]
    for w in workers:
        w.start()
    cleaned = [""] * len(lines)
    for _ in lines:
        parts = out.get().split("|", 1)
        cleaned[int(parts[0])] = parts[1]
    for w in workers:
        w.join()
    for i in range(len(lines)):
        print(str(i).rjust(3), "|", cleaned[i].ljust(40, "."), "|", len(cleaned[i].split()))
    words = " ".join(cleaned).split()
    for word in ["the", "was", "end", "café", "zebra"]:
        n = 0
        for w in words:
            if w == word:
                n += 1
        print(word.center(9, "*"), n)
    text = " ".join(words)
    print(cleaned[0].replace("was", "is", 2).upper())
    print("first 'age' at", text.find("age"), "last at", text.rfind("age"), "none at", text.find("zebra"))
    print("times:", text.count("times"), "ends with end:", text.endswith("end"), "zfill:", "-42".zfill(6))
