/**
 * The dashboard's model of the lab, built only from what the services serve on the lab
 * network: each scrape of a service's /metrics (prom-text.ts) becomes its counters; two
 * scrapes in a row give rates (per second) and the mean latency over the interval; the last
 * HISTORY_POINTS intervals feed the page's charts. A service whose /health stops answering
 * (DOWN_AFTER_MISSES polls in a row) is `down`, and that change is an event of its own.
 */
import { byLabel, type Sample, sum } from './prom-text.ts'

/** How many intervals each service's chart keeps (one a poll: two minutes at 1 s). */
export const HISTORY_POINTS = 120
/**
 * Polls in a row that /health must miss before a service is shown down: one slow answer on a
 * busy machine is not an outage (two misses take at most 2 × (poll + timeout): 3.6 s by default).
 */
export const DOWN_AFTER_MISSES = 2
/** How many recent events the lab keeps. */
export const EVENTS_KEPT = 50

/** Counters are a service's totals since it started, from one scrape. */
export interface Counters {
  readonly requests: number
  readonly requestErrors: number
  readonly errors: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly connectionsActive: number
  readonly connectionsAccepted: number
  readonly connectionsRefused: number
  readonly udpDrops: number
  readonly toxicsApplied: number
  readonly latencySum: number
  readonly latencyCount: number
  readonly budgetUsedBytes: number
  readonly budgetLimitBytes: number
  readonly warnings: number
}

/** countersOf reads the netlab_ families out of one scrape. */
export function countersOf(samples: readonly Sample[]): Counters {
  return {
    requests: sum(samples, 'netlab_requests_total'),
    requestErrors: sum(samples, 'netlab_requests_total', { outcome: 'error' }),
    errors: sum(samples, 'netlab_errors_total'),
    bytesIn: sum(samples, 'netlab_received_bytes_total'),
    bytesOut: sum(samples, 'netlab_sent_bytes_total'),
    connectionsActive: sum(samples, 'netlab_connections_active'),
    connectionsAccepted: sum(samples, 'netlab_connections_accepted_total'),
    connectionsRefused: sum(samples, 'netlab_connections_refused_total'),
    udpDrops: sum(samples, 'netlab_udp_drops_total'),
    toxicsApplied: sum(samples, 'netlab_toxics_applied_total'),
    latencySum: sum(samples, 'netlab_request_duration_seconds_sum'),
    latencyCount: sum(samples, 'netlab_request_duration_seconds_count'),
    budgetUsedBytes: sum(samples, 'netlab_memory_budget_bytes', { state: 'used' }),
    budgetLimitBytes: sum(samples, 'netlab_memory_budget_bytes', { state: 'limit' }),
    warnings: sum(samples, 'netlab_log_events_total'),
  }
}

/** errorCodes lists a scrape's errors by code, largest first. */
export function errorCodes(samples: readonly Sample[]): { code: string; count: number }[] {
  return Object.entries(byLabel(samples, 'netlab_errors_total', 'code'))
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count)
}

/** Rates are per second over the interval between two scrapes. */
export interface Rates {
  readonly requestsPerSecond: number
  readonly errorsPerSecond: number
  readonly bytesInPerSecond: number
  readonly bytesOutPerSecond: number
  /** mean request time over the interval, ms; null when no request finished in it */
  readonly latencyMs: number | null
}

/** A counter that went down means the service restarted: count from zero. */
const delta = (before: number, after: number) => (after >= before ? after - before : after)

/** ratesBetween computes rates from two scrapes `seconds` apart. */
export function ratesBetween(before: Counters, after: Counters, seconds: number): Rates {
  const per = (k: keyof Counters) => (seconds > 0 ? delta(before[k], after[k]) / seconds : 0)
  const n = delta(before.latencyCount, after.latencyCount)
  return {
    requestsPerSecond: per('requests'),
    errorsPerSecond: per('errors'),
    bytesInPerSecond: per('bytesIn'),
    bytesOutPerSecond: per('bytesOut'),
    latencyMs: n > 0 ? (delta(before.latencySum, after.latencySum) / n) * 1000 : null,
  }
}

/** LabEvent is a recent warn/error line of a service, or a change the dashboard saw. */
export interface LabEvent {
  readonly time: string
  readonly service: string
  readonly level: string
  readonly msg: string
  readonly code?: string
}

/** Port is a container port with its protocol and an example command. */
export interface Port {
  readonly port: number
  readonly protocol: 'tcp' | 'udp'
  readonly what: string
}

/** Poll is what one poll of a service learnt; undefined fields: that request failed. */
export interface Poll {
  readonly at: number
  readonly health?: { readonly startedAt: string; readonly uptimeSeconds: number; readonly workers: number }
  readonly samples?: readonly Sample[]
  readonly events?: readonly { time: string; level: string; msg: string; code?: string }[]
  /** the service's own protocol check (probes.ts) */
  readonly probe?: { readonly ok: boolean; readonly detail: string }
}

/** ServiceView is one service as GET /api/lab and the page show it. */
export interface ServiceView {
  readonly service: string
  readonly state: 'up' | 'down' | 'unknown'
  readonly health: 'healthy' | 'unhealthy' | 'unknown'
  readonly healthDetail: string
  readonly startedAt: string | null
  readonly uptimeSeconds: number | null
  readonly workers: number | null
  readonly ports: readonly Port[]
  readonly example: string
  readonly counters: Counters | null
  readonly errorCodes: readonly { code: string; count: number }[]
  readonly rates: Rates | null
  readonly history: readonly { t: number; rps: number; latencyMs: number | null }[]
  readonly lastSeen: string | null
}

