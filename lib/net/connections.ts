/**
 * The connection-and-drain layer every TCP-based service shares (tcp, http, rpc, faults):
 *
 * - admission: a connection takes a slot under the service's cap (one count for every
 *   worker thread when the Admission is shared) and, when asked, a reserve from the memory
 *   budget; past either, the service's own `refuse` writes the refusal in the protocol's form
 *   (TCP `ERR BUSY`, an HTTP 503, a bare close) and the socket is ended;
 * - tracking: an admitted connection is counted in the metrics while open, and when it
 *   closes one `connection closed` line is logged at info with its summary;
 * - drain: `drain(graceMs)` logs `draining connections` (when any are open), asks each
 *   connection to finish the work it has started, waits up to the grace period, then
 *   destroys the stragglers, logs them once at warn and returns the CloseSummary that
 *   `shutdown complete` reports.
 *
 * Listeners are the caller's: it stops accepting (server.close()) before calling drain.
 */
import type { Socket } from 'node:net'
import type { Logger } from '../log.ts'
import type { Hold, MemoryBudget } from '../memory-budget.ts'
import { connectionClosed, connectionOpened, connectionRefused } from '../metrics/index.ts'
import type { CloseSummary } from '../service.ts'
import { LimitLog } from './limit-log.ts'

/** Tracked is a served connection the layer can ask to finish, or end at once. */
export interface Tracked {
  /** finish the request in progress (if any), then close; an idle connection closes now */
  drain(): void
  /** close at once */
  destroy(reason: string): void
  /** settles once the connection's socket has closed */
  readonly closed: Promise<unknown>
}

/** Admission hands out connection slots under a cap; shared across threads when the cap is the service's. */
export interface Admission {
  readonly max: number
  /** a connection id (> 0) when a slot is free, 0 at the cap */
  acquire(): number
  /** gives a slot back; once per successful acquire */
  release(): void
}

/** localAdmission is a cap counted in this thread only. */
export function localAdmission(max: number): Admission {
  let open = 0
  let nextId = 0
  return {
    max,
    acquire: () => {
      if (open >= max) return 0
      open++
      return ++nextId
    },
    release: () => {
      open = Math.max(0, open - 1)
    },
  }
}

/** REFUSED_LINGER_MS is how long a refused socket may take to read its refusal before it is destroyed. */
export const REFUSED_LINGER_MS = 2000

/**
 * endRefused writes a refusal and ends the socket without being held by its peer: what the
 * peer sends meanwhile is read and dropped (closing with unread bytes would send a reset
 * that can overtake the refusal), the socket closes once the peer closes its side too,
 * and a peer that does not is destroyed after `lingerMs`, so refused connections cannot
 * pile up on a listener that allows half-open connections.
 */
export function endRefused(socket: Socket, reply: string | Uint8Array, lingerMs = REFUSED_LINGER_MS): void {
  socket.on('error', () => undefined)
  socket.resume()
  const timer = setTimeout(() => socket.destroy(), lingerMs)
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
  socket.end(reply)
}

/** RefusalCode is why a connection was turned away at accept. */
export type RefusalCode = 'BUSY' | 'MEMORY_BUDGET'

export interface ConnectionSetOptions {
  readonly admission: Admission
  readonly log: Logger
  /** writes the refusal in the protocol's form and ends (or destroys) the socket */
  readonly refuse: (socket: Socket, code: RefusalCode, message: string) => void
  /** the budget each connection reserves `reserveBytes` from while it is open */
  readonly budget?: MemoryBudget
  readonly reserveBytes?: number
}

/** Lease is an admitted connection's slot, reserve and logger, before it is tracked. */
export interface Lease {
  readonly id: number
  readonly proto: string
  readonly remote: string
  /** the connection's reserve from the budget (0 bytes when none was asked) */
  readonly reserve: Hold | undefined
  /** a child logger with `conn`, `proto` and `remote` */
  readonly log: Logger
}

/** SummaryFields are what a connection adds to its `connection closed` line (reason, commands, calls). */
export type SummaryFields = () => Record<string, unknown>

export class ConnectionSet<T extends Tracked> {
  readonly #opts: ConnectionSetOptions
  readonly #open = new Set<T>()
  readonly #busyLog: LimitLog
  readonly #budgetLog: LimitLog
  #draining = false

