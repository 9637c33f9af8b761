# poll() on a pipe: nothing is ready until the child is told to answer;
# poll with a timeout then waits for the answer.
from multiprocessing import Process, Pipe, set_start_method

def answer(conn):
    while True:
        question = conn.recv()
        if question == 0:
            break
        conn.send(question * 1.5)

if __name__ == "__main__":
    set_start_method("fork")
    mine, theirs = Pipe()
    child = Process(target=answer, args=(theirs,))
    child.start()
    print("ready before asking:", mine.poll())
    for q in [2, 7, -4]:
        mine.send(q)
        print("ready within 30 s:", mine.poll(30))
        print("answer:", mine.recv())
    print("ready after the answers:", mine.poll(0.01))
    mine.send(0)
    child.join()
    print("exit code:", child.exitcode)
