# A group of workers updating two shared counters under one lock.
from multiprocessing import Process, Value, set_start_method

def work(hits, amount, index, rounds):
    for _ in range(rounds):
        with hits.get_lock():
            hits.value += 1
            amount.value += 0.5 * (index + 1)

if __name__ == "__main__":
    set_start_method("fork")
    hits = Value("i", 0)
    amount = Value("d", 0.0)
    workers = [Process(target=work, args=(hits, amount, i, 1000)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("hits:", hits.value)
    print("amount:", amount.value)
    print("per hit:", amount.value / hits.value)
