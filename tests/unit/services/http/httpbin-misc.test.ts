/**
 * httpbin's cookies, auth, redirects, formats, response headers and caching through inject(),
 * and HEAD on every GET route.
 */
import { gunzipSync, inflateSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isLocalPath } from '../../../../services/http/routes/httpbin/redirects.ts'
import {
  etagList,
  headerGroups,
  headersDocument,
} from '../../../../services/http/routes/httpbin/response-headers.ts'
import { httpbinApp } from '../../../support/httpbin-app.ts'

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

let app: FastifyInstance
beforeAll(() => {
  app = httpbinApp()
})
afterAll(() => app.close())

describe('cookies', () => {
  it('sets cookies from the query and redirects to /cookies', async () => {
    const res = await app.inject({ url: '/cookies/set?k1=v1&k2=two%20words' })
    expect(res.statusCode).toBe(302)
    expect(res.headers.location).toBe('/cookies')
    expect(res.headers['set-cookie']).toEqual(['k1=v1; Path=/', 'k2=two%20words; Path=/'])
  })

  it('sets one cookie from the path', async () => {
    const res = await app.inject({ url: '/cookies/set/session/abc123' })
    expect([res.statusCode, res.headers.location, res.headers['set-cookie']]).toEqual([
      302,
      '/cookies',
      'session=abc123; Path=/',
    ])
  })

  it('shows the cookies the request carries, decoded', async () => {
    const res = await app.inject({ url: '/cookies', headers: { cookie: 'k1=v1; k2=two%20words' } })
    expect(res.json()).toEqual({ cookies: { k1: 'v1', k2: 'two words' } })
    expect((await app.inject({ url: '/cookies' })).json()).toEqual({ cookies: {} })
    const post = await app.inject({ method: 'POST', url: '/cookies' })
    expect([post.statusCode, post.headers.allow]).toEqual([405, 'GET, HEAD'])
  })

  it('expires the named cookies on /cookies/delete', async () => {
    const res = await app.inject({ url: '/cookies/delete?k1' })
    expect([res.statusCode, res.headers.location]).toEqual([302, '/cookies'])
    expect(res.headers['set-cookie']).toBe('k1=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT')
  })

  it('refuses a name that cannot be a cookie name', async () => {
    const res = await app.inject({ url: '/cookies/set?a%20b=1' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: '"a b" is not a valid cookie name (an RFC 6265 token)',
      status: 400,
    })
  })
})

