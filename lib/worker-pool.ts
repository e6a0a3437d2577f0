/**
 * A supervised pool of worker threads that each serve the same ports (SO_REUSEPORT listeners)
 * and drain on request. Worker threads receive no signals: `close()` posts `{ type: 'drain' }`
 * to each, waits for `{ type: 'drained', drained, destroyed }` (or for the thread to end),
 * then ends the thread.
 *
 *   main thread ──workerData──▶ worker i: bind listeners ──▶ { type: 'listening' }
 *   close()     ──{drain}────▶ worker i: stop, finish, cut ──▶ { type: 'drained', ... }
 *   worker i dies (uncaught error, heap exhausted) ──▶ logged at error, its budget given
 *   back, a new worker i started with the same workerData
 *
 * A pool whose workers keep dying (MAX_DEATHS within DEATH_WINDOW_MS) gives up: `failed`
 * rejects, and lib/main.ts ends the process, for the container's restart policy to act.
 */
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { type MessagePort, type ResourceLimits, Worker } from 'node:worker_threads'
import { LabError } from './errors.ts'
import { budgetCollector, workerResourceLimits } from './heap.ts'
import type { Logger } from './log.ts'
import { MemoryBudget } from './memory-budget.ts'
import { trackBudget } from './metrics/index.ts'
import { answerMetrics, type MetricsRequest, watchWorker } from './metrics/workers.ts'
import type { CloseSummary } from './service.ts'

/** Messages a pool worker posts to the main thread. */
export type FromPoolWorker = { readonly type: 'listening' } | ({ readonly type: 'drained' } & CloseSummary)

/** What the main thread posts to a pool worker: a drain, or a scrape's request (lib/metrics/workers.ts). */
export type ToPoolWorker = { readonly type: 'drain' } | MetricsRequest

/** Deaths within DEATH_WINDOW_MS beyond which the pool gives up. */
export const MAX_DEATHS = 5
export const DEATH_WINDOW_MS = 60_000

/** WorkerPool is a started pool; `close` is idempotent. */
export interface WorkerPool {
  readonly size: number
  /** workers replaced after dying, since the start */
  readonly restarts: number
  /** rejects when the pool gives up on its workers; never resolves */
  readonly failed: Promise<never>
  close(): Promise<CloseSummary>
}

interface Slot {
  worker: Worker
  live: boolean
  /** the last error the thread reported, for the `worker died` line */
  error?: Error
}

const reasonOf = (slot: Slot, code: number): string =>
  slot.error
    ? `${(slot.error as NodeJS.ErrnoException).code ?? slot.error.name}: ${slot.error.message}`
    : `exit code ${code}`

/**
 * startWorkerPool starts `size` workers from `url` (each gets `data(i)` as workerData) and
 * resolves when every one has posted `listening`; rejects if any fails to start. A worker that
 * later dies is replaced; `onDied(i)` runs first, to give back what the dead thread held.
 */
