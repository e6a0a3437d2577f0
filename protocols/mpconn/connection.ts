/**
 * MpConnection is one multiprocessing.connection peer over a byte stream (a `net.Socket`
 * or any Duplex): `send(payload)` writes one frame, `recv(maxBytes)` resolves with the
 * next one (see framing.ts for the wire format). It is the Connection half of CPython's
 * Listener/Client, without pickling: callers hand it bytes.
 *
 * Reading is pulled: the socket is paused while received frames wait for a `recv`, so a
 * peer that sends faster than we read fills its TCP window, not our memory. Writing
 * respects backpressure: `send` resolves once the socket buffer has drained.
 *
 * Errors are terminal, as in CPython (the stream would be out of sync): a frame over
 * the limit, a bad header, EOF or a socket error rejects the pending and all later
 * `recv` calls (frames already received are still delivered first), and the socket is
 * destroyed on a framing error. EOF between frames is CONNECTION_CLOSED (CPython's
 * EOFError), EOF inside one TRUNCATED_FRAME (errors.ts).
 *
 * With a memory budget (lib/memory-budget.ts), what the connection holds is reserved in it
 * before it is kept. Without room, reading pauses until there is (another request finished),
 * for up to `budgetWaitMs`; then the connection fails with BUSY, as it
 * does at once for a frame whose header announces more than the whole budget. A frame is admitted as soon as its header is
 * in: `admitBytes(length)` is reserved before its payload is read (the caller's estimate of
 * the work the frame brings), so an admitted frame can always finish and the others wait,
 * unread; it must then arrive within `frameTimeoutMs`. A connection holding more than
 * SMALL_HOLD_BYTES leaves the budget's last eighth free, so small requests are served while
 * large ones wait. `recvHeld` hands a frame over with its admission, for the caller to
 * adjust and release when done with it.
 */
import type { Duplex } from 'node:stream'
import { Hold, type MemoryBudget } from '../../lib/memory-budget.ts'
import {
  budgetNeverFits,
  budgetNoRoom,
  connectionClosed,
  frameTimeout,
  frameTooLarge,
  isFrameRefusal,
  truncatedFrame,
} from './errors.ts'
import { encodeFrame, encodeFrameHeader, FrameDecoder } from './framing.ts'

/** A connection holding no more than this may use the whole budget; a larger share leaves keptForSmall free. */
export const SMALL_HOLD_BYTES = 64 * 1024

/**
 * keptForSmall is the part of a budget (one eighth) that only small holds may take, so a
 * normal call is still served while large ones wait or are refused.
 */
export function keptForSmall(budget: MemoryBudget): number {
  return Math.floor(budget.limitBytes / 8)
}

export interface MpConnectionOptions {
  /** largest frame `recv` accepts by default, bytes (64 MiB) */
  readonly maxFrameBytes?: number
  /** how long `close` waits for the peer before destroying the socket, ms (2000) */
  readonly closeGraceMs?: number
  /** the budget received frames are held in (none: not accounted) */
  readonly budget?: MemoryBudget
  /** how long reading waits for room in the budget before failing with BUSY, ms (2000) */
  readonly budgetWaitMs?: number
  /**
   * on a frame over the limit or over the budget, keep the socket open (reading and dropping
   * what arrives) so the caller can answer before `close()`, instead of destroying it at once
   */
  readonly lingerOnError?: boolean
  /**
   * what admitting a frame of `length` bytes reserves in the budget as soon as its header is in
   * (default: `length`): the caller's estimate of the work it brings (its decoded value, its reply)
   */
  readonly admitBytes?: (length: number) => number
  /** with a budget: a frame's bytes must all arrive within this long after its header, ms (30000) */
  readonly frameTimeoutMs?: number
}

/** HeldFrame is a received frame and its share of the memory budget (release it when done). */
export interface HeldFrame {
  readonly frame: Buffer
  /** undefined when the connection has no budget */
  readonly hold: Hold | undefined
}

interface Waiter {
  readonly maxBytes: number
  resolve(frame: HeldFrame): void
  reject(err: Error): void
}

/** Frames up to this size go out as one write (header + payload), as CPython does against Nagle. */
const ONE_WRITE_BYTES = 16 * 1024

