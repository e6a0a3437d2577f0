/**
 * The RPC service's three TCP ports (JSON-RPC/TCP, mp-connection echo and RPC), as one thread
 * serves them: on the main thread (RPC_WORKERS=0) or in each worker thread (worker.ts), with
 * SO_REUSEPORT listeners. Every connection goes through lib/net/connections.ts: a slot under
 * RPC_MAX_CONNECTIONS per port (one count over every thread when the admissions are shared),
 * one `connection closed` line at info, and a drain within the grace period.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import { type Admission, ConnectionSet } from '../../lib/net/connections.ts'
import type { CloseSummary } from '../../lib/service.ts'
import type { RpcConfig } from './config.ts'
import type { Registry } from './methods/registry.ts'
import type { Drainable } from './transports/drainable.ts'
import type { JsonRpcContext } from './transports/jsonrpc.ts'
import { serveJsonRpcConnection } from './transports/jsonrpc-tcp.ts'
import { serveMpConnection } from './transports/mpconn.ts'

/** TcpPort names the TCP ports (the `proto` of their metrics and log lines). */
export type TcpPort = 'jsonrpc' | 'mpEcho' | 'mpRpc'
export const TCP_PORTS: readonly TcpPort[] = ['jsonrpc', 'mpEcho', 'mpRpc']

export interface TcpPortsOptions {
  readonly config: RpcConfig
  readonly budget: MemoryBudget
  readonly registry: Registry
  readonly log: Logger
  /** the ports to bind (0: any) */
  readonly ports: Readonly<Record<TcpPort, number>>
  readonly reusePort: boolean
  /** each port's cap (shared across threads, or this thread's) */
  readonly admission: (port: TcpPort) => Admission
}

export interface TcpPorts {
  readonly ports: Readonly<Record<TcpPort, number>>
  /** stop accepting, let calls in flight finish within the grace period, cut the rest */
  close(): Promise<CloseSummary>
}

/** listenTcpPorts binds the three ports; resolves when all listen. */
export async function listenTcpPorts(opts: TcpPortsOptions): Promise<TcpPorts> {
  const { config, budget, registry, log } = opts
  const authkey = Buffer.from(config.authkey, 'utf8')
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
  const transport = { ...config, budget }
  const serve: Record<TcpPort, (socket: Socket) => Drainable> = {
    jsonrpc: (s) =>
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
    mpEcho: (s) =>
      serveMpConnection(s, 'echo', registry, authkey, transport, log.child({ proto: 'mp-echo' })),
    mpRpc: (s) => serveMpConnection(s, 'rpc', registry, authkey, transport, log.child({ proto: 'mp-rpc' })),
  }
  const sets = new Map<TcpPort, ConnectionSet<Drainable>>()
  const servers = new Map<TcpPort, Server>()
  const ports = {} as Record<TcpPort, number>
  for (const proto of TCP_PORTS) {
    // Past the cap a connection is closed at once (lib/net/connections.ts logs `limit reached`).
    const set = new ConnectionSet<Drainable>({
      admission: opts.admission(proto),
      log,
      refuse: (socket) => socket.destroy(),
    })
    // allowHalfOpen: a request sent with a half-close (`nc -N`) still gets its reply; each
    // transport ends the socket itself once it has answered.
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      const lease = set.admit(socket, proto)
      if (!lease) return
      const conn = serve[proto](socket)
      set.track(lease, socket, conn, conn.summary)
    })
    server.listen({ host: config.host, port: opts.ports[proto], reusePort: opts.reusePort })
    await once(server, 'listening')
    const addr = server.address()
    ports[proto] = typeof addr === 'object' && addr ? addr.port : opts.ports[proto]
    sets.set(proto, set)
    servers.set(proto, server)
  }
  return {
    ports,
    close: async () => {
      for (const server of servers.values()) server.close()
      // Idle connections end now; a call in flight finishes (its write reaches the disk) first.
      const done = await Promise.all([...sets.values()].map((set) => set.drain(config.shutdownGraceMs)))
      return {
        drained: done.reduce((n, r) => n + r.drained, 0),
        destroyed: done.reduce((n, r) => n + r.destroyed, 0),
      }
    },
  }
}
