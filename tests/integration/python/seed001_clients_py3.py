"""Seed 001's three clients with the one change Python 3 needs: the strings sent are bytes.

Python 3 refuses sock.send('...') with a str, so the seed's Python 2 clients cannot run there
as printed; here each literal sent is b'...' and the welcome client's print statement is a
call. Everything else is the seed's: recv(1024) / recv(4096), and '%s' % recv, which under
Python 3 prints the bytes' repr (b'...').

Usage: python3 seed001_clients_py3.py HOST PORT welcome [MESSAGE [SLEEP_S]]
       python3 seed001_clients_py3.py HOST PORT tcp|udp
"""
import socket
import sys
import time

HOST, PORT, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
BUFFER = 4096

if MODE == 'welcome':
    MESSAGE = (sys.argv[4] if len(sys.argv) > 4 else '1').encode('utf-8')
    SLEEP = float(sys.argv[5]) if len(sys.argv) > 5 else 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((HOST, PORT))
    time.sleep(SLEEP)
    sock.send(MESSAGE)
    print(sock.recv(1024))
    sock.close()
else:
    kind = socket.SOCK_STREAM if MODE == 'tcp' else socket.SOCK_DGRAM
    sock = socket.socket(socket.AF_INET, kind)
    sock.connect((HOST, PORT))
    sock.send(b'hello, tcpServer!')
    recv = sock.recv(BUFFER)
    print('[tcpServer said]: %s' % recv)
    sock.close()
