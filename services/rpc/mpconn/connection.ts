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
 */
import type { Duplex } from 'node:stream'
import { ConnectionClosedError, FrameTooLargeError, TruncatedFrameError } from './errors.ts'
import { encodeFrame, encodeFrameHeader, FrameDecoder } from './framing.ts'

export interface MpConnectionOptions {
  /** largest frame `recv` accepts by default, bytes (64 MiB) */
  readonly maxFrameBytes?: number
  /** how long `close` waits for the peer before destroying the socket, ms (2000) */
  readonly closeGraceMs?: number
}

interface Waiter {
  readonly maxBytes: number
  resolve(frame: Buffer): void
  reject(err: Error): void
}

/** Frames up to this size go out as one write (header + payload), as CPython does against Nagle. */
const ONE_WRITE_BYTES = 16 * 1024

export class MpConnection {
  readonly socket: Duplex
  readonly maxFrameBytes: number
  readonly closeGraceMs: number
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
    this.#decoder = new FrameDecoder({ maxFrameBytes: this.maxFrameBytes })
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('end', () =>
      this.#fail(this.#decoder.pending > 0 ? new TruncatedFrameError() : new ConnectionClosedError()),
    )
    socket.on('error', (err: Error) => this.#fail(err))
    socket.on('close', () => this.#fail(new ConnectionClosedError()))
  }

  /**
   * recv resolves with the next frame's payload. A frame longer than `maxBytes` rejects
   * with FrameTooLargeError as soon as its header arrives (CPython's `recv_bytes(maxlength)`).
   */
  recv(maxBytes: number = this.maxFrameBytes): Promise<Buffer> {
    const queued = this.#frames.shift()
    if (queued !== undefined) {
      if (queued.length > maxBytes)
        return Promise.reject(this.#abort(new FrameTooLargeError(queued.length, maxBytes)))
      return Promise.resolve(queued)
    }
    if (this.#error !== undefined) return Promise.reject(this.#error)
    return new Promise<Buffer>((resolve, reject) => {
      this.#waiters.push({ maxBytes, resolve, reject })
      // The frame being gathered now is this waiter's, if it is the first one waiting.
      const announced = this.#decoder.announced
      if (this.#waiters.length === 1 && announced !== undefined && announced > maxBytes) {
        this.#abort(new FrameTooLargeError(announced, maxBytes))
        return
      }
      this.socket.resume()
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
  }

  #onData(chunk: Buffer): void {
    if (this.#closed !== undefined) return // closing: what is left is read and dropped
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
      else waiter.resolve(frame)
    }
    if (this.#frames.length > 0) this.socket.pause()
  }

  /** abort fails the connection on a framing error and destroys the socket: the stream is out of sync. */
  #abort(err: Error): Error {
    const recorded = this.#fail(err)
    this.socket.destroy()
    return recorded
  }

  /** fail records the first terminal error and rejects every waiting recv with it; returns the recorded error. */
  #fail(err: Error): Error {
    if (this.#error === undefined) this.#error = err
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#error)
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
