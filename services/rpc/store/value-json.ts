/**
 * A lossless JSON form of RpcValue, for the store's log. JSON has no int/float, bytes or
 * dates, so those are tagged as one-key objects; a struct that could be mistaken for a
 * tag (a key starting with "$") is wrapped:
 *
 *   123n → {"$int":"123"}     1.5 → 1.5     NaN → {"$float":"nan"}
 *   bytes → {"$b64":"..."}    Date → {"$date":"2026-11-21T12:00:00.000Z"}
 *   {"$x": 1n} → {"$struct":{"$x":{"$int":"1"}}}
 */
import { type RpcValue, struct } from '../../../protocols/value.ts'

export function toTagged(v: RpcValue): unknown {
  switch (typeof v) {
    case 'bigint':
      return { $int: v.toString() }
    case 'number':
      return Number.isFinite(v) ? v : { $float: String(v).toLowerCase() }
    case 'string':
    case 'boolean':
      return v
  }
  if (v === null) return null
  if (v instanceof Uint8Array) return { $b64: Buffer.from(v).toString('base64') }
  if (v instanceof Date) return { $date: v.toISOString() }
  if (Array.isArray(v)) return v.map(toTagged)
  // a null prototype: `out.__proto__ = x` would set the prototype, not a key
  const out: Record<string, unknown> = Object.create(null)
  let tagLike = false
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) tagLike = true
    out[k] = toTagged(x)
  }
  return tagLike ? { $struct: out } : out
}

const FLOATS: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  infinity: Infinity,
  '-infinity': -Infinity,
}

export function fromTagged(j: unknown): RpcValue {
  if (j === null || typeof j === 'string' || typeof j === 'boolean' || typeof j === 'number') return j
  if (Array.isArray(j)) return j.map(fromTagged)
  if (typeof j !== 'object') throw new Error(`not a stored value: ${typeof j}`)
  const o = j as Record<string, unknown>
  const keys = Object.keys(o)
  if (keys.length === 1) {
    const tag = keys[0]
    const x = o[tag as string]
    if (tag === '$int' && typeof x === 'string') return BigInt(x)
    if (tag === '$float' && typeof x === 'string' && x in FLOATS) return FLOATS[x] as number
    if (tag === '$b64' && typeof x === 'string') return new Uint8Array(Buffer.from(x, 'base64'))
    if (tag === '$date' && typeof x === 'string') return new Date(x)
    if (tag === '$struct' && typeof x === 'object' && x !== null)
      return plainStruct(x as Record<string, unknown>)
  }
  return plainStruct(o)
}

function plainStruct(o: Record<string, unknown>): RpcValue {
  return struct(Object.entries(o).map(([k, x]) => [k, fromTagged(x)] as const))
}
