/**
 * Small TCP clients for the CLI and the tests: a one-shot exchange (send, half-close,
 * read to EOF) for upper and echo, and a line client for the cmd protocol. Every
 * operation has a deadline; failures are LabErrors naming the target.
 */
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { isErrnoException, LabError } from '../../../lib/errors.ts'
import { LineSplitter } from '../../../protocols/line-splitter.ts'
import { interruptedError, onAbort, seconds } from './interrupt.ts'

/** Target is where to connect. */
export interface Target {
  readonly host: string
  readonly port: number
  /**
   * how long to keep retrying a connect that fails (refused, reset, unreachable, unresolved,
   * timed out), with backoff, ms: for a service that is starting or being replaced. 0 or
   * absent: one attempt.
   */
  readonly retryForMs?: number
}

const describe = (t: Target) => `${t.host}:${t.port}`

function connectError(target: Target, err: unknown): LabError {
  const code = isErrnoException(err) ? err.code : undefined
  const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `unknown host (${code})` : (code ?? String(err))
  return new LabError('CONNECT_FAILED', `cannot connect to ${describe(target)}: ${why}`, { cause: err })
}

/** OpenOptions: `noDelay` turns Nagle off (round-trip timing); `signal` interrupts. */
export interface OpenOptions {
  readonly noDelay?: boolean
  /** on abort the socket is destroyed with an INTERRUPTED error, while connecting or after */
  readonly signal?: AbortSignal
}

/**
 * Why a socket was destroyed by its signal. Node drops the error given to destroy() once the
 * socket has half-closed (`exchange` ends its side first), so users of the socket ask here.
 */
const interruptions = new WeakMap<Socket, LabError>()

/** interruptionOf returns the INTERRUPTED error `socket` was destroyed with, if it was. */
export function interruptionOf(socket: Socket): LabError | undefined {
  return interruptions.get(socket)
}

/** errno codes of a connect worth retrying: nothing was sent, and the service may be back soon */
const RETRYABLE_CONNECT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
const FIRST_BACKOFF_MS = 50
const MAX_BACKOFF_MS = 1000
/** the first attempt's connect deadline while retrying; it doubles per attempt, up to `timeoutMs` */
const FIRST_ATTEMPT_MS = 1000

function isRetryableConnect(err: unknown): boolean {
  if (!(err instanceof LabError)) return false
  if (err.code === 'TIMEOUT') return true
  return isErrnoException(err.cause) && RETRYABLE_CONNECT.has(err.cause.code ?? '')
}

/**
 * open connects within `timeoutMs` (see OpenOptions). With
 * `target.retryForMs`, a failed connect is retried after 50 ms, doubling up to 1 s (±10 %),
 * until that much time has passed; the last error then names the attempts.
 */
export async function open(target: Target, timeoutMs: number, opts: OpenOptions = {}): Promise<Socket> {
  const retryForMs = target.retryForMs ?? 0
  if (retryForMs <= 0) return openOnce(target, timeoutMs, opts)
  const started = performance.now()
  for (let attempt = 1; ; attempt++) {
    const left = started + retryForMs - performance.now()
    try {
      const attemptMs = Math.min(timeoutMs, FIRST_ATTEMPT_MS * 2 ** (attempt - 1), Math.max(left, 1))
      return await openOnce(target, Math.max(1, Math.round(attemptMs)), opts)
    } catch (err) {
      const backoffMs =
        Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1)) * (0.9 + Math.random() * 0.2)
      const elapsedMs = performance.now() - started
      if (!isRetryableConnect(err) || elapsedMs + backoffMs >= retryForMs) {
        if (attempt === 1 || !(err instanceof LabError)) throw err
        const message = `${err.message} (${attempt} attempts in ${Math.round(elapsedMs)} ms)`
        throw new LabError(err.code, message, { cause: err.cause })
      }
      await sleep(backoffMs, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => {
        throw interruptedError(`connect to ${describe(target)} after ${seconds(performance.now() - started)}`)
      })
    }
  }
}