export class MpConnection {
  readonly socket: Duplex
  readonly maxFrameBytes: number
  readonly closeGraceMs: number
  #budget: MemoryBudget | undefined
  readonly #budgetWaitMs: number
  /** bytes reserved in the budget for the frame being received and the queued frames */
  #reserved = 0
  /** reading is paused until the budget has room */
  #stalled = false
  readonly #linger: boolean
  /** after an error with lingerOnError: what arrives is dropped */
  #discarding = false
  /** EOF arrived while reading was stalled */
  #endDeferred = false
  readonly #decoder: FrameDecoder
  /** frames received and not yet handed over, with what admitting each reserved */
  readonly #frames: Array<{ readonly frame: Buffer; readonly admitted: number }> = []
  readonly #admit: (length: number) => number
  readonly #frameTimeoutMs: number
  /** the deadline of the frame being received (with a budget) */
  #frameTimer: NodeJS.Timeout | undefined
  readonly #waiters: Waiter[] = []
  /** why no more frames will come (EOF, framing or socket error) */
  #error: Error | undefined
  #drain: Promise<void> | undefined
  #closed: Promise<void> | undefined

  constructor(socket: Duplex, opts: MpConnectionOptions = {}) {
    this.socket = socket
    this.maxFrameBytes = opts.maxFrameBytes ?? 64 * 1024 * 1024
    this.closeGraceMs = opts.closeGraceMs ?? 2000
    this.#budget = opts.budget
    this.#budgetWaitMs = opts.budgetWaitMs ?? 2000
    this.#linger = opts.lingerOnError ?? false
    this.#admit = opts.admitBytes ?? ((n) => n)
    this.#frameTimeoutMs = opts.frameTimeoutMs ?? 30_000
    this.#decoder = new FrameDecoder({ maxFrameBytes: this.maxFrameBytes })
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('end', () => {
      // EOF while a chunk waits for room in the budget: it comes after that chunk.
      if (this.#stalled) this.#endDeferred = true
      else this.#onEnd()
    })
    socket.on('error', (err: Error) => this.#fail(err))
    socket.on('close', () => this.#fail(connectionClosed()))
  }

  /**
   * recv resolves with the next frame's payload. A frame longer than `maxBytes` rejects
   * with FRAME_TOO_LARGE as soon as its header arrives (CPython's `recv_bytes(maxlength)`).
   */
  async recv(maxBytes: number = this.maxFrameBytes): Promise<Buffer> {
    const { frame, hold } = await this.recvHeld(maxBytes)
    hold?.release()
    return frame
  }

  /** recvHeld is recv that hands the frame over with its share of the memory budget. */
  recvHeld(maxBytes: number = this.maxFrameBytes): Promise<HeldFrame> {
    const queued = this.#frames.shift()
    if (queued !== undefined) {
      const held = { frame: queued.frame, hold: this.#transfer(queued.admitted) }
      if (queued.frame.length > maxBytes) {
        held.hold?.release()
        return Promise.reject(this.#abort(frameTooLarge(queued.frame.length, maxBytes)))
      }
      if (this.#frames.length === 0) {
        this.#resume()
        this.#timeFrame(this.#decoder.announced !== undefined)
      }
      return Promise.resolve(held)
    }
    if (this.#error !== undefined) return Promise.reject(this.#error)
    return new Promise<HeldFrame>((resolve, reject) => {
      this.#waiters.push({ maxBytes, resolve, reject })
      // The frame being gathered now is this waiter's, if it is the first one waiting.
      const announced = this.#decoder.announced
      if (this.#waiters.length === 1 && announced !== undefined && announced > maxBytes) {
        this.#abort(frameTooLarge(announced, maxBytes))
        return
      }
      this.#resume()
    })
  }

  /**
   * useBudget starts holding what the connection receives in `budget` from now on (a server
   * calls it once the authkey handshake is done: the handshake's own frames are bounded by
   * its 256-byte reads and its deadline, and must not wait behind large requests).
   */
  useBudget(budget: MemoryBudget): void {
    if (this.#budget !== undefined) throw new Error('useBudget: the connection already has a budget')
    this.#budget = budget
    this.#settle()
  }

  /** send writes one frame; it resolves when the socket can take more (after 'drain' if it was full). */
  async send(payload: Uint8Array): Promise<void> {
    const socket = this.socket
    if (socket.destroyed || socket.writableEnded)
      throw connectionClosed('cannot send: the connection is closed')
    let ok: boolean
    if (payload.length <= ONE_WRITE_BYTES) {
      ok = socket.write(encodeFrame(payload))
    } else {
      socket.cork()
      socket.write(encodeFrameHeader(payload.length))
      ok = socket.write(payload)
      socket.uncork()
    }
    if (!ok) await this.#drained()
  }

  /** close ends the connection (pending writes are flushed) and resolves once the socket is closed; after closeGraceMs it is destroyed. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed
    this.#dropQueued()
    const socket = this.socket
    this.#closed = new Promise<void>((resolve) => {
      if (socket.closed) {
        resolve()
        return
      }
      const timer = socket.destroyed ? undefined : setTimeout(() => socket.destroy(), this.closeGraceMs)
      timer?.unref()
      socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      if (timer === undefined) return // already destroyed: 'close' is on its way
      socket.end()
      // A paused stream with data unread never sees 'end': read and drop the rest (#onData).
      socket.resume()
    })
    return this.#closed
  }

  /** destroy closes the socket at once; pending and later `recv` calls reject with `err` (or CONNECTION_CLOSED). */
  destroy(err?: Error): void {
    this.#fail(err ?? connectionClosed('the connection was destroyed'))
    this.socket.destroy()
    this.#dropQueued()
  }

  #onData(chunk: Buffer): void {
    // closing, or failed while lingering: what is left is read and dropped
    if (this.#closed !== undefined || this.#discarding) return
    if (this.#budget !== undefined && !this.#take(chunk.length)) {
      if (chunk.length > this.#budget.limitBytes)
        this.#abort(budgetNeverFits(chunk.length, chunk.length, this.#budget.limitBytes))
      else this.#waitForRoom(chunk.length, () => this.#onData(chunk))
      return
    }
    let frames: Buffer[]
    try {
      // The i-th frame completed here goes to the i-th waiter (if none is queued before it).
      frames = this.#decoder.push(chunk, (i) =>
        this.#frames.length === 0 ? (this.#waiters[i]?.maxBytes ?? this.maxFrameBytes) : this.maxFrameBytes,
      )
    } catch (err) {
      this.#abort(err as Error)
      return
    }
    for (const frame of frames) {
      const waiter = this.#waiters.shift()
      const admitted = this.#budget === undefined ? 0 : this.#admit(frame.length)
      if (waiter === undefined) this.#frames.push({ frame, admitted })
      else waiter.resolve({ frame, hold: this.#transfer(admitted) })
    }
    if (frames.length > 0) this.#timeFrame(false)
    if (this.#frames.length > 0) this.socket.pause()
    this.#settle()
  }

  #onEnd(): void {
    this.#fail(this.#decoder.pending > 0 ? truncatedFrame() : connectionClosed())
  }

  // --- the memory budget -----------------------------------------------------------

  /** take reserves n more bytes for this connection; false when the budget has no room. */
  #take(n: number): boolean {
    const budget = this.#budget
    if (budget === undefined) return true
    if (this.#large(n) && budget.usedBytes + n > budget.limitBytes - keptForSmall(budget)) return false
    if (!budget.tryReserve(n)) return false
    this.#reserved += n
    return true
  }

  /** large says whether holding n more bytes makes this connection's share larger than SMALL_HOLD_BYTES. */
  #large(n: number): boolean {
    return this.#reserved + n > SMALL_HOLD_BYTES
  }

  /**
   * transfer moves n reserved bytes from the connection to a Hold the caller owns. A frame that
   * arrived whole in one chunk was not admitted at a header of its own: what is missing is
   * taken now if the budget has room, else the caller's hold starts smaller (and must grow).
   */
  #transfer(n: number): Hold | undefined {
    if (this.#budget === undefined) return undefined
    if (this.#reserved < n) this.#take(n - this.#reserved)
    const bytes = Math.min(n, this.#reserved)
    this.#reserved -= bytes
    return new Hold(this.#budget, bytes)
  }

  /**
   * settle makes the reservation what the connection holds or has admitted: each queued
   * frame's admission, and the frame being received: its whole admission once its header is
   * in (so an admitted frame can always finish, and waits for room before its payload is
   * read), or the header bytes so far. A frame that could never be admitted fails at once,
   * and one admitted must arrive within frameTimeoutMs (so announcing and then trickling
   * cannot keep the budget).
   */
  #settle(): void {
    const budget = this.#budget
    if (budget === undefined || this.#error !== undefined) return
    const announced = this.#decoder.announced
    const admitting = announced === undefined ? 0 : this.#admit(announced)
    if (admitting > budget.limitBytes) {
      this.#abort(budgetNeverFits(announced as number, admitting, budget.limitBytes))
      return
    }
    let need = announced === undefined ? this.#decoder.pending : admitting
    for (const f of this.#frames) need += f.admitted
    const diff = need - this.#reserved
    if (diff < 0) {
      budget.release(-diff)
      this.#reserved = need
    } else if (diff > 0 && !this.#take(diff)) {
      this.#waitForRoom(diff, () => this.#settle())
      return
    }
    this.#timeFrame(announced !== undefined)
  }

  /** timeFrame starts the deadline of an admitted frame being read, or clears it between frames. */
  #timeFrame(receiving: boolean): void {
    if (this.#budget === undefined || this.#error !== undefined) return
    if (!receiving) {
      clearTimeout(this.#frameTimer)
      this.#frameTimer = undefined
    } else if (this.#frameTimer === undefined && this.#frames.length === 0) {
      const bytes = this.#decoder.announced ?? 0
      this.#frameTimer = setTimeout(
        () => this.#abort(frameTimeout(bytes, this.#frameTimeoutMs)),
        this.#frameTimeoutMs,
      )
      this.#frameTimer.unref()
    }
  }

  /** waitForRoom pauses reading until the budget has room for `n` more bytes, then retries; BUSY after budgetWaitMs. */
  #waitForRoom(n: number, retry: () => void): void {
    const budget = this.#budget as MemoryBudget
    this.#stalled = true
    this.socket.pause()
    const wanted = n + (this.#large(n) ? keptForSmall(budget) : 0)
    void budget.waitForRoom(wanted, this.#budgetWaitMs).then((room) => {
      this.#stalled = false
      if (this.#error !== undefined || this.#closed !== undefined) return
      if (!room) {
        this.#endDeferred = false
        const frame = this.#decoder.announced ?? n
        this.#abort(budgetNoRoom(frame, this.#budgetWaitMs))
        return
      }
      retry()
      if (this.#stalled) return
      if (this.#endDeferred) this.#onEnd()
      else if (this.#frames.length === 0) this.#resume()
    })
  }

  #resume(): void {
    if (!this.#stalled) this.socket.resume()
  }

  /** dropQueued forgets frames nobody will receive and gives back everything reserved. */
  #dropQueued(): void {
    clearTimeout(this.#frameTimer)
    this.#frames.length = 0
    if (this.#budget !== undefined && this.#reserved > 0) this.#budget.release(this.#reserved)
    this.#reserved = 0
  }

  /**
   * abort fails the connection on a framing or budget error: the stream is out of sync, so
   * the socket is destroyed, or with lingerOnError kept open, reading and dropping, for the
   * caller to answer and close.
   */
  #abort(err: Error): Error {
    const recorded = this.#fail(err)
    if (this.#linger && isFrameRefusal(err)) {
      this.#discarding = true
      this.#stalled = false
      this.socket.resume()
    } else this.socket.destroy()
    return recorded
  }

  /**
   * fail records the first terminal error and rejects every waiting recv with it; returns the
   * recorded error. Frames already queued stay (and stay reserved) for recv to deliver first.
   */
  #fail(err: Error): Error {
    clearTimeout(this.#frameTimer)
    if (this.#error === undefined) this.#error = err
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#error)
    if (this.#budget !== undefined) {
      let queued = 0
      for (const f of this.#frames) queued += f.admitted
      if (this.#reserved > queued) this.#budget.release(this.#reserved - queued)
      this.#reserved = Math.min(this.#reserved, queued)
    }
    return this.#error
  }

  #drained(): Promise<void> {
    if (this.#drain !== undefined) return this.#drain
    const socket = this.socket
    this.#drain = new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        socket.off('drain', onDrain)
        socket.off('close', onClose)
        this.#drain = undefined
        if (err === undefined) resolve()
        else reject(err)
      }
      const onDrain = () => done()
      const onClose = () => done(connectionClosed('the connection closed before the frame was sent'))
      socket.on('drain', onDrain)
      socket.on('close', onClose)
    })
    return this.#drain
  }
}
