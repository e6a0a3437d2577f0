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
import { ConnectionSet, localAdmission } from '../../lib/net/connections.ts'
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

/** what the proxy counts itself; the refusals are the ConnectionSet's */
type OwnCounters = Omit<TcpCounters, 'overCap' | 'budgetRefused'>

export class TcpProxy {
  readonly #counts: OwnCounters = {
    accepted: 0,
    connectTimeouts: 0,
    upstreamFailed: 0,
    idleTimeouts: 0,
    upstreamRefused: 0,
  }
  readonly #server: Server
  readonly #log: Logger
  readonly #connections: ConnectionSet<TcpConnection>

  constructor(opts: TcpProxyOptions) {
    this.#log = opts.log
    // Refused at the cap or for the budget: closed at once, as toxiproxy closes what it cannot serve.
    this.#connections = new ConnectionSet<TcpConnection>({
      admission: localAdmission(opts.maxConnections),
      log: opts.log,
      budget: opts.budget,
      reserveBytes: CONNECTION_RESERVE_BYTES,
      refuse: (socket) => socket.destroy(),
    })
    // the pipes' budget pauses (tcp-pipe.ts), apart from the refusals at accept
    const budgetLog = new LimitLog(opts.log, 'MEMORY_BUDGET')
    const refusedLog = new LimitLog(opts.log, 'UPSTREAM_NOT_ALLOWED')
    this.#server = createServer({ allowHalfOpen: true }, (client) => {
      const lease = this.#connections.admit(client, 'proxy')
      if (!lease) return
      this.#counts.accepted++
      const conn = new TcpConnection({ ...opts, client, budgetLog, log: lease.log })
      this.#connections.track(lease, client, conn, () => conn.summary())
      conn.closed
        .then((how) => {
          if (how === 'connect timeout') this.#counts.connectTimeouts++
          else if (how === 'idle timeout') this.#counts.idleTimeouts++
          else if (how === 'upstream failed') this.#counts.upstreamFailed++
          else if (how === 'refused upstream') {
            this.#counts.upstreamRefused++
            refusedLog.refused(() => ({ upstream: `${opts.upstream.host}:${opts.upstream.port}` }))
          }
        })
        .catch((err: unknown) => lease.log.error({ err }, 'connection bookkeeping failed'))
    })
  }

  /** what the proxy did, for GET /stats and tests */
  get counters(): TcpCounters {
    const { busy, budget } = this.#connections.refusals
    return { ...this.#counts, overCap: busy, budgetRefused: budget }
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
    const summary = await this.#connections.drain(graceMs)
    await closing
    return summary
  }
}
