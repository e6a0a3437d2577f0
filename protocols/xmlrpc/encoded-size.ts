/**
 * xmlValueSize measures what `encodeValue` (codec.ts) would write for a value, in UTF-8 bytes,
 * without writing it, so that a reply is accounted before it is built. Like jsonSize it stops
 * once the count passes `max`.
 */
import { pyFloatRepr } from '../python.ts'
import { decimalLength, isStruct, type RpcValue } from '../value.ts'

const MAX_DEPTH = 1000
const INT32_MIN = -(2n ** 31n)
const INT32_MAX = 2n ** 31n - 1n
const BASE64_LINE = 57

// The fixed text around each kind, exactly as codec.ts's writeValue writes it.
const NIL = '<value><nil/></value>'.length
const BOOLEAN = '<value><boolean>0</boolean></value>\n'.length
const INT = '<value><int></int></value>\n'.length
const DOUBLE = '<value><double></double></value>\n'.length
const STRING = '<value><string></string></value>\n'.length
const BASE64 = '<value><base64>\n</base64></value>\n'.length
const DATE = '<value><dateTime.iso8601>YYYYMMDDTHH:MM:SS</dateTime.iso8601></value>\n'.length
const ARRAY = '<value><array><data>\n</data></array></value>\n'.length
const STRUCT = '<value><struct>\n</struct></value>\n'.length
const MEMBER = '<member>\n<name></name>\n</member>\n'.length

/** xmlTextSize is the UTF-8 size of escapeXml(s): `&` becomes 5 bytes, `<` and `>` 4. */
export function xmlTextSize(s: string): number {
  let n = Buffer.byteLength(s, 'utf8')
  if (!/[&<>]/.test(s)) return n
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x26) n += 4
    else if (c === 0x3c || c === 0x3e) n += 3
  }
  return n
}

/** base64LinesSize is the length of base64.encodebytes output: 76-character lines, each with `\n`. */
function base64LinesSize(bytes: number): number {
  return 4 * Math.ceil(bytes / 3) + Math.ceil(bytes / BASE64_LINE)
}

/**
 * xmlValueSize is the UTF-8 size of encodeValue(value) when it is at most `max`, and some
 * number above `max` otherwise; an int beyond 2^64 may count two bytes over (decimalLength).
 * Throws RangeError past the encoder's nesting limit.
 */
export function xmlValueSize(value: RpcValue, max = Number.MAX_SAFE_INTEGER): number {
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
  if (depth > MAX_DEPTH) throw new RangeError(`XML-RPC value nests deeper than ${MAX_DEPTH}`)
  if (v === null) {
    c.n += NIL
    return
  }
  switch (typeof v) {
    case 'boolean':
      c.n += BOOLEAN
      return
    case 'bigint':
      // <i8> is one byte shorter than <int>, twice
      c.n += INT + decimalLength(v) - (v >= INT32_MIN && v <= INT32_MAX ? 0 : 2)
      return
    case 'number':
      c.n += DOUBLE + pyFloatRepr(v).length
      return
    case 'string':
      // at least a byte a character: past the limit without scanning it
      c.n += v.length > c.max - c.n ? v.length : STRING + xmlTextSize(v)
      return
  }
  if (v instanceof Uint8Array) c.n += BASE64 + base64LinesSize(v.byteLength)
  else if (v instanceof Date) c.n += DATE
  else if (Array.isArray(v)) {
    const items = v as readonly RpcValue[]
    c.n += ARRAY
    for (let i = 0; i < items.length && c.n <= c.max; i++) measure(items[i] as RpcValue, c, depth + 1)
  } else if (isStruct(v)) {
    c.n += STRUCT
    const keys = Object.keys(v)
    for (let i = 0; i < keys.length && c.n <= c.max; i++) {
      const key = keys[i] as string
      c.n += MEMBER + xmlTextSize(key)
      measure(v[key] as RpcValue, c, depth + 1)
    }
  }
}
