/**
 * Conn wraps one accepted socket for every protocol: idle timeout, write backpressure, the
 * memory budget, a drain request, and what its `connection closed` line adds (the close
 * reason, cmd's command count). Admission, metrics and that one line are lib/net's
 * ConnectionSet's (worker.ts).
 *
 *   peer ──data──▶ Conn ──▶ protocol handler ──reply──▶ Conn.write ──▶ peer
 *                   │  paused while the peer is not reading (socket.write() === false)
 *                   │  paused while the service's budget has no room for another read
 *                   └─ idle timer, close reason
 *
 * Every byte of a reply the kernel does not take at once is counted in the service's memory
 * budget (TCP_MEMORY_BUDGET_BYTES) until the kernel has taken it; that is what a peer that
 * does not read makes the service hold. Bytes already read must be answered, so they are counted even past the
 * budget (Hold.growAnyway); the connection then stops reading until there is room for a
 * full read again, so one connection overshoots by at most one read.
 *
 * Work that waits (stream data the peer has not taken, cmd lines queued behind others) may
 * fill only WAITING_SHARE of the budget: the rest stays for a request that can be answered at
 * once, so a PING still gets its PONG while a thousand clients hold everything they may.
 */
import type { Socket } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import { Hold, type MemoryBudget } from '../../lib/memory-budget.ts'
import type { Lease, Tracked } from '../../lib/net/connections.ts'
import { whenFlushed } from '../../lib/net/flushed.ts'
import { errLine, TcpErrorCode } from './errors.ts'

/** What a read may bring at once (Node reads up to 64 KiB): the room a paused reader waits for. */
export const READ_BYTES = 64 * 1024

type PauseReason = 'backpressure' | 'queue' | 'budget'

/** The share of the budget that waiting work may fill (see the header). */
export const WAITING_SHARE = 3 / 4

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

/** ConnBudget is what a connection needs of the service's memory budget. */
export interface ConnBudget {
  readonly budget: MemoryBudget
  /** counts one wait for room (the connection paused reading) */
  readonly onPause: () => void
}

export class Conn implements Tracked {
  readonly id: number
  readonly proto: Proto
  readonly socket: Socket
  readonly log: Logger
  readonly closed: Promise<void>
  commands = 0
  draining = false
  #reason = 'peer closed'
  #closing = false
  #handler: ProtocolHandler | undefined
  #pausedBy = new Set<PauseReason>()
  readonly #limits: ConnLimits
  readonly #onCut: () => void
  readonly #budget: ConnBudget
  /** unsent reply bytes */
  readonly #out: Hold
  /** bytes read and not yet answered (cmd: the partial line and the queued lines) */
  readonly #in: Hold
  readonly #closedSignal = new AbortController()

  constructor(
    lease: Lease,
    proto: Proto,
    socket: Socket,
    limits: ConnLimits,
    budget: ConnBudget,
    onCut: () => void,
  ) {
    this.id = lease.id
    this.proto = proto
    this.socket = socket
    this.log = lease.log
    this.#limits = limits
    this.#budget = budget
    this.#out = new Hold(budget.budget, 0)
    this.#in = new Hold(budget.budget, 0)
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
        this.#closedSignal.abort()
        this.#out.release()
        this.#in.release()
        resolve()
      })
    })
    this.#onCut = onCut
  }

  /** summary is what this connection adds to its `connection closed` line */
  summary(): Record<string, unknown> {
    return { ...(this.proto === 'cmd' ? { commands: this.commands } : {}), reason: this.#reason }
  }

  /** attach starts feeding the socket to a protocol handler. */
  attach(handler: ProtocolHandler): void {
    this.#handler = handler
    this.socket.on('data', (chunk: Buffer) => handler.onData(chunk))
    this.socket.on('end', () => handler.onEnd())
  }

  /**
   * write sends bytes. When the kernel buffer is full (the peer is not reading), reading
   * from the peer pauses until it drains, so a client that never reads only fills its own
   * socket buffers. Past TCP_MAX_BUFFERED_BYTES of unsent data the connection is cut.
   */
  write(data: string | Buffer): void {
    const socket = this.socket
    if (socket.destroyed) return
    let ok: boolean
    if (socket.writableLength === 0) {
      // Nothing queued: the kernel usually takes the bytes within write() and nothing is held,
      // so only what stays queued is counted, until it has gone (lib/net/flushed.ts).
      ok = socket.write(data)
      const left = socket.writableLength
      if (left > 0) {
        this.#out.growAnyway(left)
        whenFlushed(socket, () => this.#out.shrink(left))
      }
    } else {
      const n = typeof data === 'string' ? Buffer.byteLength(data) : data.length
      this.#out.growAnyway(n)
      ok = socket.write(data, () => this.#out.shrink(n))
    }
    if (!ok) this.pause('backpressure')
    this.#waitIfFull()
    if (this.socket.writableLength > this.#limits.maxBufferedBytes) {
      this.log.warn({ bufferedBytes: this.socket.writableLength }, 'backpressure cut-off')
      this.#onCut()
      this.destroy('backpressure cut-off')
    }
  }

  /**
   * tryHold counts `bytes` read and kept for later (a queued cmd line) in the budget; false
   * when there is no room (the caller refuses the work: ERR BUSY). Work that `waits` behind
   * other work may only fill WAITING_SHARE of the budget.
   */
  tryHold(bytes: number, waits: boolean): boolean {
    return this.#in.grow(bytes, waits ? this.#keepFree() : 0)
  }

  /** what waiting work leaves free of the budget */
  #keepFree(): number {
    return Math.floor(this.#budget.budget.limitBytes * (1 - WAITING_SHARE))
  }

  /** holdAnyway counts bytes read that cannot be refused (a partial line kept for its end). */
  holdAnyway(bytes: number): void {
    this.#in.growAnyway(bytes)
    this.#waitIfFull()
  }

  /** unhold gives back what tryHold or holdAnyway counted, once the bytes are answered. */
  unhold(bytes: number): void {
    this.#in.shrink(bytes)
  }

  /** #waitIfFull stops reading while the budget's waiting share has no room for another read. */
  #waitIfFull(): void {
    const { budget } = this.#budget
    const room = READ_BYTES + this.#keepFree()
    if (this.#pausedBy.has('budget') || budget.fits(room) || this.socket.destroyed) return
    this.pause('budget')
    this.#budget.onPause()
    const wait = async () => {
      while (!(await budget.waitForRoom(room, this.#limits.idleTimeoutMs, this.#closedSignal.signal))) {
        if (this.#closedSignal.signal.aborted) return
      }
      this.resume('budget')
    }
    void wait()
  }

  /** pause stops reading for one reason; reading resumes when every reason is gone. */
  pause(why: PauseReason): void {
    this.#pausedBy.add(why)
    this.socket.pause()
  }

  resume(why: PauseReason): void {
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
