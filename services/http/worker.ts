/**
 * One worker thread: its own Fastify app and listener (SO_REUSEPORT, so the kernel
 * spreads connections across threads), drained on request from the main thread.
 *
 * Connections go through lib/net's ConnectionSet: HTTP_MAX_CONNECTIONS per thread, past it
 * a 503 in the one HTTP error body (code BUSY) and a close; metrics; one `connection closed`
 * line each. Draining stops accepting, answers requests that arrive on kept-alive
 * connections with 503 + `Connection: close` (Fastify's return503OnClosing), lets in-flight
 * requests finish, and destroys whatever is still open when SHUTDOWN_GRACE_MS runs out.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import type { FastifyListenOptions } from 'fastify'
import { createLogger } from '../../lib/log.ts'
import { countHttp } from '../../lib/metrics/index.ts'
import { localAdmission } from '../../lib/net/connections.ts'
import { HttpConnections } from '../../lib/net/http-connections.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { attachWorkerBudget, serveWorker } from '../../lib/worker-pool.ts'
import { buildApp } from './app.ts'
import { RETRY_AFTER_S } from './budget.ts'
import type { HttpConfig } from './config.ts'

/** WorkerInit is the workerData the main thread passes to each worker. */
export interface WorkerInit {
  readonly config: HttpConfig
  readonly worker: number
  readonly reusePort: boolean
  readonly port: number
  /** the service's memory budget (lib/worker-pool.ts attachWorkerBudget) */
  readonly budget: SharedArrayBuffer
}

async function runWorker(port: MessagePort, init: WorkerInit): Promise<void> {
  const log = createLogger('http', init.config.logLevel).child({ worker: init.worker })
  const app = buildApp(init.config, log, attachWorkerBudget(init.budget, init.worker))
  let connections: HttpConnections | undefined
  app.addHook('onResponse', (req, reply, done) => {
    connections?.responded(req.raw.socket)
    countHttp('http', req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime)
    done()
  })

  const listen = async (): Promise<void> => {
    await app.ready()
    connections = new HttpConnections(app, {
      proto: 'http',
      admission: localAdmission(init.config.maxConnections),
      log,
      retryAfterS: RETRY_AFTER_S,
    })
    // Node's listen takes reusePort (22.12+); Fastify passes the options through untyped.
    const options: FastifyListenOptions & { reusePort: boolean } = {
      host: init.config.host,
      port: init.port,
      reusePort: init.reusePort,
    }
    await app.listen(options)
  }

  const drain = async (): Promise<CloseSummary> =>
    connections
      ? connections.drain(init.config.shutdownGraceMs)
      : app.close().then(() => ({ drained: 0, destroyed: 0 }))

  await serveWorker(port, listen, drain)
}

if (parentPort) await runWorker(parentPort, workerData as WorkerInit)
