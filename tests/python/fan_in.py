# Fan-in: several producers put tagged strings into one queue; the parent
# checks that each producer's messages arrive in its own order.
from multiprocessing import Process, Queue, set_start_method

def produce(q, index, count):
    for j in range(count):
        q.put(f"{index}:{j}:" + "x" * (j * 100))

if __name__ == "__main__":
    set_start_method("fork")
    q = Queue()
    producers = [Process(target=produce, args=(q, i, 6 + i)) for i in range(4)]
    for p in producers:
        p.start()
    expected = 6 + 7 + 8 + 9
    received = [0, 0, 0, 0]
    in_order = True
    longest = 0
    for _ in range(expected):
        msg = q.get()
        index = int(msg[0])
        # msg is "I:J:xxx..."; J is what this producer sent so far
        j = 0
        k = 2
        while msg[k] != ":":
            j = j * 10 + int(msg[k])
            k += 1
        if j != received[index]:
            in_order = False
        received[index] += 1
        longest = max(longest, len(msg))
    for p in producers:
        p.join()
    print("received per producer:", received)
    print("each in its order:", in_order)
    print("longest message:", longest)
