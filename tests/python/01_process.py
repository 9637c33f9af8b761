# Notebook demo 1: create one child process.
# Change for determinism: the parent prints after join, not while the
# child runs, so the order of the two lines is fixed.
import multiprocessing
import os

def worker():
    """Function to be executed by the child process"""
    print(f'Worker process executing with PID: {os.getpid()}')


if __name__ == '__main__':
    multiprocessing.set_start_method('fork')
    # Create a new process
    process = multiprocessing.Process(target=worker)

    # Start the process
    process.start()

    # Wait for the process to complete
    process.join()

    print(f'Parent process executing with PID: {os.getpid()}')
