/**
 * Clients for two of the seeds' TCP programs, each step with a deadline: seed 001's welcome
 * exchange (connect, optionally wait, send one message, read the answer until the server
 * closes) and seed 002's Welcome/Hello session (read `Welcome!`, send each name and read its
 * `Hello, <name>!`, send `exit`, close, as its client does). Seed 001's tcpServer needs only
 * `exchange` from tcp-client.ts.
 */
import type { Socket } from 'node:net'
import { LabError } from '../../../lib/errors.ts'
import { interruptionOf, open, type Target } from './tcp-client.ts'

const describe = (t: Target) => `${t.host}:${t.port}`

/** ByteReader collects what a socket receives and hands it out by count or at the peer's close. */
class ByteReader {
  readonly #target: Target
  readonly #socket: Socket
  #buf: Buffer = Buffer.alloc(0)
  #ended = false
  #error: Error | undefined
  #wake: (() => void) | undefined

  constructor(socket: Socket, target: Target) {
    this.#target = target
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk])
      this.#notify()
    })
    socket.on('end', () => {
      this.#ended = true
      this.#notify()
    })
    socket.on('close', () => {
      this.#ended = true
      this.#notify()
    })
    socket.on('error', (err) => {
      this.#error = err
      this.#notify()
    })
  }

  get ended(): boolean {
    return this.#ended
  }

  /** read resolves with exactly `n` bytes; CLOSED if the server closes first, TIMEOUT after `timeoutMs`. */
  async read(n: number, timeoutMs: number): Promise<Buffer> {
    await this.#until(timeoutMs, () => {
      if (this.#buf.length >= n) return true
      if (this.#ended) {
        const got = this.#buf.length === 0 ? '' : ` after ${JSON.stringify(this.#buf.toString('utf8'))}`
        throw new LabError('CLOSED', `${describe(this.#target)} closed the connection${got}`)
      }
      return false
    })
    const out = this.#buf.subarray(0, n)
    this.#buf = this.#buf.subarray(n)
    return out
  }

  /** readToEnd resolves with every byte left once the server has closed its side. */
  async readToEnd(timeoutMs: number): Promise<Buffer> {
    await this.#until(timeoutMs, () => this.#ended)
    const out = this.#buf
    this.#buf = Buffer.alloc(0)
    return out
  }

  /** closedWithin resolves true if the server closes within `ms`, false once `ms` pass. */
  async closedWithin(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms
    while (!this.#ended && performance.now() < deadline) await this.#sleep(deadline - performance.now())
    return this.#ended
  }

  async #until(timeoutMs: number, done: () => boolean): Promise<void> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const interrupted = interruptionOf(this.#socket)
      if (interrupted) throw interrupted
      if (this.#error) throw new LabError('CLOSED', `${describe(this.#target)}: ${this.#error.message}`)
      if (done()) return
      const left = deadline - performance.now()
      if (left <= 0)
        throw new LabError('TIMEOUT', `no reply from ${describe(this.#target)} within ${timeoutMs} ms`)
      await this.#sleep(left)
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  #notify(): void {
    const w = this.#wake
    this.#wake = undefined
    w?.()
  }
}

/** WelcomeResult is one welcome exchange. */
export interface WelcomeResult {
  readonly reply: Buffer
  /** from connect to the server's close, ms */
  readonly elapsedMs: number
}

/**
 * welcomeExchange connects, waits `sleepMs` (the seed's client sleeps 2 s), sends `message`
 * (nothing and a half-close when empty) and returns what the server sends before closing.
 * A server that closes during the wait has timed the client out: TIMED_OUT_BY_SERVER.
 */
export async function welcomeExchange(
  target: Target,
  message: Buffer,
  opts: { sleepMs: number; timeoutMs: number; signal?: AbortSignal },
): Promise<WelcomeResult> {
  const socket = await open(target, opts.timeoutMs, opts.signal ? { signal: opts.signal } : {})
  const started = performance.now()
  try {
    const reader = new ByteReader(socket, target)
    if (opts.sleepMs > 0 && (await reader.closedWithin(opts.sleepMs))) {
      const interrupted = interruptionOf(socket)
      if (interrupted) throw interrupted
      const after = Math.round(performance.now() - started)
      throw new LabError(
        'TIMED_OUT_BY_SERVER',
        `${describe(target)} closed the connection after ${after} ms, before anything was sent (the welcome server's timeout)`,
      )
    }
    if (message.length > 0) socket.write(message)
    else socket.end()
    const reply = await reader.readToEnd(opts.timeoutMs)
    if (reply.length === 0)
      throw new LabError('NO_REPLY', `${describe(target)} closed the connection without a reply`)
    return { reply, elapsedMs: performance.now() - started }
  } finally {
    socket.destroy()
  }
}

/** HelloResult is one Welcome/Hello session. */
export interface HelloResult {
  readonly welcome: string
  readonly replies: readonly string[]
  readonly elapsedMs: number
}

/** The reply seed 002's server sends for `name` (its own bytes, UTF-8). */
export const helloReplyFor = (name: string): string => `Hello, ${name}!`

/**
 * helloSession reads the server's `Welcome!`, sends each name and reads its reply (each within
 * `timeoutMs`; the server waits about 1 s before answering), then sends `exit` and closes.
 * A reply that is not the expected greeting (an `ERR` line) fails with its text.
 */
export async function helloSession(
  target: Target,
  names: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HelloResult> {
  const socket = await open(target, timeoutMs, signal ? { signal } : {})
  const started = performance.now()
  try {
    const reader = new ByteReader(socket, target)
    const welcome = (await reader.read(8, timeoutMs)).toString('utf8')
    const replies: string[] = []
    for (const name of names) {
      socket.write(name)
      const expected = helloReplyFor(name)
      const reply = (await reader.read(Buffer.byteLength(expected), timeoutMs)).toString('utf8')
      if (reply !== expected) {
        const rest = reply.startsWith('ERR ') ? (await reader.readToEnd(timeoutMs)).toString('utf8') : ''
        throw new LabError('UNEXPECTED_REPLY', `${describe(target)} answered ${JSON.stringify(reply + rest)}`)
      }
      replies.push(reply)
    }
    // The seed's client sends `exit` and closes; wait only until the bytes have left.
    await new Promise<void>((resolve) => socket.end('exit', resolve))
    return { welcome, replies, elapsedMs: performance.now() - started }
  } finally {
    socket.destroy()
  }
}
