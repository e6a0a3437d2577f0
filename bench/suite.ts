/**
 * The bench suite: every load shape (a Step), who is measured under it (netlab and its
 * baseline, by compose service name), and how results become comparisons and the issue's
 * targets. Pure data and arithmetic: the load generator (bench/load/main.ts) runs the
 * steps, the host (bench/main.ts) calls `compare` on what came back.
 *
 * A netlab figure and its baseline share the step's `id`; netlab and each baseline listen
 * on the same port numbers, so one generator drives both with only the host changed.
 */
import { DEFAULT_ITEMS, dataDocument } from '../services/http/routes/data.ts'
import { type Comparison, type Measurement, measurementKey, type TargetResult } from './result.ts'

/** Group is a result file's group: network, tcp, udp, http or rpc. */
export type Group = Measurement['group']
/** RpcVia is the RPC protocol a step calls over. */
export type RpcVia = 'xmlrpc' | 'jsonrpc-http' | 'jsonrpc-tcp' | 'mpconn'

/** Load is what one step does to one subject. */
export type Load =
  | { readonly kind: 'tcp'; readonly proto: 'upper' | 'echo' | 'cmd'; readonly port: number }
  | { readonly kind: 'udp'; readonly proto: 'ctime' | 'probe'; readonly port: number }
  | { readonly kind: 'udp-loss'; readonly ratePps: number; readonly port: number }
  | { readonly kind: 'http-get'; readonly path: string; readonly port: number; readonly expectBytes?: number }
  | { readonly kind: 'http-post-data'; readonly port: number }
  | { readonly kind: 'rpc'; readonly via: RpcVia; readonly port: number }

/** Subject is one server measured under a step: a compose service on the lab network. */
export interface Subject {
  readonly name: string
  /** 'variant': netlab's own image with another setting (the threads-scaling figures) */
  readonly role: 'netlab' | 'baseline' | 'variant'
  /** a baseline's family: the minimal Node servers, or the seeds' own Python servers */
  readonly family?: 'node' | 'seed'
  /** compose service name (its DNS name on the lab network) */
  readonly host: string
  /** which authkey an mp-connection subject expects */
  readonly authkey?: 'netlab' | 'baseline'
}

/** Step is one load shape: its id (shared by netlab and its baseline), load and subjects. */
export interface Step {
  readonly id: string
  readonly group: Group
  readonly title: string
  readonly concurrency: number
  readonly unit: Measurement['unit']
  readonly load: Load
  readonly subjects: readonly Subject[]
}

/** The compose services the load generator may target. */
export const HOSTS = {
  tcp: 'tcp',
  udp: 'udp',
  http: 'http',
  rpc: 'rpc',
  nodeNet: 'baseline-net',
  nodeDgram: 'baseline-dgram',
  nodeHttp: 'baseline-http',
  pyrpc: 'baseline-pyrpc',
  pyseeds: 'baseline-pyseeds',
  flask: 'baseline-flask',
  httpbin: 'baseline-httpbin',
  tcpW1: 'tcp-w1',
  tcpW2: 'tcp-w2',
  httpW1: 'http-w1',
  httpW2: 'http-w2',
} as const

