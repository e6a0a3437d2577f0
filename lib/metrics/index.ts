/**
 * netlab's metrics: what every service counts, one call per call site. Each thread (the main
 * thread and every worker of lib/worker-pool.ts) counts into its own families (families.ts),
 * without messages or locks; a scrape of /metrics (server.ts) asks each worker for its
 * families over the worker message channel and sums them (AggregatorRegistry.aggregate).
 *
 *   netlab_connections_active{proto}               gauge
 *   netlab_connections_accepted_total{proto}       counter
 *   netlab_connections_refused_total{proto,reason} counter
 *   netlab_requests_total{proto,command,outcome}   counter   outcome: ok | error
 *   netlab_request_duration_seconds{proto}         histogram
 *   netlab_received_bytes_total{proto}             counter
 *   netlab_sent_bytes_total{proto}                 counter
 *   netlab_errors_total{code}                      counter
 *   netlab_udp_drops_total{reason}                 counter
 *   netlab_toxics_applied_total{toxic,stream}      counter
 *   netlab_memory_budget_bytes{state}              gauge     state: used | peak | limit
 *   netlab_memory_budget_refusals_total            counter
 *   netlab_log_events_total{level}                 counter   level: warn | error | fatal
 *
 * Recent warn/error log lines are also kept, the last EVENTS_KEPT per thread, for /events.
 */

import type { BudgetSnapshot } from '../memory-budget.ts'
import { Family, Histogram, type HistogramSeries, type MetricJson, type Series } from './families.ts'

export type { MetricJson } from './families.ts'

const active = new Family('netlab_connections_active', 'Connections open now', 'gauge', ['proto'])
const accepted = new Family('netlab_connections_accepted_total', 'Connections accepted', 'counter', ['proto'])
const refused = new Family('netlab_connections_refused_total', 'Connections refused, by reason', 'counter', [
  'proto',
  'reason',
])
const requests = new Family(
  'netlab_requests_total',
  'Requests (commands, HTTP requests, RPC calls, datagrams) by protocol, command or method, and outcome',
  'counter',
  ['proto', 'command', 'outcome'],
)
const latency = new Histogram(
  'netlab_request_duration_seconds',
  'Time from a request received to its reply sent, by protocol',
  'proto',
)
const received = new Family('netlab_received_bytes_total', 'Bytes received from clients', 'counter', [
  'proto',
])
const sent = new Family('netlab_sent_bytes_total', 'Bytes sent to clients', 'counter', ['proto'])
const errors = new Family('netlab_errors_total', 'Errors answered or met, by code', 'counter', ['code'])
const udpDrops = new Family('netlab_udp_drops_total', 'Datagrams dropped unanswered, by reason', 'counter', [
  'reason',
])
const toxics = new Family(
  'netlab_toxics_applied_total',
  'Toxics applied (to a connection, or to a datagram), by toxic type and stream',
  'counter',
  ['toxic', 'stream'],
)
const logEvents = new Family('netlab_log_events_total', 'Log lines at warn level or above', 'counter', [
  'level',
])

const families = [active, accepted, refused, requests, received, sent, errors, udpDrops, toxics, logEvents]

/**
 * The hot paths count into series handles kept here (Family.series), so an exchange builds
 * no label array and no key: one small table per protocol, and one per request kind. The
 * tables are bounded (HANDLES_KEPT kinds): past it, counting still works, uncached.
 */
const HANDLES_KEPT = 1000

/** ProtoSeries are one protocol's per-protocol series. */
interface ProtoSeries {
  readonly active: Series
  readonly accepted: Series
  readonly received: Series
  readonly sent: Series
  readonly latency: HistogramSeries
}

const byProto = new Map<string, ProtoSeries>()

function protoSeries(proto: string): ProtoSeries {
  let p = byProto.get(proto)
  if (!p) {
    const labels = [proto]
    p = {
      active: active.series(labels),
      accepted: accepted.series(labels),
      received: received.series(labels),
      sent: sent.series(labels),
      latency: latency.series(proto),
    }
    if (byProto.size < HANDLES_KEPT) byProto.set(proto, p)
  }
  return p
}

/** RequestSeries are the ok and error series of one protocol's request kind. */
interface RequestSeries {
  readonly ok: Series
  readonly error: Series
  readonly latency: HistogramSeries
}

