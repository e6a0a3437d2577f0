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
 * destroyed on a framing error. EOF between frames is ConnectionClosedError (CPython's
 * EOFError), EOF inside one TruncatedFrameError.
 *
 * With a memory budget (lib/memory-budget.ts), what the connection holds is reserved in it
 * before it is kept: each chunk as it arrives, until its frame is handed over. Without room,
 * reading pauses until there is (another request finished), for up to `budgetWaitMs`; then
 * the connection fails with BudgetExceededError (BUSY), as it does at once for a frame whose
 * header announces more than the whole budget. Only bytes that arrived are held: announcing
 * a large frame costs nothing until it is sent. `recvHeld` hands a frame over with its share
 * of the budget, for the caller to release when done with it.
 */
import type { Duplex } from 'node:stream'
import { Hold, type MemoryBudget } from '../../../lib/memory-budget.ts'
import {
  BudgetExceededError,
  ConnectionClosedError,
  FrameTooLargeError,
  TruncatedFrameError,
} from './errors.ts'
import { encodeFrame, encodeFrameHeader, FrameDecoder } from './framing.ts'

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
  readonly #budget: MemoryBudget | undefined
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
  readonly #frames: Buffer[] = []
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
    this.#decoder = new FrameDecoder({ maxFrameBytes: this.maxFrameBytes })
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('end', () => {
      // EOF while a chunk waits for room in the budget: it comes after that chunk.
      if (this.#stalled) this.#endDeferred = true
      else this.#onEnd()
    })
    socket.on('error', (err: Error) => this.#fail(err))
    socket.on('close', () => this.#fail(new ConnectionClosedError()))
  }

  /**
   * recv resolves with the next frame's payload. A frame longer than `maxBytes` rejects
   * with FrameTooLargeError as soon as its header arrives (CPython's `recv_bytes(maxlength)`).
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
      const held = { frame: queued, hold: this.#transfer(queued.length) }
      if (queued.length > maxBytes) {
        held.hold?.release()
        return Promise.reject(this.#abort(new FrameTooLargeError(queued.length, maxBytes)))
      }
      if (this.#frames.length === 0) this.#resume()
      return Promise.resolve(held)
    }
    if (this.#error !== undefined) return Promise.reject(this.#error)
    return new Promise<HeldFrame>((resolve, reject) => {
      this.#waiters.push({ maxBytes, resolve, reject })
      // The frame being gathered now is this waiter's, if it is the first one waiting.
      const announced = this.#decoder.announced
      if (this.#waiters.length === 1 && announced !== undefined && announced > maxBytes) {
        this.#abort(new FrameTooLargeError(announced, maxBytes))
        return
      }
      this.#resume()
    })
  }

  /** send writes one frame; it resolves when the socket can take more (after 'drain' if it was full). */
  async send(payload: Uint8Array): Promise<void> {
    const socket = this.socket
    if (socket.destroyed || socket.writableEnded)
      throw new ConnectionClosedError('cannot send: the connection is closed')
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

  /** destroy closes the socket at once; pending and later `recv` calls reject with `err` (or ConnectionClosedError). */
  destroy(err?: Error): void {
    this.#fail(err ?? new ConnectionClosedError('the connection was destroyed'))
    this.socket.destroy()
    this.#dropQueued()
  }

  #onData(chunk: Buffer): void {
    // closing, or failed while lingering: what is left is read and dropped
    if (this.#closed !== undefined || this.#discarding) return
    if (this.#budget !== undefined && !this.#take(chunk.length)) {
      if (chunk.length > this.#budget.limitBytes)
        this.#abort(new BudgetExceededError(chunk.length, undefined, this.#budget.limitBytes))
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
      if (waiter === undefined) this.#frames.push(frame)
      else waiter.resolve({ frame, hold: this.#transfer(frame.length) })
    }
    if (this.#frames.length > 0) this.socket.pause()
    this.#settle()
  }

  #onEnd(): void {
    this.#fail(this.#decoder.pending > 0 ? new TruncatedFrameError() : new ConnectionClosedError())
  }

  // --- the memory budget -----------------------------------------------------------

  /** take reserves n more bytes for this connection; false when the budget has no room. */
  #take(n: number): boolean {
    if (!(this.#budget?.tryReserve(n) ?? true)) return false
    this.#reserved += n
    return true
  }

  /** transfer moves n reserved bytes from the connection to a Hold the caller owns. */
  #transfer(n: number): Hold | undefined {
    if (this.#budget === undefined) return undefined
    const bytes = Math.min(n, this.#reserved)
    this.#reserved -= bytes
    return new Hold(this.#budget, bytes)
  }

  /**
   * settle makes the reservation what the connection holds now (the part of the frame being
   * received that has arrived, and the queued frames), and fails at once a frame whose header
   * announces more than the whole budget. Only what arrived is held, so a client that announces
   * a large frame and trickles it holds no more than it sent.
   */
  #settle(): void {
    const budget = this.#budget
    if (budget === undefined || this.#error !== undefined) return
    const announced = this.#decoder.announced
    if (announced !== undefined && announced > budget.limitBytes) {
      this.#abort(new BudgetExceededError(announced, undefined, budget.limitBytes))
      return
    }
    let held = this.#decoder.pending
    for (const f of this.#frames) held += f.length
    if (held < this.#reserved) {
      budget.release(this.#reserved - held)
      this.#reserved = held
    }
  }

  /** waitForRoom pauses reading until the budget has room for `n` more bytes, then retries; BUSY after budgetWaitMs. */
  #waitForRoom(n: number, retry: () => void): void {
    const budget = this.#budget as MemoryBudget
    this.#stalled = true
    this.socket.pause()
    void budget.waitForRoom(n, this.#budgetWaitMs).then((room) => {
      this.#stalled = false
      if (this.#error !== undefined || this.#closed !== undefined) return
      if (!room) {
        this.#endDeferred = false
        const frame = this.#decoder.announced ?? n
        this.#abort(new BudgetExceededError(frame, this.#budgetWaitMs, budget.limitBytes))
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
    if (this.#linger && (err instanceof FrameTooLargeError || err instanceof BudgetExceededError)) {
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
    if (this.#error === undefined) this.#error = err
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#error)
    if (this.#budget !== undefined) {
      let queued = 0
      for (const f of this.#frames) queued += f.length
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
      const onClose = () => done(new ConnectionClosedError('the connection closed before the frame was sent'))
      socket.on('drain', onDrain)
      socket.on('close', onClose)
    })
    return this.#drain
  }
}
