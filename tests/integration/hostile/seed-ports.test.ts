/**
 * Hostile input against the seeds' ports on the TCP and UDP services, each attack at the
 * worst its limits allow over many connections at once, one attack after the other, the
 * containers watched (memory, restarts, OOM):
 *   welcome  connections that never speak hold a slot each until TCP_WELCOME_TIMEOUT_MS closes them
 *   hello    64 KiB sends that are never read back (reading pauses after one message's worth),
 *            and binary messages (ERR BAD_UTF8, then close)
 *   ack      1 MiB sends from clients that never read
 *   udp ack  datagrams under the reply-size rule's 4 bytes, over UDP_MAX_DATAGRAM_BYTES, and a
 *            burst past the per-source rate limit
 * Each must leave the service answering a normal request during and after; one row each goes
 * to the hostile report (attack-report.ts).
 */

import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest'
import { helloSession, welcomeExchange } from '../../../clients/cli/net/seed-tcp.ts'
import { exchange } from '../../../clients/cli/net/tcp-client.ts'
import { decodeStatsReply, encodeStatsRequest } from '../../../protocols/probe/packet.ts'
import type { UdpStats } from '../../../services/udp/counters.ts'
import { recordAttack } from '../../support/hostile/attack-report.ts'
import { type ContainerVerdict, watchContainer } from '../../support/hostile/container-watch.ts'
import { type Lab, startLab } from '../../support/lab.ts'

const ACK = 'tcpServer has received your message'

/** A deadline for a normal request made while an attack runs (the machine may be loaded). */
const PATIENCE_MS = 15_000

/** opened resolves with `n` connections to a port, each with its bytes received counted. */
async function opened(
  port: number,
  n: number,
): Promise<
  { socket: Socket; got: () => Buffer; closed: Promise<void>; openedAt: number; closedAt: number }[]
> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const openedAt = performance.now() // before the SYN: the server's accept comes after
      const socket = connect({ host: '127.0.0.1', port })
      const chunks: Buffer[] = []
      socket.on('data', (c: Buffer) => chunks.push(c))
      socket.on('error', () => undefined)
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve)
        socket.once('error', reject)
      })
      const c = {
        socket,
        got: () => Buffer.concat(chunks),
        openedAt,
        closedAt: Number.POSITIVE_INFINITY,
        closed: Promise.resolve(),
      }
      c.closed = new Promise<void>((resolve) =>
        socket.once('close', () => {
          c.closedAt = performance.now()
          resolve()
        }),
      )
      return c
    }),
  )
}

const ok = (expect: ExpectStatic, verdict: ContainerVerdict) => {
  expect(verdict).toMatchObject({ oomKilled: false, running: true })
  expect(verdict.restarts).toBe(verdict.restartsBefore)
  if (verdict.limitBytes > 0) expect(verdict.peakBytes).toBeLessThan(verdict.limitBytes)
}

