/**
 * decodePickle is a safe unpickler for plain data (docs/protocols.md §6.1): a loop over opcodes
 * with a value stack, a mark stack and a memo, never recursion, so hostile input cannot
 * blow the JS stack. It knows the data opcodes of protocols 2 to 5 (and the binary ones
 * of 0 and 1); every opcode that would import, call or build code (docs/protocols.md §6.2) throws
 * PICKLE_REFUSED before anything else happens, but for the allow-list of data
 * constructors (constructors.ts): an allowed global becomes a placeholder that only
 * REDUCE or NEWOBJ may consume, called with checked argument shapes. The values it builds
 * count against the same limits as the rest.
 *
 *   80 04  95 <u64 len>  8c 03 "add" 94  4b 02 4b 03 86 94  7d 94  87 94  2e
 *   PROTO  FRAME         str, MEMOIZE    2, 3, TUPLE2        {}      TUPLE3, STOP
 *   → PyTuple ['add', PyTuple [2n, 3n], PyDict []]
 *
 * One exception to the refusal, opt-in with `allowExceptions` (our CLI reading a Python
 * server's reply; servers keep it off): the form `BaseException.__reduce__` writes
 * (docs/protocols.md §6.3), `builtins.<Name>` + args tuple + REDUCE, and an optional BUILD with
 * the instance dict. The global becomes a placeholder that only REDUCE may consume; the
 * result is a PyException, named, never imported, and only allowed as the whole pickle.
 *
 * Shape limits: a container's depth is tracked as elements go in, and a mutable container
 * that already sits inside another may not change again. Python's own pickles always fill
 * a list or dict before placing it, so only hand-made or self-referencing pickles (which
 * would be cycles) hit that rule, and the result is a finite tree (shared parts allowed)
 * no deeper than `maxDepth`, safe to walk recursively. Once decoded, the value is measured
 * as it would expand, every shared part counted each time it appears (size.ts), against
 * `maxExpandedBytes`: memo references make a small pickle of a very large value.
 *
 * Python 2 strs (SHORT_BINSTRING, BINSTRING) become Py2Str, bytes that are written back
 * the same way at protocol 2, so a Python 2 client gets its own str back.
 */
import { isUtf8 } from 'node:buffer'
import type { ProtocolError } from '../errors.ts'
import { type Arg, type Call, GlobalRef, resolveGlobal, ShapeError } from './constructors.ts'
import { pickleFormat, pickleLimit, pickleRefused } from './errors.ts'
import * as op from './opcodes.ts'
import { pickledSizeBound } from './size.ts'
import { decodeSurrogatePass } from './surrogatepass.ts'
import { parseFloatLine, parseIntLine, parseStringLine, parseUnicodeLine } from './text-opcodes.ts'
import {
  Py2Str,
  PyByteArray,
  PyDict,
  PyException,
  PyOrderedDict,
  PySet,
  PyTuple,
  type PyValue,
  pyTypeName,
} from './value.ts'

/** PickleLimits bounds what one decodePickle call may build. */
export interface PickleLimits {
  /** largest pickle accepted, bytes */
  readonly maxBytes: number
  /** deepest container nesting (`[[1]]` is 2); also the most MARKs open at once */
  readonly maxDepth: number
  /** most values inside containers (a dict entry counts 2), and most values on the stack */
  readonly maxItems: number
  /** most memo entries; a memo index must be below it */
  readonly maxMemo: number
  /** longest LONG1/LONG4 integer, bytes (1024 bytes ≈ 2466 decimal digits) */
  readonly maxIntBytes: number
  /** decode `builtins.*Error(*args)` into PyException (docs/protocols.md §6.3); false refuses exception globals */
  readonly allowExceptions: boolean
  /** most bytes the value may expand to, shared parts counted each time (size.ts); 64 MiB if unset */
  readonly maxExpandedBytes?: number
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 100,
  maxItems: 1_000_000,
  maxMemo: 1_000_000,
  maxIntBytes: 1024,
  allowExceptions: false,
  maxExpandedBytes: 64 * 1024 * 1024,
})

/** DecodedPickle is a decoded value with what it cost, for the caller's memory budget. */
export interface DecodedPickle {
  readonly value: PyValue | PyException
  /** the highest protocol the pickle declared (PROTO), 0 or 1 when it has none */
  readonly protocol: number
  /** an upper bound of the bytes it expands to (and of its re-encoding at `protocol`) */
  readonly expandedBytes: number
  /** an estimate of the memory the decoded value holds, bytes */
  readonly retainedBytes: number
}

