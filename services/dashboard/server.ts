/**
 * The dashboard: one Fastify app on DASHBOARD_PORT serving the page (page.ts, no external
 * resources), GET /api/lab (the model as JSON), GET /api/stream (the same, pushed by
 * Server-Sent Events after every poll), and the faults controls, which it forwards to the
 * faults API (DASHBOARD_FAULTS_URL). It never touches Docker: all it knows comes over the lab
 * network (poller.ts).
 *
 * Every request must name this dashboard in its Host header (host-check.ts: a page on a
 * name made to resolve to 127.0.0.1, DNS rebinding, gets 421). The controls change the lab,
 * so a request must also carry `x-netlab-dashboard: 1` and JSON: a custom header a page of
 * another origin cannot send without a CORS preflight, which this server never grants; and
 * an Origin, when it has one, must be the page's own.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify'
import { httpErrorBody } from '../../lib/error-catalogue.ts'
import type { Logger } from '../../lib/log.ts'
import type { CloseSummary, Service } from '../../lib/service.ts'
import type { DashboardConfig } from './config.ts'
import { DASHBOARD_ERRORS, dashboardError } from './errors.ts'
import { hostPolicy } from './host-check.ts'
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page.ts'
import { type Poller, startPoller } from './poller.ts'

const NAME = /^[A-Za-z0-9_.-]{1,64}$/
const MAX_BODY_BYTES = 16 * 1024

type Params = { proxy?: string; toxic?: string }

/** forward sends one request to the faults API and relays its status and JSON body. */
async function forward(
  config: DashboardConfig,
  reply: FastifyReply,
  method: string,
  path: string,
  body?: unknown,
): Promise<FastifyReply> {
  try {
    const res = await fetch(`${config.faultsUrl}${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
      signal: AbortSignal.timeout(5000),
    })
    const text = await res.text()
    reply.code(res.status).type(res.headers.get('content-type') ?? 'application/json')
    return reply.send(text === '' ? '{}' : text)
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } }
    return reply
      .code(DASHBOARD_ERRORS.FAULTS_UNREACHABLE.status)
      .send(dashboardError('FAULTS_UNREACHABLE', `${config.faultsUrl}: ${e.cause?.code ?? e.name}`))
  }
}

export function buildDashboardApp(
  config: DashboardConfig,
  poller: Pick<Poller, 'lab' | 'onUpdate'>,
  log: Logger,
): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, return503OnClosing: true })
  app.removeContentTypeParser('text/plain')
  const hosts = hostPolicy(config.host, config.allowedHosts)
  let streams = 0

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host
    if (!hosts.allowedHost(host))
      return reply
        .code(DASHBOARD_ERRORS.BAD_HOST.status)
        .send(
          dashboardError(
            'BAD_HOST',
            `this dashboard answers to ${hosts.names.join(', ')} (DASHBOARD_ALLOWED_HOSTS adds more), not ${JSON.stringify(host ?? '')}`,
          ),
        )
    if (request.method === 'GET' || request.method === 'HEAD') return
    const origin = request.headers.origin
    if (origin !== undefined && !hosts.sameOrigin(origin, host))
      return reply
        .code(DASHBOARD_ERRORS.BAD_ORIGIN.status)
        .send(
          dashboardError(
            'BAD_ORIGIN',
            `controls are taken from the dashboard's own page, not ${JSON.stringify(origin)}`,
          ),
        )
    if (request.headers['x-netlab-dashboard'] !== '1')
      return reply
        .code(DASHBOARD_ERRORS.FORBIDDEN.status)
        .send(dashboardError('FORBIDDEN', 'controls need the x-netlab-dashboard: 1 header'))
  })
  app.addHook('preValidation', async (request, reply) => {
    const p = request.params as Params
    for (const v of [p.proxy, p.toxic])
      if (v !== undefined && !NAME.test(v))
        return reply
          .code(DASHBOARD_ERRORS.BAD_NAME.status)
          .send(dashboardError('BAD_NAME', 'names are 1-64 letters, digits, _ . -'))
  })

  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE_HTML))
  app.get('/app.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(PAGE_JS))
  app.get('/app.css', (_req, reply) => reply.type('text/css; charset=utf-8').send(PAGE_CSS))
  app.get('/health', () => ({ status: 'ok' }))
  app.get('/api/lab', () => poller.lab.view())

  app.get('/api/stream', (request, reply) => {
    if (streams >= config.maxStreams)
      return reply
        .code(DASHBOARD_ERRORS.BUSY.status)
        .send(dashboardError('BUSY', `at most ${config.maxStreams} pages update at once`))
    streams++
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    const push = () => {
      // a page that does not read is not buffered for: skip updates until it drains
      if (res.writableLength > 1024 * 1024) return
      res.write(`data: ${JSON.stringify(poller.lab.view())}\n\n`)
    }
    res.write(`retry: ${config.pollMs}\n\n`)
    push()
    const off = poller.onUpdate(push)
    request.raw.on('close', () => {
      off()
      streams--
    })
    return reply
  })

  app.get('/api/faults/proxies', (_req, reply) => forward(config, reply, 'GET', '/proxies'))
  app.post<{ Params: Params; Body: { enabled?: unknown } }>(
    '/api/faults/proxies/:proxy',
    (request, reply) => {
      if (typeof request.body?.enabled !== 'boolean')
        return reply
          .code(DASHBOARD_ERRORS.BAD_REQUEST.status)
          .send(dashboardError('BAD_REQUEST', 'body: {"enabled": true|false}'))
      return forward(config, reply, 'POST', `/proxies/${request.params.proxy}`, {
        enabled: request.body.enabled,
      })
    },
  )
  app.post<{ Params: Params; Body: unknown }>('/api/faults/proxies/:proxy/toxics', (request, reply) =>
    forward(config, reply, 'POST', `/proxies/${request.params.proxy}/toxics`, request.body ?? {}),
  )
  app.delete<{ Params: Params }>('/api/faults/proxies/:proxy/toxics/:toxic', (request, reply) =>
    forward(config, reply, 'DELETE', `/proxies/${request.params.proxy}/toxics/${request.params.toxic}`),
  )
  app.post('/api/faults/reset', (_req, reply) => forward(config, reply, 'POST', '/reset'))

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500
    if (status >= 500) log.error({ err, url: request.url }, 'request failed')
    return reply
      .code(status)
      .send(httpErrorBody(status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', err.message, status))
  })
  return app
}

export async function startDashboardService(config: DashboardConfig, log: Logger): Promise<Service> {
  const poller = startPoller(config, log)
  const app = buildDashboardApp(config, poller, log)
  await app.listen({ host: config.host, port: config.port })
  log.info({ proto: 'http', host: config.host, port: config.port, services: config.services }, 'listening')
  let closing: Promise<CloseSummary> | undefined
  const address = app.server.address()
  return {
    ports: { http: typeof address === 'object' && address !== null ? address.port : config.port },
    close() {
      closing ??= (async () => {
        poller.close()
        app.server.closeAllConnections()
        await app.close()
        return { drained: 0, destroyed: 0 }
      })()
      return closing
    },
  }
}
