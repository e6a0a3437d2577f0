/**
 * The HTTP application: one Fastify instance per worker thread. It holds the service's
 * cross-cutting rules (body handling and limits, the JSON error form, 404/405, access log)
 * and registers the route groups:
 *
 *   routes/seeds.ts    /  /hello/{name}  /hello?name=  /localtime        (seeds 002, 004)
 *   routes/data.ts     GET|POST /data/                                   (seed 000's experiment)
 *   routes/httpbin/    /get /post ... /anything /status /delay ...       (httpbin's surface)
 *   /health            the container's health check
 *
 * buildApp never listens: the worker binds it (SO_REUSEPORT), tests drive it with inject().
 */
import { pipeline, Transform } from 'node:stream'
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { httpErrorBody } from '../../lib/error-catalogue.ts'
import type { Logger } from '../../lib/log.ts'
import { MemoryBudget } from '../../lib/memory-budget.ts'
import { countError } from '../../lib/metrics/index.ts'
import { lingerAfterTooLarge } from '../../lib/net/http-connections.ts'
import { isJsonType, mediaType, scanWhileReceiving } from './body.ts'
import { installBudget, RETRY_AFTER_S, type RequestBudget } from './budget.ts'
import type { HttpConfig } from './config.ts'
import { HTTP_ERRORS, HttpError, type HttpErrorCode } from './errors.ts'
import { registerDataRoutes } from './routes/data.ts'
import { registerHttpbinRoutes } from './routes/httpbin/index.ts'
import { registerSeedRoutes } from './routes/seeds.ts'

/** RouteGroup is how each file under routes/ plugs in. */
export type RouteGroup = (app: FastifyInstance, config: HttpConfig, budget: RequestBudget) => void

const METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']

/** Fastify's own client-error codes, mapped to ours. */
const FASTIFY_CODES: Readonly<Record<string, HttpErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_PARTS_LIMIT: 'BODY_TOO_LARGE',
  FST_FILES_LIMIT: 'BODY_TOO_LARGE',
  FST_FIELDS_LIMIT: 'BODY_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_PROTO_VIOLATION: 'INVALID_BODY',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
}

/** toHttpError classifies anything a route or Fastify threw. */
function toHttpError(err: FastifyError | Error): HttpError {
  if (err instanceof HttpError) return err
  const fe = err as FastifyError
  if (fe.validation) return new HttpError('INVALID_PARAMETER', fe.message, { cause: err })
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined
  if (mapped) return new HttpError(mapped, fe.message, { cause: err })
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return new HttpError('BAD_REQUEST', fe.message, { cause: err })
  return new HttpError('INTERNAL_ERROR', 'internal error', { cause: err })
}

/**
 * buildApp creates the application for one worker; `ready()` is left to the caller. `budget`
 * is the service's memory budget shared by every worker (lib/worker-pool.ts); by default the
 * app gets one of its own, of HTTP_MEMORY_BUDGET_BYTES.
 */
export function buildApp(
  config: HttpConfig,
  log: Logger,
  budget: MemoryBudget = MemoryBudget.create(config.memoryBudgetBytes),
): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: config.maxBodyBytes,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // A response nobody reads must not hold its bytes (and budget) for ever; /delay is idle
    // for up to HTTP_MAX_DELAY_MS by design.
    connectionTimeout: Math.max(config.sendTimeoutMs, config.maxDelayMs + 1000),
    http: {
      maxHeaderSize: config.maxHeaderBytes,
      // How often Node checks the header and request deadlines (its default is 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, config.headersTimeoutMs / 4)),
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })
  app.server.headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs)
  app.server.maxConnections = config.maxConnections

  // Every body arrives as bytes (routes decide how to read it: body.ts); multipart streams on
  // the routes that read it (body.ts multipartScope).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  const requestBudget = installBudget(app, budget, config.maxBodyBytes, log)
  // A chunked body (no Content-Length) is charged to the budget chunk by chunk as it arrives.
  // JSON (or untyped, which /data/ and the echo read as JSON) bodies are scanned as they
  // arrive (json-scan.ts): depth, and what parsing and echoing them will cost.
  // Fastify runs preParsing for every request, GETs too: one without a body leaves first.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const headers = request.headers
    const declared = headers['content-length'] !== undefined
    const chunked = !declared && headers['transfer-encoding'] !== undefined
    if (!declared && !chunked) return done(null, payload)
    const type = mediaType(request)
    const json = type === '' || isJsonType(type)
    if (!chunked && !json) return done(null, payload)
    const scanner = json ? scanWhileReceiving(request) : undefined
    const scan = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        if (chunked) {
          try {
            requestBudget.add(request, 2 * chunk.length, 'the request body')
          } catch (err) {
            return next(err as Error)
          }
        }
        scanner?.push(chunk)
        next(null, chunk)
      },
      flush(next) {
        scanner?.end()
        next()
      },
    })
    // errors (an aborted upload) reach Fastify through `scan`, which it reads instead
    pipeline(payload, scan, () => undefined)
    done(null, scan)
  })
  // A second router that knows every route, to tell 405 (path exists, method does not) from 404.
  const known = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 2048 })
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const m of methods)
      if (METHODS.includes(m as HTTPMethod)) known.on(m as HTTPMethod, route.url, () => {})
  })

  // The access log is debug-level: the hook exists only when it would write (hot path).
  if (log.isLevelEnabled('debug'))
    app.addHook('onResponse', (request, reply, done) => {
      log.debug(
        { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
        'request',
      )
      done()
    })

  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const e = toHttpError(err)
    countError(e.code)
    if (e.code === 'BUSY') {
      requestBudget.refused(e.code)
      reply.header('retry-after', String(RETRY_AFTER_S))
    } else if (e.status >= 500) log.error({ err, method: request.method, url: request.url }, 'request failed')
    else
      log.info({ code: e.code, method: request.method, url: request.url, message: e.message }, 'client error')
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') lingerAfterTooLarge(request, reply)
    if (e.code === 'UNAUTHORIZED' && !reply.hasHeader('www-authenticate'))
      reply.header('www-authenticate', 'Basic realm="Fake Realm"')
    return reply
      .code(e.status)
      .type('application/json')
      .send(httpErrorBody(e.code, e.message, e.status))
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '/'
    const allowed = METHODS.filter((m) => known.find(m, path) !== null)
    countError(allowed.length > 0 ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND')
    if (allowed.length > 0) {
      log.info({ code: 'METHOD_NOT_ALLOWED', method: request.method, url: request.url }, 'client error')
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(
          httpErrorBody(
            'METHOD_NOT_ALLOWED',
            `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
            HTTP_ERRORS.METHOD_NOT_ALLOWED.status,
          ),
        )
    }
    log.info({ code: 'NOT_FOUND', method: request.method, url: request.url }, 'client error')
    return reply
      .code(404)
      .send(
        httpErrorBody('NOT_FOUND', `no route for ${request.method} ${path}`, HTTP_ERRORS.NOT_FOUND.status),
      )
  })

  app.get('/health', () => ({ status: 'ok' }))
  for (const group of [registerSeedRoutes, registerDataRoutes, registerHttpbinRoutes] satisfies RouteGroup[])
    group(app, config, requestBudget)
  return app
}
