"""A client for seed 002's threaded TCP server (its tcplink()), for Python 2.7 and 3.x unchanged.

Seed 002 prints the server and, for UDP, the client loop over b'Michael', b'Tracy', b'Sarah'
that prints each reply; this is that loop over TCP, plus what tcplink() expects on a
connection: read the b'Welcome!' it sends first, and send b'exit' at the end.

Usage: python seed002_hello_client.py HOST PORT
"""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((sys.argv[1], int(sys.argv[2])))
print(s.recv(1024).decode('utf-8'))
for data in [b'Michael', b'Tracy', b'Sarah']:
    s.send(data)
    print(s.recv(1024).decode('utf-8'))
s.send(b'exit')
s.close()
