/**
 * Memory trend: does a container's resident memory keep growing? A garbage-collected process
 * saw-tooths and warms up (JIT, pools, buffers), so the first half of a run is ignored and
 * growth counts as unbounded only when both hold over the second half:
 *   - the least-squares slope exceeds `maxSlopeMiBPerMin`, and
 *   - the last sample exceeds the first sample of that half by more than `maxGrowthMiB`.
 * The second rule keeps a short run's noisy slope from failing it; the first keeps a single
 * late spike (a GC that has not run yet) from doing so.
 */

/** Point is one memory reading: seconds since the start, bytes. */
export interface Point {
  readonly t: number
  readonly bytes: number
}

/** TrendLimits are the thresholds of "grows without bound". */
export interface TrendLimits {
  readonly maxSlopeMiBPerMin: number
  readonly maxGrowthMiB: number
}

/** The soak's defaults: 8 MiB/min and 32 MiB (a leak of one 4 KiB buffer per request at 40 req/s is ~9 MiB/min). */
export const DEFAULT_TREND_LIMITS: TrendLimits = { maxSlopeMiBPerMin: 8, maxGrowthMiB: 32 }

/** Trend summarises one container's memory over a run. */
export interface Trend {
  readonly firstMiB: number
  readonly lastMiB: number
  readonly maxMiB: number
  /** least-squares slope over the second half, MiB per minute */
  readonly slopeMiBPerMin: number
  /** last minus the first sample of the second half, MiB */
  readonly growthMiB: number
  readonly unbounded: boolean
}

const MiB = 1024 * 1024

/** slope is the least-squares slope of bytes over t (bytes per second); 0 for fewer than 2 points. */
export function slope(points: readonly Point[]): number {
  const n = points.length
  if (n < 2) return 0
  const mt = points.reduce((a, p) => a + p.t, 0) / n
  const mb = points.reduce((a, p) => a + p.bytes, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.t - mt) * (p.bytes - mb)
    den += (p.t - mt) ** 2
  }
  return den === 0 ? 0 : num / den
}

const round1 = (n: number) => Math.round(n * 10) / 10

/** trend judges a run's samples (in time order) against `limits`. */
export function trend(points: readonly Point[], limits: TrendLimits = DEFAULT_TREND_LIMITS): Trend {
  if (points.length === 0) throw new Error('no memory samples')
  const half = points.slice(Math.floor(points.length / 2))
  const first = points[0] as Point
  const last = points.at(-1) as Point
  const halfFirst = half[0] as Point
  const slopeMiBPerMin = (slope(half) * 60) / MiB
  const growthMiB = (last.bytes - halfFirst.bytes) / MiB
  return {
    firstMiB: round1(first.bytes / MiB),
    lastMiB: round1(last.bytes / MiB),
    maxMiB: round1(Math.max(...points.map((p) => p.bytes)) / MiB),
    slopeMiBPerMin: round1(slopeMiBPerMin),
    growthMiB: round1(growthMiB),
    unbounded: slopeMiBPerMin > limits.maxSlopeMiBPerMin && growthMiB > limits.maxGrowthMiB,
  }
}
