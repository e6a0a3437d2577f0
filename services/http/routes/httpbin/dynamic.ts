/**
 * httpbin's dynamic data, within the service's limits:
 *
 *   *   /delay/{n}             the /post-style echo after n seconds (float); n·1000 > HTTP_MAX_DELAY_MS: 400;
 *                              a client that hangs up stops the timer
 *   GET /drip?duration=2&numbytes=10&delay=0&code=200
 *                              numbytes '*' spread over duration s after delay s (Content-Length set);
 *                              delay+duration > HTTP_MAX_DELAY_MS or numbytes > HTTP_MAX_RANDOM_BYTES: 400
 *   GET /bytes/{n}?seed=       n random bytes (the same bytes for the same seed); n > HTTP_MAX_RANDOM_BYTES: 400
 *   GET /stream-bytes/{n}?seed=&chunk_size=10240    the same, chunked
 *   GET /stream/{n}            n JSON lines, each /get's dict plus `id`, chunked; n > HTTP_MAX_STREAM_LINES: 400
 *   GET /range/{n}             n bytes of a-z; honours one `Range: bytes=a-b` (206, 416); n > HTTP_MAX_RANDOM_BYTES: 400
 *   GET /uuid                  {"uuid": "<random v4 UUID>"}
 *   GET /base64/{value}        URL-safe base64 decoded, as text/html; not base64 or not UTF-8: httpbin's
 *                              hint text, 200
 * (*: GET POST PUT PATCH DELETE TRACE; HEAD comes with every GET)
 */
import { isUtf8 } from 'node:buffer'
import { randomBytes, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { multipartScope } from '../../body.ts'
import type { RequestBudget } from '../../budget.ts'
import type { HttpConfig } from '../../config.ts'
import { HttpError } from '../../errors.ts'
import { ALL_METHODS, basicEcho, bodyEcho, sendJson } from './echo.ts'

/** checkLimit throws 400 invalid_parameter when a requested amount is above its configured limit. */
export function checkLimit(what: string, value: number, max: number, unit: string, setting?: string): void {
  if (value > max)
    throw new HttpError(
      'INVALID_PARAMETER',
      `${what} is ${value} ${unit}, above the limit of ${max} ${unit}${setting ? ` (${setting})` : ''}`,
    )
}

/** disconnectSignal aborts once the client has gone (the response closes; after it ends, harmlessly). */
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const aborter = new AbortController()
  if (reply.request.socket?.destroyed) aborter.abort()
  else reply.raw.once('close', () => aborter.abort())
  return aborter.signal
}

/** pause waits `ms` unless `signal` aborts first; true when the whole time passed. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch (err) {
    if (signal.aborted) return false
    throw err
  }
}

/** seededRandom is mulberry32: a small, fast PRNG, so that `?seed=` repeats its bytes. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** randomChunks yields n random bytes in chunks of `chunkSize`, reproducibly when seeded. */
export function* randomChunks(n: number, chunkSize: number, seed?: number): Generator<Buffer> {
  const next = seed === undefined ? undefined : seededRandom(seed)
  for (let offset = 0; offset < n; offset += chunkSize) {
    const size = Math.min(chunkSize, n - offset)
    if (!next) {
      yield randomBytes(size)
      continue
    }
    const chunk = Buffer.allocUnsafe(size)
    for (let i = 0; i < size; i += 4) {
      const word = next()
      for (let j = 0; j < 4 && i + j < size; j++) chunk[i + j] = (word >>> (8 * j)) & 0xff
    }
    yield chunk
  }
}

const BASE64 = /^[A-Za-z0-9_\-+/]*={0,2}$/

/** decodeBase64 decodes URL-safe (or standard) base64 to UTF-8 text; undefined when it is neither. */
export function decodeBase64(value: string): string | undefined {
  if (!BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) return undefined
  const bytes = Buffer.from(value, 'base64url')
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined
}

/** BAD_BASE64 is httpbin's answer to /base64/{value} with a value it cannot decode. */
export const BAD_BASE64 = 'Incorrect Base64 data try: SFRUUEJJTiBpcyBhd2Vzb21l'

/** ByteRange is an inclusive byte range. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/**
 * parseRange reads a single `bytes=a-b`, `bytes=a-` or `bytes=-suffix` range of an n-byte
 * body: the range, 'unsatisfiable', or undefined (no header, or one we ignore: the whole body).
 */
export function parseRange(header: string | undefined, n: number): ByteRange | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  const [first, last] = [m[1] as string, m[2] as string]
  const range =
    first === ''
      ? { start: Math.max(0, n - Number(last)), end: n - 1 }
      : { start: Number(first), end: last === '' ? n - 1 : Math.min(Number(last), n - 1) }
  return range.start > range.end || range.start >= n ? 'unsatisfiable' : range
}

/** letters is bytes [start, end] of /range's body: a-z repeated. */
function letters({ start, end }: ByteRange): Buffer {
  const out = Buffer.allocUnsafe(end - start + 1)
  for (let i = start; i <= end; i++) out[i - start] = 0x61 + (i % 26)
  return out
}

/** DRIP_TICK_MS is the shortest pause between two /drip writes (more bytes then go per write). */
const DRIP_TICK_MS = 10