describe('auth', () => {
  it("accepts seed 004's basic auth (user, password)", async () => {
    const res = await app.inject({
      url: '/basic-auth/user/password',
      headers: { authorization: basic('user', 'password') },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ authenticated: true, user: 'user' })
  })

  it('challenges missing or wrong credentials with 401 and the Fake Realm', async () => {
    for (const headers of [{}, { authorization: basic('user', 'wrong') }, { authorization: 'Basic !!!' }]) {
      const res = await app.inject({ url: '/basic-auth/user/password', headers })
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Basic realm="Fake Realm"')
      expect(res.json()).toEqual({
        code: 'UNAUTHORIZED',
        error: 'Basic credentials for user "user" are required',
        status: 401,
      })
    }
  })

  it('keeps a colon in the password and decodes UTF-8 credentials', async () => {
    const res = await app.inject({
      url: '/basic-auth/j%C3%BCrgen/a:b',
      headers: { authorization: basic('jürgen', 'a:b') },
    })
    expect(res.json()).toEqual({ authenticated: true, user: 'jürgen' })
  })

  it('hides /hidden-basic-auth behind a 404 without a challenge', async () => {
    const res = await app.inject({ url: '/hidden-basic-auth/u/p' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.json()).toEqual({
      code: 'NOT_FOUND',
      error: 'no route for GET /hidden-basic-auth/u/p',
      status: 404,
    })
    const ok = await app.inject({
      url: '/hidden-basic-auth/u/p',
      headers: { authorization: basic('u', 'p') },
    })
    expect(ok.json()).toEqual({ authenticated: true, user: 'u' })
  })

  it('answers /bearer with the token, or 401 with WWW-Authenticate: Bearer', async () => {
    const ok = await app.inject({ url: '/bearer', headers: { authorization: 'Bearer t0k3n' } })
    expect(ok.json()).toEqual({ authenticated: true, token: 't0k3n' })
    const no = await app.inject({ url: '/bearer', headers: { authorization: basic('u', 'p') } })
    expect(no.statusCode).toBe(401)
    expect(no.headers['www-authenticate']).toBe('Bearer')
  })
})

describe('redirects', () => {
  it('chains /redirect/{n} through /relative-redirect to /get', async () => {
    const hops: string[] = []
    let url = '/redirect/3'
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url })
      expect(res.statusCode).toBe(302)
      url = String(res.headers.location)
      hops.push(url)
    }
    expect(hops).toEqual(['/relative-redirect/2', '/relative-redirect/1', '/get'])
  })

  it('uses absolute URLs on this host with ?absolute=true and /absolute-redirect', async () => {
    const headers = { host: 'lab.test:8080' }
    expect((await app.inject({ url: '/redirect/2?absolute=true', headers })).headers.location).toBe(
      'http://lab.test:8080/absolute-redirect/1',
    )
    expect((await app.inject({ url: '/absolute-redirect/1', headers })).headers.location).toBe(
      'http://lab.test:8080/get',
    )
    expect((await app.inject({ url: '/redirect/1', headers })).headers.location).toBe('/get')
  })

  it('refuses a chain longer than 100 or shorter than 1', async () => {
    const res = await app.inject({ url: '/redirect/101' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: 'n is 101 redirects, above the limit of 100 redirects',
      status: 400,
    })
    expect((await app.inject({ url: '/relative-redirect/0' })).json().error).toBe('params/n must be >= 1')
  })

  it('redirects /redirect-to to a local path with the status asked for', async () => {
    const res = await app.inject({ method: 'POST', url: '/redirect-to?url=%2Fget%3Fa%3D1&status_code=307' })
    expect([res.statusCode, res.headers.location]).toEqual([307, '/get?a=1'])
    expect((await app.inject({ url: '/redirect-to?url=/status/200' })).statusCode).toBe(302)
  })

  it.each([
    'http://example.com/',
    '//example.com/x',
    '/\\example.com',
    'javascript:alert(1)',
    'get',
    '/a b',
  ])('refuses /redirect-to?url=%s: no open redirect', async (target) => {
    const res = await app.inject({ url: `/redirect-to?url=${encodeURIComponent(target)}` })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: `url must be a path on this server starting with a single "/", like /get (this lab is no open redirect); got ${JSON.stringify(target)}`,
      status: 400,
    })
  })

  it('isLocalPath takes only one leading "/" and visible ASCII', () => {
    expect([
      isLocalPath('/'),
      isLocalPath('/get?x=%20'),
      isLocalPath('//x'),
      isLocalPath('/x\r\nSet-Cookie: a'),
    ]).toEqual([true, true, false, false])
  })

  it('refuses a /redirect-to status outside 300-399', async () => {
    const res = await app.inject({ url: '/redirect-to?url=/get&status_code=200' })
    expect(res.json()).toEqual({
      code: 'INVALID_PARAMETER',
      error: 'querystring/status_code must be >= 300',
      status: 400,
    })
  })
})

describe('formats', () => {
  it("serves /json in httpbin's slideshow shape", async () => {
    const res = await app.inject({ url: '/json' })
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    const { slideshow } = res.json()
    expect(Object.keys(slideshow)).toEqual(['author', 'date', 'slides', 'title'])
    expect(slideshow.slides.map((s: { title: string }) => s.title)).toEqual([
      'Packets, not magic',
      'Overview',
    ])
    expect(res.body.endsWith('}\n')).toBe(true)
  })

  it.each([
    ['/xml', 'application/xml', '<slideshow'],
    ['/html', 'text/html; charset=utf-8', '<h1>Herman Melville - Moby-Dick</h1>'],
    ['/robots.txt', 'text/plain; charset=utf-8', 'User-agent: *\nDisallow: /deny\n'],
    ['/deny', 'text/plain; charset=utf-8', "YOU SHOULDN'T BE HERE"],
    ['/encoding/utf8', 'text/html; charset=utf-8', 'Γειά σου, κόσμε'],
  ])('serves %s as %s', async (url, type, text) => {
    const res = await app.inject({ url })
    expect([res.statusCode, res.headers['content-type']]).toEqual([200, type])
    expect(res.body).toContain(text)
  })

  it('serves /gzip gzip-encoded and /deflate zlib-encoded, whatever the request accepts', async () => {
    const gz = await app.inject({ url: '/gzip', headers: { 'accept-encoding': 'identity' } })
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString())).toEqual({
      gzipped: true,
      headers: { 'Accept-Encoding': 'identity', Host: 'localhost:80', 'User-Agent': 'lightMyRequest' },
      method: 'GET',
      origin: '127.0.0.1',
    })
    const df = await app.inject({ url: '/deflate' })
    expect(df.headers['content-encoding']).toBe('deflate')
    expect(JSON.parse(inflateSync(df.rawPayload).toString())).toMatchObject({ deflated: true, method: 'GET' })
  })
})

