/**
 * The TCP data path over loopback: a real echo upstream behind the proxy, toxics added
 * through the API, effects measured with a real client. Timing assertions are one-sided
 * (at least the configured delay), so a slow machine cannot fail them.
 */
import { describe, expect, it } from 'vitest'
import { startHarness } from '../../../support/faults-harness.ts'
import { connectClient } from '../../../support/test-client.ts'

/** roundTrip writes `text` and waits for its echo; returns the elapsed ms. */
async function roundTrip(port: number, text: string): Promise<{ ms: number; reply: string }> {
  const c = await connectClient(port)
  const t0 = performance.now()
  c.write(text)
  const reply = (await c.readBytes(Buffer.byteLength(text))).toString()
  const ms = performance.now() - t0
  c.destroy()
  return { ms, reply }
}

describe('TCP proxy', () => {
  it('relays bytes both ways unchanged with no toxics', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    expect((await roundTrip(port, 'hello through the proxy')).reply).toBe('hello through the proxy')
  })

  it('latency 200 ms downstream delays the echo by at least 200 ms, and removing it applies at once', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', { type: 'latency', attributes: { latency: 200 } })
    const c = await connectClient(port)
    let t0 = performance.now()
    c.write('ping')
    expect((await c.readBytes(4)).toString()).toBe('ping')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(199)
    // the same, live connection loses the latency when the toxic goes
    await h.call('DELETE', '/proxies/echo/toxics/latency_downstream')
    t0 = performance.now()
    c.write('pong')
    expect((await c.readBytes(4)).toString()).toBe('pong')
    expect(performance.now() - t0).toBeLessThan(200)
  })

  it('reset_peer resets the client connection (ECONNRESET) and the next connection works once removed', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', { type: 'reset_peer', attributes: { timeout: 50 } })
    const c = await connectClient(port)
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => c.socket.once('error', resolve))
    expect(error.code).toBe('ECONNRESET')
    await h.call('DELETE', '/proxies/echo/toxics/reset_peer_downstream')
    expect((await roundTrip(port, 'again')).reply).toBe('again')
  })

  it('limit_data passes exactly `bytes` bytes, then closes', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', { type: 'limit_data', attributes: { bytes: 10 } })
    const c = await connectClient(port)
    c.write('0123456789abcdefghij')
    expect(await c.readToEnd()).toBe('0123456789')
  })

  it('timeout holds the data and closes after `timeout` ms; timeout 0 holds until removed', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', { type: 'timeout', attributes: { timeout: 150 } })
    const c = await connectClient(port)
    const t0 = performance.now()
    c.write('held')
    expect(await c.readToEnd()).toBe('')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140)

    await h.call('POST', '/proxies/echo/toxics/timeout_downstream', { attributes: { timeout: 0 } })
    const d = await connectClient(port)
    d.write('later')
    await expect(d.readBytes(5, 300)).rejects.toThrow(/timed out after 300 ms/)
    await h.call('DELETE', '/proxies/echo/toxics/timeout_downstream')
    expect((await d.readBytes(5)).toString()).toBe('later')
  })

  it('slicer delivers the stream in small pieces, intact', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', {
      type: 'slicer',
      attributes: { average_size: 4, size_variation: 2, delay: 20_000 },
    })
    const c = await connectClient(port)
    const pieces: number[] = []
    c.socket.on('data', (d: Buffer) => pieces.push(d.length))
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789'
    c.write(text)
    expect((await c.readBytes(text.length)).toString()).toBe(text)
    expect(pieces.length).toBeGreaterThanOrEqual(6)
    expect(Math.max(...pieces)).toBeLessThanOrEqual(6)
  })

  it('bandwidth 50 KB/s takes at least 0.9 s for 50 KB more than the first burst', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', { type: 'bandwidth', attributes: { rate: 50 } })
    const payload = 'x'.repeat(55_000)
    const { ms, reply } = await roundTrip(port, payload)
    expect(reply).toBe(payload)
    expect(ms).toBeGreaterThanOrEqual(900)
  })

  it('slow_close delays passing on the upstream’s close', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', { type: 'slow_close', attributes: { delay: 200 } })
    const c = await connectClient(port)
    c.write('bye')
    c.socket.end()
    const t0 = performance.now()
    expect(await c.readToEnd()).toBe('bye')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190)
  })

  it('buffers a bounded amount when a toxic holds the stream: the sender is pushed back', async () => {
    const h = await startHarness() // FAULTS_MAX_BUFFERED_BYTES 64 KiB
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', { type: 'timeout', stream: 'upstream' })
    const c = await connectClient(port)
    // write 64 KiB at a time while the socket drains; stop when it stays full for 500 ms
    const chunk = Buffer.alloc(65_536)
    let accepted = 0
    while (accepted < 256 * 1024 * 1024) {
      accepted += chunk.length
      if (c.socket.write(chunk)) continue
      const drained = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 500)
        c.socket.once('drain', () => {
          clearTimeout(t)
          resolve(true)
        })
      })
      if (!drained) break
    }
    // kernel socket buffers on both sides plus the proxy's 64 KiB: a few MiB, never the 256 MiB offered
    expect(accepted).toBeLessThan(32 * 1024 * 1024)
  })

  it('toxicity 0 leaves every connection alone', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', {
      type: 'limit_data',
      toxicity: 0,
      attributes: { bytes: 1 },
    })
    expect((await roundTrip(port, 'whole')).reply).toBe('whole')
  })
})
