/**
 * Unicode-correct upper-casing of a UTF-8 byte stream, chunk by chunk. A multi-byte
 * character split across TCP segments is held back (StringDecoder) until its last byte
 * arrives, so `é` sent as 0xC3 | 0xA9 in two segments still becomes `É`. Bytes that are
 * not valid UTF-8 become U+FFFD. Output may be longer than input (`ß` → `SS`).
 */
import { StringDecoder } from 'node:string_decoder'
import type { Conn, ProtocolHandler } from './connection.ts'

export class Utf8Upper {
  readonly #decoder = new StringDecoder('utf8')

  /** push returns the upper-cased bytes for every complete character received so far. */
  push(chunk: Buffer): Buffer {
    return Buffer.from(this.#decoder.write(chunk).toUpperCase(), 'utf8')
  }

  /** end flushes an incomplete trailing sequence (as U+FFFD) when the peer closes. */
  end(): Buffer {
    return Buffer.from(this.#decoder.end().toUpperCase(), 'utf8')
  }
}

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
