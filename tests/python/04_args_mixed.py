# Notebook demo 4: positional and keyword arguments.
import multiprocessing

def worker(name, age):
    """Function to be executed by the child process"""
    print(f"Worker process executing with name: {name} and age: {age}")

if __name__ == '__main__':
    multiprocessing.set_start_method('fork')
    # Create a new process with positional and keyword arguments
    process = multiprocessing.Process(target=worker, args=('John',), kwargs={'age': 25})

    # Start the process
    process.start()

    # Wait for the process to complete
    process.join()

    print("Parent process executing")
