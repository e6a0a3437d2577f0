/**
 * PyValue is Python's data model as the pickle codec carries it: only plain data, never
 * an object that would need code to build. int and float stay distinct, so an echo keeps
 * `1` and `1.0` apart; tuples, sets and frozensets keep their own classes, and dicts keep
 * any hashable keys in insertion order.
 *
 *   Python      PyValue                        pickle opcodes (protocol 4)
 *   None        null                           N
 *   bool        boolean                        \x88 \x89
 *   int         bigint (always)                K M J \x8a \x8b
 *   float       number (always)                G (big-endian IEEE 754)
 *   str         string (lone surrogates kept)  \x8c X \x8d
 *   bytes       Uint8Array                     C B \x8e
 *   Python 2 str  Py2Str (a Uint8Array)        U T (protocol 2; Python 3 has no such type)
 *   list        PyValue[]                      ] ( … e
 *   tuple       PyTuple                        ) \x85 \x86 \x87 ( … t
 *   dict        PyDict                         } ( … u
 *   set         PySet { frozen: false }        \x8f ( … \x90
 *   frozenset   PySet { frozen: true }         ( … \x91
 *
 * The rest are values of the allow-list of data constructors (constructors.ts), which
 * pickle writes as a call of a global (GLOBAL or STACK_GLOBAL, then REDUCE):
 *
 *   bytearray PyByteArray · complex PyComplex · slice PySlice · range PyRange ·
 *   collections.OrderedDict PyOrderedDict · decimal.Decimal PyDecimal (decimal.ts) ·
 *   datetime.date/time/datetime/timedelta/timezone PyDate/PyTime/PyDateTime/PyTimedelta/
 *   PyTimezone (datetime.ts)
 *
 * PyException is not a PyValue: it is a pickled `builtins.<Name>Error(*args)` that a
 * Python server sends back, decoded by name without importing anything, and only as a
 * whole pickle (the seed's `pickle.dumps(e)`).
 *
 * The classes assign their fields in the constructor instead of using parameter
 * properties (tsconfig has `erasableSyntaxOnly`); PyException carries `state`, the
 * instance dict a BUILD opcode applies (3.11+ `add_note` puts `__notes__` there).
 */

import { pyBytesRepr, pyFloatRepr, pyStrRepr, pyRepr as scalarRepr } from '../python.ts'
import { pyTypeName as scalarTypeName } from '../value.ts'
import {
  dateRepr,
  datetimeRepr,
  PyDate,
  PyDateTime,
  PyTime,
  PyTimedelta,
  PyTimezone,
  timedeltaRepr,
  timeRepr,
  timezoneRepr,
} from './datetime.ts'
import { PyDecimal } from './decimal.ts'

export { PyDate, PyDateTime, PyDecimal, PyTime, PyTimedelta, PyTimezone }

export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | Uint8Array
  | PyByteArray
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyComplex
  | PySlice
  | PyRange
  | PyDecimal
  | PyDate
  | PyTime
  | PyDateTime
  | PyTimedelta
  | PyTimezone

/** PyTuple is an immutable sequence; `new PyTuple([])` is `()`. */
export class PyTuple {
  readonly items: readonly PyValue[]

  constructor(items: readonly PyValue[]) {
    this.items = items
  }
}

/** PyDict is a dict: entries in insertion order, keys any hashable PyValue (str, int, tuple, …). */
export class PyDict {
  readonly entries: Array<[PyValue, PyValue]>

  constructor(entries: Array<[PyValue, PyValue]> = []) {
    this.entries = entries
  }
}

/** PyOrderedDict is a collections.OrderedDict: a PyDict that pickles (and prints) as one. */
export class PyOrderedDict extends PyDict {}

/** PySet is a set (`frozen: false`) or a frozenset (`frozen: true`). */
export class PySet {
  readonly items: PyValue[]
  readonly frozen: boolean

  constructor(items: PyValue[], frozen: boolean) {
    this.items = items
    this.frozen = frozen
  }
}

/** PyByteArray is a mutable bytes object; its own class so a round trip keeps the type. */
export class PyByteArray {
  readonly bytes: Uint8Array

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
  }
}

/**
 * Py2Str is a Python 2 `str` (SHORT_BINSTRING, BINSTRING): bytes that a Python 2 client
 * reads back as its own str, as its pickle writes them. Python 3 reads them as bytes.
 */
export class Py2Str extends Uint8Array {}

/** PyComplex is a complex number. */
export class PyComplex {
  readonly real: number
  readonly imag: number

  constructor(real: number, imag: number) {
    this.real = real
    this.imag = imag
  }
}

/** PySlice is a slice object; its parts are scalars (None, bool, int, float, str, bytes). */
export class PySlice {
  readonly start: PyValue
  readonly stop: PyValue
  readonly step: PyValue

  constructor(start: PyValue, stop: PyValue, step: PyValue) {
    this.start = start
    this.stop = stop
    this.step = step
  }
}

/** PyRange is a range (Python 2's xrange); step is never 0. */
export class PyRange {
  readonly start: bigint
  readonly stop: bigint
  readonly step: bigint

  constructor(start: bigint, stop: bigint, step: bigint) {
    this.start = start
    this.stop = stop
    this.step = step
  }
}

/**
 * PyException is a pickled exception, e.g. `builtins.TypeError('x')`: the class named by
 * module and name (never imported), its `args`, and the optional instance dict (`state`)
 * that `BaseException.__reduce__` adds when it is not empty.
 */