describe('hostile: the seed ports', { timeout: 60_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    // A low UDP rate limit, so the burst below goes past it however slowly a loaded machine sends.
    lab = await startLab(['tcp', 'udp'], {
      env: { tcp: { TCP_WORKERS: '2' }, udp: { UDP_RATE_LIMIT_PPS: '200', UDP_RATE_LIMIT_BURST: '100' } },
    })
  })
  afterAll(() => lab?.stop())

  const tcpTarget = (port: number) => ({ host: '127.0.0.1', port: lab.hostPort('tcp', port) })
  const welcomeOk = async () =>
    (
      await welcomeExchange(tcpTarget(8001), Buffer.from('1'), { sleepMs: 0, timeoutMs: PATIENCE_MS })
    ).reply.toString() === 'welcome to server!'
  const helloOk = async () =>
    (await helloSession(tcpTarget(9997), ['Michael'], PATIENCE_MS)).replies[0] === 'Hello, Michael!'

  it('welcome: 200 silent connections are each closed at the timeout; others are answered meanwhile', async ({
    expect,
  }) => {
    const watch = await watchContainer(lab.container('tcp').getId())
    const silent = await opened(lab.hostPort('tcp', 8001), 200)
    const answeredDuring = await welcomeOk()
    await Promise.all(silent.map((c) => c.closed))
    const answeredAfter = await welcomeOk()
    const verdict = await watch.stop()
    const sentNothing = silent.filter((c) => c.got().length === 0).length
    recordAttack({
      service: 'tcp',
      attack: 'welcome: 200 connections that never speak',
      sent: silent.length,
      refused: { 'closed at timeout': sentNothing },
      served: Number(answeredDuring) + Number(answeredAfter),
      verdict,
      answeredDuring,
      answeredAfter,
    })
    expect(sentNothing).toBe(200)
    // the server's clock starts at its accept, after the client began to connect
    const lifetimes = silent.map((c) => c.closedAt - c.openedAt)
    expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(5000)
    expect(Math.max(...lifetimes)).toBeLessThan(5000 + PATIENCE_MS)
    expect([answeredDuring, answeredAfter]).toEqual([true, true])
    ok(expect, verdict)
  })

  it('hello: 100 clients send 64 KiB and never read, 30 send binary; others are answered', async ({
    expect,
  }) => {
    const watch = await watchContainer(lab.container('tcp').getId())
    const port = lab.hostPort('tcp', 9997)
    const hogs = await opened(port, 100)
    for (const h of hogs) h.socket.write(Buffer.alloc(64 * 1024, 0x61))
    const binary = await opened(port, 30)
    for (const b of binary) b.socket.write(Buffer.from([0xc3, 0x28, 0xff, 0xfe]))
    const answeredDuring = await helloOk()
    await Promise.all(binary.map((b) => b.closed))
    const badUtf8 = binary.filter(
      (b) => b.got().toString() === 'Welcome!ERR BAD_UTF8 message is not valid UTF-8; closing\n',
    ).length
    for (const h of hogs) h.socket.destroy()
    const answeredAfter = await helloOk()
    const verdict = await watch.stop()
    recordAttack({
      service: 'tcp',
      attack: 'hello: 64 KiB unread x100, binary x30',
      sent: hogs.length + binary.length,
      refused: { BAD_UTF8: badUtf8 },
      served: Number(answeredDuring) + Number(answeredAfter),
      verdict,
      answeredDuring,
      answeredAfter,
    })
    expect(badUtf8).toBe(30)
    expect([answeredDuring, answeredAfter]).toEqual([true, true])
    ok(expect, verdict)
  })

  it('ack: 20 clients send 1 MiB each and never read; others are answered', async ({ expect }) => {
    const watch = await watchContainer(lab.container('tcp').getId())
    const hogs = await opened(lab.hostPort('tcp', 50000), 20)
    for (const h of hogs) h.socket.write(Buffer.alloc(1024 * 1024, 0x00))
    await delay(500)
    const ackOk = async () =>
      (await exchange(tcpTarget(50000), Buffer.from('hi'), PATIENCE_MS)).toString() === ACK
    const answeredDuring = await ackOk()
    for (const h of hogs) h.socket.destroy()
    const answeredAfter = await ackOk()
    const verdict = await watch.stop()
    recordAttack({
      service: 'tcp',
      attack: 'ack: 1 MiB unread x20',
      sent: hogs.length,
      refused: {},
      served: Number(answeredDuring) + Number(answeredAfter),
      verdict,
      answeredDuring,
      answeredAfter,
    })
    expect([answeredDuring, answeredAfter]).toEqual([true, true])
    ok(expect, verdict)
  })

  it('udp ack: too short, oversized and over the rate limit are dropped and counted; then it answers', async ({
    expect,
  }) => {
    const watch = await watchContainer(lab.container('udp').getId())
    const stats = async () => {
      const [reply] = await lab.udp('udp', 9000, encodeStatsRequest(1400))
      const decoded = reply && decodeStatsReply(reply)
      if (!decoded || !('stats' in decoded)) throw new Error('no stats reply')
      return decoded.stats as UdpStats
    }
    const before = await stats()
    // 500 + 500 + 3000 datagrams in batches of 50 every 10 ms: far faster than this lab's
    // per-source bucket refills (200/s, burst 100), gently enough for the kernel's socket
    // buffers. (On a loaded machine some may still be lost before the server sees them.)
    const socket = createSocket('udp4')
    socket.on('message', () => undefined)
    socket.connect(lab.hostPort('udp', 50001, 'udp'), '127.0.0.1')
    await once(socket, 'connect')
    const payloads = [
      ...Array.from({ length: 500 }, () => Buffer.from('abc')),
      ...Array.from({ length: 500 }, () => Buffer.alloc(2000, 0x61)),
      ...Array.from({ length: 3000 }, () => Buffer.from('flood')),
    ]
    for (let i = 0; i < payloads.length; i += 50) {
      for (const p of payloads.slice(i, i + 50)) socket.send(p)
      await delay(10)
    }
    await delay(1000) // replies flushed, and the source's bucket refilled (100 at 200/s)
    socket.close()
    const answeredAfter =
      (await lab.udp('udp', 50001, Buffer.from('hello, tcpServer!'))).map(String)[0] === ACK
    const after = await stats()
    const verdict = await watch.stop()
    const dropped = (k: keyof UdpStats['dropped']) => after.dropped[k] - before.dropped[k]
    const received = after.received.ack - before.received.ack
    const replied = after.replied.ack - before.replied.ack
    recordAttack({
      service: 'udp',
      attack: 'ack: 3 B x500, 2000 B x500, 5 B x3000 in 0.8 s',
      sent: payloads.length,
      refused: {
        tooShort: dropped('tooShort'),
        oversize: dropped('oversize'),
        RATE_LIMITED: dropped('rateLimited'),
      },
      served: replied,
      verdict,
      answeredDuring: replied > 0,
      answeredAfter,
    })
    // What the kernel delivers on a loaded machine varies; what the server does with it may not.
    expect(received).toBeGreaterThan(0)
    expect(dropped('tooShort') + dropped('oversize') + dropped('rateLimited')).toBeGreaterThan(0)
    expect(replied).toBeLessThanOrEqual(3000) // only the 5-byte datagrams earn a reply
    // every datagram the server saw was answered, or dropped with a count
    expect(received).toBe(replied + dropped('tooShort') + dropped('oversize') + dropped('rateLimited'))
    expect(answeredAfter).toBe(true)
    ok(expect, verdict)
  })

  it('logged no error or fatal line through all of it (a client mistake is info)', async ({ expect }) => {
    for (const service of ['tcp', 'udp'] as const) {
      const bad = (await lab.logs(service)).filter((l) => l.level === 'error' || l.level === 'fatal')
      expect(bad).toEqual([])
    }
  })
})
