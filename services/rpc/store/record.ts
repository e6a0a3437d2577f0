/**
 * The log's record format (version 2): one line per change, with a CRC-32 and a flag that
 * marks the last record of each write (what one fdatasync covered):
 *
 *   <crc32, 8 hex> <flag> <payload>\n
 *   1c291ca3 . {"s":"foo","v":"bar"}              set foo = 'bar' (value-json.ts: tagged JSON)
 *   6d0c4f1e + {"s":"spam","v":[{"$int":"1"}]}    set spam = [1]; more of this write follows
 *   0b3e0a77 . {"d":"spam"}                       delete spam; the write ends here
 *
 * The CRC covers "<flag> <payload>". JSON escapes newlines, so a record never holds one.
 * Version 1 lines (the payload alone, no CRC, no flag: they start with "{") are still read,
 * each as a write of its own, and a log holding any is rewritten in version 2 at start.
 */
import { crc32 } from 'node:zlib'

/** StoreOp is one change: set a key to a value (its tagged JSON text), or delete it. */
export type StoreOp =
  | { readonly kind: 'set'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }

/** ParsedRecord is a good record (its op, whether it ends a write, its version) or why it is bad. */
export type ParsedRecord =
  | { readonly ok: true; readonly op: StoreOp; readonly last: boolean; readonly legacy: boolean }
  | { readonly ok: false; readonly reason: string }

/** Bytes a record adds beyond its payload: "xxxxxxxx + " and the newline. */
export const RECORD_OVERHEAD = 12

/**
 * The longest record replay buffers: the largest value RPC_KV_MAX_VALUE_BYTES allows (64 MiB)
 * and the longest key (64 KiB, up to 6 bytes each once JSON-escaped), plus framing. Longer
 * without a newline is damage, whatever the limits are today.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024 + 6 * 65_536 + 1024

/** payloadOf is the JSON payload of an op: {"s":key,"v":value} or {"d":key}. */
export function payloadOf(op: StoreOp): string {
  return op.kind === 'set'
    ? `{"s":${JSON.stringify(op.key)},"v":${op.value}}`
    : `{"d":${JSON.stringify(op.key)}}`
}

/** recordBytes is the length of the op's record, without building it. */
export function recordBytes(op: StoreOp): number {
  const key = Buffer.byteLength(JSON.stringify(op.key))
  // {"s":K,"v":V} is 11 bytes of framing around them; {"d":K} is 6.
  return RECORD_OVERHEAD + key + (op.kind === 'set' ? 11 + Buffer.byteLength(op.value) : 6)
}

/** encodeRecord frames a payload as one log line; `last` marks the end of a write. */
export function encodeRecord(payload: string, last: boolean): string {
  const head = last ? '. ' : '+ '
  const crc = crc32(payload, crc32(head))
  return `${crc.toString(16).padStart(8, '0')} ${head}${payload}\n`
}

const HEX8 = /^[0-9a-f]{8}$/

/** parseRecord reads one line (without its newline). */
export function parseRecord(line: Buffer): ParsedRecord {
  if (line[0] === 0x7b /* { */) {
    const op = parsePayload(line.toString('utf8'))
    return typeof op === 'string' ? { ok: false, reason: op } : { ok: true, op, last: true, legacy: true }
  }
  if (line.length < RECORD_OVERHEAD || line[8] !== 0x20 || line[10] !== 0x20)
    return { ok: false, reason: 'not a record' }
  const flag = line[9]
  if (flag !== 0x2b /* + */ && flag !== 0x2e /* . */) return { ok: false, reason: 'not a record' }
  const hex = line.toString('latin1', 0, 8)
  if (!HEX8.test(hex)) return { ok: false, reason: 'not a record' }
  if (Number.parseInt(hex, 16) !== crc32(line.subarray(9))) return { ok: false, reason: 'checksum mismatch' }
  const op = parsePayload(line.toString('utf8', 11))
  return typeof op === 'string'
    ? { ok: false, reason: op }
    : { ok: true, op, last: flag === 0x2e, legacy: false }
}

/** parsePayload returns the op, or why the payload is not one. */
function parsePayload(text: string): StoreOp | string {
  let entry: unknown
  try {
    entry = JSON.parse(text)
  } catch {
    return 'not JSON'
  }
  if (typeof entry !== 'object' || entry === null) return 'not a store entry'
  const e = entry as { s?: unknown; v?: unknown; d?: unknown }
  // Stored as the canonical text JSON.stringify gives, which is what a write stores too.
  if (typeof e.s === 'string' && 'v' in e) return { kind: 'set', key: e.s, value: JSON.stringify(e.v) }
  if (typeof e.d === 'string') return { kind: 'delete', key: e.d }
  return 'not a store entry'
}