  constructor(opts: ConnectionSetOptions) {
    this.#opts = opts
    this.#busyLog = new LimitLog(opts.log, 'BUSY', 1000)
    this.#budgetLog = new LimitLog(opts.log, 'MEMORY_BUDGET', 1000)
  }

  get size(): number {
    return this.#open.size
  }

  /** refusals so far, by kind */
  get refusals(): { readonly busy: number; readonly budget: number } {
    return { busy: this.#busyLog.total, budget: this.#budgetLog.total }
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.#open.values()
  }

  /**
   * admit takes a slot and the reserve for a new socket; undefined when refused, the
   * refusal already written, counted and (rate-limited) logged.
   */
  admit(socket: Socket, proto: string): Lease | undefined {
    const { admission, budget, reserveBytes = 0, log } = this.#opts
    socket.on('error', () => undefined) // a reset before the connection's own handler exists
    const remote = `${socket.remoteAddress}:${socket.remotePort}`
    if (this.#draining) {
      socket.destroy()
      return undefined
    }
    const id = admission.acquire()
    if (id === 0) {
      connectionRefused(proto, 'max_connections')
      this.#busyLog.refused(() => ({ proto, remote, maxConnections: admission.max }))
      this.#opts.refuse(socket, 'BUSY', `server at its limit of ${admission.max} connections`)
      return undefined
    }
    let reserve: Hold | undefined
    if (budget && reserveBytes > 0) {
      reserve = budget.hold(reserveBytes)
      if (!reserve) {
        admission.release()
        connectionRefused(proto, 'memory_budget')
        this.#budgetLog.refused(() => ({ proto, remote, open: this.#open.size, ...budget.snapshot() }))
        this.#opts.refuse(socket, 'MEMORY_BUDGET', 'server memory budget exhausted, try again later')
        return undefined
      }
    }
    return { id, proto, remote, reserve, log: log.child({ conn: id, proto, remote }) }
  }

  /**
   * track follows an admitted connection until its socket closes: metrics while open,
   * then the slot and reserve given back and one `connection closed` line at info.
   */
  track(lease: Lease, socket: Socket, conn: T, summary?: SummaryFields): void {
    const opened = performance.now()
    this.#open.add(conn)
    connectionOpened(lease.proto)
    lease.log.debug('connection opened')
    const done = (): void => {
      if (!this.#open.delete(conn)) return
      this.#opts.admission.release()
      lease.reserve?.release()
      connectionClosed(lease.proto, socket.bytesRead, socket.bytesWritten)
      lease.log.info(
        {
          durationMs: Math.round(performance.now() - opened),
          bytesIn: socket.bytesRead,
          bytesOut: socket.bytesWritten,
          ...summary?.(),
        },
        'connection closed',
      )
    }
    conn.closed.then(done, done)
  }

  /**
   * drain asks every open connection to finish and close, waits up to `graceMs`, then
   * destroys what is left (logged once at warn). New connections are refused meanwhile.
   */
  async drain(graceMs: number): Promise<CloseSummary> {
    this.#draining = true
    const open = [...this.#open]
    if (open.length > 0) this.#opts.log.info({ open: open.length, graceMs }, 'draining connections')
    for (const conn of open) conn.drain()
    const { destroyed } = await drainWithin(
      graceMs,
      Promise.all(open.map((c) => c.closed.catch(() => undefined))),
      () => {
        const left = [...this.#open]
        for (const conn of left) conn.destroy('shutdown grace period over')
        return left.length
      },
      this.#opts.log,
    )
    return { drained: open.length - destroyed, destroyed }
  }
}

/**
 * drainWithin waits for `settled` up to `graceMs`; past it, `destroyRest` ends what is left
 * and returns how many, logged once at warn, and the wait goes on until `settled`.
 */
export async function drainWithin(
  graceMs: number,
  settled: Promise<unknown>,
  destroyRest: () => number,
  log: Logger,
): Promise<{ readonly destroyed: number }> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = await Promise.race([
    settled.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs)
    }),
  ])
  clearTimeout(timer)
  if (!timedOut) return { destroyed: 0 }
  const destroyed = destroyRest()
  if (destroyed > 0) log.warn({ destroyed, graceMs }, 'connections destroyed at end of grace period')
  await settled
  return { destroyed }
}
