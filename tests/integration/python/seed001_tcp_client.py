# Seed 001's client for its tcpServer, as printed (Python 2), but HOST and PORT from argv.
# Usage: python2 seed001_tcp_client.py HOST PORT
import socket
import sys

HOST=sys.argv[1]

PORT=int(sys.argv[2])

BUFFER=4096

sock=socket.socket(socket.AF_INET,socket.SOCK_STREAM)

sock.connect((HOST,PORT))

sock.send('hello, tcpServer!')

recv=sock.recv(BUFFER)

print('[tcpServer said]: %s' % recv)

sock.close()
