# Process names and daemons: name= for a process and for each member of
# a group, current_process() in a child and in the parent, and a daemon
# still running when the parent ends (terminated, as Python does).
import time
from multiprocessing import Process, Queue, current_process, set_start_method


def who(q):
    me = current_process()
    q.put(f"{me.name} daemon={me.daemon}")


def forever(q):
    q.put(f"{current_process().name} is running")
    time.sleep(1000)


if __name__ == '__main__':
    set_start_method('fork')
    q = Queue()
    a = Process(target=who, args=(q,), name="alpha")
    b = [Process(target=who, args=(q,), name=f"beta-{i}") for i in range(2)]
    d = Process(target=forever, args=(q,), name="sleeper", daemon=True)
    e = Process(target=who, args=(q,), name="étoile ★", daemon=True)
    a.start()
    for p in b:
        p.start()
    d.start()
    e.start()
    a.join()
    for p in b:
        p.join()
    e.join()
    print(sorted([q.get() for _ in range(5)]))
    print(a.name, b[0].name, b[1].name, d.name, e.name)
    print("daemons:", a.daemon, b[0].daemon, d.daemon, e.daemon)
    print("parent:", current_process().name, current_process().daemon)
    print("sleeper alive:", d.is_alive())
