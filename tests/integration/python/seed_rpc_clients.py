"""Seed 004's three remote-call programs, unchanged but for host and port.

Usage: python3 seed_rpc_clients.py HOST XMLRPC_PORT MP_ECHO_PORT MP_RPC_PORT AUTHKEY
Prints one deterministic line per check. Runs on Python 3.6 to 3.13.
"""
import os
import pickle
import sys
from multiprocessing.connection import Client
from xmlrpc.client import Binary, DateTime, Fault, ServerProxy

host = sys.argv[1]
xport, eport, rport = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
authkey = sys.argv[5].encode()

# --- the XML-RPC KeyValueServer session --------------------------------------------
s = ServerProxy('http://%s:%d' % (host, xport), allow_none=True)
s.set('foo', 'bar')
s.set('spam', [1, 2, 3])
print('keys:', sorted(s.keys()))
print('get foo:', s.get('foo'))
print('get spam:', s.get('spam'))
s.delete('spam')
print('exists spam:', s.exists('spam'))
print('add:', s.add(2, 3))
value = {'int': 7, 'big': 2 ** 31 - 1, 'neg': -2 ** 31, 'bool': True, 'float': 1.0, 'str': 'héllo ✓',
         'none': None, 'list': [1, [2, {'x': 'y'}]], 'date': DateTime('20261121T12:34:56'),
         'bytes': Binary(b'\x00\x01\xfe\xff')}
s.set('types', value)
back = s.get('types')
print('round trip:', back == value, type(back['float']).__name__, type(back['int']).__name__)
for call, args in [('get', ('missing',)), ('get', ()), ('nosuch', ()), ('sub', ([1, 2], 4))]:
    try:
        getattr(s, call)(*args)
    except Fault as f:
        print('fault:', f.faultCode, f.faultString)
print('listMethods:', s.system.listMethods())
print('methodSignature:', s.system.methodSignature('add'))
from xmlrpc.client import MultiCall
m = MultiCall(s)
m.add(1, 2)
m.get('missing')
try:
    print('multicall:', list(m()))
except Fault as f:
    print('multicall fault:', f.faultString)

# --- multiprocessing.connection echo -----------------------------------------------
c = Client((host, eport), authkey=authkey)
for x in [None, True, 2 ** 100, -5, 1.5, 'héllo', b'\x00\xff', (1, 'a'), [1, [2]], {'a': 1, 2: (3,)}, {1, 2},
          frozenset([3])]:
    c.send(x)
    y = c.recv()
    print('echo:', repr(y), y == x and type(y) is type(x))
c.close()

# --- the pickle RPC with the seed's RPCProxy ---------------------------------------
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
print('rpc add:', proxy.add(2, 3))
print('rpc sub:', proxy.sub(2, 3))
try:
    proxy.sub([1, 2], 4)
except TypeError as e:
    print('rpc TypeError:', e)
print('rpc get foo:', proxy.get('foo'))
c.close()

# --- hostile input ------------------------------------------------------------------
class Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))

c = Client((host, rport), authkey=authkey)
try:
    c.send(pickle.dumps(Evil()))
    result = pickle.loads(c.recv())
    print('evil rpc:', type(result).__name__, 'STACK_GLOBAL' in str(result) or 'GLOBAL' in str(result))
    c.recv()
except EOFError:
    print('evil rpc: connection closed')
c = Client((host, eport), authkey=authkey)
c.send(Evil())
result = c.recv()
print('evil echo:', type(result).__name__)
try:
    c.recv()
except EOFError:
    print('evil echo: connection closed')
try:
    Client((host, eport), authkey=b'wrong key')
except Exception as e:
    print('wrong key:', type(e).__name__, e)

# leave the store as we found it, so the script can run again
s.delete('foo')
s.delete('types')
