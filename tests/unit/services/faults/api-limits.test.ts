/**
 * The control API's guards: upstreams outside the lab refused at create, update and
 * populate (without a connection to them), proxy creation that stays atomic under
 * concurrent calls (no leaked listener, the cap held), a reset that carries on past a proxy
 * that cannot start, the UDP fan-out limit, and GET /stats.
 */
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadProxiesFile } from '../../../../services/faults/server.ts'
import { parseAllowEntry, UpstreamPolicy } from '../../../../services/faults/upstream-policy.ts'
import { startHarness } from '../../../support/faults-harness.ts'

/** a TCP server on loopback that counts the connections it gets */
async function countingServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0
  const server = createServer((s) => {
    n++
    s.destroy()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())))
  return { server, port: (server.address() as AddressInfo).port, connections: () => n }
}

/** the TCP listeners of this process, once the handles earlier tests closed are gone */
async function listeners(): Promise<number> {
  await new Promise((r) => setTimeout(r, 50))
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length
}

/** A policy whose lab is one loopback address: 127.0.0.1 only (other 127/8 addresses are outside). */
const oneAddressLab = () =>
  new UpstreamPolicy({
    topology: { networks: [], gateways: [] },
    allowed: [parseAllowEntry('127.0.0.1')].filter((e) => e !== undefined),
  })

describe('faults API: upstreams outside the lab', () => {
  it('refuses them at create, update and populate with 400 UPSTREAM_NOT_ALLOWED, and never connects', async () => {
    const h = await startHarness({}, { policy: oneAddressLab() })
    const target = await countingServer()
    const refused = `127.0.0.2:${target.port}`
    const error = (field: string) => ({
      error: `${field} ${refused} is not a container of the lab: 127.0.0.2 is outside the lab network (none found) (loopback); FAULTS_ALLOWED_UPSTREAMS can allow it`,
      status: 400,
      code: 'UPSTREAM_NOT_ALLOWED',
    })
    expect(await h.call('POST', '/proxies', { name: 'p', listen: '127.0.0.1:0', upstream: refused })).toEqual(
      {
        status: 400,
        body: error('upstream'),
      },
    )
    expect((await h.call('GET', '/proxies/p')).status).toBe(404)

    await h.proxy('ok', 'tcp', h.tcpEcho)
    expect(await h.call('PATCH', '/proxies/ok', { upstream: refused })).toEqual({
      status: 400,
      body: error('upstream'),
    })
    expect((await h.call('GET', '/proxies/ok')).body).toMatchObject({ upstream: `127.0.0.1:${h.tcpEcho}` })

    const populated = await h.call('POST', '/populate', [
      { name: 'a', listen: '127.0.0.1:0', upstream: `127.0.0.1:${h.tcpEcho}` },
      { name: 'b', listen: '127.0.0.1:0', upstream: refused, protocol: 'udp' },
    ])
    expect(populated.status).toBe(400)
    expect(populated.body).toMatchObject({ ...error('[1].upstream'), proxies: [{ name: 'a' }] })
    expect(Object.keys((await h.call('GET', '/proxies')).body as object).sort()).toEqual(['a', 'ok'])
    expect(target.connections()).toBe(0)
  })
})

