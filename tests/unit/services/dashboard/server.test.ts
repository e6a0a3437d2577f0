/**
 * The dashboard's HTTP surface (Fastify inject): the page and its script with no external
 * resources, GET /api/lab, and the faults controls forwarded to a faults API (a real local
 * HTTP server standing in for faults:8474), refused without the x-netlab-dashboard header or
 * with a bad name, and a 502 when the faults API is unreachable.
 */
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { loadDashboardConfig } from '../../../../services/dashboard/config.ts'
import { Lab, ServiceTrack } from '../../../../services/dashboard/model.ts'
import { buildDashboardApp } from '../../../../services/dashboard/server.ts'

const seen: { method: string; url: string; body: string }[] = []
let faults: Server
let faultsUrl = ''
const log = createLogger('test', 'silent')
const lab = new Lab([new ServiceTrack('tcp', [], 'client tcp upper hi')])
const poller = { lab, onUpdate: () => () => undefined }

beforeAll(async () => {
  faults = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body })
      if (req.url === '/proxies/missing/toxics') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"proxy not found"}')
        return
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(req.method === 'DELETE' ? '' : '{"ok":true}')
    })
  })
  await new Promise<void>((r) => faults.listen(0, '127.0.0.1', r))
  const addr = faults.address()
  faultsUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
})
afterAll(() => new Promise<void>((r) => faults.close(() => r())))

const app = () => buildDashboardApp(loadDashboardConfig({ DASHBOARD_FAULTS_URL: faultsUrl }), poller, log)
const H = { 'x-netlab-dashboard': '1', 'content-type': 'application/json' }

describe('dashboard server', () => {
  it('serves the page and its script, referencing nothing outside itself', async () => {
    const a = app()
    const page = await a.inject({ url: '/' })
    expect(page.statusCode).toBe(200)
    const js = await a.inject({ url: '/app.js' })
    const css = await a.inject({ url: '/app.css' })
    for (const body of [page.body, js.body, css.body]) expect(body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/)
    expect(js.body).toContain("new EventSource('/api/stream')")
  })

  it('GET /api/lab is the model as JSON', async () => {
    const res = await app().inject({ url: '/api/lab' })
    expect(res.json()).toMatchObject({
      services: [{ service: 'tcp', state: 'unknown', example: 'client tcp upper hi' }],
      events: [],
    })
  })

  it('forwards the controls to the faults API, and relays its status', async () => {
    const a = app()
    seen.length = 0
    const add = await a.inject({
      method: 'POST',
      url: '/api/faults/proxies/tcp-upper/toxics',
      headers: H,
      payload: { type: 'latency', attributes: { latency: 300 } },
    })
    expect(add.statusCode).toBe(200)
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/api/faults/proxies/tcp-upper',
          headers: H,
          payload: { enabled: false },
        })
      ).statusCode,
    ).toBe(200)
    expect(
      (
        await a.inject({
          method: 'DELETE',
          url: '/api/faults/proxies/tcp-upper/toxics/latency_downstream',
          headers: { 'x-netlab-dashboard': '1' },
        })
      ).statusCode,
    ).toBe(200)
    expect(
      (await a.inject({ method: 'POST', url: '/api/faults/reset', headers: { 'x-netlab-dashboard': '1' } }))
        .statusCode,
    ).toBe(200)
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'POST /proxies/tcp-upper/toxics {"type":"latency","attributes":{"latency":300}}',
      'POST /proxies/tcp-upper {"enabled":false}',
      'DELETE /proxies/tcp-upper/toxics/latency_downstream ',
      'POST /reset ',
    ])
    const missing = await a.inject({
      method: 'POST',
      url: '/api/faults/proxies/missing/toxics',
      headers: H,
      payload: {},
    })
    expect(missing.statusCode).toBe(404)
  })

  it('refuses a control without the header, with a bad name, a bad toggle, or text/plain', async () => {
    const a = app()
    seen.length = 0
    expect((await a.inject({ method: 'POST', url: '/api/faults/reset' })).statusCode).toBe(403)
    expect(
      (await a.inject({ method: 'POST', url: '/api/faults/proxies/a%20b/toxics', headers: H, payload: {} }))
        .statusCode,
    ).toBe(400)
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/api/faults/proxies/x',
          headers: H,
          payload: { enabled: 'yes' },
        })
      ).statusCode,
    ).toBe(400)
    const text = await a.inject({
      method: 'POST',
      url: '/api/faults/proxies/x/toxics',
      headers: { 'x-netlab-dashboard': '1', 'content-type': 'text/plain' },
      payload: '{}',
    })
    expect(text.statusCode).toBe(415)
    expect(seen).toEqual([])
  })

  it('answers 502 when the faults API is unreachable', async () => {
    const a = buildDashboardApp(
      loadDashboardConfig({ DASHBOARD_FAULTS_URL: 'http://127.0.0.1:1' }),
      poller,
      log,
    )
    const res = await a.inject({ url: '/api/faults/proxies' })
    expect(res.statusCode).toBe(502)
    expect(res.json()).toMatchObject({ status: 502, code: 'FAULTS_UNREACHABLE' })
  })

  it('answers 421 BAD_HOST to a Host that is not its own (DNS rebinding), the page and the API alike', async () => {
    const a = app()
    seen.length = 0
    for (const url of ['/', '/api/lab', '/api/stream', '/api/faults/proxies']) {
      const res = await a.inject({ url, headers: { host: 'evil.example:8088' } })
      expect(res.statusCode, url).toBe(421)
      expect(res.json()).toEqual({
        error:
          'this dashboard answers to localhost, 127.0.0.1, [::1] (DASHBOARD_ALLOWED_HOSTS adds more), not "evil.example:8088"',
        status: 421,
        code: 'BAD_HOST',
      })
    }
    const control = await a.inject({
      method: 'POST',
      url: '/api/faults/reset',
      headers: { ...H, host: 'evil.example:8088', origin: 'http://evil.example:8088' },
      payload: {},
    })
    expect(control.statusCode).toBe(421)
    expect(seen).toEqual([])
    expect((await a.inject({ url: '/', headers: { host: '127.0.0.1:8088' } })).statusCode).toBe(200)
    const allowed = buildDashboardApp(
      loadDashboardConfig({ DASHBOARD_FAULTS_URL: faultsUrl, DASHBOARD_ALLOWED_HOSTS: 'dash.lan' }),
      poller,
      log,
    )
    expect((await allowed.inject({ url: '/api/lab', headers: { host: 'dash.lan:8088' } })).statusCode).toBe(
      200,
    )
  })

  it("answers 403 BAD_ORIGIN to a control from another origin, and takes one from its own page's", async () => {
    const a = app()
    seen.length = 0
    const reset = (origin: string) =>
      a.inject({
        method: 'POST',
        url: '/api/faults/reset',
        headers: { ...H, host: '127.0.0.1:8088', origin },
        payload: {},
      })
    const foreign = await reset('http://127.0.0.1:3000')
    expect(foreign.statusCode).toBe(403)
    expect(foreign.json()).toMatchObject({ status: 403, code: 'BAD_ORIGIN' })
    expect(seen).toEqual([])
    expect((await reset('http://127.0.0.1:8088')).statusCode).toBe(200)
    expect(seen).toEqual([{ method: 'POST', url: '/reset', body: '' }])
  })
})
