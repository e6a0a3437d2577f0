/**
 * The request echo every httpbin route builds on (no routes here): the JSON dict that
 * /get, /post, /anything, /delay, /stream, /cache ... answer with, in httpbin's shape:
 *
 *   args     the query: one value → string, repeated → list
 *   data     the raw body as UTF-8 text, or a `data:application/octet-stream;base64,...` URL
 *   files    multipart file parts: name → content (text or a data: URL); several → list
 *   form     urlencoded or multipart fields
 *   headers  Title-Case names (`User-Agent`), repeated headers joined with ","; proxy headers
 *            (X-Forwarded-For, Via, ...) hidden unless the query has `show_env`
 *   json     the body parsed as JSON, else null
 *   method   (/anything only)
 *   origin   X-Forwarded-For if present, else the client address
 *   url      http://<Host><path>?<query>
 *
 * Keys are sorted at every level we build, as Flask's jsonify sorts them; the body is
 * pretty-printed (2-space indent, trailing newline) like httpbin's.
 */
import { isUtf8 } from 'node:buffer'
import type { Multipart } from '@fastify/multipart'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { collect, isJsonType, type MultiMap, mediaType, parseForm, parseJson, rawBody } from '../../body.ts'
import type { RequestBudget } from '../../budget.ts'
import type { HttpConfig } from '../../config.ts'
import { HttpError } from '../../errors.ts'
import { dataTextBytes, jsonTextBytes, replyBytes } from '../../json-cost.ts'
import { chargeEcho } from './echo-cost.ts'

/** ALL_METHODS are the methods httpbin's "any method" routes take (HEAD comes with GET). */
export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE']

/** sendJson writes a value as httpbin does: 2-space indent and a trailing newline. */
export function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type('application/json').send(prettyJson(value))
}

/**
 * prettyJson is httpbin's JSON text for a value. Measured on /get's dict: 0.93 µs against
 * 0.91 µs compact, nothing next to a request's cost, so every httpbin body is pretty.
 */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/** titleCase names a header as Python's str.title() does (httpbin's form): `x-b3-id` → `X-B3-Id`. */
export function titleCase(name: string): string {
  let out = ''
  let afterLetter = false
  for (const c of name) {
    const lower = c.toLowerCase()
    const upper = c.toUpperCase()
    const isLetter = lower !== upper
    out += isLetter ? (afterLetter ? lower : upper) : c
    afterLetter = isLetter
  }
  return out
}

/** sortKeys copies a record with its keys in sorted order (null prototype, like collect's maps). */
export function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = Object.create(null)
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T
  return out
}

/**
 * ENV_HEADERS are the proxy headers httpbin leaves out of `headers` unless the query has
 * `show_env` (X-Forwarded-For still makes `origin`).
 */
const ENV_HEADERS = new Set([
  'x-varnish',
  'x-request-start',
  'x-heroku-queue-depth',
  'x-real-ip',
  'x-forwarded-proto',
  'x-forwarded-protocol',
  'x-forwarded-ssl',
  'x-heroku-queue-wait-time',
  'x-forwarded-for',
  'x-heroku-dynos-in-use',
  'x-forwarded-port',
  'x-request-id',
  'via',
  'total-route-time',
  'connect-time',
])

/** HeaderName is a header name as the echo shows it, and whether it is a proxy header. */
interface HeaderName {
  readonly title: string
  readonly env: boolean
}

/** The names seen so far (clients send the same few on every request); cleared past NAMES_KEPT. */
const names = new Map<string, HeaderName>()
const NAMES_KEPT = 1000

/** headerName is `raw`'s Title-Case form and whether it is in ENV_HEADERS, remembered. */
function headerName(raw: string): HeaderName {
  let seen = names.get(raw)
  if (!seen) {
    seen = { title: titleCase(raw), env: ENV_HEADERS.has(raw.toLowerCase()) }
    if (names.size >= NAMES_KEPT) names.clear()
    names.set(raw, seen)
  }
  return seen
}

/**
 * requestHeaders is the request's headers as httpbin shows them: Title-Case, repeats joined
 * with ",", sorted, the proxy headers hidden unless `?show_env`.
 *
 * The result is a plain object, which `JSON.stringify` writes about twice as fast as a
 * null-prototype one (V8 keeps those as dictionaries): /get's echo and its text took 2.0 µs,
 * 1.4 µs with this and queryArgs' empty `args` as plain objects. It is safe here because
 * every name is Title-Case, so none is `__proto__` (whose assignment would set the prototype,
 * or drop a string value): a header sent as `__proto__` is shown as `__Proto__`, as httpbin
 * shows it (tests/unit/services/http/httpbin-echo.test.ts).
 */
