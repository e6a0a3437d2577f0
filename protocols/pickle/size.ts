/**
 * pickledSizeBound is an upper bound of the bytes `encodePickle(value)` writes, counting a
 * shared part each time it appears (as a reply built by a walk of the value could), and
 * the bytes a decoded pickle expands to (decode.ts refuses one above `maxExpandedBytes`).
 *
 * A memo reference costs the sender 2 to 5 bytes and may stand for megabytes: a 4 MiB str
 * memoized once and referenced 100 000 times in a list is a 4.4 MB pickle that expands to
 * 420 GB. So strings and bytes count their length at every appearance, and containers
 * the sum of what they hold. The walk stops as soon as the sum passes `limit`, and each
 * value costs time in proportion to the bytes it adds, so bounding a hostile value is cheap.
 */
import { PyDecimal } from './decimal.ts'
import {
  PyByteArray,
  PyDict,
  PyException,
  PySet,
  PySlice,
  PyTimezone,
  PyTuple,
  type PyValue,
} from './value.ts'

/** per-value overhead of a container: opcode, memo op, MARK and batch opcodes */
const CONTAINER_BYTES = 16
/** a constructed value (GLOBAL/STACK_GLOBAL, its names, args tuple, REDUCE, memo ops), its own text aside */
const CONSTRUCTED_BYTES = 96

/**
 * pickledSizeBound returns the bound, or undefined as soon as it passes `limit`. `protocol`
 * matters for bytes: below 3 they are written as latin-1 text (up to 2 bytes each).
 */
export function pickledSizeBound(
  value: PyValue | PyException,
  limit: number,
  protocol = 4,
): number | undefined {
  const walk = new SizeWalk(limit, protocol)
  try {
    if (value instanceof PyException) {
      walk.add(CONSTRUCTED_BYTES + value.name.length)
      for (const a of value.args) walk.visit(a)
      if (value.state !== undefined) walk.visit(value.state)
    } else walk.visit(value)
  } catch (err) {
    if (err === OVER) return undefined
    throw err
  }
  return walk.spent
}

/** thrown (and caught above) to stop the walk once the bound passes the limit */
const OVER = Symbol('over the limit')

/**
 * SizeWalk adds every appearance's cost to one running sum, in the order it visits them, so
 * it stops at the limit wherever it is. A container met again costs what it cost the first
 * time, without a new walk.
 */
class SizeWalk {
  readonly limit: number
  readonly protocol: number
  readonly seen = new Map<object, number>()
  spent = 0
  lastStr = ''
  lastStrBytes = 0

  constructor(limit: number, protocol: number) {
    this.limit = limit
    this.protocol = protocol
  }

  add(n: number): void {
    this.spent += n
    if (this.spent > this.limit) throw OVER
  }

  visit(v: PyValue): void {
    const leaf = this.leafCost(v)
    if (leaf !== undefined) {
      this.add(leaf)
      return
    }
    const obj = v as Exclude<PyValue, null | boolean | bigint | number | string | Uint8Array | PyByteArray>
    const known = this.seen.get(obj)
    if (known !== undefined) {
      this.add(known)
      return
    }
    const before = this.spent
    this.seen.set(obj, 0) // a value that contains itself (JS-built; never decoded) costs nothing again
    this.compound(obj)
    this.seen.set(obj, this.spent - before)
  }

  /** leafCost is what a scalar, str or bytes costs, or undefined for a compound value. */
  leafCost(v: PyValue): number | undefined {
    if (v === null || typeof v === 'boolean') return 1
    if (typeof v === 'number') return 9
    if (typeof v === 'bigint')
      return v >= -0x8000_0000n && v < 0x8000_0000n ? 5 : v.toString(16).length / 2 + 6
    if (typeof v === 'string') return (v.length <= 64 ? 3 * v.length : this.utf8Length(v)) + 9
    if (v instanceof Uint8Array) return this.bytes(v.length)
    if (v instanceof PyByteArray) return this.bytes(v.bytes.length) + CONSTRUCTED_BYTES
    return undefined
  }

  /**
   * utf8Length measures a long str once per run of appearances: the same str met again (a memo
   * reference to it) compares by identity first, so it costs nothing to recognise.
   */
  utf8Length(v: string): number {
    if (v !== this.lastStr) {
      this.lastStr = v
      this.lastStrBytes = Buffer.byteLength(v)
    }
    return this.lastStrBytes
  }

  bytes(length: number): number {
    return (this.protocol < 3 ? 2 * length + 40 : length) + 9
  }

  compound(v: Exclude<PyValue, null | boolean | bigint | number | string | Uint8Array | PyByteArray>): void {
    if (Array.isArray(v)) {
      this.add(CONTAINER_BYTES + v.length)
      for (const x of v) this.visit(x)
    } else if (v instanceof PyTuple || v instanceof PySet) {
      this.add(CONTAINER_BYTES + CONSTRUCTED_BYTES + v.items.length)
      for (const x of v.items) this.visit(x)
    } else if (v instanceof PyDict) {
      this.add(CONTAINER_BYTES + CONSTRUCTED_BYTES + v.entries.length)
      for (const [k, x] of v.entries) {
        this.visit(k)
        this.visit(x)
      }
    } else if (v instanceof PyDecimal) {
      this.add(CONSTRUCTED_BYTES + v.digits.length + 24)
    } else if (v instanceof PySlice) {
      this.add(CONSTRUCTED_BYTES)
      for (const x of [v.start, v.stop, v.step]) this.visit(x)
    } else if (v instanceof PyTimezone) {
      this.add(2 * CONSTRUCTED_BYTES)
      if (v.name !== undefined) this.visit(v.name)
    } else {
      // complex, range, date, time, datetime, timedelta: small fixed parts, and maybe a tzinfo
      this.add(2 * CONSTRUCTED_BYTES)
      const tz = 'tzinfo' in v ? v.tzinfo : 'time' in v ? v.time.tzinfo : null
      if (tz !== null) this.visit(tz)
    }
  }
}
