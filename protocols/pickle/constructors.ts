/**
 * The allow-list of data constructors: the globals a pickle may name (GLOBAL, STACK_GLOBAL)
 * because calling them only builds data, and the argument shapes each may be called with
 * (by REDUCE, or NEWOBJ as `cls.__new__(cls, *args)`). Python's own docs call this
 * "Restricting Globals"; every other global stays refused.
 *
 *   global (Python 3 name)         what REDUCE may pass                        CPython writes it for
 *   builtins.set, frozenset        () | (list/tuple/set/frozenset of hashables)  set at protocol < 4
 *   builtins.bytearray             () | (bytes,) | (str, 'latin-1')              bytearray at < 5
 *   builtins.complex               () | (real[, imag]) ints or floats            complex
 *   builtins.slice                 (stop) | (start, stop[, step]) scalars        slice
 *   builtins.range                 (stop) | (start, stop[, step]) ints, step≠0   range (2.x xrange)
 *   datetime.date, time, datetime  (state bytes[, tzinfo]) | the field ints      date, time, datetime
 *   datetime.timedelta             (days[, seconds[, microseconds, …]]) ints     timedelta
 *   datetime.timezone              (timedelta[, name])                           timezone
 *   decimal.Decimal                () | (text) | (int)                           Decimal
 *   collections.OrderedDict        () | (list/tuple of (key, value) pairs)       OrderedDict
 *   copyreg._reconstructor         (T, T, state) for T above: T(state)           (protocol 0-1 forms)
 *   _codecs.encode                 (str, 'latin1')                               bytes at protocol < 3
 *   builtins.bytes                 ()                                            b'' at protocol < 3
 *
 * Below protocol 3, Python 2's names are read as Python 3's `_compat_pickle` does:
 * `__builtin__.*` (and `__builtin__.xrange` for range), `copy_reg._reconstructor`.
 * The last two rows are Python 3's own spelling of bytes at protocol 2.
 */
import {
  dateFromState,
  datetimeFromState,
  isValidDate,
  isValidOffset,
  isValidTime,
  timedeltaOf,
  timeFromState,
} from './datetime.ts'
import { decimalFromInt, parseDecimal } from './decimal.ts'
import {
  isHashable,
  Py2Str,
  PyByteArray,
  PyComplex,
  PyDate,
  PyDateTime,
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
  pyTypeName,
} from './value.ts'

/** ShapeError: an allowed global called with arguments outside its accepted shapes. */
export class ShapeError extends Error {}

/** Call is one way to call a constructor: REDUCE (`T(*args)`) or NEWOBJ (`T.__new__(T, *args)`). */
export type Call = 'reduce' | 'newobj'

/** Limits the constructors need. */
export interface ConstructorLimits {
  /** longest int, bytes; a Decimal's text may have 3 characters per byte of it */
  readonly maxIntBytes: number
}

/** Constructor is one allowed global. */
export interface Constructor {
  /** the Python 3 name, e.g. `builtins.set` */
  readonly qualname: string
  /** builds the value from the args tuple's items, or throws ShapeError */
  build(args: readonly Arg[], call: Call, limits: ConstructorLimits): PyValue
}

/** GlobalRef stands for an allowed global on the unpickling stack, until REDUCE or NEWOBJ calls it. */
export class GlobalRef {
  readonly ctor: Constructor

  constructor(ctor: Constructor) {
    this.ctor = ctor
  }
}

/** An argument: a value, or (for copyreg._reconstructor) a class. */
export type Arg = PyValue | GlobalRef

const isInt = (v: Arg): v is bigint | boolean => typeof v === 'bigint' || typeof v === 'boolean'
const int = (v: bigint | boolean): bigint => (typeof v === 'boolean' ? BigInt(v) : v)
const isText = (v: Arg): v is string | Py2Str => typeof v === 'string' || v instanceof Py2Str
const text = (v: string | Py2Str): string => (typeof v === 'string' ? v : Buffer.from(v).toString('latin1'))
function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false
  return true
}
const LATIN1 = new Set(['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1', 'l1'])
const describe = (v: Arg): string =>
  v instanceof GlobalRef ? `the class ${v.ctor.qualname}` : `a ${pyTypeName(v)}`

/** values checks that no argument is a class (only copyreg._reconstructor takes those). */
function values(name: string, args: readonly Arg[], min: number, max: number): PyValue[] {
  if (args.length < min || args.length > max) {
    const n = min === max ? `${min}` : `${min} to ${max}`
    throw new ShapeError(`${name}() takes ${n} arguments here, not ${args.length}`)
  }
  for (const a of args)
    if (a instanceof GlobalRef) throw new ShapeError(`${name}() does not take ${describe(a)}`)
  return args as PyValue[]
}

