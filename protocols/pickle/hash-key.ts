/**
 * hashKey gives hashable PyValues that Python holds equal (`1 == 1.0 == True ==
 * Decimal('1.00')`, `(1, 'a') == (1.0, 'a')`, two aware datetimes at the same instant) one
 * and the same string, so set difference can match elements as Python does. Numbers are
 * keyed by their exact rational value; a NaN equals nothing, not even itself.
 */
import { datetimeUs, PyDate, PyDateTime, PyTime, PyTimedelta, PyTimezone } from './datetime.ts'
import { PyDecimal } from './decimal.ts'
import { PyComplex, PyRange, PySet, PySlice, PyTuple, type PyValue, pyRepr } from './value.ts'

let nanCount = 0

/** rational is the exact value of a finite number as `num/den` in lowest terms (den a power of 2 or 10). */
function rational(num: bigint, den: bigint): string {
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b))
  const g = gcd(num, den)
  return den / g === 1n ? `n:${num / g}` : `n:${num / g}/${den / g}`
}

function floatKey(f: number): string {
  if (Number.isNaN(f)) return `nan:${nanCount++}`
  if (!Number.isFinite(f)) return `n:${f > 0 ? '' : '-'}inf`
  if (Number.isInteger(f)) return `n:${BigInt(f)}`
  // An IEEE double is m / 2^k exactly: scale by 2 until it is whole (at most 1074 times).
  let den = 1n
  let x = f
  while (!Number.isInteger(x)) {
    x *= 2
    den *= 2n
  }
  return rational(BigInt(x), den)
}

function decimalKey(d: PyDecimal): string {
  if (d.exp === 'Infinity') return `n:${d.sign === 1 ? '-' : ''}inf`
  if (typeof d.exp !== 'bigint') return `nan:${nanCount++}`
  const coeff = BigInt(d.digits) * (d.sign === 1 ? -1n : 1n)
  if (coeff === 0n) return 'n:0'
  // Exponents beyond ±10000 cannot equal any int or float key: keep them symbolic.
  if (d.exp > 10_000n || d.exp < -10_000n) return `d:${coeff}e${d.exp}`
  return d.exp >= 0n ? `n:${coeff * 10n ** d.exp}` : rational(coeff, 10n ** -d.exp)
}

export function hashKey(v: PyValue): string {
  if (v === null) return 'N'
  if (typeof v === 'boolean') return v ? 'n:1' : 'n:0'
  if (typeof v === 'bigint') return `n:${v}`
  if (typeof v === 'number') return floatKey(v)
  if (typeof v === 'string') return `s:${v}`
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`
  if (v instanceof PyDecimal) return decimalKey(v)
  if (v instanceof PyComplex)
    return v.imag === 0 ? floatKey(v.real) : `c:${floatKey(v.real)},${floatKey(v.imag)}`
  if (v instanceof PyTuple) return `t(${v.items.map(hashKey).join(',')})`
  if (v instanceof PySet) return `F{${v.items.map(hashKey).sort().join(',')}}`
  if (v instanceof PyDateTime) {
    const tz = v.time.tzinfo
    return tz === null ? `dt:${datetimeUs(v)}` : `dtz:${datetimeUs(v) - tz.offset.total}`
  }
  if (v instanceof PyTimedelta) return `td:${v.total}`
  if (v instanceof PyTimezone) return `tz:${v.offset.total}`
  if (v instanceof PyRange) {
    // range equality is sequence equality: length, first item and step (when more than one)
    const n =
      v.step > 0n ? (v.stop - v.start + v.step - 1n) / v.step : (v.start - v.stop - v.step - 1n) / -v.step
    const len = n > 0n ? n : 0n
    return len === 0n ? 'r:0' : len === 1n ? `r:1:${v.start}` : `r:${len}:${v.start}:${v.step}`
  }
  if (v instanceof PyDate || v instanceof PyTime || v instanceof PySlice) return `x:${pyRepr(v)}`
  return `id:${nanCount++}` // unhashable values never reach a set
}
