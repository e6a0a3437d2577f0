/**
 * Seed 001's udpServer on the threaded UDP service, in-process on ports the OS picks: the
 * seed's exact reply to every datagram, and the reply-size rule that drops requests under
 * 4 bytes (the seed's empty-datagram case included), counted as `tooShort`.
 */
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { decodeStatsReply, encodeStatsRequest } from '../../../../protocols/probe/packet.ts'
import { UDP_ACK_MIN_REQUEST_BYTES } from '../../../../protocols/seed-replies.ts'
import { loadUdpConfig, udpConfigSpec } from '../../../../services/udp/config.ts'
import type { UdpStats } from '../../../../services/udp/counters.ts'
import { createHandlers } from '../../../../services/udp/handlers.ts'
import { startUdpService, type UdpService } from '../../../../services/udp/server.ts'
import { freePorts } from '../../../support/free-ports.ts'

const ACK = 'tcpServer has received your message'
const clock = { stratum: 1, refId: 'LOCL', precision: -20, rootDispersionMs: 1, referenceMs: 0 }

/** exchange sends each payload from one connected socket (as the seed's client does) and collects replies. */
async function exchange(port: number, payloads: readonly Buffer[], waitMs = 200): Promise<string[]> {
  const socket = createSocket('udp4')
  const replies: string[] = []
  socket.on('message', (msg) => replies.push(msg.toString('latin1')))
  try {
    socket.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    for (const p of payloads) socket.send(p)
    await delay(waitMs)
    return replies
  } finally {
    socket.close()
  }
}

describe('udp ack handler', () => {
  const handlers = createHandlers(clock, () => ({}))

  it('answers the seed client datagram with the seed bytes', () => {
    expect(String(handlers.ack(Buffer.from('hello, tcpServer!'), 0))).toBe(ACK)
  })

  it('needs 4 bytes: reply + 28 <= 2 × (request + 28)', () => {
    expect(UDP_ACK_MIN_REQUEST_BYTES).toBe(4)
    expect(ACK.length + 28).toBeLessThanOrEqual(2 * (4 + 28))
    expect(ACK.length + 28).toBeGreaterThan(2 * (3 + 28))
    for (const n of [0, 1, 2, 3]) expect(handlers.ack(Buffer.alloc(n, 0x61), 0)).toBe('tooShort')
    expect(String(handlers.ack(Buffer.from([0, 0xff, 0x80, 1]), 0))).toBe(ACK)
  })
})

describe('udp service: ack port', () => {
  let svc: UdpService
  beforeAll(async () => {
    const config = loadUdpConfig({
      UDP_HOST: '127.0.0.1',
      ...freePorts(udpConfigSpec),
      UDP_WORKERS: '1',
      LOG_LEVEL: 'silent',
    })
    svc = await startUdpService(config, createLogger('udp', 'silent'))
    return async () => {
      await svc.close()
    }
  })

  it('answers every datagram of 4 bytes or more, binary too, and drops shorter ones', async () => {
    const replies = await exchange(svc.ports.ack, [
      Buffer.from('hello, tcpServer!'),
      Buffer.alloc(0),
      Buffer.from('abc'),
      Buffer.from([0xff, 0xfe, 0, 1]),
    ])
    expect(replies).toEqual([ACK, ACK])
    const [statsText] = await exchange(svc.ports.probe, [encodeStatsRequest(1400)])
    const decoded = statsText === undefined ? undefined : decodeStatsReply(Buffer.from(statsText, 'latin1'))
    if (!decoded || !('stats' in decoded)) throw new Error('no stats reply')
    const stats = decoded.stats as UdpStats
    expect(stats.received.ack).toBe(4)
    expect(stats.replied.ack).toBe(2)
    expect(stats.dropped.tooShort).toBe(2)
  })

  it('drops datagrams over UDP_MAX_DATAGRAM_BYTES unanswered', async () => {
    expect(await exchange(svc.ports.ack, [Buffer.alloc(1473, 0x61)])).toEqual([])
    expect(await exchange(svc.ports.ack, [Buffer.alloc(1472, 0x61)])).toEqual([ACK])
  })
})
