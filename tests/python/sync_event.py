# An Event as a start gate: four runners wait at it; each finds the flag
# the parent set before it opened the gate.
from ctypes import c_bool
from multiprocessing import Process, Event, Queue, Value, set_start_method

def runner(i, go, opened, out):
    go.wait()
    out.put(f"runner {i} started after the gate opened: {opened.value}")

if __name__ == "__main__":
    set_start_method("fork")
    go = Event()
    opened = Value(c_bool, False)
    out = Queue()
    runners = [Process(target=runner, args=(i, go, opened, out)) for i in range(4)]
    for p in runners:
        p.start()
    print("set?", go.is_set(), go.wait(0.01))
    opened.value = True
    go.set()
    lines = [out.get() for _ in range(4)]
    for p in runners:
        p.join()
    for line in sorted(lines):
        print(line)
    go.clear()
    print("cleared:", go.is_set(), go.wait(timeout=0.01))