const netlab = (host: string, authkey?: 'netlab'): Subject => ({
  name: 'netlab',
  role: 'netlab',
  host,
  ...(authkey ? { authkey } : {}),
})
const node = (name: string, host: string): Subject => ({ name, role: 'baseline', family: 'node', host })
const seed = (name: string, host: string): Subject => ({ name, role: 'baseline', family: 'seed', host })
const NODE_NET = node('node net', HOSTS.nodeNet)
const NODE_DGRAM = node('node dgram', HOSTS.nodeDgram)
const NODE_HTTP = node('node http', HOSTS.nodeHttp)
const PY_XMLRPC = seed('python SimpleXMLRPCServer', HOSTS.pyrpc)
const PY_MPCONN: Subject = { ...seed('python mp-connection', HOSTS.pyrpc), authkey: 'baseline' }
/** The seeds' own socket and HTTP servers (bench/baselines/python/). */
export const SEED_SUBJECTS = {
  upper: seed('python ThreadingTCPServer upper (seed 003)', HOSTS.pyseeds),
  echo: seed('python ThreadingTCPServer echo (seed 004)', HOSTS.pyseeds),
  ctime: seed('python UDPServer ctime (seed 004)', HOSTS.pyseeds),
  flask: seed('python Flask dev server (seed 000)', HOSTS.flask),
  httpbin: seed('python httpbin + gunicorn (seed 004)', HOSTS.httpbin),
} as const
const variant = (name: string, host: string): Subject => ({ name, role: 'variant', host })
/** The threads-scaling figures: netlab's images with 1 and 2 worker threads (the lab is the default). */
export const WORKER_VARIANTS = {
  tcp: [variant('netlab TCP_WORKERS=1', HOSTS.tcpW1), variant('netlab TCP_WORKERS=2', HOSTS.tcpW2)],
  http: [variant('netlab HTTP_WORKERS=1', HOSTS.httpW1), variant('netlab HTTP_WORKERS=2', HOSTS.httpW2)],
} as const
/** The step each service's threads-scaling figures are measured under. */
export const THREADS_STEPS = { tcp: 'tcp.upper.c32', http: 'http.get.c32' } as const

/** 64 bytes of lower-case ASCII: the TCP round trips' payload (upper-cased, it stays 64 bytes). */
export const TCP_PAYLOAD = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01'
/** The cmd step's 64-byte request line and its reply. */
export const CMD_REQUEST = `UPPER ${TCP_PAYLOAD.slice(0, 57)}\n`
export const CMD_REPLY = `OK ${TCP_PAYLOAD.slice(0, 57).toUpperCase()}\n`

/** GET /data/'s body length, for checking every response. */
export const DATA_BYTES = Buffer.byteLength(dataDocument(DEFAULT_ITEMS))
/** The seed page the HTTP steps fetch, and its exact body. */
export const HELLO_PATH = '/hello/x'
export const HELLO_BODY = '<h1>hello, x!</h1>'

/** The concurrencies the issue lists, per group; the loss sweep's rates in datagrams/s. */
export const TCP_CONNECTIONS = [1, 32, 256] as const
export const UDP_SENDERS = [1, 32] as const
export const LOSS_RATES_PPS = [1000, 4000, 16_000] as const
export const HTTP_CONNECTIONS = [32, 256] as const
export const RPC_CLIENTS = [1, 8, 32] as const

const RPC_PORTS: Readonly<Record<RpcVia, number>> = {
  xmlrpc: 15000,
  'jsonrpc-http': 15000,
  'jsonrpc-tcp': 15001,
  mpconn: 17000,
}
const RPC_TITLES: Readonly<Record<RpcVia, string>> = {
  xmlrpc: 'XML-RPC add (POST /RPC2)',
  'jsonrpc-http': 'JSON-RPC add over HTTP (POST /jsonrpc)',
  'jsonrpc-tcp': 'JSON-RPC add over TCP (one line each)',
  mpconn: 'mp-connection RPC add (double pickle)',
}
const RPC_BASELINES: Readonly<Record<RpcVia, readonly Subject[]>> = {
  xmlrpc: [PY_XMLRPC],
  'jsonrpc-http': [],
  'jsonrpc-tcp': [NODE_NET],
  mpconn: [PY_MPCONN],
}

