/**
 * How a run is judged: each netlab figure beside its baselines (throughput ratio and server
 * CPU per exchange), and issue 18's targets, each met, missed or not measured.
 * The steps themselves are bench/suite.ts.
 */
import { type Comparison, type Measurement, measurementKey, type TargetResult } from './result.ts'
import { buildSuite, PY_MPCONN, type Step, type Subject } from './suite.ts'

// ---- comparisons and targets -------------------------------------------------------------

const round3 = (n: number) => Math.round(n * 1000) / 1000
const baselinesOf = (all: readonly Measurement[], id: string) =>
  all.filter((m) => m.id === id && m.role === 'baseline')

/** cpuRatio is netlab's server CPU per exchange over the baseline's; null when either is missing. */
export function cpuRatio(n: Measurement, b: Measurement | undefined): number | null {
  const nc = n.cpu?.perOpUs
  const bc = b?.cpu?.perOpUs
  return nc !== undefined && bc !== undefined && bc > 0 ? round3(nc / bc) : null
}

/**
 * compare pairs every netlab measurement with each baseline of the same id (one comparison
 * per pair; one without a baseline when it has none), with the throughput ratio (netlab /
 * baseline; for the POST breakdown, baseline / netlab end-to-end time) and the CPU ratio.
 */
export function compare(all: readonly Measurement[]): Comparison[] {
  const out: Comparison[] = []
  for (const n of all) {
    if (n.role !== 'netlab') continue
    const byLatency = n.id === 'http.post-data'
    const baselines = baselinesOf(all, n.id)
    for (const b of baselines.length > 0 ? baselines : [undefined]) {
      let ratio: number | null = null
      if (b && byLatency) {
        const nt = n.extra.endToEndMs ?? 0
        const bt = b.extra.endToEndMs ?? 0
        ratio = nt > 0 && bt > 0 ? round3(bt / nt) : null
      } else if (b && b.throughput > 0 && n.ops > 0) ratio = round3(n.throughput / b.throughput)
      out.push({
        id: n.id,
        title: n.title,
        netlab: measurementKey(n),
        ...(b ? { baseline: measurementKey(b) } : {}),
        ratio,
        basis: byLatency ? 'latency' : 'throughput',
        cpuRatio: b ? cpuRatio(n, b) : null,
      })
    }
  }
  return out
}

/** Verdict is a target's outcome on one run: met (null: not measured) and what was measured. */
export interface Verdict {
  readonly met: boolean | null
  readonly figure: string
}

/** Target is one of the targets: which figure it judges, and how. */
export interface Target {
  readonly id: string
  readonly text: string
  readonly judge: (all: readonly Measurement[]) => Verdict
}

const NOT_MEASURED: Verdict = { met: null, figure: 'not measured' }
const rate = (m: Measurement) => `${Math.round(m.throughput).toLocaleString('en-US').replaceAll(',', ' ')}/s`
const find = (all: readonly Measurement[], id: string, subject: string) =>
  all.find((m) => m.id === id && m.subject === subject)
const netlabOf = (all: readonly Measurement[], id: string) =>
  all.find((m) => m.id === id && m.role === 'netlab' && m.ops > 0)

/** ratioTarget: netlab's throughput at least `min` times the baseline's. */
function ratioTarget(id: string, baseline: Subject, min: number): Target {
  return {
    id,
    text: `>= ${min}x ${baseline.name}`,
    judge: (all) => {
      const n = netlabOf(all, id)
      const b = find(all, id, baseline.name)
      if (!n || !b || b.ops === 0 || b.throughput === 0) return NOT_MEASURED
      const r = n.throughput / b.throughput
      return { met: r >= min, figure: `${r.toFixed(2)}x (${rate(n)} vs ${rate(b)})` }
    },
  }
}

