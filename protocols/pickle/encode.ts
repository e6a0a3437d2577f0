/**
 * encodePickle writes a PyValue the way CPython's C pickler does (docs/protocols.md §6.1), so for
 * plain data the bytes equal `pickle.dumps(value, protocol)`:
 *
 *   80 04  95 <u64 len>  …opcodes…  2e       protocol 4 and 5: PROTO, one FRAME per ≥ 64 KiB, STOP
 *   80 03  …opcodes…  2e                     protocol 2 and 3: no frames, BINPUT instead of MEMOIZE
 *
 * Choices, as the C pickler makes them: int K (0..255) / M (..65535) / J (int32) / LONG1
 * (minimal two's complement) / LONG4 (> 255 bytes); float G big-endian; str \x8c (≤ 255
 * UTF-8 bytes, protocol 4+) or X; bytes C or B; tuples of 1-3 with \x85-\x87, longer ones
 * MARK … t; lists and dicts as an empty one filled by APPEND/SETITEM (one element) or
 * MARK … APPENDS/SETITEMS in batches of 1000; sets \x8f + ADDITEMS batches, frozensets
 * MARK … \x91. Every str, bytes and container is memoized, and a container met again
 * (by identity) is written as a memo GET, so shared parts stay shared and a list that
 * contains itself round-trips. With framing, a str or bytes of ≥ 64 KiB goes outside
 * frames, and a frame is closed at the first value boundary once it holds ≥ 64 KiB.
 *
 * Every opcode written belongs to the requested protocol, so Python 2.7 reads a protocol 2
 * pickle and 3.6 a protocol 3 one: what has no opcode there (bytes below 3, sets below 4,
 * bytearray below 5) and the allow-listed data types are written as CPython writes them,
 * as a call of a global (encode-data.ts).
 *
 * Where it differs from Python on purpose: equal strings are not memo-shared (JS strings
 * have no identity); a protocol 2 exception is `c__builtin__\n<Name>\n` (Python 3 writes
 * `exceptions`; both load in 2.7 and 3.x).
 *
 * PyException: `<module>.<Name>` by STACK_GLOBAL (GLOBAL below protocol 4), the args
 * tuple, REDUCE, and BUILD with `state` when there is one; only modules builtins and
 * decimal are written.
 */
import { checkExceptionModule, writeBytes, writeConstructed, writeGlobal, writeSet } from './encode-data.ts'
import { pickleEncode } from './errors.ts'
import * as op from './opcodes.ts'
import { Output } from './output.ts'
import { utf8Into, utf8SurrogatePass } from './surrogatepass.ts'
import { PyDict, PyException, PyOrderedDict, PySet, PyTuple, type PyValue } from './value.ts'

export interface EncodeOptions {
  /** pickle protocol, 2 to 5; 4 is Python 3.8-3.13's default (3.14 writes 5) */
  readonly protocol?: 2 | 3 | 4 | 5
  /** deepest nesting written before PICKLE_ENCODE; Python's recursion limit is about 1000 */
  readonly maxDepth?: number
}

/** encodePickle pickles `value`; see the header for the opcodes it chooses. */
export function encodePickle(value: PyValue | PyException, opts: EncodeOptions = {}): Buffer {
  const protocol = opts.protocol ?? 4
  if (![2, 3, 4, 5].includes(protocol))
    throw pickleEncode(`unsupported pickle protocol ${protocol}; use 2 to 5`)
  const enc = new Encoder(protocol, opts.maxDepth ?? 1000)
  enc.out.byte(op.PROTO)
  enc.out.byte(protocol)
  enc.out.framing = protocol >= 4
  if (value instanceof PyException) enc.exception(value)
  else enc.save(value, 0)
  enc.out.byte(op.STOP)
  return enc.out.finish()
}

/** wrapBytes is `pickle.dumps(inner, protocol)` for a bytes object: the outer layer of the cookbook's double pickling (docs/protocols.md §6.5). */
export function wrapBytes(inner: Uint8Array, protocol: 2 | 3 | 4 | 5 = 4): Buffer {
  return encodePickle(inner, { protocol })
}

/** unwrapBytes returns the inner pickle when a decoded frame is bytes holding one (starts with PROTO), else undefined. */
export function unwrapBytes(v: PyValue): Uint8Array | undefined {
  return v instanceof Uint8Array && v.length >= 2 && v[0] === op.PROTO ? v : undefined
}

const BATCH = 1000

