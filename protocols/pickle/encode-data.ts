/**
 * How encodePickle writes what is not plain opcode data at the reply's protocol: the call
 * of an allow-listed global (constructors.ts) that CPython's pickler writes for each type,
 * so that every Python from 2.7 to 3.14 loads it.
 *
 *   value          protocol 2                          3                 4              5
 *   bytes          _codecs.encode(text, 'latin1')      C / B             C / B / \x8e   same
 *   bytearray      bytearray(text, 'latin-1')          bytearray(bytes)  same           \x96
 *   set, frozenset set([...]), frozenset([...])        same              \x8f, \x91     same
 *   OrderedDict    collections.OrderedDict() + SETITEMS, at every protocol
 *   Decimal        decimal.Decimal('1.50')
 *   complex        complex(re, im)       slice  slice(a, b, c)   range  range(a, b, c) (2: xrange)
 *   date/time/datetime  datetime.<type>(state bytes[, tzinfo]); fold only from protocol 4, as CPython
 *   timedelta      datetime.timedelta(days, seconds, microseconds)
 *   timezone       datetime.timezone(offset[, name])
 *
 * A global is GLOBAL `module\nname\n` below protocol 4 (with Python 2's `__builtin__`
 * and `xrange` at protocol 2, as Python 3's `_compat_pickle` writes them) and two strs
 * plus STACK_GLOBAL from 4 on. A Python 2 str (Py2Str) is SHORT_BINSTRING/BINSTRING at
 * protocol 2 and bytes above.
 */
import { dateState, datetimeState, timeState } from './datetime.ts'
import { pickleEncode } from './errors.ts'
import * as op from './opcodes.ts'
import type { Output } from './output.ts'
import {
  Py2Str,
  PyByteArray,
  PyComplex,
  PyDate,
  PyDateTime,
  PyDecimal,
  type PyDict,
  PyOrderedDict,
  PyRange,
  type PySet,
  PySlice,
  PyTime,
  PyTimedelta,
  PyTimezone,
  PyTuple,
  type PyValue,
} from './value.ts'

/** PickleWriter is what these writers need of encode.ts's Encoder: its output, memo and protocol. */
export interface PickleWriter {
  readonly out: Output
  readonly protocol: number
  /** Python's len(memo) */
  memoCount: number
  save(v: PyValue, depth: number): void
  str(v: string): void
  dictItems(v: PyDict, depth: number): void
  memoize(obj: object): void
  put(index: number): void
}

/** Python 3 names spelled the Python 2 way at protocol 2 (Lib/_compat_pickle.py REVERSE_*). */
const PY2_NAMES: Readonly<Record<string, readonly [string, string]>> = {
  'builtins.range': ['__builtin__', 'xrange'],
}

/** writeGlobal writes `module.name` as the protocol spells a global, and memoizes it. */
export function writeGlobal(enc: PickleWriter, module: string, name: string): void {
  if (enc.protocol >= 4) {
    enc.str(module)
    enc.str(name)
    enc.out.byte(op.STACK_GLOBAL)
  } else {
    let [mod, cls] = [module, name]
    if (enc.protocol < 3) {
      ;[mod, cls] = PY2_NAMES[`${module}.${name}`] ?? [module === 'builtins' ? '__builtin__' : module, name]
    }
    const text = Buffer.from(`${mod}\n${cls}\n`, 'utf8')
    enc.out.reserve(1 + text.length)
    enc.out.buf[enc.out.pos++] = op.GLOBAL
    enc.out.buf.set(text, enc.out.pos)
    enc.out.pos += text.length
  }
  enc.memoCount++
  enc.put(enc.memoCount - 1)
}

/** reduce writes `module.name(*args)` and memoizes the result as `obj`. */
function reduce(
  enc: PickleWriter,
  obj: object,
  module: string,
  name: string,
  args: readonly PyValue[],
  depth: number,
): void {
  writeGlobal(enc, module, name)
  enc.save(new PyTuple(args), depth + 1)
  enc.out.byte(op.REDUCE)
  enc.memoize(obj)
}

