# A bounded queue: a fast producer waits while the queue is full; later
# the parent uses the non-blocking calls on items it knows are there.
from multiprocessing import Process, Queue, set_start_method

def produce(q, count):
    for n in range(count):
        q.put(n * n)  # waits while 3 items are queued

def consume(q, count, out):
    total = 0
    for _ in range(count):
        total += q.get(timeout=30)
    out.put(total)

def fill(q):
    q.put_nowait("a")
    q.put_nowait("b")
    q.put_nowait("c")

if __name__ == "__main__":
    set_start_method("fork")
    q = Queue(3)
    out = Queue()
    producer = Process(target=produce, args=(q, 200))
    consumer = Process(target=consume, args=(q, 200, out))
    producer.start()
    consumer.start()
    print("sum of squares:", out.get())
    producer.join()
    consumer.join()

    letters = Queue(3)
    filler = Process(target=fill, args=(letters,))
    filler.start()
    filler.join()
    first = letters.get_nowait()
    second = letters.get_nowait()
    third = letters.get(timeout=5)
    print("got", first, second, third)
    print("empty now:", letters.empty())
