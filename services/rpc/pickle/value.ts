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
 *   bytearray   PyByteArray                    \x96 (protocol 5)
 *   list        PyValue[]                      ] ( … e
 *   tuple       PyTuple                        ) \x85 \x86 \x87 ( … t
 *   dict        PyDict                         } ( … u
 *   set         PySet { frozen: false }        \x8f ( … \x90
 *   frozenset   PySet { frozen: true }         ( … \x91
 *
 * PyException is not a PyValue: it is a pickled `builtins.<Name>Error(*args)` that a
 * Python server sends back, decoded by name without importing anything, and only as a
 * whole pickle (the seed's `pickle.dumps(e)`).
 *
 * Differences from the sketch in the RPC plan: the classes assign their fields in the
 * constructor instead of using parameter properties (tsconfig has `erasableSyntaxOnly`);
 * PyByteArray exists so a bytearray echoes back as one; PyException carries `state`, the
 * instance dict a BUILD opcode applies (3.11+ `add_note` puts `__notes__` there).
 */

import { pyBytesRepr, pyRepr as scalarRepr } from '../python.ts'
import { pyTypeName as scalarTypeName } from '../value.ts'

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

/** pyTypeName is the name Python gives the value's type (`list`, `frozenset`, …), for messages. */
export function pyTypeName(v: PyValue | PyException): string {
  if (v instanceof PyTuple) return 'tuple'
  if (v instanceof PyDict) return 'dict'
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set'
  if (v instanceof PyByteArray) return 'bytearray'
  if (v instanceof PyException) return v.name
  if (Array.isArray(v)) return 'list'
  return scalarTypeName(v)
}

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
  if (v instanceof PyDict) return `{${v.entries.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`
  const inner = v.items.map(pyRepr).join(', ')
  if (v.frozen) return `frozenset({${inner}})`
  return v.items.length === 0 ? 'set()' : `{${inner}}`
}
