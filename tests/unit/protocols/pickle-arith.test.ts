/**
 * `add` and `sub` on the values only the mp-connection port carries (protocols/pickle/
 * arith.ts): every expected result was printed by CPython 3.13.0 (`str(a + b)` for Decimal,
 * `repr(a + b)` for the rest, or the exception's type and text), so Decimal's rounding at
 * 28 digits, its special values and signals, and datetime's calendar match Python's.
 */
import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dataAdd, dataSub } from '../../../protocols/pickle/arith.ts'
import { fromOrdinal, ordinal } from '../../../protocols/pickle/datetime.ts'
import { parseDecimal } from '../../../protocols/pickle/decimal.ts'
import {
  PyComplex,
  PyDate,
  PyDateTime,
  PySet,
  PyTime,
  PyTimedelta,
  PyTimezone,
  PyTuple,
  type PyValue,
  pyRepr,
} from '../../../protocols/pickle/value.ts'
import { PyError } from '../../../protocols/py-error.ts'

const D = (s: string): PyValue => {
  const d = parseDecimal(s)
  if (d === undefined) throw new Error(`bad test Decimal ${s}`)
  return d
}

/** outcome is what Python would print: the result's str (Decimal) or repr, or `Type: message`. */
function outcome(f: () => PyValue, str = false): string {
  try {
    const v = f()
    return str ? String(v) : pyRepr(v)
  } catch (err) {
    if (!(err instanceof PyError)) throw err
    return `${err.pyClass.replace(/^decimal\./, '')}: ${err.text}`
  }
}

/** [a, b, op, str(a op b) or the exception's type]: CPython 3.13.0 */
const DECIMALS: Array<[string, string, '+' | '-', string]> = [
  ['1.1', '2.2', '+', '3.3'],
  ['1.50', '-1.5', '+', '0.00'],
  ['-0', '0', '+', '0'],
  ['-0', '-0', '+', '-0'],
  ['1E+999999', '1', '+', '1.000000000000000000000000000E+999999'],
  ['9.999999999999999999999999999E+999999', '1E+999972', '+', 'Overflow'],
  ['1', '1E-30', '+', '1.000000000000000000000000000'],
  ['1', '1E-40', '-', '1.000000000000000000000000000'],
  ['12345678901234567890123456789', '1', '+', '1.234567890123456789012345679E+28'],
  ['0.1', '3', '-', '-2.9'],
  ['NaN', '1', '+', 'NaN'],
  ['1', 'NaN123', '-', 'NaN123'],
  ['-Inf', 'Inf', '-', '-Infinity'],
  ['Inf', '-Inf', '+', 'InvalidOperation'],
  ['sNaN', '1', '+', 'InvalidOperation'],
  ['1E-999999', '1E-1000025', '+', '1.00000000000000000000000001E-999999'],
  ['5E-1000026', '5E-1000026', '+', '1.0E-1000025'],
  ['2.5', '0', '+', '2.5'],
  ['0E-5', '1.23', '+', '1.23000'],
  ['1e3', '1', '-', '999'],
  ['0.000001', '0', '+', '0.000001'],
  ['123.456', '-123.456', '+', '0.000'],
  ['99999999999999999999999999995', '0', '+', '1.000000000000000000000000000E+29'],
  ['1_000.5', '0', '+', '1000.5'],
  [' 7 ', '1', '+', '8'],
  ['-0.0000001', '0', '+', '-1E-7'],
]

const E = new PyTimezone(new PyTimedelta(-1, 68_400, 0))
const UTC = new PyTimezone(new PyTimedelta(0, 0, 0))
const td = (days: number, seconds = 0, us = 0) => new PyTimedelta(days, seconds, us)
const dt = (y: number, m: number, d: number, h = 0, mi = 0, tz: PyTimezone | null = null) =>
  new PyDateTime(new PyDate(y, m, d), new PyTime(h, mi, 0, 0, tz, 0))

