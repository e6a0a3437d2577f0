/**
 * `netlab http …` end to end inside the process: the real command tree against the real
 * HTTP app on loopback (port 0, found through HTTP_HOST_PORT as on the host), plus small
 * node:http and TCP doubles for what the app cannot show (request echo,
 * binary bodies, a server that never answers, a closed port).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultTargets } from '../../../clients/cli/targets.ts'
import type { Env } from '../../../lib/config.ts'
import { createLogger } from '../../../lib/log.ts'
import { dataDocument } from '../../../protocols/seed-documents.ts'
import { buildApp } from '../../../services/http/app.ts'
import { loadHttpConfig } from '../../../services/http/config.ts'
import { runCli } from '../../support/cli-harness.ts'

const grouped = (n: number) => n.toLocaleString('en-US')

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

describe('netlab http', () => {
  let env: Env
  let base: string
  let double: string
  let silent: string
  let closedPort: number

  const app = buildApp(loadHttpConfig({ HTTP_PORT: '0' }), createLogger('http', 'silent'))
  const echo = createHttpServer(async (req, res) => {
    const body = await readAll(req)
    if (req.url === '/binary') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0xff, 0x00, 0xfe]))
    } else if (req.url === '/boom') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom')
    } else {
      const reply = { method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
    }
  })
  const sockets = new Set<Socket>()
  const never = createTcpServer((s) => {
    sockets.add(s) // accepts, reads, never answers
    s.on('error', () => {})
  })

  beforeAll(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const appPort = (app.server.address() as AddressInfo).port
    env = { HTTP_HOST_PORT: String(appPort) }
    base = `http://127.0.0.1:${appPort}`
    double = `http://127.0.0.1:${await listen(echo)}`
    silent = `http://127.0.0.1:${await listen(never)}`
    const closed = createTcpServer()
    closedPort = await listen(closed)
    await new Promise((resolve) => closed.close(resolve))
  })

  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await Promise.all([
      app.close(),
      new Promise((resolve) => echo.close(resolve)),
      new Promise((resolve) => never.close(resolve)),
    ])
  })

  it('http get prints the body', async () => {
    const r = await runCli(env, ['http', 'get', '/hello/Michael'])
    expect(r).toMatchObject({
      stdout: '<h1>hello, Michael!</h1>\n',
      stderr: '',
      code: 0,
    })
  })

  it('a full http:// URL works too', async () => {
    const r = await runCli({}, ['http', 'get', `${base}/hello/Ann`])
    expect(r.stdout).toBe('<h1>hello, Ann!</h1>\n')
    expect(r.code).toBe(0)
  })

  it('--json gives status, headers, body and timing', async () => {
    const r = await runCli(env, ['--json', 'http', 'get', '/hello/Michael'])
    expect(r.code).toBe(0)
    const data = JSON.parse(r.stdout) as Record<string, unknown> & {
      headers: Record<string, string>
      timing: { ttfb_ms: number; total_ms: number }
    }
    expect(Object.keys(data)).toEqual(['method', 'url', 'status', 'headers', 'body', 'timing'])
    expect(data).toMatchObject({
      method: 'GET',
      url: `${base}/hello/Michael`,
      status: 200,
      body: '<h1>hello, Michael!</h1>',
    })
    expect(data.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(data.timing.ttfb_ms).toBeGreaterThan(0)
    expect(data.timing.total_ms).toBeGreaterThanOrEqual(data.timing.ttfb_ms)
  })

  it('--json parses a JSON body and adds the /data/ breakdown', async () => {
    const r = await runCli(env, ['--json', 'http', 'get', '/data/?items=2'])
    const data = JSON.parse(r.stdout) as { body: unknown; breakdown: Record<string, unknown> }
    expect(data.body).toEqual({
      data: { 0: { name: 'tigerrose', tag: 'cool' }, 1: { name: 'tigerrose', tag: 'cool' } },
    })
    expect(data.breakdown).toMatchObject({ bytes: Buffer.byteLength(dataDocument(2)), items: 2 })
    expect(r.stderr).toBe('')
  })

  it('get /data/ prints the body, and the seed-style breakdown on stderr', async () => {
    const r = await runCli(env, ['http', 'get', '/data/'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${dataDocument(1000)}\n`)
    const size = grouped(Buffer.byteLength(dataDocument(1000)))
    expect(r.stderr).toMatch(
      new RegExp(
        `^size {11}${size} B\\nttfb {11}[\\d.]+ ms\\ntransfer {7}[\\d.]+ ms\\ntotal {10}[\\d.]+ ms\\n` +
          'client unpack  [\\d.]+ ms \\(JSON\\.parse\\)\\nitems {10}1000\\n$',
      ),
    )
  })

  it('--timing adds the breakdown anywhere; not-JSON bodies have no unpack or items', async () => {
    const r = await runCli(env, ['http', 'get', '/hello/x', '--timing'])
    expect(r.stderr).toMatch(/^size {11}18 B\n[\s\S]*\nclient unpack {2}n\/a \(not JSON\)\nitems {10}n\/a\n$/)
  })

  it('--include prints the status line and headers first', async () => {
    const r = await runCli(env, ['http', 'get', '-i', '/hello/Michael'])
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK\n/)
    expect(r.stdout).toContain('\ncontent-type: text/html; charset=utf-8\n')
    expect(r.stdout).toContain('\ncontent-length: 24\n')
    expect(r.stdout.endsWith('\n\n<h1>hello, Michael!</h1>\n')).toBe(true)
  })

  it('head prints nothing but exits 0; with -i the headers', async () => {
    expect(await runCli(env, ['http', 'head', '/hello/Michael'])).toMatchObject({
      stdout: '',
      stderr: '',
      code: 0,
    })
    const r = await runCli(env, ['http', 'head', '-i', '/hello/Michael'])
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK\n[\s\S]*\ncontent-length: 24\n[\s\S]*[^\n]\n\n$/)
  })

  it('404: the body on stdout, the error line on stderr, exit 1', async () => {
    const r = await runCli(env, ['http', 'get', '/nope'])
    expect(r).toMatchObject({
      stdout: '{"error":"no route for GET /nope","status":404,"code":"NOT_FOUND"}\n',
      stderr: 'netlab: GET /nope → 404 NOT_FOUND: no route for GET /nope\n',
      code: 1,
    })
  })

  it('405 from delete on a GET route', async () => {
    const r = await runCli(env, ['http', 'delete', '/hello/x'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      'netlab: DELETE /hello/x → 405 METHOD_NOT_ALLOWED: DELETE is not allowed on /hello/x; allowed: GET, HEAD\n',
    )
  })

  it('--json with an error status still prints the response object, and exits 1', async () => {
    const r = await runCli(env, ['--json', 'http', 'get', '/nope'])
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', error: 'no route for GET /nope', status: 404 },
    })
    expect(r.stderr).toBe('netlab: GET /nope → 404 NOT_FOUND: no route for GET /nope\n')
    expect(r.code).toBe(1)
  })

  it('a non-JSON error names the status and reason', async () => {
    const r = await runCli({}, ['http', 'get', `${double}/boom`])
    expect(r).toMatchObject({
      stdout: 'boom\n',
      stderr: `netlab: GET ${double}/boom → 500 Internal Server Error\n`,
      code: 1,
    })
  })

  it('-H headers reach the server (a Content-Type the /data/ route refuses)', async () => {
    const r = await runCli(env, ['http', 'post', '/data/', '--data', '{}', '-H', 'Content-Type: text/plain'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      'netlab: POST /data/ → 415 UNSUPPORTED_MEDIA_TYPE: POST /data/ takes application/json, not text/plain\n',
    )
  })

  it('-H headers, repeated, reach the server as sent', async () => {
    const r = await runCli({}, [
      'http',
      'get',
      `${double}/h`,
      '-H',
      'X-Lab: one',
      '-H',
      'x-lab:two',
      '-H',
      'Accept: text/plain',
    ])
    const seen = JSON.parse(r.stdout) as { method: string; headers: Record<string, string> }
    expect(seen.method).toBe('GET')
    expect(seen.headers).toMatchObject({ 'x-lab': 'one, two', accept: 'text/plain', 'user-agent': 'netlab' })
  })

  it('post --json-body sends application/json; the /data/ route answers its receipt', async () => {
    const r = await runCli(env, ['http', 'post', '/data/', '--json-body', '{"0": {"name": "tigerrose"}}'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'success', items: 1, bytes: 28 })
  })

  it('put --form sends a urlencoded form; patch --data sends text with no Content-Type', async () => {
    const form = await runCli({}, ['http', 'put', `${double}/f`, '--form', 'a=1', '--form', 'b=x y&z'])
    expect(JSON.parse(form.stdout)).toMatchObject({
      method: 'PUT',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=x+y%26z',
    })
    const text = await runCli({}, ['http', 'patch', `${double}/t`, '--data', 'raw text'])
    const seen = JSON.parse(text.stdout) as { method: string; headers: Record<string, string>; body: string }
    expect(seen).toMatchObject({ method: 'PATCH', body: 'raw text' })
    expect(seen.headers['content-type']).toBeUndefined()
  })

  it('a binary body goes to stdout byte for byte, and as base64 with --json', async () => {
    const r = await runCli({}, ['http', 'get', `${double}/binary`])
    expect(r.raw).toEqual(Buffer.from([0xff, 0x00, 0xfe]))
    const j = await runCli({}, ['--json', 'http', 'get', `${double}/binary`])
    expect(JSON.parse(j.stdout)).toMatchObject({ body: '/wD+', body_encoding: 'base64' })
  })

  it('connection refused: exit 1 at once, naming the URL', async () => {
    const r = await runCli({ HTTP_HOST_PORT: String(closedPort) }, [
      'http',
      'get',
      '/get',
      '--timeout',
      '3000',
    ])
    expect(r).toMatchObject({
      stdout: '',
      stderr: `netlab: http://127.0.0.1:${closedPort}/get: connection refused\n`,
      code: 1,
    })
    expect(r.elapsedMs).toBeLessThan(3000)
  })

  it('a server that never answers: exit 1 within the timeout', async () => {
    const r = await runCli({}, ['http', 'get', `${silent}/slow`, '--timeout', '200'])
    expect(r.stderr).toBe(`netlab: ${silent}/slow: no response within 200 ms\n`)
    expect(r.code).toBe(1)
    expect(r.elapsedMs).toBeLessThan(1500)
  })

  it('--json reports a connection failure as an error object', async () => {
    const r = await runCli({}, ['--json', 'http', 'get', `http://127.0.0.1:${closedPort}/`])
    expect(JSON.parse(r.stdout)).toEqual({
      error: 'HTTP_FAILED',
      message: `http://127.0.0.1:${closedPort}/: connection refused`,
    })
  })

  it.each([
    [['http', 'get', 'https://example.com/'], 'netlab: only http:// URLs are supported, not https://\n'],
    [['http', 'get', 'hello'], 'netlab: target must be a path such as /get or an http:// URL, not "hello"\n'],
    [['http', 'post', '/data/', '--json-body', '{nope'], /^netlab: --json-body is not valid JSON: /],
    [
      ['http', 'post', '/x', '--data-file', '/no/such/file'],
      'netlab: cannot read --data-file /no/such/file: ENOENT\n',
    ],
  ])('rejects %j', async (args, message) => {
    const r = await runCli(env, args)
    expect(r.code).toBe(2) // a bad argument is a usage error
    if (typeof message === 'string') expect(r.stderr).toBe(message)
    else expect(r.stderr).toMatch(message)
  })

  it.each([
    [
      ['http', 'post-data', '--items', '0'],
      "option '--items <n>' argument '0' is invalid. expected an item count from 1 to 1000000",
    ],
    [['http', 'post-data', '--items', '1000001'], 'expected an item count from 1 to 1000000'],
    [['http', 'post-data', '--runs', '51'], 'expected a run count from 1 to 50'],
    [['http', 'get', '/x', '--timeout', '0'], 'expected milliseconds from 1 to 600000'],
    [['http', 'get', '/x', '-H', 'no colon'], 'expected "Name: value"'],
    [['http', 'get', '/x', '-H', 'Bad Name: v'], 'expected "Name: value"'],
    [['http', 'post', '/x', '--form', 'novalue'], 'expected name=value'],
    [
      ['http', 'post', '/x', '--data', 'a', '--json-body', '{}'],
      "option '--data <text>' cannot be used with option '--json-body <json>'",
    ],
  ])('rejects bad options: %j', async (args, message) => {
    const r = await runCli(env, args)
    expect(r.code).toBe(2) // commander's usage errors
    expect(r.stderr).toContain(message)
  })
})

describe('defaultTargets().http', () => {
  it.each([
    { name: 'on the host', env: {}, want: { host: '127.0.0.1', ports: { http: 8080 } } },
    {
      name: 'on the host, published elsewhere',
      env: { HTTP_HOST_PORT: '18080' },
      want: { host: '127.0.0.1', ports: { http: 18080 } },
    },
    {
      name: 'in the lab',
      env: { NETLAB_IN_LAB: '1', HTTP_HOST_PORT: '18080' },
      want: { host: 'http', ports: { http: 8080 } },
    },
    {
      name: 'with NETLAB_HTTP_HOST',
      env: { NETLAB_HTTP_HOST: '10.0.0.9' },
      want: { host: '10.0.0.9', ports: { http: 8080 } },
    },
  ])('$name', ({ env, want }) => {
    expect(defaultTargets(env).http).toEqual(want)
  })
})
