/**
 * lib/net's ConnectionSet in front of a Fastify app (the http service's workers and the rpc
 * service's HTTP port):
 *
 * - a socket reaches Node's HTTP server only once admitted; past the cap it gets a 503 in
 *   the one HTTP error body (code BUSY, lib/error-catalogue.ts) with Retry-After, and a close
 *   (Node's own maxConnections would close it silently);
 * - each connection is counted in the metrics and logs one `connection closed` line with
 *   its `requests`;
 * - drain: Fastify's close stops accepting, closes idle connections and answers requests on
 *   kept-alive ones with 503 + `Connection: close`; a connection whose response is sent
 *   during the drain is closed then, not left to the keep-alive timeout; what is still open
 *   when the grace period runs out is destroyed;
 * - a body refused as too large is read to its end and discarded (lingerAfterTooLarge), so
 *   the client still sending it reads the 413 and the connection serves on.
 */
import { once } from 'node:events'
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { httpErrorBody } from '../error-catalogue.ts'
import type { Logger } from '../log.ts'
import type { CloseSummary } from '../service.ts'
import { type Admission, ConnectionSet, endRefused, type Tracked } from './connections.ts'

/**
 * lingerAfterTooLarge answers a body over the limit (Fastify's FST_ERR_CTP_BODY_TOO_LARGE) on a
 * connection that stays open, as nginx's lingering close does: Fastify would add `Connection:
 * close` and Node close the socket under a client still sending, which then meets a broken pipe
 * (Python's requests and xmlrpc.client, Node's fetch) instead of the 413. The rest of the body is
 * read and dropped as it arrives, holding nothing, detached from any stream a preParsing hook
 * piped it into (whose backpressure would stall the socket); Node's requestTimeout still bounds it.
 */
export function lingerAfterTooLarge(request: FastifyRequest, reply: FastifyReply): void {
  reply.removeHeader('connection')
  request.raw.unpipe()
  request.raw.resume()
}

/** HttpConn is one client connection as the ConnectionSet sees it; Node's HTTP server serves it. */
class HttpConn implements Tracked {
  readonly closed: Promise<unknown>
  readonly #socket: Socket
  requests = 0
  draining = false
  /** set when the connection is cut (the grace period over); Node's server closes it otherwise */
  reason: string | undefined

  constructor(socket: Socket) {
    this.#socket = socket
    this.closed = once(socket, 'close')
  }

  /** the request in progress finishes; `responded` then closes the idle connection */
  drain(): void {
    this.draining = true
  }

  destroy(reason: string): void {
    this.reason = reason
    this.#socket.destroy()
  }
}

export interface HttpConnectionsOptions {
  /** the metrics' and log lines' `proto` */
  readonly proto: string
  readonly admission: Admission
  readonly log: Logger
  /** the Retry-After of the BUSY refusal, in seconds */
  readonly retryAfterS: number
}

/** busyResponse is the refusal past the cap, written on the bare socket. */
function busyResponse(message: string, retryAfterS: number): string {
  const body = JSON.stringify(httpErrorBody('BUSY', message, 503))
  return [
    'HTTP/1.1 503 Service Unavailable',
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    `retry-after: ${retryAfterS}`,
    'connection: close',
    '',
    body,
  ].join('\r\n')
}

export class HttpConnections {
  readonly #app: FastifyInstance
  readonly #set: ConnectionSet<HttpConn>
  readonly #bySocket = new WeakMap<Socket, HttpConn>()
  readonly #proto: string

  /**
   * Call once the app is ready (every `connection` listener registered) and before it
   * listens; the caller's onResponse hook calls `responded`.
   */
  constructor(app: FastifyInstance, opts: HttpConnectionsOptions) {
    this.#app = app
    this.#proto = opts.proto
    this.#set = new ConnectionSet<HttpConn>({
      admission: opts.admission,
      log: opts.log,
      refuse: (socket, _code, message) => endRefused(socket, busyResponse(message, opts.retryAfterS)),
    })
    const server = app.server
    server.maxConnections = Number.POSITIVE_INFINITY
    const serve = server.listeners('connection') as ((socket: Socket) => void)[]
    server.removeAllListeners('connection')
    server.on('connection', (socket: Socket) => this.#accept(socket, serve))
  }

  #accept(socket: Socket, serve: readonly ((socket: Socket) => void)[]): void {
    const lease = this.#set.admit(socket, this.#proto)
    if (!lease) return
    const conn = new HttpConn(socket)
    this.#bySocket.set(socket, conn)
    this.#set.track(lease, socket, conn, () => ({ requests: conn.requests, reason: conn.reason }))
    for (const listener of serve) listener.call(this.#app.server, socket)
  }

  get size(): number {
    return this.#set.size
  }

  /** responded counts a response sent on `socket`; while draining, the connection is then closed */
  responded(socket: Socket): void {
    const conn = this.#bySocket.get(socket)
    if (!conn) return
    conn.requests++
    // the response is sent: Node's server counts the connection idle from the next turn
    if (conn.draining) setImmediate(() => this.#app.server.closeIdleConnections())
  }

  /** drain stops accepting and lets requests in flight finish within `graceMs` */
  async drain(graceMs: number): Promise<CloseSummary> {
    const closed = this.#app.close()
    const summary = await this.#set.drain(graceMs)
    await closed
    return summary
  }
}
