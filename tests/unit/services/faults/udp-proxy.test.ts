/**
 * The UDP relay over loopback: a real UDP echo upstream behind the proxy, toxics added
 * through the API (seeded RNG), datagrams counted by a real client socket.
 */
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startHarness } from '../../../support/faults-harness.ts'

interface UdpClient {
  readonly socket: Socket
  readonly replies: Buffer[]
  /** sends each payload, then collects replies until `count` arrived or `waitMs` passed */
  exchange(payloads: readonly Buffer[], count: number, waitMs?: number): Promise<Buffer[]>
}

async function udpClient(port: number): Promise<UdpClient> {
  const socket = createSocket('udp4')
  onTestFinished(() => {
    socket.close()
  })
  const replies: Buffer[] = []
  let wake: (() => void) | undefined
  socket.on('message', (m) => {
    replies.push(m)
    wake?.()
  })
  socket.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  return {
    socket,
    replies,
    async exchange(payloads, count, waitMs = 1000) {
      for (const p of payloads) socket.send(p)
      const deadline = performance.now() + waitMs
      while (replies.length < count && performance.now() < deadline) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.max(1, deadline - performance.now()))
          wake = () => {
            clearTimeout(t)
            r()
          }
        })
      }
      return replies.splice(0)
    },
  }
}

const numbered = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(String(i).padStart(4, '0')))

describe('UDP proxy', () => {
  it('relays datagrams both ways, a zero-length one included', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    const got = await c.exchange([Buffer.from('hello'), Buffer.alloc(0)], 2)
    expect(got.map((b) => b.toString())).toEqual(['hello', ''])
  })

  it('loss with toxicity 0.2 upstream drops about a fifth of 1000 datagrams', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    await h.call('POST', '/proxies/u/toxics', { type: 'loss', stream: 'upstream', toxicity: 0.2 })
    const got: Buffer[] = []
    // in batches, so the loopback socket buffers never overflow
    for (let i = 0; i < 10; i++) got.push(...(await c.exchange(numbered(100), 100, 150)))
    const loss = 1 - got.length / 1000
    expect(loss).toBeGreaterThan(0.15)
    expect(loss).toBeLessThan(0.25)
    expect(h.registry.get('u').udp?.counters.dropped).toBe(1000 - got.length)
  })

  it('duplicate sends `copies` extra datagrams downstream', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    await h.call('POST', '/proxies/u/toxics', { type: 'duplicate', attributes: { copies: 2 } })
    expect((await c.exchange([Buffer.from('x')], 3)).map(String)).toEqual(['x', 'x', 'x'])
  })

  it('reorder holds datagrams back so later ones overtake them', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    await h.call('POST', '/proxies/u/toxics', { type: 'reorder', toxicity: 0.5, attributes: { delay: 50 } })
    const got = (await c.exchange(numbered(100), 100, 2000)).map(String)
    expect([...got].sort()).toEqual(numbered(100).map(String))
    expect(got).not.toEqual(numbered(100).map(String))
  })

  it('corrupt changes one byte of each datagram', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    await h.call('POST', '/proxies/u/toxics', { type: 'corrupt', stream: 'upstream' })
    const sent = Buffer.alloc(32)
    const [got] = await c.exchange([sent], 1)
    expect(got?.length).toBe(32)
    expect(got?.filter((b) => b !== 0)).toHaveLength(1)
  })

  it('latency holds every datagram at least `latency` ms', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    await h.call('POST', '/proxies/u/toxics', { type: 'latency', attributes: { latency: 150 } })
    const t0 = performance.now()
    expect(await c.exchange([Buffer.from('a')], 1)).toHaveLength(1)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145)
  })

  it('rate drops what is over `packets` per second', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    await h.call('POST', '/proxies/u/toxics', {
      type: 'rate',
      stream: 'upstream',
      attributes: { packets: 20 },
    })
    const got = await c.exchange(numbered(50), 50, 500)
    expect(got.length).toBeGreaterThanOrEqual(20)
    expect(got.length).toBeLessThan(35)
  })

  it('refuses new clients past FAULTS_MAX_UDP_SESSIONS and keeps serving the others', async () => {
    const h = await startHarness()
    const port = await h.proxy('u', 'udp', h.udpEcho)
    const clients = await Promise.all(Array.from({ length: 17 }, () => udpClient(port)))
    const answered = []
    for (const c of clients) answered.push((await c.exchange([Buffer.from('hi')], 1, 300)).length)
    expect(answered).toEqual([...Array(16).fill(1), 0])
    expect(h.registry.get('u').udp?.counters.sessionsRefused).toBe(1)
    expect(await clients[0]?.exchange([Buffer.from('still')], 1)).toEqual([Buffer.from('still')])
  })

  it('closes a session whose upstream stays silent, and the next datagram opens a new one', async () => {
    const h = await startHarness({ udpSessionIdleMs: 200 })
    const silent = createSocket('udp4')
    onTestFinished(() => {
      silent.close()
    })
    let heard = 0
    silent.on('message', () => heard++)
    silent.bind(0, '127.0.0.1')
    await once(silent, 'listening')
    const c = await udpClient(await h.proxy('u', 'udp', silent.address().port))
    const relay = () => h.registry.get('u').udp
    c.socket.send(Buffer.from('anyone?'))
    await new Promise((r) => setTimeout(r, 50))
    expect(relay()?.sessions).toBe(1)
    // the client keeps talking, the upstream never answers: the session still ends
    for (let i = 0; i < 60 && relay()?.sessions !== 0; i++) {
      c.socket.send(Buffer.from('anyone?'))
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(relay()?.sessions).toBe(0)
    c.socket.send(Buffer.from('again'))
    await new Promise((r) => setTimeout(r, 50))
    expect(relay()?.sessions).toBe(1)
    expect(heard).toBeGreaterThan(1)
  })

  it('/reset restores a clean path', async () => {
    const h = await startHarness()
    const c = await udpClient(await h.proxy('u', 'udp', h.udpEcho))
    await h.call('POST', '/proxies/u/toxics', { type: 'loss' })
    expect(await c.exchange([Buffer.from('lost')], 1, 200)).toEqual([])
    await h.call('POST', '/reset')
    expect(await c.exchange([Buffer.from('back')], 1)).toEqual([Buffer.from('back')])
  })
})
