/**
 * multiprocessing.connection in-process: the framing codec chunk by chunk, MpConnection
 * over real loopback sockets (EOF, limits, backpressure), the authkey handshake between
 * our two sides and against hand-written peers, and, when the interpreters are on this
 * machine, against CPython itself: 3.11 (legacy MD5 handshake) and 3.12+ (`{sha256}`).
 * Those tests skip, saying so, when no Python is found; every wait has a deadline.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it, onTestFinished } from 'vitest'
import { MpConnection } from '../../../protocols/mpconn/connection.ts'
import {
  AuthenticationError,
  ConnectionClosedError,
  FrameTooLargeError,
  HandshakeTimeoutError,
  InvalidFrameError,
  TruncatedFrameError,
} from '../../../protocols/mpconn/errors.ts'
import { encodeFrame, encodeFrameHeader, FrameDecoder } from '../../../protocols/mpconn/framing.ts'
import { clientHandshake, serverHandshake } from '../../../protocols/mpconn/handshake.ts'
import { DEFAULT_PICKLE_LIMITS, decodePickle } from '../../../protocols/pickle/decode.ts'
import { encodePickle } from '../../../protocols/pickle/encode.ts'
import { PyDict, PyTuple, type PyValue } from '../../../protocols/pickle/value.ts'

const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex')

/** within rejects if `p` has not settled after `ms`. */
async function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  const aborter = new AbortController()
  try {
    return await Promise.race([
      p,
      delay(ms, undefined, { signal: aborter.signal }).then(() => {
        throw new Error(`timed out after ${ms} ms`)
      }),
    ])
  } finally {
    aborter.abort()
  }
}

/** settled says whether `p` settles within `ms` (without throwing). */
async function settles(p: Promise<unknown>, ms: number): Promise<boolean> {
  return within(
    p.then(
      () => true,
      () => true,
    ),
    ms,
  ).catch(() => false)
}

/** listen starts a server on 127.0.0.1, port 0, closed when the test ends. */
async function listen(onConnection?: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection)
  const sockets = new Set<Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  onTestFinished(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  server.listen(0, '127.0.0.1')
  await within(once(server, 'listening'))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { server, port: address.port }
}

/** socketPair is two connected loopback sockets: [client side, server side]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const { server, port } = await listen()
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect(port, '127.0.0.1')
  onTestFinished(() => {
    client.destroy()
  })
  const [[peer]] = await within(Promise.all([accepted, once(client, 'connect')]))
  return [client, peer]
}

/** connPair is MpConnections on both ends of a socket pair. */
async function connPair(opts?: { maxFrameBytes?: number }): Promise<[MpConnection, MpConnection]> {
  const [a, b] = await socketPair()
  return [new MpConnection(a, opts), new MpConnection(b, opts)]
}

