/**
 * jsonSize measures what `encodeJson` (codec.ts) would write, in UTF-8 bytes, without writing
 * it: a reply is accounted (against RPC_MAX_REPLY_BYTES and the memory budget) before it is
 * built. It stops as soon as the count passes `max`, so a value that shares one big string a
 * hundred thousand times (a pickle memo reference can) costs a walk up to the limit, not the
 * product.
 */
import { pyFloatRepr } from '../python.ts'
import { decimalLength, isStruct, type RpcValue } from '../value.ts'

const MAX_DEPTH = 1000
// What JSON.stringify escapes: `"`, `\`, C0 controls, and (well-formed JSON.stringify) lone surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/** jsonStringSize is the UTF-8 size of JSON.stringify(s), quotes included. */
export function jsonStringSize(s: string): number {
  if (!NEEDS_ESCAPE.test(s)) return Buffer.byteLength(s, 'utf8') + 2
  let n = 2
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x22 || c === 0x5c) n += 2
    else if (c < 0x20) n += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6
    else if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4 // a pair: one 4-byte UTF-8 sequence
        i++
      } else n += 6 // lone high surrogate: \udXXX
    } else if (c >= 0xdc00 && c <= 0xdfff)
      n += 6 // lone low surrogate
    else n += 3
  }
  return n
}

/** base64Size is the length of standard base64 with padding for `bytes` bytes. */
export function base64Size(bytes: number): number {
  return 4 * Math.ceil(bytes / 3)
}

/**
 * jsonSize is the UTF-8 size of encodeJson(value) when it is at most `max`, and some number
 * above `max` otherwise; an int beyond 2^64 may count two bytes over (decimalLength). Throws
 * RangeError past the encoder's nesting limit (a cycle too).
 */
export function jsonSize(value: RpcValue, max = Number.MAX_SAFE_INTEGER): number {
  const counter = { n: 0, max }
  measure(value, counter, 0)
  return counter.n
}

interface Counter {
  n: number
  readonly max: number
}

function measure(v: RpcValue, c: Counter, depth: number): void {
  if (c.n > c.max) return
  if (depth > MAX_DEPTH) throw new RangeError(`JSON value nests deeper than ${MAX_DEPTH}`)
  if (v === null) {
    c.n += 4
    return
  }
  switch (typeof v) {
    case 'boolean':
      c.n += v ? 4 : 5
      return
    case 'bigint':
      c.n += decimalLength(v)
      return
    case 'number':
      c.n += Number.isFinite(v) ? pyFloatRepr(v).length : 4
      return
    case 'string':
      // at least a byte a character: past the limit without scanning it
      c.n += v.length > c.max - c.n ? v.length : jsonStringSize(v)
      return
  }
  if (v instanceof Uint8Array) c.n += base64Size(v.byteLength) + 2
  else if (v instanceof Date) c.n += Number.isNaN(v.getTime()) ? 4 : v.toISOString().length + 2
  else if (Array.isArray(v)) {
    const items = v as readonly RpcValue[]
    c.n += 2 + Math.max(0, items.length - 1)
    for (let i = 0; i < items.length && c.n <= c.max; i++) measure(items[i] as RpcValue, c, depth + 1)
  } else if (isStruct(v)) {
    const keys = Object.keys(v)
    c.n += 2 + Math.max(0, keys.length - 1)
    for (let i = 0; i < keys.length && c.n <= c.max; i++) {
      const key = keys[i] as string
      c.n += jsonStringSize(key) + 1
      measure(v[key] as RpcValue, c, depth + 1)
    }
  }
}
