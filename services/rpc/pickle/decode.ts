/**
 * decodePickle is a safe unpickler for plain data (PROTOCOLS 6.1): a loop over opcodes
 * with a value stack, a mark stack and a memo, never recursion, so hostile input cannot
 * blow the JS stack. It knows the data opcodes of protocols 2 to 5 (and the binary ones
 * of 0 and 1); every opcode that would import, call or build code (PROTOCOLS 6.2) throws
 * PickleRefusedError before anything else happens.
 *
 *   80 04  95 <u64 len>  8c 03 "add" 94  4b 02 4b 03 86 94  7d 94  87 94  2e
 *   PROTO  FRAME         str, MEMOIZE    2, 3, TUPLE2        {}      TUPLE3, STOP
 *   → PyTuple ['add', PyTuple [2n, 3n], PyDict []]
 *
 * One exception to the refusal, opt-in with `allowExceptions` (our CLI reading a Python
 * server's reply; servers keep it off): the form `BaseException.__reduce__` writes
 * (PROTOCOLS 6.3), `builtins.<Name>` + args tuple + REDUCE, and an optional BUILD with
 * the instance dict. The global becomes a placeholder that only REDUCE may consume; the
 * result is a PyException, named, never imported, and only allowed as the whole pickle.
 *
 * Shape limits: a container's depth is tracked as elements go in, and a mutable container
 * that already sits inside another may not change again. Python's own pickles always fill
 * a list or dict before placing it, so only hand-made or self-referencing pickles (which
 * would be cycles) hit that rule, and the result is a finite tree (shared parts allowed)
 * no deeper than `maxDepth`, safe to walk recursively.
 */
import { isUtf8 } from 'node:buffer'
import { PickleFormatError, PickleLimitError, PickleRefusedError } from './errors.ts'
import * as op from './opcodes.ts'
import { decodeSurrogatePass } from './surrogatepass.ts'
import { PyByteArray, PyDict, PyException, PySet, PyTuple, type PyValue, pyTypeName } from './value.ts'

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
  /** decode `builtins.*Error(*args)` into PyException (PROTOCOLS 6.3); false refuses every global */
  readonly allowExceptions: boolean
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 100,
  maxItems: 1_000_000,
  maxMemo: 1_000_000,
  maxIntBytes: 1024,
  allowExceptions: false,
})

/** decodePickle turns one pickle into a PyValue (or a PyException when `limits.allowExceptions`). */
export function decodePickle(
  data: Uint8Array,
  limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
): PyValue | PyException {
  if (data.length > limits.maxBytes) {
    throw new PickleLimitError(
      'maxBytes',
      `pickle of ${data.length} bytes exceeds the limit of ${limits.maxBytes} bytes`,
    )
  }
  return new Decoder(data, limits).run()
}

/** Exception names a reply may carry (the brief's allowlist; all are builtins exception classes). */
const EXCEPTION_NAME =
  /^[A-Za-z]*(Error|Exception|Warning)$|^(KeyboardInterrupt|StopIteration|SystemExit|GeneratorExit)$/

/** ExceptionClass stands for an allowed `builtins.<Name>` global until REDUCE calls it. */
class ExceptionClass {
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
}

