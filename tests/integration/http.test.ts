/**
 * The HTTP service across the Docker bridge, from the host: the seeds' pages, seed 000's
 * /data/ experiment, the JSON error form, every limit (set low through its variable),
 * and both worker threads serving.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from './lab.ts'

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
        error: 'invalid_parameter',
        message: 'query parameter "name" is required, once: /hello?name=Guido',
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
        error: 'invalid_json',
        message: 'request body is not valid JSON: Unexpected end of JSON input',
        status: 400,
      })
    })

    it('JSON nested deeper than HTTP_MAX_JSON_DEPTH is 400 json_too_deep', async () => {
      const res = await post('/data/', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'application/json')
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        error: 'json_too_deep',
        message: 'JSON body is nested deeper than 32 levels',
        status: 400,
      })
    })

    it('a wrong media type is 415', async () => {
      const res = await post('/data/', '<x/>', 'application/xml')
      expect(res.status).toBe(415)
      expect(((await res.json()) as { error: string }).error).toBe('unsupported_media_type')
    })

    it('a body over HTTP_MAX_BODY_BYTES is 413, and the service keeps serving', async () => {
      const res = await post('/data/', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), 'application/json')
      expect(res.status).toBe(413)
      expect(await res.json()).toEqual({
        error: 'body_too_large',
        message: 'Request body is too large',
        status: 413,
      })
      expect((await fetch(`${base}/`)).status).toBe(200)
    })

    it('an unknown route is 404 and a wrong method 405 with Allow, both JSON', async () => {
      const missing = await fetch(`${base}/nope`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toEqual({
        error: 'not_found',
        message: 'no route for GET /nope',
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
