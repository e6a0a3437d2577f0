/**
 * Hostile: the TCP service under the worst its documented limits allow, with its defaults
 * (TCP_MAX_CONNECTIONS 1000, TCP_MAX_LINE_BYTES 8192, 64 queued lines a connection,
 * TCP_MAX_BUFFERED_BYTES 1 MiB, the budget 3/8 of 512 MiB), sent concurrently from the host
 * across the container network:
 *
 * - a connection flood past the cap, every connection holding an unfinished 8 KiB line;
 * - 500 cmd connections each queueing 63 maximum-length lines behind a SLEEP (the most a
 *   connection may queue: 1.3 GB of lines and replies in all) and never reading a reply;
 * - 200 echo and upper connections streaming and never reading (upper gets ΐ: 2 bytes in,
 *   6 out, and the slowest to upper-case; one in five, so that the CPU it costs stays small).
 *
 * Each attack must leave the service answering PING during and after it, not restarted or
 * OOM-killed, and under its memory limit (runAttack); the row goes to the hostile table.
 */
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count, runAttack } from '../../support/hostile/attack.ts'
import { outcome } from '../../support/hostile/attack-report.ts'
import { type Lab, startLab } from '../../support/lab.ts'

const HOST = '127.0.0.1'
const MAX_CONNECTIONS = 1000
const MAX_LINE_BYTES = 8192
/** ΐ is 2 bytes of UTF-8 and upper-cases to Ϊ́, three characters and 6 bytes. */
const WIDE = 'ΐ'

/** opens a connection; resolves once connected (or undefined when it cannot) */
async function open(port: number, timeoutMs = 5000): Promise<Socket | undefined> {
  const socket = connect({ host: HOST, port })
  socket.on('error', () => undefined)
  socket.setTimeout(timeoutMs, () => socket.destroy())
  try {
    await once(socket, 'connect')
    socket.setTimeout(0)
    return socket
  } catch {
    return undefined
  }
}

/** one cmd exchange on `socket`: the reply line, or undefined after `timeoutMs` */
async function exchange(socket: Socket, line: string, timeoutMs = 3000): Promise<string | undefined> {
  let text = ''
  let onData: (chunk: Buffer) => void = () => undefined
  const got = new Promise<string>((resolve) => {
    onData = (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (text.includes('\n')) resolve(text)
    }
    socket.on('data', onData)
  })
  socket.write(`${line}\n`)
  try {
    return await Promise.race([got, sleep(timeoutMs, undefined)])
  } finally {
    socket.off('data', onData)
  }
}

/**
 * LineConnection is a cmd connection kept open for many exchanges: replies are taken in order,
 * and a reply that comes after its exchange gave up is skipped, not given to the next one.
 */
class LineConnection {
  readonly socket: Socket
  #buffer = ''
  readonly #waiting: ({ resolve: (line: string) => void } | { skip: true })[] = []

  constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('utf8')
      for (let nl = this.#buffer.indexOf('\n'); nl !== -1; nl = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, nl)
        this.#buffer = this.#buffer.slice(nl + 1)
        const next = this.#waiting.shift()
        if (next && 'resolve' in next) next.resolve(line)
      }
    })
  }

  /** one request line and its reply line, or undefined after `timeoutMs` */
  async exchange(line: string, timeoutMs: number): Promise<string | undefined> {
    const slot: { resolve: (line: string) => void } = { resolve: () => undefined }
    const reply = new Promise<string>((resolve) => {
      slot.resolve = resolve
    })
    this.#waiting.push(slot)
    this.socket.write(`${line}\n`)
    const got = await Promise.race([reply, sleep(timeoutMs, undefined)])
    if (got === undefined) {
      const at = this.#waiting.indexOf(slot)
      if (at !== -1) this.#waiting[at] = { skip: true }
    }
    return got
  }
}

/** PING on a fresh cmd connection: OK PONG */
async function ping(port: number): Promise<boolean> {
  const socket = await open(port, 10_000)
  if (!socket) return false
  try {
    return (await exchange(socket, 'PING', 10_000)) === 'OK PONG\n'
  } finally {
    socket.destroy()
  }
}

