# Exit codes: a normal end, sys.exit(n), terminate() and kill() of a
# process that would otherwise wait forever.
import sys
from multiprocessing import Process, Queue, set_start_method

def finish(code):
    if code != 0:
        sys.exit(code)
    print("finish: returning normally")

def wait_forever(q):
    q.get()  # nothing arrives before the signal

if __name__ == "__main__":
    set_start_method("fork")
    q = Queue()
    ok = Process(target=finish, args=(0,))
    three = Process(target=finish, args=(3,))
    big = Process(target=finish, args=(255,))
    stuck = Process(target=wait_forever, args=(q,))
    doomed = Process(target=wait_forever, args=(q,))
    ok.start()
    three.start()
    big.start()
    stuck.start()
    doomed.start()
    ok.join()
    three.join()
    big.join()
    print("ok:", ok.exitcode, "three:", three.exitcode, "big:", big.exitcode)
    print("stuck alive:", stuck.is_alive())
    stuck.terminate()
    stuck.join()
    print("after terminate:", stuck.exitcode, stuck.is_alive())
    doomed.kill()
    doomed.join()
    print("after kill:", doomed.exitcode, doomed.is_alive())
    q.put(0)
