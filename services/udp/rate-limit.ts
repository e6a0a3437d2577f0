/**
 * A token bucket per source address, so the service cannot be used to reflect traffic at
 * a spoofed victim: each source may send `burst` datagrams at once and `perSecond` after
 * that; the rest are dropped unanswered. The table holds at most `maxSources` entries
 * and forgets the least recently seen (a Map keeps insertion order; a hit re-inserts).
 */
export interface RateLimiter {
  /** take spends one token of `source`'s bucket; false means drop. */
  take(source: string, nowMs: number): boolean
  readonly size: number
}

export function createRateLimiter(opts: {
  perSecond: number
  burst: number
  maxSources: number
}): RateLimiter {
  const buckets = new Map<string, { tokens: number; lastMs: number }>()
  return {
    take(source, nowMs) {
      let b = buckets.get(source)
      if (b) {
        buckets.delete(source)
        b.tokens = Math.min(opts.burst, b.tokens + ((nowMs - b.lastMs) / 1000) * opts.perSecond)
        b.lastMs = nowMs
      } else {
        if (buckets.size >= opts.maxSources) buckets.delete(buckets.keys().next().value as string)
        b = { tokens: opts.burst, lastMs: nowMs }
      }
      buckets.set(source, b)
      if (b.tokens < 1) return false
      b.tokens -= 1
      return true
    },
    get size() {
      return buckets.size
    },
  }
}
