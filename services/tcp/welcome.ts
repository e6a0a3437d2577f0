/**
 * welcome (port 8001): seed 001's server.py, one exchange per connection.
 *
 *   connect ──▶ wait up to TCP_WELCOME_TIMEOUT_MS for the first message (the seed's
 *               settimeout(5), then recv(1024))
 *           ──▶ `1` → `welcome to server!`, anything else → `please go out!`, then close
 *           ──▶ silent for the whole timeout → closed with nothing sent (the seed's `time out`)
 *
 * The replies are the seed's exact bytes, no newline. A client that half-closes without
 * sending gets `please go out!` (the seed's recv returns '' and '' != '1'). Bytes after the
 * first message are read and discarded until the peer closes.
 */
import type { Conn, ProtocolHandler } from './connection.ts'

/** The reply to the message `1`. */
export const WELCOME_REPLY = Buffer.from('welcome to server!')
/** The reply to any other first message. */
export const GO_OUT_REPLY = Buffer.from('please go out!')
/** The seed's recv(1024): only this much of the first message is compared. */
const RECV_BYTES = 1024
const ONE = Buffer.from('1')

/** welcomeReply is the server's answer to a first message. */
export function welcomeReply(message: Buffer): Buffer {
  return message.subarray(0, RECV_BYTES).equals(ONE) ? WELCOME_REPLY : GO_OUT_REPLY
}

/** welcomeHandler serves one welcome exchange; `timeoutMs` runs from the accept. */
export function welcomeHandler(conn: Conn, timeoutMs: number): ProtocolHandler {
  let answered = false
  const timer = setTimeout(() => {
    if (answered) return
    answered = true
    conn.close('welcome timeout')
  }, timeoutMs)
  conn.socket.once('close', () => clearTimeout(timer))

  const answer = (message: Buffer, reason: string) => {
    if (answered) return
    answered = true
    clearTimeout(timer)
    conn.write(welcomeReply(message))
    conn.close(reason)
  }
  return {
    onData: (chunk) => answer(chunk, 'answered'),
    onEnd: () => {
      answer(Buffer.alloc(0), 'peer closed')
      conn.close('peer closed')
    },
    // Shutdown: the exchange in flight ends within its own timeout; once answered, close.
    drain: () => {
      if (answered) conn.close('server shutdown')
    },
  }
}
