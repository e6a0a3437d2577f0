/** The byte buffer encodePickle (encode.ts) and its writers (encode-data.ts) write into. */
import * as op from './opcodes.ts'

const FRAME_SIZE_TARGET = 64 * 1024
const FRAME_HEADER_BYTES = 9

/** Output is a growable buffer that frames what it holds the way the C pickler does. */
export class Output {
  buf = Buffer.allocUnsafe(256)
  pos = 0
  framing = false
  /** where the open frame's 9-byte header is reserved, or -1 */
  frameStart = -1

  /** reserve makes room for n bytes, opening a frame first when framing. */
  reserve(n: number): void {
    if (this.framing && this.frameStart < 0) {
      this.frameStart = this.pos
      this.grow(FRAME_HEADER_BYTES)
      this.pos += FRAME_HEADER_BYTES
    }
    this.grow(n)
  }

  grow(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(bigger, 0, 0, this.pos)
    this.buf = bigger
  }

  byte(b: number): void {
    this.reserve(1)
    this.buf[this.pos++] = b
  }

  /** opArg writes an opcode and its little-endian unsigned argument of `size` bytes (1, 2 or 4). */
  opArg(code: number, arg: number, size: 1 | 2 | 4): void {
    this.reserve(1 + size)
    this.buf[this.pos] = code
    this.buf.writeUIntLE(arg, this.pos + 1, size)
    this.pos += 1 + size
  }

  /** opLen writes an opcode and a length of `size` bytes (1, 4 or 8), then `data`, unframed when large. */
  opLen(code: number, data: Uint8Array, size: 1 | 4 | 8): void {
    const large = this.framing && data.length >= FRAME_SIZE_TARGET
    if (large) {
      this.commitFrame()
      this.framing = false
    }
    this.reserve(1 + size + data.length)
    this.buf[this.pos] = code
    if (size === 8) this.buf.writeBigUInt64LE(BigInt(data.length), this.pos + 1)
    else this.buf.writeUIntLE(data.length, this.pos + 1, size)
    this.pos += 1 + size
    this.buf.set(data, this.pos)
    this.pos += data.length
    if (large) this.framing = true
  }

  /** boundary closes the open frame once it holds FRAME_SIZE_TARGET bytes (called before each value). */
  boundary(): void {
    if (this.frameStart >= 0 && this.pos - this.frameStart - FRAME_HEADER_BYTES >= FRAME_SIZE_TARGET)
      this.commitFrame()
  }

  /** commitFrame writes the open frame's header, or drops the reservation when it holds under 4 bytes. */
  commitFrame(): void {
    if (this.frameStart < 0) return
    const len = this.pos - this.frameStart - FRAME_HEADER_BYTES
    if (len >= 4) {
      this.buf[this.frameStart] = op.FRAME
      this.buf.writeBigUInt64LE(BigInt(len), this.frameStart + 1)
    } else {
      this.buf.copyWithin(this.frameStart, this.frameStart + FRAME_HEADER_BYTES, this.pos)
      this.pos -= FRAME_HEADER_BYTES
    }
    this.frameStart = -1
  }

  finish(): Buffer {
    this.commitFrame()
    return this.buf.subarray(0, this.pos)
  }
}
