/**
 * The RPC service: one process, one thread, one durable store, four ports. Every
 * transport dispatches to the same method registry (methods/):
 *
 *   15000  HTTP   XML-RPC (POST / and /RPC2) and JSON-RPC (POST /jsonrpc)
 *   15001  TCP    JSON-RPC 2.0, newline-delimited
 *   25000  TCP    multiprocessing.connection echo (authkey), safe pickle subset
 *   17000  TCP    multiprocessing.connection RPC (the seed's RPCProxy), safe pickle subset
 *
 * The store has one owner, the main thread, so a write's order and its acknowledgement stay
 * simple to reason about (see store/kv-store.ts). The TCP ports run in RPC_WORKERS worker
 * threads (worker.ts, SO_REUSEPORT listeners): each decodes and encodes, runs the pure methods
 * itself and sends the store's to the main thread (store-link.ts). HTTP stays on the main
 * thread. RPC_WORKERS=0 serves every port on the main thread.
 *
 * One memory budget (RPC_MEMORY_BUDGET_BYTES, lib/memory-budget.ts) is shared by every
 * transport: request bodies, lines and frames, decoded values and replies are reserved from
 * it before they are held; past it a request is refused with BUSY or reading pauses.
 */
import { join } from 'node:path'
import { budgetCollector, eagerGcRssFloorBytes, gcThresholdBytes, watchHeapGrowth } from '../../lib/heap.ts'
import type { Logger } from '../../lib/log.ts'
import { MemoryBudget } from '../../lib/memory-budget.ts'
import { trackBudget } from '../../lib/metrics/index.ts'
import { localAdmission } from '../../lib/net/connections.ts'
import { HttpConnections } from '../../lib/net/http-connections.ts'
import { releaseThread, sharedAdmissionBuffer } from '../../lib/net/shared-admission.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { startThreadedService, tcpBindOnce } from '../../lib/worker-pool.ts'
import { DEVELOPMENT_AUTHKEY } from '../../protocols/mpconn/handshake.ts'
import type { RpcConfig, TransportOptions } from './config.ts'
import { arithMethods } from './methods/arith.ts'
import { kvMethods } from './methods/kv.ts'
import { Registry } from './methods/registry.ts'
import { KvStore } from './store/kv-store.ts'
import { serveStore } from './store-link.ts'
import { listenTcpPorts, TCP_PORTS, type TcpPort } from './tcp-ports.ts'
import { buildRpcHttpApp, RPC_RETRY_AFTER_S } from './transports/http.ts'
import type { WorkerInit } from './worker.ts'

export type RpcPort = 'http' | TcpPort

export interface RpcService {
  readonly ports: Readonly<Record<RpcPort, number>>
  readonly store: KvStore
  /** the memory budget every transport reserves from */
  readonly budget: MemoryBudget
  /** worker threads serving the TCP ports (0: the main thread serves them) */
  readonly workers: number
  /** rejects when the worker threads keep dying */
  readonly failed?: Promise<never>
  close(): Promise<CloseSummary>
}

// Run from source (tsx, vitest, node's type stripping) or from the tsc build.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)

/** TcpSide is whoever serves the TCP ports: the main thread, or the worker pool. */
interface TcpSide {
  readonly ports: Readonly<Record<TcpPort, number>>
  /** worker threads (0: the main thread) */
  readonly workers: number
  readonly budget: MemoryBudget
  readonly failed?: Promise<never>
  close(): Promise<CloseSummary>
}

