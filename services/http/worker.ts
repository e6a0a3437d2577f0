/**
 * One worker thread: its own Fastify app and listener (SO_REUSEPORT, so the kernel
 * spreads connections across threads), drained on request from the main thread.
 *
 * Connections go through lib/net's ConnectionSet: HTTP_MAX_CONNECTIONS per thread, past it
 * a 503 in the one HTTP error body (code BUSY) and a close; metrics; one `connection closed`
 * line each. Draining stops accepting, answers requests that arrive on kept-alive
 * connections with 503 + `Connection: close` (Fastify's return503OnClosing), lets in-flight
 * requests finish, and destroys whatever is still open when SHUTDOWN_GRACE_MS runs out.
 */
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import type { FastifyInstance, FastifyListenOptions } from 'fastify'
import { httpErrorBody } from '../../lib/error-catalogue.ts'
import { createLogger } from '../../lib/log.ts'
import { countHttp } from '../../lib/metrics/index.ts'
import { ConnectionSet, endRefused, localAdmission, type Tracked } from '../../lib/net/connections.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { attachWorkerBudget, serveWorker } from '../../lib/worker-pool.ts'
import { buildApp } from './app.ts'
import { RETRY_AFTER_S } from './budget.ts'
import type { HttpConfig } from './config.ts'
import { HTTP_ERRORS } from './errors.ts'

/** WorkerInit is the workerData the main thread passes to each worker. */
export interface WorkerInit {
  readonly config: HttpConfig
  readonly worker: number
  readonly reusePort: boolean
  readonly port: number
  /** the service's memory budget (lib/worker-pool.ts attachWorkerBudget) */
  readonly budget: SharedArrayBuffer
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

  /**
   * drain: the request in progress finishes (Fastify's close answers later ones with 503 +
   * close and closes the connection if it is idle now); once its response is sent the
   * connection is idle and closed (onResponse in runWorker), not left to the keep-alive timeout.
   */
  drain(): void {
    this.draining = true
  }

  destroy(reason: string): void {
    this.reason = reason
    this.#socket.destroy()
  }
}

/** busyResponse is the refusal past HTTP_MAX_CONNECTIONS, written on the bare socket. */
function busyResponse(message: string): string {
  const { status } = HTTP_ERRORS.BUSY
  const body = JSON.stringify(httpErrorBody('BUSY', message, status))
  return [
    `HTTP/1.1 ${status} Service Unavailable`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    `retry-after: ${RETRY_AFTER_S}`,
    'connection: close',
    '',
    body,
  ].join('\r\n')
}

/**
 * admitConnections puts the ConnectionSet in front of Node's HTTP server: a socket reaches
 * the server's own `connection` listeners only once admitted. Call it once the app is ready
 * (every listener is registered) and before it listens.
 */
function admitConnections(app: FastifyInstance, set: ConnectionSet<HttpConn>): WeakMap<Socket, HttpConn> {
  const bySocket = new WeakMap<Socket, HttpConn>()
  const server = app.server
  // The cap is the ConnectionSet's, answered with a 503; Node's own would close silently.
  server.maxConnections = Number.POSITIVE_INFINITY
  const serve = server.listeners('connection') as ((socket: Socket) => void)[]
  server.removeAllListeners('connection')
  server.on('connection', (socket: Socket) => {
    const lease = set.admit(socket, 'http')
    if (!lease) return
    const conn = new HttpConn(socket)
    bySocket.set(socket, conn)
    set.track(lease, socket, conn, () => ({ requests: conn.requests, reason: conn.reason }))
    for (const listener of serve) listener.call(server, socket)
  })
  return bySocket
}

async function runWorker(port: MessagePort, init: WorkerInit): Promise<void> {
  const log = createLogger('http', init.config.logLevel).child({ worker: init.worker })
  const app = buildApp(init.config, log, attachWorkerBudget(init.budget, init.worker))
  const connections = new ConnectionSet<HttpConn>({
    admission: localAdmission(init.config.maxConnections),
    log,
    refuse: (socket, _code, message) => endRefused(socket, busyResponse(message)),
  })
  let bySocket: WeakMap<Socket, HttpConn> | undefined
  app.addHook('onResponse', (req, reply, done) => {
    const conn = bySocket?.get(req.raw.socket)
    if (conn) {
      conn.requests++
      // the response is sent: Node's server counts the connection idle from the next turn
      if (conn.draining) setImmediate(() => app.server.closeIdleConnections())
    }
    countHttp('http', req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime)
    done()
  })

  const listen = async (): Promise<void> => {
    await app.ready()
    bySocket = admitConnections(app, connections)
    // Node's listen takes reusePort (22.12+); Fastify passes the options through untyped.
    const options: FastifyListenOptions & { reusePort: boolean } = {
      host: init.config.host,
      port: init.port,
      reusePort: init.reusePort,
    }
    await app.listen(options)
  }

  const drain = async (): Promise<CloseSummary> => {
    // stops accepting, closes idle connections, answers new requests with 503 + close
    const closed = app.close()
    const summary = await connections.drain(init.config.shutdownGraceMs)
    await closed
    return summary
  }

  await serveWorker(port, listen, drain)
}

if (parentPort) await runWorker(parentPort, workerData as WorkerInit)
