/**
 * What the UDP service holds in its memory budget for replies: a reply handed to an empty
 * send queue goes without a callback and is counted as sent, so after any burst the budget
 * holds only each socket's standing reservation (one largest reply, for the one reply that
 * may wait in libuv's queue unreserved), and nothing once the service has closed.
 */
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { decodeStatsReply, encodeStatsRequest } from '../../../../protocols/probe/packet.ts'
import { loadUdpConfig, udpConfigSpec } from '../../../../services/udp/config.ts'
import type { UdpStats } from '../../../../services/udp/counters.ts'
import { udpProtos } from '../../../../services/udp/handlers.ts'
import { startUdpService } from '../../../../services/udp/server.ts'
import { freePorts } from '../../../support/free-ports.ts'

describe('udp service: replies and the memory budget', () => {
  it('holds only the standing reservations through a burst of 2000 hello datagrams, and nothing after close', async () => {
    const config = loadUdpConfig({
      UDP_HOST: '127.0.0.1',
      ...freePorts(udpConfigSpec),
      UDP_WORKERS: '2',
      UDP_RATE_LIMIT_PPS: '1000000',
      UDP_RATE_LIMIT_BURST: '1000000',
      LOG_LEVEL: 'silent',
    })
    const svc = await startUdpService(config, createLogger('udp', 'silent'))
    let closed = false
    try {
      // per socket: twice the largest request with IP and UDP headers, and the send request
      const standing = svc.workers * udpProtos.length * (2 * (config.maxDatagramBytes + 28) + 256)
      expect(svc.budget.usedBytes).toBe(standing)

      const socket = createSocket('udp4')
      let replies = 0
      socket.on('message', () => replies++)
      socket.connect(svc.ports.hello, '127.0.0.1')
      await once(socket, 'connect')
      const payload = Buffer.alloc(1400, 0x61)
      // 50 at a time, each round once the last is answered: within the client's receive buffer
      for (let i = 0; i < 2000; i += 50) {
        for (let j = 0; j < 50; j++) socket.send(payload)
        const round = performance.now() + 2000
        while (replies < i + 50 && performance.now() < round) await delay(1)
      }
      const deadline = performance.now() + 3000
      while (replies < 2000 && performance.now() < deadline) await delay(10)
      socket.close()
      expect(replies).toBe(2000)
      expect(svc.budget.usedBytes).toBe(standing)

      const stats = await new Promise<UdpStats>((resolve, reject) => {
        const s = createSocket('udp4')
        s.once('message', (msg) => {
          s.close()
          const decoded = decodeStatsReply(msg)
          if (decoded && 'stats' in decoded) resolve(decoded.stats as UdpStats)
          else reject(new Error('no stats reply'))
        })
        s.send(encodeStatsRequest(1400), svc.ports.probe, '127.0.0.1')
      })
      expect(stats.replied.hello).toBe(2000)
      expect(stats.dropped.overBudget ?? 0).toBe(0)

      const summary = await svc.close()
      closed = true
      expect(summary.destroyed).toBe(0)
      expect(svc.budget.usedBytes).toBe(0)
    } finally {
      if (!closed) await svc.close()
    }
  })
})
