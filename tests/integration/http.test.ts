/**
 * The HTTP service across the Docker bridge, from the host: the seeds' pages, seed 000's
 * /data/ experiment, the JSON error form, every limit (set low through its variable),
 * and both worker threads serving.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../support/lab.ts'

/** rawExchange writes bytes on a fresh TCP connection and collects the reply until the server closes. */
function rawExchange(port: number, bytes: string, timeoutMs: number): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const socket = connect({ host: '127.0.0.1', port })
    let reply = ''
    socket.setEncoding('utf8')
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no close within ${timeoutMs} ms`)))
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', (s: string) => {
      reply += s
    })
    socket.on('error', reject)
    socket.on('close', () => resolve({ reply, ms: performance.now() - t0 }))
  })
}

/** pyDumps100k is what the seed's client sends: json.dumps({i: {'name': 'tigerrose'}}) for n items. */
function pythonStyleItems(n: number): string {
  const parts: string[] = []
  for (let i = 0; i < n; i++) parts.push(`"${i}": {"name": "tigerrose"}`)
  return `{${parts.join(', ')}}`
}

describe('http service', { timeout: 30_000 }, () => {
  let lab: Lab
  let base: string
  beforeAll(async () => {
    lab = await startLab(['http'], {
      env: {
        http: {
          LOG_LEVEL: 'debug',
          HTTP_WORKERS: '2',
          HTTP_MAX_BODY_BYTES: '4194304',
          HTTP_HEADERS_TIMEOUT_MS: '1000',
          HTTP_MAX_HEADER_BYTES: '4096',
          HTTP_MAX_JSON_DEPTH: '32',
        },
      },
    })
    base = lab.baseUrl('http', 8080)
  })
  afterAll(() => lab?.stop())

  describe('the seeds pages', () => {
    it('GET / is seed 002 index page', async () => {
      const res = await fetch(`${base}/`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await res.text()).toBe('<h1>Index</h1>')
    })

    it('GET /hello/{name} greets, with the name escaped', async () => {
      expect(await (await fetch(`${base}/hello/Michael`)).text()).toBe('<h1>hello, Michael!</h1>')
      expect(await (await fetch(`${base}/hello/%3Cscript%3E`)).text()).toBe('<h1>hello, &lt;script&gt;!</h1>')
    })

    it('GET /hello?name= is seed 004 page; without a name it is a 400 JSON error', async () => {
      const page = await (await fetch(`${base}/hello?name=Guido`)).text()
      expect(page).toContain('<title>Hello Guido</title>')
      expect(page).toContain('<h1>Hello Guido!</h1>')
      const res = await fetch(`${base}/hello`)
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        code: 'INVALID_PARAMETER',
        error: 'query parameter "name" is required, once: /hello?name=Guido',
        status: 400,
      })
    })

    it('GET /localtime is seed 004 XML document with the container clock', async () => {
      const res = await fetch(`${base}/localtime`)
      expect(res.headers.get('content-type')).toBe('application/xml')
      const xml = await res.text()
      const year = Number(/<year>(\d+)<\/year>/.exec(xml)?.[1])
      expect(year).toBe(new Date().getUTCFullYear()) // the container runs in UTC
      expect(xml).toMatch(
        /^<\?xml version="1\.0"\?>\n<time>\n {2}<year>\d{4}<\/year>\n {2}<month>\d{1,2}<\/month>/,
      )
    })
  })

  describe('seed 000 /data/', () => {
    it('GET /data/ has 1000 items in Python json.dumps spacing', async () => {
      const res = await fetch(`${base}/data/`)
      const text = await res.text()
      const doc = JSON.parse(text) as { data: Record<string, { name: string; tag: string }> }
      expect(Object.keys(doc.data)).toHaveLength(1000)
      expect(doc.data['999']).toEqual({ name: 'tigerrose', tag: 'cool' })
      expect(text.startsWith('{"data": {"0": {"name": "tigerrose", "tag": "cool"}, "1": ')).toBe(true)
    })

    it('POST /data/ with the seed 3,188,890-byte body reports items, bytes and its timings', async () => {
      const body = pythonStyleItems(100_000)
      expect(body.length).toBe(3_188_890) // the seed's "Data Size"
      // The seed's httplib client sends no Content-Type: it must be read as JSON.
      const res = await fetch(`${base}/data/`, { method: 'POST', body: Buffer.from(body) })
      expect(res.status).toBe(200)
      const receipt = (await res.json()) as Record<string, unknown>
      expect(receipt).toMatchObject({ result: 'success', items: 100_000, bytes: 3_188_890 })
      expect(receipt.parse_ms).toBeGreaterThan(0)
      expect(receipt.unpack_ms).toBeGreaterThan(0)
      expect(res.headers.get('server-timing')).toBe(
        `parse;dur=${receipt.parse_ms}, unpack;dur=${receipt.unpack_ms}`,
      )
    })
  })

  describe('errors and limits', () => {
    const post = (path: string, body: string | Buffer, type?: string) =>
      fetch(`${base}${path}`, { method: 'POST', body, headers: type ? { 'content-type': type } : {} })

    it('malformed JSON is 400 invalid_json', async () => {
      const res = await post('/data/', '{"0": ', 'application/json')
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        code: 'INVALID_JSON',
        error: 'request body is not valid JSON: Unexpected end of JSON input',
        status: 400,
      })
    })

    it('JSON nested deeper than HTTP_MAX_JSON_DEPTH is 400 json_too_deep', async () => {
      const res = await post('/data/', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'application/json')
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        code: 'JSON_TOO_DEEP',
        error: 'JSON body is nested deeper than 32 levels',
        status: 400,
      })
    })

    it('a wrong media type is 415', async () => {
      const res = await post('/data/', '<x/>', 'application/xml')
      expect(res.status).toBe(415)
      expect(((await res.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA_TYPE')
    })

    it('a body over HTTP_MAX_BODY_BYTES is 413, and the service keeps serving', async () => {
      const res = await post('/data/', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), 'application/json')
      expect(res.status).toBe(413)
      expect(await res.json()).toEqual({
        code: 'BODY_TOO_LARGE',
        error: 'Request body is too large',
        status: 413,
      })
      expect((await fetch(`${base}/`)).status).toBe(200)
    })

    it('an unknown route is 404 and a wrong method 405 with Allow, both JSON', async () => {
      const missing = await fetch(`${base}/nope`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toEqual({
        code: 'NOT_FOUND',
        error: 'no route for GET /nope',
        status: 404,
      })
      const wrong = await fetch(`${base}/data/`, { method: 'DELETE' })
      expect(wrong.status).toBe(405)
      expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST')
    })

    it('a client that never finishes its headers gets 408 and is closed after HTTP_HEADERS_TIMEOUT_MS', async () => {
      const { reply, ms } = await rawExchange(
        lab.hostPort('http', 8080),
        'GET / HTTP/1.1\r\nHost: x\r\n',
        6000,
      )
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
      expect(ms).toBeGreaterThanOrEqual(900)
      expect(ms).toBeLessThan(4000)
    })

    it('headers over HTTP_MAX_HEADER_BYTES are 431 and the connection is closed', async () => {
      const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`
      const { reply } = await rawExchange(lab.hostPort('http', 8080), big, 5000)
      expect(reply).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
    })

    it('garbage instead of HTTP is 400 and closed', async () => {
      const { reply } = await rawExchange(lab.hostPort('http', 8080), 'HELLO THERE\r\n\r\n', 5000)
      expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    })
  })

  describe('the httpbin surface, from the host', () => {
    const json = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${base}${path}`, init)
      return { res, body: (await res.json()) as Record<string, unknown> }
    }

    it('echoes requests: /get, /post form and JSON, /anything with its method, multipart files', async () => {
      const get = await json('/get?name=Dave&n=37&n=38', { headers: { 'User-Agent': 'goaway/1.0' } })
      expect(get.body.args).toEqual({ name: 'Dave', n: ['37', '38'] })
      expect((get.body.headers as Record<string, string>)['User-Agent']).toBe('goaway/1.0')
      expect(get.body.url).toBe(`${base}/get?name=Dave&n=37&n=38`)
      const form = await json('/post', { method: 'POST', body: new URLSearchParams({ name1: 'value1' }) })
      expect(form.body).toMatchObject({ form: { name1: 'value1' }, json: null, data: '', files: {} })
      const posted = await json('/post', {
        method: 'POST',
        body: '{"a": [1, 2]}',
        headers: { 'content-type': 'application/json' },
      })
      expect(posted.body).toMatchObject({ json: { a: [1, 2] }, data: '{"a": [1, 2]}', form: {} })
      const any = await json('/anything/x/y', { method: 'PUT', body: 'raw' })
      expect(any.body).toMatchObject({ method: 'PUT', data: 'raw' })
      const fd = new FormData()
      fd.append('file', new Blob(['Hello, world.']), 'file.txt')
      fd.append('field', 'v')
      const multi = await json('/post', { method: 'POST', body: fd })
      expect(multi.body).toMatchObject({ files: { file: 'Hello, world.' }, form: { field: 'v' } })
    })

    it('keeps cookies, checks basic and bearer auth, follows redirects', async () => {
      const set = await fetch(`${base}/cookies/set?session=abc`, { redirect: 'manual' })
      expect(set.status).toBe(302)
      expect(set.headers.get('location')).toBe('/cookies')
      const cookie = (set.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      expect((await json('/cookies', { headers: { cookie } })).body).toEqual({ cookies: { session: 'abc' } })
      const auth = `Basic ${Buffer.from('user:passwd').toString('base64')}`
      expect((await json('/basic-auth/user/passwd', { headers: { authorization: auth } })).body).toEqual({
        authenticated: true,
        user: 'user',
      })
      const denied = await fetch(`${base}/basic-auth/user/other`, { headers: { authorization: auth } })
      expect(denied.status).toBe(401)
      expect(denied.headers.get('www-authenticate')).toBe('Basic realm="Fake Realm"')
      expect((await json('/bearer', { headers: { authorization: 'Bearer t0k' } })).body).toEqual({
        authenticated: true,
        token: 't0k',
      })
      const followed = await fetch(`${base}/redirect/3`)
      expect(followed.url).toBe(`${base}/get`)
      expect(
        (await fetch(`${base}/redirect-to?url=http://example.com/`, { redirect: 'manual' })).status,
      ).toBe(400)
    })

    it('serves dynamic data within its limits: /delay, /bytes, /stream, /status, /gzip, /uuid', async () => {
      const t0 = performance.now()
      expect((await fetch(`${base}/delay/0.3`)).status).toBe(200)
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
      const tooLong = await json('/delay/11')
      expect(tooLong.res.status).toBe(400)
      expect(tooLong.body.code).toBe('INVALID_PARAMETER')
      const bytes = Buffer.from(await (await fetch(`${base}/bytes/1000?seed=7`)).arrayBuffer())
      expect(bytes).toHaveLength(1000)
      expect(Buffer.from(await (await fetch(`${base}/bytes/1000?seed=7`)).arrayBuffer())).toEqual(bytes)
      expect((await fetch(`${base}/bytes/200000`)).status).toBe(400)
      const lines = (await (await fetch(`${base}/stream/5`)).text()).trim().split('\n')
      expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([0, 1, 2, 3, 4])
      expect((await fetch(`${base}/status/418`)).status).toBe(418)
      expect((await fetch(`${base}/status/200:0,503:1`)).status).toBe(503)
      expect((await json('/gzip')).body.gzipped).toBe(true)
      expect((await json('/uuid')).body.uuid).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
      const head = await fetch(`${base}/json`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0)
    })
  })

  describe('from the client container (docker compose run --rm client http ...)', () => {
    it('http get prints the body and sends -H headers', async () => {
      const r = await lab.client('http', 'get', '/headers', '-H', 'X-Lab: yes')
      expect(r.exitCode).toBe(0)
      const headers = (JSON.parse(r.stdout) as { headers: Record<string, string> }).headers
      expect(headers['X-Lab']).toBe('yes')
      expect(headers.Host).toBe('http:8080')
    })

    it('http post --form and --json output', async () => {
      const r = await lab.client(
        '--json',
        'http',
        'post',
        '/post',
        '--form',
        'name1=value1',
        '--form',
        'name2=value2',
      )
      expect(r.exitCode).toBe(0)
      const out = JSON.parse(r.stdout) as { status: number; body: { form: unknown } }
      expect(out.status).toBe(200)
      expect(out.body.form).toEqual({ name1: 'value1', name2: 'value2' })
    })

    it('an error status exits 1 with the JSON error on stderr', async () => {
      const r = await lab.client('http', 'get', '/nope')
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toBe('netlab: GET /nope → 404 NOT_FOUND: no route for GET /nope\n')
    })

    it("http get /data/ prints the seed's GET breakdown", async () => {
      const r = await lab.client('http', 'get', '/data/')
      expect(r.exitCode).toBe(0)
      expect(r.stdout.startsWith('{"data": {"0": {"name": "tigerrose", "tag": "cool"}')).toBe(true)
      expect(r.stderr).toContain('44,900')
      expect(r.stderr).toContain('1000')
    })

    it("http post-data reproduces seed 000's experiment across containers, bytes and items checked", async () => {
      const r = await lab.client('http', 'post-data', '--items', '100000', '--runs', '3')
      expect(r.exitCode).toBe(0)
      expect(r.stdout).toContain('received: 100000 items, 3,188,890 bytes (as sent)')
      for (const phase of ['pack', 'transfer', 'server parse', 'server unpack', 'client unpack', 'total'])
        expect(r.stdout).toMatch(new RegExp(`^${phase} ms`, 'm'))
      expect(r.stdout).toContain('368.087') // the seed's pack time, printed beside ours
    })
  })

  it('serves from both worker threads (SO_REUSEPORT)', async () => {
    // Fresh connections (no keep-alive reuse), so the kernel picks a listener for each.
    for (let i = 0; i < 24; i++)
      await rawExchange(
        lab.hostPort('http', 8080),
        'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        5000,
      )
    const logs = await lab.logs('http')
    expect(logs.find((l) => l.msg === 'listening')).toMatchObject({
      workers: 2,
      mode: 'reuseport',
      port: 8080,
    })
    const workers = new Set(
      logs.filter((l) => l.msg === 'request' && l.url === '/health').map((l) => l.worker),
    )
    expect(workers).toEqual(new Set([0, 1]))
  })
})
