/**
 * TcpConnection is one client connection and its upstream connection, joined by two
 * TcpPipes (upstream: client → server, downstream: server → client). Both sockets allow
 * half-open, so a FIN travels through the toxics like data (slow_close delays it).
 * A reset on either side is passed on as a reset; any other error closes both.
 *
 * The upstream's host is resolved through the upstream policy for each connection, and the
 * connection goes to the address it allows. Two clocks bound a connection's life:
 * FAULTS_TCP_CONNECT_TIMEOUT_MS from accept to the upstream's accept (resolution included),
 * and FAULTS_TCP_IDLE_TIMEOUT_MS without a byte moving either way.
 */
import { Socket } from 'node:net'
import { LabError } from '../../lib/errors.ts'
import type { Logger } from '../../lib/log.ts'
import type { Hold, MemoryBudget } from '../../lib/memory-budget.ts'
import type { LimitLog } from '../../lib/net/limit-log.ts'
import type { HostPort } from './address.ts'
import { TcpPipe } from './tcp-pipe.ts'
import type { Toxic } from './toxic-set.ts'
import type { Rng } from './toxics/toxic.ts'

/** how long a closed connection's peers get to take the last bytes and close */
const CLOSE_LINGER_MS = 5000

/** How a connection ended, for its log line and the proxy's counters. */
export type ConnectionEnd =
  | 'closed'
  | 'reset'
  | 'error'
  | 'upstream failed'
  | 'connect timeout'
  | 'idle timeout'
  | 'refused upstream'

/** TcpConnectionOptions: the two sockets' settings and what they share with the proxy. */
export interface TcpConnectionOptions {
  readonly client: Socket
  readonly upstream: HostPort
  readonly resolve: (host: string) => Promise<string>
  readonly connectTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly toxics: () => readonly Toxic[]
  readonly maxBufferedBytes: number
  readonly budget: MemoryBudget
  readonly budgetLog: LimitLog
  /** the connection's reserve, released when it closes */
  readonly reserve: Hold
  readonly rng: Rng
  readonly log: Logger
}

export class TcpConnection {
  /** resolves with how the connection ended, when both sockets are closed */
  readonly closed: Promise<ConnectionEnd>
  readonly #client: Socket
  readonly #upstream = new Socket({ allowHalfOpen: true })
  readonly #abort = new AbortController()
  readonly #pipes: TcpPipe[]
  readonly #log: Logger
  #how: ConnectionEnd = 'closed'
  #upstreamConnected = false
  #idle: NodeJS.Timeout | undefined

  constructor(opts: TcpConnectionOptions) {
    this.#client = opts.client
    this.#log = opts.log
    const link = { rng: opts.rng, reset: () => this.reset(), close: () => this.close() }
    const touch = () => this.#idle?.refresh()
    const pipe = (stream: 'upstream' | 'downstream', source: Socket, dest: Socket) =>
      new TcpPipe({
        stream,
        source,
        dest,
        toxics: opts.toxics,
        link,
        maxBufferedBytes: opts.maxBufferedBytes,
        signal: this.#abort.signal,
        budget: opts.budget,
        budgetLog: opts.budgetLog,
        touch,
      })
    this.#pipes = [
      pipe('upstream', this.#client, this.#upstream),
      pipe('downstream', this.#upstream, this.#client),
    ]
    // the client's bytes wait in the kernel until the upstream is connected
    this.#client.pause()
    const connectTimer = setTimeout(() => {
      this.#how = 'connect timeout'
      this.destroy()
    }, opts.connectTimeoutMs)
    const closedOne = (s: Socket) => new Promise<void>((resolve) => s.once('close', () => resolve()))
    this.closed = Promise.all([closedOne(this.#client), closedOne(this.#upstream)]).then(() => {
      this.#abort.abort()
      clearTimeout(this.#idle)
      clearTimeout(connectTimer)
      opts.reserve.release()
      this.#log.debug(
        { how: this.#how, upstreamBytes: this.#pipes[0]?.bytes, downstreamBytes: this.#pipes[1]?.bytes },
        'connection closed',
      )
      return this.#how
    })
    for (const [s, other] of [
      [this.#client, this.#upstream],
      [this.#upstream, this.#client],
    ] as const) {
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (this.#how === 'closed')
          this.#how =
            s === this.#upstream && !this.#upstreamConnected
              ? 'upstream failed' // EHOSTUNREACH, ECONNREFUSED: the client is closed
              : err.code === 'ECONNRESET'
                ? 'reset'
                : 'error'
        this.#log.debug(
          { code: err.code, side: s === this.#client ? 'client' : 'upstream' },
          'connection error',
        )
        if (err.code === 'ECONNRESET' && !other.destroyed) other.resetAndDestroy()
        else other.destroy()
      })
    }
    this.#upstream.once('connect', () => {
      this.#upstreamConnected = true
      clearTimeout(connectTimer)
      this.#idle = setTimeout(() => {
        this.#how = 'idle timeout'
        this.close()
      }, opts.idleTimeoutMs)
      // run() adds its 'data' listeners synchronously, before the client flows again
      for (const p of this.#pipes)
        p.run().catch((err: unknown) => {
          this.#log.error({ err }, 'pipe failed')
          this.destroy()
        })
      this.#client.resume()
    })
    opts
      .resolve(opts.upstream.host)
      .then((address) => {
        if (!this.#abort.signal.aborted && !this.#upstream.destroyed)
          this.#upstream.connect({ host: address, port: opts.upstream.port })
      })
      .catch((err: unknown) => {
        if (err instanceof LabError && err.code === 'UPSTREAM_NOT_ALLOWED') this.#how = 'refused upstream'
        else this.#how = 'upstream failed'
        this.#log.debug({ err }, 'upstream not resolved')
        this.destroy()
      })
  }

  /** reconcile applies a change of the proxy's toxics to this connection */
  reconcile(): void {
    for (const p of this.#pipes) p.reconcile()
  }

  /** reset closes both sockets with a TCP RST (reset_peer) */
  reset(): void {
    this.#how = 'reset'
    this.#abort.abort()
    for (const s of [this.#client, this.#upstream]) if (!s.destroyed) s.resetAndDestroy()
  }

  /**
   * close ends both sockets (FIN) after what is written has been flushed; a peer that
   * neither reads nor closes within CLOSE_LINGER_MS is destroyed, so it cannot hold a slot.
   */
  close(): void {
    this.#abort.abort()
    for (const s of [this.#client, this.#upstream]) if (!s.destroyed) s.end(() => s.destroy())
    setTimeout(() => this.destroy(), CLOSE_LINGER_MS).unref()
  }

  /** destroy closes both sockets at once */
  destroy(): void {
    this.#abort.abort()
    this.#client.destroy()
    this.#upstream.destroy()
  }
}
