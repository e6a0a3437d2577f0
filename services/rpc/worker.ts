/**
 * One RPC worker thread: the JSON-RPC/TCP and both mp-connection ports on SO_REUSEPORT
 * listeners (tcp-ports.ts). It decodes and encodes (JSON-RPC framing, pickles) and runs the
 * pure methods (add, sub, echo) itself; the store's methods go to the main thread, which owns
 * the store (store-link.ts). The budget and each port's connection cap are shared with every
 * thread; the main thread posts `{ type: 'drain' }` on shutdown (lib/worker-pool.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { eagerGcRssFloorBytes, gcThresholdBytes, watchHeapGrowth } from '../../lib/heap.ts'
import { createLogger } from '../../lib/log.ts'
import { sharedAdmission } from '../../lib/net/shared-admission.ts'
import { attachWorkerBudget, serveWorker } from '../../lib/worker-pool.ts'
import type { RpcConfig } from './config.ts'
import { arithMethods } from './methods/arith.ts'
import { kvMethods } from './methods/kv.ts'
import { Registry } from './methods/registry.ts'
import { RemoteStore } from './store-link.ts'
import { listenTcpPorts, type TcpPort, type TcpPorts } from './tcp-ports.ts'

/** WorkerInit is the workerData the main thread passes to each worker. */
export interface WorkerInit {
  readonly config: RpcConfig
  readonly worker: number
  readonly reusePort: boolean
  readonly ports: Readonly<Record<TcpPort, number>>
  /** the service's memory budget (lib/worker-pool.ts attachWorkerBudget) */
  readonly budget: SharedArrayBuffer
  /** each port's connection counters (lib/net/shared-admission.ts) */
  readonly admission: Readonly<Record<TcpPort, SharedArrayBuffer>>
}

const init = workerData as WorkerInit
const port = parentPort
if (!port) throw new Error('services/rpc/worker.ts runs as a worker thread')
const log = createLogger('rpc', init.config.logLevel).child({ worker: init.worker })
const budget = attachWorkerBudget(
  init.budget,
  init.worker,
  eagerGcRssFloorBytes(init.config.memoryBudgetBytes),
)
// replies held for a client that does not read announce no release (lib/heap.ts)
watchHeapGrowth(gcThresholdBytes(init.config.memoryBudgetBytes))
const registry = new Registry().register(...arithMethods, ...kvMethods(new RemoteStore(port)))
let tcp: TcpPorts | undefined

await serveWorker(
  port,
  async () => {
    tcp = await listenTcpPorts({
      config: init.config,
      budget,
      registry,
      log,
      ports: init.ports,
      reusePort: init.reusePort,
      admission: (p) => sharedAdmission(init.admission[p], init.config.maxConnections, init.worker),
    })
  },
  () => (tcp ? tcp.close() : Promise.resolve({ drained: 0, destroyed: 0 })),
)
