/**
 * One worker thread: its own listener on each port (SO_REUSEPORT, so the kernel spreads
 * incoming connections across threads), its connections in lib/net's ConnectionSet (the
 * TCP_MAX_CONNECTIONS cap counted over every thread, `ERR BUSY` past it, one `connection
 * closed` line each), and a drain on request from the main thread. Worker threads receive no signals; the main thread posts
 * `{ type: 'drain' }` and waits for `{ type: 'drained' }`.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { parentPort, threadId, workerData } from 'node:worker_threads'
import { createLogger, type Logger } from '../../lib/log.ts'
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import { ConnectionSet, endRefused } from '../../lib/net/connections.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { attachWorkerBudget, serveWorker } from '../../lib/worker-pool.ts'
import { ackHandler } from './ack.ts'
import { cmdHandler } from './cmd/protocol.ts'
import type { TcpConfig } from './config.ts'
import { Conn, type Proto, type ProtocolHandler } from './connection.ts'
import { SharedCounters } from './counters.ts'
import { echoHandler } from './echo.ts'
import { errLine, TcpErrorCode } from './errors.ts'
import { helloHandler } from './hello.ts'
import { upperHandler } from './upper.ts'
import { welcomeHandler } from './welcome.ts'

/** WorkerInit is the workerData the main thread passes to each worker. */
export interface WorkerInit {
  readonly config: TcpConfig
  readonly worker: number
  readonly reusePort: boolean
  readonly counters: SharedArrayBuffer
  /** the service's memory budget (lib/worker-pool.ts attachWorkerBudget) */
  readonly budget: SharedArrayBuffer
  readonly ports: Readonly<Record<Proto, number>>
}

/** Budget pauses are logged at most once per this interval, with the count since. */
const PAUSE_LOG_INTERVAL_MS = 1000

class TcpWorker {
  readonly #init: WorkerInit
  readonly #log: Logger
  readonly #counters: SharedCounters
  readonly #servers: Server[] = []
  readonly #connections: ConnectionSet<Conn>
  readonly #budget: MemoryBudget
  #pauses = 0
  #lastPauseLog = Number.NEGATIVE_INFINITY

  constructor(init: WorkerInit) {
    this.#init = init
    this.#log = createLogger('tcp', init.config.logLevel).child({ worker: init.worker })
    this.#counters = new SharedCounters(init.config.workers, init.counters)
    this.#budget = attachWorkerBudget(init.budget, init.worker)
    this.#connections = new ConnectionSet<Conn>({
      admission: this.#counters.admission(init.config.maxConnections, init.worker),
      log: this.#log,
      refuse: (socket, _code, message) => endRefused(socket, errLine(TcpErrorCode.BUSY, message)),
    })
  }

  /** a connection paused for the budget: warn at most once a second, with the count */
  #onBudgetPause = (): void => {
    this.#pauses++
    const now = performance.now()
    if (now - this.#lastPauseLog < PAUSE_LOG_INTERVAL_MS) return
    this.#lastPauseLog = now
    this.#log.warn({ pauses: this.#pauses, budget: this.#budget.snapshot() }, 'memory budget exhausted')
    this.#pauses = 0
  }

  async listen(): Promise<void> {
    for (const proto of Object.keys(this.#init.ports) as Proto[]) {
      // allowHalfOpen: a client that half-closes after pipelining (`nc -N`, socat) is still
      // owed its replies; each handler ends the socket itself once they are written.
      const server = createServer({ pauseOnConnect: false, allowHalfOpen: true }, (socket) =>
        this.#accept(proto, socket),
      )
      server.listen({
        host: this.#init.config.host,
        port: this.#init.ports[proto],
        reusePort: this.#init.reusePort,
      })
      await once(server, 'listening')
      this.#servers.push(server)
    }
  }

  #accept(proto: Proto, socket: Socket): void {
    const lease = this.#connections.admit(socket, proto)
    if (!lease) return
    const conn = new Conn(
      lease,
      proto,
      socket,
      this.#init.config,
      { budget: this.#budget, onPause: this.#onBudgetPause },
      () => this.#counters.countBackpressureCut(),
    )
    this.#connections.track(lease, socket, conn, () => conn.summary())
    conn.attach(this.#handler(proto, conn))
  }

  #handler(proto: Proto, conn: Conn): ProtocolHandler {
    switch (proto) {
      case 'upper':
        return upperHandler(conn)
      case 'echo':
        return echoHandler(conn)
      case 'welcome':
        return welcomeHandler(conn, this.#init.config.welcomeTimeoutMs)
      case 'hello':
        return helloHandler(conn, this.#init.config.helloDelayMs)
      case 'ack':
        return ackHandler(conn)
      case 'cmd':
        return cmdHandler(
          conn,
          {
            host: hostname(),
            worker: this.#init.worker,
            threadId,
            conn: conn.id,
            remote: `${conn.socket.remoteAddress}:${conn.socket.remotePort}`,
            maxSleepMs: this.#init.config.maxSleepMs,
            stats: () => ({
              workers: this.#init.config.workers,
              mode: this.#init.reusePort ? 'reuseport' : 'single',
              ...this.#counters.snapshot(),
              memory: this.#budget.snapshot(),
            }),
          },
          this.#init.config.maxLineBytes,
          (ok) => this.#counters.countCommand(ok),
        )
    }
  }

  /** drain: stop accepting, let each connection finish its request, destroy stragglers. */
  drain(): Promise<CloseSummary> {
    for (const server of this.#servers) server.close()
    return this.#connections.drain(this.#init.config.shutdownGraceMs)
  }
}

if (parentPort) {
  const w = new TcpWorker(workerData as WorkerInit)
  await serveWorker(
    parentPort,
    () => w.listen(),
    () => w.drain(),
  )
}
