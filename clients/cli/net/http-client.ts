/**
 * A small HTTP/1.1 client for the CLI, on undici: one keep-alive connection per origin
 * (so repeated requests, such as `http post-data --runs 5`, reuse it), a deadline on the
 * whole exchange (connect, request, response headers and body), a bound on the response
 * size, and failures as LabErrors naming the URL:
 *
 *   http://http:8080/get: connection refused
 *   http://127.0.0.1:8080/delay/9: no response within 5000 ms
 *
 * Only http:// is spoken. A target is either a path on the lab's HTTP service (`/get`,
 * `/data/`) or a full http:// URL.
 */

import { Agent, buildConnector, request } from 'undici'
import { isErrnoException, LabError } from '../../../lib/errors.ts'
import { interruptedError, seconds } from './interrupt.ts'

/** HttpTarget is the lab's HTTP service: where a path-only target goes. */
export interface HttpTarget {
  readonly host: string
  readonly port: number
}

export type HeaderMap = Record<string, string | string[]>

export interface HttpRequest {
  readonly method: string
  readonly url: URL
  readonly headers?: Readonly<HeaderMap>
  readonly body?: Buffer
}

/** Timing of one exchange, monotonic clock, ms from just before the request was dispatched. */
export interface HttpTiming {
  /** until the response's status line and headers had arrived */
  readonly ttfbMs: number
  /** until the last byte of the body had arrived */
  readonly totalMs: number
}

export interface HttpResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: Readonly<HeaderMap>
  readonly body: Buffer
  readonly timing: HttpTiming
}

export interface HttpClientOptions {
  /** deadline for each whole exchange, ms */
  readonly timeoutMs: number
  /** largest response body accepted (default 64 MiB) */
  readonly maxResponseBytes?: number
  /** on abort the exchange in flight stops, its connection closes, and send rejects INTERRUPTED */
  readonly signal?: AbortSignal
}

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024

const ABSOLUTE = /^[a-z][a-z\d+.-]*:/i

/** resolveUrl turns a path (on `service`) or a full http:// URL into a URL. */
export function resolveUrl(target: string, service: HttpTarget): URL {
  if (target.startsWith('/')) {
    const host = service.host.includes(':') ? `[${service.host}]` : service.host
    return new URL(`http://${host}:${service.port}${target}`)
  }
  if (!ABSOLUTE.test(target))
    throw new LabError(
      'INVALID_ARGUMENT',
      `target must be a path such as /get or an http:// URL, not ${JSON.stringify(target)}`,
    )
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new LabError('INVALID_ARGUMENT', `not a valid URL: ${target}`)
  }
  if (url.protocol !== 'http:')
    throw new LabError('INVALID_ARGUMENT', `only http:// URLs are supported, not ${url.protocol}//`)
  return url
}