/** buildSuite lists every step in run order: network limit aside (bench/netlimit.ts), tcp, udp, http, rpc. */
export function buildSuite(): Step[] {
  const steps: Step[] = []
  for (const proto of ['upper', 'echo'] as const)
    for (const c of TCP_CONNECTIONS)
      steps.push({
        id: `tcp.${proto}.c${c}`,
        group: 'tcp',
        title: `TCP ${proto}, 64 B round trips, ${c} connection${c === 1 ? '' : 's'}`,
        concurrency: c,
        unit: 'ops/s',
        load: { kind: 'tcp', proto, port: proto === 'upper' ? 9999 : 20000 },
        subjects: [
          netlab(HOSTS.tcp),
          NODE_NET,
          ...(c === 32 ? [SEED_SUBJECTS[proto]] : []),
          ...(`tcp.${proto}.c${c}` === THREADS_STEPS.tcp ? WORKER_VARIANTS.tcp : []),
        ],
      })
  steps.push({
    id: 'tcp.cmd.c32',
    group: 'tcp',
    title: 'TCP cmd UPPER, 64 B request lines, 32 connections',
    concurrency: 32,
    unit: 'ops/s',
    load: { kind: 'tcp', proto: 'cmd', port: 9998 },
    subjects: [netlab(HOSTS.tcp), NODE_NET],
  })
  for (const proto of ['ctime', 'probe'] as const)
    for (const c of UDP_SENDERS)
      steps.push({
        id: `udp.${proto}.c${c}`,
        group: 'udp',
        title: `UDP ${proto === 'ctime' ? 'time (ctime)' : 'probe'} request/response, ${c} sender${c === 1 ? '' : 's'}, 1 in flight each`,
        concurrency: c,
        unit: 'ops/s',
        load: { kind: 'udp', proto, port: proto === 'ctime' ? 20000 : 9000 },
        subjects: [
          netlab(HOSTS.udp),
          NODE_DGRAM,
          ...(proto === 'ctime' && c === 32 ? [SEED_SUBJECTS.ctime] : []),
        ],
      })
  for (const ratePps of LOSS_RATES_PPS)
    steps.push({
      id: `udp.loss.r${ratePps}`,
      group: 'udp',
      title: `UDP probe loss at ${ratePps} datagrams/s (open loop)`,
      concurrency: 1,
      unit: 'ops/s',
      load: { kind: 'udp-loss', ratePps, port: 9000 },
      subjects: [netlab(HOSTS.udp), NODE_DGRAM],
    })
  const gets: ReadonlyArray<{
    name: string
    path: string
    expectBytes?: number
    what: string
    seed?: Subject
  }> = [
    {
      name: 'data',
      path: '/data/',
      expectBytes: DATA_BYTES,
      what: `GET /data/ (${DATA_BYTES} B)`,
      seed: SEED_SUBJECTS.flask,
    },
    { name: 'get', path: '/get', what: 'GET /get (JSON echo)', seed: SEED_SUBJECTS.httpbin },
    {
      name: 'hello',
      path: HELLO_PATH,
      expectBytes: Buffer.byteLength(HELLO_BODY),
      what: `GET ${HELLO_PATH}`,
    },
  ]
  for (const g of gets)
    for (const c of HTTP_CONNECTIONS)
      steps.push({
        id: `http.${g.name}.c${c}`,
        group: 'http',
        title: `HTTP ${g.what}, keep-alive, ${c} connections`,
        concurrency: c,
        unit: 'req/s',
        load: {
          kind: 'http-get',
          path: g.path,
          port: 8080,
          ...(g.expectBytes === undefined ? {} : { expectBytes: g.expectBytes }),
        },
        subjects: [
          netlab(HOSTS.http),
          NODE_HTTP,
          ...(g.seed && c === 32 ? [g.seed] : []),
          ...(`http.${g.name}.c${c}` === THREADS_STEPS.http ? WORKER_VARIANTS.http : []),
        ],
      })
  steps.push({
    id: 'http.post-data',
    group: 'http',
    title: 'HTTP POST /data/ 3.2 MB (100 000 items): pack + transfer + unpack',
    concurrency: 1,
    unit: 'req/s',
    load: { kind: 'http-post-data', port: 8080 },
    subjects: [netlab(HOSTS.http), NODE_HTTP, SEED_SUBJECTS.flask],
  })
  for (const via of ['xmlrpc', 'jsonrpc-http', 'jsonrpc-tcp', 'mpconn'] as const)
    for (const c of RPC_CLIENTS)
      steps.push({
        id: `rpc.${via}.c${c}`,
        group: 'rpc',
        title: `${RPC_TITLES[via]}, ${c} client${c === 1 ? '' : 's'}`,
        concurrency: c,
        unit: 'calls/s',
        load: { kind: 'rpc', via, port: RPC_PORTS[via] },
        subjects: [netlab(HOSTS.rpc, via === 'mpconn' ? 'netlab' : undefined), ...RPC_BASELINES[via]],
      })
  return steps
}

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
