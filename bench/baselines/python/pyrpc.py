"""The bench's Python RPC baselines: the seed programs netlab's RPC service replaces, unchanged
in what they measure, both in one process (one thread each, Python 3.11 stdlib only).

- XML-RPC on port 15000: the seed's plain ``SimpleXMLRPCServer(('', 15000), allow_none=True)``
  (one request at a time, a new HTTP/1.0 connection per call, as the issue's 1.8k calls/s
  reference figure was measured), registering ``add``, ``sub`` and ``echo`` like netlab's.
- multiprocessing.connection RPC on port 17000: the seed's ``RPCHandler`` (the call and the
  result each pickled twice: ``pickle.dumps`` inside ``Connection.send``) with one thread per
  client (``rpc_server``), the issue's 26k calls/s at 8 clients reference. One change from the
  seed: a listen backlog of 128 instead of ``Listener``'s default of 1. The seed's accept loop
  runs each client's authkey handshake in turn, and with a backlog of 1 the kernel drops most
  of 32 simultaneous SYNs, whose retransmit timers (1, 3, 7, 15, 31 s...) then dominate the
  step: measured here, 32 seed clients had not all connected after two minutes. The calls
  themselves are unchanged. The XML-RPC server keeps the seed's socketserver backlog of 5:
  a new connection per call is what that baseline is.

The authkey comes from ``BENCH_AUTHKEY``, which ``make bench`` sets to a new random key for each
run. The server unpickles what it receives, so without a key, or with the seeds' public key
``peekaboo``, it refuses to start (exit 2).

    python3 pyrpc.py          serve both until SIGTERM/SIGINT (exit 0)
    python3 pyrpc.py check    one add(2, 3) over each transport; exit 0 when both answer 5
"""

import os
import pickle
import signal
import sys
import threading
import traceback
from multiprocessing.connection import Client, Listener
from xmlrpc.client import ServerProxy
from xmlrpc.server import SimpleXMLRPCServer

XMLRPC_PORT = 15000
MPCONN_PORT = 17000
SEED_AUTHKEY = "peekaboo"


def authkey():
    """BENCH_AUTHKEY, or exit 2: never no key, never the seeds' public one."""
    key = os.environ.get("BENCH_AUTHKEY", "")
    if key == "" or key == SEED_AUTHKEY:
        why = "is not set" if key == "" else "is the seeds' public key"
        print(
            f"pyrpc: BENCH_AUTHKEY {why}: this server unpickles what it receives; "
            "`make bench` gives each run its own random key",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(2)
    return key.encode()


def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def echo(value):
    return value


class RPCHandler:
    """The seed's pickle RPC dispatcher (seed 004), one call per message."""

    def __init__(self):
        self._functions = {}

    def register_function(self, func):
        self._functions[func.__name__] = func

    def handle_connection(self, connection):
        try:
            while True:
                func_name, args, kwargs = pickle.loads(connection.recv())
                try:
                    r = self._functions[func_name](*args, **kwargs)
                    connection.send(pickle.dumps(r))
                except Exception as e:
                    connection.send(pickle.dumps(e))
        except EOFError:
            pass
        finally:
            connection.close()


def rpc_server(handler, address, authkey):
    """The seed's accept loop: one daemon thread per client. A client that fails the
    authkey challenge is reported and skipped (the seed would die on it)."""
    sock = Listener(address, authkey=authkey, backlog=128)
    while True:
        try:
            client = sock.accept()
        except Exception:
            traceback.print_exc()
            continue
        t = threading.Thread(target=handler.handle_connection, args=(client,), daemon=True)
        t.start()


def serve():
    key = authkey()
    xml = SimpleXMLRPCServer(("", XMLRPC_PORT), allow_none=True, logRequests=False)
    for f in (add, sub, echo):
        xml.register_function(f)
    handler = RPCHandler()
    for f in (add, sub, echo):
        handler.register_function(f)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=xml.serve_forever, daemon=True).start()
    threading.Thread(target=rpc_server, args=(handler, ("", MPCONN_PORT), key), daemon=True).start()
    print(f"listening xmlrpc={XMLRPC_PORT} mpconn={MPCONN_PORT}", flush=True)
    stop.wait()
    print("shutting down", flush=True)
    return 0


def check():
    """One real call over each transport (the container's health check)."""
    import socket

    key = authkey()
    socket.setdefaulttimeout(3)
    if ServerProxy(f"http://127.0.0.1:{XMLRPC_PORT}", allow_none=True).add(2, 3) != 5:
        return 1
    c = Client(("127.0.0.1", MPCONN_PORT), authkey=key)
    try:
        c.send(pickle.dumps(("add", (2, 3), {})))
        if pickle.loads(c.recv()) != 5:
            return 1
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if mode == "serve":
        sys.exit(serve())
    if mode == "check":
        sys.exit(check())
    print(f"usage: pyrpc.py [serve|check] (got {mode!r})", file=sys.stderr)
    sys.exit(2)
