/**
 * multiprocessing.connection against CPython itself, when the interpreters are on this machine:
 * 3.11 (legacy MD5 handshake) and 3.12+ (`{sha256}`). These tests skip, saying so, when no
 * Python is found; every wait has a deadline.
 */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import { authFailed, connectionClosed } from '../../../protocols/mpconn/errors.ts'
import { clientHandshake, serverHandshake } from '../../../protocols/mpconn/handshake.ts'
import { DEFAULT_PICKLE_LIMITS, decodePickle } from '../../../protocols/pickle/decode.ts'
import { encodePickle } from '../../../protocols/pickle/encode.ts'
import { PyDict, PyTuple, type PyValue } from '../../../protocols/pickle/value.ts'
import { KEY, listen, rejection, within } from '../../support/mpconn-sockets.ts'

/** The interpreters to try: the system python3 (3.11 here: legacy handshake) and pyenv's newest 3.12/3.13. */
function findPythons(): Array<[string, string]> {
  const found: Array<[string, string]> = []
  const version = (exe: string) => {
    const r = spawnSync(
      exe,
      ['-c', 'import sys, multiprocessing.connection; print(sys.version.split()[0])'],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    )
    return r.status === 0 ? r.stdout.trim() : undefined
  }
  const system = version('python3')
  if (system !== undefined) found.push([`python3 ${system}`, 'python3'])
  const root = join(homedir(), '.pyenv', 'versions')
  const modern = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^3\.1[23]\./.test(v))
        .sort()
        .map((v) => join(root, v, 'bin', 'python'))
        .filter((exe) => existsSync(exe))
    : []
  for (const exe of modern.slice(-2)) {
    const v = version(exe)
    if (v !== undefined && !found.some(([name]) => name.endsWith(v))) found.push([`python ${v}`, exe])
  }
  return found
}

const PYTHONS = findPythons()
const noPython = PYTHONS.length === 0

/** runPython runs a script with a deadline; onLine sees each stdout line as it arrives. */
function runPython(
  exe: string,
  script: string,
  args: string[],
  onLine?: (line: string) => void,
): Promise<string> {
  const child = spawn(exe, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s
    for (const line of s.split('\n').filter(Boolean)) onLine?.(line)
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s
  })
  return within(
    once(child, 'exit').then(([code]) => {
      if (code !== 0) throw new Error(`python exited ${code}: ${err}`)
      return out
    }),
    15_000,
  )
}

const CLIENT_PY = `
import sys
from multiprocessing.connection import Client
from multiprocessing import AuthenticationError
try:
    c = Client(('127.0.0.1', int(sys.argv[1])), authkey=sys.argv[2].encode())
except AuthenticationError as e:
    print('AuthenticationError:', e)
    sys.exit(0)
for obj in [('add', (2, 3), {}), 42, 1.0, -2**70, 'h\\u00e9llo \\U0001F600', b'\\x00\\xff', [1, [2.5, None]],
            {'a': {1, 2}, (1, 2): frozenset([3])}, True, 'x' * 100000]:
    c.send(obj)
    r = c.recv()
    assert r == obj and type(r) is type(obj), (obj, r)
print('ok')
`

const LISTENER_PY = `
import sys
from multiprocessing.connection import Listener
l = Listener(('127.0.0.1', 0), authkey=b'peekaboo')
print(l.address[1], flush=True)
try:
    c = l.accept()
except Exception as e:
    print(type(e).__name__ + ':', e)
    sys.exit(0)
obj = c.recv()
c.send(obj)
print('echoed', repr(obj))
`

const INTEROP = noPython
  ? 'interop with CPython: skipped, no python3 with multiprocessing found'
  : 'interop with CPython'

describe.skipIf(noPython)(INTEROP, () => {
  describe.each(PYTHONS)('%s', (_name, exe) => {
    /** serve runs our server: handshake, then decode and re-encode every call (an echo through our codec). */
    async function serve(key: Buffer): Promise<{ port: number; result: Promise<unknown> }> {
      let settle: (v: unknown) => void = () => undefined
      const result = new Promise<unknown>((resolve) => {
        settle = resolve
      })
      const { port } = await listen((socket) => {
        const conn = new MpConnection(socket)
        const run = async () => {
          await serverHandshake(conn, key, { timeoutMs: 5000 })
          for (;;) {
            const frame = await conn.recv()
            await conn.send(
              encodePickle(decodePickle(frame, { ...DEFAULT_PICKLE_LIMITS, maxDepth: 10 }) as PyValue, {
                protocol: 4,
              }),
            )
          }
        }
        run().then(settle, settle)
      })
      return { port, result }
    }

    it('a Python Client passes our serverHandshake and its values echo back unchanged', async () => {
      const { port, result } = await serve(KEY)
      expect(await runPython(exe, CLIENT_PY, [String(port), 'peekaboo'])).toBe('ok\n')
      // The client closed after its last call: EOF at a frame boundary.
      expect(await within(result)).toEqual(connectionClosed())
    })

    it('a Python Client with the wrong key is refused on both sides', async () => {
      const { port, result } = await serve(KEY)
      expect(await runPython(exe, CLIENT_PY, [String(port), 'wrong'])).toBe(
        'AuthenticationError: digest sent was rejected\n',
      )
      expect(await within(result)).toEqual(authFailed('digest received was wrong'))
    })

    /** connectToListener starts LISTENER_PY and connects to the port it prints. */
    async function connectToListener(): Promise<{ conn: MpConnection; output: Promise<string> }> {
      let portLine: (line: string) => void = () => undefined
      const port = new Promise<string>((resolve) => {
        portLine = resolve
      })
      // Everything the listener prints after its port line.
      const output = runPython(exe, LISTENER_PY, [], (line) => portLine(line)).then((out) =>
        out.slice(out.indexOf('\n') + 1),
      )
      output.catch(() => undefined)
      const socket = connect(Number(await within(port, 10_000)), '127.0.0.1')
      onTestFinished(() => {
        socket.destroy()
      })
      await within(once(socket, 'connect'))
      return { conn: new MpConnection(socket), output }
    }

    it('our clientHandshake passes a Python Listener, and a call pickled by us echoes back', async () => {
      const { conn, output } = await connectToListener()
      await within(clientHandshake(conn, KEY))
      const call = new PyTuple(['add', new PyTuple([2n, 3n]), new PyDict([['k', 1.0]])])
      await conn.send(encodePickle(call))
      expect(decodePickle(await within(conn.recv()))).toEqual(call)
      expect(await output).toBe("echoed ('add', (2, 3), {'k': 1.0})\n")
    })

    it('our clientHandshake with the wrong key is refused on both sides', async () => {
      const { conn, output } = await connectToListener()
      expect(await rejection(clientHandshake(conn, Buffer.from('wrong')))).toEqual(
        authFailed('digest sent was rejected'),
      )
      expect(await output).toBe('AuthenticationError: digest received was wrong\n')
    })
  })
})
