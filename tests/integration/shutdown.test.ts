/**
 * SIGTERM drains: a request in flight when the signal arrives still gets its reply,
 * the connection is then closed, the process exits 0, and the logs end with
 * `shutting down` ... `shutdown complete`. (close-with-grace's pattern, in a container.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../support/lab.ts'

describe('udp service shutdown', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['udp'])
  })
  afterAll(() => lab?.stop())

  it('stops on SIGTERM with exit code 0 after answering what it received', async () => {
    expect(await lab.udp('udp', 9999, Buffer.from('before'))).toEqual([Buffer.from('Hello, before!')])
    expect(await lab.terminate('udp', 10_000)).toBe(0)
    const messages = (await lab.logs('udp')).map((l) => l.msg)
    expect(messages.slice(-2)).toEqual(['shutting down', 'shutdown complete'])
  })
})

describe('tcp service shutdown', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['tcp'], { env: { tcp: { SHUTDOWN_GRACE_MS: '5000' } } })
  })
  afterAll(() => lab?.stop())

  it('finishes an in-flight SLEEP 2000, then exits 0', async () => {
    await using conn = await lab.connect('tcp', 9998)
    expect(await conn.request('PING')).toBe('OK PONG')
    conn.send('SLEEP 2000')
    await new Promise((r) => setTimeout(r, 200)) // let the SLEEP start before the signal
    const [exitCode, reply] = await Promise.all([lab.terminate('tcp', 10_000), conn.readLine(8000)])
    expect(reply).toMatch(/^OK slept 20\d\d$/)
    expect(exitCode).toBe(0)
    const messages = (await lab.logs('tcp')).map((l) => l.msg)
    expect(messages.slice(messages.indexOf('shutting down'))).toEqual(
      expect.arrayContaining(['shutting down', 'connection closed', 'shutdown complete']),
    )
    expect(messages.at(-1)).toBe('shutdown complete')
    const summary = (await lab.logs('tcp')).at(-1)
    expect(summary).toMatchObject({ drained: 1, destroyed: 0 })
  })
})

describe('http service shutdown', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['http'], { env: { http: { SHUTDOWN_GRACE_MS: '5000' } } })
  })
  afterAll(() => lab?.stop())

  it('finishes an in-flight /delay/2, then exits 0', async () => {
    const base = lab.baseUrl('http', 8080)
    const inflight = fetch(`${base}/delay/2`)
    await new Promise((r) => setTimeout(r, 300)) // let the request start before the signal
    const [exitCode, res] = await Promise.all([lab.terminate('http', 10_000), inflight])
    expect(res.status).toBe(200)
    expect(((await res.json()) as { url: string }).url).toMatch(/\/delay\/2$/)
    expect(exitCode).toBe(0)
    const logs = await lab.logs('http')
    expect(logs.at(-1)).toMatchObject({ msg: 'shutdown complete', drained: 1, destroyed: 0 })
  })
})

describe('rpc service shutdown', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['rpc'])
  })
  afterAll(() => lab?.stop())

  it('answers the writes in flight, closes idle connections, and exits 0', async () => {
    const base = lab.baseUrl('rpc', 15000)
    const body = JSON.stringify(
      Array.from({ length: 20 }, (_, i) => ({ jsonrpc: '2.0', method: 'set', params: [`k${i}`, i], id: i })),
    )
    // The request is sent in two parts, so it is surely in flight when the signal arrives: its
    // headers first (a request that starts after SIGTERM gets 503), the rest once it is sent.
    const bytes = Buffer.from(body)
    let sendRest = () => {}
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 10))
        sendRest = () => {
          controller.enqueue(bytes.subarray(10))
          controller.close()
        }
      },
    })
    const writes = fetch(`${base}/jsonrpc`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    } as RequestInit)
    await new Promise((r) => setTimeout(r, 200)) // let the headers reach the server before the signal
    const terminated = lab.terminate('rpc', 10_000)
    setTimeout(() => sendRest(), 300)
    const [exitCode, res] = await Promise.all([terminated, writes])
    expect(res.status).toBe(200)
    expect((JSON.parse(await res.text()) as unknown[]).length).toBe(20)
    expect(exitCode).toBe(0)
    expect((await lab.logs('rpc')).at(-1)).toMatchObject({ msg: 'shutdown complete' })
  })
})
