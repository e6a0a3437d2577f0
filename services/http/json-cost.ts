/**
 * What a request body costs in memory before anything is built from it, from the figures a
 * JsonScanner gathered while it arrived (json-scan.ts). Each is an upper bound for the shapes
 * measured (tests/unit/services/http/json-cost.test.ts checks it against V8 itself), so the
 * service charges its memory budget first and then builds.
 */
import { isUtf8 } from 'node:buffer'
import { type JsonScanner, V8_COST } from './json-scan.ts'

/** textHeapBytes is what decoding `bytes` of UTF-8 takes as a V8 string (two bytes a character once any is not Latin-1). */
export function textHeapBytes(bytes: number, nonAscii: boolean): number {
  return nonAscii ? 2 * bytes : bytes
}

/** What JSON.parse holds besides the value it builds (its stacks and scratch space). */
const PARSER_OVERHEAD_BYTES = 64 * 1024

/** parseHeapBytes is what JSON.parse of the scanned text builds (the text itself not included). */
export function parseHeapBytes(scan: JsonScanner): number {
  return (
    PARSER_OVERHEAD_BYTES +
    scan.objects * V8_COST.object +
    scan.arrays * V8_COST.array +
    scan.values * V8_COST.slot +
    scan.heapNumbers * V8_COST.heapNumber +
    scan.stringHeapBytes
  )
}

/** The longest text JSON.stringify gives a number: `-1.2345678901234567e-308`. */
const LONGEST_NUMBER = 24

/**
 * prettyJsonBytes bounds the UTF-8 length of `JSON.stringify(JSON.parse(text), null, 2)` when
 * the value sits `baseDepth` levels down in the printed document (the echo's `json` is at 1).
 * Re-printing never lengthens a string (escapes only shrink) or a number without an exponent;
 * an exponent may be spelled out (1e20). Indentation adds a newline and two spaces a level
 * before every value and every closing bracket, and ": " one space a member.
 */
export function prettyJsonBytes(scan: JsonScanner, baseDepth: number): number {
  const indent = 1 + 2 * (scan.max + baseDepth)
  return (
    scan.bytes +
    scan.exponentNumbers * LONGEST_NUMBER +
    (scan.values + scan.objects + scan.arrays) * indent +
    scan.members
  )
}

/**
 * jsonStringBytes is the UTF-8 length of JSON.stringify(text) for `bytes` that are valid
 * UTF-8: the quotes, plus each byte as is, or escaped (`\"`, `\\`, `\n` ... or `\u0001`).
 */
export function jsonStringBytes(bytes: Uint8Array): number {
  let n = bytes.length + 2
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue
    // \b \t \n \f \r and \" \\ take two bytes; other control characters \u00XX six
    n += c === 0x22 || c === 0x5c || (c >= 0x08 && c <= 0x0d && c !== 0x0b) ? 1 : 5
  }
  return n
}

/** jsonTextBytes is jsonStringBytes for text already decoded (a multipart field's value). */
export function jsonTextBytes(text: string): number {
  let n = Buffer.byteLength(text) + 2
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue
    n += c === 0x22 || c === 0x5c || (c >= 0x08 && c <= 0x0d && c !== 0x0b) ? 1 : 5
  }
  return n
}

/** TextShape is what printing a body as a JSON string takes. */
export interface TextShape {
  /** UTF-8 bytes of JSON.stringify(text) */
  readonly printed: number
  /** a byte of 0x80 or above: the decoded text may be a two-byte string */
  readonly nonAscii: boolean
}

/** textShape measures, in one pass, a body read as UTF-8 text and printed as a JSON string. */
export function textShape(bytes: Uint8Array): TextShape {
  let nonAscii = false
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] as number) >= 0x80) {
      nonAscii = true
      break
    }
  }
  return { printed: jsonStringBytes(bytes), nonAscii }
}

/**
 * dataTextBytes is the printed length of the echo's `data` for a body: the text, or a base64
 * `data:` URL (of `type`) when it is not UTF-8.
 */
export function dataTextBytes(bytes: Uint8Array, type = 'application/octet-stream'): number {
  if (isUtf8(bytes)) return jsonStringBytes(bytes)
  return `"data:${type};base64,"`.length + 4 * Math.ceil(bytes.length / 3)
}

/**
 * replyBytes is what sending a text reply of `bytes` UTF-8 bytes holds: the string, and the
 * copy Node makes of it for the socket.
 */
export function replyBytes(bytes: number, nonAscii: boolean): number {
  return textHeapBytes(bytes, nonAscii) + bytes
}
