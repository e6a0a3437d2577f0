/**
 * The pool's supervision, with real worker threads (fixtures/pool-worker.ts): a worker that
 * dies (an uncaught error, its heap exhausted) is logged at error with the reason and
 * replaced, and what it held of the memory budget is given back; close() never waits on a
 * dead worker; and a pool whose workers keep dying gives up (`failed` rejects) so that the
 * process can end and its container's restart policy act.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../lib/log.ts'
import { MAX_DEATHS, startThreadedService, type ThreadedService } from '../../../lib/worker-pool.ts'
import type { FixtureData } from './fixtures/pool-worker.ts'

const url = new URL('./fixtures/pool-worker.ts', import.meta.url)

async function startPool(crash: FixtureData['crash'], workers = 2) {
  const lines: Record<string, unknown>[] = []
  const log = createLogger('test', 'info', { write: (line: string) => lines.push(JSON.parse(line)) })
  const starts = new SharedArrayBuffer(4 * workers)
  const spawned: { worker: number; threadId: number }[] = []
  const pool: ThreadedService<'x'> = await startThreadedService({
    name: 'test',
    url,
    host: '127.0.0.1',
    workers,
    ports: { x: 1 },
    budgetBytes: 1024 * 1024,
    bindOnce: async () => 1,
    log,
    data: (worker, { budget }): FixtureData => ({
      worker,
      budget,
      starts,
      crash: worker === 0 ? crash : 'none',
    }),
    onWorkerSpawned: (worker, thread) => spawned.push({ worker, threadId: thread.threadId }),
  })
  const startsOf = (worker: number) => Atomics.load(new Int32Array(starts), worker)
  return { pool, lines, startsOf, spawned }
}

const until = async (check: () => boolean, ms = 10_000) => {
  const by = performance.now() + ms
  while (!check()) {
    if (performance.now() > by) throw new Error('timed out waiting')
    await sleep(20)
  }
}

describe('startThreadedService supervision', () => {
  it('replaces a worker that throws, logs why at error, and gives back what it held', async () => {
    const { pool, lines, startsOf, spawned } = await startPool('throw-once')
    try {
      await until(() => lines.some((l) => l.msg === 'worker replaced'))
      expect(startsOf(0)).toBe(2)
      // the replacement is announced too (services/rpc links it to the store through this)
      expect(spawned.filter((s) => s.worker === 0)).toHaveLength(2)
      expect(spawned.map((s) => s.worker).sort()).toEqual([0, 0, 1])
      expect(pool.restarts).toBe(1)
      expect(lines.find((l) => l.msg === 'worker died')).toMatchObject({
        level: 'error',
        worker: 0,
        reason: 'Error: boom 1',
      })
      // each live worker holds 1000; the dead one's 1000 came back
      expect(pool.budget.usedBytes).toBe(2000)
      expect(await pool.close()).toEqual({ drained: 2, destroyed: 0 })
    } finally {
      await pool.close()
    }
  })

  it('replaces a worker whose heap runs out (sized from the budget), and the process lives on', async () => {
    const { pool, lines, startsOf } = await startPool('heap-once')
    try {
      await until(() => lines.some((l) => l.msg === 'worker replaced'), 30_000)
      expect(startsOf(0)).toBe(2)
      expect(String(lines.find((l) => l.msg === 'worker died')?.reason)).toMatch(/ERR_WORKER_OUT_OF_MEMORY/)
    } finally {
      await pool.close()
    }
  }, 40_000)

  it('does not wait on a worker that dies while draining', async () => {
    const { pool } = await startPool('die-draining')
    const started = performance.now()
    expect(await pool.close()).toEqual({ drained: 1, destroyed: 0 })
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('gives up when workers keep dying: failed rejects, for the process to end', async () => {
    const { pool, lines } = await startPool('throw-always', 1)
    try {
      await expect(pool.failed).rejects.toMatchObject({ code: 'WORKERS_FAILING' })
      expect(lines.filter((l) => l.msg === 'worker died')).toHaveLength(MAX_DEATHS + 1)
    } finally {
      await pool.close()
    }
  }, 30_000)
})
