# A word count over a list of strings: workers take every third line,
# count its words and characters, and report [line, words, chars].
from multiprocessing import Process, Queue, set_start_method

def count_words(line):
    words = 0
    inside = False
    for ch in line:
        if ch == " ":
            inside = False
        elif not inside:
            inside = True
            words += 1
    return words

def worker(lines, index, workers, results):
    for i in range(index, len(lines), workers):
        results.put([i, count_words(lines[i]), len(lines[i])])

if __name__ == "__main__":
    set_start_method("fork")
    lines = [
        "the quick brown fox",
        "",
        "   leading and trailing   ",
        "naïve café über straße",
        "one",
        "日本語 の テキスト",
        "a  b   c    d",
        "emoji 🎉 count 🎉",
    ]
    results = Queue()
    workers = [Process(target=worker, args=(lines, i, 3, results)) for i in range(3)]
    for w in workers:
        w.start()
    words = [0] * len(lines)
    chars = [0] * len(lines)
    for _ in range(len(lines)):
        r = results.get()
        words[r[0]] = r[1]
        chars[r[0]] = r[2]
    for w in workers:
        w.join()
    total = 0
    for i in range(len(lines)):
        print(f"{i}: {words[i]} words, {chars[i]} chars: {lines[i]}")
        total += words[i]
    print("total words:", total)
