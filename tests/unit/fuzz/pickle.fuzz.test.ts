/**
 * Fuzz: the safe pickle decoder (protocols/pickle/decode.ts). Every value the encoder
 * writes, at every protocol, decodes to itself, values of the allow-list of data
 * constructors included; any other bytes (random, or valid pickles bit-flipped, truncated,
 * spliced, with code-running opcodes or allowed globals spliced in, protocol 0 text pickles
 * as Python 2.7 writes them, allowed constructors called with random arguments) give a
 * value within the limits or a PICKLE_FORMAT / PICKLE_REFUSED / PICKLE_LIMIT error, never
 * another exception.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { LabError } from '../../../lib/errors.ts'
import { dataAdd, dataSub } from '../../../protocols/pickle/arith.ts'
import { decodePickle, type PickleLimits } from '../../../protocols/pickle/decode.ts'
import { encodePickle } from '../../../protocols/pickle/encode.ts'
import {
  Py2Str,
  PyByteArray,
  PyComplex,
  PyDate,
  PyDateTime,
  PyDecimal,
  PyDict,
  PyException,
  PyOrderedDict,
  PyRange,
  PySet,
  PySlice,
  PyTime,
  PyTimedelta,
  PyTimezone,
  PyTuple,
  type PyValue,
  pyRepr,
} from '../../../protocols/pickle/value.ts'
import { PyError } from '../../../protocols/py-error.ts'
import { check } from '../../support/fuzz-budget.ts'
import { hostile } from '../../support/mutate.ts'

const timezone = fc
  .tuple(
    fc.integer({ min: -86_399, max: 86_399 }),
    fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
  )
  .map(([s, name]) => new PyTimezone(new PyTimedelta(s < 0 ? -1 : 0, s < 0 ? s + 86_400 : s, 0), name))
const date = fc
  .tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
  .map(([y, m, d]) => new PyDate(y, m, d))
const time = fc
  .tuple(
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 999_999 }),
    fc.option(timezone, { nil: null }),
  )
  .map(([h, mi, s, us, tz]) => new PyTime(h, mi, s, us, tz, 0))
/** values built by the allow-list of data constructors (scalars: hashable, no containers inside) */
const constructed: fc.Arbitrary<PyValue> = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 0, max: 1 }),
      fc.bigInt({ min: 0n, max: 10n ** 40n }),
      fc.bigInt({ min: -50n, max: 50n }),
    )
    .map(([sign, c, e]) => new PyDecimal(sign as 0 | 1, c.toString(), e)),
  fc.constantFrom(new PyDecimal(0, '', 'NaN'), new PyDecimal(1, '0', 'Infinity')),
  fc.tuple(fc.double({ noNaN: true }), fc.double({ noNaN: true })).map(([re, im]) => new PyComplex(re, im)),
  fc
    .tuple(
      fc.option(fc.bigInt(), { nil: null }),
      fc.bigInt(),
      fc.option(fc.string({ maxLength: 3 }), { nil: null }),
    )
    .map(([a, b, c]) => new PySlice(a, b, c)),
  fc
    .tuple(
      fc.bigInt(),
      fc.bigInt(),
      fc.bigInt().filter((n) => n !== 0n),
    )
    .map(([a, b, c]) => new PyRange(a, b, c)),
  date,
  time,
  fc.tuple(date, time).map(([d, t]) => new PyDateTime(d, t)),
  fc
    .tuple(
      fc.integer({ min: -999_999_999, max: 999_999_999 }),
      fc.integer({ min: 0, max: 86_399 }),
      fc.integer({ min: 0, max: 999_999 }),
    )
    .map(([d, s, us]) => new PyTimedelta(d, s, us)),
  timezone,
  fc.uint8Array({ maxLength: 8 }).map((b) => new Py2Str(b)),
)

