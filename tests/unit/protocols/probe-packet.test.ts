/** The probe codec's stats requests: the probe port never answers with more bytes than it got. */
import { describe, expect, it } from 'vitest'
import { decodeProbeRequest, decodeStatsReply, encodeStatsRequest } from '../../../protocols/probe/packet.ts'
import { createHandlers } from '../../../services/udp/handlers.ts'

const clock = { stratum: 1, refId: 'LOCL', precision: -20, rootDispersionMs: 1, referenceMs: 0 }
const handlers = createHandlers(clock, () => ({ received: 1 }))

describe('probe stats requests', () => {
  // Found by tests/unit/fuzz/udp-packets.fuzz.test.ts: an 8-byte stats request got a 12-byte answer.
  it.each([8, 9, 11])('a %i-byte stats request is dropped, not answered with 12 bytes', (length) => {
    const request = Buffer.from('4e4c503102000000000000', 'hex').subarray(0, length)
    expect(decodeProbeRequest(request)).toBe('too_short')
    expect(handlers.probe(request, 0)).toBe('malformed')
  })

  it('a 12-byte one gets the 12-byte TOO_SHORT answer naming the length needed', () => {
    const reply = handlers.probe(encodeStatsRequest(12), 0) as Buffer
    expect(reply.length).toBe(12)
    expect(decodeStatsReply(reply)).toEqual({ tooShort: 8 + JSON.stringify({ received: 1 }).length })
  })

  it('encodeStatsRequest never builds a request shorter than 12 bytes', () => {
    expect(encodeStatsRequest(0).length).toBe(12)
  })
})
