/**
 * Fuzz: the UDP codecs (protocols/probe/packet.ts, protocols/sntp/packet.ts) and the
 * handlers' dispatch (services/udp/handlers.ts). Round trips for valid packets; for any
 * datagram, a documented drop reason or a reply within the documented size bounds.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import {
  decodeProbeReply,
  decodeProbeRequest,
  decodeStatsReply,
  encodeProbe,
  encodeProbeReply,
  encodeStatsRequest,
} from '../../../protocols/probe/packet.ts'
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  type ServerClock,
} from '../../../protocols/sntp/packet.ts'
import { createHandlers, udpProtos } from '../../../services/udp/handlers.ts'
import { check } from '../../support/fuzz-budget.ts'
import { hostile } from '../../support/mutate.ts'

const clock: ServerClock = {
  stratum: 1,
  refId: 'LOCL',
  precision: -20,
  rootDispersionMs: 1,
  referenceMs: 1.7e12,
}
/** Unix ms inside NTP era 0 (1970 to 2036) */
const unixMs = fc.double({ min: 0, max: 2_085_978_495_000, noNaN: true })
const u32 = fc.integer({ min: 0, max: 0xffff_ffff })

const validProbe = fc
  .tuple(u32, u32, unixMs, fc.integer({ min: 40, max: 200 }))
  .map(([seq, session, t, len]) => encodeProbe(seq, session, t, len))
const validStats = fc.integer({ min: 0, max: 300 }).map((len) => encodeStatsRequest(len))
const validSntp = fc
  .tuple(fc.double({ min: 1, max: 2_085_978_495_000, noNaN: true }), fc.integer({ min: 1, max: 4 }))
  .map(([t, v]) => encodeRequest(t, v))
const datagram = fc.oneof(
  hostile(validProbe),
  hostile(validStats),
  hostile(validSntp),
  fc.uint8Array({ maxLength: 64 }),
)

/** The 28 bytes of IPv4 and UDP headers around every datagram. */
const HEADERS = 28

describe('fuzz: UDP codecs', () => {
  it('probe: encode → decode keeps sequence, session and length; the reply is the same size', () => {
    check(
      'udp-probe',
      'round trip',
      fc.property(
        u32,
        u32,
        unixMs,
        fc.integer({ min: 0, max: 1500 }),
        unixMs,
        unixMs,
        (seq, session, t1, len, t2, t3) => {
          const request = encodeProbe(seq, session, t1, len)
          const decoded = decodeProbeRequest(request)
          if (typeof decoded === 'string' || decoded.type !== 'probe')
            throw new Error(`decoded as ${decoded}`)
          if (decoded.sequence !== seq || decoded.session !== session || decoded.length !== Math.max(40, len))
            throw new Error('fields changed')
          const reply = encodeProbeReply(request, t2, t3)
          const back = decodeProbeReply(reply)
          if (reply.length !== request.length || back === undefined)
            throw new Error('reply size or type wrong')
          for (const [got, want] of [
            [back.t1, t1],
            [back.t2, t2],
            [back.t3, t3],
          ] as const)
            if (Math.abs(got - want) > 0.001) throw new Error(`timestamp ${got} != ${want}`)
          if (back.sequence !== seq || back.session !== session) throw new Error('reply fields changed')
        },
      ),
    )
  })

  it('sntp: encode → decode → reply echoes the transmit timestamp as originate', () => {
    check(
      'udp-sntp',
      'round trip',
      fc.property(validSntp, unixMs, unixMs, (request, t2, t3) => {
        const req = decodeRequest(request)
        if (typeof req === 'string') throw new Error(`valid request refused: ${req}`)
        const reply = decodeReply(encodeReply(req, clock, t2, t3))
        if (reply === undefined) throw new Error('reply does not decode')
        if (
          reply.mode !== 4 ||
          reply.version !== req.version ||
          reply.stratum !== 1 ||
          reply.refId !== 'LOCL'
        )
          throw new Error('header fields wrong')
        if (!reply.originate.equals(request.subarray(40, 48)))
          throw new Error('originate is not the transmit time')
        if (Math.abs(reply.receiveMs - t2) > 0.001 || Math.abs(reply.transmitMs - t3) > 0.001)
          throw new Error('timestamps changed')
      }),
    )
  })

  it('sntp: any datagram is a client request exactly when the RFC says so', () => {
    check(
      'udp-sntp',
      'classification',
      fc.property(datagram, (d) => {
        const buf = Buffer.from(d)
        const got = decodeRequest(buf)
        const b0 = buf[0] ?? 0
        const want =
          buf.length < 48
            ? 'too_short'
            : ((b0 >> 3) & 7) < 1 || ((b0 >> 3) & 7) > 4
              ? 'bad_version'
              : (b0 & 7) !== 3
                ? 'not_client_mode'
                : buf.readBigUInt64BE(40) === 0n
                  ? 'zero_transmit'
                  : 'request'
        if ((typeof got === 'string' ? got : 'request') !== want) throw new Error(`${String(got)} != ${want}`)
      }),
    )
  })

  it('every port answers any datagram within its size bound, or drops it as malformed or too short', () => {
    const handlers = createHandlers(clock, () => ({ received: 1, replied: 1, dropped: { malformed: 0 } }))
    check(
      'udp-handlers',
      'dispatch',
      fc.property(fc.constantFrom(...udpProtos), datagram, (proto, d) => {
        const msg = Buffer.from(d)
        const reply = handlers[proto](msg, 1.7e12)
        if (reply === 'malformed') {
          if (proto !== 'sntp' && proto !== 'probe') throw new Error(`${proto} dropped a datagram`)
          if (proto === 'probe' && typeof decodeProbeRequest(msg) !== 'string')
            throw new Error('dropped a valid probe')
          return
        }
        if (reply === 'tooShort') {
          // the one drop the size rule itself forces: ack's 35 bytes need a 4-byte request
          if (proto !== 'ack' || msg.length >= 4) throw new Error(`${proto} dropped ${msg.length} bytes`)
          return
        }
        // Never an amplifier: at most twice the request on the wire, and the probe port
        // never answers with more bytes than it received.
        if (reply.length + HEADERS > 2 * (msg.length + HEADERS)) throw new Error(`${proto}: reply too large`)
        if (proto === 'probe' && reply.length > msg.length)
          throw new Error(`probe: ${reply.length}-byte reply to a ${msg.length}-byte request`)
        if (
          proto === 'probe' &&
          decodeProbeReply(reply) === undefined &&
          decodeStatsReply(reply) === undefined
        )
          throw new Error('probe reply decodes as neither a probe nor a stats reply')
        if (proto === 'sntp' && decodeReply(reply) === undefined)
          throw new Error('sntp reply does not decode')
      }),
      2,
    )
  })
})