/** decodePickle turns one pickle into a PyValue (or a PyException when `limits.allowExceptions`). */
export function decodePickle(
  data: Uint8Array,
  limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
): PyValue | PyException {
  return decodePickleMeasured(data, limits).value
}

/** decodePickleMeasured is decodePickle that also says what the value costs (DecodedPickle). */
export function decodePickleMeasured(
  data: Uint8Array,
  limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
): DecodedPickle {
  if (data.length > limits.maxBytes) {
    throw pickleLimit(
      'maxBytes',
      `pickle of ${data.length} bytes exceeds the limit of ${limits.maxBytes} bytes`,
    )
  }
  const decoder = new Decoder(data, limits)
  const value = decoder.run()
  const maxExpanded = limits.maxExpandedBytes ?? (DEFAULT_PICKLE_LIMITS.maxExpandedBytes as number)
  const expandedBytes = pickledSizeBound(value, maxExpanded, Math.max(decoder.proto, 2))
  if (expandedBytes === undefined) {
    throw pickleLimit(
      'maxExpandedBytes',
      `pickle expands to more than ${maxExpanded} bytes, shared parts counted each time they appear`,
    )
  }
  return { value, protocol: decoder.proto, expandedBytes, retainedBytes: decoder.retained }
}

/** Exception names a reply may carry (docs/protocols.md §6.3; all are builtins exception classes). */
const EXCEPTION_NAME =
  /^[A-Za-z]*(Error|Exception|Warning)$|^(KeyboardInterrupt|StopIteration|SystemExit|GeneratorExit)$/

/** The decimal module's exceptions a reply may carry (decimal.ts raises them). */
const DECIMAL_SIGNALS = new Set(['InvalidOperation', 'Overflow', 'DivisionByZero', 'DecimalException'])

/** ExceptionClass stands for an allowed exception class global until REDUCE calls it. */
class ExceptionClass {
  readonly module: string
  readonly name: string
  constructor(module: string, name: string) {
    this.module = module
    this.name = name
  }
}

/** ArgsTuple is a tuple holding a class (copyreg._reconstructor's arguments): only REDUCE may take it. */
class ArgsTuple {
  readonly items: readonly Arg[]
  constructor(items: readonly Arg[]) {
    this.items = items
  }
}

type Item = PyValue | PyException | ExceptionClass | GlobalRef | ArgsTuple

/** Per-value overhead in the retained-memory estimate (a JS object or array slot and its header), bytes. */
const VALUE_BYTES = 32

/** directSize is how many values a container holds itself (a dict entry counts 2). */
function directSize(c: PyValue[] | PyTuple | PyDict | PySet): number {
  if (Array.isArray(c)) return c.length
  return c instanceof PyDict ? c.entries.length * 2 : c.items.length
}

/** Reused bigints for the common small ints (BININT1), so they cost no allocation. */
const SMALL_INTS: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i))
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

class Decoder {
  readonly buf: Buffer
  readonly limits: PickleLimits
  pos = 0
  /** offset of the opcode being run, for messages */
  at = 0
  proto = 0
  readonly stack: Item[] = []
  readonly marks: number[] = []
  /** stack index below which the current MARK hides values */
  fence = 0
  readonly memo: Item[] = []
  memoCount = 0
  /** values placed into containers so far */
  items = 0
  /** depth of containers deeper than 1 (an empty or flat container is 1) */
  depths: Map<object, number> | undefined
  /** values below a container's own items, shared parts counted each time (see grow); absent: 0 */
  hidden: Map<object, number> | undefined
  /** mutable containers already inside another container: they may not change again */
  placed: Set<object> | undefined
  /** the estimate of memory held by what was built so far (DecodedPickle.retainedBytes) */
  retained = 0