export async function startWorkerPool(opts: {
  readonly name: string
  readonly url: URL
  readonly size: number
  readonly data: (worker: number) => unknown
  readonly log: Logger
  readonly resourceLimits?: ResourceLimits
  readonly onDied?: (worker: number) => void
  /** runs as each worker thread (a replacement too) is created, to talk to it over its port */
  readonly onSpawned?: (worker: number, thread: Worker) => void
}): Promise<WorkerPool> {
  const slots: Slot[] = []
  let closing = false
  let restarts = 0
  const deaths: number[] = []
  let giveUp: (err: Error) => void = () => undefined
  const failed = new Promise<never>((_, reject) => {
    giveUp = reject
  })
  failed.catch(() => undefined) // observed by whoever awaits it; never an unhandled rejection here

  /** spawn starts worker i and resolves once it listens; rejects if it fails first. */
  const spawn = (i: number): Promise<Slot> => {
    const worker = new Worker(opts.url, {
      workerData: opts.data(i),
      name: `${opts.name}-worker-${i}`,
      ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}),
    })
    const slot: Slot = { worker, live: false }
    opts.onSpawned?.(i, worker)
    worker.on('error', (err) => {
      slot.error = err
    })
    return new Promise<Slot>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(
          new LabError('WORKER_FAILED', `${opts.name} worker ${i} failed to start: ${reasonOf(slot, code)}`, {
            cause: slot.error,
          }),
        )
      worker.once('exit', onExit)
      worker.once('message', (msg: FromPoolWorker) => {
        if (msg.type !== 'listening') return
        worker.off('exit', onExit)
        slot.live = true
        watchWorker(worker) // scraped by /metrics until it exits (lib/metrics/workers.ts)
        worker.once('exit', (code) => void onDeath(i, slot, code))
        resolve(slot)
      })
    })
  }

  const onDeath = async (i: number, slot: Slot, code: number): Promise<void> => {
    slot.live = false
    opts.onDied?.(i)
    if (closing) return
    const now = performance.now()
    deaths.push(now)
    while (deaths.length > 0 && (deaths[0] as number) < now - DEATH_WINDOW_MS) deaths.shift()
    opts.log.error(
      { worker: i, thread: slot.worker.threadId, reason: reasonOf(slot, code), err: slot.error },
      'worker died',
    )
    if (deaths.length > MAX_DEATHS) {
      giveUp(
        new LabError(
          'WORKERS_FAILING',
          `${opts.name}: ${deaths.length} workers died within ${DEATH_WINDOW_MS} ms`,
        ),
      )
      return
    }
    // Back off when deaths come in a row: 0, 100, 200, 400 ... ms.
    await sleep(deaths.length === 1 ? 0 : Math.min(5000, 100 * 2 ** (deaths.length - 2)))
    for (;;) {
      if (closing) return
      try {
        const replacement = await spawn(i)
        slots[i] = replacement
        restarts++
        opts.log.info({ worker: i, thread: replacement.worker.threadId, restarts }, 'worker replaced')
        if (closing) void drainOne(replacement) // close() began while it was starting
        return
      } catch (err) {
        opts.log.error({ worker: i, err }, 'worker failed to start')
        deaths.push(performance.now())
        if (deaths.length > MAX_DEATHS) {
          giveUp(err as Error)
          return
        }
        await sleep(1000)
      }
    }
  }

  const started = await Promise.allSettled(Array.from({ length: opts.size }, (_, i) => spawn(i)))
  const failure = started.find((r) => r.status === 'rejected')
  if (failure) {
    closing = true
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.worker.terminate() : undefined)))
    throw failure.reason
  }
  for (const r of started) if (r.status === 'fulfilled') slots.push(r.value)

  const drainOne = async (slot: Slot): Promise<CloseSummary> => {
    if (!slot.live) return { drained: 0, destroyed: 0 }
    // A worker that dies while draining answers nothing: its exit ends the wait.
    const reply = new Promise<FromPoolWorker | undefined>((resolve) => {
      slot.worker.on('message', (msg: FromPoolWorker) => msg.type === 'drained' && resolve(msg))
      slot.worker.once('exit', () => resolve(undefined))
    })
    slot.worker.postMessage({ type: 'drain' } satisfies ToPoolWorker)
    const msg = await reply
    await slot.worker.terminate()
    return msg?.type === 'drained'
      ? { drained: msg.drained, destroyed: msg.destroyed }
      : { drained: 0, destroyed: 0 }
  }
  let closed: Promise<CloseSummary> | undefined
  return {
    size: opts.size,
    get restarts() {
      return restarts
    },
    failed,
    close() {
      closing = true
      closed ??= Promise.all(slots.map(drainOne)).then((all) => ({
        drained: all.reduce((n, r) => n + r.drained, 0),
        destroyed: all.reduce((n, r) => n + r.destroyed, 0),
      }))
      return closed
    },
  }
}

/**
 * serveWorker is the worker side: bind, report `listening`, and drain on request.
 * Call it at the top level of a worker module with that worker's listen and drain.
 */
export async function serveWorker(
  port: MessagePort,
  listen: () => Promise<void>,
  drain: () => Promise<CloseSummary>,
): Promise<void> {
  await listen()
  answerMetrics(port)
  port.postMessage({ type: 'listening' } satisfies FromPoolWorker)
  port.on('message', (msg: ToPoolWorker) => {
    if (msg.type !== 'drain') return
    void drain().then((summary) => {
      port.postMessage({ type: 'drained', ...summary } satisfies FromPoolWorker)
      port.close()
    })
  })
}

/**
 * attachWorkerBudget opens, in pool worker `worker`, the service's budget (the buffer
 * startThreadedService put in its workerData), collecting garbage after large releases.
 */
export function attachWorkerBudget(
  buffer: SharedArrayBuffer,
  worker: number,
  rssFloorBytes?: number,
): MemoryBudget {
  const { limitBytes } = MemoryBudget.attach(buffer)
  return MemoryBudget.attach(buffer, {
    thread: worker,
    onRelease: budgetCollector(limitBytes, rssFloorBytes),
  })
}

