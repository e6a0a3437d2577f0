/**
 * rate (UDP): a token bucket per proxy stream (shared by all its clients) allowing
 * `packets` datagrams/s and `rate` KB/s (1 KB = 1000 bytes; 0 = no limit on that measure),
 * with one second's worth as burst. A datagram over the limit is dropped, as a router's
 * policer does: UDP has no backpressure to slow the sender. Toxicity is the probability
 * that a datagram is subject to the limit.
 */
import { z } from 'zod'
import { defineToxic } from './toxic.ts'

/** TokenBucket holds up to `perSecond` tokens, refilled continuously. */
export class TokenBucket {
  readonly perSecond: number
  #tokens: number
  #at: number

  constructor(perSecond: number, nowMs: number) {
    this.perSecond = perSecond
    this.#tokens = perSecond
    this.#at = nowMs
  }

  /** take removes `n` tokens if they are there; false means over the limit */
  take(n: number, nowMs: number): boolean {
    this.#tokens = Math.min(this.perSecond, this.#tokens + ((nowMs - this.#at) / 1000) * this.perSecond)
    this.#at = nowMs
    if (this.#tokens < n) return false
    this.#tokens -= n
    return true
  }
}

export const rateToxic = defineToxic({
  type: 'rate',
  doc: 'allow packets datagrams/s and rate KB/s (0: no limit), drop beyond',
  attributes: () =>
    z
      .object({
        packets: z.number().int().min(0).max(10_000_000).default(0),
        rate: z.number().int().min(0).max(10_000_000).default(0),
      })
      .strict(),
  udp: (a) => {
    let packets: TokenBucket | undefined
    let bytes: TokenBucket | undefined
    return {
      apply(d, nowMs) {
        packets ??= a.packets > 0 ? new TokenBucket(a.packets, nowMs) : undefined
        bytes ??= a.rate > 0 ? new TokenBucket(a.rate * 1000, nowMs) : undefined
        const ok = (packets?.take(1, nowMs) ?? true) && (bytes?.take(d.data.length, nowMs) ?? true)
        return ok ? [d] : []
      },
    }
  },
})