const hashable: fc.Arbitrary<PyValue> = fc.oneof(
  constructed,
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
    fc.array(fc.tuple(hashable, tie('value')), { maxLength: 3 }).map((es) => new PyOrderedDict(es)),
    constructed,
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
  if (a instanceof PyDict)
    return b instanceof PyDict && a.constructor === b.constructor && all(a.entries.flat(), b.entries.flat())
  // the allow-list's scalars: same class, same Python repr (exact for each of them)
  return a.constructor === b.constructor && pyRepr(a) === pyRepr(b)
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
/** What follows a spliced opcode: a global off the allow-list, or one on it (GLOBAL's text form). */
const SPLICED_NAMES = [
  'os\nsystem\n',
  'builtins\nset\n',
  '__builtin__\nxrange\n',
  'datetime\ndatetime\n',
  'copyreg\n_reconstructor\n',
  'collections\nOrderedDict\n',
  '_codecs\nencode\n',
]
/** Protocol 0 and 1 pickles as Python 2.7's pickle.dumps writes them (its default protocol is 0). */
const PY27 = [
  "(S'add'\np0\n(I2\nI3\ntp1\n(dp2\ntp3\n.",
  'L1267650600228229401496703205376L\n.',
  'F1e+300\n.',
  'Vh\xe9llo\\u2713 \\u005c \\u000a\np0\n.',
  "S'\\x00\\xff\\'\"\\\\'\np0\n.",
  "(dp0\nS'a'\np1\nI1\nsI2\n(I3\ntp2\ns.",
  'c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\n.',
  "cdatetime\ndatetime\np0\n(S'\\x07\\xe8\\x02\\x1d\\r\\x05\\t\\x01\\xe2@'\np1\ntp2\nRp3\n.",
  "ccollections\nOrderedDict\np0\n((lp1\n(lp2\nS'a'\np3\naI1\naatp4\nRp5\n.",
  "c__builtin__\nbytearray\np0\n(Vab\np1\nS'latin-1'\np2\ntp3\nRp4\n.",
  'c__builtin__\nset\nq\x00(]q\x01K\x01atq\x02Rq\x03.',
].map((s) => Buffer.from(s, 'latin1'))
/** The allow-list's globals, as GLOBAL spells them at protocol 4. */
const ALLOWED = [
  'builtins\nset',
  'builtins\nfrozenset',
  'builtins\nbytearray',
  'builtins\ncomplex',
  'builtins\nslice',
  'builtins\nrange',
  'builtins\nbytes',
  'datetime\ndate',
  'datetime\ntime',
  'datetime\ndatetime',
  'datetime\ntimedelta',
  'datetime\ntimezone',
  'decimal\nDecimal',
  'collections\nOrderedDict',
  'copyreg\n_reconstructor',
  '_codecs\nencode',
]
/** an allowed constructor called (REDUCE or NEWOBJ) with an arbitrary tuple of arguments */
const constructorCall = fc
  .tuple(fc.constantFrom(...ALLOWED), fc.array(value, { maxLength: 4 }), fc.constantFrom(0x52, 0x81))
  .map(([name, args, call]) => {
    const body = encodePickle(new PyTuple(args), { protocol: 4 })
    return Buffer.concat([
      Buffer.from(`\x80\x04c${name}\n`, 'latin1'),
      body.subarray(2, body.length - 1), // the args tuple without PROTO and STOP
      Buffer.from([call, 0x2e]),
    ])
  })
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
    fc.constantFrom(...SPLICED_NAMES),
  )
  .map(([p, code, at, name]) => {
    const i = 2 + Math.floor(at * (p.length - 2))
    return Buffer.concat([p.subarray(0, i), Buffer.from([code]), Buffer.from(name), p.subarray(i)])
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
      fc.property(
        fc.oneof(hostile(validPickle), withCode, hostile(fc.constantFrom(...PY27)), constructorCall),
        (bytes) => {
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
        },
      ),
      3,
    )
  })

  it('add and sub of any two values give a value or a Python exception (PyError), never another error', () => {
    check(
      'pickle',
      'arith',
      fc.property(fc.oneof(constructed, value), fc.oneof(constructed, value), fc.boolean(), (x, y, plus) => {
        try {
          ;(plus ? dataAdd : dataSub)(x, y)
        } catch (err) {
          if (!(err instanceof PyError)) throw err
        }
      }),
    )
  })
})
