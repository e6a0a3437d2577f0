/**
 * The store over a file layer that fails on demand (tests/support/sim-fs.ts): a failed
 * sync, a failed cut-back, short writes, a full volume, and power loss, which keeps only what
 * was synced. Every acknowledged write must have been synced, a refused one leaves nothing
 * behind, and a crash at any moment, compaction included, leaves a log that opens.
 */
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { PyError } from '../../../../protocols/py-error.ts'
import { KvStore } from '../../../../services/rpc/store/kv-store.ts'
import { logLines } from '../../../support/log-lines.ts'
import { type CrashMode, random, SimFs } from '../../../support/sim-fs.ts'

const path = '/data/kv.log'
const silent = createLogger('rpc', 'silent')
const limits = { maxKeys: 100, maxKeyBytes: 16, maxValueBytes: 4096 }

async function failure(p: Promise<unknown>): Promise<PyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof PyError)) throw new Error(`expected a PyError, got ${String(err)}`)
  return err
}

const text = (fs: SimFs) => fs.files().get(path)?.toString('utf8')

describe('KvStore with a failing file layer', () => {
  it('a failed sync answers OSError, changes nothing in memory, and cuts the log back', async () => {
    const fs = new SimFs()
    const { lines, dest } = logLines()
    const s = await KvStore.open(path, limits, createLogger('rpc', 'info', dest), fs)
    await s.set('a', '1')
    const before = text(fs)
    fs.failNext('datasync', 'EIO')
    const err = await failure(s.set('a', '2'))
    expect([err.code, err.pyClass, err.text]).toEqual([
      'STORE_WRITE_FAILED',
      'OSError',
      '[Errno 5] I/o error: the store could not write its log; the write was not stored (STORE_WRITE_FAILED)',
    ])
    expect(err.args).toEqual([
      5n,
      'I/o error: the store could not write its log; the write was not stored (STORE_WRITE_FAILED)',
    ])
    expect(await s.get('a')).toBe('1')
    expect(text(fs)).toBe(before)
    expect(lines.find((l) => l.msg === 'store write failed')).toMatchObject({
      level: 'error',
      code: 'STORE_WRITE_FAILED',
      changes: 1,
    })
    await s.set('b', '3')
    await s.close()
    const again = await KvStore.open(path, limits, silent, fs.afterCrash())
    expect([await again.get('a'), await again.get('b')]).toEqual(['1', '3'])
  })

  it('when the cut-back fails too, refuses writes until the log is repaired', async () => {
    const fs = new SimFs()
    const { lines, dest } = logLines()
    const s = await KvStore.open(path, limits, createLogger('rpc', 'info', dest), fs)
    await s.set('a', '1')
    fs.failNext('datasync')
    fs.failNext('truncate', 'EIO', 2) // the cut-back, then the first repair
    expect((await failure(s.set('a', '2'))).code).toBe('STORE_WRITE_FAILED')
    expect((await failure(s.set('b', '2'))).code).toBe('STORE_WRITE_FAILED')
    expect(await s.exists('b')).toBe(false)
    await s.set('c', '3')
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['store write failed', 'store log could not be cut back', 'store log repaired']),
    )
    await s.close()
    const again = await KvStore.open(path, limits, silent, fs.afterCrash())
    expect(await again.keys()).toEqual(['a', 'c'])
    expect(await again.get('a')).toBe('1')
  })

  it('completes short writes', async () => {
    const fs = new SimFs()
    fs.maxWriteBytes = 7
    const s = await KvStore.open(path, limits, silent, fs)
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.set(`k${i}`, 'v'.repeat(i * 10))))
    await s.close()
    expect(fs.counts.write).toBeGreaterThan(100)
    const again = await KvStore.open(path, limits, silent, fs.afterCrash())
    expect(await again.get('k19')).toBe('v'.repeat(190))
    expect(again.size).toBe(20)
  })

  it('a full volume refuses the write (STORE_NO_SPACE), keeps every earlier one, and recovers with space', async () => {
    const fs = new SimFs()
    const s = await KvStore.open(path, limits, silent, fs)
    await s.set('small', 'x')
    fs.capacityBytes = fs.used() + 100
    const before = text(fs)
    const err = await failure(s.set('big', 'y'.repeat(200))) // half of it fits: a short write, then ENOSPC
    expect([err.code, err.text, err.args[0]]).toEqual([
      'STORE_NO_SPACE',
      "[Errno 28] No space left on device: the store's volume is full; the write was not stored (STORE_NO_SPACE)",
      28n,
    ])
    expect(text(fs)).toBe(before)
    expect(await s.exists('big')).toBe(false)
    await s.set('fits', 'z') // 50 bytes still fit
    fs.capacityBytes = Number.POSITIVE_INFINITY
    await s.set('big', 'y'.repeat(200))
    await s.close()
    const again = await KvStore.open(path, limits, silent, fs.afterCrash())
    expect(await again.keys()).toEqual(['small', 'fits', 'big'])
  })

  it('every acknowledged write was synced: pulling the plug after each acknowledgement loses none', async () => {
    const fs = new SimFs()
    const s = await KvStore.open(path, { ...limits, compactRatio: 2, compactMinBytes: 4096 }, silent, fs)
    for (let i = 0; i < 60; i++) {
      await s.set(`k${i % 7}`, `${i}`.padEnd(300, '.'))
      const after = await KvStore.open(path, limits, silent, fs.durableNow())
      expect(await after.get(`k${i % 7}`)).toBe(`${i}`.padEnd(300, '.'))
    }
    expect(s.stats.compactions).toBeGreaterThan(0)
    await s.close()
  })
})

