/**
 * The allow-list of data constructors (protocols/pickle/constructors.ts): what CPython
 * writes for each type decodes to it and is written back byte for byte (hex constants from
 * `pickle.dumps(value, protocol).hex()` on CPython 3.13.0, and 2.7.18 where the row says);
 * every allowed global called with a wrong argument shape, and every other global, is
 * refused with PICKLE_REFUSED and the message docs/rpc.md documents; constructed values
 * count against the decoder's limits, and a memo bomb against maxExpandedBytes.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_PICKLE_LIMITS, decodePickle, type PickleLimits } from '../../../protocols/pickle/decode.ts'
import { encodePickle } from '../../../protocols/pickle/encode.ts'
import { pickleLimit, pickleRefused } from '../../../protocols/pickle/errors.ts'
import {
  Py2Str,
  PyByteArray,
  PyComplex,
  PyDate,
  PyDateTime,
  PyDecimal,
  PyDict,
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
import { call, REFUSED, WRONG_SHAPES } from '../../support/hostile-pickles.ts'

const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex')
const text = (s: string): Buffer => Buffer.from(s, 'latin1')
const decimal = (sign: 0 | 1, digits: string, exp: bigint): PyDecimal => new PyDecimal(sign, digits, exp)
const noon = (h: number, mi: number, s = 0, us = 0, fold: 0 | 1 = 0) => new PyTime(h, mi, s, us, null, fold)
const utc = new PyTimezone(new PyTimedelta(0, 0, 0))

/** [what, protocol, CPython's bytes, the value, are our bytes the same]: CPython 3.13.0 unless the row says 2.7. */
const CPYTHON: Array<[string, number, string, PyValue, boolean]> = [
  ['{1}', 3, '8003636275696c74696e730a7365740a71005d71014b01618571025271032e', new PySet([1n], false), true],
  [
    'frozenset([1])',
    2,
    '8002635f5f6275696c74696e5f5f0a66726f7a656e7365740a71005d71014b01618571025271032e',
    new PySet([1n], true),
    true,
  ],
  [
    "b'ab'",
    2,
    '8002635f636f646563730a656e636f64650a710058020000006162710158060000006c6174696e3171028671035271042e',
    Buffer.from('ab'),
    true,
  ],
  ["b''", 2, '8002635f5f6275696c74696e5f5f0a62797465730a7100295271012e', Buffer.alloc(0), true],
  [
    "bytearray(b'ab')",
    4,
    '80049523000000000000008c086275696c74696e73948c096279746561727261799493944302616294859452942e',
    new PyByteArray(Buffer.from('ab')),
    true,
  ],
  [
    "bytearray(b'ab')",
    2,
    '8002635f5f6275696c74696e5f5f0a6279746561727261790a7100635f636f646563730a656e636f64650a710158020000006162710258060000006c6174696e3171038671045271058571065271072e',
    new PyByteArray(Buffer.from('ab')),
    false, // Python writes bytearray('ab', 'latin-1') with the text as _codecs.encode(...): same value
  ],
  [
    "OrderedDict({'a': 1, 'b': 2})",
    2,
    '800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000006171024b0158010000006271034b02752e',
    new PyOrderedDict([
      ['a', 1n],
      ['b', 2n],
    ]),
    true,
  ],
  [
    "OrderedDict({'a': 1, 'b': 2})",
    4,
    '80049530000000000000008c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0161944b018c0162944b02752e',
    new PyOrderedDict([
      ['a', 1n],
      ['b', 2n],
    ]),
    true,
  ],
  [
    "Decimal('1.50')",
    3,
    '800363646563696d616c0a446563696d616c0a71005804000000312e353071018571025271032e',
    decimal(0, '150', -2n),
    true,
  ],
  [
    "Decimal('1.50')",
    5,
    '80059522000000000000008c07646563696d616c948c07446563696d616c9493948c04312e353094859452942e',
    decimal(0, '150', -2n),
    true,
  ],
  [
    'complex(1.5, -2)',
    2,
    '8002635f5f6275696c74696e5f5f0a636f6d706c65780a7100473ff800000000000047c0000000000000008671015271022e',
    new PyComplex(1.5, -2),
    true,
  ],
  [
    'slice(1, 5, None)',
    4,
    '8004951f000000000000008c086275696c74696e73948c05736c6963659493944b014b054e879452942e',
    new PySlice(1n, 5n, null),
    true,
  ],
  [
    'range(1, 10, 2)',
    2,
    '8002635f5f6275696c74696e5f5f0a7872616e67650a71004b014b0a4b028771015271022e',
    new PyRange(1n, 10n, 2n),
    true,
  ],
  [
    'range(1, 10, 2)',
    3,
    '8003636275696c74696e730a72616e67650a71004b014b0a4b028771015271022e',
    new PyRange(1n, 10n, 2n),
    true,
  ],
  [
    'date(2024, 2, 29)',
    2,
    '8002636461746574696d650a646174650a7100635f636f646563730a656e636f64650a7101580500000007c3a8021d710258060000006c6174696e3171038671045271058571065271072e',
    new PyDate(2024, 2, 29),
    true,
  ],
  [
    'date(2024, 2, 29)',
    4,
    '80049520000000000000008c086461746574696d65948c0464617465949394430407e8021d94859452942e',
    new PyDate(2024, 2, 29),
    true,
  ],
  [
    'timedelta(-1, 5, 7)',
    4,
    '80049527000000000000008c086461746574696d65948c0974696d6564656c74619493944affffffff4b054b07879452942e',
    new PyTimedelta(-1, 5, 7),
    true,
  ],
  [
    'time(1, 2, fold=1)',
    4,
    '80049522000000000000008c086461746574696d65948c0474696d65949394430681020000000094859452942e',
    noon(1, 2, 0, 0, 1),
    true,
  ],
  [
    'time(1, 2, fold=1): below protocol 4 Python drops the fold',
    3,
    '8003636461746574696d650a74696d650a7100430601020000000071018571025271032e',
    noon(1, 2),
    true,
  ],
  [
    'datetime(2024, 2, 29, 13, 5, 9, 123456, tzinfo=timezone.utc)',
    3,
    '8003636461746574696d650a6461746574696d650a7100430a07e8021d0d050901e2407101636461746574696d650a74696d657a6f6e650a7102636461746574696d650a74696d6564656c74610a71034b004b004b008771045271058571065271078671085271092e',
    new PyDateTime(new PyDate(2024, 2, 29), new PyTime(13, 5, 9, 123456, utc, 0)),
    true,
  ],
  // Python 2.7.18
  [
    '2.7: set([1]), protocol 0',
    0,
    '635f5f6275696c74696e5f5f0a7365740a70300a28286c70310a49310a617470320a5270330a2e',
    new PySet([1n], false),
    false,
  ],
  [
    '2.7: date(2024, 2, 29), protocol 0',
    0,
    '636461746574696d650a646174650a70300a2853275c7830375c7865385c7830325c783164270a70310a7470320a5270330a2e',
    new PyDate(2024, 2, 29),
    false,
  ],
  [
    "2.7: OrderedDict([('a', 1)]), protocol 2 (a list of [key, value] lists)",
    2,
    '800263636f6c6c656374696f6e730a4f726465726564446963740a71005d71015d71022855016171034b0165618571045271052e',
    new PyOrderedDict([[new Py2Str(Buffer.from('a')), 1n]]),
    false,
  ],
  [
    "2.7: Decimal('1.50'), protocol 0",
    0,
    '63646563696d616c0a446563696d616c0a70300a285327312e3530270a70310a7470320a5270330a2e',
    decimal(0, '150', -2n),
    false,
  ],
  [
    '2.7: xrange(1, 11, 2), protocol 0',
    0,
    '635f5f6275696c74696e5f5f0a7872616e67650a70300a2849310a4931310a49320a7470310a5270320a2e',
    new PyRange(1n, 11n, 2n),
    false,
  ],
  [
    "2.7: 'ab\\xff' (a str), protocol 2",
    2,
    '800255036162ff71002e',
    new Py2Str(Buffer.from('ab\xff', 'latin1')),
    true,
  ],
  [
    "2.7: 'ab\\xff' (a str), protocol 0",
    0,
    '532761625c786666270a70300a2e',
    new Py2Str(Buffer.from('ab\xff', 'latin1')),
    false,
  ],
  ["2.7: u'h\\xe9', protocol 0", 0, '5668e90a70300a2e', 'hé', false],
]

