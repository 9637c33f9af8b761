# A Condition guards a one-item slot between a producer (the parent) and a
# consumer: each waits while the slot is not as it needs, then notifies.
from ctypes import c_bool
from multiprocessing import Process, Condition, Lock, Value, Queue, set_start_method

def consumer(c, slot, full, out):
    got = []
    while len(got) < 5:
        with c:
            while not full.value:
                c.wait()
            got.append(slot.value)
            full.value = False
            c.notify()
    out.put(f"consumed {got}")

if __name__ == "__main__":
    set_start_method("fork")
    m = Lock()
    c = Condition(m)
    slot = Value("i", 0)
    full = Value(c_bool, False)
    out = Queue()
    p = Process(target=consumer, args=(c, slot, full, out))
    p.start()
    for x in [10, 20, 30, 40, 50]:
        with c:
            while full.value:
                c.wait()
            slot.value = x
            full.value = True
            c.notify()
    print(out.get())
    p.join()
    with c:
        print("notified nobody:", c.wait(0.01))
    try:
        c.notify()
    except AssertionError as e:
        print("AssertionError:", e)