/** until resolves once `cond()` holds, checking every 5 ms; rejects after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`condition not met after ${ms} ms`)
    await delay(5)
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const outcome = await within(
    p.then(
      () => undefined,
      (err: Error) => err,
    ),
  )
  if (outcome === undefined) throw new Error('expected a rejection')
  return outcome
}

describe('encodeFrame', () => {
  it.each([
    [0, '00000000'],
    [5, '00000005'],
    [0x7fff_ffff, '7fffffff'],
    // 3.8+: -1 then a uint64 for anything larger
    [0x8000_0000, 'ffffffff 0000000080000000'],
    [2 ** 40, 'ffffffff 0000010000000000'],
  ])('a %d-byte payload has header %s', (length, header) => {
    expect(encodeFrameHeader(length).toString('hex')).toBe(header.replace(' ', ''))
  })

  it('puts header and payload in one buffer', () => {
    expect(encodeFrame(Buffer.from('hi')).toString('hex')).toBe('000000026869')
    expect(encodeFrame(Buffer.alloc(0)).toString('hex')).toBe('00000000')
  })
})

describe('FrameDecoder', () => {
  const stream = Buffer.concat([
    encodeFrame(Buffer.from('one')),
    encodeFrame(Buffer.alloc(0)),
    hex('ffffffff 0000000000000003'), // a small frame in the long form: CPython accepts it too
    Buffer.from('two'),
    encodeFrame(Buffer.alloc(300, 'x')),
  ])
  const expected = ['one', '', 'two', 'x'.repeat(300)]

  it('splits a stream fed byte by byte', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    const frames: string[] = []
    for (let i = 0; i < stream.length; i++) frames.push(...d.push(stream.subarray(i, i + 1)).map(String))
    expect(frames).toEqual(expected)
    expect(d.pending).toBe(0)
  })

  it('splits a stream fed in every two-piece split', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder({ maxFrameBytes: 1024 })
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))].map(String)
      expect(frames).toEqual(expected)
    }
  })

  it('returns the frames of one chunk as views of it, without copying', () => {
    const chunk = Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('bc'))])
    const frames = new FrameDecoder({ maxFrameBytes: 1024 }).push(chunk)
    expect(frames.map(String)).toEqual(['a', 'bc'])
    for (const f of frames) expect(f.buffer).toBe(chunk.buffer)
  })

  it('returns an empty frame for 00 00 00 00', () => {
    expect(new FrameDecoder({ maxFrameBytes: 0 }).push(hex('00000000'))).toEqual([Buffer.alloc(0)])
  })

  it('reports what it holds: pending bytes and the announced length', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    d.push(hex('0000'))
    expect({ pending: d.pending, announced: d.announced }).toEqual({ pending: 2, announced: undefined })
    d.push(hex('000a 6162'))
    expect({ pending: d.pending, announced: d.announced }).toEqual({ pending: 2, announced: 10 })
  })

  it.each([
    ['a 4-byte header', hex('00100000'), 'frame of 1048576 bytes exceeds the limit of 1024 bytes'],
    [
      'a long-form header',
      hex('ffffffff 0000010000000000'),
      'frame of 1099511627776 bytes exceeds the limit of 1024 bytes',
    ],
    [
      'a uint64 beyond 2^53',
      hex('ffffffff ffffffffffffffff'),
      'frame of 18446744073709551615 bytes exceeds the limit of 1024 bytes',
    ],
  ])('fails on %s over the limit as soon as the header is complete', (_what, header, message) => {
    // Fed one byte at a time: nothing is thrown until the last header byte, and no payload is waited for.
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    for (let i = 0; i < header.length - 1; i++) expect(d.push(header.subarray(i, i + 1))).toEqual([])
    expect(() => d.push(header.subarray(-1))).toThrow(FrameTooLargeError)
    expect(() => d.push(Buffer.from('more'))).toThrow(message)
  })

  it('fails on negative lengths other than -1', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    expect(() => d.push(hex('fffffffb'))).toThrow(new InvalidFrameError(-5))
    expect(() => d.push(hex('fffffffb'))).toThrow('invalid frame length -5')
  })

  it('applies a per-frame limit when push is given one', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    const chunk = Buffer.concat([encodeFrame(Buffer.alloc(10)), encodeFrame(Buffer.alloc(300))])
    expect(() => d.push(chunk, (i) => (i === 0 ? 256 : 1024))).not.toThrow()
    const tight = new FrameDecoder({ maxFrameBytes: 1024 })
    expect(() => tight.push(chunk, () => 256)).toThrow('frame of 300 bytes exceeds the limit of 256 bytes')
  })
})

describe('MpConnection over a loopback socket', () => {
  it('sends and receives frames both ways, in order, empty and large ones too', async () => {
    const [a, b] = await connPair()
    const payloads = [
      Buffer.from('hello'),
      Buffer.alloc(0),
      Buffer.alloc(1024 * 1024, 7),
      ...Array.from({ length: 100 }, (_, i) => Buffer.from(String(i))),
    ]
    const sent = Promise.all(payloads.map((p) => a.send(p)))
    const got: Buffer[] = []
    for (let i = 0; i < payloads.length; i++) got.push(await within(b.recv()))
    await within(sent)
    expect(got).toEqual(payloads)
    await within(b.send(Buffer.from('back')))
    expect(String(await within(a.recv()))).toBe('back')
  })

  it('rejects a frame over recv(maxBytes) as soon as its header arrives', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    const got = conn.recv(256)
    client.write(hex('000003e8')) // announces 1000 bytes, sends none
    const err = await rejection(got)
    expect(err).toBeInstanceOf(FrameTooLargeError)
    expect(err.message).toBe('frame of 1000 bytes exceeds the limit of 256 bytes')
    // The stream is out of sync: later reads fail the same way, and the socket is gone.
    expect((await rejection(conn.recv())).message).toBe('frame of 1000 bytes exceeds the limit of 256 bytes')
    await within(once(peer, 'close'))
  })

  it('rejects at once when the frame being received is already over the new recv limit', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.write(hex('000003e8 6162'))
    await delay(50)
    expect((await rejection(conn.recv(256))).message).toBe(
      'frame of 1000 bytes exceeds the limit of 256 bytes',
    )
  })

  it('delivers received frames, then ConnectionClosedError on EOF at a frame boundary', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.end(Buffer.concat([encodeFrame(Buffer.from('last')), encodeFrame(Buffer.from('words'))]))
    expect(String(await within(conn.recv()))).toBe('last')
    expect(String(await within(conn.recv()))).toBe('words')
    const err = await rejection(conn.recv())
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect(err.message).toBe('connection closed by the peer')
    expect(await rejection(conn.recv())).toBe(err)
  })

  it.each([
    ['inside the payload', hex('00000005 6162')],
    ['inside the header', hex('0000')],
  ])('rejects with TruncatedFrameError on EOF %s', async (_where, bytes) => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.end(bytes)
    const err = await rejection(conn.recv())
    expect(err).toBeInstanceOf(TruncatedFrameError)
    expect(err.message).toBe('got end of file during message')
  })

  it('stops reading while frames wait for recv (the peer fills its window, not our memory)', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(peer)
    client.write(Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('b'))]))
    await until(() => peer.isPaused())
    expect(String(await within(conn.recv()))).toBe('a')
    expect(String(await within(conn.recv()))).toBe('b')
    const third = conn.recv()
    expect(peer.isPaused()).toBe(false)
    client.write(encodeFrame(Buffer.from('c')))
    expect(String(await within(third))).toBe('c')
  })

  it('send waits for drain when the peer does not read', async () => {
    const [client, peer] = await socketPair()
    const conn = new MpConnection(client)
    peer.pause()
    const sending = conn.send(Buffer.alloc(32 * 1024 * 1024))
    expect(await settles(sending, 200)).toBe(false)
    peer.resume()
    await within(sending, 10_000)
  })

  it('destroy rejects the pending recv with its error; close afterwards still resolves', async () => {
    const [a] = await connPair()
    const pending = a.recv()
    a.destroy(new Error('shutting down'))
    expect((await rejection(pending)).message).toBe('shutting down')
    await within(a.close())
    expect(a.socket.destroyed).toBe(true)
  })

  it('send fails with ConnectionClosedError after close, and the peer sees EOF', async () => {
    const [a, b] = await connPair()
    await within(a.close())
    expect((await rejection(b.recv())).message).toBe('connection closed by the peer')
    const err = await rejection(a.send(Buffer.from('x')))
    expect(err).toBeInstanceOf(ConnectionClosedError)
    expect(err.message).toBe('cannot send: the connection is closed')
  })
})

const KEY = Buffer.from('peekaboo')
const CHALLENGE = Buffer.from('#CHALLENGE#')
const WELCOME = Buffer.from('#WELCOME#')
const hmac = (digest: string, key: Uint8Array, msg: Uint8Array) =>
  createHmac(digest, key).update(msg).digest()

describe('handshake', () => {
  it('lets our client in to our server with the same key, then carries frames', async () => {
    const [client, server] = await connPair()
    await within(Promise.all([serverHandshake(server, KEY), clientHandshake(client, KEY)]))
    await within(client.send(Buffer.from('ping')))
    expect(String(await within(server.recv()))).toBe('ping')
  })

  it('refuses a wrong key on both sides with CPython texts, and closes the connection', async () => {
    const [client, server] = await connPair()
    const [s, c] = await Promise.all([
      rejection(serverHandshake(server, KEY)),
      rejection(clientHandshake(client, Buffer.from('wrong'))),
    ])
    expect(s).toEqual(new AuthenticationError('digest received was wrong'))
    expect(c).toEqual(new AuthenticationError('digest sent was rejected'))
    expect(s).toMatchObject({ code: 'AUTH_FAILED' })
    await within(once(server.socket, 'close'))
  })

  it('accepts a 3.11-style client: raw 16-byte HMAC-MD5, then a 20-byte challenge', async () => {
    const [client, peer] = await socketPair()
    const done = serverHandshake(new MpConnection(peer), KEY)
    const raw = new MpConnection(client)
    const challenge = await within(raw.recv())
    expect(challenge.length).toBe(59)
    expect(challenge.subarray(0, 19).toString()).toBe('#CHALLENGE#{sha256}')
    // A 3.11 client MACs everything after #CHALLENGE#, prefix included, with MD5.
    await raw.send(hmac('md5', KEY, challenge.subarray(11)))
    expect(await within(raw.recv())).toEqual(WELCOME)
    const legacy = Buffer.alloc(20, 9)
    await raw.send(Buffer.concat([CHALLENGE, legacy]))
    expect(await within(raw.recv())).toEqual(hmac('md5', KEY, legacy))
    await raw.send(WELCOME)
    await within(done)
  })

  it.each([
    'sha3_256',
    'sha384',
    'md5',
  ])('accepts a {%s} answer (the answerer picks the digest)', async (name) => {
    const [client, peer] = await socketPair()
    const done = serverHandshake(new MpConnection(peer), KEY)
    const raw = new MpConnection(client)
    const message = (await within(raw.recv())).subarray(11)
    await raw.send(Buffer.concat([Buffer.from(`{${name}}`), hmac(name.replace('_', '-'), KEY, message)]))
    expect(await within(raw.recv())).toEqual(WELCOME)
    // Our answer to a {sha384} challenge is {sha384} + HMAC-SHA384.
    const ours = Buffer.concat([Buffer.from('{sha384}'), Buffer.alloc(40, 1)])
    await raw.send(Buffer.concat([CHALLENGE, ours]))
    expect(await within(raw.recv())).toEqual(
      Buffer.concat([Buffer.from('{sha384}'), hmac('sha384', KEY, ours)]),
    )
    await raw.send(WELCOME)
    await within(done)
  })

  it.each([
    [
      'an unknown digest',
      (m: Buffer) => Buffer.concat([Buffer.from('{sha1}'), hmac('sha1', KEY, m)]),
      // repr() picks b"..." when the random MAC bytes contain a single quote
      /^unsupported message length, missing digest prefix, or unsupported digest: message=b['"]\{sha1\}/,
    ],
    [
      'a MAC of the wrong length',
      () => Buffer.from('{sha256}0123456789'),
      /^expected 'sha256' of length 32 got 10$/,
    ],
    ['a wrong raw MD5', () => Buffer.alloc(16), /^digest received was wrong$/],
  ])('sends #FAILURE# for %s', async (_what, answer, message) => {
    const [client, peer] = await socketPair()
    const done = rejection(serverHandshake(new MpConnection(peer), KEY))
    const raw = new MpConnection(client)
    await raw.send(answer((await within(raw.recv())).subarray(11)))
    expect(String(await within(raw.recv()))).toBe('#FAILURE#')
    const err = await done
    expect(err).toBeInstanceOf(AuthenticationError)
    expect(err.message).toMatch(message)
  })

  it.each([
    [
      'a challenge under 20 bytes',
      Buffer.concat([CHALLENGE, Buffer.alloc(10)]),
      'challenge too short: 10 bytes',
    ],
    [
      'a frame without #CHALLENGE#',
      Buffer.from("hello'\n"),
      'Protocol error, expected challenge: message=b"hello\'\\n"',
    ],
  ])('our client refuses %s', async (_what, frame, message) => {
    const [client, peer] = await socketPair()
    const done = rejection(clientHandshake(new MpConnection(client), KEY))
    await new MpConnection(peer).send(frame)
    expect(await done).toEqual(new AuthenticationError(message))
  })

  it('reads auth frames with a 256-byte limit', async () => {
    const [client, peer] = await socketPair()
    const done = rejection(clientHandshake(new MpConnection(client), KEY))
    peer.write(hex('000003e8'))
    expect((await done).message).toBe('frame of 1000 bytes exceeds the limit of 256 bytes')
  })

  it('gives up on a silent peer after timeoutMs and destroys the connection', async () => {
    const [, peer] = await socketPair()
    const conn = new MpConnection(peer)
    const err = await rejection(serverHandshake(conn, KEY, { timeoutMs: 100 }))
    expect(err).toEqual(new HandshakeTimeoutError(100))
    expect(err.message).toBe('authentication handshake timed out after 100 ms')
    expect(peer.destroyed).toBe(true)
  })

  it("takes the client's first request in the same chunk as its #WELCOME#", async () => {
    // A Python client sends WELCOME and, right after Client() returns, its first call: both
    // can arrive together, and the request (> 256 bytes) is not an auth frame.
    const [client, peer] = await socketPair()
    const server = new MpConnection(peer)
    const done = serverHandshake(server, KEY)
    const raw = new MpConnection(client)
    await raw.send(hmac('md5', KEY, (await within(raw.recv())).subarray(11)))
    expect(await within(raw.recv())).toEqual(WELCOME)
    const legacy = Buffer.alloc(20, 3)
    await raw.send(Buffer.concat([CHALLENGE, legacy]))
    await within(raw.recv())
    client.write(Buffer.concat([encodeFrame(WELCOME), encodeFrame(Buffer.alloc(1000, 'q'))]))
    await within(done)
    expect(await within(server.recv())).toEqual(Buffer.alloc(1000, 'q'))
  })
})

// --- against CPython ---------------------------------------------------------------------

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
      expect(await within(result)).toEqual(new ConnectionClosedError())
    })

    it('a Python Client with the wrong key is refused on both sides', async () => {
      const { port, result } = await serve(KEY)
      expect(await runPython(exe, CLIENT_PY, [String(port), 'wrong'])).toBe(
        'AuthenticationError: digest sent was rejected\n',
      )
      expect(await within(result)).toEqual(new AuthenticationError('digest received was wrong'))
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
        new AuthenticationError('digest sent was rejected'),
      )
      expect(await output).toBe('AuthenticationError: digest received was wrong\n')
    })
  })
})
