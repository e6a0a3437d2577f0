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

const hex = (s: string): Buffer => Buffer.from(s.replaceAll(/\s/g, ''), 'hex')

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

describe('SNTP: a request written by hand, byte for byte', () => {
  /** ntpd's client request: LI 3 (unsynchronised), VN 4, mode 3, poll 10, precision -6,
   * root delay and dispersion 1 s, and a Transmit fraction that is not a round number. */
  const request = hex(`
    e3 00 0a fa  00010000  00010000  00000000
    0000000000000000  0000000000000000  0000000000000000
    d3d6867c 12345678`)
  const received = T + 1000 // d3d6867d 80000000
  const sent = T + 1250 // d3d6867d c0000000

  it('reads version, mode, poll and the raw Transmit bytes', () => {
    expect(request).toHaveLength(48)
    expect(decodeRequest(request)).toEqual({
      version: 4,
      mode: 3,
      poll: 10,
      transmit: hex('d3d6867c12345678'),
    })
  })

  it('answers with exactly these 48 bytes: LI 0, VN 4, mode 4, Originate = the Transmit bytes', () => {
    const req = decodeRequest(request)
    if (typeof req === 'string') throw new Error(req)
    expect(encodeReply(req, clock, received, sent).toString('hex')).toBe(
      [
        '24 01 0a ec', // LI 0 (not the client's 3), VN 4, mode 4; stratum 1; poll 10; precision -20
        '00000000', // root delay
        '0000028f', // root dispersion: 10 ms = 655/65536 s
        '4c4f434c', // LOCL
        'd3d67e40 00000000', // Reference: 20:00:00, 2108.5 s before T
        'd3d6867c 12345678', // Originate: the request's Transmit, not re-rounded
        'd3d6867d 80000000', // Receive: T + 1 s
        'd3d6867d c0000000', // Transmit: T + 1.25 s
      ]
        .join('')
        .replaceAll(' ', ''),
    )
  })

  it('keeps the version of a version-3 request (0x1b) and orders Reference ≤ Receive ≤ Transmit', () => {
    const v3 = Buffer.from(request)
    v3[0] = 0x1b
    const req = decodeRequest(v3)
    if (typeof req === 'string') throw new Error(req)
    expect(req.version).toBe(3)
    const reply = encodeReply(req, clock, received, sent)
    expect(reply[0]).toBe(0x1c)
    const got = decodeReply(reply)
    expect(got).toMatchObject({ leap: 0, version: 3, mode: 4, stratum: 1 })
    const reference = readNtpTime(reply, 16)
    expect(reference).toBe(clock.referenceMs)
    expect(reference).toBeLessThanOrEqual(got?.receiveMs as number)
    expect(got?.receiveMs).toBeLessThanOrEqual(got?.transmitMs as number)
  })

  it.each<[string, Buffer, string]>([
    ['an empty datagram', Buffer.alloc(0), 'too_short'],
    ['a 12-byte RFC 868-sized probe', Buffer.alloc(12, 0x1b), 'too_short'],
    ['a mode 7 (ntpdc monlist) request', hex(`17 00 03 2a ${'00'.repeat(44)}`), 'not_client_mode'],
    ['a mode 6 (ntpq) control request', hex(`16 02 00 01 ${'00'.repeat(44)}`), 'not_client_mode'],
    ['a broadcast (mode 5) packet', Buffer.concat([hex('25'), Buffer.alloc(47, 7)]), 'not_client_mode'],
    ['ASCII text', Buffer.from('hello, is this the time server? '.repeat(2)), 'bad_version'],
  ])('refuses %s', (_name, packet, why) => {
    expect(decodeRequest(packet)).toBe(why)
  })

  it('reads only the first 48 bytes of a request with extension fields after them', () => {
    const longer = Buffer.concat([request, Buffer.alloc(20, 0xff)])
    expect(decodeRequest(longer)).toEqual(decodeRequest(request))
  })

  it('is not a reply when it is garbage: short, or a client or control packet', () => {
    expect(decodeReply(Buffer.alloc(0))).toBeUndefined()
    expect(decodeReply(request)).toBeUndefined()
    expect(decodeReply(hex(`16 82 00 01 ${'00'.repeat(44)}`))).toBeUndefined()
  })
})

describe('NTP timestamps around the end of era 0 (2036-02-07 06:28:16 UTC)', () => {
  const WRAP = Date.UTC(2036, 1, 7, 6, 28, 16)
  const ntp = (unixMs: number) => {
    const buf = Buffer.alloc(8)
    writeNtpTime(buf, 0, unixMs)
    return buf.toString('hex')
  }

  it.each<[string, number, string]>([
    ['half a second before the wrap', WRAP - 500, 'ffffffff80000000'],
    ['the wrap itself', WRAP, '0000000000000000'],
    ['a second and a half after it', WRAP + 1500, '0000000180000000'],
    ['the top bit boundary, 1968-01-20 03:14:08', Date.UTC(1968, 0, 20, 3, 14, 8), '8000000000000000'],
    [
      'the last second of era 1 that reads back, 2104-02-26 09:42:23',
      Date.UTC(2104, 1, 26, 9, 42, 23),
      '7fffffff00000000',
    ],
  ])('writes %s (Unix ms %d) as %s and reads it back', (_name, unixMs, hexTime) => {
    expect(ntp(unixMs)).toBe(hexTime)
    expect(readNtpTime(hex(hexTime), 0)).toBe(unixMs)
  })

  it('computes offset and delay across the wrap: T1 in era 0, T2..T4 in era 1', () => {
    const req = decodeRequest(encodeRequest(WRAP - 250)) // T1 = ffffffff c0000000
    if (typeof req === 'string') throw new Error(req)
    expect(req.transmit.toString('hex')).toBe('ffffffffc0000000')
    const got = decodeReply(encodeReply(req, clock, WRAP + 250, WRAP + 500))
    if (got === undefined) throw new Error('not a reply')
    const t1 = readNtpTime(got.originate, 0)
    expect([t1, got.receiveMs, got.transmitMs]).toEqual([WRAP - 250, WRAP + 250, WRAP + 500])
    // the client receives at WRAP + 750: the server is 125 ms ahead, 750 ms on the wire
    expect(offsetAndDelay(t1, got.receiveMs, got.transmitMs, WRAP + 750)).toEqual({
      offsetMs: 125,
      delayMs: 750,
    })
  })
})