/** startTcpSide serves the TCP ports in `config.workers` threads, or here when it is 0. */
async function startTcpSide(
  config: RpcConfig,
  store: KvStore,
  registry: Registry,
  log: Logger,
): Promise<TcpSide> {
  const wanted = { jsonrpc: config.jsonrpcPort, mpEcho: config.mpEchoPort, mpRpc: config.mpRpcPort }
  if (config.workers === 0) {
    const budget = MemoryBudget.create(config.memoryBudgetBytes, {
      onRelease: budgetCollector(config.memoryBudgetBytes, eagerGcRssFloorBytes(config.memoryBudgetBytes)),
    })
    trackBudget(budget)
    const tcp = await listenTcpPorts({
      config,
      budget,
      registry,
      log,
      ports: wanted,
      reusePort: false,
      admission: () => localAdmission(config.maxConnections),
    })
    for (const [proto, port] of Object.entries(tcp.ports))
      log.info({ proto, host: config.host, port, workers: 0, mode: 'main' }, 'listening')
    return { ports: tcp.ports, workers: 0, budget, close: () => tcp.close() }
  }
  const admission = Object.fromEntries(
    TCP_PORTS.map((p) => [p, sharedAdmissionBuffer(config.workers)]),
  ) as Record<TcpPort, SharedArrayBuffer>
  const pool = await startThreadedService({
    name: 'rpc',
    url: workerUrl,
    host: config.host,
    workers: config.workers,
    ports: wanted,
    budgetBytes: config.memoryBudgetBytes,
    gcRssFloorBytes: eagerGcRssFloorBytes(config.memoryBudgetBytes),
    bindOnce: tcpBindOnce,
    log,
    data: (worker, { ports, reusePort, workers, budget }): WorkerInit => ({
      config: { ...config, workers },
      worker,
      reusePort,
      ports,
      budget,
      admission,
    }),
    onWorkerSpawned: (_worker, thread) => serveStore(thread, store, log),
    // a dead worker's connections died with it: give their slots back
    onWorkerDied: (worker) => {
      for (const p of TCP_PORTS) releaseThread(admission[p], worker)
    },
  })
  return pool
}

/** startRpcService opens the store, then binds every port; resolves when all listen. */
export async function startRpcService(config: RpcConfig, log: Logger): Promise<RpcService> {
  const store = await KvStore.open(
    config.dataDir === ':memory:' ? undefined : join(config.dataDir, 'kv.log'),
    {
      maxKeys: config.maxKeys,
      maxKeyBytes: config.maxKeyBytes,
      maxValueBytes: config.maxValueBytes,
      maxBytes: config.storeMaxBytes,
      compactRatio: config.storeCompactRatio,
      compactMinBytes: config.storeCompactMinBytes,
    },
    log,
  )
  if (config.mode === 'development' && config.authkey === DEVELOPMENT_AUTHKEY)
    log.warn(
      { code: 'DEVELOPMENT_AUTHKEY' },
      'RPC_AUTHKEY is unset: the mp-connection ports use the seed key; set RPC_AUTHKEY outside the lab',
    )
  const registry = new Registry().register(...arithMethods, ...kvMethods(store))
  // the store's clones and the HTTP port's bodies leave garbage here that no release announces
  const unwatch = watchHeapGrowth(gcThresholdBytes(config.memoryBudgetBytes))
  let tcp: TcpSide
  try {
    tcp = await startTcpSide(config, store, registry, log)
  } catch (err) {
    unwatch()
    await store.close()
    throw err
  }
  const { budget } = tcp
  const opts: TransportOptions = { ...config, budget }
  const http = buildRpcHttpApp(registry, opts, log.child({ proto: 'http' }))
  let httpConnections: HttpConnections | undefined
  http.addHook('onResponse', (req, _reply, done) => {
    httpConnections?.responded(req.raw.socket)
    done()
  })
  await http.ready()
  httpConnections = new HttpConnections(http, {
    proto: 'http',
    admission: localAdmission(config.maxConnections),
    log,
    retryAfterS: RPC_RETRY_AFTER_S,
  })
  await http.listen({ host: config.host, port: config.httpPort })
  const httpAddr = http.server.address()
  const httpPort = typeof httpAddr === 'object' && httpAddr ? httpAddr.port : config.httpPort
  log.info({ proto: 'http', host: config.host, port: httpPort }, 'listening')

  let closing: Promise<CloseSummary> | undefined
  const close = async (): Promise<CloseSummary> => {
    unwatch()
    // Idle connections end now; a call in flight finishes (its write reaches the disk) first:
    // the store closes only once every thread has drained.
    const [httpSummary, summary] = await Promise.all([
      httpConnections.drain(config.shutdownGraceMs),
      tcp.close(),
    ])
    await store.close()
    return {
      drained: httpSummary.drained + summary.drained,
      destroyed: httpSummary.destroyed + summary.destroyed,
    }
  }
  return {
    ports: { http: httpPort, ...tcp.ports },
    store,
    budget,
    workers: tcp.workers,
    ...(tcp.failed ? { failed: tcp.failed } : {}),
    close: () => {
      closing ??= close()
      return closing
    },
  }
}
