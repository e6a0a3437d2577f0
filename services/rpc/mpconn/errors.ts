/**
 * multiprocessing.connection's errors. Each has a stable `code`; where CPython raises
 * with a fixed text (PROTOCOLS 5.1, 5.2) the message is the same text, so logs read alike
 * on both sides:
 *
 *   FRAME_TOO_LARGE    frame of 1048576 bytes exceeds the limit of 256 bytes   (CPython: OSError "bad message length")
 *   INVALID_FRAME      invalid frame length -5
 *   CONNECTION_CLOSED  connection closed by the peer                            (CPython: EOFError)
 *   TRUNCATED_FRAME    got end of file during message                           (CPython: OSError, same text)
 *   AUTH_FAILED        digest received was wrong | digest sent was rejected | …  (CPython: AuthenticationError)
 *   AUTH_TIMEOUT       authentication handshake timed out after 10000 ms
 *   BUSY               no room in the memory budget for a frame of 8388608 bytes within 2000 ms
 *                      | a frame of 8388608 bytes is larger than the whole memory budget of 1048576 bytes
 */
import { LabError } from '../../../lib/errors.ts'

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

/** BudgetExceededError: the memory budget had no room for a frame being received, within the wait. */
export class BudgetExceededError extends LabError {
  readonly bytes: number

  /** `waitMs` undefined: the frame is larger than the whole budget (`limitBytes`), so it was not waited for. */
  constructor(bytes: number, waitMs: number | undefined, limitBytes: number) {
    super(
      'BUSY',
      waitMs === undefined
        ? `a frame of ${bytes} bytes is larger than the whole memory budget of ${limitBytes} bytes`
        : `no room in the memory budget for a frame of ${bytes} bytes within ${waitMs} ms`,
    )
    this.bytes = bytes
  }
}