function intArgs(name: string, args: readonly PyValue[]): bigint[] {
  return args.map((a) => {
    if (!isInt(a)) throw new ShapeError(`${name}() takes ints here, not ${describe(a)}`)
    return int(a)
  })
}

function small(name: string, n: bigint): number {
  if (n < -0x7fff_ffffn || n > 0x7fff_ffffn) throw new ShapeError(`${name}(): ${n} is out of range`)
  return Number(n)
}

function elements(name: string, arg: PyValue): PyValue[] {
  if (Array.isArray(arg)) return [...arg]
  if (arg instanceof PyTuple || arg instanceof PySet) return [...arg.items]
  throw new ShapeError(`${name}() takes a list, tuple, set or frozenset here, not ${describe(arg)}`)
}

function latin1Bytes(name: string, s: PyValue, encoding: PyValue): Buffer {
  if (!isText(s) || !isText(encoding) || !LATIN1.has(text(encoding).toLowerCase()))
    throw new ShapeError(`${name}() takes (str, 'latin-1') here`)
  const t = text(s)
  if (!isLatin1(t)) throw new ShapeError(`${name}(): the text has characters beyond U+00FF`)
  return Buffer.from(t, 'latin1')
}

function setOf(frozen: boolean) {
  const name = frozen ? 'frozenset' : 'set'
  return (args: readonly Arg[], call: Call): PyValue => {
    const [arg] = values(name, args, 0, 1)
    // set.__new__ ignores its arguments (set.__init__ fills the set); frozenset.__new__ does not.
    if (arg === undefined || (call === 'newobj' && !frozen)) return new PySet([], frozen)
    const items = elements(name, arg)
    for (const x of items)
      if (!isHashable(x)) throw new ShapeError(`${name}(): unhashable type: '${pyTypeName(x)}'`)
    return new PySet(items, frozen)
  }
}

function bytearray(args: readonly Arg[], call: Call): PyValue {
  const [a, b] = values('bytearray', args, 0, 2)
  if (a === undefined || call === 'newobj') return new PyByteArray(Buffer.alloc(0))
  if (b !== undefined) return new PyByteArray(latin1Bytes('bytearray', a, b))
  if (a instanceof Uint8Array) return new PyByteArray(Buffer.from(a))
  throw new ShapeError(`bytearray() takes bytes or (str, 'latin-1') here, not ${describe(a)}`)
}

function toFloat(name: string, v: PyValue): number {
  if (typeof v === 'number') return v
  if (isInt(v)) {
    const f = Number(int(v))
    if (!Number.isFinite(f)) throw new ShapeError(`${name}(): int too large to convert to float`)
    return f
  }
  throw new ShapeError(`${name}() takes ints or floats here, not ${describe(v)}`)
}

function complex(args: readonly Arg[]): PyValue {
  const [re = 0, im = 0] = values('complex', args, 0, 2)
  return new PyComplex(toFloat('complex', re), toFloat('complex', im))
}

const isScalar = (v: PyValue): boolean =>
  v === null || typeof v !== 'object' || (v instanceof Uint8Array && !(v instanceof PyByteArray))

function slice(args: readonly Arg[]): PyValue {
  const parts = values('slice', args, 1, 3)
  for (const p of parts)
    if (!isScalar(p)) throw new ShapeError(`slice() takes scalars here, not ${describe(p)}`)
  const [a, b = null, c = null] = parts as [PyValue, PyValue?, PyValue?]
  return parts.length === 1 ? new PySlice(null, a, null) : new PySlice(a, b, c)
}

function range(args: readonly Arg[]): PyValue {
  const ns = intArgs('range', values('range', args, 1, 3))
  const [start, stop, step = 1n] = ns.length === 1 ? [0n, ns[0] as bigint] : (ns as [bigint, bigint, bigint?])
  if (step === 0n) throw new ShapeError('range() arg 3 must not be zero')
  return new PyRange(start, stop, step)
}

/** stateBytes is a datetime state: bytes, a Python 2 str, or (as Python 3 accepts) latin-1 text. */
function stateBytes(v: PyValue): Uint8Array | undefined {
  if (v instanceof Uint8Array && !(v instanceof PyByteArray)) return v
  if (typeof v === 'string' && isLatin1(v)) return Buffer.from(v, 'latin1')
  return undefined
}

