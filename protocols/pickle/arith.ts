/**
 * Python's `x + y` and `x - y` where an operand is a value the registry's RpcValue cannot
 * hold (methods/arith.ts does the rest): Decimal with Decimal or int, complex with numbers,
 * timedelta, date and datetime arithmetic, set and frozenset difference, bytearray, and
 * list or tuple concatenation of such values. Anything else raises Python's own TypeError
 * text (`unsupported operand type(s) for +: 'decimal.Decimal' and 'float'`).
 */
import { PyError, typeError } from '../py-error.ts'
import {
  datetimeFromUs,
  datetimeUs,
  fromOrdinal,
  ordinal,
  PyDate,
  PyDateTime,
  PyTimedelta,
  timedeltaOf,
} from './datetime.ts'
import { DecimalSignal, decimalAdd, decimalFromInt, decimalSub, PyDecimal } from './decimal.ts'
import { hashKey } from './hash-key.ts'
import { PyByteArray, PyComplex, PySet, PyTuple, type PyValue, pyTypeName } from './value.ts'

type Op = '+' | '-'

const isInt = (v: PyValue): v is bigint | boolean => typeof v === 'bigint' || typeof v === 'boolean'
const int = (v: bigint | boolean): bigint => (typeof v === 'boolean' ? BigInt(v) : v)

const overflow = (text: string) => new PyError('OverflowError', text, [text])

/** dataAdd is Python's `x + y`. */
export function dataAdd(x: PyValue, y: PyValue): PyValue {
  return arith('+', x, y)
}

/** dataSub is Python's `x - y`. */
export function dataSub(x: PyValue, y: PyValue): PyValue {
  return arith('-', x, y)
}

function arith(op: Op, x: PyValue, y: PyValue): PyValue {
  const r = decimal(op, x, y) ?? complex(op, x, y) ?? temporal(op, x, y) ?? sequence(op, x, y)
  if (r !== undefined) return r
  throw unsupported(op, x, y)
}

function unsupported(op: Op, x: PyValue, y: PyValue): PyError {
  const t = pyTypeName(y)
  if (op === '+') {
    if (typeof x === 'string' || Array.isArray(x) || x instanceof PyTuple) {
      const kind = typeof x === 'string' ? 'str' : Array.isArray(x) ? 'list' : 'tuple'
      return typeError(`can only concatenate ${kind} (not "${t}") to ${kind}`)
    }
    if (x instanceof Uint8Array || x instanceof PyByteArray)
      return typeError(`can't concat ${t} to ${pyTypeName(x)}`)
  }
  return typeError(`unsupported operand type(s) for ${op}: '${pyTypeName(x)}' and '${t}'`)
}

function decimal(op: Op, x: PyValue, y: PyValue): PyValue | undefined {
  const a = x instanceof PyDecimal ? x : isInt(x) ? decimalFromInt(int(x)) : undefined
  const b = y instanceof PyDecimal ? y : isInt(y) ? decimalFromInt(int(y)) : undefined
  if (a === undefined || b === undefined || !(x instanceof PyDecimal || y instanceof PyDecimal))
    return undefined
  try {
    return op === '+' ? decimalAdd(a, b) : decimalSub(a, b)
  } catch (err) {
    if (!(err instanceof DecimalSignal)) throw err
    throw new PyError(`decimal.${err.pyName}`, err.message, [err.message])
  }
}

function toFloat(v: PyValue): number | undefined {
  if (typeof v === 'number') return v
  if (!isInt(v)) return undefined
  const f = Number(int(v))
  if (!Number.isFinite(f)) throw overflow('int too large to convert to float')
  return f
}

function complex(op: Op, x: PyValue, y: PyValue): PyValue | undefined {
  if (!(x instanceof PyComplex || y instanceof PyComplex)) return undefined
  const part = (v: PyValue): [number, number] | undefined => {
    if (v instanceof PyComplex) return [v.real, v.imag]
    const f = toFloat(v)
    return f === undefined ? undefined : [f, 0]
  }
  const a = part(x)
  const b = part(y)
  if (a === undefined || b === undefined) return undefined
  return op === '+' ? new PyComplex(a[0] + b[0], a[1] + b[1]) : new PyComplex(a[0] - b[0], a[1] - b[1])
}

function delta(us: bigint): PyTimedelta {
  const td = timedeltaOf(us)
  if (td !== undefined) return td
  const day = 86_400_000_000n
  const days = us / day - (us < 0n && us % day !== 0n ? 1n : 0n) // floor, as Python's divmod
  throw overflow(`days=${days}; must have magnitude <= 999999999`)
}

function shiftDatetime(dt: PyDateTime, us: bigint): PyDateTime {
  const out = datetimeFromUs(datetimeUs(dt) + us, dt.time.tzinfo)
  if (out === undefined) throw overflow('date value out of range')
  return out
}

function shiftDate(d: PyDate, days: number): PyDate {
  const out = fromOrdinal(ordinal(d) + days)
  if (out === undefined) throw overflow('date value out of range')
  return out
}

/** temporal is datetime's arithmetic (Lib/datetime.py __add__, __sub__, __radd__). */
function temporal(op: Op, x: PyValue, y: PyValue): PyValue | undefined {
  if (x instanceof PyTimedelta && y instanceof PyTimedelta)
    return delta(op === '+' ? x.total + y.total : x.total - y.total)
  if (y instanceof PyTimedelta) {
    const us = op === '+' ? y.total : -y.total
    if (x instanceof PyDateTime) return shiftDatetime(x, us)
    if (x instanceof PyDate) return shiftDate(x, op === '+' ? y.days : -y.days)
  }
  if (op === '+' && x instanceof PyTimedelta) {
    if (y instanceof PyDateTime) return shiftDatetime(y, x.total)
    if (y instanceof PyDate) return shiftDate(y, x.days)
  }
  if (op === '-' && x instanceof PyDateTime && y instanceof PyDateTime) {
    const [ax, ay] = [x.time.tzinfo, y.time.tzinfo]
    if ((ax === null) !== (ay === null))
      throw typeError("can't subtract offset-naive and offset-aware datetimes")
    const offsets = (ax?.offset.total ?? 0n) - (ay?.offset.total ?? 0n)
    return delta(datetimeUs(x) - datetimeUs(y) - offsets)
  }
  if (
    op === '-' &&
    x instanceof PyDate &&
    y instanceof PyDate &&
    !(x instanceof PyDateTime) &&
    !(y instanceof PyDateTime)
  )
    return delta(BigInt(ordinal(x) - ordinal(y)) * 86_400_000_000n)
  return undefined
}

/** sequence is concatenation (list, tuple, bytes-like) and set difference. */
function sequence(op: Op, x: PyValue, y: PyValue): PyValue | undefined {
  if (op === '+') {
    if (Array.isArray(x) && Array.isArray(y)) return [...x, ...y]
    if (x instanceof PyTuple && y instanceof PyTuple) return new PyTuple([...x.items, ...y.items])
    const bx = x instanceof PyByteArray ? x.bytes : x instanceof Uint8Array ? x : undefined
    const by = y instanceof PyByteArray ? y.bytes : y instanceof Uint8Array ? y : undefined
    if (bx === undefined || by === undefined) return undefined
    const joined = Buffer.concat([bx, by])
    return x instanceof PyByteArray ? new PyByteArray(joined) : joined
  }
  if (x instanceof PySet && y instanceof PySet) {
    const drop = new Set(y.items.map(hashKey))
    return new PySet(
      x.items.filter((item) => !drop.has(hashKey(item))),
      x.frozen,
    )
  }
  return undefined
}
