# Uncaught exceptions: a child that fails ends with exit code 1 and the
# parent goes on; the parent's own uncaught exception ends the program
# with status 1.
from multiprocessing import Process, Queue, set_start_method

def locate(text, word, out):
    out.put(text.index(word))

if __name__ == "__main__":
    set_start_method("fork")
    out = Queue()
    found = Process(target=locate, args=("find the needle here", "needle", out))
    found.start()
    print("needle at", out.get())
    found.join()
    missing = Process(target=locate, args=("no such thing", "needle", out))
    missing.start()
    missing.join()
    print("exit codes:", found.exitcode, missing.exitcode)
    print("a,b,,c".split(","), "a,b,,c".split(""))
    print("not reached")