function tzinfo(name: string, v: PyValue | undefined): PyTimezone | null {
  if (v === undefined || v === null) return null
  if (v instanceof PyTimezone) return v
  throw new ShapeError(`${name}() takes a datetime.timezone as tzinfo here, not ${describe(v)}`)
}

function date(args: readonly Arg[]): PyValue {
  const vs = values('date', args, 1, 3)
  const state = vs.length === 1 ? stateBytes(vs[0] as PyValue) : undefined
  if (state !== undefined) {
    const d = dateFromState(state)
    if (d === undefined) throw new ShapeError('date(): the state is not a valid date')
    return d
  }
  const [y, m, d] = intArgs('date', vs).map((n) => small('date', n))
  if (y === undefined || m === undefined || d === undefined || !isValidDate(y, m, d))
    throw new ShapeError('date() takes a valid year, month and day here')
  return new PyDate(y, m, d)
}

function time(args: readonly Arg[]): PyValue {
  const vs = values('time', args, 0, 5)
  const state = vs.length >= 1 && vs.length <= 2 ? stateBytes(vs[0] as PyValue) : undefined
  if (state !== undefined) {
    const t = timeFromState(state, tzinfo('time', vs[1]))
    if (t === undefined) throw new ShapeError('time(): the state is not a valid time')
    return t
  }
  const tz = vs.length === 5 ? tzinfo('time', vs[4]) : null
  const [h = 0, mi = 0, s = 0, us = 0] = intArgs('time', vs.slice(0, 4)).map((n) => small('time', n))
  if (!isValidTime(h, mi, s, us))
    throw new ShapeError('time() takes a valid hour, minute, second and microsecond here')
  return new PyTime(h, mi, s, us, tz, 0)
}

function datetime(args: readonly Arg[]): PyValue {
  const vs = values('datetime', args, 1, 8)
  const state = vs.length <= 2 ? stateBytes(vs[0] as PyValue) : undefined
  if (state !== undefined) {
    const dt = datetimeFromState(state, tzinfo('datetime', vs[1]))
    if (dt === undefined) throw new ShapeError('datetime(): the state is not a valid datetime')
    return dt
  }
  if (vs.length < 3) throw new ShapeError('datetime() takes a state or at least year, month and day here')
  const tz = vs.length === 8 ? tzinfo('datetime', vs[7]) : null
  const [y, mo, d, h = 0, mi = 0, s = 0, us = 0] = intArgs('datetime', vs.slice(0, 7)).map((n) =>
    small('datetime', n),
  ) as [number, number, number, number?, number?, number?, number?]
  if (!isValidDate(y, mo, d) || !isValidTime(h, mi, s, us))
    throw new ShapeError('datetime() takes a valid date and time here')
  return new PyDateTime(new PyDate(y, mo, d), new PyTime(h, mi, s, us, tz, 0))
}

// timedelta(days, seconds, microseconds, milliseconds, minutes, hours, weeks), in microseconds each
const DELTA_UNITS = [86_400_000_000n, 1_000_000n, 1n, 1000n, 60_000_000n, 3_600_000_000n, 604_800_000_000n]

function timedelta(args: readonly Arg[]): PyValue {
  const ns = intArgs('timedelta', values('timedelta', args, 0, 7))
  const total = ns.reduce((sum, n, i) => sum + n * (DELTA_UNITS[i] as bigint), 0n)
  const td = timedeltaOf(total)
  if (td === undefined) throw new ShapeError('timedelta(): days must have magnitude <= 999999999')
  return td
}

function timezone(args: readonly Arg[]): PyValue {
  const [offset, name] = values('timezone', args, 1, 2)
  if (!(offset instanceof PyTimedelta) || !isValidOffset(offset))
    throw new ShapeError('timezone() takes a timedelta strictly between -24 and 24 hours here')
  if (name !== undefined && typeof name !== 'string')
    throw new ShapeError(`timezone() takes a str as its name here, not ${describe(name)}`)
  return new PyTimezone(offset, name)
}

function decimal(args: readonly Arg[], _call: Call, limits: ConstructorLimits): PyValue {
  const [v] = values('Decimal', args, 0, 1)
  if (v === undefined) return decimalFromInt(0n)
  if (isInt(v)) return decimalFromInt(int(v))
  if (!isText(v)) throw new ShapeError(`Decimal() takes a str or an int here, not ${describe(v)}`)
  const t = text(v)
  if (t.length > 3 * limits.maxIntBytes)
    throw new ShapeError(`Decimal(): the text is longer than ${3 * limits.maxIntBytes} characters`)
  const d = parseDecimal(t)
  if (d === undefined) throw new ShapeError('Decimal(): invalid literal (decimal.InvalidOperation)')
  return d
}