/** kinds: protocol → request kind (command, method, `GET /route`) → its series */
const kinds = new Map<string, Map<string, RequestSeries>>()
let kindsKept = 0

function requestSeries(proto: string, command: string): RequestSeries {
  let byCommand = kinds.get(proto)
  if (!byCommand) {
    byCommand = new Map()
    kinds.set(proto, byCommand)
  }
  let r = byCommand.get(command)
  if (!r) {
    r = {
      ok: requests.series([proto, command, 'ok']),
      error: requests.series([proto, command, 'error']),
      latency: protoSeries(proto).latency,
    }
    if (kindsKept < HANDLES_KEPT) {
      byCommand.set(command, r)
      kindsKept++
    }
  }
  return r
}

/** countIn counts one request of a kind; `seconds` (when known) goes to the latency histogram. */
function countIn(r: RequestSeries, ok: boolean, seconds?: number): void {
  if (ok) r.ok.value++
  else r.error.value++
  if (seconds !== undefined) latency.record(r.latency, seconds)
}

/** connectionOpened counts an accepted connection, open until connectionClosed. */
export function connectionOpened(proto: string): void {
  const p = protoSeries(proto)
  p.accepted.value++
  p.active.value++
}

/** connectionClosed counts a connection's end and the bytes it carried (when not counted as they flowed). */
export function connectionClosed(proto: string, bytesIn = 0, bytesOut = 0): void {
  const p = protoSeries(proto)
  p.active.value--
  if (bytesIn > 0) p.received.value += bytesIn
  if (bytesOut > 0) p.sent.value += bytesOut
}

/** connectionRefused counts a connection turned away (busy, budget, policy). */
export function connectionRefused(proto: string, reason: string): void {
  refused.add([proto, reason])
}

/** countRequest counts one request; `seconds` (when known) goes to the latency histogram. */
export function countRequest(proto: string, command: string, ok: boolean, seconds?: number): void {
  countIn(requestSeries(proto, command), ok, seconds)
}

/** countBytes counts bytes received and sent as they flow. */
export function countBytes(proto: string, bytesIn: number, bytesOut: number): void {
  const p = protoSeries(proto)
  if (bytesIn > 0) p.received.value += bytesIn
  if (bytesOut > 0) p.sent.value += bytesOut
}

/** countError counts one error by its code (the protocol's own: BUSY, NOT_FOUND, -32601 ...). */
export function countError(code: string | number): void {
  errors.add([String(code)])
}

/** countUdpDrop counts a datagram dropped unanswered. */
export function countUdpDrop(reason: string): void {
  udpDrops.add([reason])
}

/** countToxic counts a toxic applied to a connection (TCP: once each) or a datagram (UDP). */
export function countToxic(toxic: string, stream: string): void {
  toxics.add([toxic, stream])
}

/** A budget read at each scrape (only the main thread registers one: the buffer is shared). */
let budgetSource: (() => BudgetSnapshot) | undefined

/** trackBudget makes /metrics report this memory budget (lib/memory-budget.ts); returns it. */
export function trackBudget<B extends { snapshot(): BudgetSnapshot }>(budget: B): B {
  budgetSource = () => budget.snapshot()
  return budget
}

function budgetMetrics(): MetricJson[] {
  if (!budgetSource) return []
  const b = budgetSource()
  return [
    {
      name: 'netlab_memory_budget_bytes',
      help: 'The memory budget: bytes held now, the peak, and the limit',
      type: 'gauge',
      aggregator: 'sum',
      values: [
        { value: b.usedBytes, labels: { state: 'used' } },
        { value: b.peakBytes, labels: { state: 'peak' } },
        { value: b.limitBytes, labels: { state: 'limit' } },
      ],
    },
    {
      name: 'netlab_memory_budget_refusals_total',
      help: 'Work refused because the memory budget had no room',
      type: 'counter',
      aggregator: 'sum',
      values: [{ value: b.refusals, labels: {} }],
    },
  ]
}

/** LabEvent is one recent warn/error log line, as /events serves it. */
export interface LabEvent {
  readonly time: string
  readonly level: string
  readonly msg: string
  readonly code?: string
}

/** How many recent events each thread keeps. */
export const EVENTS_KEPT = 50
const events: LabEvent[] = []