describe('FAULTS_CONFIG: the shipped config is checked like the API', () => {
  it('a proxy whose upstream is outside the lab stops start-up (INVALID_CONFIG, exit 2) naming it', async () => {
    const h = await startHarness({}, { policy: oneAddressLab() })
    const dir = await mkdtemp(join(tmpdir(), 'faults-config-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const file = join(dir, 'proxies.json')
    await writeFile(
      file,
      JSON.stringify([{ name: 'meta', listen: '127.0.0.1:0', upstream: '169.254.169.254:80' }]),
    )
    await expect(loadProxiesFile(h.registry, file)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: `FAULTS_CONFIG=${JSON.stringify(file)}: [0].upstream 169.254.169.254:80 is not a container of the lab: 169.254.169.254 is outside the lab network (none found) (link-local); FAULTS_ALLOWED_UPSTREAMS can allow it`,
    })
    expect(h.registry.list()).toHaveLength(0)
  })
})

describe('faults API: atomic creation', () => {
  // The registry directly: inject() hands requests to the routes one at a time.
  const outcomes = async (calls: Promise<unknown>[]) =>
    (await Promise.allSettled(calls)).map((r) =>
      r.status === 'fulfilled' ? 'created' : (r.reason as { code: string }).code,
    )

  it('twenty concurrent creates of one name make one proxy and nineteen 409s, leaking no listener', async () => {
    const h = await startHarness({ maxProxies: 8 })
    const before = await listeners()
    const body = { name: 'same', listen: '127.0.0.1:0', upstream: `127.0.0.1:${h.tcpEcho}` }
    const results = await outcomes(Array.from({ length: 20 }, () => h.registry.create(body)))
    expect(results.toSorted()).toEqual([...Array(19).fill('PROXY_EXISTS'), 'created'])
    expect(h.registry.list().map((p) => p.name)).toEqual(['same'])
    expect((await listeners()) - before).toBe(1)
  })

  it('concurrent creates of different names stop exactly at FAULTS_MAX_PROXIES', async () => {
    const h = await startHarness({ maxProxies: 3 })
    const before = await listeners()
    const results = await outcomes(
      Array.from({ length: 10 }, (_, i) =>
        h.registry.create({ name: `p${i}`, listen: '127.0.0.1:0', upstream: `127.0.0.1:${h.tcpEcho}` }),
      ),
    )
    expect(results).toEqual([...Array(3).fill('created'), ...Array(7).fill('LIMIT_REACHED')])
    expect(h.registry.list()).toHaveLength(3)
    expect((await listeners()) - before).toBe(3)
  })
})

describe('faults API: reset', () => {
  it('carries on past a proxy that cannot start, and reports it with 409 RESET_INCOMPLETE', async () => {
    const h = await startHarness()
    const first = await h.proxy('first', 'tcp', h.tcpEcho)
    await h.proxy('second', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/second/toxics', { type: 'latency', attributes: { latency: 50 } })
    await h.call('POST', '/proxies/first', { enabled: false })
    await h.call('POST', '/proxies/second', { enabled: false })
    // someone else takes the first proxy's port while it is disabled
    const squatter = createServer()
    squatter.listen(first, '127.0.0.1')
    await once(squatter, 'listening')
    onTestFinished(() => new Promise<void>((r) => squatter.close(() => r())))

    const error = `proxy first cannot listen on 127.0.0.1:${first}: EADDRINUSE`
    expect(await h.call('POST', '/reset')).toEqual({
      status: 409,
      body: {
        error: `reset: 1 of 2 proxies could not start: ${error}`,
        status: 409,
        code: 'RESET_INCOMPLETE',
        failed: [{ name: 'first', code: 'LISTEN_FAILED', error }],
      },
    })
    expect((await h.call('GET', '/proxies/second')).body).toMatchObject({ enabled: true, toxics: [] })
    expect((await h.call('GET', '/proxies/first')).body).toMatchObject({ enabled: false })
  })
})

describe('faults API: UDP fan-out', () => {
  it('refuses a duplicate toxic whose chain would pass FAULTS_MAX_UDP_FANOUT, on add and on update', async () => {
    const h = await startHarness({ maxUdpFanout: 1000 })
    await h.proxy('u', 'udp', h.udpEcho)
    const add = (name: string, copies: number, stream = 'upstream') =>
      h.call('POST', '/proxies/u/toxics', { name, type: 'duplicate', stream, attributes: { copies } })
    expect((await add('d0', 100)).status).toBe(200)
    expect(await add('d1', 100)).toEqual({
      status: 400,
      body: {
        error:
          'toxic d1 would make one upstream datagram 10201 datagrams (d0 ×101, d1 ×101); at most 1000 (FAULTS_MAX_UDP_FANOUT)',
        status: 400,
        code: 'FANOUT_LIMIT',
      },
    })
    expect((await add('d1', 8)).status).toBe(200) // 101 × 9 = 909
    expect((await h.call('PATCH', '/proxies/u/toxics/d1', { attributes: { copies: 9 } })).body).toMatchObject(
      {
        code: 'FANOUT_LIMIT',
      },
    )
    expect((await add('down', 100, 'downstream')).status).toBe(200) // the other stream has its own product
    expect(
      ((await h.call('GET', '/proxies/u/toxics')).body as { name: string }[]).map((t) => t.name),
    ).toEqual(['d0', 'd1', 'down'])
  })
})

describe('faults API: GET /stats', () => {
  it('shows the memory budget, each proxy’s live counters and the event loop’s delay', async () => {
    const h = await startHarness()
    await h.proxy('t', 'tcp', h.tcpEcho)
    const stats = (await h.call('GET', '/stats')).body
    expect(stats).toEqual({
      memory: { limitBytes: 64 * 1024 * 1024, usedBytes: 0, peakBytes: 0, refusals: 0 },
      eventLoopDelayMs: { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
      proxies: {
        t: {
          protocol: 'tcp',
          enabled: true,
          clients: 0,
          counters: {
            accepted: 0,
            overCap: 0,
            budgetRefused: 0,
            connectTimeouts: 0,
            upstreamFailed: 0,
            idleTimeouts: 0,
            upstreamRefused: 0,
          },
        },
      },
    })
  })
})
