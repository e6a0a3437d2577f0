/**
 * RpcValue is what every RPC transport (XML-RPC, JSON-RPC, mp-connection) carries to and
 * from the one method registry. int and float stay distinct, as they are in Python:
 * an int is a `bigint`, a float a `number`, so `set('n', 1)` then `get('n')` answers
 * `<int>1</int>`, never `<double>1.0</double>`.
 *
 *   Python    XML-RPC                 RpcValue
 *   None      <nil/>                  null
 *   bool      <boolean>               boolean
 *   int       <int> <i4> <i8>         bigint
 *   float     <double>                number
 *   str       <string>, bare text     string
 *   bytes     <base64>                Uint8Array
 *   datetime  <dateTime.iso8601>      Date (read and written as UTC, no zone)
 *   list      <array>                 readonly RpcValue[]
 *   dict      <struct>                RpcStruct (string keys, null prototype)
 */
export type RpcValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | Uint8Array
  | Date
  | readonly RpcValue[]
  | RpcStruct

/** RpcStruct is a string-keyed map; build it with `struct()` so `__proto__` is just a key. */
export interface RpcStruct {
  readonly [key: string]: RpcValue
}

/** struct builds an RpcStruct with a null prototype from entries. */
export function struct(entries: Iterable<readonly [string, RpcValue]>): RpcStruct {
  const out: Record<string, RpcValue> = Object.create(null)
  for (const [k, v] of entries) out[k] = v
  return out
}

/** isStruct tells an RpcStruct from the other object-shaped RpcValues. */
export function isStruct(v: RpcValue): v is RpcStruct {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Date)
  )
}

/** pyTypeName is Python's name for the type a value would have there (for error text). */
export function pyTypeName(v: RpcValue): string {
  if (v === null) return 'NoneType'
  switch (typeof v) {
    case 'boolean':
      return 'bool'
    case 'bigint':
      return 'int'
    case 'number':
      return 'float'
    case 'string':
      return 'str'
  }
  if (v instanceof Uint8Array) return 'bytes'
  if (v instanceof Date) return 'datetime'
  if (Array.isArray(v)) return 'list'
  return 'dict'
}

/**
 * What decoding XML-RPC costs on the V8 heap at its peak, per value, in bytes, for the memory
 * budget: measured on Node 24 (x64) as the heap in use when the builder has just finished,
 * garbage included (a scalar about 150, an empty array 120, a struct level about 360, a base64
 * value 300, a date 270). The XML decoder charges these (plus the text of strings) before
 * building the values; JSON has its own table (jsonrpc/json-value.ts).
 */
export const DECODED_COST_BYTES = {
  /** any value: a scalar, an array, a struct member's slot */
  value: 160,
  /** a struct, on top of its members */
  struct: 384,
  /** a Uint8Array, on top of its bytes */
  bytes: 320,
  /** a Date */
  date: 288,
} as const

/**
 * Grower is what a decoder charges decoded values to: a memory-budget Hold (lib/memory-budget.ts),
 * whose `grow` says false, taking nothing, when the budget has no room.
 */
export interface Grower {
  grow(bytes: number): boolean
}

const EXACT_BELOW = 2n ** 64n
const LOG10_2 = Math.log10(2)

/**
 * decimalLength is the length of `v.toString()`, sign included: exact below 2^64, and at most
 * two characters over beyond (estimated from the hexadecimal length, which is linear to get,
 * where the decimal string of a 4300-digit int takes most of a millisecond).
 */
export function decimalLength(v: bigint): number {
  const magnitude = v < 0n ? -v : v
  const sign = v < 0n ? 1 : 0
  if (magnitude < EXACT_BELOW) return magnitude.toString().length + sign
  const bits = magnitude.toString(16).length * 4
  return Math.floor(bits * LOG10_2) + 1 + sign
}
