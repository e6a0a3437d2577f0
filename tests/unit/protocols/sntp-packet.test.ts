/** The SNTP codec (protocols/sntp/packet.ts) on worked examples, byte for byte. */
import { describe, expect, it } from 'vitest'
import { offsetAndDelay, readNtpTime, writeNtpTime } from '../../../protocols/ntp-time.ts'
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  type ServerClock,
  SNTP_PACKET_BYTES,
} from '../../../protocols/sntp/packet.ts'

/** 2012-08-15 20:35:08.500 UTC: NTP seconds 3554051708 = 0xD3D6867C, fraction one half. */
const T = Date.UTC(2012, 7, 15, 20, 35, 8, 500)
const T_NTP = 'd3d6867c80000000'

const clock: ServerClock = {
  stratum: 1,
  refId: 'LOCL',
  precision: -20,
  rootDispersionMs: 10,
  referenceMs: Date.UTC(2012, 7, 15, 20, 0, 0),
}

describe('NTP timestamps', () => {
  it('writes a Unix time as seconds since 1900 and a binary fraction', () => {
    const buf = Buffer.alloc(8)
    writeNtpTime(buf, 0, T)
    expect(buf.toString('hex')).toBe(T_NTP)
    expect(readNtpTime(buf, 0)).toBe(T)
  })

  it('computes offset and delay the RFC 5905 way', () => {
    // client sends at 0, server receives at 60 and replies at 70, client receives at 30:
    // the server is 50 ms ahead and the round trip took 20 ms of network time
    expect(offsetAndDelay(0, 60, 70, 30)).toEqual({ offsetMs: 50, delayMs: 20 })
  })
})

describe('SNTP requests', () => {
  it('encodes a version-4 client request: LI 0, VN 4, mode 3, only Transmit set', () => {
    const req = encodeRequest(T)
    expect(req).toHaveLength(SNTP_PACKET_BYTES)
    expect(req[0]).toBe(0x23)
    expect(req.subarray(1, 40).every((b) => b === 0)).toBe(true)
    expect(req.subarray(40).toString('hex')).toBe(T_NTP)
  })

  it('decodes it back, keeping the Transmit bytes as the nonce', () => {
    expect(decodeRequest(encodeRequest(T, 3))).toEqual({
      version: 3,
      mode: 3,
      poll: 0,
      transmit: Buffer.from(T_NTP, 'hex'),
    })
  })

  it.each<[string, Buffer, string]>([
    ['47 bytes', Buffer.alloc(47), 'too_short'],
    ['version 0', Buffer.concat([Buffer.from([0x03]), Buffer.alloc(47, 1)]), 'bad_version'],
    ['version 5', Buffer.concat([Buffer.from([0x2b]), Buffer.alloc(47, 1)]), 'bad_version'],
    ['server mode', Buffer.concat([Buffer.from([0x24]), Buffer.alloc(47, 1)]), 'not_client_mode'],
    ['a zero Transmit', Buffer.concat([Buffer.from([0x23]), Buffer.alloc(47)]), 'zero_transmit'],
  ])('refuses %s', (_name, packet, why) => {
    expect(decodeRequest(packet)).toBe(why)
  })
})

describe('SNTP replies', () => {
  const req = decodeRequest(Buffer.from(encodeRequest(T)))
  if (typeof req === 'string') throw new Error(req)

  it('copies version and poll, sets mode 4, and echoes Transmit into Originate', () => {
    const reply = encodeReply({ ...req, poll: 6 }, clock, T + 1000, T + 1001)
    expect(reply[0]).toBe(0x24)
    expect(reply[1]).toBe(1)
    expect(reply.readInt8(2)).toBe(6)
    expect(reply.readInt8(3)).toBe(-20)
    expect(reply.readUInt32BE(4)).toBe(0)
    expect(reply.readUInt32BE(8)).toBe(Math.round(0.01 * 65536))
    expect(reply.subarray(12, 16).toString('latin1')).toBe('LOCL')
    expect(reply.subarray(24, 32).toString('hex')).toBe(T_NTP)
  })

  it('decodes what it encoded: T2 and T3 to the millisecond', () => {
    const got = decodeReply(encodeReply(req, clock, T + 1000, T + 1001))
    expect(got).toMatchObject({ leap: 0, version: 4, mode: 4, stratum: 1, refId: 'LOCL' })
    expect(got?.originate.toString('hex')).toBe(T_NTP)
    expect(got?.receiveMs).toBeCloseTo(T + 1000, 3)
    expect(got?.transmitMs).toBeCloseTo(T + 1001, 3)
  })

  it('clamps a poll outside a signed byte', () => {
    expect(encodeReply({ ...req, poll: 300 }, clock, T, T).readInt8(2)).toBe(127)
  })

  it('is not a reply when short or not in server mode', () => {
    expect(decodeReply(Buffer.alloc(47))).toBeUndefined()
    expect(decodeReply(encodeRequest(T))).toBeUndefined()
  })
})
