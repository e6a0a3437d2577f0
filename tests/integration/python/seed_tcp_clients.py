"""The seeds' TCP clients, unchanged except for host and port (stdlib only, Python 3.6+).

Usage: seed_tcp_clients.py HOST UPPER_PORT ECHO_PORT
Prints one line per scenario: `name: repr(received)`. The test asserts the whole output.
"""
import socket
import sys
import threading
from socket import AF_INET, SOCK_STREAM

HOST = sys.argv[1]
UPPER_PORT = int(sys.argv[2])
ECHO_PORT = int(sys.argv[3])


def seed003_client(data):
    # seed 003, client.py: sendall the text, then one recv(1024)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, UPPER_PORT))
        sock.sendall(bytes(data, "utf-8"))
        received_data = sock.recv(1024)
    return received_data


def seed004_echo():
    # seed 004, the interactive session against the socketserver EchoHandler
    s = socket.socket(AF_INET, SOCK_STREAM)
    s.connect((HOST, ECHO_PORT))
    sent = s.send(b"Hello")
    got = s.recv(8192)
    s.close()
    return sent, got


def seed004_stream_lines():
    # seed 004, StreamRequestHandler: the server writes back each line it reads
    s = socket.create_connection((HOST, ECHO_PORT))
    f = s.makefile("rwb")
    out = []
    for line in (b"first line\n", b"second line\n"):
        f.write(line)
        f.flush()
        out.append(f.readline())
    s.close()
    return out


print("seed003 client: %r" % seed003_client("Hello world 123"))

# seed 003, "open two clients and watch": both are served at the same time
results = {}
threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, seed003_client(n))) for n in ("Hello world 123", "Hello world")]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("seed003 two clients: %r" % sorted(results.values()))
print("seed004 echo: %r" % (seed004_echo(),))
print("seed004 stream lines: %r" % seed004_stream_lines())
