/**
 * The HTTP baseline: a minimal single-threaded Node `http` server (no framework, no worker
 * threads) on port 8080, answering the bench's requests with what netlab's HTTP service
 * sends: GET /data/ the very bytes of services/http/routes/data.ts, GET /get an httpbin-like
 * JSON echo, GET /hello/{name} seed 002's page, POST /data/ seed 000's parse-and-unpack
 * receipt. Anything else is a 404 JSON body.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEFAULT_ITEMS, dataDocument, escapeHtml } from '../../protocols/seed-documents.ts'

/** The HTTP service's port. */
export const HTTP_PORT = 8080
const MAX_BODY_BYTES = 16 * 1024 * 1024

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json', JSON.stringify(value))

function getEcho(req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {}
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers[req.rawHeaders[i] as string] = req.rawHeaders[i + 1] as string
  json(res, 200, {
    args: {},
    headers,
    origin: req.socket.remoteAddress ?? '',
    url: `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`,
  })
}

/** postData is seed 000's server: parse the JSON object, copy every item, say what was received. */
function postData(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = []
  let bytes = 0
  req.on('data', (c: Buffer) => {
    bytes += c.length
    if (bytes > MAX_BODY_BYTES) {
      json(res, 413, { error: 'payload_too_large', message: `body over ${MAX_BODY_BYTES} bytes` })
      req.destroy()
    } else chunks.push(c)
  })
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const t0 = performance.now()
    let doc: unknown
    try {
      doc = JSON.parse(body.toString('utf8'))
    } catch {
      return json(res, 400, { error: 'the body is not JSON', status: 400, code: 'INVALID_JSON' })
    }
    const t1 = performance.now()
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      return json(res, 400, { error: 'POST /data/ takes a JSON object', status: 400, code: 'INVALID_BODY' })
    const copy: Record<string, unknown> = Object.create(null)
    const keys = Object.keys(doc)
    for (const k of keys) copy[k] = (doc as Record<string, unknown>)[k]
    const t2 = performance.now()
    const round3 = (ms: number) => Math.round(ms * 1000) / 1000
    json(res, 200, {
      result: 'success',
      items: keys.length,
      bytes: body.length,
      parse_ms: round3(t1 - t0),
      unpack_ms: round3(t2 - t1),
    })
  })
}

/** startHttpBaseline listens on `port` (0: any; `port` says which); close() stops it and drops idle keep-alive connections. */
export async function startHttpBaseline(
  host = '0.0.0.0',
  want = HTTP_PORT,
): Promise<{ readonly port: number; close(): Promise<void> }> {
  const data = Buffer.from(dataDocument(DEFAULT_ITEMS))
  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    if (req.method === 'GET' && url === '/data/') return send(res, 200, 'application/json', data)
    if (req.method === 'GET' && url === '/get') return getEcho(req, res)
    if (req.method === 'GET' && url.startsWith('/hello/'))
      return send(
        res,
        200,
        'text/html; charset=utf-8',
        `<h1>hello, ${escapeHtml(decodeURIComponent(url.slice(7)))}!</h1>`,
      )
    if (req.method === 'POST' && url === '/data/') return postData(req, res)
    json(res, 404, {
      error: `the baseline serves GET /data/, /get, /hello/{name} and POST /data/, not ${req.method} ${url}`,
      status: 404,
      code: 'NOT_FOUND',
    })
  })
  server.keepAliveTimeout = 60_000
  server.listen(want, host)
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