/**
 * writes `piece` to `socket` until `total` bytes are out or the peer stops reading (write
 * returns false and no drain comes within `stallMs`); resolves the bytes written and
 * whether it stalled
 */
async function push(socket: Socket, piece: Buffer, total: number, stallMs: number, signal: AbortSignal) {
  let written = 0
  while (written < total && !socket.destroyed && !signal.aborted) {
    written += piece.length
    if (socket.write(piece)) continue
    const drained = await Promise.race([
      once(socket, 'drain').then(() => true),
      once(socket, 'close').then(() => false),
      sleep(stallMs, false),
    ]).catch(() => false)
    if (!drained) return { written, stalled: !socket.destroyed }
  }
  return { written, stalled: false }
}

describe('hostile: tcp', { timeout: 60_000 }, () => {
  let lab: Lab
  let cmdPort: number
  let upperPort: number
  let echoPort: number
  /** a connection opened before any attack, for STATS: a fresh one would be refused at the cap */
  let control: LineConnection
  beforeAll(async () => {
    // started while another hostile file may be attacking: give it time
    lab = await startLab(['tcp'], {
      startupTimeoutMs: 90_000,
      env: { tcp: { LOG_LEVEL: 'warn' } },
    })
    cmdPort = lab.hostPort('tcp', 9998)
    upperPort = lab.hostPort('tcp', 9999)
    echoPort = lab.hostPort('tcp', 20000)
    const socket = await open(cmdPort)
    if (!socket) throw new Error('cannot connect')
    control = new LineConnection(socket)
  })
  afterAll(async () => {
    control?.socket.destroy()
    await lab?.stop()
  })

  /** the service's STATS (the control connection waits its turn: 30 s at most) */
  const stats = async () => {
    const reply = await control.exchange('STATS', 30_000)
    if (reply === undefined) throw new Error('no STATS reply within 30 s')
    return JSON.parse(reply.replace(/^OK /, '')) as {
      accepted: number
      commands: number
      commandErrors: number
      backpressureCuts: number
      busyRejected: number
      active: number
      memory: { refusals: number; peakBytes: number; limitBytes: number }
    }
  }

  /** waits (20 s at most) until the service has let go of every attack connection */
  const settle = async () => {
    for (let i = 0; i < 100 && (await stats()).active > 2; i++) await sleep(200)
  }

  it('a connection flood past the cap, each holding an unfinished 8 KiB line: BUSY beyond the cap', async () => {
    const keepSocket = await open(cmdPort)
    if (!keepSocket) throw new Error('cannot connect')
    const keep = new LineConnection(keepSocket)
    const before = await stats()
    const sockets: Socket[] = []
    const flood = MAX_CONNECTIONS + 100
    const row = await runAttack({
      service: 'tcp',
      attack: `${flood} connections, unfinished 8 KiB lines`,
      container: lab.container('tcp').getId(),
      deadlineMs: 30_000,
      probe: async () => (await keep.exchange('PING', 10_000)) === 'OK PONG',
      run: async (signal) => {
        const partial = Buffer.alloc(MAX_LINE_BYTES - 1, 'x')
        const replies: (() => string)[] = []
        // In waves of 250, each taken (or refused) by the server before the next: more at once
        // would overflow the listen backlog, and the kernel, not the service, would hold them.
        for (let wave = 0; wave < flood && !signal.aborted; wave += 250) {
          const opened = await Promise.all(
            Array.from({ length: Math.min(250, flood - wave) }, async () => {
              const socket = await open(cmdPort, 10_000)
              if (!socket) return () => 'no connection'
              sockets.push(socket)
              let text = ''
              socket.on('data', (chunk: Buffer) => {
                text += chunk.toString()
              })
              socket.write(partial)
              return () => text
            }),
          )
          replies.push(...opened)
          for (;;) {
            const now = await stats()
            const seen = now.accepted + now.busyRejected - before.accepted - before.busyRejected
            if (seen >= replies.length || signal.aborted) break
            await sleep(100)
          }
        }
        await sleep(1000) // every connection held while the probes go on
        const refused: Record<string, number> = {}
        let held = 0
        for (const reply of replies) {
          const text = reply()
          if (text === '') held++
          else count(refused, text.startsWith('ERR BUSY') ? 'ERR BUSY' : text.slice(0, 20))
        }
        for (const socket of sockets) socket.destroy()
        return { sent: flood, served: held, refused }
      },
    })
    keepSocket.destroy()
    expect(outcome(row)).toBe('ok')
    // the control and probe connections are two of the thousand (a health check may hold one more)
    expect(row.served).toBeGreaterThanOrEqual(MAX_CONNECTIONS - 3)
    expect(row.served).toBeLessThanOrEqual(MAX_CONNECTIONS - 2)
    expect(row.refused).toEqual({ 'ERR BUSY': row.sent - row.served })
    await settle()
  })

  it('500 cmd connections queueing 63 max-length lines behind a SLEEP, never reading: ERR BUSY past the budget', async () => {
    const before = await stats()
    // a slow command first: the lines behind it wait in the connection's queue (64 at most)
    const sleepLine = Buffer.from('SLEEP 10000\n')
    const line = Buffer.from(`ECHO ${'x'.repeat(MAX_LINE_BYTES - 5)}\n`)
    const sockets: Socket[] = []
    const row = await runAttack({
      service: 'tcp',
      attack: '500 cmd clients, 63 x 8 KiB lines queued, never reading',
      container: lab.container('tcp').getId(),
      deadlineMs: 30_000,
      probe: () => ping(cmdPort),
      recoverMs: 30_000,
      run: async (signal) => {
        await Promise.all(
          Array.from({ length: 500 }, async () => {
            const socket = await open(cmdPort, 10_000)
            if (!socket) return
            sockets.push(socket)
            socket.pause() // never read
            socket.write(sleepLine)
            await push(socket, line, 63 * line.length, 3000, signal)
          }),
        )
        // until every line has been read and queued, or refused
        let after = await stats()
        for (let i = 0; i < 40 && !signal.aborted; i++) {
          await sleep(250)
          const now = await stats()
          if (now.memory.refusals === after.memory.refusals && now.commands === after.commands) break
          after = now
        }
        for (const s of sockets) s.destroy()
        const refusals = after.memory.refusals - before.memory.refusals
        return {
          sent: sockets.length * 64,
          served: sockets.length * 64 - refusals,
          refused: { 'ERR BUSY (budget)': refusals },
        }
      },
    })
    expect(outcome(row)).toBe('ok')
    expect(row.refused['ERR BUSY (budget)']).toBeGreaterThan(0)
    await settle()
  })

  it('200 echo and upper connections streaming and never reading: they stop being read', async () => {
    const chunk = Buffer.from(WIDE.repeat(32 * 1024)) // 64 KiB in, 192 KiB out of upper
    // Kernel buffers alone can hold a few MiB each way per connection (the server's send buffer
    // grows to tcp_wmem's 4 MiB, docker-proxy's too), so 2 MiB of echo may never stall. Every 20th
    // connection sends 16 MiB to upper (48 MiB back): more than the path can hold, so it stalls
    // unless the server keeps reading and buffers the replies itself.
    const bigUpper = 16 * 1024 * 1024
    const sockets: Socket[] = []
    const row = await runAttack({
      service: 'tcp',
      attack: '190 echo clients 2 MiB each + 10 upper 16 MiB each, never reading',
      container: lab.container('tcp').getId(),
      deadlineMs: 30_000,
      probe: () => ping(cmdPort),
      recoverMs: 30_000,
      run: async (signal) => {
        const results = await Promise.all(
          Array.from({ length: 200 }, async (_, i) => {
            const upper = i % 20 === 0
            const socket = await open(upper ? upperPort : echoPort, 10_000)
            if (!socket) return undefined
            sockets.push(socket)
            socket.pause()
            const result = await push(socket, chunk, upper ? bigUpper : 2 * 1024 * 1024, 3000, signal)
            return { ...result, upper }
          }),
        )
        for (const s of sockets) s.destroy()
        const done = results.filter((r) => r !== undefined)
        return {
          sent: done.length,
          served: done.filter((r) => !r.stalled).length,
          refused: { 'not read (paused)': done.filter((r) => r.stalled).length },
        }
      },
    })
    expect(outcome(row)).toBe('ok')
    expect(row.refused['not read (paused)']).toBeGreaterThanOrEqual(10) // every upper one
  })
})
