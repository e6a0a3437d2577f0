/**
 * LineSplitter turns a byte stream into lines: `\n`-terminated, a trailing `\r` stripped
 * (so telnet, nc -C and CRLF clients all work), decoded as UTF-8. A line longer than
 * `maxLineBytes` (not counting the terminator) is reported once as LINE_TOO_LONG and the
 * rest of it is discarded up to the next `\n`, so the stream stays usable and the
 * buffered bytes never exceed `maxLineBytes` + 1 (room for the `\r` of a CRLF).
 */

/** LineTooLong marks the place of an over-long line in the output of `push`. */
export interface LineTooLong {
  readonly error: 'LINE_TOO_LONG'
  readonly maxLineBytes: number
}

export type LineEvent = string | LineTooLong

const NL = 0x0a
const CR = 0x0d

export class LineSplitter {
  readonly maxLineBytes: number
  #parts: Buffer[] = []
  #buffered = 0
  #discarding = false

  constructor(opts: { maxLineBytes: number }) {
    this.maxLineBytes = opts.maxLineBytes
  }

  /** push feeds one chunk and returns the complete lines (and errors) it finished. */
  push(chunk: Buffer): LineEvent[] {
    const out: LineEvent[] = []
    let start = 0
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start)
      const end = nl === -1 ? chunk.length : nl
      if (!this.#discarding) {
        const piece = chunk.subarray(start, end)
        // One more byte is allowed, also when `\n` is in this chunk: it may be the `\r` of a
        // CRLF; #endLine strips it and rejects the line if that byte was not a `\r`.
        if (this.#buffered + piece.length > this.maxLineBytes + 1) {
          this.#tooLong(out)
        } else if (piece.length > 0) {
          this.#parts.push(piece)
          this.#buffered += piece.length
        }
      }
      if (nl === -1) break
      if (this.#discarding) this.#discarding = false
      else this.#endLine(out)
      start = nl + 1
    }
    return out
  }

  /** pending is the number of bytes held for an unfinished line. */
  get pending(): number {
    return this.#buffered
  }

  #tooLong(out: LineEvent[]): void {
    out.push({ error: 'LINE_TOO_LONG', maxLineBytes: this.maxLineBytes })
    this.#parts = []
    this.#buffered = 0
    this.#discarding = true
  }

  #endLine(out: LineEvent[]): void {
    let line = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts)
    this.#parts = []
    this.#buffered = 0
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, -1)
    // Over by one only when the byte kept for a possible `\r` was not one.
    if (line.length > this.maxLineBytes) out.push({ error: 'LINE_TOO_LONG', maxLineBytes: this.maxLineBytes })
    else out.push(line.toString('utf8'))
  }
}