/** [Python expression, x, op, y, repr() of the result or the exception]: CPython 3.13.0 */
const TEMPORAL: Array<[string, PyValue, '+' | '-', PyValue, string]> = [
  [
    'timedelta(hours=1) + timedelta(minutes=30)',
    td(0, 3600),
    '+',
    td(0, 1800),
    'datetime.timedelta(seconds=5400)',
  ],
  [
    'datetime(2024, 2, 28, 23, 0) + timedelta(hours=2)',
    dt(2024, 2, 28, 23),
    '+',
    td(0, 7200),
    'datetime.datetime(2024, 2, 29, 1, 0)',
  ],
  [
    'timedelta(hours=2) + datetime(2024, 2, 28, 23, 0)',
    td(0, 7200),
    '+',
    dt(2024, 2, 28, 23),
    'datetime.datetime(2024, 2, 29, 1, 0)',
  ],
  [
    'datetime(9999, 12, 31) + timedelta(days=1)',
    dt(9999, 12, 31),
    '+',
    td(1),
    'OverflowError: date value out of range',
  ],
  [
    'date(2024, 2, 29) + timedelta(days=365)',
    new PyDate(2024, 2, 29),
    '+',
    td(365),
    'datetime.date(2025, 2, 28)',
  ],
  [
    'date(2024, 2, 29) + timedelta(hours=25)',
    new PyDate(2024, 2, 29),
    '+',
    td(1, 3600),
    'datetime.date(2024, 3, 1)',
  ],
  [
    'date(2024, 3, 1) - date(2023, 3, 1)',
    new PyDate(2024, 3, 1),
    '-',
    new PyDate(2023, 3, 1),
    'datetime.timedelta(days=366)',
  ],
  [
    'datetime(2024, 1, 1, tzinfo=utc) - datetime(2023, 12, 31, 20, tzinfo=E)',
    dt(2024, 1, 1, 0, 0, UTC),
    '-',
    dt(2023, 12, 31, 20, 0, E),
    'datetime.timedelta(days=-1, seconds=82800)',
  ],
  [
    'datetime(2024, 1, 1) - datetime(2023, 12, 31, 20, tzinfo=E)',
    dt(2024, 1, 1),
    '-',
    dt(2023, 12, 31, 20, 0, E),
    "TypeError: can't subtract offset-naive and offset-aware datetimes",
  ],
  [
    'timedelta(days=999999999) + timedelta(days=1)',
    td(999_999_999),
    '+',
    td(1),
    'OverflowError: days=1000000000; must have magnitude <= 999999999',
  ],
  [
    'timedelta(days=-999999999) - timedelta(days=1)',
    td(-999_999_999),
    '-',
    td(1),
    'OverflowError: days=-1000000000; must have magnitude <= 999999999',
  ],
  [
    'timedelta(-1, 5, 7) - timedelta(microseconds=8)',
    td(-1, 5, 7),
    '-',
    td(0, 0, 8),
    'datetime.timedelta(days=-1, seconds=4, microseconds=999999)',
  ],
  [
    'datetime(2024, 3, 10, 12, tzinfo=E) - timedelta(days=1, microseconds=1)',
    dt(2024, 3, 10, 12, 0, E),
    '-',
    td(1, 0, 1),
    'datetime.datetime(2024, 3, 9, 11, 59, 59, 999999, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=68400)))',
  ],
  [
    'date(1, 1, 1) - timedelta(days=1)',
    new PyDate(1, 1, 1),
    '-',
    td(1),
    'OverflowError: date value out of range',
  ],
  [
    'datetime(2024, 1, 1) - date(2024, 1, 1)',
    dt(2024, 1, 1),
    '-',
    new PyDate(2024, 1, 1),
    "TypeError: unsupported operand type(s) for -: 'datetime.datetime' and 'datetime.date'",
  ],
  [
    'timedelta(1) + 1',
    td(1),
    '+',
    1n,
    "TypeError: unsupported operand type(s) for +: 'datetime.timedelta' and 'int'",
  ],
]

describe('Decimal arithmetic, as CPython computes it', () => {
  it.each(DECIMALS)('Decimal(%j) %s Decimal(%j) is %s', (a, b, op, expected) => {
    const f = op === '+' ? dataAdd : dataSub
    const got = outcome(() => f(D(a), D(b)), true)
    expect(got.startsWith(`${expected}:`) ? expected : got).toBe(expected)
  })

  it('mixes with int and bool, not with float', () => {
    expect(String(dataAdd(D('1.5'), 2n))).toBe('3.5')
    expect(String(dataSub(true, D('0.25')))).toBe('0.75')
    expect(outcome(() => dataAdd(D('1.5'), 1.5))).toBe(
      "TypeError: unsupported operand type(s) for +: 'decimal.Decimal' and 'float'",
    )
    expect(outcome(() => dataAdd('a', D('1')))).toBe(
      'TypeError: can only concatenate str (not "decimal.Decimal") to str',
    )
  })
})

