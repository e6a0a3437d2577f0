/**
 * One worker thread: its own Fastify app and listener (SO_REUSEPORT, so the kernel
 * spreads connections across threads), drained on request from the main thread.
 * Draining stops accepting, answers requests that arrive on kept-alive connections with
 * 503 + `Connection: close`, lets in-flight requests finish, and destroys whatever is
 * still open when SHUTDOWN_GRACE_MS runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parentPort, workerData } from 'node:worker_threads'
import type { FastifyListenOptions } from 'fastify'
import { createLogger } from '../../lib/log.ts'
import { countHttp, trackConnections } from '../../lib/metrics/index.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { attachWorkerBudget, serveWorker } from '../../lib/worker-pool.ts'
import { buildApp } from './app.ts'
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

async function runWorker(port: import('node:worker_threads').MessagePort, init: WorkerInit): Promise<void> {
  const log = createLogger('http', init.config.logLevel).child({ worker: init.worker })
  const app = buildApp(init.config, log, attachWorkerBudget(init.budget, init.worker))
  let inFlight = 0
  app.addHook('onRequest', (_req, _reply, done) => {
    inFlight++
    done()
  })
  trackConnections(app.server, 'http')
  app.addHook('onResponse', (req, reply, done) => {
    inFlight--
    countHttp('http', req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime)
    done()
  })
  app.addHook('onRequestAbort', (_req, done) => {
    inFlight--
    done()
  })

  const listen = async (): Promise<void> => {
    // Node's listen takes reusePort (22.12+); Fastify passes the options through untyped.
    const options: FastifyListenOptions & { reusePort: boolean } = {
      host: init.config.host,
      port: init.port,
      reusePort: init.reusePort,
    }
    await app.listen(options)
  }

  const drain = async (): Promise<CloseSummary> => {
    const pending = inFlight
    const closed = app.close().then(() => false)
    const timedOut = await Promise.race([closed, sleep(init.config.shutdownGraceMs, true)])
    if (!timedOut) return { drained: pending, destroyed: 0 }
    const destroyed = inFlight
    app.server.closeAllConnections()
    log.warn({ destroyed }, 'connections destroyed at end of grace period')
    await closed
    return { drained: Math.max(0, pending - destroyed), destroyed }
  }

  await serveWorker(port, listen, drain)
}

if (parentPort) await runWorker(parentPort, workerData as WorkerInit)
