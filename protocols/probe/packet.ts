/**
 * netlab's probe protocol (UDP): sequenced request/reply with NTP-style timestamps, so a
 * client can count loss, duplicates and reordering and compute RTT and clock offset.
 * The reply is exactly as long as the request (the padding is echoed): the probe port
 * never answers with more bytes than it received.
 *
 *   0       4    5     6       8          12          16             24             32             40
 *   +-------+----+-----+-------+----------+-----------+--------------+--------------+--------------+---------
 *   | magic |type|flags| rsvd  | sequence | session   | T1 client tx | T2 server rx | T3 server tx | padding…
 *   | NLP1  |    |  0  |   0   |  u32 BE  |  u32 BE   |  NTP 64-bit  |  (reply)     |  (reply)     |
 *   +-------+----+-----+-------+----------+-----------+--------------+--------------+--------------+---------
 *
 * type: 0x01 probe, 0x81 probe reply; 0x02 stats request, 0x82 stats reply (bytes 8.. carry
 * the counters as JSON, zero-padded to the request's length), 0x83 "request too short for
 * the stats reply" (bytes 8..12: the u32 length needed). A stats request shorter than that
 * 12-byte answer is dropped, so that even the refusal is no larger than the request.
 */
import { readNtpTime, writeNtpTime } from '../ntp-time.ts'

export const PROBE_MAGIC = 0x4e4c5031 // "NLP1"
export const PROBE_HEADER_BYTES = 40
export const TYPE_PROBE = 0x01
export const TYPE_PROBE_REPLY = 0x81
export const TYPE_STATS = 0x02
export const TYPE_STATS_REPLY = 0x82
export const TYPE_STATS_TOO_SHORT = 0x83
/** Bytes before the JSON in a stats reply. */
export const STATS_HEADER_BYTES = 8
/** The shortest stats request: room for the 12-byte TOO_SHORT answer. */
export const STATS_MIN_REQUEST_BYTES = 12

/** ProbeRequest is a decoded client datagram on the probe port. */
export type ProbeRequest =
  | { readonly type: 'probe'; readonly sequence: number; readonly session: number; readonly length: number }
  | { readonly type: 'stats'; readonly length: number }

export type ProbeDecodeError = 'too_short' | 'bad_magic' | 'bad_type'

export function decodeProbeRequest(buf: Buffer): ProbeRequest | ProbeDecodeError {
  if (buf.length < STATS_HEADER_BYTES) return 'too_short'
  if (buf.readUInt32BE(0) !== PROBE_MAGIC) return 'bad_magic'
  const type = buf[4]
  if (type === TYPE_STATS)
    return buf.length < STATS_MIN_REQUEST_BYTES ? 'too_short' : { type: 'stats', length: buf.length }
  if (type !== TYPE_PROBE) return 'bad_type'
  if (buf.length < PROBE_HEADER_BYTES) return 'too_short'
  return { type: 'probe', sequence: buf.readUInt32BE(8), session: buf.readUInt32BE(12), length: buf.length }
}

/** encodeProbeReply turns a probe request into its reply in place of a copy: type, T2, T3. */
export function encodeProbeReply(request: Buffer, receivedMs: number, transmitMs: number): Buffer {
  const out = Buffer.from(request)
  out[4] = TYPE_PROBE_REPLY
  writeNtpTime(out, 24, receivedMs)
  writeNtpTime(out, 32, transmitMs)
  return out
}

/**
 * encodeStatsReply answers a stats request of `requestLength` bytes with the counters,
 * or, if they do not fit in that many bytes, with a short TOO_SHORT reply naming the length needed.
 */
export function encodeStatsReply(requestLength: number, stats: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(stats), 'utf8')
  const needed = STATS_HEADER_BYTES + json.length
  const head = Buffer.alloc(STATS_HEADER_BYTES)
  head.writeUInt32BE(PROBE_MAGIC, 0)
  if (needed > requestLength) {
    head[4] = TYPE_STATS_TOO_SHORT
    const out = Buffer.alloc(12)
    head.copy(out)
    out.writeUInt32BE(needed, 8)
    return out
  }
  head[4] = TYPE_STATS_REPLY
  const out = Buffer.alloc(requestLength)
  head.copy(out)
  json.copy(out, STATS_HEADER_BYTES)
  return out
}

// ---- the client's side ----------------------------------------------------------------

/** encodeProbe builds a probe of `length` bytes (>= 40) sent at `sentMs`. */
export function encodeProbe(
  sequence: number,
  session: number,
  sentMs: number,
  length = PROBE_HEADER_BYTES,
): Buffer {
  const out = Buffer.alloc(Math.max(PROBE_HEADER_BYTES, length))
  out.writeUInt32BE(PROBE_MAGIC, 0)
  out[4] = TYPE_PROBE
  out.writeUInt32BE(sequence >>> 0, 8)
  out.writeUInt32BE(session >>> 0, 12)
  writeNtpTime(out, 16, sentMs)
  return out
}

/** ProbeReply is a decoded probe reply; times are Unix ms. */
export interface ProbeReply {
  readonly sequence: number
  readonly session: number
  readonly t1: number
  readonly t2: number
  readonly t3: number
}

export function decodeProbeReply(buf: Buffer): ProbeReply | undefined {
  if (buf.length < PROBE_HEADER_BYTES || buf.readUInt32BE(0) !== PROBE_MAGIC || buf[4] !== TYPE_PROBE_REPLY)
    return undefined
  return {
    sequence: buf.readUInt32BE(8),
    session: buf.readUInt32BE(12),
    t1: readNtpTime(buf, 16),
    t2: readNtpTime(buf, 24),
    t3: readNtpTime(buf, 32),
  }
}

/** encodeStatsRequest builds a stats request padded to `length` bytes (room for the reply). */
export function encodeStatsRequest(length = 1400): Buffer {
  const out = Buffer.alloc(Math.max(STATS_MIN_REQUEST_BYTES, length))
  out.writeUInt32BE(PROBE_MAGIC, 0)
  out[4] = TYPE_STATS
  return out
}

/** decodeStatsReply returns the counters, `{ tooShort: needed }`, or undefined if not a stats reply. */
export function decodeStatsReply(
  buf: Buffer,
): { readonly stats: unknown } | { readonly tooShort: number } | undefined {
  if (buf.length < STATS_HEADER_BYTES || buf.readUInt32BE(0) !== PROBE_MAGIC) return undefined
  if (buf[4] === TYPE_STATS_TOO_SHORT && buf.length >= 12) return { tooShort: buf.readUInt32BE(8) }
  if (buf[4] !== TYPE_STATS_REPLY) return undefined
  const end = buf.indexOf(0, STATS_HEADER_BYTES)
  return {
    stats: JSON.parse(buf.subarray(STATS_HEADER_BYTES, end === -1 ? buf.length : end).toString('utf8')),
  }
}
