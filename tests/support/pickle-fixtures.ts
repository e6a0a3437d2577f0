/** Shared fixtures of the pickle codec tests (tests/unit/protocols). */
/**
 * The pickle codec against CPython's own bytes. Every hex constant was written once by
 * CPython 3.11.7 as `pickle.dumps(<the expression in the row>)` (protocol 4, its default,
 * unless the row says otherwise) and pasted here, so the tests need no Python. Where our
 * encoder differs from CPython on purpose, the comment says the bytes were checked with
 * `pickle.loads` on 3.11.7 and 3.13.0.
 *
 * It proves: the decoder reads what Python writes (all protocols 2-5, memo, frames,
 * exceptions), the encoder writes what Python writes (same bytes, framing of large values
 * included), and hostile pickles fail fast with the right error class and message.
 */
import { createHash } from 'node:crypto'
import { DEFAULT_PICKLE_LIMITS, type PickleLimits } from '../../protocols/pickle/decode.ts'
import {
  PyByteArray,
  PyDict,
  PyException,
  PySet,
  PyTuple,
  type PyValue,
} from '../../protocols/pickle/value.ts'
export const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex')
export const tuple = (...items: PyValue[]): PyTuple => new PyTuple(items)
export const dict = (...entries: [PyValue, PyValue][]): PyDict => new PyDict(entries)
export const set = (...items: PyValue[]): PySet => new PySet(items, false)
export const frozen = (...items: PyValue[]): PySet => new PySet(items, true)
export const EXC: PickleLimits = { ...DEFAULT_PICKLE_LIMITS, allowExceptions: true }
export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** [Python expression, pickle.dumps(expr).hex(), the PyValue it is]: CPython 3.11.7, protocol 4. */
export const CPYTHON: Array<[string, string, PyValue]> = [
  [
    "('add', (2, 3), {})",
    '80049511000000000000008c03616464944b024b0386947d9487942e',
    tuple('add', tuple(2n, 3n), dict()),
  ],
  ['None', '80044e2e', null],
  ['True', '8004882e', true],
  ['False', '8004892e', false],
  ['0', '80044b002e', 0n],
  ['127', '80044b7f2e', 127n],
  ['255', '80044bff2e', 255n],
  ['256', '80049504000000000000004d00012e', 256n],
  ['65535', '80049504000000000000004dffff2e', 65535n],
  ['65536', '80049506000000000000004a000001002e', 65536n],
  ['-1', '80049506000000000000004affffffff2e', -1n],
  ['-128', '80049506000000000000004a80ffffff2e', -128n],
  ['-257', '80049506000000000000004afffeffff2e', -257n],
  ['-2**31', '80049506000000000000004a000000802e', -(2n ** 31n)],
  ['2**31', '80049508000000000000008a0500000080002e', 2n ** 31n],
  ['-2**39', '80049508000000000000008a0500000000802e', -(2n ** 39n)],
  ['2**63 - 1', '8004950b000000000000008a08ffffffffffffff7f2e', 2n ** 63n - 1n],
  ['2**63', '8004950c000000000000008a090000000000000080002e', 2n ** 63n],
  ['-2**63', '8004950b000000000000008a0800000000000000802e', -(2n ** 63n)],
  ['-2**63 - 1', '8004950c000000000000008a09ffffffffffffff7fff2e', -(2n ** 63n) - 1n],
  ['-(2**64)', '8004950c000000000000008a090000000000000000ff2e', -(2n ** 64n)],
  ['2**200', `8004951d000000000000008a1a${'00'.repeat(25)}012e`, 2n ** 200n],
  ['-(2**200)', `8004951d000000000000008a1a${'00'.repeat(25)}ff2e`, -(2n ** 200n)],
  // LONG4: 263 bytes
  ['2**2100', `8004950d010000000000008b07010000${'00'.repeat(262)}102e`, 2n ** 2100n],
  ['-(2**2100)', `8004950d010000000000008b07010000${'00'.repeat(262)}f02e`, -(2n ** 2100n)],
  ['1.0', '8004950a00000000000000473ff00000000000002e', 1.0],
  ['-0.0', '8004950a000000000000004780000000000000002e', -0],
  ["float('inf')", '8004950a00000000000000477ff00000000000002e', Number.POSITIVE_INFINITY],
  ["float('-inf')", '8004950a0000000000000047fff00000000000002e', Number.NEGATIVE_INFINITY],
  ["float('nan')", '8004950a00000000000000477ff80000000000002e', Number.NaN],
  ['1e308', '8004950a00000000000000477fe1ccf385ebc8a02e', 1e308],
  ["''", '80049504000000000000008c00942e', ''],
  ["'😀 ok'", '8004950b000000000000008c07f09f9880206f6b942e', '😀 ok'],
  ["'\\ud800' (a lone surrogate, 'surrogatepass')", '80049507000000000000008c03eda080942e', '\ud800'],
  [
    "'é' * 150 (300 bytes: BINUNICODE)",
    `8004953301000000000000582c010000${'c3a9'.repeat(150)}942e`,
    'é'.repeat(150),
  ],
  ["b'\\x00\\xffab'", '8004950800000000000000430400ff6162942e', Buffer.from([0, 0xff, 0x61, 0x62])],
  [
    "bytes(range(256)) + b'!' (BINBYTES)",
    `8004950801000000000000420101000 0${Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex')}21942e`,
    Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('!')]),
  ],
  ['()', '8004292e', tuple()],
  ['(1,)', '80049505000000000000004b0185942e', tuple(1n)],
  ['(1, 2)', '80049507000000000000004b014b0286942e', tuple(1n, 2n)],
  ['(1, 2, 3)', '80049509000000000000004b014b024b0387942e', tuple(1n, 2n, 3n)],
  ['(1, 2, 3, 4)', '8004950c00000000000000284b014b024b034b0474942e', tuple(1n, 2n, 3n, 4n)],
  ['(1, 2, 3, 4, 5)', '8004950e00000000000000284b014b024b034b044b0574942e', tuple(1n, 2n, 3n, 4n, 5n)],
  [
    "[1, [2, {'k': {3, 4}}], frozenset({5})]",
    '80049521000000000000005d94284b015d94284b027d948c016b948f94284b034b04907365284b059194652e',
    [1n, [2n, dict(['k', set(3n, 4n)])], frozen(5n)],
  ],
  [
    "{(1, 2): 't', 3: 'i', 'a': [None]}",
    '8004951d000000000000007d94284b014b0286948c0174944b038c0169948c0161945d944e61752e',
    dict([tuple(1n, 2n), 't'], [3n, 'i'], ['a', [null]]),
  ],
  [
    "[[1.5], {'x': ()}, set(), frozenset()]",
    '8004951e000000000000005d94285d94473ff8000000000000617d948c01789429738f94289194652e',
    [[1.5], dict(['x', tuple()]), set(), frozen()],
  ],
  [
    "bytearray(b'xy'), protocol 5",
    '8005950d000000000000009602000000000000007879942e',
    new PyByteArray(Buffer.from('xy')),
  ],
  [
    "('add', (2, 3), {'z': True}), protocol 2",
    '8002580300000061646471004b024b038671017d710258010000007a710388738771042e',
    tuple('add', tuple(2n, 3n), dict(['z', true])),
  ],
  [
    "('add', (2, 3), {'z': True}), protocol 3",
    '8003580300000061646471004b024b038671017d710258010000007a710388738771042e',
    tuple('add', tuple(2n, 3n), dict(['z', true])),
  ],
  [
    "('add', (2, 3), {'z': True}), protocol 5",
    '80059517000000000000008c03616464944b024b0386947d948c017a94887387942e',
    tuple('add', tuple(2n, 3n), dict(['z', true])),
  ],
  [
    "[b'abc', 1.5], protocol 3",
    '80035d71002843036162637101473ff8000000000000652e',
    [Buffer.from('abc'), 1.5],
  ],
]

