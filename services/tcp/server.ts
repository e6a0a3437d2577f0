/**
 * The threaded TCP server: N worker threads, each with its own listener on every port.
 * With SO_REUSEPORT (Node's `reusePort`, Linux 3.9+ and some BSDs) the kernel spreads
 * connections across the threads' listeners; where the option is unsupported, one
 * thread serves everything. The mode is logged at start and reported by STATS.
 */
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import type { Service } from '../../lib/service.ts'
import { startWorkerPool } from '../../lib/worker-pool.ts'
import type { TcpConfig } from './config.ts'
import type { Proto } from './connection.ts'
import { SharedCounters } from './counters.ts'
import type { WorkerInit } from './worker.ts'

/** TcpService is the running server; `ports` are the bound ports (resolved when configured as 0). */
export interface TcpService extends Service {
  readonly ports: Readonly<Record<Proto, number>>
  readonly mode: 'reuseport' | 'single'
  readonly workers: number
}

// Run from source (tsx, vitest, node's type stripping) or from the tsc build.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)

/** listenOnce binds a throwaway listener: to probe an option, or to find a free port. */
async function listenOnce(host: string, port: number, reusePort: boolean): Promise<number> {
  const server = createServer()
  server.listen({ host, port, reusePort })
  try {
    await once(server, 'listening')
    const addr = server.address()
    return typeof addr === 'object' && addr ? addr.port : port
  } finally {
    server.close()
  }
}

async function supportsReusePort(host: string): Promise<boolean> {
  try {
    await listenOnce(host, 0, true)
    return true
  } catch {
    return false
  }
}

/** startTcpService starts the workers and resolves once every listener is bound. */
export async function startTcpService(config: TcpConfig, log: Logger): Promise<TcpService> {
  const reusePort = await supportsReusePort(config.host)
  const workers = reusePort ? config.workers : 1
  // Port 0 means "any": pick one here so every worker binds the same port.
  const ports: Record<Proto, number> = {
    upper: config.upperPort || (await listenOnce(config.host, 0, reusePort)),
    echo: config.echoPort || (await listenOnce(config.host, 0, reusePort)),
    cmd: config.cmdPort || (await listenOnce(config.host, 0, reusePort)),
  }
  const counters = new SharedCounters(workers)
  const pool = await startWorkerPool({
    name: 'tcp',
    url: workerUrl,
    size: workers,
    log,
    data: (worker): WorkerInit => ({
      config: { ...config, workers },
      worker,
      reusePort,
      counters: counters.buffer,
      ports,
    }),
  })
  const mode = reusePort ? 'reuseport' : 'single'
  for (const [proto, port] of Object.entries(ports)) {
    log.info({ proto, host: config.host, port, workers, mode }, 'listening')
  }

  return {
    ports,
    mode,
    workers,
    close: () => pool.close(),
  }
}
