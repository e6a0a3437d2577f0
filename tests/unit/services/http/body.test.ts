/**
 * The JSON scan the app runs while a body arrives (depth, and the figures the memory budget
 * charges): fed in any pieces it finds what one scan of the whole text finds, and over a
 * real socket a hostile body is refused by it; a body past HTTP_MAX_BODY_BYTES is answered 413
 * while the client is still sending, and the connection lives on.
 */
import { once } from 'node:events'
import { request } from 'node:http'
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { jsonDepth, scanJson } from '../../../../services/http/body.ts'
import type { JsonScanner } from '../../../../services/http/json-scan.ts'
import { httpbinApp, listen } from '../../../support/httpbin-app.ts'
import { scanInPieces } from '../../../support/json-scan-pieces.ts'

/** scanWhole is scanInPieces, checked to have seen every byte */
function scanWhole(text: Buffer, cuts: readonly number[]): JsonScanner {
  const scanner = scanInPieces(text, cuts)
  expect(scanner.bytes).toBe(text.length)
  return scanner
}

/** every figure a scan found */
const figures = (s: JsonScanner) => ({
  max: s.max,
  objects: s.objects,
  arrays: s.arrays,
  values: s.values,
  members: s.members,
  topMembers: s.topMembers,
  heapNumbers: s.heapNumbers,
  exponentNumbers: s.exponentNumbers,
  stringHeapBytes: s.stringHeapBytes,
  nonAscii: s.nonAscii,
})

describe('JsonScanner (depth)', () => {
  it.each([
    ['{}', 1],
    ['[[1, [2]], {"a": {"b": []}}]', 4],
    ['"[[[["', 0],
    ['{"a\\"[[": [1]}', 2],
    ['["\\\\", [[]]]', 3],
  ])('%s is %i deep, whole or cut anywhere', (text, depth) => {
    const bytes = Buffer.from(text)
    expect(jsonDepth(bytes)).toBe(depth)
    for (let cut = 0; cut <= bytes.length; cut++) expect(scanWhole(bytes, [cut]).max).toBe(depth)
  })

  it('counts what JSON.parse will build: containers, values, members, boxed numbers', () => {
    expect(figures(scanJson(Buffer.from('{"a": [1, 2.5, true, null], "0": {"b": "x"}, "c": 1e20}')))).toEqual(
      {
        max: 2,
        objects: 2,
        arrays: 1,
        values: 9, // 2 objects, 1 array, 1, 2.5, true, null, "x", 1e20
        members: 4,
        topMembers: 3,
        heapNumbers: 2, // 2.5 and 1e20
        exponentNumbers: 1,
        // "a", "b", "c" are new keys (24 + 1 + 80 each); "0" is an index; "x" a new short string
        stringHeapBytes: 3 * 105 + 25,
        nonAscii: false,
      },
    )
  })

  it('finds the same figures however the text is split', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'medium' }), fc.array(fc.nat(), { maxLength: 8 }), (text, rawCuts) => {
        const bytes = Buffer.from(text)
        const cuts = rawCuts.map((c) => c % (bytes.length + 1))
        expect(figures(scanWhole(bytes, cuts))).toEqual(figures(scanJson(bytes)))
      }),
      { numRuns: 300 },
    )
  })
})

describe('the depth scan while receiving', () => {
  const apps: ReturnType<typeof httpbinApp>[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()))
  })

  /** post sends `chunks` as a chunked body to `path`; resolves status and parsed JSON. */
  async function post(base: string, path: string, chunks: readonly string[]) {
    return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      })
      req.on('error', reject)
      req.on('response', (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }),
        )
      })
      for (const c of chunks) req.write(c)
      req.end()
    })
  }

  it('refuses nesting past HTTP_MAX_JSON_DEPTH sent in pieces, and takes the same body shallow', async () => {
    const app = httpbinApp({ HTTP_MAX_JSON_DEPTH: '8' })
    apps.push(app)
    const base = await listen(app)
    const deep = await post(base, '/data/', ['{"a": ', '[[[[[', '[[[[1]]]', ']]]]]}'])
    expect(deep).toEqual({
      status: 400,
      body: { code: 'JSON_TOO_DEEP', error: 'JSON body is nested deeper than 8 levels', status: 400 },
    })
    const pieces = ['{"0": {"name": "tig', 'errose"}, "1": {"na', 'me": "x"}}']
    const ok = await post(base, '/data/', pieces)
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ result: 'success', items: 2, bytes: pieces.join('').length })
  })
})

