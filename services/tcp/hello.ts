/**
 * hello (port 9997): seed 002's threaded TCP server, its tcplink() loop.
 *
 *   connect ──▶ `Welcome!`
 *   loop:  message = recv(1024) ──▶ wait TCP_HELLO_DELAY_MS (the seed's time.sleep(1))
 *            ──▶ the peer has closed, or the message is exactly `exit` ──▶ close
 *            ──▶ else `Hello, <message>!`
 *
 * Replies are the seed's exact bytes, no newline. A message is what the seed's recv(1024)
 * returns: up to 1024 bytes of what has arrived, so a longer send is answered in 1024-byte
 * pieces (here a piece never ends inside a UTF-8 character). Each connection runs its own
 * loop, so clients proceed side by side as the seed's threads do. The seed decodes each
 * message as UTF-8 and its thread dies on anything else; here that is `ERR BAD_UTF8 ...`
 * and close. Reading pauses while a message's worth of bytes waits (they stay in the
 * client's buffers), and no message is taken while the client is not reading its replies.
 */
import { isUtf8 } from 'node:buffer'
import { setTimeout as sleep } from 'node:timers/promises'
import { HELLO_RECV_BYTES, HELLO_WELCOME } from '../../protocols/seed-replies.ts'
import type { Conn, ProtocolHandler } from './connection.ts'
import { errLine, TcpErrorCode } from './errors.ts'

const EXIT = Buffer.from('exit')
const HELLO = Buffer.from('Hello, ')
const BANG = Buffer.from('!')

/** helloReply is `Hello, <message>!`, the message in its own (UTF-8) bytes. */
export function helloReply(message: Buffer): Buffer {
  return Buffer.concat([HELLO, message, BANG])
}

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80

/**
 * messageLength is how many bytes of `pending` one recv(1024) takes: all of them up to 1024,
 * cut back to the start of a UTF-8 character that the 1024th byte would split.
 */
export function messageLength(pending: Buffer): number {
  if (pending.length <= HELLO_RECV_BYTES) return pending.length
  let cut = HELLO_RECV_BYTES
  for (let i = 0; i < 3 && isContinuation(pending[cut]); i++) cut--
  return isContinuation(pending[cut]) ? HELLO_RECV_BYTES : cut
}

/** helloHandler serves seed 002's loop on one connection. */
export function helloHandler(conn: Conn, delayMs: number): ProtocolHandler {
  const { socket } = conn
  let pending: Buffer = Buffer.alloc(0)
  let peerEnded = false
  let wake: (() => void) | undefined
  const closed = new AbortController()
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  socket.once('close', () => {
    closed.abort()
    notify()
  })

  /** recv: the next message; empty once the peer has closed; undefined on shutdown or close. */
  const recv = async (): Promise<Buffer | undefined> => {
    for (;;) {
      if (closed.signal.aborted || conn.draining) return undefined
      if (pending.length > 0) {
        const n = messageLength(pending)
        const message = pending.subarray(0, n)
        pending = pending.subarray(n)
        if (pending.length < HELLO_RECV_BYTES) conn.resume('queue')
        return message
      }
      if (peerEnded) return Buffer.alloc(0)
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  }

  /** writable resolves once the client has read what it was sent (or on close or shutdown). */
  const writable = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done)
        resolve()
      }
      socket.once('drain', done)
      wake = done
    })

  const serve = async () => {
    conn.write(HELLO_WELCOME)
    for (;;) {
      if (socket.writableNeedDrain) await writable()
      const message = await recv()
      if (message === undefined) break
      if (delayMs > 0) {
        try {
          await sleep(delayMs, undefined, { signal: closed.signal })
        } catch {
          return // the peer went away mid-sleep
        }
      }
      if (message.length === 0) return conn.close('peer closed')
      if (message.equals(EXIT)) return conn.close('exit')
      if (!isUtf8(message)) {
        conn.write(errLine(TcpErrorCode.BAD_UTF8, 'message is not valid UTF-8; closing'))
        conn.log.info({ code: TcpErrorCode.BAD_UTF8 }, 'bad request')
        return conn.close('bad request')
      }
      conn.write(helloReply(message))
    }
    if (closed.signal.aborted) return
    // Shutdown: the message in flight has been answered; what waits behind it is not taken.
    if (pending.length > 0) conn.write(errLine(TcpErrorCode.SHUTTING_DOWN, 'server is shutting down'))
    conn.close('server shutdown')
  }
  serve().catch((err: unknown) => {
    conn.log.error({ err }, 'hello loop failed')
    conn.destroy('internal error')
  })

  return {
    onData(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      if (pending.length >= HELLO_RECV_BYTES) conn.pause('queue')
      notify()
    },
    onEnd() {
      peerEnded = true
      notify()
    },
    drain: notify,
  }
}
