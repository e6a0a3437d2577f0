/**
 * JSON text to RpcValues, and what that costs before it is done.
 *
 * scanJson makes one pass over the text outside strings: bracket depth, an upper bound on
 * the values and objects, whether any number literal is a float, and the longest integer
 * literal. From it, before anything is built, the decoder knows whether the text nests too
 * deep, holds too many values or too long an integer, and what decoding will take on the heap.
 *
 * Integers must stay exact at any size and apart from floats (`1` is an int, `1.0` a float),
 * which needs each number's source text: JSON.parse with a reviver that reads it. That path
 * costs two to four times the memory of a plain JSON.parse (measured on Node 24: about 180 to
 * 250 bytes of resident memory per value, against 40 to 110), so it is taken only when the
 * text has a float literal or an integer literal of more than 15 digits; otherwise a plain
 * JSON.parse reads every number exactly and a walk turns them into bigints.
 */
import { type RpcValue, struct } from '../value.ts'

/** JsonScan is what one pass over the text found outside strings. */
export interface JsonScan {
  /** brackets nest deeper than the limit (the scan stopped there) */
  readonly tooDeep: boolean
  /** an upper bound on the values: one plus every `,`, `[` and `{` */
  readonly values: number
  readonly objects: number
  /** some number literal has a `.` or an exponent */
  readonly hasFloat: boolean
  /** digits of the longest integer literal */
  readonly longestInt: number
}

/**
 * Peak heap and resident bytes per value of each way of decoding (measured on Node 24, x64,
 * as the resident memory a decode of 400 000 values added: ints, strings, arrays, objects,
 * arrays nested 62 deep), plus the text of strings, which the estimate counts as the body's size.
 */
export const JSON_DECODED_COST_BYTES = {
  plain: { value: 112, object: 320 },
  withSource: { value: 256, object: 448 },
} as const

/** integer literals this short are exact as doubles (below 2^53), so the plain parse reads them */
const EXACT_DIGITS = 15

const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * scanJson walks the text outside strings (skipped with indexOf, so a long string costs
 * little), stopping once brackets nest deeper than `maxDepth`. Malformed text is left for
 * JSON.parse to reject.
 */
export function scanJson(text: string, maxDepth: number): JsonScan {
  let depth = 0
  let values = 1
  let objects = 0
  let hasFloat = false
  let longestInt = 0
  const done = (tooDeep: boolean): JsonScan => ({ tooDeep, values, objects, hasFloat, longestInt })
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      i = closingQuote(text, i + 1)
      if (i === -1) break
    } else if (c === 0x5b || c === 0x7b) {
      values++
      if (c === 0x7b) objects++
      if (++depth > maxDepth) return done(true)
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    } else if (c === 0x2c) {
      values++
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      // a number literal: digits, then perhaps a fraction or an exponent
      let j = c === 0x2d ? i + 1 : i
      const start = j
      while (j < text.length && isDigit(text.charCodeAt(j))) j++
      const digits = j - start
      let end = j
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++
      if (end > j) hasFloat = true
      else if (digits > longestInt) longestInt = digits
      i = end - 1
    }
  }
  return done(false)
}

/** decodedEstimate is what decoding the text will take on the heap, for the memory budget. */
export function decodedEstimate(bytes: number, scan: JsonScan): number {
  const cost = needsSource(scan) ? JSON_DECODED_COST_BYTES.withSource : JSON_DECODED_COST_BYTES.plain
  return bytes + scan.values * cost.value + scan.objects * cost.object
}

/** IntTooLongError: an integer literal has more digits than allowed. */
export class IntTooLongError extends Error {}

type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown
const parseWithSource = JSON.parse as (text: string, reviver: Reviver) => unknown

/**
 * parseJsonValue is JSON.parse into RpcValues: integer literals become exact bigints,
 * other numbers stay floats, objects become null-prototype structs. Throws SyntaxError,
 * or IntTooLongError when an integer literal has more than `maxIntDigits` digits. The
 * caller bounds the nesting first (`scan`, which is made here when not given).
 */
export function parseJsonValue(text: string, maxIntDigits: number, scan?: JsonScan): RpcValue {
  const s = scan ?? scanJson(text, Number.MAX_SAFE_INTEGER)
  if (s.longestInt > maxIntDigits)
    throw new IntTooLongError(
      `integer literal of ${s.longestInt} digits exceeds ${maxIntDigits} (RPC_MAX_INT_DIGITS)`,
    )
  if (needsSource(s)) return parseWithSource(text, reviveWithSource) as RpcValue
  return fromPlain(JSON.parse(text))
}

function needsSource(scan: JsonScan): boolean {
  return scan.hasFloat || scan.longestInt > EXACT_DIGITS
}

/** fromPlain turns a plain JSON.parse result whose numbers are all short ints into RpcValues. */
function fromPlain(v: unknown): RpcValue {
  if (typeof v === 'number') return BigInt(v)
  if (v === null || typeof v !== 'object') return v as RpcValue
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fromPlain(v[i])
    return v as RpcValue[]
  }
  // a null-prototype struct, filled as struct() would (JSON.parse's own objects keep
  // `__proto__` as a plain member, so copying them key by key is safe)
  const out: Record<string, RpcValue> = Object.create(null)
  for (const key of Object.keys(v)) out[key] = fromPlain((v as Record<string, unknown>)[key])
  return out
}

const reviveWithSource: Reviver = (_key, value, context) => {
  if (typeof value === 'number') {
    const src = context.source as string
    return isIntegerLiteral(src) ? BigInt(src) : value
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return struct(Object.entries(value as Record<string, RpcValue>))
  }
  return value
}

function isIntegerLiteral(src: string): boolean {
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i)
    if (c === 0x2e || c === 0x65 || c === 0x45) return false // . e E
  }
  return true
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** the characters a number literal may go on with after its integer part: . e E + - digits */
function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d
}

/** closingQuote is the index of the `"` that ends the string starting at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  let i = text.indexOf('"', from)
  while (i !== -1) {
    let slashes = 0
    for (let j = i - 1; j >= from && text.charCodeAt(j) === BACKSLASH; j--) slashes++
    if (slashes % 2 === 0) return i
    i = text.indexOf('"', i + 1)
  }
  return -1
}