/** mediaTypeOf is a Content-Type without parameters, lower-cased ('' when absent). */
export function mediaTypeOf(headers: Readonly<HeaderMap>): string {
  const raw = headers['content-type']
  const value = Array.isArray(raw) ? raw[0] : raw
  return (value ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? ''
}

/** isJsonMediaType: `application/json` and `application/*+json`. */
export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/** serverTiming reads a Server-Timing header (`parse;dur=9.1, unpack;dur=4.2`) into name → ms. */
export function serverTiming(headers: Readonly<HeaderMap>): Record<string, number> {
  const raw = headers['server-timing']
  const out: Record<string, number> = {}
  for (const metric of (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',')) {
    const [name, ...params] = metric.split(';').map((s) => s.trim())
    const dur = params.find((p) => p.startsWith('dur='))
    const ms = Number(dur?.slice(4))
    if (name && dur && Number.isFinite(ms)) out[name] = ms
  }
  return out
}

/**
 * statusSummary is `404 NOT_FOUND: no route for GET /nope` when the body is netlab's JSON
 * error form (`{"error": <message>, "status": <n>, "code": <CODE>}`), the message alone when
 * it has no code (toxiproxy's form), else the reason phrase, e.g. `503 Service Unavailable`.
 */
export function statusSummary(res: HttpResponse): string {
  let detail = res.statusText
  if (isJsonMediaType(mediaTypeOf(res.headers))) {
    try {
      const body = JSON.parse(res.body.toString('utf8')) as unknown
      if (typeof body === 'object' && body !== null) {
        const { error, code } = body as { error?: unknown; code?: unknown }
        if (typeof code === 'string') detail = typeof error === 'string' ? `${code}: ${error}` : code
        else if (typeof error === 'string') detail = error
      }
    } catch {
      // not JSON after all: the reason phrase will do
    }
  }
  return detail === '' ? String(res.status) : `${res.status} ${detail}`
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError'
}

/** requestError names the URL and says what went wrong, in words. */
function requestError(url: URL, err: unknown, timeoutMs: number, gotHeaders: boolean): LabError {
  if (err instanceof LabError) return err
  const where = url.href
  const code = isErrnoException(err) ? err.code : undefined
  if (isTimeout(err) || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new LabError(
      'TIMEOUT',
      gotHeaders
        ? `${where}: response body incomplete after ${timeoutMs} ms`
        : `${where}: no response within ${timeoutMs} ms`,
      { cause: err },
    )
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the server',
    UND_ERR_CONNECT_TIMEOUT: `connect timed out after ${timeoutMs} ms`,
    UND_ERR_SOCKET: 'the server closed the connection',
    UND_ERR_RES_EXCEEDED_MAX_SIZE: 'response body is larger than the client accepts',
    EHOSTUNREACH: 'host unreachable (EHOSTUNREACH)',
    ENETUNREACH: 'network unreachable (ENETUNREACH)',
    ENOTFOUND: 'unknown host (ENOTFOUND)',
    EAI_AGAIN: 'unknown host (EAI_AGAIN)',
  }
  const text = (code && why[code]) ?? (err instanceof Error ? err.message : String(err))
  const failure = code === 'UND_ERR_INVALID_ARG' ? 'INVALID_ARGUMENT' : 'HTTP_FAILED'
  return new LabError(failure, `${where}: ${text}`, { cause: err })
}

/**
 * HttpClient sends requests over one keep-alive connection per origin; dispose it (or
 * call close) when done so the process can exit.
 */
export class HttpClient implements AsyncDisposable {
  readonly #agent: Agent
  readonly #timeoutMs: number
  readonly #signal: AbortSignal | undefined
  #connections = 0

  constructor(opts: HttpClientOptions) {
    this.#timeoutMs = opts.timeoutMs
    this.#signal = opts.signal
    const connect = buildConnector({ timeout: opts.timeoutMs })
    this.#agent = new Agent({
      connections: 1,
      pipelining: 1,
      maxResponseSize: opts.maxResponseBytes ?? MAX_RESPONSE_BYTES,
      connect: (options, callback) => {
        this.#connections++
        connect(options, callback)
      },
    })
  }

  /** connections is how many TCP connections have been opened (1 when keep-alive held). */
  get connections(): number {
    return this.#connections
  }

  /** send performs one exchange and reads the whole body; any status is a response, not an error. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const started = performance.now()
    let ttfbMs: number | undefined
    try {
      const res = await request(req.url, {
        dispatcher: this.#agent,
        method: req.method,
        headers: { ...req.headers },
        body: req.body ?? null,
        signal: this.#signal
          ? AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#signal])
          : AbortSignal.timeout(this.#timeoutMs),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      })
      ttfbMs = performance.now() - started
      const body = Buffer.from(await res.body.arrayBuffer())
      const totalMs = performance.now() - started
      return {
        status: res.statusCode,
        statusText: res.statusText,
        headers: res.headers as HeaderMap,
        body,
        timing: { ttfbMs, totalMs },
      }
    } catch (err) {
      if (this.#signal?.aborted) {
        const got = ttfbMs === undefined ? 'no response yet' : 'headers received, body incomplete'
        const elapsed = seconds(performance.now() - started)
        throw interruptedError(`${req.method} ${req.url.href} after ${elapsed} (${got}); connection closed`)
      }
      throw requestError(req.url, err, this.#timeoutMs, ttfbMs !== undefined)
    }
  }

  async close(): Promise<void> {
    await this.#agent.destroy()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
