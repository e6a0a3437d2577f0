/**
 * What each UDP port answers. A handler returns the reply, or the reason to drop the
 * datagram unanswered (a malformed packet is never answered with garbage). Every reply
 * is at most about twice its request counting the 28 bytes of IP and UDP headers
 * (ctime: 0 → 24 bytes is the largest ratio), and the probe port never answers with more
 * bytes than it received.
 */
import { nowMs } from '../../lib/ntp-time.ts'
import { ctime, rfc868 } from './ctime.ts'
import { decodeProbeRequest, encodeProbeReply, encodeStatsReply } from './probe/packet.ts'
import { decodeRequest, encodeReply, type ServerClock } from './sntp/packet.ts'

/** The five UDP protocols, by port. */
export const udpProtos = ['ctime', 'hello', 'time', 'sntp', 'probe'] as const
export type UdpProto = (typeof udpProtos)[number]

/** DropReason says why a datagram got no reply; each is counted. */
export type DropReason = 'malformed'

export type Handler = (msg: Buffer, receivedMs: number) => Buffer | DropReason

const HELLO = Buffer.from('Hello, ')
const BANG = Buffer.from('!')

export function createHandlers(
  clock: ServerClock,
  stats: () => unknown,
): Readonly<Record<UdpProto, Handler>> {
  return {
    // seed 004: any datagram, even an empty one, gets time.ctime() as ASCII
    ctime: () => Buffer.from(ctime(new Date()), 'ascii'),
    // seed 002: s.sendto(b'Hello, %s!' % data, addr)
    hello: (msg) => Buffer.concat([HELLO, msg, BANG]),
    // RFC 868 over UDP: any datagram gets the 4-byte time
    time: () => rfc868(Date.now()),
    sntp: (msg, receivedMs) => {
      const req = decodeRequest(msg)
      if (typeof req === 'string') return 'malformed'
      return encodeReply(req, clock, receivedMs, nowMs())
    },
    probe: (msg, receivedMs) => {
      const req = decodeProbeRequest(msg)
      if (typeof req === 'string') return 'malformed'
      if (req.type === 'stats') return encodeStatsReply(req.length, stats())
      return encodeProbeReply(msg, receivedMs, nowMs())
    },
  }
}
