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
})
