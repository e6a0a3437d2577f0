/**
 * The metric families netlab counts in: plain numbers in a Map per label set, updated on the
 * hot path with one string key and one Map lookup (no label-object hashing, no locks, no
 * messages), and turned into prom-client's JSON form (`get()`) only when scraped. Each thread
 * counts in its own families; lib/metrics/server.ts sums the threads with prom-client's
 * AggregatorRegistry.aggregate.
 *
 * A family holds at most MAX_SERIES label sets: past that, new label values are counted under
 * `other`, so a client inventing method names cannot grow the table without bound.
 */

/** One sample as prom-client's getMetricsAsJSON gives it. */
export interface MetricSample {
  value: number
  labels: Record<string, string | number>
  metricName?: string
}

/** MetricJson is one metric as prom-client's getMetricsAsJSON gives it (the aggregator input). */
export interface MetricJson {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  aggregator: 'sum' | 'max' | 'first'
  values: MetricSample[]
}

/** The most label sets one family keeps; later ones are counted as `other`. */
export const MAX_SERIES = 500
export const OTHER = 'other'

/** Series is one label set's number; a hot caller keeps it and adds to `value` directly. */
export interface Series {
  readonly labels: Record<string, string>
  value: number
}

/** Family is a counter or gauge over a fixed list of label names. */
export class Family {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  readonly labelNames: readonly string[]
  readonly #series = new Map<string, Series>()

  constructor(name: string, help: string, type: 'counter' | 'gauge', labelNames: readonly string[]) {
    this.name = name
    this.help = help
    this.type = type
    this.labelNames = labelNames
  }

  /** add adds `n` to the series of `values` (in labelNames order). */
  add(values: readonly string[], n = 1): void {
    this.series(values).value += n
  }

  /**
   * series is the series of `values` (in labelNames order), created when new: a caller that
   * counts into the same label set on every exchange keeps it, and skips building the key.
   * Series are never removed, so a kept one stays the family's.
   */
  series(values: readonly string[]): Series {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000')
    return this.#series.get(key) ?? this.#create(key, values)
  }

  /** set sets a gauge's series to `n`. */
  set(values: readonly string[], n: number): void {
    const key = values.join('\u0000')
    const s = this.#series.get(key) ?? this.#create(key, values)
    s.value = n
  }

  /** value reads one series (0 when never counted). */
  value(values: readonly string[]): number {
    return this.#series.get(values.join('\u0000'))?.value ?? 0
  }

  #create(key: string, values: readonly string[]): Series {
    const capped = this.#series.size >= MAX_SERIES
    const use = capped ? values.map(() => OTHER) : values
    const useKey = capped ? use.join('\u0000') : key
    let s = this.#series.get(useKey)
    if (!s) {
      s = { labels: Object.fromEntries(this.labelNames.map((n, i) => [n, use[i] ?? ''])), value: 0 }
      this.#series.set(useKey, s)
    }
    return s
  }

  get(): MetricJson {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      values: [...this.#series.values()].map((s) => ({ value: s.value, labels: { ...s.labels } })),
    }
  }
}

/** Latency buckets (seconds): 50 µs to 10 s. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const

/** HistogramSeries is one label value's buckets; a hot caller keeps it (Histogram.series). */
export interface HistogramSeries {
  readonly labels: Record<string, string>
  /** per bucket, not cumulative; the last slot is +Inf */
  readonly counts: Float64Array
  sum: number
  count: number
}

/** Histogram is a Prometheus histogram over one label name, with fixed buckets. */
export class Histogram {
  readonly name: string
  readonly help: string
  readonly labelName: string
  readonly buckets: readonly number[]
  readonly #series = new Map<string, HistogramSeries>()

  constructor(name: string, help: string, labelName: string, buckets: readonly number[] = LATENCY_BUCKETS) {
    this.name = name
    this.help = help
    this.labelName = labelName
    this.buckets = buckets
  }

  /** observe records one value (seconds) for the label value `label`. */
  observe(label: string, seconds: number): void {
    this.record(this.series(label), seconds)
  }

  /** series is the series of `label`, created when new (never removed, so it may be kept). */
  series(label: string): HistogramSeries {
    let s = this.#series.get(label)
    if (!s) {
      const use = this.#series.size >= MAX_SERIES ? OTHER : label
      s = this.#series.get(use)
      if (!s) {
        s = {
          labels: { [this.labelName]: use },
          counts: new Float64Array(this.buckets.length + 1),
          sum: 0,
          count: 0,
        }
        this.#series.set(use, s)
      }
    }
    return s
  }

  /** record records one value (seconds) in a series of this histogram. */
  record(s: HistogramSeries, seconds: number): void {
    let i = 0
    const b = this.buckets
    while (i < b.length && seconds > (b[i] as number)) i++
    ;(s.counts as Float64Array)[i] = (s.counts[i] as number) + 1
    s.sum += seconds
    s.count++
  }

  get(): MetricJson {
    const values: MetricSample[] = []
    for (const s of this.#series.values()) {
      let cumulative = 0
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += s.counts[i] as number
        const le = i < this.buckets.length ? (this.buckets[i] as number) : '+Inf'
        values.push({ value: cumulative, labels: { ...s.labels, le }, metricName: `${this.name}_bucket` })
      }
      values.push({ value: s.sum, labels: { ...s.labels }, metricName: `${this.name}_sum` })
      values.push({ value: s.count, labels: { ...s.labels }, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values }
  }
}
