/** RequestHold keeps the budget's last eighth for small requests: large ones are refused first. */
import { describe, expect, it } from 'vitest'
import { MemoryBudget } from '../../../../lib/memory-budget.ts'
import { RequestHold, SMALL_HOLD_BYTES } from '../../../../services/rpc/transports/request-hold.ts'

describe('RequestHold', () => {
  const MiB = 1 << 20

  it('lets large holds take seven eighths of the budget, and small ones the rest', () => {
    const budget = MemoryBudget.create(8 * MiB)
    const large = new RequestHold(budget)
    expect(large.grow(7 * MiB)).toBe(true)
    expect(new RequestHold(budget).grow(SMALL_HOLD_BYTES + 1)).toBe(false)
    const smalls = Array.from({ length: 16 }, () => new RequestHold(budget))
    expect(smalls.every((h) => h.grow(SMALL_HOLD_BYTES))).toBe(true) // 16 × 64 KiB = the last MiB
    expect(new RequestHold(budget).grow(1)).toBe(false) // nothing left at all
    large.release()
    for (const h of smalls) h.release()
    expect(budget.usedBytes).toBe(0)
  })

  it('a small hold that grows large is held to the same rule', () => {
    const budget = MemoryBudget.create(8 * MiB)
    const other = new RequestHold(budget)
    expect(other.grow(7 * MiB - 1000)).toBe(true)
    const h = new RequestHold(budget)
    expect(h.grow(1000)).toBe(true) // still small
    expect(h.grow(SMALL_HOLD_BYTES)).toBe(false) // now large, and the reserve is not for it
    expect(h.bytes).toBe(1000)
  })

  it('waitForRoom waits until a large hold could be granted, reserve included', async () => {
    const budget = MemoryBudget.create(8 * MiB)
    const other = new RequestHold(budget)
    other.grow(7 * MiB)
    const h = new RequestHold(budget)
    expect(await h.waitForRoom(MiB, 60)).toBe(false)
    setTimeout(() => other.shrink(MiB), 20)
    expect(await h.waitForRoom(MiB, 1000)).toBe(true)
    expect(h.grow(MiB)).toBe(true)
  })
})
