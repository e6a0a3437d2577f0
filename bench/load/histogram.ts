/**
 * LatencyRecorder wraps an HDR histogram (hdr-histogram-js, pure JS, 3 significant digits):
 * every figure of the bench records its round trips here, in nanoseconds, and reports them
 * as the result file's Latency (microseconds). Values above the trackable maximum (60 s)
 * are clamped to it, so one stuck request cannot throw away the whole step.
 */
import { build, type Histogram } from 'hdr-histogram-js'
import type { Latency } from '../result.ts'

const MAX_TRACKABLE_NS = 60_000_000_000

/** LatencyRecorder collects round-trip times; `recordMs` takes a performance.now() difference. */
export class LatencyRecorder {
  readonly #h: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKABLE_NS,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  })

  /** recordMs records one round trip of `ms` milliseconds (negative values count as 0). */
  recordMs(ms: number): void {
    const ns = Math.round(ms * 1e6)
    this.#h.recordValue(ns < 1 ? 1 : ns > MAX_TRACKABLE_NS ? MAX_TRACKABLE_NS : ns)
  }

  /** merge adds another recorder's values (one recorder per connection, merged at the end). */
  merge(other: LatencyRecorder): void {
    this.#h.add(other.#h)
  }

  get count(): number {
    return this.#h.totalCount
  }

  /** summary is the Latency of everything recorded, in µs rounded to 0.1 µs. */
  summary(): Latency {
    return summarize(this.#h)
  }
}

const us = (ns: number): number => Math.round(ns / 100) / 10

/** summarize turns a histogram of nanoseconds into a Latency in microseconds. */
export function summarize(h: Histogram): Latency {
  if (h.totalCount === 0) return { count: 0, meanUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, maxUs: 0 }
  return {
    count: h.totalCount,
    meanUs: us(h.mean),
    p50Us: us(h.getValueAtPercentile(50)),
    p90Us: us(h.getValueAtPercentile(90)),
    p99Us: us(h.getValueAtPercentile(99)),
    maxUs: us(h.maxValue),
  }
}