/** A model of what was called and what it answered, per key, in call order. */
interface Call {
  readonly key: string
  readonly value: string | null
  outcome: 'pending' | 'acked' | 'refused' | 'failed'
}

/** allowed: what a key may hold after a crash: its last acknowledged state, or a later unrefused one. */
function allowed(calls: readonly Call[], key: string): (string | null)[] {
  const mine = calls.filter((c) => c.key === key)
  const lastAcked = mine.findLastIndex((c) => c.outcome === 'acked')
  const from = lastAcked === -1 ? [null] : [(mine[lastAcked] as Call).value]
  return [...from, ...mine.slice(lastAcked + 1).flatMap((c) => (c.outcome === 'refused' ? [] : [c.value]))]
}

/** crashRun drives random writes from a few clients until the power goes; returns the model and the disk after. */
async function crashRun(seed: number, crashAfterOps: number, mode: CrashMode) {
  const rnd = random(seed)
  const fs = new SimFs()
  const store = await KvStore.open(
    path,
    { ...limits, maxBytes: 64 * 1024, compactRatio: 2, compactMinBytes: 4096 },
    silent,
    fs,
  )
  fs.crashAfter(crashAfterOps, mode, rnd)
  const calls: Call[] = []
  for (let round = 0; round < 200 && !fs.crashed; round++) {
    const burst: Promise<unknown>[] = []
    for (let n = 1 + Math.floor(rnd() * 6); n > 0; n--) {
      const key = `k${Math.floor(rnd() * 12)}`
      const call: Call = {
        key,
        value: rnd() < 0.2 ? null : `${seed}.${round}.${n}`.padEnd(rnd() * 900, '#'),
        outcome: 'pending',
      }
      calls.push(call)
      const p = call.value === null ? store.delete(key) : store.set(key, call.value)
      burst.push(
        p.then(
          () => {
            call.outcome = 'acked'
          },
          (err: PyError) => {
            call.outcome = err.pyClass === 'OSError' ? 'failed' : 'refused'
          },
        ),
      )
    }
    await Promise.all(burst)
  }
  const midCompaction = fs.files().has(`${path}.tmp`)
  await store.close()
  return {
    calls,
    disk: fs.afterCrash(),
    crashed: fs.crashed,
    midCompaction,
    compactions: store.stats.compactions,
  }
}

describe('KvStore through power loss', () => {
  it.each([
    'drop',
    'torn',
    'holes',
  ] as const)('%s: a crash at a random moment loses no acknowledged write', async (mode) => {
    let crashes = 0
    let midCompaction = 0
    for (let seed = 1; seed <= 25; seed++) {
      const run = await crashRun(seed * 7919, 20 + ((seed * 37) % 400), mode)
      if (run.crashed) crashes++
      if (run.midCompaction) midCompaction++
      const after = await KvStore.open(path, limits, silent, run.disk)
      for (let k = 0; k < 12; k++) {
        const key = `k${k}`
        const held = (await after.exists(key)) ? ((await after.get(key)) as string) : null
        expect(allowed(run.calls, key), `seed ${seed}, ${key}`).toContain(held)
      }
    }
    expect(crashes).toBe(25)
    expect(midCompaction).toBeGreaterThan(0)
  })

  it('a crash at each single step of a compaction under writes loses nothing', async () => {
    const clean = await compactionScenario(new SimFs())
    expect(clean.compactions).toBeGreaterThan(0)
    for (let k = 1; k <= clean.steps; k++) {
      const fs = new SimFs()
      const { calls } = await compactionScenario(fs, k)
      const after = await KvStore.open(path, limits, silent, fs.afterCrash())
      for (const key of new Set(calls.map((c) => c.key))) {
        const held = (await after.exists(key)) ? ((await after.get(key)) as string) : null
        expect(allowed(calls, key), `crash at step ${k}, ${key}`).toContain(held)
      }
    }
  })
})

/**
 * The fixed scenario: 10 live keys and churn that triggers compactions, with writes during
 * them; the power goes `crashAt` file operations after the store opened (never, if undefined).
 */
async function compactionScenario(fs: SimFs, crashAt?: number) {
  const store = await KvStore.open(path, { ...limits, compactRatio: 2, compactMinBytes: 4096 }, silent, fs)
  const opened = fs.ops
  if (crashAt !== undefined) fs.crashAfter(crashAt, 'drop')
  const calls: Call[] = []
  const all: Promise<unknown>[] = []
  for (let i = 0; i < 60; i++) {
    const call: Call = { key: `k${i % 10}`, value: `${i}`.padEnd(200, '-'), outcome: 'pending' }
    calls.push(call)
    const p = store.set(call.key, call.value as string).then(
      () => {
        call.outcome = 'acked'
      },
      () => {
        call.outcome = 'failed'
      },
    )
    all.push(p)
    if (i % 3 === 0) await p
  }
  await Promise.all(all)
  await store.close()
  return { calls, steps: fs.ops - opened, compactions: store.stats.compactions }
}