async function* drip(numbytes: number, durationMs: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  const writes = Math.max(1, Math.min(numbytes, Math.floor(durationMs / DRIP_TICK_MS)))
  let sent = 0
  for (let i = 1; i <= writes; i++) {
    const upTo = Math.round((numbytes * i) / writes)
    yield Buffer.alloc(upTo - sent, '*')
    sent = upTo
    if (!(await pause(durationMs / writes, signal))) return
  }
}

const integer = (minimum: number) => ({ type: 'integer', minimum }) as const
const number = (minimum: number) => ({ type: 'number', minimum }) as const
const params = (properties: Record<string, object>) => ({
  params: { type: 'object', properties, required: Object.keys(properties) },
})

export function registerDynamicRoutes(app: FastifyInstance, config: HttpConfig, budget: RequestBudget): void {
  const maxDelayS = config.maxDelayMs / 1000
  const delayLimit = `HTTP_MAX_DELAY_MS=${config.maxDelayMs}`

  multipartScope(app, config, (scope) =>
    scope.route<{ Params: { n: number } }>({
      method: ALL_METHODS,
      url: '/delay/:n',
      schema: params({ n: number(0) }),
      handler: async (request, reply) => {
        const { n } = request.params
        checkLimit('delay', n, maxDelayS, 's', delayLimit)
        const echo = await bodyEcho(request, config, budget)
        if (!(await pause(n * 1000, disconnectSignal(reply)))) return reply // gone: nobody to answer
        return sendJson(reply, echo)
      },
    }),
  )

  app.get<{ Querystring: { duration: number; numbytes: number; delay: number; code: number } }>(
    '/drip',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            duration: { ...number(0), default: 2 },
            numbytes: { ...integer(1), default: 10 },
            delay: { ...number(0), default: 0 },
            code: { type: 'integer', minimum: 200, maximum: 599, default: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const { duration, numbytes, delay, code } = request.query
      checkLimit('delay + duration', delay + duration, maxDelayS, 's', delayLimit)
      checkLimit('numbytes', numbytes, config.maxRandomBytes, 'bytes', 'HTTP_MAX_RANDOM_BYTES')
      const signal = disconnectSignal(reply)
      if (!(await pause(delay * 1000, signal))) return reply
      reply.code(code).type('application/octet-stream').header('content-length', numbytes)
      // HEAD: the headers only (a drained drip would still run its timers).
      const body = request.method === 'HEAD' ? [] : drip(numbytes, duration * 1000, signal)
      return reply.send(Readable.from(body))
    },
  )

  app.get<{ Params: { n: number }; Querystring: { seed?: number } }>(
    '/bytes/:n',
    {
      schema: {
        ...params({ n: integer(0) }),
        querystring: { type: 'object', properties: { seed: { type: 'integer' } } },
      },
    },
    (request, reply) => {
      const { n } = request.params
      checkLimit('n', n, config.maxRandomBytes, 'bytes', 'HTTP_MAX_RANDOM_BYTES')
      budget.charge(request, 2 * n, `/bytes/${n}`) // the chunks and their join
      const bytes = Buffer.concat([...randomChunks(n, Math.max(n, 1), request.query.seed)])
      return reply.type('application/octet-stream').send(bytes)
    },
  )

  app.get<{ Params: { n: number }; Querystring: { seed?: number; chunk_size: number } }>(
    '/stream-bytes/:n',
    {
      schema: {
        ...params({ n: integer(0) }),
        querystring: {
          type: 'object',
          properties: { seed: { type: 'integer' }, chunk_size: { ...integer(1), default: 10_240 } },
        },
      },
    },
    (request, reply) => {
      const { n } = request.params
      checkLimit('n', n, config.maxRandomBytes, 'bytes', 'HTTP_MAX_RANDOM_BYTES')
      const chunks = randomChunks(n, request.query.chunk_size, request.query.seed)
      return reply.type('application/octet-stream').send(Readable.from(chunks))
    },
  )

  app.get<{ Params: { n: number } }>(
    '/stream/:n',
    { schema: params({ n: integer(0) }) },
    (request, reply) => {
      const { n } = request.params
      checkLimit('n', n, config.maxStreamLines, 'lines', 'HTTP_MAX_STREAM_LINES')
      const echo = basicEcho(request)
      const lines = function* (): Generator<string> {
        for (let id = 0; id < n; id++) yield `${JSON.stringify({ ...echo, id })}\n`
      }
      return reply.type('application/json').send(Readable.from(lines()))
    },
  )

  app.get<{ Params: { n: number } }>('/range/:n', { schema: params({ n: integer(1) }) }, (request, reply) => {
    const { n } = request.params
    checkLimit('n', n, config.maxRandomBytes, 'bytes', 'HTTP_MAX_RANDOM_BYTES')
    budget.charge(request, n, `/range/${n}`)
    reply.header('etag', `range${n}`).header('accept-ranges', 'bytes')
    const range = parseRange(request.headers.range, n)
    if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${n}`).send()
    const { start, end } = range ?? { start: 0, end: n - 1 }
    if (range && end - start + 1 < n) reply.code(206).header('content-range', `bytes ${start}-${end}/${n}`)
    return reply.type('application/octet-stream').send(letters({ start, end }))
  })

  app.get('/uuid', (_request, reply) => sendJson(reply, { uuid: randomUUID() }))

  app.get<{ Params: { value: string } }>('/base64/:value', (request, reply) =>
    reply.type('text/html; charset=utf-8').send(decodeBase64(request.params.value) ?? BAD_BASE64),
  )
}