export function requestHeaders(request: FastifyRequest): Record<string, string> {
  const raw = request.raw.rawHeaders
  const showEnv = 'show_env' in (request.query as object)
  const seen = new Map<string, string>()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = headerName(raw[i] as string)
    if (!showEnv && name.env) continue
    const value = raw[i + 1] as string
    const prev = seen.get(name.title)
    seen.set(name.title, prev === undefined ? value : `${prev},${value}`)
  }
  const headers: Record<string, string> = {}
  for (const name of [...seen.keys()].sort()) headers[name] = seen.get(name) as string
  return headers
}

/** clientAddress is the peer's IP address, IPv4-mapped IPv6 shown as plain IPv4. */
export function clientAddress(request: FastifyRequest): string {
  const address = request.socket.remoteAddress ?? ''
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

/** origin is httpbin's `origin`: X-Forwarded-For as sent (it is a lab), else the client address. */
export function origin(request: FastifyRequest): string {
  const forwarded = request.headers['x-forwarded-for']
  if (forwarded === undefined) return clientAddress(request)
  return Array.isArray(forwarded) ? forwarded.join(', ') : forwarded
}

/** hostOf is the request's Host header, or the local address it arrived on when there is none. */
export function hostOf(request: FastifyRequest): string {
  const host = request.headers.host
  if (host) return host
  const address = request.socket.localAddress ?? 'localhost'
  const name = address.includes(':') ? `[${address}]` : address
  return `${name}:${request.socket.localPort ?? 80}`
}

/** fullUrl is the absolute URL of a path on this server as the client addressed it. */
export function fullUrl(request: FastifyRequest, path: string = request.url): string {
  return `http://${hostOf(request)}${path}`
}

/** queryPairs is the raw query string's name/value pairs, in order. */
export function queryPairs(request: FastifyRequest): [string, string][] {
  const q = request.url.indexOf('?')
  return q === -1 ? [] : [...new URLSearchParams(request.url.slice(q + 1))]
}

/**
 * queryArgs is the query as a MultiMap, sorted; with none, a plain empty object (the common
 * case, which `JSON.stringify` writes faster than a null-prototype one: requestHeaders).
 */
export function queryArgs(request: FastifyRequest): MultiMap {
  const pairs = queryPairs(request)
  return pairs.length === 0 ? {} : sortKeys(collect(pairs))
}

/** dataText is httpbin's json_safe: UTF-8 text as is, anything else as a base64 data: URL. */
export function dataText(bytes: Buffer, type = 'application/octet-stream'): string {
  return isUtf8(bytes) ? bytes.toString('utf8') : `data:${type};base64,${bytes.toString('base64')}`
}

/** BodyEcho is what a request body contributes to the echo. */
export interface BodyEcho {
  readonly data: string
  readonly files: MultiMap
  readonly form: MultiMap
  readonly json: unknown
}

/**
 * bodyJson is the echo's `json`. With a JSON Content-Type, malformed JSON is a 400
 * invalid_json (a deliberate difference: httpbin answers null). Without one, the body is
 * tried as JSON as httpbin tries it (requests' `data=json.dumps(x)` sends no type), and
 * null when it is not JSON. An empty body is null either way.
 */
function bodyJson(
  request: FastifyRequest,
  bytes: Buffer,
  text: string | undefined,
  type: string,
  maxDepth: number,
): unknown {
  if (bytes.length === 0) return null
  if (isJsonType(type)) return parseJson(bytes, maxDepth, request, text)
  try {
    return parseJson(bytes, maxDepth, request, text)
  } catch {
    return null
  }
}

/** multipartError classifies a failure while reading multipart parts. */
function multipartError(err: unknown, config: HttpConfig): Error {
  if (err instanceof HttpError) return err
  const code = (err as { code?: unknown }).code
  if (code === 'FST_PARTS_LIMIT')
    return new HttpError(
      'BODY_TOO_LARGE',
      `multipart body has more than ${config.maxMultipartParts} parts (HTTP_MAX_MULTIPART_PARTS)`,
      { cause: err },
    )
  // @fastify/multipart's other errors (prototype names, ...) carry FST_ codes the app maps.
  if (typeof code === 'string' && code.startsWith('FST_')) return err as Error
  return new HttpError('INVALID_BODY', `malformed multipart body: ${(err as Error).message}`, { cause: err })
}

/** fieldText is a multipart field's value as sent (the plugin parses application/json fields). */
function fieldText(part: Multipart & { type: 'field' }): string {
  return typeof part.value === 'string' ? part.value : JSON.stringify(part.value)
}

/**
 * readMultipart streams the parts within the app's limits: at most maxMultipartParts parts
 * (the plugin's limit), and no more than maxBodyBytes of field and file content in total.
 */
async function readMultipart(
  request: FastifyRequest,
  config: HttpConfig,
  budget: RequestBudget,
): Promise<BodyEcho> {
  const fields: [string, string][] = []
  const files: [string, string][] = []
  let total = 0
  const count = (bytes: number): void => {
    total += bytes
    if (total > config.maxBodyBytes)
      throw new HttpError('BODY_TOO_LARGE', `multipart body is larger than ${config.maxBodyBytes} bytes`)
  }
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const chunks: Buffer[] = []
        for await (const chunk of part.file as AsyncIterable<Buffer>) {
          count(chunk.length)
          chunks.push(chunk)
        }
        if (part.file.truncated)
          throw new HttpError('BODY_TOO_LARGE', `multipart file is larger than ${config.maxBodyBytes} bytes`)
        const content = Buffer.concat(chunks)
        const printed = dataTextBytes(content, part.mimetype || undefined)
        // the joined copy, its text, and its share of the reply (two bytes a character, worst)
        budget.add(request, content.length + 2 * printed + replyBytes(printed, true), 'echoing this request')
        files.push([part.fieldname, dataText(content, part.mimetype || undefined)])
      } else {
        if (part.valueTruncated)
          throw new HttpError('BODY_TOO_LARGE', `multipart field is larger than ${config.maxBodyBytes} bytes`)
        const value = fieldText(part)
        count(Buffer.byteLength(value))
        budget.add(request, replyBytes(jsonTextBytes(value), true), 'echoing this request')
        fields.push([part.fieldname, value])
      }
    }
  } catch (err) {
    throw multipartError(err, config)
  }
  return { data: '', files: sortKeys(collect(files)), form: sortKeys(collect(fields)), json: null }
}

