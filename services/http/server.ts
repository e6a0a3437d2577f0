/**
 * The HTTP server: N worker threads, each with its own Fastify app and SO_REUSEPORT
 * listener on the one port, so both cores serve requests (worker threads rather than
 * cluster processes: one process, one PID 1, one memory limit). Where SO_REUSEPORT is
 * unsupported one thread serves everything; the mode is logged at start.
 */
import type { Logger } from '../../lib/log.ts'
import { startThreadedService, type ThreadedService, tcpBindOnce } from '../../lib/worker-pool.ts'
import type { HttpConfig } from './config.ts'
import type { WorkerInit } from './worker.ts'

/** HttpService is the running server; `ports.http` is the bound port (resolved when configured as 0). */
export type HttpService = ThreadedService<'http'>

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)

/** startHttpService starts the workers and resolves once every listener is bound. */
export async function startHttpService(config: HttpConfig, log: Logger): Promise<HttpService> {
  return startThreadedService({
    name: 'http',
    url: workerUrl,
    host: config.host,
    workers: config.workers,
    ports: { http: config.port },
    budgetBytes: config.memoryBudgetBytes,
    bindOnce: tcpBindOnce,
    log,
    data: (worker, { ports, reusePort, workers, budget }): WorkerInit => ({
      config: { ...config, workers },
      worker,
      reusePort,
      port: ports.http,
      budget,
    }),
  })
}
