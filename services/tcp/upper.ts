/** upper (port 9999): the TCP upper-casing port, over protocols/utf8-upper.ts. */
import { Utf8Upper } from '../../protocols/utf8-upper.ts'
import type { Conn, ProtocolHandler } from './connection.ts'

/**
 * upper (port 9999): each chunk is sent back upper-cased at once, no newline needed, so
 * seed 003's `sendall(b"Hello world 123")` then `recv(1024)` gets `b"HELLO WORLD 123"`.
 */
export function upperHandler(conn: Conn): ProtocolHandler {
  const upper = new Utf8Upper()
  return {
    onData: (chunk) => {
      const out = upper.push(chunk)
      if (out.length > 0) conn.write(out)
    },
    onEnd: () => {
      const rest = upper.end()
      if (rest.length > 0) conn.write(rest)
      conn.close('peer closed')
    },
    drain: () => conn.close('server shutdown'),
  }
}