describe('the allow-list reads what CPython writes, and writes it back', () => {
  it.each(CPYTHON)('%s, protocol %i', (_what, protocol, h, value, sameBytes) => {
    expect(decodePickle(hex(h))).toEqual(value)
    const ours = encodePickle(value, { protocol: Math.max(2, protocol) as 2 | 3 | 4 | 5 })
    if (sameBytes) expect(ours.toString('hex')).toBe(h)
    expect(decodePickle(ours)).toEqual(value)
  })

  it('reads copyreg._reconstructor(T, T, state) as T(state), and Python 2 names only below protocol 3', () => {
    expect(
      decodePickle(
        text('ccopy_reg\n_reconstructor\n(c__builtin__\nfrozenset\nc__builtin__\nfrozenset\n(I1\nI2\nltR.'),
      ),
    ).toEqual(new PySet([1n, 2n], true))
    expect(() => decodePickle(text('\x80\x03c__builtin__\nset\n)R.'))).toThrow(
      'refused pickle opcode GLOBAL (0x63) at offset 2: it would import or call code (__builtin__.set)',
    )
  })

  it('calls NEWOBJ as T.__new__(T, *args): set and OrderedDict start empty, the rest are built', () => {
    expect(decodePickle(text('\x80\x02cbuiltins\nset\n(I1\nt\x81.'))).toEqual(new PySet([], false))
    expect(decodePickle(text('\x80\x02cbuiltins\ncomplex\nG?\xf8\x00\x00\x00\x00\x00\x00\x85\x81.'))).toEqual(
      new PyComplex(1.5, 0),
    )
  })

  it('spells the values as Python does', () => {
    expect(
      [
        decimal(1, '5', -7n),
        new PyComplex(0, -2),
        new PyComplex(1.5, 2),
        new PyRange(0n, 3n, 1n),
        new PyTimedelta(0, 0, 0),
        new PyTimedelta(-1, 68400, 0),
        new PyDateTime(
          new PyDate(2024, 3, 9),
          new PyTime(11, 59, 59, 999999, new PyTimezone(new PyTimedelta(-1, 68400, 0)), 0),
        ),
        new PyOrderedDict([['a', 1n]]),
      ].map(pyRepr),
    ).toEqual([
      "Decimal('-5E-7')",
      '-2j',
      '(1.5+2j)',
      'range(0, 3)',
      'datetime.timedelta(0)',
      'datetime.timedelta(days=-1, seconds=68400)',
      'datetime.datetime(2024, 3, 9, 11, 59, 59, 999999, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=68400)))',
      "OrderedDict({'a': 1})",
    ])
  })
})

