/**
 * multiprocessing.connection's errors. Each has a stable `code`; where CPython raises
 * with a fixed text (docs/protocols.md §5.1, §5.2) the message is the same text, so logs read alike
 * on both sides:
 *
 *   FRAME_TOO_LARGE    frame of 1048576 bytes exceeds the limit of 256 bytes   (CPython: OSError "bad message length")
 *   INVALID_FRAME      invalid frame length -5
 *   CONNECTION_CLOSED  connection closed by the peer                            (CPython: EOFError)
 *   TRUNCATED_FRAME    got end of file during message                           (CPython: OSError, same text)
 *   AUTH_FAILED        digest received was wrong | digest sent was rejected | …  (CPython: AuthenticationError)
 *   AUTH_TIMEOUT       authentication handshake timed out after 10000 ms
 *   BUSY               no room in the memory budget for a frame of 8388608 bytes within 2000 ms
 *                      | a frame of 8388608 bytes needs 33554432 bytes of the memory budget, more than all of it (1048576)
 *   FRAME_TIMEOUT      a frame of 8388608 bytes did not arrive within 30000 ms of its header
 */
import { LabError } from '../../lib/errors.ts'

/** FrameTooLargeError: a header announced more than the reader accepts; raised before the payload is buffered. */
export class FrameTooLargeError extends LabError {
  readonly length: number
  readonly limit: number

  constructor(length: number | bigint, limit: number) {
    super('FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the limit of ${limit} bytes`)
    this.length = Number(length)
    this.limit = limit
  }
}

/** InvalidFrameError: a negative length other than -1 (the marker of the 8-byte form). */
export class InvalidFrameError extends LabError {
  constructor(length: number) {
    super('INVALID_FRAME', `invalid frame length ${length}`)
  }
}

/** ConnectionClosedError: the peer closed the connection between frames (CPython's EOFError). */
export class ConnectionClosedError extends LabError {
  constructor(message = 'connection closed by the peer') {
    super('CONNECTION_CLOSED', message)
  }
}

/** TruncatedFrameError: the peer closed the connection part-way through a frame. */
export class TruncatedFrameError extends LabError {
  constructor() {
    super('TRUNCATED_FRAME', 'got end of file during message')
  }
}

/** AuthenticationError: the authkey handshake failed (multiprocessing.AuthenticationError). */
export class AuthenticationError extends LabError {
  constructor(message: string) {
    super('AUTH_FAILED', message)
  }
}

/** HandshakeTimeoutError: the peer did not finish the handshake in time; the connection is destroyed. */
export class HandshakeTimeoutError extends LabError {
  constructor(timeoutMs: number) {
    super('AUTH_TIMEOUT', `authentication handshake timed out after ${timeoutMs} ms`)
  }
}

/** BudgetExceededError: the memory budget had no room for a frame being received. */
export class BudgetExceededError extends LabError {
  readonly bytes: number

  constructor(bytes: number, message: string) {
    super('BUSY', message)
    this.bytes = bytes
  }

  /** noRoom: no room appeared within the wait (reading was paused meanwhile). */
  static noRoom(bytes: number, waitMs: number): BudgetExceededError {
    return new BudgetExceededError(
      bytes,
      `no room in the memory budget for a frame of ${bytes} bytes within ${waitMs} ms`,
    )
  }

  /** neverFits: admitting the frame needs more than the whole budget, so it is not waited for. */
  static neverFits(bytes: number, need: number, limitBytes: number): BudgetExceededError {
    return new BudgetExceededError(
      bytes,
      `a frame of ${bytes} bytes needs ${need} bytes of the memory budget, more than all of it (${limitBytes})`,
    )
  }
}

/** FrameTimeoutError: an admitted frame's bytes did not all arrive in time (with a memory budget). */
export class FrameTimeoutError extends LabError {
  constructor(bytes: number, timeoutMs: number) {
    super('FRAME_TIMEOUT', `a frame of ${bytes} bytes did not arrive within ${timeoutMs} ms of its header`)
  }
}
