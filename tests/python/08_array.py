# Notebook demo 8: two processes square every element of a shared array.
# Change for determinism: each element is read and written back under the
# array's lock, so no square is lost to the other process.
from multiprocessing import Process, Array, set_start_method

def square_numbers(numbers):
   for i in range(len(numbers)):
       with numbers.get_lock():
           numbers[i] = numbers[i] ** 2

if __name__ == '__main__':
   set_start_method('fork')
   numbers = [1, 2, 3, 4, 5]
   shared_numbers = Array('i', numbers)

   processes = []
   for _ in range(2):
       process = Process(target=square_numbers, args=(shared_numbers,))
       processes.append(process)
       process.start()

   for process in processes:
       process.join()

   print("Shared numbers:", shared_numbers[:])
