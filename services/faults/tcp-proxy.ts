/**
 * TcpProxy listens on one address and joins each accepted connection to a new connection
 * to the upstream, through the proxy's toxics (toxiproxy's proxy.go: accept loop, a
 * connection list, stop closes them all).
 */
import { once } from 'node:events'
import { type AddressInfo, createServer, type Server } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import type { CloseSummary } from '../../lib/service.ts'
import type { HostPort } from './address.ts'
import { TcpConnection } from './tcp-connection.ts'
import type { Toxic } from './toxic-set.ts'
import type { Rng } from './toxics/toxic.ts'

export interface TcpProxyOptions {
  readonly upstream: HostPort
  readonly toxics: () => readonly Toxic[]
  readonly maxConnections: number
  readonly maxBufferedBytes: number
  readonly rng: Rng
  readonly log: Logger
}

export class TcpProxy {
  readonly #server: Server
  readonly #connections = new Set<TcpConnection>()
  #nextId = 0

  constructor(opts: TcpProxyOptions) {
    this.#server = createServer({ allowHalfOpen: true }, (client) => {
      if (this.#connections.size >= opts.maxConnections) {
        opts.log.warn({ code: 'LIMIT_REACHED', maxConnections: opts.maxConnections }, 'limit reached')
        client.destroy()
        return
      }
      const log = opts.log.child({
        conn: ++this.#nextId,
        remote: `${client.remoteAddress}:${client.remotePort}`,
      })
      log.debug('connection opened')
      const conn = new TcpConnection({
        client,
        upstream: opts.upstream,
        toxics: opts.toxics,
        maxBufferedBytes: opts.maxBufferedBytes,
        rng: opts.rng,
        log,
      })
      this.#connections.add(conn)
      void conn.closed.then(() => this.#connections.delete(conn))
    })
  }

  /** listen binds `address`; resolves with the port bound (port 0 picks one) */
  async listen(address: HostPort): Promise<number> {
    this.#server.listen({ host: address.host, port: address.port })
    await once(this.#server, 'listening')
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
