/**
 * A pool of worker threads that each serve the same ports (SO_REUSEPORT listeners) and
 * drain on request. Worker threads receive no signals: `close()` posts `{ type: 'drain' }`
 * to each, waits for `{ type: 'drained', drained, destroyed }`, then ends the thread.
 *
 *   main thread ──workerData──▶ worker i: bind listeners ──▶ { type: 'listening' }
 *   close()     ──{drain}────▶ worker i: stop, finish, cut ──▶ { type: 'drained', ... }
 */
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