describe('the allow-list refuses what is not data', () => {
  it.each(WRONG_SHAPES)('%s%s', (qualname, args, reason) => {
    const data = call(qualname, args)
    expect(() => decodePickle(data)).toThrow(
      pickleRefused('REDUCE', 0x52, data.length - 2, `${qualname}: ${reason}`),
    )
  })

  it.each(REFUSED)('%s', (_what, data, message) => {
    expect(() => decodePickle(data)).toThrow(message)
    expect(() => decodePickle(data)).toThrow(expect.objectContaining({ code: 'PICKLE_REFUSED' }))
  })
})

describe('constructed values count against the limits', () => {
  const tight = (over: Partial<PickleLimits>): PickleLimits => ({ ...DEFAULT_PICKLE_LIMITS, ...over })

  it('items: set(list of 10) holds 10 more values than its list', () => {
    const data = call('builtins.set', `((${'I1\n'.repeat(10)}lt`)
    expect(decodePickle(data, tight({ maxItems: 25 }))).toBeInstanceOf(PySet)
    expect(() => decodePickle(data, tight({ maxItems: 15 }))).toThrow(
      pickleLimit('maxItems', 'pickle holds more than 15 values (offset 50)'),
    )
  })

  it('depth: frozenset([((1,),)]) is 4 levels deep', () => {
    const data = call('builtins.frozenset', '((((I1\nttlt')
    expect(decodePickle(data, tight({ maxDepth: 4 }))).toEqual(
      new PySet([new PyTuple([new PyTuple([1n])])], true),
    )
    expect(() => decodePickle(data, tight({ maxDepth: 3 }))).toThrow(
      expect.objectContaining({ limit: 'maxDepth' }),
    )
  })

  it('expansion: a str memoized once and referenced many times counts each time (the memo bomb)', () => {
    // PROTO 4, BINUNICODE (1000 x 'a'), MEMOIZE, EMPTY_LIST, MARK, 1000 x BINGET 0, APPENDS, STOP
    const bomb = Buffer.concat([
      hex('8004 58 e8030000'),
      Buffer.alloc(1000, 'a'),
      hex('94 5d 28'),
      Buffer.from('h\x00'.repeat(1000), 'latin1'),
      hex('65 2e'),
    ])
    expect((decodePickle(bomb, tight({ maxExpandedBytes: 2_000_000 })) as PyValue[]).length).toBe(1000)
    expect(() => decodePickle(bomb, tight({ maxExpandedBytes: 100_000 }))).toThrow(
      pickleLimit(
        'maxExpandedBytes',
        'pickle expands to more than 100000 bytes, shared parts counted each time they appear',
      ),
    )
  })

  it('refuses the memo bomb (4 MiB str, 100 000 references, 4.4 MB) at once with the default limits', () => {
    const refs = Buffer.from('h\x00'.repeat(1000), 'latin1')
    const batch = Buffer.concat([hex('28'), refs, hex('65')])
    const bomb = Buffer.concat([
      hex('8004 58 00004000'),
      Buffer.alloc(4 * 1024 * 1024, 'a'),
      hex('94 5d 94'),
      ...Array.from({ length: 100 }, () => batch),
      hex('2e'),
    ])
    expect(bomb.length).toBeGreaterThan(4_390_000)
    const started = performance.now()
    expect(() => decodePickle(bomb)).toThrow(
      expect.objectContaining({ code: 'PICKLE_LIMIT', limit: 'maxExpandedBytes' }),
    )
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('keeps a dict key a dict key: OrderedDict entries are checked for hashability', () => {
    expect(() => decodePickle(call('collections.OrderedDict', '((((I1\nlI2\nllt'))).toThrow(
      'OrderedDict(): unhashable type',
    )
  })

  it('keeps an int an int inside constructed values: PyDict of a Python 2 OrderedDict is a PyDict', () => {
    const v = decodePickle(text("ccollections\nOrderedDict\n((lp1\n(lp2\nS'a'\naI1\naatR."))
    expect(v).toBeInstanceOf(PyDict)
    expect(v).toBeInstanceOf(PyOrderedDict)
  })
})