function orderedDict(args: readonly Arg[], call: Call): PyValue {
  const [arg] = values('OrderedDict', args, 0, 1)
  if (arg === undefined || call === 'newobj') return new PyOrderedDict()
  if (arg instanceof PyDict) return new PyOrderedDict([...arg.entries])
  const entries = elements('OrderedDict', arg).map((pair): [PyValue, PyValue] => {
    const kv = Array.isArray(pair) ? pair : pair instanceof PyTuple ? pair.items : undefined
    if (kv?.length !== 2) throw new ShapeError('OrderedDict() takes (key, value) pairs here')
    if (!isHashable(kv[0] as PyValue))
      throw new ShapeError(`OrderedDict(): unhashable type: '${pyTypeName(kv[0] as PyValue)}'`)
    return [kv[0] as PyValue, kv[1] as PyValue]
  })
  return new PyOrderedDict(entries)
}

function reconstructor(args: readonly Arg[], _call: Call, limits: ConstructorLimits): PyValue {
  const [cls, base, state] = args
  const same = cls instanceof GlobalRef && base instanceof GlobalRef && base.ctor === cls.ctor
  if (args.length !== 3 || !same || !(cls instanceof GlobalRef))
    throw new ShapeError('_reconstructor() takes (T, T, state) with T from the allow-list here')
  if (cls.ctor === RECONSTRUCTOR || cls.ctor === CODECS_ENCODE || cls.ctor === BYTES)
    throw new ShapeError(`_reconstructor() does not take ${cls.ctor.qualname}`)
  return cls.ctor.build([state as Arg], 'reduce', limits)
}

function codecsEncode(args: readonly Arg[]): PyValue {
  const [s, encoding] = values('encode', args, 2, 2)
  return latin1Bytes('encode', s as PyValue, encoding as PyValue)
}

function bytes(args: readonly Arg[]): PyValue {
  values('bytes', args, 0, 0)
  return Buffer.alloc(0)
}

const ctor = (qualname: string, build: Constructor['build']): Constructor => ({ qualname, build })
const RECONSTRUCTOR = ctor('copyreg._reconstructor', reconstructor)
const CODECS_ENCODE = ctor('_codecs.encode', codecsEncode)
const BYTES = ctor('builtins.bytes', bytes)

const ALLOWED: ReadonlyMap<string, Constructor> = new Map(
  [
    ctor('builtins.set', setOf(false)),
    ctor('builtins.frozenset', setOf(true)),
    ctor('builtins.bytearray', bytearray),
    ctor('builtins.complex', complex),
    ctor('builtins.slice', slice),
    ctor('builtins.range', range),
    ctor('datetime.date', date),
    ctor('datetime.time', time),
    ctor('datetime.datetime', datetime),
    ctor('datetime.timedelta', timedelta),
    ctor('datetime.timezone', timezone),
    ctor('decimal.Decimal', decimal),
    ctor('collections.OrderedDict', orderedDict),
    RECONSTRUCTOR,
    CODECS_ENCODE,
    BYTES,
  ].map((c) => [c.qualname, c]),
)

/** Python 2 names below protocol 3, as CPython's Lib/_compat_pickle.py maps them. */
const PY2_NAMES: ReadonlyMap<string, string> = new Map([
  ['__builtin__.set', 'builtins.set'],
  ['__builtin__.frozenset', 'builtins.frozenset'],
  ['__builtin__.bytearray', 'builtins.bytearray'],
  ['__builtin__.complex', 'builtins.complex'],
  ['__builtin__.slice', 'builtins.slice'],
  ['__builtin__.xrange', 'builtins.range'],
  ['__builtin__.bytes', 'builtins.bytes'],
  ['copy_reg._reconstructor', 'copyreg._reconstructor'],
])

/** resolveGlobal finds `module.name` in the allow-list for a pickle of protocol `proto`, or undefined. */
export function resolveGlobal(module: string, name: string, proto: number): Constructor | undefined {
  const qualname = `${module}.${name}`
  if (proto < 3) {
    const mapped = PY2_NAMES.get(qualname)
    if (mapped !== undefined) return ALLOWED.get(mapped)
  }
  return ALLOWED.get(qualname)
}
