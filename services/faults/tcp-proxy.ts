/**
 * TcpProxy listens on one address and joins each accepted connection to a new connection
 * to the upstream, through the proxy's toxics (toxiproxy's proxy.go: accept loop, a
 * connection list, stop closes them all).
 *
 * A new connection is closed at once when the proxy has FAULTS_MAX_CONNECTIONS open, or
 * when the memory budget cannot reserve CONNECTION_RESERVE_BYTES for it: what its two
 * sockets may read before a pause takes effect (two reads of 64 KiB, one per direction).
 */
import { once } from 'node:events'
import { type AddressInfo, createServer, type Server } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import { connectionRefused, trackConnection } from '../../lib/metrics/index.ts'
import { LimitLog } from '../../lib/net/limit-log.ts'
import type { CloseSummary } from '../../lib/service.ts'
import type { HostPort } from './address.ts'
import { TcpConnection } from './tcp-connection.ts'
import type { Toxic } from './toxic-set.ts'
import type { Rng } from './toxics/toxic.ts'

/** CONNECTION_RESERVE_BYTES is what each proxied TCP connection reserves from the budget while open. */
export const CONNECTION_RESERVE_BYTES = 128 * 1024

export interface TcpProxyOptions {
  readonly upstream: HostPort
  readonly toxics: () => readonly Toxic[]
  readonly maxConnections: number
  readonly maxBufferedBytes: number
  readonly connectTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly budget: MemoryBudget
  /** the address to connect to for the upstream's host (the upstream policy's resolve) */
  readonly resolve: (host: string) => Promise<string>
  readonly rng: Rng
  readonly log: Logger
}

/** TcpCounters are what the proxy did, for GET /stats and tests. */
export interface TcpCounters {
  accepted: number
  /** closed at once: FAULTS_MAX_CONNECTIONS open */
  overCap: number
  /** closed at once: no room in the memory budget for the connection's reserve */
  budgetRefused: number
  connectTimeouts: number
  /** the upstream refused or could not be reached (ECONNREFUSED, EHOSTUNREACH, no DNS answer) */
  upstreamFailed: number
  idleTimeouts: number
  /** the upstream's name resolved to an address the policy refuses */
  upstreamRefused: number
}

export class TcpProxy {
  readonly counters: TcpCounters = {
    accepted: 0,
    overCap: 0,
    budgetRefused: 0,
    connectTimeouts: 0,
    upstreamFailed: 0,
    idleTimeouts: 0,
    upstreamRefused: 0,
  }
  readonly #server: Server
  readonly #log: Logger
  readonly #connections = new Set<TcpConnection>()
  #nextId = 0

  constructor(opts: TcpProxyOptions) {
    this.#log = opts.log
    const capLog = new LimitLog(opts.log, 'LIMIT_REACHED')
    const budgetLog = new LimitLog(opts.log, 'MEMORY_BUDGET')
    const refusedLog = new LimitLog(opts.log, 'UPSTREAM_NOT_ALLOWED')
    this.#server = createServer({ allowHalfOpen: true }, (client) => {
      client.on('error', () => undefined) // a reset before we look at it
      if (this.#connections.size >= opts.maxConnections) {
        this.counters.overCap++
        connectionRefused('proxy', 'max_connections')
        capLog.refused(() => ({ maxConnections: opts.maxConnections }))
        client.destroy()
        return
      }
      const reserve = opts.budget.hold(CONNECTION_RESERVE_BYTES)
      if (!reserve) {
        this.counters.budgetRefused++
        connectionRefused('proxy', 'memory_budget')
        budgetLog.refused(() => ({ connections: this.#connections.size, ...opts.budget.snapshot() }))
        client.destroy()
        return
      }
      this.counters.accepted++
      trackConnection(client, 'proxy')
      const log = opts.log.child({
        conn: ++this.#nextId,
        remote: `${client.remoteAddress}:${client.remotePort}`,
      })
      log.debug('connection opened')
      const conn = new TcpConnection({ ...opts, client, reserve, budgetLog, log })
      this.#connections.add(conn)
      conn.closed
        .then((how) => {
          if (how === 'connect timeout') this.counters.connectTimeouts++
          else if (how === 'idle timeout') this.counters.idleTimeouts++
          else if (how === 'upstream failed') this.counters.upstreamFailed++
          else if (how === 'refused upstream') {
            this.counters.upstreamRefused++
            refusedLog.refused(() => ({ upstream: `${opts.upstream.host}:${opts.upstream.port}` }))
          }
        })
        .catch((err: unknown) => log.error({ err }, 'connection bookkeeping failed'))
        .finally(() => this.#connections.delete(conn))
    })
  }

  /** listen binds `address`; resolves with the port bound (port 0 picks one) */
  async listen(address: HostPort): Promise<number> {
    this.#server.listen({ host: address.host, port: address.port })
    await once(this.#server, 'listening')
    // accept can fail (EMFILE under a connection flood): the listener carries on
    this.#server.on('error', (err) => this.#log.warn({ err }, 'accept failed'))
    return (this.#server.address() as AddressInfo).port
  }

  get connections(): number {
    return this.#connections.size
  }

  /** toxicsChanged applies the proxy's toxics to every live connection */
  toxicsChanged(): void {
    for (const c of this.#connections) c.reconcile()
  }

  /** close stops accepting; open connections get `graceMs` to finish, then are destroyed */
  async close(graceMs: number): Promise<CloseSummary> {
    const closing = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    const open = [...this.#connections]
    let destroyed = 0
    if (open.length > 0) {
      const all = Promise.all(open.map((c) => c.closed))
      const timedOut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
      ])
      if (timedOut) {
        destroyed = this.#connections.size
        for (const c of this.#connections) c.destroy()
        await all
      }
    }
    await closing
    return { drained: open.length - destroyed, destroyed }
  }
}