describe('/response-headers', () => {
  it('sets the query as headers and answers with them, Content-Length that of the body', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await app.inject({ method, url: '/response-headers?freeform=hello&X-Multi=1&x-multi=2' })
      expect(res.statusCode).toBe(200)
      expect(res.headers.freeform).toBe('hello')
      expect(res.headers['x-multi']).toEqual(['1', '2'])
      expect(res.headers['content-type']).toBe('application/json')
      expect(res.json()).toEqual({
        'Content-Length': String(res.rawPayload.length),
        'Content-Type': 'application/json',
        'X-Multi': ['1', '2'],
        freeform: 'hello',
      })
      expect(res.headers['content-length']).toBe(String(res.rawPayload.length))
    }
  })

  it('lets the query choose the Content-Type', async () => {
    const res = await app.inject({ url: '/response-headers?Content-Type=text/plain' })
    expect(res.headers['content-type']).toBe('text/plain')
    expect(res.json()['Content-Type']).toBe('text/plain')
  })

  it.each([
    ['X-Bad=a%0D%0ASet-Cookie:%20x=1', 'not a valid response header: "X-Bad: a\\r\\nSet-Cookie: x=1"'],
    ['Bad%20Name=1', 'not a valid response header: "Bad Name: 1"'],
    ['Content-Length=0', "Content-Length is the server's to set, not the query's"],
    ['transfer-encoding=chunked', "transfer-encoding is the server's to set, not the query's"],
  ])('refuses %s with 400', async (query, message) => {
    const res = await app.inject({ url: `/response-headers?${query}` })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ code: 'INVALID_PARAMETER', error: message, status: 400 })
  })

  it('settles Content-Length across a change in its number of digits', () => {
    for (let pad = 0; pad < 120; pad++) {
      const text = headersDocument('application/json', headerGroups([['x', 'y'.repeat(pad)]]))
      expect(JSON.parse(text)['Content-Length']).toBe(String(Buffer.byteLength(text)))
    }
  })
})

describe('/cache and /etag', () => {
  it('answers /cache with Last-Modified and an ETag, and 304 to a conditional request', async () => {
    const res = await app.inject({ url: '/cache' })
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toMatch(/^[0-9a-f]{32}$/)
    expect(Number.isNaN(Date.parse(String(res.headers['last-modified'])))).toBe(false)
    expect(res.json().url).toBe('http://localhost:80/cache')
    const again = await app.inject({ url: '/cache', headers: { 'if-none-match': String(res.headers.etag) } })
    expect([again.statusCode, again.body]).toEqual([304, ''])
  })

  it('answers /cache/{n} with Cache-Control: public, max-age=n', async () => {
    const res = await app.inject({ url: '/cache/60' })
    expect(res.headers['cache-control']).toBe('public, max-age=60')
  })

  it('answers /etag/{etag} with 304 on If-None-Match and 412 on a failed If-Match', async () => {
    const plain = await app.inject({ url: '/etag/abc' })
    expect([plain.statusCode, plain.headers.etag]).toEqual([200, 'abc'])
    const cached = await app.inject({ url: '/etag/abc', headers: { 'if-none-match': 'W/"xyz", "abc"' } })
    expect([cached.statusCode, cached.headers.etag]).toEqual([304, 'abc'])
    const other = await app.inject({ url: '/etag/abc', headers: { 'if-none-match': '"xyz"' } })
    expect(other.statusCode).toBe(200)
    const failed = await app.inject({ url: '/etag/abc', headers: { 'if-match': '"xyz"' } })
    expect(failed.statusCode).toBe(412)
    const matched = await app.inject({ url: '/etag/abc', headers: { 'if-match': '*' } })
    expect(matched.statusCode).toBe(200)
  })

  it('reads tag lists without quotes or W/', () => {
    expect(etagList('"a", W/"b" ,c, ')).toEqual(['a', 'b', 'c'])
    expect(etagList(undefined)).toEqual([])
  })
})

describe('HEAD', () => {
  it.each([
    '/get',
    '/anything/x',
    '/headers',
    '/ip',
    '/user-agent',
    '/status/200',
    '/delay/0',
    '/bytes/10',
    '/stream-bytes/10',
    '/stream/2',
    '/range/10',
    '/drip?numbytes=3&duration=0',
    '/uuid',
    '/base64/aGk',
    '/cookies',
    '/cookies/set?a=1',
    '/cookies/set/a/1',
    '/cookies/delete?a',
    '/basic-auth/u/p',
    '/hidden-basic-auth/u/p',
    '/bearer',
    '/redirect/2',
    '/relative-redirect/1',
    '/absolute-redirect/1',
    '/redirect-to?url=/get',
    '/json',
    '/xml',
    '/html',
    '/robots.txt',
    '/deny',
    '/encoding/utf8',
    '/gzip',
    '/deflate',
    '/response-headers?a=1',
    '/cache',
    '/cache/1',
    '/etag/x',
  ])('HEAD %s answers as GET does, without a body', async (url) => {
    const get = await app.inject({ url })
    const head = await app.inject({ method: 'HEAD', url })
    expect(head.statusCode).toBe(get.statusCode)
    expect(head.headers['content-type']).toBe(get.headers['content-type'])
    expect(head.body).toBe('')
  })
})
