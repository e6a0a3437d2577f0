import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { MAX_BUDGET_BYTES, MemoryBudget } from '../../../lib/memory-budget.ts'

describe('MemoryBudget', () => {
  it('reserves up to the limit and refuses beyond it, counting refusals', () => {
    const budget = MemoryBudget.create(100)
    expect(budget.tryReserve(60)).toBe(true)
    expect(budget.tryReserve(40)).toBe(true)
    expect(budget.tryReserve(1)).toBe(false)
    budget.release(50)
    expect(budget.tryReserve(51)).toBe(false)
    expect(budget.tryReserve(50)).toBe(true)
    expect(budget.snapshot()).toEqual({ limitBytes: 100, usedBytes: 100, peakBytes: 100, refusals: 2 })
  })

  it('refuses a reservation larger than the whole budget without touching the count', () => {
    const budget = MemoryBudget.create(10)
    expect(budget.tryReserve(11)).toBe(false)
    expect(budget.tryReserve(2 ** 40)).toBe(false)
    expect(budget.usedBytes).toBe(0)
  })

  it('rejects a limit it cannot count', () => {
    expect(() => MemoryBudget.create(0)).toThrow(RangeError)
    expect(() => MemoryBudget.create(MAX_BUDGET_BYTES + 1)).toThrow(RangeError)
  })

  it('keeps the peak after release', () => {
    const budget = MemoryBudget.create(1000)
    const hold = budget.hold(700)
    hold?.release()
    budget.hold(10)
    expect(budget.snapshot()).toMatchObject({ usedBytes: 10, peakBytes: 700 })
  })

  it('a Hold grows within the budget, shrinks, and releases once', () => {
    const budget = MemoryBudget.create(100)
    const hold = budget.hold(30)
    expect(hold).toBeDefined()
    expect(hold?.grow(60)).toBe(true)
    expect(hold?.grow(20)).toBe(false)
    expect(hold?.bytes).toBe(90)
    hold?.shrink(40)
    expect(budget.usedBytes).toBe(50)
    hold?.release()
    hold?.release()
    expect(budget.usedBytes).toBe(0)
    expect(budget.hold(101)).toBeUndefined()
  })

  it('waitForRoom resolves when another holder releases, and false on timeout', async () => {
    const budget = MemoryBudget.create(100)
    const hold = budget.hold(100)
    expect(await budget.waitForRoom(10, 20)).toBe(false)
    setTimeout(() => hold?.release(), 10)
    expect(await budget.waitForRoom(10, 1000)).toBe(true)
  })

  it('waitForRoom lets many waiters go in the order they came, only as many as the room takes', async () => {
    const budget = MemoryBudget.create(100)
    const hold = budget.hold(100)
    const order: number[] = []
    const waits = Array.from({ length: 200 }, (_, i) =>
      budget.waitForRoom(30, 5000).then((ok) => {
        // each reader, let go, reads: it takes its 30, and gives them back soon after
        if (ok && budget.tryReserve(30)) {
          order.push(i)
          setTimeout(() => budget.release(30), 20)
        }
        return ok
      }),
    )
    hold?.shrink(65) // room for two of 30 at a time
    expect((await Promise.all(waits)).every(Boolean)).toBe(true)
    // every waiter let go found its room (none woken for nothing), first come first served
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  it('waitForRoom gives up when its signal aborts', async () => {
    const budget = MemoryBudget.create(10)
    budget.tryReserve(10)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 10)
    expect(await budget.waitForRoom(5, 10_000, controller.signal)).toBe(false)
  })

  it('is one budget across worker threads: concurrent reservations never pass the limit', async () => {
    const budget = MemoryBudget.create(1000)
    // The workers run the real module (Node strips its types), attached to the same buffer.
    const moduleUrl = new URL('../../../lib/memory-budget.ts', import.meta.url).href
    const source = `
      const { workerData, parentPort } = require('node:worker_threads')
      import(workerData.moduleUrl).then(({ MemoryBudget }) => {
        const budget = MemoryBudget.attach(workerData.buffer)
        let granted = 0
        for (let i = 0; i < 20000; i++) {
          if (budget.tryReserve(3)) {
            granted++
            if (budget.usedBytes > 1000) throw new Error('over the limit')
            budget.release(3)
          }
        }
        parentPort.postMessage(granted)
      })
    `
    const workers = [0, 1].map(
      () => new Worker(source, { eval: true, workerData: { buffer: budget.buffer, moduleUrl } }),
    )
    let mainGranted = 0
    for (let i = 0; i < 20000; i++) {
      if (budget.tryReserve(7)) {
        mainGranted++
        expect(budget.usedBytes).toBeLessThanOrEqual(1000)
        budget.release(7)
      }
    }
    const granted = await Promise.all(
      workers.map(
        (w) => new Promise<number>((resolve, reject) => w.once('message', resolve).once('error', reject)),
      ),
    )
    expect(mainGranted + granted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    expect(budget.usedBytes).toBe(0)
    expect(MemoryBudget.attach(budget.buffer).limitBytes).toBe(1000)
  })

  it("counts each thread in its own slot, and gives a dead thread's holdings back", () => {
    const main = MemoryBudget.create(100, { threads: 2 })
    const a = MemoryBudget.attach(main.buffer, { thread: 0 })
    const b = MemoryBudget.attach(main.buffer, { thread: 1 })
    expect(a.tryReserve(30)).toBe(true)
    expect(b.tryReserve(50)).toBe(true)
    a.release(10)
    expect([main.threadUsedBytes(0), main.threadUsedBytes(1), main.usedBytes]).toEqual([20, 50, 70])
    expect(main.releaseThread(1)).toBe(50) // thread 1 died holding 50
    expect([main.threadUsedBytes(1), main.usedBytes]).toEqual([0, 20])
    expect(main.releaseThread(1)).toBe(0)
    expect(() => MemoryBudget.attach(main.buffer, { thread: 2 })).toThrow(RangeError)
  })

  it('keeps a thread within its own limit as well as the budget', () => {
    const main = MemoryBudget.create(100, { threads: 1 })
    const t = MemoryBudget.attach(main.buffer, { thread: 0, threadLimitBytes: 40 })
    expect(t.fits(40)).toBe(true)
    expect(t.canEverFit(41)).toBe(false)
    expect(t.tryReserve(30)).toBe(true)
    expect(t.tryReserve(11)).toBe(false) // 41 in this thread
    expect(main.tryReserve(70)).toBe(true) // the main thread has no thread limit
    expect(t.fits(1)).toBe(false)
  })

  it('counts bytes that cannot be refused even past the limit, and then refuses everything else', () => {
    const budget = MemoryBudget.create(100)
    const hold = budget.hold(90)
    hold?.growAnyway(30)
    expect(budget.snapshot()).toMatchObject({ usedBytes: 120, peakBytes: 120 })
    expect(budget.tryReserve(1)).toBe(false)
    expect(budget.fits(1)).toBe(false)
    hold?.release()
    expect(budget.usedBytes).toBe(0)
  })

  it('a Hold resizes to an exact figure, up within the budget or down', () => {
    const budget = MemoryBudget.create(100)
    const hold = budget.hold(10)
    expect(hold?.resize(80)).toBe(true)
    expect(hold?.resize(101)).toBe(false)
    expect(hold?.bytes).toBe(80)
    expect(hold?.resize(5)).toBe(true)
    expect(budget.usedBytes).toBe(5)
  })

  it('tells its releases to onRelease (garbage collection after large ones)', () => {
    const released: number[] = []
    const budget = MemoryBudget.create(100, { onRelease: (n) => released.push(n) })
    budget.hold(40)?.release()
    const hold = budget.hold(30)
    hold?.shrink(10)
    hold?.release()
    expect(released).toEqual([40, 10, 20])
  })
})
