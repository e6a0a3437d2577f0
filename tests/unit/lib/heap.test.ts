/**
 * A pool worker's heap limits, and the collections it forces after large releases of its
 * budget (lib/heap.ts): at most one per threshold of released bytes, and only while the
 * process's resident memory is past the floor; below it V8's own collections do the work.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  createGarbageCollector,
  eagerGcRssFloorBytes,
  gcRssFloorBytes,
  WORKER_BASELINE_BYTES,
  WORKER_YOUNG_GENERATION_MB,
  watchHeapGrowth,
  workerResourceLimits,
} from '../../../lib/heap.ts'

const MiB = 1024 * 1024

function collector(rssBytes: { value: number }) {
  const calls: unknown[] = []
  const onRelease = createGarbageCollector(100, 1000, {
    rss: () => rssBytes.value,
    gc: (options) => calls.push(options),
  })
  return { onRelease, calls }
}

describe('createGarbageCollector', () => {
  it('forces nothing while resident memory is at or under the floor, however much is released', async () => {
    const rss = { value: 1000 }
    const { onRelease, calls } = collector(rss)
    for (let i = 0; i < 50; i++) onRelease(60)
    await nextTurn()
    expect(calls).toEqual([])
  })

  it('forces one major collection per threshold released once resident memory is past the floor', async () => {
    const rss = { value: 1001 }
    const { onRelease, calls } = collector(rss)
    onRelease(60)
    await nextTurn()
    expect(calls).toEqual([])
    onRelease(60) // 120 ≥ 100: one collection, on the next turn
    onRelease(99) // counting again from 0: under the threshold
    expect(calls).toEqual([])
    await nextTurn()
    expect(calls).toEqual([{ type: 'major', execution: 'async' }])
    rss.value = 500 // the memory came back: the next threshold passes without one
    onRelease(1) // 99 + 1
    await nextTurn()
    expect(calls).toHaveLength(1)
    rss.value = 2000
    onRelease(100)
    await nextTurn()
    expect(calls).toHaveLength(2)
  })

  it('puts the floor at the budget plus one thread of baseline: half the container with the default budget', () => {
    expect(gcRssFloorBytes(192 * MiB)).toBe(192 * MiB + WORKER_BASELINE_BYTES)
    expect(gcRssFloorBytes(192 * MiB)).toBe((512 * MiB) / 2)
  })
})

describe('workerResourceLimits', () => {
  it('sizes a worker heap from the budget, with a young generation inside its baseline', () => {
    expect(workerResourceLimits(192 * MiB)).toEqual({
      maxOldGenerationSizeMb: 192 + WORKER_BASELINE_BYTES / MiB,
      maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
    })
    expect(WORKER_YOUNG_GENERATION_MB * MiB).toBeLessThan(WORKER_BASELINE_BYTES)
  })
})

describe('eagerGcRssFloorBytes', () => {
  it("is half the budget: below the default floor and what a service holds at rest, so RPC's threads always collect", () => {
    expect(eagerGcRssFloorBytes(192 * MiB)).toBe(96 * MiB)
    expect(eagerGcRssFloorBytes(192 * MiB)).toBeLessThan(gcRssFloorBytes(192 * MiB))
  })
})

describe('watchHeapGrowth', () => {
  it('collects once the heap has grown by the threshold from the least it was seen, then starts again', async () => {
    const heap = { used: 100 * MiB }
    const calls: unknown[] = []
    const stop = watchHeapGrowth(48 * MiB, {
      intervalMs: 5,
      used: () => heap.used,
      gc: (o) => {
        calls.push(o)
        heap.used = 110 * MiB // what survived
      },
    })
    const tick = () => new Promise((resolve) => setTimeout(resolve, 20))
    heap.used = 60 * MiB // smaller: the new least
    await tick()
    heap.used = 100 * MiB // 40 MiB over the least: not yet
    await tick()
    expect(calls).toEqual([])
    heap.used = 120 * MiB // 60 MiB over it
    await tick()
    expect(calls).toEqual([{ type: 'major', execution: 'sync' }])
    heap.used = 150 * MiB // 40 MiB over what survived
    await tick()
    expect(calls).toHaveLength(1)
    stop()
    heap.used = 1000 * MiB
    await tick()
    expect(calls).toHaveLength(1)
  })
})
