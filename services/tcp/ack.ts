/**
 * ack (port 50000): seed 001's tcpServer. Every message gets the seed's exact reply,
 * `tcpServer has received your message` (35 bytes, no newline), until the client closes.
 * A message is what one of the seed's recv(4096) calls returns, so a chunk of n bytes
 * read at once counts as ceil(n / 4096) messages. Nothing is buffered: each chunk is
 * answered as it arrives, and a client that never reads stops being read (Conn.write).
 */
import { ACK_RECV_BYTES, ACK_REPLY } from '../../protocols/seed-replies.ts'
import type { Conn, ProtocolHandler } from './connection.ts'

/** ackReplies returns the replies a chunk of `bytes` bytes earns, as one buffer. */
export function ackReplies(bytes: number): Buffer {
  const count = Math.ceil(bytes / ACK_RECV_BYTES)
  return count === 1 ? ACK_REPLY : Buffer.concat(Array.from({ length: count }, () => ACK_REPLY))
}

export function ackHandler(conn: Conn): ProtocolHandler {
  return {
    onData: (chunk) => conn.write(ackReplies(chunk.length)),
    onEnd: () => conn.close('peer closed'),
    drain: () => conn.close('server shutdown'),
  }
}
