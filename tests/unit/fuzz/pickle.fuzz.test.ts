/**
 * Fuzz: the safe pickle decoder (services/rpc/pickle/decode.ts). Every value the encoder
 * writes, at every protocol, decodes to itself; any other bytes (random, or valid pickles
 * bit-flipped, truncated, spliced, with code-running opcodes spliced in) give a value
 * within the limits or a PICKLE_FORMAT / PICKLE_REFUSED / PICKLE_LIMIT error, never
 * another exception.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { LabError } from '../../../lib/errors.ts'
import { decodePickle, type PickleLimits } from '../../../services/rpc/pickle/decode.ts'
import { encodePickle } from '../../../services/rpc/pickle/encode.ts'
import {
  PyByteArray,
  PyDict,
  PyException,
  PySet,
  PyTuple,
  type PyValue,
} from '../../../services/rpc/pickle/value.ts'
import { check } from './budget.ts'
import { hostile } from './mutate.ts'

const hashable: fc.Arbitrary<PyValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.bigInt()), { maxLength: 3 }).map((xs) => new PyTuple(xs)),
)

const { value } = fc.letrec<{ value: PyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.oneof(fc.integer().map(BigInt), fc.bigInt({ min: -(2n ** 2100n), max: 2n ** 2100n })),
    fc.double(),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.uint8Array({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 8 }).map((b) => new PyByteArray(b)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => new PyTuple(xs)),
    fc.array(fc.tuple(hashable, tie('value')), { maxLength: 4 }).map((es) => new PyDict(es)),
    fc.tuple(fc.array(hashable, { maxLength: 4 }), fc.boolean()).map(([xs, frozen]) => new PySet(xs, frozen)),
  ),
}))

const protocol = fc.constantFrom(2 as const, 3 as const, 4 as const, 5 as const)

/** samePy is deep equality that keeps Python's types apart (tuple ≠ list, bytearray ≠ bytes, -0.0 ≠ 0.0). */
function samePy(a: PyValue, b: PyValue): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b)
  const all = (xs: readonly PyValue[], ys: readonly PyValue[]) =>
    xs.length === ys.length && xs.every((x, i) => samePy(x, ys[i] as PyValue))
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b))
  if (a instanceof PyByteArray)
    return b instanceof PyByteArray && Buffer.from(a.bytes).equals(Buffer.from(b.bytes))
  if (Array.isArray(a)) return Array.isArray(b) && all(a, b)
  if (a instanceof PyTuple) return b instanceof PyTuple && all(a.items, b.items)
  if (a instanceof PySet) return b instanceof PySet && a.frozen === b.frozen && all(a.items, b.items)
  if (a instanceof PyDict) return b instanceof PyDict && all(a.entries.flat(), b.entries.flat())
  return false
}

const CODES = new Set(['PICKLE_FORMAT', 'PICKLE_REFUSED', 'PICKLE_LIMIT'])
const tight: PickleLimits = {
  maxBytes: 4096,
  maxDepth: 6,
  maxItems: 200,
  maxMemo: 64,
  maxIntBytes: 64,
  allowExceptions: false,
}

/** shape measures a decoded value: depth and the number of values a recursive walk visits. */
function shape(v: PyValue): { depth: number; size: number } {
  const kids = Array.isArray(v)
    ? v
    : v instanceof PyTuple
      ? v.items
      : v instanceof PySet
        ? v.items
        : v instanceof PyDict
          ? v.entries.flat()
          : undefined
  if (kids === undefined) return { depth: 0, size: 0 }
  let depth = 0
  let size = 0
  for (const k of kids) {
    const s = shape(k)
    depth = Math.max(depth, s.depth)
    size += 1 + s.size
  }
  return { depth: depth + 1, size }
}

/** Opcodes that would import or call code: spliced into valid pickles they must be refused or fail. */
const CODE_OPCODES = [0x63, 0x93, 0x52, 0x62, 0x69, 0x6f, 0x81, 0x92, 0x49, 0x4c, 0x53, 0x56, 0x46]
/** shared: `v` four times over, `n` times: `[v, v, v, v]`, `([…], […], […], […])`…: the encoder writes memo references */
const shared = fc.tuple(value, fc.integer({ min: 1, max: 8 })).map(([v, n]) => {
  let out: PyValue = v
  for (let i = 0; i < n; i++) out = i % 2 ? new PyTuple([out, out, out, out]) : [out, out, out, out]
  return out
})
const validPickle = fc
  .tuple(fc.oneof(value, shared), protocol)
  .map(([v, p]) => encodePickle(v, { protocol: p }))
const withCode = fc
  .tuple(
    validPickle,
    fc.constantFrom(...CODE_OPCODES),
    fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  )
  .map(([p, code, at]) => {
    const i = 2 + Math.floor(at * (p.length - 2))
    return Buffer.concat([p.subarray(0, i), Buffer.from([code]), Buffer.from('os\nsystem\n'), p.subarray(i)])
  })

describe('fuzz: safe pickle decoder', () => {
  it('decode(encode(v)) is v at protocols 2 to 5', () => {
    check(
      'pickle',
      'round trip',
      fc.property(value, protocol, (v, p) => {
        const back = decodePickle(encodePickle(v, { protocol: p }))
        if (!samePy(back as PyValue, v)) throw new Error(`protocol ${p}: value changed`)
      }),
    )
  })

  it('hostile bytes decode within the limits or fail with a PICKLE_* code', () => {
    check(
      'pickle',
      'hostile decode',
      fc.property(fc.oneof(hostile(validPickle), withCode), (bytes) => {
        let v: PyValue | PyException
        try {
          v = decodePickle(bytes, tight)
        } catch (err) {
          if (err instanceof LabError && CODES.has(err.code)) return
          throw err
        }
        if (v instanceof PyException) throw new Error('an exception decoded with allowExceptions off')
        const { depth, size } = shape(v)
        if (depth > tight.maxDepth || size > tight.maxItems)
          throw new Error(`depth ${depth}, size ${size} over the limits`)
      }),
      3,
    )
  })
})