/** Encoder is one encodePickle run: the output, the memo, the protocol (encode-data.ts writes through it). */
export class Encoder {
  readonly out = new Output()
  readonly protocol: number
  readonly maxDepth: number
  /** memo index of every object written so far (by identity) */
  readonly memo = new Map<object, number>()
  /** Python's len(memo): strings take indexes too, though they are not looked up */
  memoCount = 0

  constructor(protocol: number, maxDepth: number) {
    this.protocol = protocol
    this.maxDepth = maxDepth
  }

  save(v: PyValue, depth: number): void {
    this.out.boundary()
    if (typeof v === 'bigint') this.int(v)
    else if (typeof v === 'string') this.str(v)
    else if (typeof v === 'number') this.float(v)
    else if (typeof v === 'boolean') this.out.byte(v ? op.NEWTRUE : op.NEWFALSE)
    else if (v === null) this.out.byte(op.NONE)
    else if (typeof v !== 'object') throw pickleEncode(`cannot pickle a JS ${typeof v}`)
    else this.object(v, depth)
  }

  /** object writes a memoizable value, or a memo GET when this very object was written before. */
  object(v: Exclude<PyValue, null | boolean | bigint | number | string>, depth: number): void {
    const seen = this.memo.get(v)
    if (seen !== undefined) {
      this.get(seen)
      return
    }
    if (depth >= this.maxDepth) {
      throw pickleEncode(`value nests deeper than ${this.maxDepth} levels (or a tuple contains itself)`)
    }
    if (v instanceof Uint8Array) {
      writeBytes(this, v)
    } else if (Array.isArray(v)) {
      this.out.byte(op.EMPTY_LIST)
      this.memoize(v)
      this.batches(v.length, op.APPEND, op.APPENDS, (i) => this.save(v[i] as PyValue, depth + 1))
    } else if (v instanceof PyTuple) {
      this.tuple(v, depth)
    } else if (v instanceof PyDict && !(v instanceof PyOrderedDict)) {
      this.out.byte(op.EMPTY_DICT)
      this.memoize(v)
      this.dictItems(v, depth)
    } else if (v instanceof PySet) {
      if (!writeSet(this, v, depth)) this.set(v, depth)
    } else if (!writeConstructed(this, v, depth)) {
      throw pickleEncode(`cannot pickle a JS ${(v as object).constructor?.name ?? 'object'}`)
    }
  }

  /** dictItems writes a dict's entries onto the dict on the stack (SETITEM, or SETITEMS batches). */
  dictItems(v: PyDict, depth: number): void {
    const entries = v.entries
    this.batches(entries.length, op.SETITEM, op.SETITEMS, (i) => {
      const [key, value] = entries[i] as [PyValue, PyValue]
      this.save(key, depth + 1)
      this.save(value, depth + 1)
    })
  }

  float(v: number): void {
    this.out.reserve(9)
    this.out.buf[this.out.pos] = op.BINFLOAT
    this.out.buf.writeDoubleBE(v, this.out.pos + 1)
    this.out.pos += 9
  }

  int(v: bigint): void {
    if (v >= 0n && v <= 0xffffn) {
      const n = Number(v)
      if (n <= 0xff) this.out.opArg(op.BININT1, n, 1)
      else this.out.opArg(op.BININT2, n, 2)
    } else if (v >= -0x8000_0000n && v <= 0x7fff_ffffn) {
      this.out.reserve(5)
      this.out.buf[this.out.pos] = op.BININT
      this.out.buf.writeInt32LE(Number(v), this.out.pos + 1)
      this.out.pos += 5
    } else {
      const bytes = longBytes(v)
      if (bytes.length < 256) this.out.opLen(op.LONG1, bytes, 1)
      else this.out.opLen(op.LONG4, bytes, 4)
    }
  }

  str(v: string): void {
    const out = this.out
    if (this.protocol >= 4 && v.length <= 85) {
      // ≤ 85 UTF-16 units is ≤ 255 UTF-8 bytes: write in place, length after. ASCII by
      // hand (a native write costs more than the loop for short strings).
      out.reserve(2 + 3 * v.length)
      const buf = out.buf
      const start = out.pos + 2
      let i = 0
      for (; i < v.length; i++) {
        const c = v.charCodeAt(i)
        if (c >= 0x80) break
        buf[start + i] = c
      }
      const n = i === v.length ? i : utf8Into(buf, start, v)
      buf[out.pos] = op.SHORT_BINUNICODE
      buf[out.pos + 1] = n
      out.pos = start + n
    } else {
      const bytes = utf8SurrogatePass(v)
      if (bytes.length < 256 && this.protocol >= 4) out.opLen(op.SHORT_BINUNICODE, bytes, 1)
      else if (bytes.length <= 0xffff_ffff || this.protocol < 4) out.opLen(op.BINUNICODE, bytes, 4)
      else out.opLen(op.BINUNICODE8, bytes, 8)
    }
    this.memoCount++
    this.put(this.memoCount - 1)
  }

