import { describe, expect, it } from 'vitest'
import { SharedCounters, type StatsSnapshot } from '../../../../services/tcp/counters.ts'

const zero: StatsSnapshot = {
  active: 0,
  accepted: 0,
  busyRejected: 0,
  commands: 0,
  commandErrors: 0,
  backpressureCuts: 0,
  acceptedPerWorker: [0, 0, 0],
}

describe('SharedCounters', () => {
  it('starts at zero, with one accepted count per worker', () => {
    expect(new SharedCounters(3).snapshot()).toEqual(zero)
  })

  it.each([1, 2, 5])('lets at most max=%i connections in, then refuses and counts the refusals', (max) => {
    const counters = new SharedCounters(1)
    const ids = Array.from({ length: max + 2 }, () => counters.tryAcquire(max, 0))
    expect(ids).toEqual([...Array.from({ length: max }, (_, i) => i + 1), 0, 0])
    expect(counters.snapshot()).toEqual({
      ...zero,
      active: max,
      accepted: max,
      busyRejected: 2,
      acceptedPerWorker: [max],
    })
  })

  it('frees a slot on release, and the next connection gets a new, larger id', () => {
    const counters = new SharedCounters(1)
    expect([counters.tryAcquire(2, 0), counters.tryAcquire(2, 0), counters.tryAcquire(2, 0)]).toEqual([
      1, 2, 0,
    ])
    counters.release(0)
    expect(counters.tryAcquire(2, 0)).toBe(3)
    expect(counters.tryAcquire(2, 0)).toBe(0)
    counters.release(0)
    counters.release(0)
    expect(counters.snapshot()).toEqual({
      ...zero,
      active: 0,
      accepted: 3,
      busyRejected: 2,
      acceptedPerWorker: [3],
    })
  })

  it('gives unique, increasing ids across workers and counts each worker separately', () => {
    const counters = new SharedCounters(3)
    const workers = [0, 2, 2, 1, 2, 0]
    const ids = workers.map((w) => counters.tryAcquire(100, w))
    expect(ids).toEqual([1, 2, 3, 4, 5, 6])
    expect(counters.snapshot()).toEqual({ ...zero, active: 6, accepted: 6, acceptedPerWorker: [2, 1, 3] })
  })

  it('counts commands, command errors and backpressure cuts', () => {
    const counters = new SharedCounters(3)
    for (const ok of [true, true, false, true]) counters.countCommand(ok)
    counters.countBackpressureCut()
    expect(counters.snapshot()).toEqual({ ...zero, commands: 3, commandErrors: 1, backpressureCuts: 1 })
  })

  it('shares every value with a second SharedCounters on the same buffer, both ways', () => {
    const a = new SharedCounters(2)
    const b = new SharedCounters(2, a.buffer)
    expect(b.buffer).toBe(a.buffer)
    expect(a.tryAcquire(2, 0)).toBe(1)
    expect(b.tryAcquire(2, 1)).toBe(2)
    expect(a.tryAcquire(2, 0)).toBe(0)
    b.countCommand(true)
    a.countCommand(false)
    a.countBackpressureCut()
    b.release(0)
    const expected: StatsSnapshot = {
      active: 1,
      accepted: 2,
      busyRejected: 1,
      commands: 1,
      commandErrors: 1,
      backpressureCuts: 1,
      acceptedPerWorker: [1, 1],
    }
    expect(a.snapshot()).toEqual(expected)
    expect(b.snapshot()).toEqual(expected)
  })
})