/** cpuTarget: netlab's server CPU per exchange at most `max` times the baseline's. */
function cpuTarget(id: string, baseline: Subject, max: number): Target {
  return {
    id,
    text: `server CPU/exchange <= ${max}x ${baseline.name}`,
    judge: (all) => {
      const n = netlabOf(all, id)
      const b = find(all, id, baseline.name)
      const r = n && b ? cpuRatio(n, b) : null
      if (!n || !b || r === null) return NOT_MEASURED
      return {
        met: r <= max,
        figure: `${r.toFixed(2)}x (${n.cpu?.perOpUs.toFixed(1)} µs vs ${b.cpu?.perOpUs.toFixed(1)} µs)`,
      }
    },
  }
}

/** The figures judged against their Node baseline: every 32-way step that has one. */
export const C32_NODE_TARGET_MIN = 0.95
export const CPU_TARGET_MAX = 1.1
export const SEED_TARGET_MIN = 10
/** Where each seed Python server is judged (≥10x); mp-connection has its own 2x. */
export const SEED_TARGET_STEPS: readonly string[] = [
  'tcp.upper.c32',
  'tcp.echo.c32',
  'udp.ctime.c32',
  'http.data.c32',
  'http.get.c32',
  'rpc.xmlrpc.c8',
]

/** buildTargets lists the targets over the suite. Tests never assert them; the bench reports them. */
export function buildTargets(steps: readonly Step[] = buildSuite()): Target[] {
  const targets: Target[] = []
  for (const s of steps) {
    if (s.concurrency !== 32) continue
    const nodeBase = s.subjects.find((x) => x.family === 'node')
    if (!nodeBase) continue
    const min = s.id === 'rpc.jsonrpc-tcp.c32' ? 1.0 : C32_NODE_TARGET_MIN
    targets.push(ratioTarget(s.id, nodeBase, min), cpuTarget(s.id, nodeBase, CPU_TARGET_MAX))
  }
  targets.push({
    id: 'rpc.jsonrpc-tcp.c32',
    text: '>= 50 000 calls/s',
    judge: (all) => {
      const n = netlabOf(all, 'rpc.jsonrpc-tcp.c32')
      return n ? { met: n.throughput >= 50_000, figure: rate(n) } : NOT_MEASURED
    },
  })
  targets.push({ ...ratioTarget('rpc.mpconn.c8', PY_MPCONN, 2), text: `>= 2x ${PY_MPCONN.name} (seed)` })
  targets.push({
    id: 'http.post-data',
    text: 'seed 000 POST: end-to-end (pack + transfer + unpack) median <= 50 ms',
    judge: (all) => {
      const n = netlabOf(all, 'http.post-data')
      const ms = n?.extra.endToEndMs
      return n && ms !== undefined ? { met: ms <= 50, figure: `${ms.toFixed(1)} ms` } : NOT_MEASURED
    },
  })
  for (const id of SEED_TARGET_STEPS) {
    const step = steps.find((s) => s.id === id)
    const seedBase = step?.subjects.find((x) => x.family === 'seed')
    if (seedBase) targets.push(ratioTarget(id, seedBase, SEED_TARGET_MIN))
  }
  targets.push({
    id: 'tcp.upper.c1',
    text: 'RTT p50 <= 1.5x sockperf TCP ping-pong p50 (same run)',
    judge: (all) => {
      const n = netlabOf(all, 'tcp.upper.c1')
      const ping = all.find((m) => m.id === 'network.tcp.pingpong' && m.role === 'limit')?.latency
      if (!n?.latency || !ping || ping.p50Us === 0) return NOT_MEASURED
      const r = n.latency.p50Us / ping.p50Us
      return {
        met: r <= 1.5,
        figure: `${r.toFixed(2)}x (${Math.round(n.latency.p50Us)} µs vs ${Math.round(ping.p50Us)} µs)`,
      }
    },
  })
  return targets
}

/** judgeTargets judges every target on a run's figures; `judge: false` (a smoke run) leaves each `met` null. */
export function judgeTargets(all: readonly Measurement[], opts: { judge: boolean }): TargetResult[] {
  return buildTargets().map((t) => {
    const v = t.judge(all)
    return { id: t.id, text: t.text, figure: v.figure, met: opts.judge ? v.met : null }
  })
}
