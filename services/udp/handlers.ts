/**
 * What each UDP port answers. A handler returns the reply, or the reason to drop the
 * datagram unanswered (a malformed packet is never answered with garbage). Every reply
 * is at most twice its request counting the 28 bytes of IP and UDP headers,
 * reply + 28 <= 2 × (request + 28), so the service is a poor amplifier for a spoofed
 * source: ctime answers an empty request with 24 bytes, and ack's fixed 35 bytes need a
 * request of at least 4. The probe port never answers with more bytes than it received.
 */

import { ctime, rfc868 } from '../../protocols/ctime.ts'
import { nowMs } from '../../protocols/ntp-time.ts'
import { decodeProbeRequest, encodeProbeReply, encodeStatsReply } from '../../protocols/probe/packet.ts'
import { UDP_ACK_MIN_REQUEST_BYTES, UDP_ACK_REPLY } from '../../protocols/seed-replies.ts'
import { decodeRequest, encodeReply, type ServerClock } from '../../protocols/sntp/packet.ts'

/** The UDP protocols, one port each. */
export const udpProtos = ['ctime', 'hello', 'time', 'sntp', 'probe', 'ack'] as const
export type UdpProto = (typeof udpProtos)[number]

/** DropReason says why a datagram got no reply; each is counted. */
export type DropReason = 'malformed' | 'tooShort'

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
    // seed 001's udpServer: sock.sendto('tcpServer has received your message', client_addr) for
    // every non-empty datagram; here those under the reply-size rule's 4 bytes are dropped too
    ack: (msg) => (msg.length < UDP_ACK_MIN_REQUEST_BYTES ? 'tooShort' : UDP_ACK_REPLY),
  }
}
