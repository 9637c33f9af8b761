# Notebook demo 6: a producer and a consumer sharing a queue.
# Change for determinism: the notebook's consumer loops while the queue
# is not empty, which races the producer (started first, the consumer may
# see an empty queue and quit). Here it takes the three items it expects.
from multiprocessing import Process, Queue, set_start_method

def producer(queue):
   queue.put("Item 1")
   queue.put("Item 2")
   queue.put("Item 3")

def consumer(queue):
   for _ in range(3):
       item = queue.get()
       print("Consumed:", item)

if __name__ == '__main__':
   set_start_method('fork')
   queue = Queue()

   producer_process = Process(target=producer, args=(queue,))
   consumer_process = Process(target=consumer, args=(queue,))

   producer_process.start()
   consumer_process.start()

   producer_process.join()
   consumer_process.join()
