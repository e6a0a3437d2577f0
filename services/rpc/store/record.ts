/**
 * The log's record format (version 2): one line per change, with a CRC-32 and the record's
 * offset inside the write it belongs to (the bytes of that write before it), so that replay
 * can tell a torn last write from damage to an earlier, synced one (replay.ts):
 *
 *   <crc32, 8 hex> <offset in its write, decimal> <payload>\n
 *   275cd9d6 0 {"s":"foo","v":"bar"}               set foo = 'bar' (value-json.ts: tagged JSON)
 *   64d3d8f7 0 {"s":"spam","v":[{"$int":"1"}]}     set spam = [1], in a write of its own ...
 *   783a8b18 43 {"d":"spam"}                       ... then delete spam, in the same write
 *
 * The file starts with the line LOG_HEADER ("netlab-kv-log 2"), so that a file that is not a
 * store log is refused rather than taken for a torn one. The CRC covers "<offset> <payload>".
 * JSON escapes newlines, so a record never holds one. Compaction copies records byte for byte,
 * which keeps each offset true. Version 1 logs (no header, the payload alone on each line: they
 * start with "{") are still read, each line as a write of its own, and rewritten in version 2
 * at start.
 */
import { crc32 } from 'node:zlib'

/** LOG_HEADER is the first line of a version 2 log. */
export const LOG_HEADER = 'netlab-kv-log 2\n'

/** StoreOp is one change: set a key to a value (its tagged JSON text), or delete it. */
export type StoreOp =
  | { readonly kind: 'set'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }

/** ParsedRecord is a good record (its op, its offset in its write, its version) or why it is bad. */
export type ParsedRecord =
  | { readonly ok: true; readonly op: StoreOp; readonly inWrite: number; readonly legacy: boolean }
  | { readonly ok: false; readonly reason: string }

/**
 * Bytes a record adds to its payload when it opens its write ("xxxxxxxx 0 " and the newline).
 * The live size counts every record so; a compacted log is that, plus the offsets' digits.
 */
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

/** encodeWrite frames payloads as the records of one write. */
export function encodeWrite(payloads: readonly string[]): string {
  let inWrite = 0
  let out = ''
  for (const payload of payloads) {
    const body = `${inWrite} ${payload}`
    const line = `${crc32(body).toString(16).padStart(8, '0')} ${body}\n`
    out += line
    inWrite += Buffer.byteLength(line)
  }
  return out
}

const HEADER = /^([0-9a-f]{8}) (0|[1-9][0-9]{0,11}) /

/** parseRecord reads one line (without its newline). */
export function parseRecord(line: Buffer): ParsedRecord {
  if (line[0] === 0x7b /* { */) {
    const op = parsePayload(line.toString('utf8'))
    return typeof op === 'string' ? { ok: false, reason: op } : { ok: true, op, inWrite: 0, legacy: true }
  }
  const header = HEADER.exec(line.toString('latin1', 0, 22))
  if (header === null) return { ok: false, reason: 'not a record' }
  const [head, crc, inWrite] = header as unknown as [string, string, string]
  if (Number.parseInt(crc, 16) !== crc32(line.subarray(9))) return { ok: false, reason: 'checksum mismatch' }
  const op = parsePayload(line.toString('utf8', head.length))
  return typeof op === 'string'
    ? { ok: false, reason: op }
    : { ok: true, op, inWrite: Number(inWrite), legacy: false }
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
