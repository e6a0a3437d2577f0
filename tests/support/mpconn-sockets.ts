/**
 * Loopback fixtures for the multiprocessing.connection tests (tests/unit/protocols/mpconn-*):
 * servers and socket pairs on 127.0.0.1 closed when the test ends, MpConnections on both ends,
 * deadlines on every wait, and the handshake's key and tokens.
 */
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { onTestFinished } from 'vitest'
import { MpConnection } from '../../protocols/mpconn/connection.ts'

export const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex')

/** within rejects if `p` has not settled after `ms`. */
export async function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
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
export async function settles(p: Promise<unknown>, ms: number): Promise<boolean> {
  return within(
    p.then(
      () => true,
      () => true,
    ),
    ms,
  ).catch(() => false)
}

/** listen starts a server on 127.0.0.1, port 0, closed when the test ends. */
export async function listen(
  onConnection?: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
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
export async function socketPair(): Promise<[Socket, Socket]> {
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
export async function connPair(opts?: { maxFrameBytes?: number }): Promise<[MpConnection, MpConnection]> {
  const [a, b] = await socketPair()
  return [new MpConnection(a, opts), new MpConnection(b, opts)]
}

/** until resolves once `cond()` holds, checking every 5 ms; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`condition not met after ${ms} ms`)
    await delay(5)
  }
}

export async function rejection(p: Promise<unknown>): Promise<Error> {
  const outcome = await within(
    p.then(
      () => undefined,
      (err: Error) => err,
    ),
  )
  if (outcome === undefined) throw new Error('expected a rejection')
  return outcome
}

export const KEY = Buffer.from('peekaboo')
export const CHALLENGE = Buffer.from('#CHALLENGE#')
export const WELCOME = Buffer.from('#WELCOME#')
export const hmac = (digest: string, key: Uint8Array, msg: Uint8Array) =>
  createHmac(digest, key).update(msg).digest()
