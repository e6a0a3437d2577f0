"""The seeds' UDP clients, unchanged except for host and port (stdlib only, Python 3.6+).

Usage: seed_udp_clients.py HOST CTIME_PORT HELLO_PORT
Prints one line per scenario; the test asserts the whole output.
"""
import re
import socket
import sys
from socket import AF_INET, SOCK_DGRAM

HOST = sys.argv[1]
CTIME_PORT = int(sys.argv[2])
HELLO_PORT = int(sys.argv[3])

# seed 004: the interactive session against the socketserver UDP time server
s = socket.socket(AF_INET, SOCK_DGRAM)
s.settimeout(5)  # added: the seed would block forever if a datagram were lost
sent = s.sendto(b"", (HOST, CTIME_PORT))
data, addr = s.recvfrom(8192)
s.close()
print("seed004 sendto: %r" % sent)
print("seed004 ctime shape: %s" % bool(re.match(rb"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$", data)))
print("seed004 reply from server port: %s" % (addr[1] == CTIME_PORT))

# seed 002: the UDP client loop over three names
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)  # added, as above
for data in [b"Michael", b"Tracy", b"Sarah"]:
    s.sendto(data, (HOST, HELLO_PORT))
    print(s.recv(1024).decode("utf-8"))
s.close()
