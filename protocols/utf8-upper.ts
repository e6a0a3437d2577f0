/**
 * Unicode-correct upper-casing of a UTF-8 byte stream, chunk by chunk. A multi-byte
 * character split across TCP segments is held back (StringDecoder) until its last byte
 * arrives, so `é` sent as 0xC3 | 0xA9 in two segments still becomes `É`. Bytes that are
 * not valid UTF-8 become U+FFFD. Output may be longer than input (`ß` → `SS`).
 */
import { StringDecoder } from 'node:string_decoder'

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