  tuple(t: PyTuple, depth: number): void {
    const n = t.items.length
    if (n === 0) {
      this.out.byte(op.EMPTY_TUPLE)
      return
    }
    if (n > 3) this.out.byte(op.MARK)
    for (const x of t.items) this.save(x, depth + 1)
    this.close(t, n > 3 ? op.TUPLE : op.TUPLE1 + n - 1, n > 3 ? -1 : n)
  }

  set(s: PySet, depth: number): void {
    if (s.frozen) {
      this.out.byte(op.MARK)
      for (const x of s.items) this.save(x, depth + 1)
      this.close(s, op.FROZENSET, -1)
      return
    }
    this.out.byte(op.EMPTY_SET)
    this.memoize(s)
    for (let i = 0; i < s.items.length; i += BATCH) {
      this.out.byte(op.MARK)
      for (const x of s.items.slice(i, i + BATCH)) this.save(x, depth + 1)
      this.out.byte(op.ADDITEMS)
    }
  }

  /**
   * close ends a tuple or frozenset whose elements are on the stack. If writing them
   * memoized this very object, it is recursive (through a list or dict; Python's
   * save_tuple): drop the elements (`pops` POPs, or POP_MARK when -1) and GET it instead.
   */
  close(obj: PyTuple | PySet, code: number, pops: number): void {
    const seen = this.memo.get(obj)
    if (seen === undefined) {
      this.out.byte(code)
      this.memoize(obj)
      return
    }
    if (pops < 0) this.out.byte(op.POP_MARK)
    for (let i = 0; i < pops; i++) this.out.byte(op.POP)
    this.get(seen)
  }

  /** batches writes n list items or dict entries as the C pickler's batch_list/batch_dict do. */
  batches(n: number, one: number, many: number, write: (i: number) => void): void {
    if (n === 0) return
    if (n === 1) {
      write(0)
      this.out.byte(one)
      return
    }
    for (let i = 0; i < n; i += BATCH) {
      this.out.byte(op.MARK)
      for (let k = i; k < Math.min(n, i + BATCH); k++) write(k)
      this.out.byte(many)
    }
  }

  exception(e: PyException): void {
    checkExceptionModule(e.module)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name))
      throw pickleEncode(`invalid exception name ${JSON.stringify(e.name)}`)
    writeGlobal(this, e.module, e.name)
    this.save(new PyTuple(e.args), 0)
    this.out.byte(op.REDUCE)
    this.memoize(e)
    if (e.state !== undefined && e.state.entries.length > 0) {
      this.save(e.state, 0)
      this.out.byte(op.BUILD)
    }
  }

  memoize(obj: object): void {
    const index = this.memoCount++
    this.memo.set(obj, index)
    this.put(index)
  }

  put(index: number): void {
    if (this.protocol >= 4) this.out.byte(op.MEMOIZE)
    else if (index < 256) this.out.opArg(op.BINPUT, index, 1)
    else this.out.opArg(op.LONG_BINPUT, index, 4)
  }

  get(index: number): void {
    if (index < 256) this.out.opArg(op.BINGET, index, 1)
    else this.out.opArg(op.LONG_BINGET, index, 4)
  }
}

/** longBytes is Python's encode_long: the shortest little-endian two's complement of v. */
export function longBytes(v: bigint): Buffer {
  if (v === 0n) return Buffer.alloc(0)
  const magnitude = v < 0n ? -v : v
  // Python: nbytes = (x.bit_length() >> 3) + 1, then one 0xff dropped if the sign survives it.
  let n = (magnitude.toString(2).length >> 3) + 1
  let hex = BigInt.asUintN(8 * n, v)
    .toString(16)
    .padStart(2 * n, '0')
  if (v < 0n && n > 1 && hex.startsWith('ff') && Number.parseInt(hex.slice(2, 3), 16) >= 8) {
    n -= 1
    hex = hex.slice(2)
  }
  return Buffer.from(hex, 'hex').reverse()
}
