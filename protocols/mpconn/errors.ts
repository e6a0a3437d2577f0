/**
 * multiprocessing.connection's errors: ProtocolErrors (protocols/errors.ts, where the codes'
 * table is) built here. Where CPython raises with a fixed text (docs/protocols.md §5.1, §5.2)
 * the message is the same text, so logs read alike on both sides:
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
import { isProtocolError, ProtocolError } from '../errors.ts'

/** frameTooLarge: a header announced more than the reader accepts; raised before the payload is buffered. */
export const frameTooLarge = (length: number | bigint, limit: number): ProtocolError =>
  new ProtocolError('FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the limit of ${limit} bytes`)

/** invalidFrame: a negative length other than -1 (the marker of the 8-byte form). */
export const invalidFrame = (length: number): ProtocolError =>
  new ProtocolError('INVALID_FRAME', `invalid frame length ${length}`)

/** connectionClosed: the peer closed the connection between frames (CPython's EOFError), or we did. */
export const connectionClosed = (message = 'connection closed by the peer'): ProtocolError =>
  new ProtocolError('CONNECTION_CLOSED', message)

/** truncatedFrame: the peer closed the connection part-way through a frame. */
export const truncatedFrame = (): ProtocolError =>
  new ProtocolError('TRUNCATED_FRAME', 'got end of file during message')

/** authFailed: the authkey handshake failed (multiprocessing.AuthenticationError, with its text). */
export const authFailed = (message: string): ProtocolError => new ProtocolError('AUTH_FAILED', message)

/** handshakeTimeout: the peer did not finish the handshake in time; the connection is destroyed. */
export const handshakeTimeout = (timeoutMs: number): ProtocolError =>
  new ProtocolError('AUTH_TIMEOUT', `authentication handshake timed out after ${timeoutMs} ms`)

/** budgetNoRoom: no room appeared in the memory budget within the wait (reading was paused meanwhile). */
export const budgetNoRoom = (bytes: number, waitMs: number): ProtocolError =>
  new ProtocolError('BUSY', `no room in the memory budget for a frame of ${bytes} bytes within ${waitMs} ms`)

/** budgetNeverFits: admitting the frame needs more than the whole budget, so it is not waited for. */
export const budgetNeverFits = (bytes: number, need: number, limitBytes: number): ProtocolError =>
  new ProtocolError(
    'BUSY',
    `a frame of ${bytes} bytes needs ${need} bytes of the memory budget, more than all of it (${limitBytes})`,
  )

/** frameTimeout: an admitted frame's bytes did not all arrive in time (with a memory budget). */
export const frameTimeout = (bytes: number, timeoutMs: number): ProtocolError =>
  new ProtocolError(
    'FRAME_TIMEOUT',
    `a frame of ${bytes} bytes did not arrive within ${timeoutMs} ms of its header`,
  )

/**
 * isFrameRefusal says whether `err` refused a frame the peer may still be told about (over
 * the limit, no room, too slow), as opposed to EOF, a bad header or a socket error.
 */
export function isFrameRefusal(
  err: unknown,
): err is ProtocolError & { readonly code: 'FRAME_TOO_LARGE' | 'BUSY' | 'FRAME_TIMEOUT' } {
  return isProtocolError(err, 'FRAME_TOO_LARGE', 'BUSY', 'FRAME_TIMEOUT')
}
