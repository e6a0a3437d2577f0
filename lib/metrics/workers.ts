/**
 * Metrics from worker threads, asked for only when /metrics is scraped: the main thread posts
 * `{ type: 'metrics', seq }` to each live worker (watchWorker), the worker answers with its
 * threadReport (answerMetrics). Nothing crosses the channel between scrapes.
 */
import type { MessagePort, Worker } from 'node:worker_threads'
import { type ThreadReport, threadReport } from './index.ts'

/** MetricsRequest is what the main thread posts to a worker when scraped. */
export interface MetricsRequest {
  readonly type: 'metrics'
  readonly seq: number
}

/** MetricsReply is the worker's answer. */
export interface MetricsReply {
  readonly type: 'metrics'
  readonly seq: number
  readonly report: ThreadReport
}

const workers = new Set<Worker>()
let seq = 0

/** watchWorker adds a listening worker to those scraped, until it exits. */
export function watchWorker(worker: Worker): void {
  workers.add(worker)
  worker.once('exit', () => workers.delete(worker))
}

/** askWorkers collects every live worker's report; a worker silent for `timeoutMs` is left out. */
export function askWorkers(timeoutMs = 1000): Promise<ThreadReport[]> {
  return Promise.all([...workers].map((w) => ask(w, timeoutMs))).then((all) =>
    all.filter((r) => r !== undefined),
  )
}

function ask(worker: Worker, timeoutMs: number): Promise<ThreadReport | undefined> {
  const id = ++seq
  return new Promise((resolve) => {
    const done = (report: ThreadReport | undefined) => {
      clearTimeout(timer)
      worker.off('message', onMessage)
      worker.off('exit', onExit)
      resolve(report)
    }
    const onMessage = (msg: unknown) => {
      const m = msg as Partial<MetricsReply> | null
      if (m?.type === 'metrics' && m.seq === id && m.report) done(m.report)
    }
    const onExit = () => done(undefined)
    const timer = setTimeout(() => done(undefined), timeoutMs)
    worker.on('message', onMessage)
    worker.once('exit', onExit)
    worker.postMessage({ type: 'metrics', seq: id } satisfies MetricsRequest)
  })
}

/** answerMetrics is the worker side: reply to each metrics request on `port`. */
export function answerMetrics(port: MessagePort): void {
  port.on('message', (msg: unknown) => {
    const m = msg as Partial<MetricsRequest> | null
    if (m?.type === 'metrics' && typeof m.seq === 'number')
      port.postMessage({ type: 'metrics', seq: m.seq, report: threadReport() } satisfies MetricsReply)
  })
}
