# What a parent can know about its children: names, pids, is_alive, and
# join with a timeout on a child that is still waiting.
import os
from multiprocessing import Process, Pipe, set_start_method

def report(conn):
    conn.send(os.getpid())
    conn.send(os.getppid())

def wait_for_go(conn):
    go = conn.recv()
    print(f"waiter got {go}")

if __name__ == "__main__":
    set_start_method("fork")
    here, there = Pipe()
    info = Process(target=report, args=(there,), name="info")
    print("before start, alive:", info.is_alive())
    info.start()
    child_pid = here.recv()
    parent_pid = here.recv()
    info.join()
    print("name:", info.name)
    print("child knows its pid:", child_pid == info.pid)
    print("child knows its parent:", parent_pid == os.getpid())
    print("child pid differs:", info.pid != os.getpid())
    print("after join, alive:", info.is_alive(), "exit code:", info.exitcode)

    go_tx, go_rx = Pipe()
    waiter = Process(target=wait_for_go, args=(go_rx,), name="waiter")
    waiter.start()
    waiter.join(0.05)
    print("after join(0.05):", waiter.name, "alive", waiter.is_alive())
    go_tx.send("go")
    waiter.join()
    print("after go:", waiter.name, "alive", waiter.is_alive(), "exit code", waiter.exitcode)
