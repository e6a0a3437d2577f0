"""Seed 004's echo client and RPCProxy, unchanged, over a matrix of values; runs on 2.7 and 3.6+.

Usage: python mp_matrix.py HOST MP_ECHO_PORT MP_RPC_PORT AUTHKEY
Prints one line per check: `<echo|rpc|refused> <value> ok` or `... FAIL <what came back>`.
"""
from __future__ import print_function

import collections
import datetime
import decimal
import os
import pickle
import subprocess
import sys
from multiprocessing.connection import Client

host = sys.argv[1]
eport, rport = int(sys.argv[2]), int(sys.argv[3])
authkey = sys.argv[4].encode()

VALUES = collections.OrderedDict([
    ('None', None),
    ('bool', True),
    ('bigint', 2 ** 100),
    ('float', 1.5),
    ('str', u'h\xe9llo \u2713'),
    ('bytes', b'\x00\xff'),
    ('tuple', (1, u'a')),
    ('list', [1, [2]]),
    ('dict', {u'a': 1, 2: (3,)}),
    ('set', {1, 2}),
    ('frozenset', frozenset([3])),
    ('datetime', datetime.datetime(2024, 2, 29, 13, 5, 9, 123456)),
    ('Decimal', decimal.Decimal('1.50')),
    ('OrderedDict', collections.OrderedDict([(u'b', 1), (u'a', 2)])),
    ('complex', complex(1.5, -2)),
])


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, collections.OrderedDict):
        return list(a.items()) == list(b.items())
    return a == b


def report(kind, name, ok, got):
    print(kind, name, 'ok' if ok else 'FAIL %r' % (got,))


# --- seed 004's echo client ---------------------------------------------------------
c = Client((host, eport), authkey=authkey)
for name, x in VALUES.items():
    c.send(x)
    y = c.recv()
    report('echo', name, same(x, y), y)
c.close()


# --- seed 004's RPCProxy, as printed there --------------------------------------------
class RPCProxy:
    def __init__(self, connection):
        self._connection = connection

    def __getattr__(self, name):
        def do_rpc(*args, **kwargs):
            self._connection.send(pickle.dumps((name, args, kwargs)))
            result = pickle.loads(self._connection.recv())
            if isinstance(result, Exception):
                raise result
            return result
        return do_rpc


c = Client((host, rport), authkey=authkey)
proxy = RPCProxy(c)
for name, x in VALUES.items():
    y = proxy.echo(x)
    report('rpc', name, same(x, y), y)
y = proxy.add(decimal.Decimal('1.1'), decimal.Decimal('2.2'))
report('rpc', 'add(Decimal, Decimal)', same(y, decimal.Decimal('3.3')), y)
y = proxy.add(datetime.timedelta(hours=1), datetime.timedelta(minutes=30))
report('rpc', 'add(timedelta, timedelta)', same(y, datetime.timedelta(seconds=5400)), y)
try:
    y = proxy.sub([1, 2], 4)
    report('rpc', 'exception', False, y)
except TypeError as e:
    report('rpc', 'exception', str(e) == "unsupported operand type(s) for -: 'list' and 'int'", e)
c.close()


# --- code the allow-list refuses: each is answered with ValueError, then EOF ---------------
class Evil(object):
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


for name, evil in [('os.system', Evil(os.system, ('true',))), ('eval', Evil(eval, ('1',))),
                   ('subprocess.Popen', Evil(subprocess.Popen, (['true'],))),
                   ('getattr', Evil(getattr, ('x', 'upper')))]:
    c = Client((host, eport), authkey=authkey)
    c.send(evil)
    y = c.recv()
    refused = type(y) is ValueError and 'netlab refused the pickle: refused pickle opcode' in str(y)
    try:
        c.recv()
        closed = False
    except EOFError:
        closed = True
    report('refused', name, refused and closed, y)

# the service keeps serving
c = Client((host, eport), authkey=authkey)
c.send(u'still here')
report('echo', 'after refusals', c.recv() == u'still here', None)