export class PyException {
  readonly module: string
  readonly name: string
  readonly args: readonly PyValue[]
  readonly state: PyDict | undefined

  constructor(module: string, name: string, args: readonly PyValue[], state?: PyDict) {
    this.module = module
    this.name = name
    this.args = args
    this.state = state
  }

  /** toString renders it as a Python traceback's last line: `TypeError: x`, `ValueError: ('a', 2)`, `KeyError: 'k'`. */
  toString(): string {
    if (this.args.length === 0) return this.name
    const [only] = this.args
    // BaseException.__str__: one arg → str(arg), several → str(args); KeyError's uses repr(arg).
    if (this.args.length > 1) return `${this.name}: ${pyRepr(new PyTuple(this.args))}`
    return `${this.name}: ${typeof only === 'string' && this.name !== 'KeyError' ? only : pyRepr(only)}`
  }
}

/**
 * isHashable says whether Python could use the value as a dict key or set element (lists,
 * dicts, sets and bytearrays cannot; a tuple is hashable when its items are).
 */
export function isHashable(v: PyValue): boolean {
  if (Array.isArray(v) || v instanceof PyDict || v instanceof PyByteArray) return false
  if (v instanceof PySet) return v.frozen
  if (v instanceof PyTuple) return v.items.every(isHashable)
  return true
}

/** pyTypeName is the name Python gives the value's type (`list`, `frozenset`, …), for messages. */
export function pyTypeName(v: PyValue | PyException): string {
  if (v instanceof PyTuple) return 'tuple'
  if (v instanceof PyOrderedDict) return 'collections.OrderedDict'
  if (v instanceof PyDict) return 'dict'
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set'
  if (v instanceof PyByteArray) return 'bytearray'
  if (v instanceof PyException) return v.name
  if (Array.isArray(v)) return 'list'
  const data = DATA_TYPE_NAMES.find(([cls]) => v instanceof cls)
  if (data !== undefined) return data[1]
  return scalarTypeName(v as Exclude<PyValue, object> | Uint8Array)
}

// Type names as Python's messages spell them (the C type's tp_name).
const DATA_TYPE_NAMES: ReadonlyArray<readonly [abstract new (...args: never[]) => object, string]> = [
  [PyComplex, 'complex'],
  [PySlice, 'slice'],
  [PyRange, 'range'],
  [PyDecimal, 'decimal.Decimal'],
  [PyDateTime, 'datetime.datetime'],
  [PyDate, 'datetime.date'],
  [PyTime, 'datetime.time'],
  [PyTimedelta, 'datetime.timedelta'],
  [PyTimezone, 'datetime.timezone'],
]

/** pyRepr is Python's repr() of a PyValue (scalars spelled exactly; for messages, not round trips). */
export function pyRepr(v: PyValue | undefined): string {
  if (v === undefined) return 'None'
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return scalarRepr(v)
  if (v instanceof PyByteArray) return `bytearray(${pyBytesRepr(v.bytes)})`
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`
  if (v instanceof PyTuple) {
    const inner = v.items.map(pyRepr).join(', ')
    return v.items.length === 1 ? `(${inner},)` : `(${inner})`
  }
  if (v instanceof PyDict) {
    const inner = v.entries.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')
    // 3.12+ spelling for OrderedDict: OrderedDict({'a': 1})
    if (v instanceof PyOrderedDict)
      return v.entries.length === 0 ? 'OrderedDict()' : `OrderedDict({${inner}})`
    return `{${inner}}`
  }
  if (!(v instanceof PySet)) return dataRepr(v)
  const inner = v.items.map(pyRepr).join(', ')
  if (v.frozen) return v.items.length === 0 ? 'frozenset()' : `frozenset({${inner}})`
  return v.items.length === 0 ? 'set()' : `{${inner}}`
}

/** dataRepr is repr() of a constructed value. */
function dataRepr(
  v: Exclude<
    PyValue,
    | null
    | boolean
    | bigint
    | number
    | string
    | Uint8Array
    | PyByteArray
    | PyValue[]
    | PyTuple
    | PyDict
    | PySet
  >,
): string {
  if (v instanceof PyComplex) return complexRepr(v)
  if (v instanceof PySlice) return `slice(${pyRepr(v.start)}, ${pyRepr(v.stop)}, ${pyRepr(v.step)})`
  if (v instanceof PyRange) return `range(${v.start}, ${v.stop}${v.step === 1n ? '' : `, ${v.step}`})`
  if (v instanceof PyDecimal) return `Decimal('${v.toString()}')`
  if (v instanceof PyDateTime) return datetimeRepr(v, pyStrRepr)
  if (v instanceof PyDate) return dateRepr(v)
  if (v instanceof PyTime) return timeRepr(v, pyStrRepr)
  if (v instanceof PyTimedelta) return timedeltaRepr(v)
  return timezoneRepr(v, pyStrRepr)
}

/** complexRepr: `(1.5-2j)`, `2j`; the parts as repr(float) without a trailing `.0`. */
function complexRepr(c: PyComplex): string {
  const part = (x: number) => {
    const r = pyFloatRepr(x)
    return r.endsWith('.0') ? r.slice(0, -2) : r
  }
  if (c.real === 0 && !Object.is(c.real, -0)) return `${part(c.imag)}j`
  const im = part(c.imag)
  const sign = im.startsWith('-') ? '' : '+'
  return `(${part(c.real)}${sign}${im}j)`
}
