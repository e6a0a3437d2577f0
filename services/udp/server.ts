/**
 * The threaded UDP server: N worker threads, each with its own socket on every port
 * (SO_REUSEPORT: the kernel hashes each source to one thread's socket); where the
 * option is unsupported, one thread serves everything. Counters are shared.
 */
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import type { Logger } from '../../lib/log.ts'
import { startThreadedService, type ThreadedService } from '../../lib/worker-pool.ts'
import type { UdpConfig } from './config.ts'
import { createUdpCounters } from './counters.ts'
import type { UdpProto } from './handlers.ts'
import type { UdpWorkerInit } from './worker.ts'

/** UdpService is the running server; `ports` are the bound ports (resolved when configured as 0). */
export type UdpService = ThreadedService<UdpProto>

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
  const counters = createUdpCounters()
  return startThreadedService({
    name: 'udp',
    url: workerUrl,
    host: config.host,
    workers: config.workers,
    ports: {
      ctime: config.ctimePort,
      hello: config.helloPort,
      time: config.timePort,
      sntp: config.sntpPort,
      probe: config.probePort,
      ack: config.ackPort,
    },
    budgetBytes: config.memoryBudgetBytes,
    bindOnce,
    log,
    data: (worker, { ports, reusePort, workers, budget }): UdpWorkerInit => ({
      config: { ...config, workers },
      worker,
      reusePort,
      counters: counters.buffer,
      budget,
      ports,
    }),
  })
}
