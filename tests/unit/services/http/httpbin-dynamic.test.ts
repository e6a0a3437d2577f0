/**
 * httpbin's status codes and dynamic data (/status /delay /drip /bytes /stream-bytes /stream
 * /range /uuid /base64) through inject(), with every limit the service sets.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeBase64, parseRange } from '../../../../services/http/routes/httpbin/dynamic.ts'
import { parseStatusCodes, pickWeighted } from '../../../../services/http/routes/httpbin/status.ts'
import { ANY_METHODS, httpbinApp } from '../../../support/httpbin-app.ts'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('parseStatusCodes and pickWeighted', () => {
  it('reads one code, a list, and weights (a code without a weight weighs 1)', () => {
    expect(parseStatusCodes('418')).toEqual([{ code: 418, weight: 1 }])
    expect(parseStatusCodes('200,500')).toEqual([
      { code: 200, weight: 1 },
      { code: 500, weight: 1 },
    ])
    expect(parseStatusCodes('200:0.7,500:0.3,404')).toEqual([
      { code: 200, weight: 0.7 },
      { code: 500, weight: 0.3 },
      { code: 404, weight: 1 },
    ])
  })

  it.each([
    [
      'abc',
      'invalid status code "abc": expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
    [
      '99',
      'invalid status code "99": expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
    [
      '100',
      'invalid status code "100": expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
    [
      '600',
      'invalid status code "600": expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
    [
      '200,',
      'invalid status code "": expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
    [
      '200:x',
      'invalid weight "x" for status 200: expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
    [
      '200:-1',
      'invalid weight "-1" for status 200: expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
    [
      '200:0,500:0',
      'the weights in "200:0,500:0" add up to 0: expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
    ],
  ])('refuses %s', (spec, message) => {
    expect(() => parseStatusCodes(spec)).toThrow(message)
  })

  it('picks by weight: the draw falls in the band of its code', () => {
    const choices = parseStatusCodes('200:0.7,500:0.3')
    expect(pickWeighted(choices, () => 0)).toBe(200)
    expect(pickWeighted(choices, () => 0.69)).toBe(200)
    expect(pickWeighted(choices, () => 0.71)).toBe(500)
    expect(pickWeighted(choices, () => 0.999_999)).toBe(500)
    expect(pickWeighted(parseStatusCodes('200:0,503'), () => 0)).toBe(503)
  })
})

describe('decodeBase64 and parseRange', () => {
  it('decodes URL-safe and standard base64, padded or not; refuses what is not base64 or not UTF-8', () => {
    expect(decodeBase64('SFRUUEJJTiBpcyBhd2Vzb21l')).toBe('HTTPBIN is awesome')
    expect(decodeBase64('aGk_Pz8')).toBe('hi???')
    expect(decodeBase64('aGk/Pz8=')).toBe('hi???')
    expect(decodeBase64('not base64!')).toBeUndefined()
    expect(decodeBase64('abcde')).toBeUndefined()
    expect(decodeBase64('_w')).toBeUndefined()
  })

  it('reads one byte range of an n-byte body', () => {
    expect(parseRange(undefined, 100)).toBeUndefined()
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 })
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 })
    expect(parseRange('bytes=-5', 100)).toEqual({ start: 95, end: 99 })
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 })
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=9-1', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined()
    expect(parseRange('items=0-1', 100)).toBeUndefined()
  })
})

describe('/status, /delay and the dynamic data routes (inject)', () => {
  let app: FastifyInstance
  beforeAll(() => {
    app = httpbinApp({
      HTTP_MAX_DELAY_MS: '300',
      HTTP_MAX_RANDOM_BYTES: '1000',
      HTTP_MAX_STREAM_LINES: '5',
    })
  })
  afterAll(() => app.close())

  it.each([...ANY_METHODS, 'HEAD'] as const)('answers %s /status/204 with 204', async (method) => {
    const res = await app.inject({ method, url: '/status/204' })
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
  })

  it('answers 418 with a teapot and 3xx with Location: /redirect/1', async () => {
    const teapot = await app.inject({ url: '/status/418' })
    expect(teapot.statusCode).toBe(418)
    expect(teapot.headers['x-more-info']).toBe('http://tools.ietf.org/html/rfc2324')
    expect(teapot.body).toContain("I'm a teapot")
    for (const code of [301, 302, 303, 307, 308]) {
      const res = await app.inject({ url: `/status/${code}` })
      expect([res.statusCode, res.headers.location]).toEqual([code, '/redirect/1'])
    }
  })

  it('answers 401 and 407 with the Fake Realm challenges', async () => {
    const res401 = await app.inject({ url: '/status/401' })
    expect(res401.statusCode).toBe(401)
    expect(res401.headers['www-authenticate']).toBe('Basic realm="Fake Realm"')
    const res407 = await app.inject({ url: '/status/407' })
    expect(res407.statusCode).toBe(407)
    expect(res407.headers['proxy-authenticate']).toBe('Basic realm="Fake Realm"')
  })

  it('picks among a list, and never a code of weight 0', async () => {
    const seen = new Set<number>()
    for (let i = 0; i < 20; i++) seen.add((await app.inject({ url: '/status/201:0,202' })).statusCode)
    expect([...seen]).toEqual([202])
    const listed = await app.inject({ method: 'POST', url: '/status/500,502,503' })
    expect([500, 502, 503]).toContain(listed.statusCode)
  })

  it('answers an invalid code with 400 invalid_parameter', async () => {
    const res = await app.inject({ url: '/status/teapot' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error:
        'invalid status code "teapot": expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3',
      status: 400,
    })
  })

  it('answers /delay/{n} after n seconds with the echo of the body', async () => {
    const t0 = performance.now()
    const res = await app.inject({
      method: 'POST',
      url: '/delay/0.1?x=1',
      payload: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      args: { x: '1' },
      data: '',
      form: { a: '1' },
      url: 'http://localhost:80/delay/0.1?x=1',
    })
  })

  it('answers a delay above HTTP_MAX_DELAY_MS at once with 400 naming the limit', async () => {
    const t0 = performance.now()
    const res = await app.inject({ url: '/delay/0.5' })
    expect(performance.now() - t0).toBeLessThan(250)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: 'delay is 0.5 s, above the limit of 0.3 s (HTTP_MAX_DELAY_MS=300)',
      status: 400,
    })
    const negative = await app.inject({ url: '/delay/-1' })
    expect(negative.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: 'params/n must be >= 0',
      status: 400,
    })
  })

  it('answers /bytes/{n} with n random bytes, the same ones for the same seed', async () => {
    const a = await app.inject({ url: '/bytes/100' })
    expect(a.statusCode).toBe(200)
    expect(a.headers['content-type']).toBe('application/octet-stream')
    expect(a.rawPayload.length).toBe(100)
    const s1 = await app.inject({ url: '/bytes/37?seed=42' })
    const s2 = await app.inject({ url: '/bytes/37?seed=42' })
    const s3 = await app.inject({ url: '/bytes/37?seed=43' })
    expect(s1.rawPayload.equals(s2.rawPayload)).toBe(true)
    expect(s1.rawPayload.equals(s3.rawPayload)).toBe(false)
    expect((await app.inject({ url: '/bytes/0' })).rawPayload.length).toBe(0)
  })

  it('answers /bytes and /stream-bytes above HTTP_MAX_RANDOM_BYTES with 400', async () => {
    for (const url of ['/bytes/1001', '/stream-bytes/1001']) {
      const res = await app.inject({ url })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({
        code: 'INVALID_PARAMETER',
        error: 'n is 1001 bytes, above the limit of 1000 bytes (HTTP_MAX_RANDOM_BYTES)',
        status: 400,
      })
    }
    const bad = await app.inject({ url: '/bytes/ten' })
    expect(bad.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: 'params/n must be integer',
      status: 400,
    })
  })

  it('streams /stream-bytes/{n} chunked, seeded like /bytes', async () => {
    const res = await app.inject({ url: '/stream-bytes/1000?seed=7&chunk_size=64' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect(res.rawPayload.length).toBe(1000)
    const bytes = await app.inject({ url: '/bytes/1000?seed=7' })
    expect(res.rawPayload.equals(bytes.rawPayload)).toBe(true)
  })

  it('streams /stream/{n} as n JSON lines, each /get dict plus id', async () => {
    const res = await app.inject({ url: '/stream/3?k=v' })
    expect(res.headers['transfer-encoding']).toBe('chunked')
    const lines = res.body.split('\n')
    expect(lines.at(-1)).toBe('')
    const docs = lines.slice(0, -1).map((line) => JSON.parse(line))
    expect(docs.map((d) => d.id)).toEqual([0, 1, 2])
    expect(docs[2]).toEqual({
      args: { k: 'v' },
      headers: { Host: 'localhost:80', 'User-Agent': 'lightMyRequest' },
      id: 2,
      origin: '127.0.0.1',
      url: 'http://localhost:80/stream/3?k=v',
    })
  })

  it('answers /stream above HTTP_MAX_STREAM_LINES with 400', async () => {
    const res = await app.inject({ url: '/stream/6' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: 'n is 6 lines, above the limit of 5 lines (HTTP_MAX_STREAM_LINES)',
      status: 400,
    })
  })

  it('answers /range/{n} whole, a Range with 206, and an unsatisfiable one with 416', async () => {
    const whole = await app.inject({ url: '/range/30' })
    expect(whole.statusCode).toBe(200)
    expect(whole.body).toBe('abcdefghijklmnopqrstuvwxyzabcd')
    expect(whole.headers['accept-ranges']).toBe('bytes')
    const part = await app.inject({ url: '/range/30', headers: { range: 'bytes=24-27' } })
    expect(part.statusCode).toBe(206)
    expect(part.headers['content-range']).toBe('bytes 24-27/30')
    expect(part.body).toBe('yzab')
    const none = await app.inject({ url: '/range/30', headers: { range: 'bytes=30-' } })
    expect(none.statusCode).toBe(416)
    expect(none.headers['content-range']).toBe('bytes */30')
  })

  it('drips numbytes over the duration with Content-Length, and refuses a drip above the limits', async () => {
    const res = await app.inject({ url: '/drip?numbytes=5&duration=0.1' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-length']).toBe('5')
    expect(res.body).toBe('*****')
    const coded = await app.inject({ url: '/drip?numbytes=1&duration=0&code=503' })
    expect([coded.statusCode, coded.body]).toEqual([503, '*'])
    const long = await app.inject({ url: '/drip?duration=0.2&delay=0.2' })
    expect(long.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: 'delay + duration is 0.4 s, above the limit of 0.3 s (HTTP_MAX_DELAY_MS=300)',
      status: 400,
    })
    const big = await app.inject({ url: '/drip?numbytes=1001&duration=0' })
    expect(big.json().error).toBe(
      'numbytes is 1001 bytes, above the limit of 1000 bytes (HTTP_MAX_RANDOM_BYTES)',
    )
  })

  it('answers /uuid with a fresh v4 UUID', async () => {
    const a = (await app.inject({ url: '/uuid' })).json()
    const b = (await app.inject({ url: '/uuid' })).json()
    expect(a.uuid).toMatch(UUID_V4)
    expect(b.uuid).toMatch(UUID_V4)
    expect(a.uuid).not.toBe(b.uuid)
  })

  it("answers /base64/{value} with the decoded text, or httpbin's hint with 200", async () => {
    const good = await app.inject({ url: '/base64/SFRUUEJJTiBpcyBhd2Vzb21l' })
    expect([good.statusCode, good.headers['content-type'], good.body]).toEqual([
      200,
      'text/html; charset=utf-8',
      'HTTPBIN is awesome',
    ])
    const bad = await app.inject({ url: '/base64/%25%25%25' })
    expect([bad.statusCode, bad.body]).toEqual([200, 'Incorrect Base64 data try: SFRUUEJJTiBpcyBhd2Vzb21l'])
  })
})
