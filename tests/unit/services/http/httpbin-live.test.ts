/**
 * The httpbin routes over a real loopback socket with Node's fetch, for what inject() cannot
 * show: chunked streaming, a client hanging up during /delay, content decoding, a cookie jar
 * across requests, and redirect following.
 */
import { createHook } from 'node:async_hooks'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { httpbinApp, listen } from '../../../support/httpbin-app.ts'

/** CookieJar keeps what Set-Cookie says (Max-Age=0 deletes), as a client's jar would. */
class CookieJar {
  readonly #cookies = new Map<string, string>()

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      if (attributes.some((a) => a.trim().toLowerCase() === 'max-age=0')) this.#cookies.delete(name)
      else this.#cookies.set(name, pair.slice(eq + 1).trim())
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

describe('httpbin over a real socket', () => {
  let app: FastifyInstance
  let base: string
  beforeAll(async () => {
    app = httpbinApp({ HTTP_MAX_DELAY_MS: '1000' })
    base = await listen(app)
  })
  afterAll(() => app.close())

  it('streams /stream/{n} as chunked JSON lines', async () => {
    const res = await fetch(`${base}/stream/4`)
    expect(res.status).toBe(200)
    expect(res.headers.get('transfer-encoding')).toBe('chunked')
    expect(res.headers.get('content-length')).toBeNull()
    const lines = (await res.text()).trimEnd().split('\n')
    expect(lines.map((line) => JSON.parse(line).id)).toEqual([0, 1, 2, 3])
    expect(JSON.parse(lines[0] as string).url).toBe(`${base}/stream/4`)
  })

  it('answers /delay/{n} after the delay', async () => {
    const t0 = performance.now()
    const res = await fetch(`${base}/delay/0.1`)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95)
    expect(await res.json()).toMatchObject({ url: `${base}/delay/0.1` })
  })

  it('stops the /delay timer as soon as the client hangs up', async () => {
    // Watch the one timer with the delay's duration: when it is created, and when it goes.
    const ids = new Set<number>()
    let createdAt = Number.NaN
    let clearedAt = Number.NaN
    const hook = createHook({
      init(id, type, _trigger, resource) {
        if (type !== 'Timeout' || (resource as { _idleTimeout?: number })._idleTimeout !== 300) return
        ids.add(id)
        createdAt = performance.now()
      },
      destroy(id) {
        if (ids.has(id)) clearedAt = performance.now()
      },
    }).enable()
    onTestFinished(() => void hook.disable())

    const aborter = new AbortController()
    const pending = fetch(`${base}/delay/0.3`, { signal: aborter.signal })
    await vi.waitFor(() => expect(ids.size).toBe(1), { timeout: 1000, interval: 2 })
    aborter.abort()
    await expect(pending).rejects.toThrow('This operation was aborted')
    await vi.waitFor(() => expect(clearedAt).not.toBeNaN(), { timeout: 1000, interval: 2 })
    // Left running, it would go at 300 ms; cleared, it goes when the socket closes.
    expect(clearedAt - createdAt).toBeLessThan(250)
    expect((await fetch(`${base}/get`)).status).toBe(200)
  })

  it('serves /gzip so that a client decodes it', async () => {
    const res = await fetch(`${base}/gzip`)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(await res.json()).toMatchObject({
      gzipped: true,
      headers: { Host: base.slice('http://'.length) },
      method: 'GET',
      origin: '127.0.0.1',
    })
  })

  it('keeps cookies across requests with a jar: set, read, delete', async () => {
    const jar = new CookieJar()
    const get = async (path: string): Promise<Response> => {
      const res = await fetch(`${base}${path}`, { headers: { cookie: jar.header() }, redirect: 'manual' })
      jar.store(res)
      return res
    }
    const set = await get('/cookies/set?flavour=oatmeal&count=2')
    expect([set.status, set.headers.get('location')]).toEqual([302, '/cookies'])
    expect(await (await get('/cookies')).json()).toEqual({ cookies: { count: '2', flavour: 'oatmeal' } })
    await get('/cookies/set/note/two%20words')
    await get('/cookies/delete?flavour')
    expect(await (await get('/cookies')).json()).toEqual({ cookies: { count: '2', note: 'two words' } })
  })

  it('leads a following client through /redirect/{n} to /get, relative or absolute', async () => {
    for (const query of ['', '?absolute=true']) {
      const res = await fetch(`${base}/redirect/4${query}`)
      expect([res.status, res.redirected, res.url]).toEqual([200, true, `${base}/get`])
      expect(await res.json()).toMatchObject({ url: `${base}/get` })
    }
  })

  it('takes a FormData upload from fetch', async () => {
    const form = new FormData()
    form.append('file', new Blob(['Hello, world.']), 'file.txt')
    form.append('name', 'value')
    const res = await fetch(`${base}/post`, { method: 'POST', body: form })
    expect(await res.json()).toMatchObject({
      files: { file: 'Hello, world.' },
      form: { name: 'value' },
      json: null,
    })
  })
})
