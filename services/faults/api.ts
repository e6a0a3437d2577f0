/**
 * The control API, shaped like toxiproxy's api.go so toxiproxy clients work against it:
 *
 *   GET    /version                        {"version": ...}
 *   GET    /proxies                        map name → proxy
 *   POST   /proxies                        create → 201 (409 if it exists)
 *   POST   /populate                       idempotent bulk upsert → 201 {"proxies": [...]}
 *   GET|POST|PATCH|DELETE /proxies/{p}     read, update (listen, upstream, enabled), delete → 204
 *   GET|POST /proxies/{p}/toxics           list, add
 *   GET|POST|PATCH|DELETE /proxies/{p}/toxics/{t}
 *   POST   /reset                          enable all, drop all toxics → 204 (409 naming proxies that could not start)
 *   GET    /stats                          netlab's: the memory budget, each proxy's counters, event-loop delay
 *
 * Bodies are JSON whatever the Content-Type (curl -d sends form-encoded). Errors are
 * toxiproxy's {"error": ..., "status": N} plus netlab's `code`. A User-Agent starting
 * with `Mozilla/` gets 403, as toxiproxy's stopBrowsersMiddleware does (CSRF guard).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { Logger } from '../../lib/log.ts'
import { countHttp } from '../../lib/metrics/index.ts'
import { VERSION } from '../../lib/version.ts'
import { errorBody, FaultsError } from './errors.ts'
import type { FaultProxy } from './proxy.ts'
import type { ProxyRegistry } from './proxy-registry.ts'
import { toxicJson } from './toxic-set.ts'

/** FAULTS_VERSION is what GET /version reports: netlab's one version (package.json), as the CLI's --version. */
export const FAULTS_VERSION = VERSION

/** the largest request body the API reads */
const MAX_BODY_BYTES = 1_048_576

type Params = { proxy: string; toxic: string }

function classify(err: FastifyError | Error): FaultsError {
  if (err instanceof FaultsError) return err
  const fe = err as FastifyError
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new FaultsError('BAD_REQUEST', `request body is larger than ${MAX_BODY_BYTES} bytes`)
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500)
    return new FaultsError('BAD_REQUEST', fe.message)
  return new FaultsError('INTERNAL', 'internal error', { cause: err })
}

/** buildApi creates the control API over `registry`; it never listens (tests use inject()). */
export function buildApi(registry: ProxyRegistry, log: Logger): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, return503OnClosing: true })
  app.addHook('onResponse', (req, reply, done) => {
    countHttp('api', req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime)
    done()
  })

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body)
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch (err) {
      done(new FaultsError('BAD_REQUEST', `request body is not JSON: ${(err as Error).message}`), undefined)
    }
  })

  app.addHook('onRequest', async (request) => {
    if (request.headers['user-agent']?.startsWith('Mozilla/'))
      throw new FaultsError(
        'FORBIDDEN',
        'User-Agent Mozilla/... is refused: browsers may not call the API (CSRF guard)',
      )
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = classify(err)
    if (e.status >= 500) log.error({ err, method: request.method, url: request.url }, 'request failed')
    else
      log.info(
        { code: e.code, method: request.method, url: request.url, error: e.message },
        'request refused',
      )
    return reply.status(e.status).send(errorBody(e))
  })
  app.setNotFoundHandler((request, reply) => {
    const e = new FaultsError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)
    return reply.status(404).send(errorBody(e))
  })

  app.get('/version', async () => ({ version: FAULTS_VERSION }))

  app.get('/proxies', async () => registry.json())
  app.post('/proxies', async (request, reply) => {
    const proxy = await registry.create(request.body)
    return reply.status(201).send(proxy.toJSON())
  })
  app.post('/populate', async (request, reply) => {
    const done: FaultProxy[] = []
    try {
      await registry.populate(request.body, done)
    } catch (err) {
      if (!(err instanceof FaultsError)) throw err
      return reply.status(err.status).send({ ...errorBody(err), proxies: done.map((p) => p.toJSON()) })
    }
    return reply.status(201).send({ proxies: done.map((p) => p.toJSON()) })
  })

  app.get<{ Params: Params }>('/proxies/:proxy', async (request) =>
    registry.get(request.params.proxy).toJSON(),
  )
  for (const method of ['POST', 'PATCH'] as const)
    app.route<{ Params: Params }>({
      method,
      url: '/proxies/:proxy',
      handler: async (request) => (await registry.update(request.params.proxy, request.body)).toJSON(),
    })
  app.delete<{ Params: Params }>('/proxies/:proxy', async (request, reply) => {
    await registry.remove(request.params.proxy)
    return reply.status(204).send()
  })

  app.get<{ Params: Params }>('/proxies/:proxy/toxics', async (request) =>
    registry.get(request.params.proxy).toxics.list().map(toxicJson),
  )
  app.post<{ Params: Params }>('/proxies/:proxy/toxics', async (request) => {
    const proxy = registry.get(request.params.proxy)
    const toxic = proxy.toxics.add(request.body)
    log.info({ proxy: proxy.name, toxic: toxicJson(toxic) }, 'toxic added')
    return toxicJson(toxic)
  })
  app.get<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', async (request) =>
    toxicJson(registry.get(request.params.proxy).toxics.get(request.params.toxic)),
  )
  for (const method of ['POST', 'PATCH'] as const)
    app.route<{ Params: Params }>({
      method,
      url: '/proxies/:proxy/toxics/:toxic',
      handler: async (request) => {
        const proxy = registry.get(request.params.proxy)
        const toxic = proxy.toxics.update(request.params.toxic, request.body)
        log.info({ proxy: proxy.name, toxic: toxicJson(toxic) }, 'toxic updated')
        return toxicJson(toxic)
      },
    })
  app.delete<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', async (request, reply) => {
    const proxy = registry.get(request.params.proxy)
    proxy.toxics.remove(request.params.toxic)
    log.info({ proxy: proxy.name, toxic: request.params.toxic }, 'toxic removed')
    return reply.status(204).send()
  })

  app.post('/reset', async (_request, reply) => {
    const failed = await registry.reset()
    if (failed.length === 0) return reply.status(204).send()
    const e = new FaultsError(
      'RESET_INCOMPLETE',
      `reset: ${failed.length} of ${registry.list().length} proxies could not start: ${failed.map((f) => f.error).join('; ')}`,
    )
    return reply.status(e.status).send({ ...errorBody(e), failed })
  })

  // how long the event loop kept work waiting since the last GET /stats: what a flood costs the API
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  app.addHook('onClose', async () => loopDelay.disable())
  app.get('/stats', async () => {
    const ms = (ns: number) => Math.round(ns / 1e5) / 10
    const eventLoopDelayMs = {
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    }
    loopDelay.reset()
    return { ...registry.stats(), eventLoopDelayMs }
  })

  return app
}