/** protocol of a CPYTHON row, read from its PROTO byte */
export const protocolOf = (h: string) => Number.parseInt(h.slice(2, 4), 16) as 2 | 3 | 4 | 5

/** [exception, pickle.dumps(e).hex(), the PyException]: CPython 3.11.7 */
export const EXCEPTIONS: Array<[string, string, PyException]> = [
  [
    "TypeError('x')",
    '80049522000000000000008c086275696c74696e73948c09547970654572726f729493948c017894859452942e',
    new PyException('builtins', 'TypeError', ['x']),
  ],
  [
    "ValueError('a', 2)",
    '80049525000000000000008c086275696c74696e73948c0a56616c75654572726f729493948c0161944b02869452942e',
    new PyException('builtins', 'ValueError', ['a', 2n]),
  ],
  [
    "KeyError('k')",
    '80049521000000000000008c086275696c74696e73948c084b65794572726f729493948c016b94859452942e',
    new PyException('builtins', 'KeyError', ['k']),
  ],
  [
    "OSError(2, 'No such file') (pickles as FileNotFoundError)",
    '80049537000000000000008c086275696c74696e73948c1146696c654e6f74466f756e644572726f729493944b028c0c4e6f20737563682066696c6594869452942e',
    new PyException('builtins', 'FileNotFoundError', [2n, 'No such file']),
  ],
  [
    "e = TypeError('x'); e.add_note('note') (REDUCE, then BUILD with the instance dict)",
    '8004953c000000000000008c086275696c74696e73948c09547970654572726f729493948c017894859452947d948c095f5f6e6f7465735f5f945d948c046e6f7465946173622e',
    new PyException('builtins', 'TypeError', ['x'], dict(['__notes__', ['note']])),
  ],
  [
    "TypeError('x'), protocol 3 (GLOBAL)",
    '8003636275696c74696e730a547970654572726f720a710058010000007871018571025271032e',
    new PyException('builtins', 'TypeError', ['x']),
  ],
]
