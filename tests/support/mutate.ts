/**
 * Mutations of valid inputs, as fast-check arbitraries, shared by the unit fuzz tests and
 * the network fuzz (tests/support/net-fuzz): a valid message is damaged by a few random
 * edits (bit flips, byte overwrites, truncation, deleted, duplicated or inserted runs,
 * splices of another message), and a stream is cut into chunks at random points.
 */
import fc from 'fast-check'

type Edit =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }

/** positions are fractions of the length, so one edit fits any message */
const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at,
    byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x22, 0x3c, 0x7b, 0x7f, 0x80, 0xff),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
)

function applyEdit(b: Buffer, e: Edit): Buffer {
  const i = Math.floor(e.at * b.length)
  switch (e.kind) {
    case 'flip': {
      if (b.length === 0) return b
      const out = Buffer.from(b)
      out[i] = (out[i] as number) ^ (1 << e.bit)
      return out
    }
    case 'set': {
      if (b.length === 0) return b
      const out = Buffer.from(b)
      out[i] = e.byte
      return out
    }
    case 'truncate':
      return b.subarray(0, i)
    case 'delete':
      return Buffer.concat([b.subarray(0, i), b.subarray(i + e.length)])
    case 'duplicate':
      return Buffer.concat([b.subarray(0, i + e.length), b.subarray(i)])
    case 'insert':
      return Buffer.concat([b.subarray(0, i), e.bytes, b.subarray(i)])
  }
}

/** mutated damages a valid message with 1 to 4 random edits. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([v, edits]) => edits.reduce(applyEdit, Buffer.from(v)))
}

/** spliced joins the head of one valid message to the tail of another. */
export function spliced(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(valid, valid, at, at)
    .map(([a, b, i, j]) =>
      Buffer.concat([a.subarray(0, Math.floor(i * a.length)), b.subarray(Math.floor(j * b.length))]),
    )
}

/** hostile is a valid message, a mutation or splice of one, or plain random bytes. */
export function hostile(valid: fc.Arbitrary<Uint8Array>, maxRandomBytes = 512): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { arbitrary: valid.map((v) => Buffer.from(v)), weight: 1 },
    { arbitrary: mutated(valid), weight: 4 },
    { arbitrary: spliced(valid), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: maxRandomBytes }).map((v) => Buffer.from(v)), weight: 2 },
  )
}

/** chunks cuts `bytes` at the given cut points (fractions), keeping every byte in order. */
export function cut(bytes: Uint8Array, points: readonly number[]): Buffer[] {
  const idx = [...new Set(points.map((p) => Math.floor(p * bytes.length)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const i of [...idx, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(prev, i)))
    prev = i
  }
  return out
}

/** cutPoints is an arbitrary list of cut points for `cut`. */
export const cutPoints: fc.Arbitrary<number[]> = fc.array(at, { maxLength: 12 })
