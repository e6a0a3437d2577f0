/**
 * The UDP service's one-shot protocols over udpRequest (udp-client.ts): ctime, hello, ack,
 * RFC 868 time, SNTP and the probe port's stats.
 */
import { LabError } from '../../../lib/errors.ts'
import {
  NTP_ERA_S,
  NTP_UNIX_OFFSET_S,
  nowMs,
  offsetAndDelay,
  readNtpTime,
} from '../../../protocols/ntp-time.ts'
import { decodeStatsReply, encodeStatsRequest } from '../../../protocols/probe/packet.ts'
import { decodeReply, encodeRequest, SNTP_PACKET_BYTES } from '../../../protocols/sntp/packet.ts'
import {
  describeTarget,
  MAX_UDP_PAYLOAD,
  type ReplyMatcher,
  type RetryOptions,
  type Target,
  type UdpResult,
  udpRequest,
} from './udp-client.ts'

/** ctimeQuery sends an empty datagram to the ctime port and returns the text reply. */
export function ctimeQuery(target: Target, retry: RetryOptions = {}): Promise<UdpResult<string>> {
  return udpRequest({
    ...target,
    ...retry,
    request: () => Buffer.alloc(0),
    match: (reply) => reply.toString('latin1'),
  })
}

/** helloQuery sends `name` to the hello port and returns the reply (`Hello, name!`). */
export function helloQuery(
  target: Target,
  name: string,
  retry: RetryOptions = {},
): Promise<UdpResult<string>> {
  return udpRequest({
    ...target,
    ...retry,
    request: () => Buffer.from(name, 'utf8'),
    match: (reply) => reply.toString('utf8'),
  })
}

/** ackQuery sends `text` to the ack port (seed 001's udpServer) and returns its reply. */
export function ackQuery(target: Target, text: Buffer, retry: RetryOptions = {}): Promise<UdpResult<string>> {
  return udpRequest({
    ...target,
    ...retry,
    request: () => text,
    match: (reply) => reply.toString('utf8'),
  })
}

export interface Rfc868Time {
  /** seconds since 1900-01-01 UTC as sent (32 bits) */
  readonly secondsSince1900: number
  /** the same instant as Unix ms */
  readonly unixMs: number
}

/**
 * rfc868ToUnixMs converts the 32-bit RFC 868 seconds to Unix ms. The counter wraps on
 * 2036-02-07; values below 2^31 (before 1968) are read as the next era, as NTP does.
 */
export function rfc868ToUnixMs(secondsSince1900: number): number {
  const era = secondsSince1900 < 0x8000_0000 ? NTP_ERA_S : 0
  return (secondsSince1900 + era - NTP_UNIX_OFFSET_S) * 1000
}

/** rfc868Query sends an empty datagram to the RFC 868 time port; the reply must be 4 bytes. */
export function rfc868Query(target: Target, retry: RetryOptions = {}): Promise<UdpResult<Rfc868Time>> {
  return udpRequest({
    ...target,
    ...retry,
    request: () => Buffer.alloc(0),
    match: (reply) => {
      if (reply.length !== 4) return undefined
      const secondsSince1900 = reply.readUInt32BE(0)
      return { secondsSince1900, unixMs: rfc868ToUnixMs(secondsSince1900) }
    },
  })
}

export interface SntpResult {
  readonly offsetMs: number
  readonly delayMs: number
  readonly stratum: number
  readonly refId: string
  readonly leap: number
  readonly version: number
  /** the server's Transmit Timestamp (T3), Unix ms */
  readonly serverTimeMs: number
  readonly t1: number
  readonly t2: number
  readonly t3: number
  readonly t4: number
}

/**
 * matchSntp accepts a mode-4 reply whose Originate is byte-for-byte the Transmit of the
 * attempt it arrived for, with a non-zero Transmit; T1 is read back from those bytes and T4
 * is the receive time, so offset and delay use that attempt's own timestamps.
 */
export const matchSntp: ReplyMatcher<SntpResult> = (buf, attempt) => {
  const reply = decodeReply(buf)
  if (!reply) return undefined
  const transmit = attempt.request.subarray(40, SNTP_PACKET_BYTES)
  if (!reply.originate.equals(transmit)) return undefined
  if (buf.readBigUInt64BE(40) === 0n) return undefined
  const t1 = readNtpTime(attempt.request, 40)
  const t4 = attempt.receivedAtMs
  const { offsetMs, delayMs } = offsetAndDelay(t1, reply.receiveMs, reply.transmitMs, t4)
  return {
    offsetMs,
    delayMs,
    stratum: reply.stratum,
    refId: reply.refId,
    leap: reply.leap,
    version: reply.version,
    serverTimeMs: reply.transmitMs,
    t1,
    t2: reply.receiveMs,
    t3: reply.transmitMs,
    t4,
  }
}

/** sntpQuery asks an SNTP server for the time; a kiss-o'-death (stratum 0) is a LabError. */
export async function sntpQuery(target: Target, retry: RetryOptions = {}): Promise<UdpResult<SntpResult>> {
  const result = await udpRequest({
    ...target,
    ...retry,
    request: () => encodeRequest(nowMs()),
    match: matchSntp,
  })
  if (result.reply.stratum === 0)
    throw new LabError(
      'KISS_OF_DEATH',
      `${describeTarget(target)} sent a kiss-o'-death: ${result.reply.refId || '(no code)'}`,
    )
  return result
}

/**
 * statsQuery asks the probe port for the service's counters with a request padded to
 * `length` bytes (the reply is never longer than the request). If the server answers that
 * it needs more room, it asks once more with exactly that length.
 */
export async function statsQuery(
  target: Target,
  retry: RetryOptions = {},
  length = 1400,
): Promise<UdpResult<unknown> & { readonly requestBytes: number }> {
  let size = length
  for (let round = 0; round < 2; round++) {
    const result = await udpRequest({
      ...target,
      ...retry,
      request: () => encodeStatsRequest(size),
      match: (reply) => decodeStatsReply(reply),
    })
    const reply = result.reply
    if ('stats' in reply) return { ...result, reply: reply.stats, requestBytes: size }
    if (round > 0 || reply.tooShort <= size || reply.tooShort > MAX_UDP_PAYLOAD)
      throw new LabError(
        'STATS_TOO_LARGE',
        `${describeTarget(target)} needs a ${reply.tooShort}-byte stats request (sent ${size})`,
      )
    size = reply.tooShort
  }
  throw new LabError('STATS_TOO_LARGE', `${describeTarget(target)} kept asking for a larger stats request`)
}
