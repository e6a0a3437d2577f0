/**
 * Conn wraps one accepted socket for every protocol: idle timeout, byte counts, write
 * backpressure, a drain request, and the single `connection closed` summary line.
 *
 *   peer ──data──▶ Conn ──▶ protocol handler ──reply──▶ Conn.write ──▶ peer
 *                   │  paused while the peer is not reading (socket.write() === false)
 *                   └─ idle timer, bytes in/out, close reason
 */
import type { Socket } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import { errLine, TcpErrorCode } from './errors.ts'

/** Proto names the listeners: upper, echo and cmd, and the seeds' welcome, hello and ack. */
export type Proto = 'upper' | 'echo' | 'cmd' | 'welcome' | 'hello' | 'ack'

/** ProtocolHandler is one protocol's behaviour on a connection. */
export interface ProtocolHandler {
  onData(chunk: Buffer): void
  /** the peer half-closed: flush what is owed, then end */
  onEnd(): void
  /** shutdown: finish the request in progress, then end */
  drain(): void
}

export interface ConnLimits {
  readonly idleTimeoutMs: number
  readonly maxBufferedBytes: number
}

export class Conn {
  readonly id: number
  readonly proto: Proto
  readonly socket: Socket
  readonly log: Logger
  readonly closed: Promise<void>
  bytesIn = 0
  bytesOut = 0
  commands = 0
  draining = false
  #reason = 'peer closed'
  #closing = false
  #handler: ProtocolHandler | undefined
  #pausedBy = new Set<'backpressure' | 'queue'>()
  readonly #opened = performance.now()
  readonly #limits: ConnLimits
  readonly #onCut: () => void

  constructor(id: number, proto: Proto, socket: Socket, log: Logger, limits: ConnLimits, onCut: () => void) {
    this.id = id
    this.proto = proto
    this.socket = socket
    this.#limits = limits
    this.log = log.child({ conn: id, proto, remote: `${socket.remoteAddress}:${socket.remotePort}` })
    socket.setNoDelay(true)
    socket.setTimeout(limits.idleTimeoutMs)
    socket.on('timeout', () => {
      if (proto === 'cmd')
        socket.write(errLine(TcpErrorCode.IDLE_TIMEOUT, `no traffic for ${limits.idleTimeoutMs} ms`))
      this.close('idle timeout')
    })
    socket.on('drain', () => this.resume('backpressure'))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#reason = `socket error ${err.code ?? err.message}`
    })
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.log.info(
          {
            durationMs: Math.round(performance.now() - this.#opened),
            bytesIn: this.bytesIn,
            bytesOut: this.bytesOut,
            ...(proto === 'cmd' ? { commands: this.commands } : {}),
            reason: this.#reason,
          },
          'connection closed',
        )
        resolve()
      })
    })
    this.#onCut = onCut
    this.log.debug('connection opened')
  }

  /** attach starts feeding the socket to a protocol handler. */
  attach(handler: ProtocolHandler): void {
    this.#handler = handler
    this.socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
      handler.onData(chunk)
    })
    this.socket.on('end', () => handler.onEnd())
  }

  /**
   * write sends bytes. When the kernel buffer is full (the peer is not reading), reading
   * from the peer pauses until it drains, so a client that never reads only fills its own
   * socket buffers. Past TCP_MAX_BUFFERED_BYTES of unsent data the connection is cut.
   */
  write(data: string | Buffer): void {
    if (this.socket.destroyed) return
    this.bytesOut += typeof data === 'string' ? Buffer.byteLength(data) : data.length
    if (!this.socket.write(data)) this.pause('backpressure')
    if (this.socket.writableLength > this.#limits.maxBufferedBytes) {
      this.log.warn({ bufferedBytes: this.socket.writableLength }, 'backpressure cut-off')
      this.#onCut()
      this.destroy('backpressure cut-off')
    }
  }

  /** pause stops reading for one reason; reading resumes when every reason is gone. */
  pause(why: 'backpressure' | 'queue'): void {
    this.#pausedBy.add(why)
    this.socket.pause()
  }

  resume(why: 'backpressure' | 'queue'): void {
    this.#pausedBy.delete(why)
    if (this.#pausedBy.size === 0 && !this.socket.destroyed) this.socket.resume()
  }

  /** close ends the connection after pending writes are flushed. */
  close(reason: string): void {
    if (this.#closing) return
    this.#closing = true
    this.#reason = reason
    this.socket.end()
    // A peer that never reads never lets end() flush: don't wait for it beyond the idle limit.
    this.socket.removeAllListeners('timeout')
    this.socket.setTimeout(this.#limits.idleTimeoutMs, () => this.destroy(`${reason}, unflushed`))
  }

  destroy(reason: string): void {
    this.#reason = reason
    this.socket.destroy()
  }

  /** drain asks the protocol to finish its request in progress and then close. */
  drain(): void {
    this.draining = true
    this.#handler?.drain()
  }
}
