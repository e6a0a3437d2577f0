/**
 * The metrics endpoint every service serves in its main thread, on METRICS_PORT (9464) of the
 * lab network:
 *
 *   GET /metrics   Prometheus text: the netlab_ families summed over every thread
 *                  (AggregatorRegistry.aggregate), then the default process metrics
 *   GET /events    JSON: the recent warn/error log lines of every thread, newest last
 *   GET /health    JSON: { service, status: "ok", startedAt, uptimeSeconds, workers }
 *
 * It is a plain node:http server outside the service's own ports and limits: a scrape costs
 * the main thread, never a worker's event loop beyond building its report.
 */
import { createServer, type Server } from 'node:http'
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client'
import { type ConfigOf, hostVar, loadConfig, portVar } from '../config.ts'
import type { Logger } from '../log.ts'
import { type LabEvent, type MetricJson, threadReport } from './index.ts'
import { askWorkers } from './workers.ts'

/** The port Prometheus' own exporters conventionally use for an app's metrics. */
export const DEFAULT_METRICS_PORT = 9464

/** The variables every service reads for its metrics endpoint. */
export const metricsVars = {
  host: hostVar('METRICS_HOST', 'address the /metrics, /events and /health endpoint binds', '0.0.0.0'),
  port: portVar('METRICS_PORT', 'port of the /metrics, /events and /health endpoint', DEFAULT_METRICS_PORT),
} as const
export type MetricsConfig = ConfigOf<typeof metricsVars>

/** loadMetricsConfig reads METRICS_HOST and METRICS_PORT (ConfigError naming a bad one). */
export const loadMetricsConfig = (env: NodeJS.ProcessEnv): MetricsConfig => loadConfig(metricsVars, env)

/** MetricsServer is the running endpoint. */
export interface MetricsServer {
  readonly port: number
  close(): Promise<void>
}

/** aggregateText sums thread reports into Prometheus text. */
export async function aggregateText(reports: readonly MetricJson[][]): Promise<string> {
  // prom-client's typings give `type` as an enum; at run time it is the string we pass.
  const registry = AggregatorRegistry.aggregate(
    reports as unknown as Parameters<typeof AggregatorRegistry.aggregate>[0],
  )
  return registry.metrics()
}

/** mergeEvents orders every thread's events by time and keeps the last `keep`. */
export function mergeEvents(lists: readonly (readonly LabEvent[])[], keep = 100): LabEvent[] {
  return lists
    .flat()
    .sort((a, b) => a.time.localeCompare(b.time))
    .slice(-keep)
}

export async function startMetricsServer(opts: {
  readonly service: string
  readonly host: string
  readonly port: number
  readonly log: Logger
}): Promise<MetricsServer> {
  const process_ = new Registry()
  collectDefaultMetrics({ register: process_ })
  const startedAt = new Date()
  const collect = async () => [threadReport(), ...(await askWorkers())]

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
      return
    }
    const send = (type: string, body: string) =>
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body)
    const fail = (err: unknown) => {
      opts.log.error({ err, path }, 'metrics request failed')
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('metrics unavailable\n')
    }
    if (path === '/metrics')
      void collect()
        .then(async (reports) => {
          const lab = await aggregateText(reports.map((r) => r.metrics))
          send(process_.contentType, `${lab}\n${await process_.metrics()}`)
        })
        .catch(fail)
    else if (path === '/events')
      void collect()
        .then((reports) =>
          send(
            'application/json',
            JSON.stringify({ service: opts.service, events: mergeEvents(reports.map((r) => r.events)) }),
          ),
        )
        .catch(fail)
    else if (path === '/health')
      void askWorkers()
        .then((workers) =>
          send(
            'application/json',
            JSON.stringify({
              service: opts.service,
              status: 'ok',
              startedAt: startedAt.toISOString(),
              uptimeSeconds: Math.round(process.uptime()),
              workers: workers.length,
            }),
          ),
        )
        .catch(fail)
    else
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /events, /health\n')
  })
  server.keepAliveTimeout = 5000
  server.headersTimeout = 5000
  server.requestTimeout = 10_000
  server.maxConnections = 64
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: opts.host, port: opts.port }, () => resolve())
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : opts.port
  opts.log.info({ proto: 'metrics', host: opts.host, port }, 'listening')
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
