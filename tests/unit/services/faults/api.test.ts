/** The control API through inject(): toxiproxy's routes, fields, defaults, statuses and error bodies. */
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { VERSION } from '../../../../lib/version.ts'
import { FAULTS_VERSION } from '../../../../services/faults/api.ts'
import { startHarness } from '../../../support/faults-harness.ts'

/** refused resolves true when nothing listens on the loopback port. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.on('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
  })
}

describe('faults API', () => {
  it('reports its version', async () => {
    const h = await startHarness()
    expect(FAULTS_VERSION).toBe(VERSION)
    expect(await h.call('GET', '/version')).toEqual({ status: 200, body: { version: VERSION } })
  })

  it('creates a proxy (201), echoes the bound port and protocol, lists it, refuses a second (409)', async () => {
    const h = await startHarness()
    const body = { name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${h.tcpEcho}` }
    const created = await h.call('POST', '/proxies', body)
    expect(created.status).toBe(201)
    const proxy = created.body as { listen: string }
    expect(proxy).toEqual({
      name: 'echo',
      listen: expect.stringMatching(/^127\.0\.0\.1:[1-9]\d*$/),
      upstream: `127.0.0.1:${h.tcpEcho}`,
      enabled: true,
      protocol: 'tcp',
      toxics: [],
    })
    expect(await h.call('GET', '/proxies')).toEqual({ status: 200, body: { echo: proxy } })
    expect(await h.call('GET', '/proxies/echo')).toEqual({ status: 200, body: proxy })
    expect(await h.call('POST', '/proxies', body)).toEqual({
      status: 409,
      body: { error: 'proxy already exists', status: 409, code: 'PROXY_EXISTS' },
    })
  })

  it('creates a proxy with toxics given in the body (netlab: toxiproxy ignores them)', async () => {
    const h = await startHarness()
    const r = await h.call('POST', '/proxies', {
      name: 'slow',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${h.tcpEcho}`,
      toxics: [{ type: 'latency', attributes: { latency: 7 } }],
    })
    expect(r.status).toBe(201)
    expect((r.body as { toxics: unknown[] }).toxics).toEqual([
      {
        name: 'latency_downstream',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 7, jitter: 0 },
      },
    ])
    const bad = await h.call('POST', '/proxies', {
      name: 'bad',
      upstream: '127.0.0.1:1',
      toxics: [{ type: 'loss' }],
    })
    expect(bad.status).toBe(400)
    expect((await h.call('GET', '/proxies/bad')).status).toBe(404)
  })

  it('fills toxiproxy’s toxic defaults: name <type>_<stream>, downstream, toxicity 1', async () => {
    const h = await startHarness()
    await h.proxy('echo', 'tcp', h.tcpEcho)
    const r = await h.call('POST', '/proxies/echo/toxics', { type: 'latency', attributes: { latency: 5 } })
    expect(r).toEqual({
      status: 200,
      body: {
        name: 'latency_downstream',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 5, jitter: 0 },
      },
    })
    expect((await h.call('GET', '/proxies/echo/toxics')).body).toEqual([r.body])
    expect((await h.call('POST', '/proxies/echo/toxics', { type: 'latency' })).status).toBe(409)
  })

  it('updates a toxic’s attributes by merging, and deletes it (204)', async () => {
    const h = await startHarness()
    await h.proxy('echo', 'tcp', h.tcpEcho)
    await h.call('POST', '/proxies/echo/toxics', {
      type: 'latency',
      name: 'lag',
      attributes: { latency: 5, jitter: 1 },
    })
    const updated = await h.call('POST', '/proxies/echo/toxics/lag', {
      attributes: { latency: 9 },
      toxicity: 0.5,
    })
    expect(updated.body).toEqual({
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0.5,
      attributes: { latency: 9, jitter: 1 },
    })
    expect(await h.call('DELETE', '/proxies/echo/toxics/lag')).toEqual({ status: 204, body: undefined })
    expect(await h.call('GET', '/proxies/echo/toxics/lag')).toEqual({
      status: 404,
      body: { error: 'toxic not found', status: 404, code: 'TOXIC_NOT_FOUND' },
    })
  })

  it.each([
    [
      'an unknown toxic type, naming the valid ones',
      { type: 'loss' },
      'invalid toxic type "loss" for a tcp proxy; valid types: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data',
      'INVALID_TOXIC_TYPE',
    ],
    [
      'a toxicity above 1',
      { type: 'latency', toxicity: 1.5 },
      'toxicity: Too big: expected number to be <=1',
      'BAD_REQUEST',
    ],
    [
      'a bad stream',
      { type: 'latency', stream: 'sideways' },
      'stream: Invalid option: expected one of "upstream"|"downstream"',
      'BAD_REQUEST',
    ],
    [
      'an attribute of the wrong type',
      { type: 'latency', attributes: { latency: 'lots' } },
      'attributes.latency: Invalid input: expected number, received string',
      'BAD_REQUEST',
    ],
    [
      'an unknown attribute',
      { type: 'latency', attributes: { latncy: 1 } },
      'attributes: Unrecognized key: "latncy"',
      'BAD_REQUEST',
    ],
  ])('refuses %s with 400', async (_name, body, error, code) => {
    const h = await startHarness()
    await h.proxy('echo', 'tcp', h.tcpEcho)
    expect(await h.call('POST', '/proxies/echo/toxics', body)).toEqual({
      status: 400,
      body: { error, status: 400, code },
    })
  })

  it.each([
    ['no upstream', { name: 'x' }, 'upstream: Invalid input: expected string, received undefined'],
    [
      'a bad upstream port',
      { name: 'x', upstream: 'tcp:0' },
      'upstream: expected host:port with a port from 1 to 65535, not "tcp:0"',
    ],
    ['a bad name', { name: 'a b', upstream: 'tcp:1' }, 'name: only letters, digits, _ . -'],
    [
      'an unknown protocol',
      { name: 'x', upstream: 'tcp:1', protocol: 'sctp' },
      'protocol: Invalid option: expected one of "tcp"|"udp"',
    ],
  ])('refuses a proxy with %s (400)', async (_name, body, error) => {
    const h = await startHarness()
    expect(await h.call('POST', '/proxies', body)).toEqual({
      status: 400,
      body: { error, status: 400, code: 'BAD_REQUEST' },
    })
  })

  it('answers 400 LISTEN_FAILED when the listen address is taken, naming the reason', async () => {
    const h = await startHarness()
    const port = await h.proxy('one', 'tcp', h.tcpEcho)
    expect(
      await h.call('POST', '/proxies', {
        name: 'two',
        listen: `127.0.0.1:${port}`,
        upstream: `127.0.0.1:${h.tcpEcho}`,
      }),
    ).toEqual({
      status: 400,
      body: {
        error: `proxy two cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
        status: 400,
        code: 'LISTEN_FAILED',
      },
    })
    expect((await h.call('GET', '/proxies/two')).status).toBe(404)
    const udp = await h.proxy('u1', 'udp', h.udpEcho)
    expect(
      (
        await h.call('POST', '/proxies', {
          name: 'u2',
          protocol: 'udp',
          listen: `127.0.0.1:${udp}`,
          upstream: '127.0.0.1:1',
        })
      ).body,
    ).toEqual({
      error: `proxy u2 cannot listen on 127.0.0.1:${udp}: EADDRINUSE`,
      status: 400,
      code: 'LISTEN_FAILED',
    })
  })

  it('answers 404 for a missing proxy or route, 400 for a body that is not JSON', async () => {
    const h = await startHarness()
    expect(await h.call('GET', '/proxies/nope')).toEqual({
      status: 404,
      body: { error: 'proxy not found', status: 404, code: 'PROXY_NOT_FOUND' },
    })
    expect(await h.call('GET', '/nope')).toEqual({
      status: 404,
      body: { error: 'no route GET /nope', status: 404, code: 'ROUTE_NOT_FOUND' },
    })
    const res = await h.api.inject({
      method: 'POST',
      url: '/proxies',
      payload: '{"name":',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ status: 400, code: 'BAD_REQUEST' })
    expect(res.json().error).toMatch(/^request body is not JSON: /)
  })

  it('reads a JSON body sent form-encoded, as curl -d does', async () => {
    const h = await startHarness()
    const res = await h.api.inject({
      method: 'POST',
      url: '/proxies',
      payload: JSON.stringify({
        name: 'u',
        protocol: 'udp',
        listen: '127.0.0.1:0',
        upstream: `127.0.0.1:${h.udpEcho}`,
      }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ name: 'u', protocol: 'udp', enabled: true })
  })

  it('refuses browsers with 403 (toxiproxy’s CSRF guard)', async () => {
    const h = await startHarness()
    const res = await h.api.inject({
      method: 'GET',
      url: '/proxies',
      headers: { 'user-agent': 'Mozilla/5.0 (X11)' },
    })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toEqual({
      error: 'User-Agent Mozilla/... is refused: browsers may not call the API (CSRF guard)',
      status: 403,
      code: 'FORBIDDEN',
    })
  })

  it('enabled:false closes the listener; enabling binds the same port again; DELETE closes it (204)', async () => {
    const h = await startHarness()
    const port = await h.proxy('echo', 'tcp', h.tcpEcho)
    expect(await refused(port)).toBe(false)
    const off = await h.call('POST', '/proxies/echo', { enabled: false })
    expect(off.body).toMatchObject({ enabled: false, listen: `127.0.0.1:${port}` })
    expect(await refused(port)).toBe(true)
    expect((await h.call('PATCH', '/proxies/echo', { enabled: true })).body).toMatchObject({ enabled: true })
    expect(await refused(port)).toBe(false)
    expect((await h.call('DELETE', '/proxies/echo')).status).toBe(204)
    expect(await refused(port)).toBe(true)
  })

  it('populates idempotently (201 {proxies}), then /reset enables all and drops every toxic (204)', async () => {
    const h = await startHarness()
    const list = [
      { name: 'a', listen: '127.0.0.1:0', upstream: `127.0.0.1:${h.tcpEcho}` },
      { name: 'b', listen: '127.0.0.1:0', upstream: `127.0.0.1:${h.udpEcho}`, protocol: 'udp' },
    ]
    const first = await h.call('POST', '/populate', list)
    expect(first.status).toBe(201)
    expect((first.body as { proxies: { name: string }[] }).proxies.map((p) => p.name)).toEqual(['a', 'b'])
    const again = await h.call('POST', '/populate', list)
    expect(again.body).toEqual(first.body)
    await h.call('POST', '/proxies/a/toxics', { type: 'latency' })
    await h.call('POST', '/proxies/b', { enabled: false })
    expect(await h.call('POST', '/reset')).toEqual({ status: 204, body: undefined })
    const all = (await h.call('GET', '/proxies')).body as Record<
      string,
      { enabled: boolean; toxics: unknown[] }
    >
    expect(Object.values(all).map((p) => [p.enabled, p.toxics.length])).toEqual([
      [true, 0],
      [true, 0],
    ])
  })

  it('stops a bad populate at the first bad proxy, reporting those done', async () => {
    const h = await startHarness()
    const r = await h.call('POST', '/populate', [
      { name: 'ok', listen: '127.0.0.1:0', upstream: `127.0.0.1:${h.tcpEcho}` },
      { name: 'bad', upstream: 'nowhere' },
    ])
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({
      error: '[1].upstream: expected host:port with a port from 1 to 65535, not "nowhere"',
      status: 400,
      proxies: [{ name: 'ok' }],
    })
  })

  it('enforces FAULTS_MAX_PROXIES and FAULTS_MAX_TOXICS with 400', async () => {
    const h = await startHarness({ maxProxies: 1, maxToxics: 1 })
    await h.proxy('one', 'tcp', h.tcpEcho)
    expect(
      (await h.call('POST', '/proxies', { name: 'two', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }))
        .body,
    ).toEqual({
      error: 'at most 1 proxies (FAULTS_MAX_PROXIES)',
      status: 400,
      code: 'LIMIT_REACHED',
    })
    await h.call('POST', '/proxies/one/toxics', { type: 'latency' })
    expect((await h.call('POST', '/proxies/one/toxics', { type: 'bandwidth' })).body).toEqual({
      error: 'a proxy has at most 1 toxics (FAULTS_MAX_TOXICS)',
      status: 400,
      code: 'LIMIT_REACHED',
    })
  })
})
