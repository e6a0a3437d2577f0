/**
 * bandwidth (TCP): limits a stream to `rate` KB/s (1 KB = 1000 bytes, as toxiproxy).
 * A chunk is split into pieces of at most 100 ms worth of bytes, and each piece is sent
 * when the stream's byte budget allows it: pacing follows the clock, so sleep overshoot
 * does not lower the rate. `rate` 0 means no limit.
 */
import { z } from 'zod'
import { defineToxic, sleep } from './toxic.ts'

/** BandwidthPiece is a slice of a chunk and when to send it, relative to the stream's pacing clock. */
export interface BandwidthPiece {
  readonly start: number
  readonly end: number
  /** ms after the previous piece's send time this one may go */
  readonly afterMs: number
}

/**
 * bandwidthPlan splits `bytes` for `rateKBps`: pieces of at most rate × 100 bytes, each
 * taking bytes / rate ms (KB/s is bytes per ms).
 */
export function bandwidthPlan(bytes: number, rateKBps: number): BandwidthPiece[] {
  if (rateKBps <= 0) return [{ start: 0, end: bytes, afterMs: 0 }]
  const max = Math.max(1, rateKBps * 100)
  const pieces: BandwidthPiece[] = []
  for (let start = 0; start < bytes; start += max) {
    const end = Math.min(bytes, start + max)
    pieces.push({ start, end, afterMs: (end - start) / rateKBps })
  }
  return pieces
}

export const bandwidthToxic = defineToxic({
  type: 'bandwidth',
  doc: 'limit the stream to rate KB/s',
  attributes: () => z.object({ rate: z.number().int().min(0).max(10_000_000).default(0) }).strict(),
  tcp: (a) => {
    let clock = performance.now()
    return {
      async pipe(chunk, next, signal) {
        for (const piece of bandwidthPlan(chunk.data.length, a.rate)) {
          clock = Math.max(clock, performance.now()) + piece.afterMs
          await sleep(clock - performance.now(), signal)
          await next({ data: chunk.data.subarray(piece.start, piece.end), receivedAt: chunk.receivedAt })
        }
      },
      dispose: () => undefined,
    }
  },
})
