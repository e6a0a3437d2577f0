/**
 * Hostile: the UDP service flooded with the largest datagrams its documented limits allow,
 * from the host across the container network, with every per-datagram limit at its maximum
 * (UDP_MAX_DATAGRAM_BYTES 65507, the per-source rate limit at 1 000 000/s): only the memory
 * budget (3/8 of 512 MiB over replies waiting to be sent) and the kernel's socket buffers
 * stand between a flood and the heap.
 *
 * - 4000 datagrams of 64 KiB to hello, each answered with 64 KiB, from 8 sockets at once;
 * - 40 000 datagrams of 1472 bytes to all five ports, garbage to SNTP and the probe port.
 *
 * Each attack must leave the probe port answering during and after it, the service not
 * restarted or OOM-killed and under its memory limit; drops are counted by reason.
 */
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeProbeReply,
  decodeStatsReply,
  encodeProbe,
  encodeStatsRequest,
} from '../../../protocols/probe/packet.ts'
import type { UdpStats } from '../../../services/udp/counters.ts'
import { type AttackResult, runAttack } from '../../support/hostile/attack.ts'
import { outcome } from '../../support/hostile/attack-report.ts'
import { type Lab, startLab } from '../../support/lab.ts'

const HOST = '127.0.0.1'
const MAX_DATAGRAM = 65_507
const SENDERS = 8
/** datagrams a sender keeps in flight */
const WINDOW = 32

/**
 * flood sends `total` datagrams from SENDERS sockets to `ports` (round robin), as fast as the
 * sockets take them, until done or `signal` aborts; resolves how many were sent and how many
 * replies came back.
 */
async function flood(
  ports: readonly number[],
  payload: (i: number) => Buffer,
  total: number,
  signal: AbortSignal,
): Promise<{ sent: number; replies: number }> {
  let sent = 0
  let replies = 0
  const sockets: Socket[] = []
  try {
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        const socket = createSocket('udp4')
        sockets.push(socket)
        socket.on('message', () => {
          replies++
        })
        socket.on('error', () => undefined)
        socket.bind(0, HOST)
        await once(socket, 'listening')
        let inFlight = 0
        while (sent < total && !signal.aborted) {
          if (inFlight >= WINDOW) {
            await yieldToLoop()
            continue
          }
          const i = sent++
          inFlight++
          socket.send(payload(i), ports[i % ports.length], HOST, () => {
            inFlight--
          })
        }
      }),
    )
    await sleep(1000) // the last replies
    return { sent, replies }
  } finally {
    for (const socket of sockets) socket.close()
  }
}

describe('hostile: udp', { timeout: 60_000 }, () => {
  let lab: Lab
  const port = (p: number) => lab.hostPort('udp', p, 'udp')
  beforeAll(async () => {
    // started while another hostile file may be attacking: give it time
    lab = await startLab(['udp'], {
      startupTimeoutMs: 90_000,
      env: {
        udp: {
          LOG_LEVEL: 'warn',
          UDP_MAX_DATAGRAM_BYTES: String(MAX_DATAGRAM),
          UDP_RATE_LIMIT_PPS: '1000000',
          UDP_RATE_LIMIT_BURST: '1000000',
        },
      },
    })
  })
  afterAll(() => lab?.stop())

  const stats = async (): Promise<UdpStats> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const [reply] = await lab.udp('udp', 9000, encodeStatsRequest(1400), 1000)
      const decoded = reply && decodeStatsReply(reply)
      if (decoded && 'stats' in decoded) return decoded.stats as UdpStats
    }
    throw new Error('no stats reply')
  }

  /** a sequenced probe on the probe port comes back with its session */
  const probe = async () => {
    const session = Math.floor(Math.random() * 2 ** 32)
    const replies = await lab.udp('udp', 9000, encodeProbe(1, session, Date.now()), 1000)
    return replies.some((r) => decodeProbeReply(r)?.session === session)
  }

  /** the table's figures: replies served, drops by the service's reason, the rest lost */
  const figures = (before: UdpStats, after: UdpStats, sent: number, replies: number): AttackResult => {
    const refused: Record<string, number> = {}
    let counted = 0
    for (const [reason, n] of Object.entries(after.dropped)) {
      const delta = n - (before.dropped[reason as keyof UdpStats['dropped']] ?? 0)
      if (delta > 0) refused[`dropped ${reason}`] = delta
      counted += delta
    }
    const lost = sent - replies - counted
    if (lost > 0) refused['lost (kernel buffers)'] = lost
    return { sent, served: replies, refused }
  }

  it('4000 datagrams of 64 KiB to hello from 8 sockets, each answered with 64 KiB', async () => {
    const datagram = Buffer.alloc(MAX_DATAGRAM - 8, 0x61) // "Hello, " + it + "!" is the largest reply
    const before = await stats()
    const row = await runAttack({
      service: 'udp',
      attack: '4000 x 64 KiB to hello (64 KiB replies)',
      container: lab.container('udp').getId(),
      deadlineMs: 20_000,
      probe,
      run: async (signal) => {
        const { sent, replies } = await flood([port(9999)], () => datagram, 4000, signal)
        return figures(before, await stats(), sent, replies)
      },
    })
    expect(outcome(row)).toBe('ok')
    expect(row.served).toBeGreaterThan(0)
  })

  it('40 000 datagrams of 1472 bytes to all five ports, garbage to SNTP and probe', async () => {
    const ports = [20000, 9999, 37, 123, 9000].map(port)
    const garbage = Buffer.alloc(1472, 0xff)
    const before = await stats()
    const row = await runAttack({
      service: 'udp',
      attack: '40 000 x 1472 B to every port',
      container: lab.container('udp').getId(),
      deadlineMs: 20_000,
      probe,
      run: async (signal) => {
        const { sent, replies } = await flood(ports, () => garbage, 40_000, signal)
        return figures(before, await stats(), sent, replies)
      },
    })
    expect(outcome(row)).toBe('ok')
    expect(row.refused['dropped malformed']).toBeGreaterThan(0)
  })
})
