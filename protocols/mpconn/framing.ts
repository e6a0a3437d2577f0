/**
 * multiprocessing.connection framing (CPython `Lib/multiprocessing/connection.py`,
 * `Connection._send_bytes` / `_recv_bytes`; docs/protocols.md §5.1), the same from 3.8 to 3.14:
 *
 *   len ≤ 0x7FFFFFFF   [int32 BE len] [payload]
 *   len > 0x7FFFFFFF   [FF FF FF FF] [uint64 BE len] [payload]      (3.8+)
 *   empty message      00 00 00 00
 *
 * FrameDecoder splits a byte stream into frames. A header that announces more than the
 * limit fails at once, before any of its payload is buffered; a frame that arrives whole
 * in one chunk is returned as a view of that chunk (no copy), a split one is gathered in
 * one buffer of the announced size (one copy). Any other negative length is an error
 * (CPython would read it as an empty message and lose sync). MpConnection
 * (connection.ts) runs this codec over a socket.
 */
import { frameTooLarge, invalidFrame } from './errors.ts'

/** Largest length the 4-byte header form carries. */
export const MAX_SHORT_FRAME = 0x7fff_ffff

/** encodeFrameHeader is the 4-byte (or, above 0x7FFFFFFF, 12-byte) header for a payload of `length` bytes. */
export function encodeFrameHeader(length: number): Buffer {
  if (length <= MAX_SHORT_FRAME) {
    const header = Buffer.allocUnsafe(4)
    header.writeInt32BE(length, 0)
    return header
  }
  const header = Buffer.allocUnsafe(12)
  header.writeInt32BE(-1, 0)
  header.writeBigUInt64BE(BigInt(length), 4)
  return header
}

/** encodeFrame is header + payload in one buffer (one copy; fine for the small frames RPC sends). */
export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.length > MAX_SHORT_FRAME) return Buffer.concat([encodeFrameHeader(payload.length), payload])
  const frame = Buffer.allocUnsafe(4 + payload.length)
  frame.writeInt32BE(payload.length, 0)
  frame.set(payload, 4)
  return frame
}

/** FrameLimit says how large the i-th frame finished by one `push` may be (for per-read limits). */
export type FrameLimit = (index: number) => number

/**
 * FrameDecoder turns a byte stream into frames. A split frame is gathered as a list of
 * chunk views and joined once complete, so memory follows what arrived, not what a header
 * claims.
 */
export class FrameDecoder {
  /** the default limit, bytes; `push` may pass a tighter one per frame */
  readonly maxFrameBytes: number
  /** header bytes gathered so far (4, or 12 for the long form) */
  readonly #header = Buffer.alloc(12)
  #headerHave = 0
  /** announced length of the frame being gathered, or -1 between frames */
  #length = -1
  #parts: Buffer[] = []
  #partsHave = 0
  #error: Error | undefined

  constructor(opts: { maxFrameBytes: number }) {
    this.maxFrameBytes = opts.maxFrameBytes
  }

  /**
   * push feeds one chunk and returns the frames it completes. `limit(i)` bounds the i-th
   * of them (default: maxFrameBytes). After an error the stream is out of sync: every
   * later push throws the same error.
   */
  push(chunk: Buffer, limit?: FrameLimit): Buffer[] {
    if (this.#error !== undefined) throw this.#error
    try {
      return this.#push(chunk, limit)
    } catch (err) {
      this.#error = err as Error
      throw err
    }
  }

  /** announced is the length of the frame being gathered, once its header is complete. */
  get announced(): number | undefined {
    return this.#length < 0 ? undefined : this.#length
  }

  /** pending is the number of bytes held for an unfinished frame (0 at a frame boundary). */
  get pending(): number {
    return this.#length < 0 ? this.#headerHave : this.#partsHave
  }

  #push(chunk: Buffer, limit: FrameLimit | undefined): Buffer[] {
    const frames: Buffer[] = []
    let i = 0
    while (i < chunk.length) {
      if (this.#length >= 0) {
        const n = Math.min(chunk.length - i, this.#length - this.#partsHave)
        this.#parts.push(chunk.subarray(i, i + n))
        this.#partsHave += n
        i += n
        if (this.#partsHave === this.#length) {
          frames.push(
            this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#length),
          )
          this.#length = -1
          this.#parts = []
          this.#partsHave = 0
        }
        continue
      }
      let length: number
      const whole = this.#headerHave === 0 ? headerSize(chunk, i) : 0
      if (whole > 0) {
        // The usual case: the header is all in this chunk.
        length = this.#parse(chunk, i, limit?.(frames.length))
        i += whole
      } else {
        const want = this.#headerHave >= 4 && this.#header.readInt32BE(0) === -1 ? 12 : 4
        const n = Math.min(want - this.#headerHave, chunk.length - i)
        chunk.copy(this.#header, this.#headerHave, i, i + n)
        this.#headerHave += n
        i += n
        if (this.#headerHave < want) break
        if (want === 4 && this.#header.readInt32BE(0) === -1) continue
        length = this.#parse(this.#header, 0, limit?.(frames.length))
        this.#headerHave = 0
      }
      if (chunk.length - i >= length) {
        frames.push(chunk.subarray(i, i + length))
        i += length
      } else {
        this.#length = length
      }
    }
    return frames
  }

  /** parse reads a complete header at src[at] and checks the length against the limit. */
  #parse(src: Buffer, at: number, limit = this.maxFrameBytes): number {
    const short = src.readInt32BE(at)
    if (short < -1) throw invalidFrame(short)
    const length = short === -1 ? src.readBigUInt64BE(at + 4) : short
    if (length > limit) throw frameTooLarge(length, limit)
    return Number(length)
  }
}

/** headerSize is 4 or 12 when a whole header starts at chunk[i], else 0. */
function headerSize(chunk: Buffer, i: number): number {
  const left = chunk.length - i
  if (left < 4) return 0
  if (chunk.readInt32BE(i) !== -1) return 4
  return left >= 12 ? 12 : 0
}
