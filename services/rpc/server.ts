/**
 * The RPC service: one process, one thread, one durable store, four ports. Every
 * transport dispatches to the same method registry (methods/):
 *
 *   15000  HTTP   XML-RPC (POST / and /RPC2) and JSON-RPC (POST /jsonrpc)
 *   15001  TCP    JSON-RPC 2.0, newline-delimited
 *   25000  TCP    multiprocessing.connection echo (authkey), safe pickle subset
 *   17000  TCP    multiprocessing.connection RPC (the seed's RPCProxy), safe pickle subset
 *
 * It is single-threaded on purpose: the store has one owner, so a write's order and
 * its acknowledgement are simple to reason about (see store/kv-store.ts).
 *
 * One memory budget (RPC_MEMORY_BUDGET_BYTES, lib/memory-budget.ts) is shared by every
 * transport: request bodies, lines and frames, decoded values and replies are reserved from
 * it before they are held; past it a request is refused with BUSY or reading pauses.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Logger } from '../../lib/log.ts'
import { MemoryBudget } from '../../lib/memory-budget.ts'
import { trackBudget, trackConnections } from '../../lib/metrics/index.ts'
import { ConnectionSet, drainWithin, localAdmission } from '../../lib/net/connections.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { DEVELOPMENT_AUTHKEY } from '../../protocols/mpconn/handshake.ts'
import type { RpcConfig, TransportOptions } from './config.ts'
import { arithMethods } from './methods/arith.ts'
import { kvMethods } from './methods/kv.ts'
import { Registry } from './methods/registry.ts'
import { KvStore } from './store/kv-store.ts'
import type { Drainable } from './transports/drainable.ts'
import { buildRpcHttpApp } from './transports/http.ts'
import type { JsonRpcContext } from './transports/jsonrpc.ts'
import { serveJsonRpcConnection } from './transports/jsonrpc-tcp.ts'
import { serveMpConnection } from './transports/mpconn.ts'

export type RpcPort = 'http' | 'jsonrpc' | 'mpEcho' | 'mpRpc'

export interface RpcService {
  readonly ports: Readonly<Record<RpcPort, number>>
  readonly store: KvStore
  /** the memory budget every transport reserves from */
  readonly budget: MemoryBudget
  close(): Promise<CloseSummary>
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
  const registry = new Registry().register(...arithMethods, ...kvMethods(store))
  const budget = MemoryBudget.create(config.memoryBudgetBytes)
  trackBudget(budget)
  const opts: TransportOptions = { ...config, budget }
  const authkey = Buffer.from(config.authkey, 'utf8')
  if (config.mode === 'development' && config.authkey === DEVELOPMENT_AUTHKEY)
    log.warn(
      { code: 'DEVELOPMENT_AUTHKEY' },
      'RPC_AUTHKEY is unset: the mp-connection ports use the seed key; set RPC_AUTHKEY outside the lab',
    )

  const jsonLog = log.child({ proto: 'jsonrpc' })
  const jsonCtx: JsonRpcContext = {
    registry,
    limits: {
      maxBytes: config.maxRequestBytes,
      maxDepth: config.maxDepth,
      maxBatch: config.maxBatchCalls,
      maxItems: config.maxItems,
      maxIntDigits: config.maxIntDigits,
      maxDecodedBytes: budget.limitBytes,
    },
    maxReplyBytes: config.maxReplyBytes,
    log: jsonLog,
  }
  const sets = {} as Record<Exclude<RpcPort, 'http'>, ConnectionSet<Drainable>>
  const tcp = (proto: Exclude<RpcPort, 'http'>, serve: (socket: Socket) => Drainable): Server => {
    // The cap is per port; past it a connection is closed at once (lib/net/connections.ts).
    const set = new ConnectionSet<Drainable>({
      admission: localAdmission(config.maxConnections),
      log,
      refuse: (socket) => socket.destroy(),
    })
    sets[proto] = set
    // allowHalfOpen: a request sent with a half-close (`nc -N`) still gets its reply; each
    // transport ends the socket itself once it has answered.
    return createServer({ allowHalfOpen: true }, (socket) => {
      const lease = set.admit(socket, proto)
      if (!lease) return
      const conn = serve(socket)
      set.track(lease, socket, conn, conn.summary)
    })
  }
  const servers: Record<Exclude<RpcPort, 'http'>, Server> = {
    jsonrpc: tcp('jsonrpc', (s) =>
      serveJsonRpcConnection(
        s,
        jsonCtx,
        {
          maxLineBytes: config.maxRequestBytes,
          maxInFlight: config.maxInFlight,
          idleTimeoutMs: config.idleTimeoutMs,
          budget,
        },
        jsonLog,
      ),
    ),
    mpEcho: tcp('mpEcho', (s) =>
      serveMpConnection(s, 'echo', registry, authkey, opts, log.child({ proto: 'mp-echo' })),
    ),
    mpRpc: tcp('mpRpc', (s) =>
      serveMpConnection(s, 'rpc', registry, authkey, opts, log.child({ proto: 'mp-rpc' })),
    ),
  }
  const http = buildRpcHttpApp(registry, opts, log.child({ proto: 'http' }))
  trackConnections(http.server, 'http')

  const ports = {} as Record<RpcPort, number>
  await http.listen({ host: config.host, port: config.httpPort })
  const httpAddr = http.server.address()
  ports.http = typeof httpAddr === 'object' && httpAddr ? httpAddr.port : config.httpPort
  const wanted = { jsonrpc: config.jsonrpcPort, mpEcho: config.mpEchoPort, mpRpc: config.mpRpcPort }
  for (const [proto, server] of Object.entries(servers) as [Exclude<RpcPort, 'http'>, Server][]) {
    server.listen({ host: config.host, port: wanted[proto] })
    await once(server, 'listening')
    const addr = server.address()
    ports[proto] = typeof addr === 'object' && addr ? addr.port : wanted[proto]
  }
  for (const [proto, port] of Object.entries(ports)) log.info({ proto, host: config.host, port }, 'listening')

  let closing: Promise<CloseSummary> | undefined
  const close = async (): Promise<CloseSummary> => {
    for (const server of Object.values(servers)) server.close()
    // Idle connections end now; a call in flight finishes (its write reaches the disk) first.
    const [, ...tcpDone] = await Promise.all([
      drainWithin(
        config.shutdownGraceMs,
        http.close(),
        () => {
          http.server.closeAllConnections()
          return 0
        },
        log,
      ),
      ...Object.values(sets).map((set) => set.drain(config.shutdownGraceMs)),
    ])
    await store.close()
    return {
      drained: tcpDone.reduce((n, r) => n + r.drained, 0),
      destroyed: tcpDone.reduce((n, r) => n + r.destroyed, 0),
    }
  }
  return {
    ports,
    store,
    budget,
    close: () => {
      closing ??= close()
      return closing
    },
  }
}
