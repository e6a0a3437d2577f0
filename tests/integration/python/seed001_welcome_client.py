# Seed 001's client.py for its welcome server (server.py), in the seed's Python 2.
#
# The seed page's two code blocks came through empty (its "python code" headings have nothing
# under them); its text keeps what this client does: connect, time.sleep(2), sock.send('1'),
# print the reply ("welcome to server!"), and the two edits it suggests: send something else
# ("please go out!") or sleep more than 5 s (the server times out). Host and port, the
# message and the sleep come from the command line; nothing else is added.
#
# Usage: python2 seed001_welcome_client.py HOST PORT [MESSAGE [SLEEP_S]]
import socket
import sys
import time

HOST = sys.argv[1]
PORT = int(sys.argv[2])
MESSAGE = sys.argv[3] if len(sys.argv) > 3 else '1'
SLEEP = float(sys.argv[4]) if len(sys.argv) > 4 else 2

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((HOST, PORT))
time.sleep(SLEEP)
sock.send(MESSAGE)
print sock.recv(1024)
sock.close()
