/**
 * TcpConnection is one client connection and its upstream connection, joined by two
 * TcpPipes (upstream: client → server, downstream: server → client). Both sockets allow
 * half-open, so a FIN travels through the toxics like data (slow_close delays it).
 * A reset on either side is passed on as a reset; any other error closes both.
 */
import { connect, type Socket } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import type { HostPort } from './address.ts'
import { TcpPipe } from './tcp-pipe.ts'
import type { Toxic } from './toxic-set.ts'
import type { Rng } from './toxics/toxic.ts'

/** how long a closed connection's peers get to take the last bytes and close */
const CLOSE_LINGER_MS = 5000

export class TcpConnection {
  /** resolves when both sockets are closed */
  readonly closed: Promise<void>
  readonly #client: Socket
  readonly #upstream: Socket
  readonly #abort = new AbortController()
  readonly #pipes: TcpPipe[]
  readonly #log: Logger
  #how: 'closed' | 'reset' | 'error' = 'closed'

  constructor(opts: {
    client: Socket
    upstream: HostPort
    toxics: () => readonly Toxic[]
    maxBufferedBytes: number
    rng: Rng
    log: Logger
  }) {
    this.#client = opts.client
    this.#log = opts.log
    this.#upstream = connect({ host: opts.upstream.host, port: opts.upstream.port, allowHalfOpen: true })
    const link = { rng: opts.rng, reset: () => this.reset(), close: () => this.close() }
    const pipe = (stream: 'upstream' | 'downstream', source: Socket, dest: Socket) =>
      new TcpPipe({
        stream,
        source,
        dest,
        toxics: opts.toxics,
        link,
        maxBufferedBytes: opts.maxBufferedBytes,
        signal: this.#abort.signal,
      })
    this.#pipes = [
      pipe('upstream', this.#client, this.#upstream),
      pipe('downstream', this.#upstream, this.#client),
    ]
    // the client's bytes wait in the kernel until the upstream is connected
    this.#client.pause()
    const closedOne = (s: Socket) => new Promise<void>((resolve) => s.once('close', () => resolve()))
    this.closed = Promise.all([closedOne(this.#client), closedOne(this.#upstream)]).then(() => {
      this.#abort.abort()
      this.#log.debug(
        { how: this.#how, upstreamBytes: this.#pipes[0]?.bytes, downstreamBytes: this.#pipes[1]?.bytes },
        'connection closed',
      )
    })
    for (const [s, other] of [
      [this.#client, this.#upstream],
      [this.#upstream, this.#client],
    ] as const) {
      s.on('error', (err: NodeJS.ErrnoException) => {
        this.#how = err.code === 'ECONNRESET' ? 'reset' : 'error'
        this.#log.debug(
          { code: err.code, side: s === this.#client ? 'client' : 'upstream' },
          'connection error',
        )
        if (err.code === 'ECONNRESET' && !other.destroyed) other.resetAndDestroy()
        else other.destroy()
      })
    }
    this.#upstream.once('connect', () => {
      // run() adds its 'data' listeners synchronously, before the client flows again
      for (const p of this.#pipes)
        p.run().catch((err: unknown) => {
          this.#log.error({ err }, 'pipe failed')
          this.destroy()
        })
      this.#client.resume()
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
