"""The bench's seed socket servers: the seeds' own Python servers, run as baselines for netlab's
TCP and UDP services, in one process (Python 3.11 stdlib only, one thread per server).

- TCP upper on port 9999: seed 003's multi-threaded server (``ThreadingMixIn`` + ``TCPServer``
  with ``UpHander``: ``sendall(data.upper())``).
- TCP echo on port 20000: seed 004's ``EchoHandler`` (``recv(8192)`` then ``send``, until EOF)
  under ``ThreadingTCPServer``, as the seed says to serve several clients.
- UDP time on port 20000: seed 004's ``TimeHandler`` under ``UDPServer`` (one datagram at a
  time; the reply is ``time.ctime()`` in ASCII).

Changes from the seeds, all for measuring them: no ``print`` per connection or datagram (the
bench would measure the terminal); seed 003's handler answers every read of a connection
(a loop until EOF, like seed 004's echo) instead of one read and a ``time.sleep(5)``, so a
client can make round trips on one connection; ``daemon_threads`` so SIGTERM is not held up by
open connections; ``allow_reuse_address``. The listen backlog stays socketserver's 5.

    python3 seeds.py          serve all three until SIGTERM/SIGINT (exit 0)
    python3 seeds.py check    one exchange with each; exit 0 when all three answer
"""

import signal
import socket
import socketserver
import sys
import threading
import time

UPPER_PORT = 9999
ECHO_PORT = 20000
TIME_PORT = 20000


class UpHander(socketserver.BaseRequestHandler):
    """Seed 003's handler (its spelling kept): each read goes back upper-cased."""

    def handle(self):
        while True:
            data = self.request.recv(1024)
            if not data:
                break
            self.request.sendall(data.upper())


class EchoHandler(socketserver.BaseRequestHandler):
    """Seed 004's echo handler."""

    def handle(self):
        while True:
            msg = self.request.recv(8192)
            if not msg:
                break
            self.request.send(msg)


class TimeHandler(socketserver.BaseRequestHandler):
    """Seed 004's UDP time handler."""

    def handle(self):
        msg, sock = self.request
        resp = time.ctime()
        sock.sendto(resp.encode("ascii"), self.client_address)


class MultiThreadTcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Seed 003's threaded server."""

    daemon_threads = True
    allow_reuse_address = True


class ThreadingTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class UDPServer(socketserver.UDPServer):
    allow_reuse_address = True


def serve():
    servers = [
        MultiThreadTcpServer(("", UPPER_PORT), UpHander),
        ThreadingTCPServer(("", ECHO_PORT), EchoHandler),
        UDPServer(("", TIME_PORT), TimeHandler),
    ]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"listening tcp upper={UPPER_PORT} tcp echo={ECHO_PORT} udp time={TIME_PORT}", flush=True)
    stop.wait()
    print("shutting down", flush=True)
    return 0


def check():
    """One real exchange with each server (the container's health check)."""
    with socket.create_connection(("127.0.0.1", UPPER_PORT), timeout=3) as s:
        s.sendall(b"abc")
        if s.recv(16) != b"ABC":
            return 1
    with socket.create_connection(("127.0.0.1", ECHO_PORT), timeout=3) as s:
        s.sendall(b"abc")
        if s.recv(16) != b"abc":
            return 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(b"", ("127.0.0.1", TIME_PORT))
        if len(s.recv(64)) != 24:
            return 1
    return 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if mode == "serve":
        sys.exit(serve())
    if mode == "check":
        sys.exit(check())
    print(f"usage: seeds.py [serve|check] (got {mode!r})", file=sys.stderr)
    sys.exit(2)