describe('a body over HTTP_MAX_BODY_BYTES', () => {
  const apps: ReturnType<typeof httpbinApp>[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()))
  })

  /**
   * exchange sends `head` then all of `body` on one socket, waiting for every write; then a
   * GET /get on the same connection. Resolves what came back, or throws on a reset.
   */
  async function exchange(base: string, head: string, body: readonly Buffer[]): Promise<string> {
    const url = new URL(base)
    const socket = connect(Number(url.port), url.hostname)
    await once(socket, 'connect')
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      text += d
    })
    const failed = once(socket, 'error').then(([err]) => {
      throw err
    })
    const write = (data: string | Buffer) =>
      new Promise<void>((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())))
    await Promise.race([
      (async () => {
        await write(head)
        for (const b of body) await write(b)
        await write('GET /get HTTP/1.1\r\nHost: x\r\n\r\n')
        while (!/HTTP\/1\.1 200 OK/.test(text)) await new Promise((r) => setTimeout(r, 10))
      })(),
      failed,
    ])
    socket.destroy()
    return text
  }

  const TOO_LARGE = '{"error":"Request body is too large","status":413,"code":"BODY_TOO_LARGE"}'

  it.each([
    ['declared in Content-Length', 'content-length: 4194304\r\n', false],
    ['sent chunked', 'transfer-encoding: chunked\r\n', true],
  ])('%s: the 413 reaches a client still sending, the rest is discarded, the connection serves on', async (_name, framing, chunked) => {
    const app = httpbinApp({ HTTP_MAX_BODY_BYTES: '1048576' })
    apps.push(app)
    const base = await listen(app)
    const piece = Buffer.alloc(64 * 1024, 0x20)
    const size = (64 * 1024).toString(16)
    const body = Array.from({ length: 64 }, () =>
      chunked ? Buffer.concat([Buffer.from(`${size}\r\n`), piece, Buffer.from('\r\n')]) : piece,
    )
    if (chunked) body.push(Buffer.from('0\r\n\r\n'))
    const head = `POST /data/ HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n${framing}\r\n`
    const text = await exchange(base, head, body)
    expect(text).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/)
    expect(text).not.toMatch(/^connection: close\r$/im)
    expect(text).toContain(TOO_LARGE)
    expect(text).toContain(`${TOO_LARGE}HTTP/1.1 200 OK\r\n`)
    expect(text).toMatch(/"url": "http:\/\/x\/get"/)
  })

  it('32 clients at once each sending 4 MiB past a 1 MiB limit: every one gets its 413 and its next answer, and the service answers after', async () => {
    const app = httpbinApp({ HTTP_MAX_BODY_BYTES: '1048576' })
    apps.push(app)
    const base = await listen(app)
    const piece = Buffer.alloc(64 * 1024, 0x20)
    const size = (64 * 1024).toString(16)
    const texts = await Promise.all(
      Array.from({ length: 32 }, (_, i) => {
        const chunked = i % 2 === 1
        const body = Array.from({ length: 64 }, () =>
          chunked ? Buffer.concat([Buffer.from(`${size}\r\n`), piece, Buffer.from('\r\n')]) : piece,
        )
        if (chunked) body.push(Buffer.from('0\r\n\r\n'))
        const framing = chunked ? 'transfer-encoding: chunked' : 'content-length: 4194304'
        return exchange(base, `POST /data/ HTTP/1.1\r\nHost: x\r\n${framing}\r\n\r\n`, body)
      }),
    )
    for (const text of texts) expect(text).toContain(`${TOO_LARGE}HTTP/1.1 200 OK\r\n`)
    expect((await fetch(`${base}/get`)).status).toBe(200)
  })
})
