/**
 * The data path's bounds, over loopback with real sockets: what one datagram may become and
 * what the UDP relay holds (both in the memory budget), the TCP connect and idle timeouts,
 * the budget's reserve per TCP connection and its pause of reading, and a name whose DNS
 * answer moves outside the lab after the proxy was created (refused at connect, never
 * connected to). Each test also checks that the budget is back to zero: nothing leaks.
 */
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { MemoryBudget } from '../../../../lib/memory-budget.ts'
import { CONNECTION_RESERVE_BYTES, type TcpCounters } from '../../../../services/faults/tcp-proxy.ts'
import { DATAGRAM_OVERHEAD_BYTES } from '../../../../services/faults/udp-fanout.ts'
import { type Lookup, parseAllowEntry, UpstreamPolicy } from '../../../../services/faults/upstream-policy.ts'
import { type Harness, startHarness } from '../../../support/faults-harness.ts'
import { connectClient } from '../../../support/test-client.ts'

const KiB = 1024

/** until polls `done` every 10 ms for up to `ms`; false if it never held */
async function until(done: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = performance.now() + ms
  while (!done()) {
    if (performance.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

const memory = (h: Harness) => h.registry.stats().memory
const tcpCounters = (h: Harness, proxy: string) =>
  h.registry.stats().proxies[proxy]?.counters as TcpCounters | undefined

/** a UDP client that sends `payloads` to a proxy port */
async function sendDatagrams(port: number, payloads: Buffer[]): Promise<void> {
  const s = createSocket('udp4')
  onTestFinished(() => {
    s.close()
  })
  s.connect(port, '127.0.0.1')
  await once(s, 'connect')
  for (const p of payloads) s.send(p)
}

describe('UDP proxy: fan-out and held datagrams in the memory budget', () => {
  it('sends one datagram as the product of its duplicates (909), then gives the budget back', async () => {
    const h = await startHarness()
    const port = await h.proxy('u', 'udp', h.udpEcho)
    for (const [name, copies] of [
      ['d0', 100],
      ['d1', 8],
    ] as const)
      await h.call('POST', '/proxies/u/toxics', {
        name,
        type: 'duplicate',
        stream: 'upstream',
        attributes: { copies },
      })
    await sendDatagrams(port, [Buffer.from('x')])
    const udp = h.registry.get('u').udp
    expect(await until(() => (udp?.counters.sent ?? 0) >= 909)).toBe(true)
    expect(await until(() => memory(h).usedBytes === 0)).toBe(true)
    expect(memory(h).peakBytes).toBe(909 * (1 + DATAGRAM_OVERHEAD_BYTES))
  })

  it('drops a datagram whose fan-out the budget cannot hold, and relays one that fits', async () => {
    const h = await startHarness({}, { budget: MemoryBudget.create(1024 * KiB) })
    const port = await h.proxy('u', 'udp', h.udpEcho)
    await h.call('POST', '/proxies/u/toxics', {
      name: 'd0',
      type: 'duplicate',
      stream: 'upstream',
      attributes: { copies: 100 },
    })
    await h.call('POST', '/proxies/u/toxics', {
      name: 'd1',
      type: 'duplicate',
      stream: 'upstream',
      attributes: { copies: 8 },
    })
    // 909 copies of 2000 bytes (+ overhead) is about 2 MB: more than the 1 MiB budget
    await sendDatagrams(port, [Buffer.alloc(2000)])
    const udp = h.registry.get('u').udp
    expect(await until(() => udp?.counters.budgetDropped === 1)).toBe(true)
    expect(udp?.counters.sent).toBe(0)
    await sendDatagrams(port, [Buffer.alloc(100)]) // 909 × 356 bytes fits
    expect(await until(() => (udp?.counters.sent ?? 0) >= 909)).toBe(true)
    expect(await until(() => memory(h).usedBytes === 0)).toBe(true)
    expect(memory(h).peakBytes).toBeLessThanOrEqual(1024 * KiB)
  })

  it('keeps held datagrams in the budget until they leave, and releases them when the proxy closes', async () => {
    const h = await startHarness()
    const port = await h.proxy('u', 'udp', h.udpEcho)
    await h.call('POST', '/proxies/u/toxics', {
      type: 'latency',
      stream: 'upstream',
      attributes: { latency: 60_000 },
    })
    await sendDatagrams(port, [Buffer.alloc(1000), Buffer.alloc(1000), Buffer.alloc(1000)])
    expect(await until(() => memory(h).usedBytes === 3 * (1000 + DATAGRAM_OVERHEAD_BYTES))).toBe(true)
    expect(h.registry.get('u').udp?.held).toBe(3)
    await h.call('POST', '/proxies/u', { enabled: false })
    expect(memory(h).usedBytes).toBe(0)
  })
})

describe('TCP proxy: timeouts', () => {
  it('closes the client when the upstream does not answer within FAULTS_TCP_CONNECT_TIMEOUT_MS', async () => {
    const hang: Lookup = () => new Promise(() => undefined)
    const policy = new UpstreamPolicy({
      topology: { networks: [], gateways: [] },
      allowed: [parseAllowEntry('hang.test')].filter((e) => e !== undefined),
      lookup: hang,
    })
    const h = await startHarness({ tcpConnectTimeoutMs: 300 }, { policy })
    const created = await h.call('POST', '/proxies', {
      name: 't',
      listen: '127.0.0.1:0',
      upstream: 'hang.test:80',
    })
    const port = Number((created.body as { listen: string }).listen.split(':')[1])
    const c = await connectClient(port)
    const t0 = performance.now()
    expect(await c.readToEnd(3000)).toBe('')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
    expect(await until(() => tcpCounters(h, 't')?.connectTimeouts === 1)).toBe(true)
    expect(await until(() => memory(h).usedBytes === 0)).toBe(true)
  })

  it('closes the client when the upstream refuses, and counts it as upstreamFailed', async () => {
    const h = await startHarness()
    const closed = createServer()
    closed.listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r())) // nothing listens there now
    const proxyPort = await h.proxy('t', 'tcp', port)
    const c = await connectClient(proxyPort)
    expect(await c.readToEnd(3000)).toBe('')
    expect(await until(() => tcpCounters(h, 't')?.upstreamFailed === 1)).toBe(true)
    expect(await until(() => memory(h).usedBytes === 0)).toBe(true)
  })

  it('closes a connection on which nothing moved for FAULTS_TCP_IDLE_TIMEOUT_MS, not a busy one', async () => {
    const h = await startHarness({ tcpIdleTimeoutMs: 300 })
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    const busy = await connectClient(port)
    const idle = await connectClient(port)
    idle.write('once')
    expect((await idle.readBytes(4)).toString()).toBe('once')
    const t0 = performance.now()
    for (let i = 0; i < 8; i++) {
      busy.write(`${i}`)
      expect((await busy.readBytes(1)).toString()).toBe(`${i}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await idle.readToEnd(2000)).toBe('')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200)
    busy.write('still here')
    expect((await busy.readBytes(10)).toString()).toBe('still here')
    expect(await until(() => tcpCounters(h, 'echo')?.idleTimeouts === 1)).toBe(true)
  })
})

describe('TCP proxy: the memory budget', () => {
  it(`reserves ${CONNECTION_RESERVE_BYTES / KiB} KiB per connection: beyond the budget a new connection is closed at once`, async () => {
    const h = await startHarness({}, { budget: MemoryBudget.create(4 * CONNECTION_RESERVE_BYTES) })
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    const open = await Promise.all([0, 1, 2, 3].map(() => connectClient(port)))
    for (const [i, c] of open.entries()) {
      c.write(`c${i}`)
      expect((await c.readBytes(2)).toString()).toBe(`c${i}`)
    }
    const fifth = await connectClient(port)
    expect(await fifth.readToEnd(2000)).toBe('')
    expect(h.registry.stats().proxies.echo?.counters).toMatchObject({ accepted: 4, budgetRefused: 1 })
    open[0]?.destroy()
    expect(await until(() => memory(h).usedBytes === 3 * CONNECTION_RESERVE_BYTES)).toBe(true)
    const again = await connectClient(port)
    again.write('ok')
    expect((await again.readBytes(2)).toString()).toBe('ok')
  })

  it('pauses reading when the budget is full (a client that does not read, a toxic holding), and loses nothing', async () => {
    const limit = 1024 * KiB
    const h = await startHarness(
      { maxBufferedBytes: 16 * 1024 * KiB },
      { budget: MemoryBudget.create(limit) },
    )
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', {
      name: 'hold',
      type: 'timeout',
      attributes: { timeout: 0 },
    })
    const client: Socket = connect(port, '127.0.0.1')
    onTestFinished(() => {
      client.destroy()
    })
    await once(client, 'connect')
    client.pause()
    const sent = Buffer.alloc(4 * 1024 * KiB, 'abcdefgh')
    client.write(sent)
    // the proxy fills the budget, then stops reading: the rest waits in kernel buffers
    expect(await until(() => memory(h).refusals > 0, 5000)).toBe(true)
    expect(memory(h).peakBytes).toBeLessThanOrEqual(limit)
    await h.call('DELETE', '/proxies/echo/toxics/hold')
    const chunks: Buffer[] = []
    let got = 0
    client.on('data', (c: Buffer) => {
      chunks.push(c)
      got += c.length
    })
    client.resume()
    expect(await until(() => got >= sent.length, 10_000)).toBe(true)
    expect(Buffer.concat(chunks).equals(sent)).toBe(true)
    expect(memory(h).peakBytes).toBeLessThanOrEqual(limit)
    client.destroy()
    expect(await until(() => memory(h).usedBytes === 0)).toBe(true)
  })
})

describe('TCP proxy: a name whose DNS answer leaves the lab', () => {
  it('is refused at connect time, and the new address is never connected to', async () => {
    let connections = 0
    const outside = createServer((s) => {
      connections++
      s.destroy()
    })
    outside.listen(0, '127.0.0.2')
    await once(outside, 'listening')
    onTestFinished(() => new Promise<void>((r) => outside.close(() => r())))
    const outsidePort = (outside.address() as AddressInfo).port
    const table: Record<string, string[]> = { svc: ['127.0.0.1'] }
    const policy = new UpstreamPolicy({
      topology: { networks: [], gateways: [] },
      allowed: [parseAllowEntry('127.0.0.1')].filter((e) => e !== undefined),
      lookup: async (host) => table[host] ?? [],
    })
    const h = await startHarness({}, { policy })
    const created = await h.call('POST', '/proxies', {
      name: 't',
      listen: '127.0.0.1:0',
      upstream: `svc:${outsidePort}`,
    })
    expect(created.status).toBe(201)
    table.svc = ['127.0.0.2']
    const port = Number((created.body as { listen: string }).listen.split(':')[1])
    const c = await connectClient(port)
    expect(await c.readToEnd(3000)).toBe('')
    expect(await until(() => tcpCounters(h, 't')?.upstreamRefused === 1)).toBe(true)
    expect(connections).toBe(0)
  })
})
