/**
 * A pool of worker threads that each serve the same ports (SO_REUSEPORT listeners) and
 * drain on request. Worker threads receive no signals: `close()` posts `{ type: 'drain' }`
 * to each, waits for `{ type: 'drained', drained, destroyed }`, then ends the thread.
 *
 *   main thread ──workerData──▶ worker i: bind listeners ──▶ { type: 'listening' }
 *   close()     ──{drain}────▶ worker i: stop, finish, cut ──▶ { type: 'drained', ... }
 */
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Worker } from 'node:worker_threads'
import { LabError } from './errors.ts'
import type { Logger } from './log.ts'
import type { CloseSummary } from './service.ts'

/** Messages a pool worker posts to the main thread. */
export type FromPoolWorker = { readonly type: 'listening' } | ({ readonly type: 'drained' } & CloseSummary)

/** The one message the main thread posts to a pool worker. */
export type ToPoolWorker = { readonly type: 'drain' }

/** WorkerPool is a started pool; `close` is idempotent. */
export interface WorkerPool {
  readonly size: number
  close(): Promise<CloseSummary>
}

/**
 * startWorkerPool starts `size` workers from `url` (each gets `data(i)` as workerData)
 * and resolves when every one has posted `listening`; rejects if any fails to start.
 */
export async function startWorkerPool(opts: {
  readonly name: string
  readonly url: URL
  readonly size: number
  readonly data: (worker: number) => unknown
  readonly log: Logger
}): Promise<WorkerPool> {
  const threads = Array.from(
    { length: opts.size },
    (_, i) => new Worker(opts.url, { workerData: opts.data(i), name: `${opts.name}-worker-${i}` }),
  )
  const started = threads.map(
    (t, i) =>
      new Promise<void>((resolve, reject) => {
        t.once('error', (err) =>
          reject(
            new LabError('WORKER_FAILED', `${opts.name} worker ${i} failed to start: ${err.message}`, {
              cause: err,
            }),
          ),
        )
        t.once('message', (msg: FromPoolWorker) => (msg.type === 'listening' ? resolve() : undefined))
      }),
  )
  try {
    await Promise.all(started)
  } catch (err) {
    await Promise.all(threads.map((t) => t.terminate()))
    throw err
  }
  for (const t of threads)
    t.on('error', (err) => opts.log.error({ err, thread: t.threadId }, 'worker crashed'))

  const drainOne = async (t: Worker): Promise<CloseSummary> => {
    const reply = new Promise<FromPoolWorker>((resolve) => t.on('message', resolve))
    t.postMessage({ type: 'drain' } satisfies ToPoolWorker)
    const msg = await reply
    await t.terminate()
    return msg.type === 'drained'
      ? { drained: msg.drained, destroyed: msg.destroyed }
      : { drained: 0, destroyed: 0 }
  }
  let closing: Promise<CloseSummary> | undefined
  return {
    size: opts.size,
    close() {
      closing ??= Promise.all(threads.map(drainOne)).then((all) => ({
        drained: all.reduce((n, r) => n + r.drained, 0),
        destroyed: all.reduce((n, r) => n + r.destroyed, 0),
      }))
      return closing
    },
  }
}

/**
 * serveWorker is the worker side: bind, report `listening`, and drain on request.
 * Call it at the top level of a worker module with that worker's listen and drain.
 */
export async function serveWorker(
  port: import('node:worker_threads').MessagePort,
  listen: () => Promise<void>,
  drain: () => Promise<CloseSummary>,
): Promise<void> {
  await listen()
  port.postMessage({ type: 'listening' } satisfies FromPoolWorker)
  port.on('message', (msg: ToPoolWorker) => {
    if (msg.type !== 'drain') return
    void drain().then((summary) => {
      port.postMessage({ type: 'drained', ...summary } satisfies FromPoolWorker)
      port.close()
    })
  })
}

/** ThreadedService is a running pool of reuse-port workers and the ports they serve. */
export interface ThreadedService<P extends string> {
  readonly ports: Readonly<Record<P, number>>
  readonly mode: 'reuseport' | 'single'
  readonly workers: number
  close(): Promise<CloseSummary>
}

/**
 * startThreadedService is the shape every netlab server shares: probe SO_REUSEPORT with a
 * throwaway bind (`bindOnce`), fall back to one thread where it is unsupported, resolve
 * ports configured as 0 to one free port each (so every thread binds the same one), start
 * the workers, and log one `listening` line per port with the mode.
 */
export async function startThreadedService<P extends string>(opts: {
  readonly name: string
  readonly url: URL
  readonly host: string
  readonly workers: number
  readonly ports: Readonly<Record<P, number>>
  /** binds host:port (0 = any) with or without reusePort, closes, returns the port bound */
  readonly bindOnce: (host: string, port: number, reusePort: boolean) => Promise<number>
  readonly data: (
    worker: number,
    ctx: { ports: Readonly<Record<P, number>>; reusePort: boolean; workers: number },
  ) => unknown
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
  const pool = await startWorkerPool({
    name: opts.name,
    url: opts.url,
    size: workers,
    log: opts.log,
    data: (worker) => opts.data(worker, { ports, reusePort, workers }),
  })
  const mode = reusePort ? 'reuseport' : 'single'
  for (const [proto, port] of Object.entries(ports)) {
    opts.log.info({ proto, host: opts.host, port, workers, mode }, 'listening')
  }
  return { ports, mode, workers, close: () => pool.close() }
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