  constructor(data: Uint8Array, limits: PickleLimits) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    this.limits = limits
  }

  run(): PyValue | PyException {
    const buf = this.buf
    const end = buf.length
    while (this.pos < end) {
      const at = this.pos
      const code = buf[at] as number
      this.at = at
      this.pos = at + 1
      switch (code) {
        case op.PROTO: {
          const proto = this.u8()
          if (proto > 5) throw this.format(`unsupported pickle protocol ${proto}`)
          this.proto = proto
          break
        }
        case op.FRAME: {
          // Frames only group opcodes for buffered readers; the whole pickle is in memory.
          const len = this.u64()
          if (len > end - this.pos) {
            throw this.format(
              `pickle data was truncated: FRAME at offset ${at} announces ${len} bytes, ${end - this.pos} remain`,
            )
          }
          break
        }
        case op.STOP:
          return this.stop()
        case op.MARK:
          if (this.marks.length >= this.limits.maxDepth) {
            throw pickleLimit(
              'maxDepth',
              `pickle nests deeper than ${this.limits.maxDepth} levels (MARK at offset ${at})`,
            )
          }
          this.marks.push(this.stack.length)
          this.fence = this.stack.length
          break
        case op.POP:
          if (this.stack.length > this.fence) this.stack.pop()
          else if (this.marks.length > 0) this.popMark()
          else throw this.underflow(1)
          break
        case op.POP_MARK:
          this.stack.length = this.popMark()
          break
        case op.DUP:
          this.push(this.peek())
          break
        case op.NONE:
          this.push(null)
          break
        case op.NEWTRUE:
          this.push(true)
          break
        case op.NEWFALSE:
          this.push(false)
          break
        case op.BININT1:
          this.push(SMALL_INTS[this.u8()] as bigint)
          break
        case op.BININT2:
          this.need(2)
          this.push(BigInt(buf.readUInt16LE(this.pos)))
          this.pos += 2
          break
        case op.BININT:
          this.need(4)
          this.push(BigInt(buf.readInt32LE(this.pos)))
          this.pos += 4
          break
        case op.LONG1:
          this.push(this.long(this.u8()))
          break
        case op.LONG4: {
          this.need(4)
          const n = buf.readInt32LE(this.pos)
          this.pos += 4
          if (n < 0) throw this.format(`LONG4 at offset ${at} has a negative byte count ${n}`)
          this.push(this.long(n))
          break
        }
        case op.BINFLOAT:
          this.need(8)
          this.push(buf.readDoubleBE(this.pos))
          this.pos += 8
          break
        case op.SHORT_BINUNICODE:
          this.push(this.str(this.u8()))
          break
        case op.BINUNICODE:
          this.push(this.str(this.u32()))
          break
        case op.BINUNICODE8:
          this.push(this.str(this.u64()))
          break
        case op.SHORT_BINSTRING:
          this.push(this.py2str(this.u8()))
          break
        case op.BINSTRING: {
          this.need(4)
          const n = buf.readInt32LE(this.pos)
          this.pos += 4
          if (n < 0) throw this.format(`BINSTRING at offset ${at} has a negative length ${n}`)
          this.push(this.py2str(n))
          break
        }
        case op.SHORT_BINBYTES:
          this.push(this.bytes(this.u8()))
          break
        case op.BINBYTES:
          this.push(this.bytes(this.u32()))
          break
        case op.BINBYTES8:
          this.push(this.bytes(this.u64()))
          break
        case op.BYTEARRAY8:
          this.push(new PyByteArray(this.bytes(this.u64())))
          break
        case op.EMPTY_TUPLE:
          this.push(new PyTuple([]))
          break
        case op.TUPLE1:
        case op.TUPLE2:
        case op.TUPLE3: {
          const n = code - op.TUPLE1 + 1
          if (this.stack.length - n < this.fence) throw this.underflow(n)
          this.push(this.tuple(this.stack.splice(this.stack.length - n)))
          break
        }
        case op.TUPLE: {
          const items = this.stack.splice(this.popMark())
          this.push(this.tuple(items))
          break
        }
        case op.EMPTY_LIST:
          this.push([])
          break
        case op.EMPTY_DICT:
          this.push(new PyDict())
          break
        case op.EMPTY_SET:
          this.push(new PySet([], false))
          break
        case op.LIST: {
          const list: PyValue[] = []
          this.fill(list, this.stack.splice(this.popMark()))
          this.push(list)
          break
        }
        case op.DICT: {
          const dict = new PyDict()
          this.fill(dict, this.stack.splice(this.popMark()))
          this.push(dict)
          break
        }
        case op.FROZENSET: {
          const set = new PySet([], true)
          this.fill(set, this.stack.splice(this.popMark()))
          this.push(set)
          break
        }
        case op.APPEND:
        case op.SETITEM: {
          const n = code === op.APPEND ? 1 : 2
          if (this.stack.length - n <= this.fence) throw this.underflow(n + 1)
          const values = this.stack.splice(this.stack.length - n)
          this.fill(this.stack[this.stack.length - 1] as Item, values)
          break
        }
        case op.APPENDS:
        case op.SETITEMS:
        case op.ADDITEMS: {
          const mark = this.popMark()
          if (mark <= this.fence) throw this.underflow(1)
          this.fill(this.stack[mark - 1] as Item, this.stack.splice(mark))
          break
        }
        case op.INT:
        case op.LONG:
          this.push(this.textInt())
          break
        case op.FLOAT: {
          const f = parseFloatLine(this.textLine().toString('latin1'))
          if (f === undefined) throw this.format(`FLOAT at offset ${at} is not a float`)
          this.push(f)
          break
        }
        case op.STRING: {
          const bytes = parseStringLine(this.textLine())
          if (typeof bytes === 'string') throw this.format(`${bytes} (offset ${at})`)
          this.retained += bytes.length
          this.push(new Py2Str(bytes))
          break
        }
        case op.UNICODE: {
          const text = parseUnicodeLine(this.textLine())
          if (typeof text !== 'string') throw this.format(`${text.error} (offset ${at})`)
          this.retained += 2 * text.length
          this.push(text)
          break
        }
        case op.PUT:
          this.memoPut(this.textIndex())
          break
        case op.GET:
          this.memoGet(this.textIndex())
          break
        case op.MEMOIZE:
          this.memoPut(this.memoCount)
          break
        case op.BINPUT:
          this.memoPut(this.u8())
          break
        case op.LONG_BINPUT:
          this.memoPut(this.u32())
          break
        case op.BINGET:
          this.memoGet(this.u8())
          break
        case op.LONG_BINGET:
          this.memoGet(this.u32())
          break
        case op.GLOBAL: {
          const [module, name] = this.peekLines()
          if (module === undefined || name === undefined) throw this.refusedGlobal(undefined, undefined)
          this.line()
          this.line()
          this.global(module, name)
          break
        }
        case op.STACK_GLOBAL:
          this.stackGlobal()
          break
        case op.REDUCE:
          this.reduce()
          break
        case op.NEWOBJ:
          this.newobj()
          break
        case op.BUILD:
          this.build()
          break
        default:
          if (op.REFUSED.has(code)) throw this.refused()
          throw this.format(`unknown pickle opcode 0x${HEX[code]} at offset ${at}`)
      }
    }
    throw pickleFormat(`pickle data was truncated: no STOP opcode in ${end} bytes`, end)
  }

  // --- the stack ---------------------------------------------------------------------

  push(v: Item): void {
    this.retained += VALUE_BYTES
    if (this.stack.length >= this.limits.maxItems) {
      throw pickleLimit(
        'maxItems',
        `pickle holds more than ${this.limits.maxItems} values (offset ${this.at})`,
      )
    }
    this.stack.push(v)
  }

  peek(): Item {
    if (this.stack.length <= this.fence) throw this.underflow(1)
    return this.stack[this.stack.length - 1] as Item
  }

  pop(): Item {
    if (this.stack.length <= this.fence) throw this.underflow(1)
    return this.stack.pop() as Item
  }

  /** popMark closes the innermost MARK and returns the stack index it was set at. */
  popMark(): number {
    const mark = this.marks.pop()
    if (mark === undefined)
      throw this.format(`${this.name()} at offset ${this.at} needs a MARK, and none is open`)
    this.fence = this.marks.length > 0 ? (this.marks[this.marks.length - 1] as number) : 0
    return mark
  }

  stop(): PyValue | PyException {
    const result = this.pop()
    if (result instanceof ExceptionClass) {
      throw this.refused(`${result.module}.${result.name} is a class, not a value`)
    }
    if (result instanceof GlobalRef) throw this.refused(`${result.ctor.qualname} is a class, not a value`)
    if (result instanceof ArgsTuple) throw this.refused('a tuple holding a class is not a value')
    return result
  }

  // --- containers --------------------------------------------------------------------

  /** tuple builds a tuple from stack values, checking each like a container element. */
  tuple(items: Item[]): PyTuple | ArgsTuple {
    if (items.some((x) => x instanceof GlobalRef)) return new ArgsTuple(items as Arg[])
    let depth = 1
    for (const x of items) depth = Math.max(depth, this.place(x) + 1)
    this.count(items.length)
    const t = new PyTuple(items as PyValue[])
    this.setDepth(t, depth)
    this.grow(t, items)
    return t
  }

  /**
   * fill adds `values` to `target` the way the running opcode does: APPEND(S) and LIST to
   * a list, SETITEM(S) and DICT to a dict (key, value, key, value, …), ADDITEMS to a set,
   * FROZENSET to a new frozenset.
   */
  fill(target: Item, values: Item[]): void {
    const code = this.code()
    const kind =
      code === op.APPEND || code === op.APPENDS || code === op.LIST
        ? 'list'
        : code === op.SETITEM || code === op.SETITEMS || code === op.DICT
          ? 'dict'
          : 'set'
    const fits =
      kind === 'list'
        ? Array.isArray(target)
        : kind === 'dict'
          ? target instanceof PyDict
          : target instanceof PySet && target.frozen === (code === op.FROZENSET)
    if (!fits) throw this.wrongTarget(target)
    const container = target as PyValue[] | PyDict | PySet
    let depth = this.depths?.get(container) ?? 1
    for (const x of values) depth = Math.max(depth, this.place(x) + 1)
    // Checked after placing: a list appended into itself has just been placed.
    if (this.placed?.has(container)) {
      throw this.refused(
        `the ${pyTypeName(container)} is already inside another container; recursive structures are not supported`,
      )
    }
    this.count(values.length)
    if (Array.isArray(container)) {
      for (const x of values) container.push(x as PyValue)
    } else if (container instanceof PyDict) {
      if (values.length % 2 !== 0)
        throw this.format(`${this.name()} at offset ${this.at} has an odd number of items`)
      for (let i = 0; i < values.length; i += 2) {
        const key = values[i] as PyValue
        this.hashable(key)
        container.entries.push([key, values[i + 1] as PyValue])
      }
    } else {
      for (const x of values) {
        this.hashable(x as PyValue)
        container.items.push(x as PyValue)
      }
    }
    this.setDepth(container, depth)
    this.grow(container, values)
  }

  /** place checks a value going into a container and returns its depth (0 for scalars). */
  place(x: Item): number {
    if (typeof x !== 'object' || x === null || x instanceof Uint8Array || x instanceof PyByteArray) return 0
    if (x instanceof PyException)
      throw this.refused('an exception may only be the whole pickle, not part of a value')
    if (x instanceof ExceptionClass) throw this.refused(`${x.module}.${x.name} may only be called by REDUCE`)
    if (x instanceof GlobalRef)
      throw this.refused(`${x.ctor.qualname} may only be called by REDUCE or NEWOBJ`)
    if (x instanceof ArgsTuple)
      throw this.refused('a tuple holding a class may only be the arguments of REDUCE')
    if (!(Array.isArray(x) || x instanceof PyTuple || x instanceof PyDict || x instanceof PySet)) return 0
    if (Array.isArray(x) || x instanceof PyDict || (x instanceof PySet && !x.frozen)) {
      this.placed ??= new Set()
      this.placed.add(x)
    }
    return this.depths?.get(x) ?? 1
  }

  setDepth(container: object, depth: number): void {
    if (depth <= 1) return
    if (depth > this.limits.maxDepth) {
      throw pickleLimit(
        'maxDepth',
        `pickle nests deeper than ${this.limits.maxDepth} levels (offset ${this.at})`,
      )
    }
    this.depths ??= new Map()
    this.depths.set(container, depth)
  }

  /**
   * grow adds what `values` hold beneath them to the hidden size of `container`: a shared
   * part counts each time it appears, as a recursive walk of the result (pyToRpc, repr, a
   * reply's encoder) visits it. Without this bound a few bytes of memo references (`[a, a]`,
   * then `[b, b]`, …, 40 levels) build a tree of 2^40 nodes that passes every other limit
   * and pins the CPU of whoever walks it.
   */
  grow(container: PyValue[] | PyTuple | PyDict | PySet, values: readonly Item[]): void {
    let hidden = this.hidden?.get(container) ?? 0
    for (const x of values) hidden += this.treeSize(x)
    if (hidden === 0) return
    if (directSize(container) + hidden > this.limits.maxItems) {
      throw pickleLimit(
        'maxItems',
        `pickle expands to more than ${this.limits.maxItems} values, shared parts counted each time they appear (offset ${this.at})`,
      )
    }
    this.hidden ??= new Map()
    this.hidden.set(container, hidden)
  }

  /** treeSize is how many values a walk of `x` visits below it (0 for a scalar). */
  treeSize(x: Item): number {
    if (!(Array.isArray(x) || x instanceof PyTuple || x instanceof PyDict || x instanceof PySet)) return 0
    return directSize(x) + (this.hidden?.get(x) ?? 0)
  }

  count(n: number): void {
    this.items += n
    if (this.items > this.limits.maxItems) {
      throw pickleLimit(
        'maxItems',
        `pickle holds more than ${this.limits.maxItems} values (offset ${this.at})`,
      )
    }
  }

  /** hashable rejects what Python could not use as a dict key or set element (`TypeError: unhashable type`). */
  hashable(key: PyValue): void {
    if (
      Array.isArray(key) ||
      key instanceof PyDict ||
      key instanceof PyByteArray ||
      (key instanceof PySet && !key.frozen)
    ) {
      throw this.format(`${this.name()} at offset ${this.at}: unhashable type: '${pyTypeName(key)}'`)
    }
  }

  wrongTarget(target: Item): ProtocolError {
    const found =
      target instanceof ExceptionClass || target instanceof GlobalRef
        ? 'a class'
        : target instanceof ArgsTuple
          ? 'a tuple'
          : `a ${pyTypeName(target)}`
    return this.format(`${this.name()} at offset ${this.at} cannot add to ${found}`)
  }

  // --- the memo ----------------------------------------------------------------------

  memoPut(index: number): void {
    const value = this.peek()
    if (index >= this.limits.maxMemo) {
      throw pickleLimit(
        'maxMemo',
        `memo index ${index} at offset ${this.at} exceeds the limit of ${this.limits.maxMemo} entries`,
      )
    }
    if (this.memo[index] === undefined) this.memoCount++
    this.memo[index] = value
  }

  memoGet(index: number): void {
    const value = this.memo[index]
    if (value === undefined)
      throw this.format(`memo value not found at index ${index} (${this.name()} at offset ${this.at})`)
    this.push(value)
  }

  // --- globals: the allow-list of data constructors, and the exception form (docs/protocols.md §6.3)

  stackGlobal(): void {
    const [module, name] = this.stack.length - this.fence >= 2 ? this.stack.slice(-2) : []
    if (typeof module !== 'string' || typeof name !== 'string') {
      if (!this.limits.allowExceptions) throw this.refusedGlobal(module, name)
      throw this.format(
        `STACK_GLOBAL at offset ${this.at} requires two str, found ${pyTypeName(module as PyValue)} and ${pyTypeName(name as PyValue)}`,
      )
    }
    this.stack.length -= 2
    this.global(module, name)
  }

  global(module: string, name: string): void {
    const ctor = resolveGlobal(module, name, this.proto)
    if (ctor !== undefined) {
      this.push(new GlobalRef(ctor))
      return
    }
    let mod = module
    let cls = name
    if (this.proto < 3 && (mod === 'exceptions' || mod === '__builtin__')) {
      // Python 3's _compat_pickle: protocol 2 pickles name builtins exceptions this way.
      mod = 'builtins'
      if (cls === 'StandardError') cls = 'Exception'
    }
    const isException =
      (mod === 'builtins' && EXCEPTION_NAME.test(cls)) || (mod === 'decimal' && DECIMAL_SIGNALS.has(cls))
    if (!this.limits.allowExceptions || !isException) throw this.refusedGlobal(module, name)
    this.push(new ExceptionClass(mod, cls))
  }

  reduce(): void {
    const args = this.pop()
    const callable = this.pop()
    if (callable instanceof GlobalRef) {
      this.construct(callable, args, 'reduce')
      return
    }
    if (!this.limits.allowExceptions || !(callable instanceof ExceptionClass) || !(args instanceof PyTuple))
      throw this.refused()
    this.push(new PyException(callable.module, callable.name, args.items))
  }

  /** newobj is NEWOBJ: `cls.__new__(cls, *args)`, for an allowed cls only. */
  newobj(): void {
    const args = this.pop()
    const cls = this.pop()
    if (!(cls instanceof GlobalRef)) throw this.refused()
    this.construct(cls, args, 'newobj')
  }

  /** construct calls an allowed constructor with checked arguments and pushes what it built. */
  construct(ref: GlobalRef, args: Item, call: Call): void {
    if (!(args instanceof PyTuple || args instanceof ArgsTuple))
      throw this.refused(`${ref.ctor.qualname} takes its arguments as a tuple, not ${this.describe(args)}`)
    let value: PyValue
    try {
      value = ref.ctor.build(args.items, call, this.limits)
    } catch (err) {
      if (err instanceof ShapeError) throw this.refused(`${ref.ctor.qualname}: ${err.message}`)
      throw err
    }
    this.adopt(value)
    this.push(value)
  }

  /**
   * adopt accounts for a constructed value as for a container built by opcodes: a set or
   * OrderedDict holds its items (depth, items, expansion and placement checked as `fill`
   * does); bytes count toward the retained estimate.
   */
  adopt(value: PyValue): void {
    if (value instanceof PySet || value instanceof PyOrderedDict) {
      const items = value instanceof PySet ? value.items : value.entries.flat()
      let depth = 1
      for (const x of items) depth = Math.max(depth, this.place(x) + 1)
      this.count(items.length)
      this.retained += 8 * items.length
      this.setDepth(value, depth)
      this.grow(value, items)
    } else if (value instanceof PyByteArray) {
      this.retained += value.bytes.length
    } else if (value instanceof Uint8Array) {
      this.retained += value.length
    }
  }

  describe(x: Item): string {
    if (x instanceof GlobalRef || x instanceof ExceptionClass) return 'a class'
    return x instanceof ArgsTuple ? 'a tuple holding a class' : `a ${pyTypeName(x)}`
  }

  build(): void {
    if (!this.limits.allowExceptions) throw this.refused()
    const state = this.pop()
    const target = this.peek()
    if (
      !(target instanceof PyException) ||
      target.state !== undefined ||
      !(state instanceof PyDict) ||
      !state.entries.every(([k]) => typeof k === 'string')
    ) {
      throw this.refused('only an exception may be built, once, from a dict with str keys')
    }
    this.placed ??= new Set()
    this.placed.add(state)
    const built = new PyException(target.module, target.name, target.args, state)
    this.stack[this.stack.length - 1] = built
    // The memo may hold the exception too (REDUCE is followed by MEMOIZE): keep them one object.
    for (let i = 0; i < this.memo.length; i++) if (this.memo[i] === target) this.memo[i] = built
  }

  // --- reading arguments -------------------------------------------------------------

  need(n: number): void {
    if (n > this.buf.length - this.pos) {
      throw this.format(
        `pickle data was truncated: ${this.name()} at offset ${this.at} needs ${n} bytes, ${this.buf.length - this.pos} remain`,
      )
    }
  }

  u8(): number {
    this.need(1)
    return this.buf[this.pos++] as number
  }

  u32(): number {
    this.need(4)
    const n = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return n
  }

  /** u64 reads a uint64 length; one past 2^53 cannot fit in memory, so it only has to compare as too large. */
  u64(): number {
    this.need(8)
    const n = this.buf.readUInt32LE(this.pos) + this.buf.readUInt32LE(this.pos + 4) * 0x1_0000_0000
    this.pos += 8
    return n
  }

  take(n: number): number {
    this.need(n)
    const start = this.pos
    this.pos += n
    return start
  }

  bytes(n: number): Buffer {
    const start = this.take(n)
    this.retained += n
    // A copy: the value must not pin (or alias) the caller's receive buffer.
    const out = Buffer.allocUnsafe(n)
    this.buf.copy(out, 0, start, start + n)
    return out
  }

  /** str decodes UTF-8 as Python does with 'surrogatepass' (lone surrogates survive a round trip). */
  str(n: number): string {
    const start = this.take(n)
    const end = start + n
    // Short strings decode faster in JS than through a native call; long ones natively.
    const s =
      n > 64 && isUtf8(this.buf.subarray(start, end))
        ? this.buf.toString('utf8', start, end)
        : decodeSurrogatePass(this.buf, start, end)
    if (s === undefined) throw this.format(`${this.name()} at offset ${this.at} is not valid UTF-8`)
    this.retained += 2 * s.length
    return s
  }

  /** py2str reads a Python 2 str (SHORT_BINSTRING, BINSTRING): its bytes, as Python 2 holds it. */
  py2str(n: number): Py2Str {
    const start = this.take(n)
    const out = new Py2Str(n)
    out.set(this.buf.subarray(start, start + n))
    this.retained += n
    return out
  }

  /** peekLines reads GLOBAL's two arguments without consuming them (for the refusal message). */
  peekLines(): [string?, string?] {
    const nl1 = this.buf.indexOf(0x0a, this.pos)
    const nl2 = nl1 === -1 ? -1 : this.buf.indexOf(0x0a, nl1 + 1)
    if (nl2 === -1 || nl2 - this.pos > 200) return []
    return [this.buf.toString('utf8', this.pos, nl1), this.buf.toString('utf8', nl1 + 1, nl2)]
  }

  /** textLine reads a protocol 0 opcode's `\n`-terminated argument (without the `\n`). */
  textLine(): Buffer {
    const nl = this.buf.indexOf(0x0a, this.pos)
    if (nl === -1)
      throw this.format(`pickle data was truncated: ${this.name()} at offset ${this.at} has no end of line`)
    const line = this.buf.subarray(this.pos, nl)
    this.pos = nl + 1
    return line
  }

  /** textInt reads INT (`I5`, `I01` for True, `I00` for False) or LONG (`L5L`), within maxIntBytes. */
  textInt(): bigint | boolean {
    const line = this.textLine().toString('latin1')
    if (this.code() === op.INT && (line === '01' || line === '00')) return line === '01'
    // about 2.41 decimal digits per byte; 3 per byte is a safe bound before parsing
    if (line.length > 3 * this.limits.maxIntBytes + 2) {
      throw pickleLimit(
        'maxIntBytes',
        `${this.name()} at offset ${this.at} has ${line.length} digits; the limit is ${this.limits.maxIntBytes} bytes`,
      )
    }
    const n = parseIntLine(line)
    if (n === undefined) throw this.format(`${this.name()} at offset ${this.at} is not an int`)
    return n
  }

  /** textIndex reads PUT's or GET's decimal memo index. */
  textIndex(): number {
    const line = this.textLine().toString('latin1')
    if (!/^\d{1,10}$/.test(line))
      throw this.format(`${this.name()} at offset ${this.at} has no valid memo index`)
    return Number(line)
  }

  /** line reads a GLOBAL argument, a `\n`-terminated name. */
  line(): string {
    const nl = this.buf.indexOf(0x0a, this.pos)
    if (nl === -1)
      throw this.format(`pickle data was truncated: ${this.name()} at offset ${this.at} has no end of line`)
    const s = this.buf.toString('utf8', this.pos, nl)
    this.pos = nl + 1
    return s
  }

  /** long reads an n-byte little-endian two's-complement int (LONG1, LONG4). */
  long(n: number): bigint {
    if (n > this.limits.maxIntBytes) {
      throw pickleLimit(
        'maxIntBytes',
        `${this.name()} at offset ${this.at} is ${n} bytes long; the limit is ${this.limits.maxIntBytes} bytes`,
      )
    }
    const start = this.take(n)
    if (n === 0) return 0n
    if (n <= 6) return BigInt(this.buf.readIntLE(start, n))
    let hex = '0x'
    for (let i = start + n - 1; i >= start; i--) hex += HEX[this.buf[i] as number]
    const v = BigInt(hex)
    return ((this.buf[start + n - 1] as number) & 0x80) === 0 ? v : v - (1n << BigInt(8 * n))
  }

  // --- errors ------------------------------------------------------------------------

  code(): number {
    return this.buf[this.at] as number
  }

  name(): string {
    return op.opcodeName(this.code())
  }

  format(message: string): ProtocolError {
    return pickleFormat(message, this.at)
  }

  underflow(n: number): ProtocolError {
    const have = this.stack.length - this.fence
    return this.format(
      `unpickling stack underflow: ${this.name()} at offset ${this.at} needs ${n} value${n === 1 ? '' : 's'}` +
        `${this.marks.length > 0 ? ' above the MARK' : ''}, found ${have}`,
    )
  }

  refused(reason?: string): ProtocolError {
    return pickleRefused(this.name(), this.code(), this.at, reason)
  }

  refusedGlobal(module: Item | undefined, name: Item | undefined): ProtocolError {
    const what = typeof module === 'string' && typeof name === 'string' ? ` (${module}.${name})` : ''
    return this.refused(`it would import or call code${what}`)
  }
}
