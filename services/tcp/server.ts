/**
 * The threaded TCP server: N worker threads, each with its own listener on every port.
 * With SO_REUSEPORT (Node's `reusePort`, Linux 3.9+ and some BSDs) the kernel spreads
 * connections across the threads' listeners; where the option is unsupported, one
 * thread serves everything. The mode is logged at start and reported by STATS.
 */
import type { Logger } from '../../lib/log.ts'
import { startThreadedService, type ThreadedService, tcpBindOnce } from '../../lib/worker-pool.ts'
import type { TcpConfig } from './config.ts'
import type { Proto } from './connection.ts'
import { SharedCounters } from './counters.ts'
import type { WorkerInit } from './worker.ts'

/** TcpService is the running server; `ports` are the bound ports (resolved when configured as 0). */
export type TcpService = ThreadedService<Proto>

// Run from source (tsx, vitest, node's type stripping) or from the tsc build.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)

/** startTcpService starts the workers and resolves once every listener is bound. */
export async function startTcpService(config: TcpConfig, log: Logger): Promise<TcpService> {
  const counters = new SharedCounters(config.workers)
  return startThreadedService({
    name: 'tcp',
    url: workerUrl,
    host: config.host,
    workers: config.workers,
    ports: {
      upper: config.upperPort,
      echo: config.echoPort,
      cmd: config.cmdPort,
      welcome: config.welcomePort,
      hello: config.helloPort,
      ack: config.ackPort,
    },
    budgetBytes: config.memoryBudgetBytes,
    bindOnce: tcpBindOnce,
    log,
    data: (worker, { ports, reusePort, workers, budget }): WorkerInit => ({
      config: { ...config, workers },
      worker,
      reusePort,
      counters: counters.buffer,
      budget,
      ports,
    }),
    // a dead worker's connections died with it: give their slots back
    onWorkerDied: (worker) => counters.releaseWorker(worker),
  })
}
