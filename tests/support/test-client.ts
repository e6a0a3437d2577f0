/**
 * A tiny promise-based TCP client for tests: connect to a loopback port, write, and await
 * a line, a byte count, or everything up to the peer's close. Every wait has a deadline,
 * and `connectClient` registers the socket's destruction with the running test.
 */
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { onTestFinished } from 'vitest'

const DEFAULT_TIMEOUT_MS = 5000

export class TestClient {
  readonly socket: Socket
  #received: Buffer = Buffer.alloc(0)
  #ended = false
  #error: Error | undefined
  #wake: (() => void) | undefined

  constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk])
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

  write(data: string | Buffer): void {
    this.socket.write(data)
  }

  /** readLine resolves with the next line, `\n` included. */
  readLine(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return this.#take('a line', timeoutMs, (buf) => {
      const nl = buf.indexOf(0x0a)
      return nl === -1 ? undefined : nl + 1
    }).then((b) => b.toString('utf8'))
  }

  /** readLines resolves with the next `n` lines joined, each with its `\n`. */
  async readLines(n: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const lines: string[] = []
    for (let i = 0; i < n; i++) lines.push(await this.readLine(timeoutMs))
    return lines.join('')
  }

  /** readBytes resolves with exactly the next `n` bytes. */
  readBytes(n: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    return this.#take(`${n} bytes`, timeoutMs, (buf) => (buf.length >= n ? n : undefined))
  }

  /** readToEnd resolves with everything left once the peer has closed its side. */
  async readToEnd(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    await this.#waitUntil('the peer to close', timeoutMs, () => this.#ended)
    const rest = this.#received
    this.#received = Buffer.alloc(0)
    return rest.toString('utf8')
  }

  destroy(): void {
    this.socket.destroy()
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  async #take(what: string, timeoutMs: number, size: (buf: Buffer) => number | undefined): Promise<Buffer> {
    let n: number | undefined
    await this.#waitUntil(what, timeoutMs, () => {
      n = size(this.#received)
      if (n === undefined && this.#ended) {
        throw new Error(
          `connection closed while waiting for ${what}; unread: ${JSON.stringify(this.#received.toString())}`,
        )
      }
      return n !== undefined
    })
    const out = this.#received.subarray(0, n)
    this.#received = this.#received.subarray(n)
    return out
  }

  /** waitUntil re-checks `done` after every socket event, until it holds or the deadline passes. */
  async #waitUntil(what: string, timeoutMs: number, done: () => boolean): Promise<void> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      if (done()) return
      if (this.#error) throw new Error(`socket error while waiting for ${what}: ${this.#error.message}`)
      const left = deadline - performance.now()
      if (left <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; unread: ${JSON.stringify(this.#received.toString())}`,
        )
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }
}

/** connectClient opens a loopback connection, destroyed when the current test finishes. */
export async function connectClient(port: number): Promise<TestClient> {
  const socket = connect({ host: '127.0.0.1', port })
  onTestFinished(() => {
    socket.destroy()
  })
  const client = new TestClient(socket)
  await once(socket, 'connect')
  return client
}
