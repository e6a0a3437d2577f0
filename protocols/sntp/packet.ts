/**
 * The SNTPv4 packet (RFC 4330, RFC 5905 §7.3), 48 bytes, big-endian; extension fields
 * and MAC after byte 48 are ignored.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |LI | VN  |Mode |    Stratum    |     Poll      |   Precision   |  0
 *   |                          Root Delay  (16.16 s)                |  4
 *   |                       Root Dispersion (16.16 s)               |  8
 *   |                          Reference ID                         | 12
 *   |                   Reference Timestamp (64)                    | 16
 *   |                   Originate Timestamp (64)                    | 24
 *   |                    Receive Timestamp (64)                     | 32
 *   |                    Transmit Timestamp (64)                    | 40
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { readNtpTime, writeNtpTime } from '../ntp-time.ts'

export const SNTP_PACKET_BYTES = 48
export const MODE_CLIENT = 3
export const MODE_SERVER = 4

/** SntpRequest is what the server needs from a client's packet. */
export interface SntpRequest {
  readonly version: number
  readonly mode: number
  readonly poll: number
  /** the client's Transmit Timestamp, kept as raw bytes: it is an opaque nonce (RFC 5905 §8) */
  readonly transmit: Buffer
}

/** SntpDecodeError says why a datagram is not an SNTP client request. */
export type SntpDecodeError = 'too_short' | 'bad_version' | 'not_client_mode' | 'zero_transmit'

/** decodeRequest validates a client request; anything else is dropped, never answered. */
export function decodeRequest(buf: Buffer): SntpRequest | SntpDecodeError {
  if (buf.length < SNTP_PACKET_BYTES) return 'too_short'
  const b0 = buf[0] as number
  const version = (b0 >> 3) & 0x7
  const mode = b0 & 0x7
  if (version < 1 || version > 4) return 'bad_version'
  if (mode !== MODE_CLIENT) return 'not_client_mode'
  const transmit = Buffer.from(buf.subarray(40, 48))
  if (transmit.readBigUInt64BE(0) === 0n) return 'zero_transmit'
  return { version, mode, poll: buf.readInt8(2), transmit }
}

/** ServerClock describes the server's clock as SNTP advertises it. */
export interface ServerClock {
  readonly stratum: number
  /** 4 ASCII characters for stratum 1 (e.g. LOCL) */
  readonly refId: string
  /** log2 seconds, e.g. -20 ≈ 1 µs */
  readonly precision: number
  readonly rootDispersionMs: number
  /** when the clock was last set, Unix ms */
  readonly referenceMs: number
}

/**
 * encodeReply builds the mode-4 reply: version and poll copied from the request, the
 * request's Transmit Timestamp copied verbatim into Originate (RFC 4330 §5), then
 * Receive (T2, when the request arrived) and Transmit (T3, now).
 */
export function encodeReply(
  req: SntpRequest,
  clock: ServerClock,
  receivedMs: number,
  transmitMs: number,
): Buffer {
  const out = Buffer.alloc(SNTP_PACKET_BYTES)
  out[0] = (0 << 6) | (req.version << 3) | MODE_SERVER
  out[1] = clock.stratum
  out.writeInt8(Math.max(-128, Math.min(127, req.poll)), 2)
  out.writeInt8(clock.precision, 3)
  out.writeUInt32BE(0, 4) // root delay: 0 for a reference clock
  out.writeUInt32BE(Math.round((clock.rootDispersionMs / 1000) * 65536), 8)
  out.write(clock.refId.padEnd(4, '\0').slice(0, 4), 12, 'latin1')
  writeNtpTime(out, 16, clock.referenceMs)
  req.transmit.copy(out, 24)
  writeNtpTime(out, 32, receivedMs)
  writeNtpTime(out, 40, transmitMs)
  return out
}

/** SntpReply is a decoded server reply, for clients. Times are Unix ms. */
export interface SntpReply {
  readonly leap: number
  readonly version: number
  readonly mode: number
  readonly stratum: number
  readonly refId: string
  readonly originate: Buffer
  readonly receiveMs: number
  readonly transmitMs: number
}

/** encodeRequest builds a client request whose Transmit Timestamp is `transmitMs`. */
export function encodeRequest(transmitMs: number, version = 4): Buffer {
  const out = Buffer.alloc(SNTP_PACKET_BYTES)
  out[0] = (version << 3) | MODE_CLIENT
  writeNtpTime(out, 40, transmitMs)
  return out
}

/** decodeReply reads a server reply, or undefined if it is not one. */
export function decodeReply(buf: Buffer): SntpReply | undefined {
  if (buf.length < SNTP_PACKET_BYTES) return undefined
  const b0 = buf[0] as number
  if ((b0 & 0x7) !== MODE_SERVER) return undefined
  const refBytes = buf.subarray(12, 16)
  return {
    leap: b0 >> 6,
    version: (b0 >> 3) & 0x7,
    mode: b0 & 0x7,
    stratum: buf[1] as number,
    refId: refBytes.toString('latin1').replace(/\0+$/, ''),
    originate: Buffer.from(buf.subarray(24, 32)),
    receiveMs: readNtpTime(buf, 32),
    transmitMs: readNtpTime(buf, 40),
  }
}