/** ThreadedService is a running pool of reuse-port workers and the ports they serve. */
export interface ThreadedService<P extends string> {
  readonly ports: Readonly<Record<P, number>>
  readonly mode: 'reuseport' | 'single'
  readonly workers: number
  /** the service's memory budget, shared by every worker (this is the main thread's view) */
  readonly budget: MemoryBudget
  /** workers replaced after dying */
  readonly restarts: number
  /** rejects when the pool gives up on its workers */
  readonly failed: Promise<never>
  close(): Promise<CloseSummary>
}

/** WorkerContext is what startThreadedService tells each worker's `data`. */
export interface WorkerContext<P extends string> {
  readonly ports: Readonly<Record<P, number>>
  readonly reusePort: boolean
  readonly workers: number
  /** the budget's buffer, for attachWorkerBudget */
  readonly budget: SharedArrayBuffer
}

/**
 * startThreadedService is the shape every netlab server shares: probe SO_REUSEPORT with a
 * throwaway bind (`bindOnce`), fall back to one thread where it is unsupported, resolve
 * ports configured as 0 to one free port each (so every thread binds the same one), create
 * the memory budget, start the workers (heap sized from the budget: lib/heap.ts), and log
 * one `listening` line per port with the mode.
 */
export async function startThreadedService<P extends string>(opts: {
  readonly name: string
  readonly url: URL
  readonly host: string
  readonly workers: number
  readonly ports: Readonly<Record<P, number>>
  readonly budgetBytes: number
  /** the main thread's forced-collection floor (lib/heap.ts; default gcRssFloorBytes) */
  readonly gcRssFloorBytes?: number
  /** binds host:port (0 = any) with or without reusePort, closes, returns the port bound */
  readonly bindOnce: (host: string, port: number, reusePort: boolean) => Promise<number>
  readonly data: (worker: number, ctx: WorkerContext<P>) => unknown
  /** runs in the main thread when worker i has died, before it is replaced */
  readonly onWorkerDied?: (worker: number) => void
  /** runs in the main thread as worker i (or its replacement) is created */
  readonly onWorkerSpawned?: (worker: number, thread: Worker) => void
  readonly log: Logger
}): Promise<ThreadedService<P>> {
  const reusePort = await opts.bindOnce(opts.host, 0, true).then(
    () => true,
    () => false,
  )
  const workers = reusePort ? opts.workers : 1
  const ports: Record<P, number> = { ...opts.ports }
  for (const proto of Object.keys(ports) as P[]) {
    if (ports[proto] === 0) ports[proto] = await opts.bindOnce(opts.host, 0, reusePort)
  }
  const budget = MemoryBudget.create(opts.budgetBytes, {
    threads: workers,
    onRelease: budgetCollector(opts.budgetBytes, opts.gcRssFloorBytes),
  })
  trackBudget(budget)
  const pool = await startWorkerPool({
    name: opts.name,
    url: opts.url,
    size: workers,
    log: opts.log,
    resourceLimits: workerResourceLimits(opts.budgetBytes),
    data: (worker) => opts.data(worker, { ports, reusePort, workers, budget: budget.buffer }),
    onDied: (worker) => {
      const bytes = budget.releaseThread(worker)
      if (bytes > 0) opts.log.info({ worker, bytes }, 'dead worker budget released')
      opts.onWorkerDied?.(worker)
    },
    ...(opts.onWorkerSpawned ? { onSpawned: opts.onWorkerSpawned } : {}),
  })
  const mode = reusePort ? 'reuseport' : 'single'
  for (const [proto, port] of Object.entries(ports)) {
    opts.log.info({ proto, host: opts.host, port, workers, mode }, 'listening')
  }
  return {
    ports,
    mode,
    workers,
    budget,
    get restarts() {
      return pool.restarts
    },
    failed: pool.failed,
    close: () => pool.close(),
  }
}

/**
 * tcpBindOnce is the `bindOnce` of TCP services (HTTP included): bind a throwaway
 * listener, to probe SO_REUSEPORT or to find a free port, and return the port bound.
 */
export async function tcpBindOnce(host: string, port: number, reusePort: boolean): Promise<number> {
  const server = createServer()
  server.listen({ host, port, reusePort })
  try {
    await once(server, 'listening')
    const addr = server.address()
    return typeof addr === 'object' && addr ? addr.port : port
  } finally {
    server.close()
  }
}