/**
 * readBody reads the request body into the echo's data/files/form/json, charging the memory
 * budget first (echo-cost.ts; multipart part by part as the parts arrive).
 */
export async function readBody(
  request: FastifyRequest,
  config: HttpConfig,
  budget: RequestBudget,
): Promise<BodyEcho> {
  if (request.isMultipart()) return readMultipart(request, config, budget)
  chargeEcho(request, config, budget)
  const bytes = rawBody(request)
  const type = mediaType(request)
  if (type === 'application/x-www-form-urlencoded')
    return { data: '', files: Object.create(null), form: sortKeys(parseForm(bytes)), json: null }
  // one decoded copy serves both `data` and JSON.parse
  const text = isUtf8(bytes) ? bytes.toString('utf8') : undefined
  return {
    data: text ?? dataText(bytes),
    files: Object.create(null),
    form: Object.create(null),
    json: bodyJson(request, bytes, text, type, config.maxJsonDepth),
  }
}

/** Echo is the dict a route answers with; the optional keys depend on the route. */
export interface Echo {
  readonly args: MultiMap
  readonly data?: string
  readonly files?: MultiMap
  readonly form?: MultiMap
  readonly headers: Record<string, string>
  readonly json?: unknown
  readonly method?: string
  readonly origin: string
  readonly url: string
}

/** basicEcho is /get's dict: args, headers, origin, url. */
export function basicEcho(request: FastifyRequest): Echo {
  return {
    args: queryArgs(request),
    headers: requestHeaders(request),
    origin: origin(request),
    url: fullUrl(request),
  }
}

/** bodyEcho is /post's dict (and /anything's, with `method`): the basic echo plus the body. */
export async function bodyEcho(
  request: FastifyRequest,
  config: HttpConfig,
  budget: RequestBudget,
  withMethod = false,
): Promise<Echo> {
  const body = await readBody(request, config, budget)
  return {
    args: queryArgs(request),
    data: body.data,
    files: body.files,
    form: body.form,
    headers: requestHeaders(request),
    json: body.json,
    ...(withMethod ? { method: request.method } : {}),
    origin: origin(request),
    url: fullUrl(request),
  }
}