const python = spawnSync('python3', ['-c', 'import decimal'], { encoding: 'utf8' }).status === 0

describe.skipIf(!python)(
  'Decimal arithmetic against the running CPython (python3), on 400 random pairs',
  () => {
    it('gives the same str() or the same signal', () => {
      const digits = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.bigInt({ min: 0n, max: 1000n }))
      const exp = fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -1_000_030, max: 1_000_000 }))
      const dec = fc.tuple(fc.boolean(), digits, exp).map(([neg, c, e]) => `${neg ? '-' : ''}${c}E${e}`)
      const pairs = fc.sample(fc.tuple(dec, dec, fc.boolean()), { numRuns: 400, seed: 19 })
      const script = [
        'import decimal, sys',
        'for line in sys.stdin.read().split("\\n"):',
        '    if not line: continue',
        '    a, b, op = line.split(" ")',
        '    try: print(str(decimal.Decimal(a) + decimal.Decimal(b) if op == "+" else decimal.Decimal(a) - decimal.Decimal(b)))',
        '    except decimal.DecimalException as e: print(type(e).__name__)',
      ].join('\n')
      const input = pairs.map(([a, b, plus]) => `${a} ${b} ${plus ? '+' : '-'}`).join('\n')
      const r = spawnSync('python3', ['-c', script], { input, encoding: 'utf8', timeout: 20_000 })
      expect(r.status).toBe(0)
      const ours = pairs.map(([a, b, plus]) => {
        const got = outcome(() => (plus ? dataAdd : dataSub)(D(a), D(b)), true)
        return got.includes(':') ? got.slice(0, got.indexOf(':')) : got
      })
      expect(ours).toEqual(r.stdout.trim().split('\n'))
    })
  },
)

describe('datetime arithmetic, as CPython computes it', () => {
  it.each(TEMPORAL)('%s', (_expr, x, op, y, expected) => {
    expect(outcome(() => (op === '+' ? dataAdd(x, y) : dataSub(x, y)))).toBe(expected)
  })

  it('numbers days as date.toordinal() does, for every day of years 1 to 9999 (checked against JS Date)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_652_059 }), (n) => {
        const d = fromOrdinal(n) as PyDate
        const js = new Date(0)
        js.setUTCFullYear(d.year, d.month - 1, d.day)
        const fromJs = Math.round((js.getTime() - Date.UTC(1970, 0, 1)) / 86_400_000) + 719_163
        return ordinal(d) === n && fromJs === n
      }),
      { numRuns: 2000 },
    )
    expect(fromOrdinal(0)).toBeUndefined()
    expect(fromOrdinal(3_652_060)).toBeUndefined()
  })
})

describe('complex, sets, bytearray and sequences', () => {
  it.each<[string, () => PyValue, string]>([
    ['(1.5-2j) + 1', () => dataAdd(new PyComplex(1.5, -2), 1n), '(2.5-2j)'],
    ['2 - 1j', () => dataSub(2n, new PyComplex(0, 1)), '(2-1j)'],
    [
      '{1, 2, 3} - {2.0, True}',
      () => dataSub(new PySet([1n, 2n, 3n], false), new PySet([2, true], false)),
      '{3}',
    ],
    [
      "frozenset({(1, 'a'), Decimal('2.50'), 7}) - {(1.0, 'a'), 2.5}",
      () =>
        dataSub(
          new PySet([new PyTuple([1n, 'a']), D('2.50'), 7n], true),
          new PySet([new PyTuple([1, 'a']), 2.5], false),
        ),
      'frozenset({7})',
    ],
    ['frozenset() - set()', () => dataSub(new PySet([], true), new PySet([], false)), 'frozenset()'],
    [
      '{1} + {2}',
      () => dataAdd(new PySet([1n], false), new PySet([2n], false)),
      "TypeError: unsupported operand type(s) for +: 'set' and 'set'",
    ],
    ["[Decimal('1')] + [2]", () => dataAdd([D('1')], [2n]), "[Decimal('1'), 2]"],
  ])('%s', (_expr, f, expected) => {
    expect(outcome(f)).toBe(expected)
  })
})