/** writeBytes writes bytes (and a Python 2 str) as the protocol can carry them. */
export function writeBytes(enc: PickleWriter, v: Uint8Array): void {
  if (enc.protocol < 3 && v instanceof Py2Str) {
    if (v.length < 256) enc.out.opLen(op.SHORT_BINSTRING, v, 1)
    else enc.out.opLen(op.BINSTRING, v, 4)
    enc.memoize(v)
  } else if (enc.protocol < 3) {
    // Python 3's save_bytes below protocol 3: bytes() or _codecs.encode(latin-1 text, 'latin1').
    if (v.length === 0) reduce(enc, v, 'builtins', 'bytes', [], 0)
    else reduce(enc, v, '_codecs', 'encode', [Buffer.from(v).toString('latin1'), 'latin1'], 0)
  } else {
    if (v.length < 256) enc.out.opLen(op.SHORT_BINBYTES, v, 1)
    else if (v.length <= 0xffff_ffff || enc.protocol < 4) enc.out.opLen(op.BINBYTES, v, 4)
    else enc.out.opLen(op.BINBYTES8, v, 8)
    enc.memoize(v)
  }
}

/** writeSet writes a set or frozenset; below protocol 4 as `set(list)`, as CPython's save_set does. */
export function writeSet(enc: PickleWriter, s: PySet, depth: number): boolean {
  if (enc.protocol >= 4) return false
  reduce(enc, s, 'builtins', s.frozen ? 'frozenset' : 'set', [[...s.items]], depth)
  return true
}

/** writeConstructed writes a value built by an allowed constructor; false when `v` is not one. */
export function writeConstructed(enc: PickleWriter, v: object, depth: number): boolean {
  if (v instanceof PyByteArray) {
    if (enc.protocol >= 5) {
      enc.out.opLen(op.BYTEARRAY8, v.bytes, 8)
      enc.memoize(v)
    } else if (enc.protocol >= 3) reduce(enc, v, 'builtins', 'bytearray', [Buffer.from(v.bytes)], depth)
    else reduce(enc, v, 'builtins', 'bytearray', [Buffer.from(v.bytes).toString('latin1'), 'latin-1'], depth)
  } else if (v instanceof PyOrderedDict) {
    reduce(enc, v, 'collections', 'OrderedDict', [], depth)
    enc.dictItems(v, depth)
  } else if (v instanceof PyDecimal) reduce(enc, v, 'decimal', 'Decimal', [v.toString()], depth)
  else if (v instanceof PyComplex) reduce(enc, v, 'builtins', 'complex', [v.real, v.imag], depth)
  else if (v instanceof PySlice) reduce(enc, v, 'builtins', 'slice', [v.start, v.stop, v.step], depth)
  else if (v instanceof PyRange) reduce(enc, v, 'builtins', 'range', [v.start, v.stop, v.step], depth)
  else if (v instanceof PyTimedelta)
    reduce(
      enc,
      v,
      'datetime',
      'timedelta',
      [BigInt(v.days), BigInt(v.seconds), BigInt(v.microseconds)],
      depth,
    )
  else if (v instanceof PyTimezone)
    reduce(enc, v, 'datetime', 'timezone', v.name === undefined ? [v.offset] : [v.offset, v.name], depth)
  else if (v instanceof PyDateTime) {
    const state = datetimeState(v, enc.protocol >= 4)
    reduce(enc, v, 'datetime', 'datetime', withTz(state, v.time.tzinfo), depth)
  } else if (v instanceof PyDate) reduce(enc, v, 'datetime', 'date', [dateState(v)], depth)
  else if (v instanceof PyTime)
    reduce(enc, v, 'datetime', 'time', withTz(timeState(v, enc.protocol >= 4), v.tzinfo), depth)
  else return false
  return true
}

function withTz(state: Buffer, tz: PyTimezone | null): PyValue[] {
  return tz === null ? [state] : [state, tz]
}

/** checkExceptionModule throws for an exception the client could not load as data. */
export function checkExceptionModule(module: string): void {
  if (module !== 'builtins' && module !== 'decimal')
    throw pickleEncode(`cannot pickle an exception of module ${module}; only builtins and decimal exceptions`)
}