/** openOnce connects within `timeoutMs`; once connected, `signal` still destroys the socket on abort. */
function openOnce(target: Target, timeoutMs: number, opts: OpenOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = connect({ host: target.host, port: target.port, noDelay: opts.noDelay ?? false })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new LabError('TIMEOUT', `connecting to ${describe(target)} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    const abort = onAbort(opts.signal, () => {
      const err = interruptedError(
        socket.connecting
          ? `connecting to ${describe(target)} (${seconds(performance.now() - started)}); gave up`
          : `${describe(target)} after ${seconds(performance.now() - started)}, ` +
              `${socket.bytesWritten} bytes sent, ${socket.bytesRead} received; connection closed`,
      )
      clearTimeout(timer)
      interruptions.set(socket, err)
      socket.destroy(err)
      reject(err)
    })
    socket.once('close', () => abort[Symbol.dispose]())
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err instanceof LabError ? err : connectError(target, err))
    })
  })
}

/**
 * exchange sends `data`, half-closes, and returns everything the server sends until it
 * closes: the whole reply of a stream service such as upper or echo. A server that closes
 * without a byte of reply to a non-empty request (it died, or a proxy in front of a dead
 * one accepted and closed) is an error, NO_REPLY, not an empty answer.
 */
export async function exchange(
  target: Target,
  data: Buffer,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const socket = await open(target, timeoutMs, { signal })
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new LabError('TIMEOUT', `no reply from ${describe(target)} within ${timeoutMs} ms`)),
    )
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (err) => reject(err instanceof LabError ? err : connectError(target, err)))
    socket.on('close', (hadError) => {
      const interrupted = interruptionOf(socket)
      if (interrupted) return reject(interrupted)
      if (hadError) return
      const reply = Buffer.concat(chunks)
      if (reply.length === 0 && data.length > 0)
        reject(new LabError('NO_REPLY', `${describe(target)} closed the connection without a reply`))
      else resolve(reply)
    })
    socket.end(data)
  })
}

/** LineClient speaks a newline-framed request/reply protocol on one connection. */
export class LineClient implements AsyncDisposable {
  readonly target: Target
  readonly #socket: Socket
  readonly #timeoutMs: number
  readonly #lines: string[] = []
  #waiter: (() => void) | undefined
  #closed: Error | undefined

  private constructor(target: Target, socket: Socket, timeoutMs: number) {
    this.target = target
    this.#socket = socket
    this.#timeoutMs = timeoutMs
    const splitter = new LineSplitter({ maxLineBytes: 16 * 1024 * 1024 })
    socket.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) if (typeof line === 'string') this.#lines.push(line)
      this.#wake()
    })
    socket.on('error', (err) => {
      this.#closed = err instanceof LabError ? err : connectError(target, err)
      this.#wake()
    })
    socket.on('close', () => {
      this.#closed ??=
        interruptionOf(socket) ?? new LabError('CLOSED', `${describe(target)} closed the connection`)
      this.#wake()
    })
  }

  /** connect opens the connection; `signal` closes it (INTERRUPTED) on abort. */
  static async connect(target: Target, timeoutMs = 5000, signal?: AbortSignal): Promise<LineClient> {
    return new LineClient(target, await open(target, timeoutMs, { signal }), timeoutMs)
  }

  /** send writes one line (the newline is added). */
  send(line: string): void {
    this.#socket.write(`${line}\n`)
  }

  /** sendRaw writes bytes as they are (for over-long or binary input). */
  sendRaw(data: string | Buffer): void {
    this.#socket.write(data)
  }

  /** readLine resolves with the next line, or rejects on close or timeout. */
  async readLine(timeoutMs = this.#timeoutMs): Promise<string> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const line = this.#lines.shift()
      if (line !== undefined) return line
      if (this.#closed) throw this.#closed
      const left = deadline - performance.now()
      if (left <= 0)
        throw new LabError('TIMEOUT', `no reply from ${describe(this.target)} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  /** request sends one line and returns the reply line. */
  async request(line: string, timeoutMs?: number): Promise<string> {
    this.send(line)
    return this.readLine(timeoutMs)
  }

  /** closed resolves when the server closes the connection. */
  async waitClosed(timeoutMs = this.#timeoutMs): Promise<void> {
    const deadline = performance.now() + timeoutMs
    while (!this.#closed || this.#socket.readableLength > 0) {
      if (performance.now() > deadline)
        throw new LabError('TIMEOUT', `${describe(this.target)} did not close within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        this.#waiter = resolve
        setTimeout(resolve, 50)
      })
    }
  }

  close(): void {
    this.#socket.destroy()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  #wake(): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }
}
