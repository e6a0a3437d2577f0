/** The UDP rate limiter (services/udp/rate-limit.ts) on worked examples, with a hand-driven clock. */
import { describe, expect, it } from 'vitest'
import { createRateLimiter } from '../../../../services/udp/rate-limit.ts'

const take = (n: number, f: () => boolean) => Array.from({ length: n }, f)

describe('createRateLimiter', () => {
  it('lets a burst through at once, then refuses', () => {
    const limiter = createRateLimiter({ perSecond: 10, burst: 3, maxSources: 100 })
    expect(take(4, () => limiter.take('a', 0))).toEqual([true, true, true, false])
  })

  it('refills at perSecond: one token every 100 ms at 10/s, never more than the burst', () => {
    const limiter = createRateLimiter({ perSecond: 10, burst: 3, maxSources: 100 })
    take(3, () => limiter.take('a', 0))
    expect(limiter.take('a', 50)).toBe(false)
    expect(limiter.take('a', 150)).toBe(true) // 1.0 token refilled at 100 ms (the refused take at 50 spent none)
    expect(limiter.take('a', 160)).toBe(false)
    // ten seconds idle refill only up to the burst
    expect(take(4, () => limiter.take('a', 10_160))).toEqual([true, true, true, false])
  })

  it('keeps one bucket per source', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, maxSources: 100 })
    expect(limiter.take('a', 0)).toBe(true)
    expect(limiter.take('a', 0)).toBe(false)
    expect(limiter.take('b', 0)).toBe(true)
    expect(limiter.size).toBe(2)
  })

  it('holds at most maxSources and forgets the least recently seen', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, maxSources: 2 })
    limiter.take('a', 0)
    limiter.take('b', 0)
    limiter.take('a', 0) // refused, but a is now the most recently seen
    limiter.take('c', 0) // evicts b
    expect(limiter.size).toBe(2)
    expect(limiter.take('a', 0)).toBe(false) // a kept its empty bucket
    expect(limiter.take('b', 0)).toBe(true) // b was forgotten: a fresh burst (evicting c)
  })

  it('refills at a rate under one a second: 0.5/s is one token every 2 s, counted from the last take', () => {
    const limiter = createRateLimiter({ perSecond: 0.5, burst: 1, maxSources: 100 })
    expect(limiter.take('a', 1_000)).toBe(true)
    expect(limiter.take('a', 2_999)).toBe(false) // 0.9995 of a token
    expect(limiter.take('a', 3_000)).toBe(true)
    // a source that keeps sending while refused still refills: the refused takes spend nothing
    expect(take(3, () => limiter.take('a', 4_000))).toEqual([false, false, false])
    expect(limiter.take('a', 5_000)).toBe(true)
  })
})
