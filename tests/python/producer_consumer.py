# Producers and one consumer on a queue; each producer ends with a
# sentinel, and the consumer stops after one sentinel per producer.
from multiprocessing import Process, Queue, set_start_method

SENTINEL = -1

def producer(q, first, count):
    for n in range(first, first + count):
        q.put(n)
    q.put(SENTINEL)  # this producer is done

def consumer(q, producers):
    done = 0
    items = 0
    total = 0
    while done < producers:
        n = q.get()
        if n == SENTINEL:
            done += 1
        else:
            items += 1
            total += n
    print(f"consumer: {items} items from {done} producers, total {total}")

if __name__ == "__main__":
    set_start_method("fork")
    q = Queue()
    producers = [Process(target=producer, args=(q, i * 1000, 250)) for i in range(3)]
    c = Process(target=consumer, args=(q, 3))
    for p in producers:
        p.start()
    c.start()
    for p in producers:
        p.join()
    c.join()
    print("exit codes:", producers[0].exitcode, producers[1].exitcode, producers[2].exitcode, c.exitcode)