/** ServiceTrack follows one service across polls. */
export class ServiceTrack {
  readonly service: string
  readonly ports: readonly Port[]
  readonly example: string
  #state: ServiceView['state'] = 'unknown'
  #health: ServiceView['health'] = 'unknown'
  #healthDetail = 'not polled yet'
  #last: { at: number; counters: Counters } | undefined
  #rates: Rates | null = null
  #codes: ServiceView['errorCodes'] = []
  #info: Poll['health']
  #infoAt = 0
  #lastSeen: number | undefined
  #misses = 0
  #wasUp = false
  readonly #history: { t: number; rps: number; latencyMs: number | null }[] = []
  readonly #seenEvents = new Set<string>()

  constructor(service: string, ports: readonly Port[], example: string) {
    this.service = service
    this.ports = ports
    this.example = example
  }

  get state(): ServiceView['state'] {
    return this.#state
  }

  /** update takes one poll's results; returns the events it brought (new log lines, state changes). */
  update(poll: Poll): LabEvent[] {
    const events: LabEvent[] = []
    const at = new Date(poll.at).toISOString()
    this.#misses = poll.health ? 0 : this.#misses + 1
    const state = poll.health ? 'up' : this.#misses >= DOWN_AFTER_MISSES ? 'down' : this.#state
    // a change is an event once the service has been seen up (not the lab starting)
    if (state !== this.#state && this.#wasUp)
      events.push({
        time: at,
        service: this.service,
        level: state === 'up' ? 'info' : 'error',
        msg: state === 'up' ? 'service is back up' : 'service is down: its /health does not answer',
        code: state === 'up' ? 'UP' : 'DOWN',
      })
    this.#state = state
    if (state === 'up') this.#wasUp = true
    if (poll.health) {
      this.#info = poll.health
      this.#infoAt = poll.at
      this.#lastSeen = poll.at
    }
    if (state === 'down') {
      this.#health = 'unhealthy'
      this.#healthDetail = 'no answer on :9464/health'
      this.#rates = null
    } else if (poll.probe) {
      this.#health = poll.probe.ok ? 'healthy' : 'unhealthy'
      this.#healthDetail = poll.probe.detail
    }
    if (poll.samples) {
      const counters = countersOf(poll.samples)
      this.#codes = errorCodes(poll.samples)
      if (this.#last) {
        this.#rates = ratesBetween(this.#last.counters, counters, (poll.at - this.#last.at) / 1000)
        this.#history.push({
          t: poll.at,
          rps: this.#rates.requestsPerSecond,
          latencyMs: this.#rates.latencyMs,
        })
        if (this.#history.length > HISTORY_POINTS) this.#history.shift()
      }
      this.#last = { at: poll.at, counters }
    }
    for (const e of poll.events ?? []) {
      const key = `${e.time}\u0000${e.msg}`
      if (this.#seenEvents.has(key)) continue
      this.#seenEvents.add(key)
      events.push({
        time: e.time,
        service: this.service,
        level: e.level,
        msg: e.msg,
        ...(e.code ? { code: e.code } : {}),
      })
    }
    // the service keeps its last 50 per thread: forget keys it can no longer send
    if (this.#seenEvents.size > 2000) this.#seenEvents.clear()
    return events
  }

  view(now: number): ServiceView {
    const up = this.#state === 'up' && this.#info !== undefined
    return {
      service: this.service,
      state: this.#state,
      health: this.#health,
      healthDetail: this.#healthDetail,
      startedAt: up ? (this.#info?.startedAt ?? null) : null,
      uptimeSeconds:
        up && this.#info ? Math.round(this.#info.uptimeSeconds + (now - this.#infoAt) / 1000) : null,
      workers: up ? (this.#info?.workers ?? null) : null,
      ports: this.ports,
      example: this.example,
      counters: this.#last?.counters ?? null,
      errorCodes: this.#codes,
      rates: this.#rates,
      history: [...this.#history],
      lastSeen: this.#lastSeen ? new Date(this.#lastSeen).toISOString() : null,
    }
  }
}

/** LabView is GET /api/lab. */
export interface LabView {
  readonly generatedAt: string
  readonly services: readonly ServiceView[]
  readonly events: readonly LabEvent[]
}

/** Lab is every service's track and the merged recent events. */
export class Lab {
  readonly tracks: readonly ServiceTrack[]
  readonly #events: LabEvent[] = []

  constructor(tracks: readonly ServiceTrack[]) {
    this.tracks = tracks
  }

  /** record adds events, keeping the newest EVENTS_KEPT in time order. */
  record(events: readonly LabEvent[]): void {
    if (events.length === 0) return
    this.#events.push(...events)
    this.#events.sort((a, b) => a.time.localeCompare(b.time))
    if (this.#events.length > EVENTS_KEPT) this.#events.splice(0, this.#events.length - EVENTS_KEPT)
  }

  view(now = Date.now()): LabView {
    return {
      generatedAt: new Date(now).toISOString(),
      services: this.tracks.map((t) => t.view(now)),
      events: [...this.#events].reverse(),
    }
  }
}