/** recordEvent keeps a warn/error line for /events and counts it (lib/log.ts calls it). */
export function recordEvent(level: string, msg: string, code?: unknown): void {
  logEvents.add([level])
  events.push({
    time: new Date().toISOString(),
    level,
    msg,
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
  })
  if (events.length > EVENTS_KEPT) events.shift()
}

/** ThreadReport is one thread's families and recent events. */
export interface ThreadReport {
  readonly metrics: MetricJson[]
  readonly events: LabEvent[]
}

/** threadReport reads this thread's counts (what a worker posts back when asked). */
export function threadReport(): ThreadReport {
  return {
    metrics: [...families.map((f) => f.get()), latency.get(), ...budgetMetrics()],
    events: [...events],
  }
}

/**
 * countCommand counts one line-protocol command: its name (the first word, upper-cased, or
 * `invalid` when it failed), `errorCode` when it failed, and its time since `startedMs`
 * (performance.now()).
 */
export function countCommand(
  proto: string,
  line: string,
  errorCode: string | undefined,
  startedMs: number,
): void {
  const seconds = (performance.now() - startedMs) / 1000
  if (errorCode !== undefined) {
    countError(errorCode)
    countRequest(proto, 'invalid', false, seconds)
    return
  }
  countRequest(proto, commandWord(line), true, seconds)
}

/** commandWord is a line's first word, upper-cased (no copy when it already is). */
function commandWord(line: string): string {
  const space = line.indexOf(' ')
  const word = (space < 0 ? line : line.slice(0, space)).trim()
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i)
    if (c >= 0x61 /* a */ || c < 0x41 /* A */) return word.toUpperCase()
  }
  return word
}

/** countDatagram counts a datagram answered on UDP port `proto`, received at `receivedMs` (the wall clock in ms, as protocols/ntp-time.ts nowMs gives it). */
export function countDatagram(proto: string, bytesIn: number, bytesOut: number, receivedMs: number): void {
  const p = protoSeries(proto)
  countIn(requestSeries(proto, proto), true, (performance.timeOrigin + performance.now() - receivedMs) / 1000)
  p.received.value += bytesIn
  p.sent.value += bytesOut
}

/** countHttp counts one HTTP response: by method and route (the pattern, not the URL), status class and time. */
export function countHttp(
  proto: string,
  method: string,
  route: string | undefined,
  status: number,
  elapsedMs: number,
): void {
  countIn(httpSeries(proto, method, route ?? 'unmatched'), status < 400, elapsedMs / 1000)
}

/** routes: protocol → route → method → its series (no `GET /route` string built per response) */
const routes = new Map<string, Map<string, Map<string, RequestSeries>>>()

function httpSeries(proto: string, method: string, route: string): RequestSeries {
  let byRoute = routes.get(proto)
  if (!byRoute) {
    byRoute = new Map()
    routes.set(proto, byRoute)
  }
  let byMethod = byRoute.get(route)
  if (!byMethod) {
    byMethod = new Map()
    byRoute.set(route, byMethod)
  }
  let r = byMethod.get(method)
  if (!r) {
    // requestSeries keeps it among the request kinds (bounded); this table only when that did
    r = requestSeries(proto, `${method} ${route}`)
    if (kinds.get(proto)?.get(`${method} ${route}`) === r) byMethod.set(method, r)
  }
  return r
}

/**
 * countCall counts a call (begun at `started`, performance.now(), or now) when `result`
 * settles: ok, or failed with the error's `code` (or its name); returns `result` unchanged.
 */
export function countCall<T>(
  proto: string,
  method: string,
  result: Promise<T>,
  started = performance.now(),
): Promise<T> {
  result.then(
    () => countCallEnd(proto, method, started),
    (err: unknown) => countCallEnd(proto, method, started, err),
  )
  return result
}

/**
 * countCallEnd counts a call that began at `started` (performance.now()) and has ended: ok,
 * or, given `err`, failed with its `code` (or its name). For a call that settled without a promise.
 */
export function countCallEnd(
  proto: string,
  method: string,
  started: number,
  ...failed: [err: unknown] | []
): void {
  const seconds = (performance.now() - started) / 1000
  if (failed.length > 0) {
    const err = failed[0]
    const code = (err as { code?: unknown } | null)?.code
    countError(
      typeof code === 'string' || typeof code === 'number' ? code : ((err as Error)?.name ?? 'error'),
    )
  }
  countRequest(proto, method, failed.length === 0, seconds)
}
