/**
 * The threaded UDP server: N worker threads, each with its own socket on every port
 * (SO_REUSEPORT: the kernel hashes each source to one thread's socket); where the
 * option is unsupported, one thread serves everything. Counters are shared.
 */
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import type { Logger } from '../../lib/log.ts'
import type { Service } from '../../lib/service.ts'
import { startWorkerPool } from '../../lib/worker-pool.ts'
import type { UdpConfig } from './config.ts'
import { createUdpCounters } from './counters.ts'
import type { UdpProto } from './handlers.ts'
import type { UdpWorkerInit } from './worker.ts'

/** UdpService is the running server; `ports` are the bound ports (resolved when configured as 0). */
export interface UdpService extends Service {
  readonly ports: Readonly<Record<UdpProto, number>>
  readonly mode: 'reuseport' | 'single'
  readonly workers: number
}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)

/** bindOnce binds a throwaway socket: to probe reusePort, or to find a free port. */
async function bindOnce(host: string, port: number, reusePort: boolean): Promise<number> {
  const socket = createSocket({ type: 'udp4', reusePort })
  try {
    socket.bind(port, host)
    await Promise.race([
      once(socket, 'listening'),
      once(socket, 'error').then(([err]) => {
        throw err
      }),
    ])
    return socket.address().port
  } finally {
    socket.close()
  }
}

export async function startUdpService(config: UdpConfig, log: Logger): Promise<UdpService> {
  const reusePort = await bindOnce(config.host, 0, true).then(
    () => true,
    () => false,
  )
  const workers = reusePort ? config.workers : 1
  const ports: Record<UdpProto, number> = {
    ctime: config.ctimePort || (await bindOnce(config.host, 0, reusePort)),
    hello: config.helloPort || (await bindOnce(config.host, 0, reusePort)),
    time: config.timePort || (await bindOnce(config.host, 0, reusePort)),
    sntp: config.sntpPort || (await bindOnce(config.host, 0, reusePort)),
    probe: config.probePort || (await bindOnce(config.host, 0, reusePort)),
  }
  const counters = createUdpCounters()
  const pool = await startWorkerPool({
    name: 'udp',
    url: workerUrl,
    size: workers,
    log,
    data: (worker): UdpWorkerInit => ({
      config: { ...config, workers },
      worker,
      reusePort,
      counters: counters.buffer,
      ports,
    }),
  })
  const mode = reusePort ? 'reuseport' : 'single'
  for (const [proto, port] of Object.entries(ports))
    log.info({ proto, host: config.host, port, workers, mode }, 'listening')
  return { ports, mode, workers, close: () => pool.close() }
}
