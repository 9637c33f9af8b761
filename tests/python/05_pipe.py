# Notebook demo 5: a duplex pipe and an acknowledgement protocol.
from multiprocessing import Process, Pipe, connection, set_start_method
from typing import List

def sender(conn: connection.Connection , messages: List[str]):
    for msg in messages:
        # Send message
        conn.send(msg)
        while True:
            response = conn.recv()
            # Check if message is received
            if response == 'ack':
                break
            else:
                # Retry sending the message
                conn.send(msg)

    conn.close()

def receiver(conn: connection.Connection) -> None:
    while True:
        # Receive message
        message = conn.recv()
        # Send acknowledgment
        conn.send('ack')
        print("Received:", message)
        if message == 'Bye':
            print('Closing connection...')
            conn.close()
            break

if __name__ == '__main__':
    set_start_method('fork')
    messages = [
        'Hi',
        'How are you?',
        'Bye'
    ]

    # Create a pipe for communication
    parent_conn, child_conn = Pipe()

    # Create sender and receiver processes
    sender_process = Process(target=sender, args=(parent_conn, messages))
    receiver_process = Process(target=receiver, args=(child_conn,))

    # Start the sender and receiver processes
    sender_process.start()
    receiver_process.start()

    # Wait for the sender and receiver processes to finish
    sender_process.join()
    receiver_process.join()
