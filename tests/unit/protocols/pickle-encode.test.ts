import { describe, expect, it } from 'vitest'
import { decodePickle } from '../../../protocols/pickle/decode.ts'
import { encodePickle, wrapBytes } from '../../../protocols/pickle/encode.ts'
import { pickleEncode } from '../../../protocols/pickle/errors.ts'
import {
  PyByteArray,
  PyDict,
  PyException,
  PySet,
  PyTuple,
  type PyValue,
  pyRepr,
} from '../../../protocols/pickle/value.ts'
import {
  CPYTHON,
  dict,
  EXCEPTIONS,
  frozen,
  protocolOf,
  set,
  sha256,
  tuple,
} from '../../support/pickle-fixtures.ts'

describe('encodePickle writes what CPython writes', () => {
  const sameBytes = CPYTHON.filter(([expr]) => !expr.startsWith("('a', 'a')"))
  it.each(sameBytes)('%s', (_expr, h, value) => {
    expect(encodePickle(value, { protocol: protocolOf(h) }).toString('hex')).toBe(h.replaceAll(' ', ''))
  })

  it.each(EXCEPTIONS)('%s', (_expr, h, value) => {
    expect(encodePickle(value, { protocol: protocolOf(h) }).toString('hex')).toBe(h)
  })

  it('writes a shared list once and then a memo GET: l = [1]; [l, l]', () => {
    const l = [1n]
    expect(encodePickle([l, l]).toString('hex')).toBe('8004950c000000000000005d94285d944b01616801652e')
  })

  it('writes a list that contains itself as Python does: r = []; r.append(r)', () => {
    const r: PyValue[] = []
    r.push(r)
    expect(encodePickle(r).toString('hex')).toBe('80049506000000000000005d946800612e')
  })

  it.each([
    // sha256 of CPython's pickle.dumps(expr): frames split at 64 KiB, large bytes/str outside frames
    [
      'list(range(30000))',
      () => Array.from({ length: 30_000 }, (_, i) => BigInt(i)),
      89827,
      '8d59bb88cf36af8287ed8ada76eb27324a1c77153f07fcc54c63696c64b2a84c',
    ],
    [
      "[b'x'*70000, 'a', b'y'*10]",
      () => [Buffer.alloc(70_000, 'x'), 'a', Buffer.alloc(10, 'y')],
      70039,
      'da37a64936f646d74a7008e9290624f42d1df109cb065907495ba2d16bc82ac4',
    ],
    [
      "['s' * 70000, {1: 2}]",
      () => ['s'.repeat(70_000), dict([1n, 2n])],
      70029,
      '4fe17283435e5703ba15eb106008f1412667a27d7e53fcd035832bdf34198396',
    ],
    [
      '{str(i): i for i in range(1500)} (SETITEMS in batches of 1000)',
      () => new PyDict(Array.from({ length: 1500 }, (_, i): [PyValue, PyValue] => [String(i), BigInt(i)])),
      13652,
      '01d384a24ae4a7ce7d3d0bc2705b4922b590bb7c886f2e6e33a975dd985fa820',
    ],
  ])('%s: the same %#-th large pickle, byte for byte', (_expr, make, length, digest) => {
    const out = encodePickle(make())
    expect({ length: out.length, sha256: sha256(out) }).toEqual({ length, sha256: digest })
  })

  it('wrapBytes is pickle.dumps(pickle.dumps(x)) for the cookbook', () => {
    const inner = encodePickle(tuple('add', tuple(2n, 3n), dict()))
    expect(wrapBytes(inner).toString('hex')).toBe(
      '8004952000000000000000431c80049511000000000000008c03616464944b024b0386947d9487942e942e',
    )
    // pickle.dumps(pickle.dumps('x' * 300)): the inner pickle is over 255 bytes, so BINBYTES
    const big = wrapBytes(encodePickle('x'.repeat(300)))
    expect(big.subarray(0, 16).toString('hex')).toBe('8004954501000000000000423e010000')
    expect(big.length).toBe(2 + 9 + 5 + 318 + 2)
  })
})
describe('encodePickle round trips', () => {
  it.each<[string, PyValue]>([
    [
      'int boundaries',
      [0n, 255n, 256n, 65535n, 65536n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 31n, -(2n ** 31n) - 1n],
    ],
    [
      'big ints',
      [2n ** 64n, -(2n ** 64n), 2n ** 64n - 1n, -(2n ** 64n) + 1n, 10n ** 100n, -(10n ** 100n), 2n ** 8000n],
    ],
    ['floats', [0, -0, 1.5, -1e-300, 5e-324, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY]],
    [
      'strings',
      [
        ...[
          '',
          'a',
          'é',
          '😀',
          '\ud800',
          'x\udc00y',
          'a'.repeat(85),
          'é'.repeat(85),
          'b'.repeat(256),
          '\u0000',
        ],
        // over 64 bytes with a lone surrogate: the native check fails, the surrogatepass decoder reads it
        `${'é'.repeat(40)}\udfff😀`,
      ],
    ],
    [
      'bytes',
      [Buffer.alloc(0), Buffer.from([0, 1, 2]), Buffer.alloc(256, 7), new PyByteArray(Buffer.from('ba'))],
    ],
    ['containers', tuple([], tuple(), dict(), set(), frozen(), [[[]]], dict([tuple(1n, 'a'), frozen(1n)]))],
    ['1001 items (APPENDS batches)', Array.from({ length: 1001 }, (_, i) => String(i))],
    [
      'a set of 2500',
      new PySet(
        Array.from({ length: 2500 }, (_, i) => BigInt(i)),
        false,
      ),
    ],
  ])('%s', (_name, value) => {
    for (const protocol of [2, 3, 4, 5] as const) {
      expect(decodePickle(encodePickle(value, { protocol }))).toEqual(value)
    }
  })

  it('keeps bytes and bytearray, list and tuple, set and frozenset apart', () => {
    const value = [Buffer.from('a'), new PyByteArray(Buffer.from('a')), [1n], tuple(1n), set(1n), frozen(1n)]
    expect(decodePickle(encodePickle(value))).toEqual(value)
  })

  it('writes what Python loads where it differs from CPython on purpose', () => {
    // Checked with pickle.loads on 2.7.18, 3.11.7 and 3.13.0:
    // protocol 2 exception → TypeError('x') (c__builtin__\nTypeError\n; Python 3 writes exceptions)
    expect(
      encodePickle(new PyException('builtins', 'TypeError', ['x']), { protocol: 2 }).toString('hex'),
    ).toBe('8002635f5f6275696c74696e5f5f0a547970654572726f720a710058010000007871018571025271032e')
  })
})
describe('encodePickle refuses what Python could not load as data', () => {
  it('an exception outside builtins', () => {
    expect(() => encodePickle(new PyException('__main__', 'MyError', []))).toThrow(
      pickleEncode('cannot pickle an exception of module __main__; only builtins and decimal exceptions'),
    )
  })

  it('nesting deeper than maxDepth', () => {
    let v: PyValue = []
    for (let i = 0; i < 20; i++) v = [v]
    expect(() => encodePickle(v, { maxDepth: 10 })).toThrow(
      'value nests deeper than 10 levels (or a tuple contains itself)',
    )
  })

  it('a tuple that contains itself (possible in JS, not in Python)', () => {
    const items: PyValue[] = []
    const t = new PyTuple(items)
    items.push(t)
    expect(() => encodePickle(t)).toThrow(expect.objectContaining({ code: 'PICKLE_ENCODE' }))
  })

  it('JS values with no Python type', () => {
    expect(() => encodePickle({} as unknown as PyValue)).toThrow('cannot pickle a JS Object')
    expect(() => encodePickle(undefined as unknown as PyValue)).toThrow('cannot pickle a JS undefined')
  })
})
describe('PyException and pyRepr', () => {
  it.each([
    [new PyException('builtins', 'TypeError', ['x']), 'TypeError: x'],
    [new PyException('builtins', 'ValueError', ['a', 2n]), "ValueError: ('a', 2)"],
    [new PyException('builtins', 'KeyError', ['k']), "KeyError: 'k'"],
    [new PyException('builtins', 'StopIteration', []), 'StopIteration'],
    [new PyException('builtins', 'OSError', [1.0]), 'OSError: 1.0'],
  ])('%s renders like a traceback line', (e, text) => {
    expect(String(e)).toBe(text)
  })

  it('pyRepr spells values as Python does (checked against repr() on 3.11.7)', () => {
    expect(
      pyRepr([
        null,
        true,
        1n,
        1e-7,
        -0,
        "it's",
        Buffer.from('a\n\x00'),
        tuple(1n),
        set(),
        frozen(2n),
        dict(['k', 1.5]),
      ]),
    ).toBe(`[None, True, 1, 1e-07, -0.0, "it's", b'a\\n\\x00', (1,), set(), frozenset({2}), {'k': 1.5}]`)
  })
})
