# Notebook demo 7: five processes increment one shared counter.
# Change for determinism: `counter.value += 1` is a read and a write that
# another process can slip between; the counter's lock makes it one step.
from multiprocessing import Process, Value, set_start_method

def increment_counter(counter):
   with counter.get_lock():
       counter.value += 1

if __name__ == '__main__':
   set_start_method('fork')
   counter = Value('i', 0)

   processes = []
   for _ in range(5):
       process = Process(target=increment_counter, args=(counter,))
       processes.append(process)
       process.start()

   for process in processes:
       process.join()

   print("Counter value:", counter.value)
