/**
 * httpbin's response inspection:
 *
 *   GET|POST /response-headers?Name=value&...
 *                     sets each query pair as a response header (repeated names: several headers) and
 *                     answers with the response's headers as JSON, Content-Type and Content-Length included
 *                     (the length is that of the body itself). Content-Type may be overridden; names or
 *                     values Node refuses (CR, LF, ...) and the framing headers (Content-Length,
 *                     Transfer-Encoding, Connection, ...) are 400 invalid_parameter.
 *   GET /cache        /get's dict with Last-Modified and a fresh ETag; 304 when the request has
 *                     If-Modified-Since or If-None-Match
 *   GET /cache/{n}    /get's dict with Cache-Control: public, max-age=n
 *   GET /etag/{etag}  /get's dict with ETag: etag; If-None-Match matching (or *) → 304,
 *                     If-Match not matching (nor *) → 412
 */
import { randomUUID } from 'node:crypto'
import { validateHeaderName, validateHeaderValue } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { HttpError } from '../../errors.ts'
import { basicEcho, prettyJson, queryPairs, sendJson, sortKeys } from './echo.ts'

/** FRAMING headers are the server's to write: a client-chosen one would break the response. */
const FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'trailer',
  'te',
])

/** HeaderGroup is one response header name (as first given) and its values. */
interface HeaderGroup {
  readonly name: string
  readonly values: string[]
}

/** headerGroups validates the query's pairs and groups them by case-insensitive name. */
export function headerGroups(pairs: readonly (readonly [string, string])[]): Map<string, HeaderGroup> {
  const groups = new Map<string, HeaderGroup>()
  for (const [name, value] of pairs) {
    try {
      validateHeaderName(name)
      validateHeaderValue(name, value)
    } catch {
      throw new HttpError(
        'INVALID_PARAMETER',
        `not a valid response header: ${JSON.stringify(`${name}: ${value}`)}`,
      )
    }
    const key = name.toLowerCase()
    if (FRAMING.has(key))
      throw new HttpError('INVALID_PARAMETER', `${name} is the server's to set, not the query's`)
    const group = groups.get(key)
    if (group) group.values.push(value)
    else groups.set(key, { name, values: [value] })
  }
  return groups
}

/**
 * headersDocument is /response-headers' body: the headers as JSON, Content-Length being the
 * length of this very text (found by iterating to a fixed point, as httpbin does).
 */
export function headersDocument(type: string, groups: ReadonlyMap<string, HeaderGroup>): string {
  const shown: Record<string, string | string[]> = { 'Content-Type': type }
  for (const [key, { name, values }] of groups)
    if (key !== 'content-type') shown[name] = values.length === 1 ? (values[0] as string) : values
  let length = 0
  for (let i = 0; i < 10; i++) {
    const text = prettyJson(sortKeys({ ...shown, 'Content-Length': String(length) }))
    const bytes = Buffer.byteLength(text)
    if (bytes === length) return text
    length = bytes
  }
  throw new Error('response-headers: Content-Length did not settle')
}

/** etagList reads If-None-Match / If-Match: the tags without quotes or W/. */
export function etagList(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split(',')
    .map((tag) =>
      tag
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1'),
    )
    .filter((tag) => tag !== '')
}

/** ETAG is what /etag/{etag} takes: visible ASCII but '"' and ','. */
const ETAG = '^[\\x21\\x23-\\x2b\\x2d-\\x7e]+$'

export function registerResponseHeaderRoutes(app: FastifyInstance): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/response-headers',
    handler: (request, reply) => {
      const groups = headerGroups(queryPairs(request))
      const type = groups.get('content-type')?.values.at(-1) ?? 'application/json'
      for (const [key, { values }] of groups)
        if (key !== 'content-type') reply.header(key, values.length === 1 ? values[0] : values)
      // A Buffer, so that Fastify sends the type as given (it adds a charset to a string's JSON type).
      return reply.type(type).send(Buffer.from(headersDocument(type, groups)))
    },
  })

  app.get('/cache', (request, reply) => {
    if (request.headers['if-modified-since'] || request.headers['if-none-match'])
      return reply.code(304).send()
    reply.header('last-modified', new Date().toUTCString()).header('etag', randomUUID().replaceAll('-', ''))
    return sendJson(reply, basicEcho(request))
  })

  app.get<{ Params: { n: number } }>(
    '/cache/:n',
    { schema: { params: { type: 'object', properties: { n: { type: 'integer', minimum: 0 } } } } },
    (request, reply) =>
      sendJson(reply.header('cache-control', `public, max-age=${request.params.n}`), basicEcho(request)),
  )

  app.get<{ Params: { etag: string } }>(
    '/etag/:etag',
    { schema: { params: { type: 'object', properties: { etag: { type: 'string', pattern: ETAG } } } } },
    (request, reply) => {
      const { etag } = request.params
      const noneMatch = etagList(request.headers['if-none-match'])
      const match = etagList(request.headers['if-match'])
      if (noneMatch.length > 0) {
        if (noneMatch.includes(etag) || noneMatch.includes('*'))
          return reply.code(304).header('etag', etag).send()
      } else if (match.length > 0 && !match.includes(etag) && !match.includes('*'))
        return reply.code(412).send()
      return sendJson(reply.header('etag', etag), basicEcho(request))
    },
  )
}