type Item = PyValue | PyException | ExceptionClass

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
            throw new PickleLimitError(
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
          this.push(this.ascii(this.u8()))
          break
        case op.BINSTRING: {
          this.need(4)
          const n = buf.readInt32LE(this.pos)
          this.pos += 4
          if (n < 0) throw this.format(`BINSTRING at offset ${at} has a negative length ${n}`)
          this.push(this.ascii(n))
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
        case op.GLOBAL:
          if (!this.limits.allowExceptions) throw this.refusedGlobal(...this.peekLines())
          this.global(this.line(), this.line())
          break
        case op.STACK_GLOBAL:
          this.stackGlobal()
          break
        case op.REDUCE:
          this.reduce()
          break
        case op.BUILD:
          this.build()
          break
        default:
          if (op.REFUSED.has(code)) throw this.refused()
          if (op.OPCODE_NAMES.has(code)) {
            throw this.format(
              `unsupported pickle opcode ${op.opcodeName(code)} (0x${HEX[code]}) at offset ${at}: ` +
                'protocol 0 text opcodes are not supported; pickle with protocol 2 or higher',
            )
          }
          throw this.format(`unknown pickle opcode 0x${HEX[code]} at offset ${at}`)
      }
    }
    throw new PickleFormatError(`pickle data was truncated: no STOP opcode in ${end} bytes`, end)
  }

  // --- the stack ---------------------------------------------------------------------

  push(v: Item): void {
    if (this.stack.length >= this.limits.maxItems) {
      throw new PickleLimitError(
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
      throw this.refused(`builtins.${result.name} is a class, not a value`)
    }
    return result
  }

  // --- containers --------------------------------------------------------------------

  /** tuple builds a tuple from stack values, checking each like a container element. */
  tuple(items: Item[]): PyTuple {
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
    if (x instanceof ExceptionClass) throw this.refused(`builtins.${x.name} may only be called by REDUCE`)
    if (Array.isArray(x) || x instanceof PyDict || (x instanceof PySet && !x.frozen)) {
      this.placed ??= new Set()
      this.placed.add(x)
    }
    return this.depths?.get(x) ?? 1
  }

  setDepth(container: object, depth: number): void {
    if (depth <= 1) return
    if (depth > this.limits.maxDepth) {
      throw new PickleLimitError(
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
      throw new PickleLimitError(
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
      throw new PickleLimitError(
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

  wrongTarget(target: Item): PickleFormatError {
    const found = target instanceof ExceptionClass ? 'a class' : `a ${pyTypeName(target)}`
    return this.format(`${this.name()} at offset ${this.at} cannot add to ${found}`)
  }

  // --- the memo ----------------------------------------------------------------------

  memoPut(index: number): void {
    const value = this.peek()
    if (index >= this.limits.maxMemo) {
      throw new PickleLimitError(
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

  // --- the narrow exception form (PROTOCOLS 6.3) --------------------------------------

  stackGlobal(): void {
    if (!this.limits.allowExceptions) {
      const [module, name] = this.stack.length - this.fence >= 2 ? this.stack.slice(-2) : []
      throw this.refusedGlobal(module, name)
    }
    const name = this.pop()
    const module = this.pop()
    if (typeof module !== 'string' || typeof name !== 'string') {
      throw this.format(
        `STACK_GLOBAL at offset ${this.at} requires two str, found ${pyTypeName(module as PyValue)} and ${pyTypeName(name as PyValue)}`,
      )
    }
    this.global(module, name)
  }

  global(module: string, name: string): void {
    let mod = module
    let cls = name
    if (this.proto < 3 && (mod === 'exceptions' || mod === '__builtin__')) {
      // Python 3's _compat_pickle: protocol 2 pickles name builtins exceptions this way.
      mod = 'builtins'
      if (cls === 'StandardError') cls = 'Exception'
    }
    if (!this.limits.allowExceptions || mod !== 'builtins' || !EXCEPTION_NAME.test(cls)) {
      throw this.refusedGlobal(module, name)
    }
    this.push(new ExceptionClass(cls))
  }

  reduce(): void {
    if (!this.limits.allowExceptions) throw this.refused()
    const args = this.pop()
    const callable = this.pop()
    if (!(callable instanceof ExceptionClass) || !(args instanceof PyTuple)) throw this.refused()
    this.push(new PyException('builtins', callable.name, args.items))
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
    return s
  }

  /** ascii decodes a protocol 0-2 str (Python 2) as Python 3 does by default: encoding='ASCII'. */
  ascii(n: number): string {
    const start = this.take(n)
    const bytes = this.buf.subarray(start, start + n)
    if (bytes.some((c) => c >= 0x80)) {
      throw this.format(
        `${this.name()} at offset ${this.at} is not ASCII (a Python 2 str); Python 3 would raise UnicodeDecodeError`,
      )
    }
    return bytes.toString('latin1')
  }

  /** peekLines reads GLOBAL's two arguments without consuming them (for the refusal message). */
  peekLines(): [string?, string?] {
    const nl1 = this.buf.indexOf(0x0a, this.pos)
    const nl2 = nl1 === -1 ? -1 : this.buf.indexOf(0x0a, nl1 + 1)
    if (nl2 === -1 || nl2 - this.pos > 200) return []
    return [this.buf.toString('utf8', this.pos, nl1), this.buf.toString('utf8', nl1 + 1, nl2)]
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
      throw new PickleLimitError(
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

  format(message: string): PickleFormatError {
    return new PickleFormatError(message, this.at)
  }

  underflow(n: number): PickleFormatError {
    const have = this.stack.length - this.fence
    return this.format(
      `unpickling stack underflow: ${this.name()} at offset ${this.at} needs ${n} value${n === 1 ? '' : 's'}` +
        `${this.marks.length > 0 ? ' above the MARK' : ''}, found ${have}`,
    )
  }

  refused(reason?: string): PickleRefusedError {
    return new PickleRefusedError(this.name(), this.code(), this.at, reason)
  }

  refusedGlobal(module: Item | undefined, name: Item | undefined): PickleRefusedError {
    const what = typeof module === 'string' && typeof name === 'string' ? ` (${module}.${name})` : ''
    return this.refused(`it would import or call code${what}`)
  }
}
