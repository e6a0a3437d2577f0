/**
 * The bench suite: every load shape (a Step), who is measured under it (netlab and its
 * baseline, by compose service name), and how results become comparisons and the suite's
 * targets. Pure data and arithmetic: the load generator (bench/load/main.ts) runs the
 * steps, the host (bench/main.ts) calls `compare` on what came back.
 *
 * A netlab figure and its baseline share the step's `id`; netlab and each baseline listen
 * on the same port numbers, so one generator drives both with only the host changed.
 */
import { DEFAULT_ITEMS, dataDocument } from '../protocols/seed-documents.ts'
import { type Comparison, type Measurement, measurementKey } from './result.ts'

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
  readonly role: 'netlab' | 'baseline'
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
} as const

const netlab = (host: string, authkey?: 'netlab'): Subject => ({
  name: 'netlab',
  role: 'netlab',
  host,
  ...(authkey ? { authkey } : {}),
})
const NODE_NET: Subject = { name: 'node net', role: 'baseline', host: HOSTS.nodeNet }
const NODE_DGRAM: Subject = { name: 'node dgram', role: 'baseline', host: HOSTS.nodeDgram }
const NODE_HTTP: Subject = { name: 'node http', role: 'baseline', host: HOSTS.nodeHttp }
const PY_XMLRPC: Subject = { name: 'python SimpleXMLRPCServer', role: 'baseline', host: HOSTS.pyrpc }
const PY_MPCONN: Subject = {
  name: 'python mp-connection',
  role: 'baseline',
  host: HOSTS.pyrpc,
  authkey: 'baseline',
}

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

/** The concurrencies the suite drives, per group; the loss sweep's rates in datagrams/s. */
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
  'jsonrpc-tcp': [],
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
        subjects: [netlab(HOSTS.tcp), NODE_NET],
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
        subjects: [netlab(HOSTS.udp), NODE_DGRAM],
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
  const gets = [
    { name: 'data', path: '/data/', expectBytes: DATA_BYTES, what: `GET /data/ (${DATA_BYTES} B)` },
    { name: 'get', path: '/get', what: 'GET /get (JSON echo)' },
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
        subjects: [netlab(HOSTS.http), NODE_HTTP],
      })
  steps.push({
    id: 'http.post-data',
    group: 'http',
    title: 'HTTP POST /data/ 3.2 MB (100 000 items): pack + transfer + unpack',
    concurrency: 1,
    unit: 'req/s',
    load: { kind: 'http-post-data', port: 8080 },
    subjects: [netlab(HOSTS.http), NODE_HTTP],
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

/** Target is one of the suite's targets: which figure it judges, and how. */
export interface Target {
  readonly id: string
  readonly text: string
  /** true/false, or null when a figure it needs is missing */
  readonly judge: (
    netlab: Measurement,
    baseline: Measurement | undefined,
    all: readonly Measurement[],
  ) => boolean | null
}

const limit = (all: readonly Measurement[], id: string) => all.find((m) => m.id === id && m.role === 'limit')
const ratioAtLeast = (min: number) => (n: Measurement, b: Measurement | undefined) =>
  b && b.throughput > 0 ? n.throughput / b.throughput >= min : null

/** The targets. Tests never assert them; the bench reports them. */
export const TARGETS: readonly Target[] = [
  { id: 'tcp.upper.c32', text: '>= 1.2x node net at 32 connections', judge: ratioAtLeast(1.2) },
  {
    id: 'tcp.upper.c1',
    text: 'RTT p50 <= 1.5x sockperf TCP ping-pong p50 (same run)',
    judge: (n, _b, all) => {
      const ping = limit(all, 'network.tcp.pingpong')?.latency
      if (!ping || !n.latency || ping.p50Us === 0) return null
      return n.latency.p50Us <= 1.5 * ping.p50Us
    },
  },
  {
    id: 'udp.ctime.c32',
    text: '>= 1.0x node dgram at 32 senders, zero loss',
    judge: (n, b) => {
      const r = ratioAtLeast(1.0)(n, b)
      return r === null ? null : r && n.errors === 0
    },
  },
  { id: 'http.data.c32', text: '>= 0.8x node http at 32 connections', judge: ratioAtLeast(0.8) },
  {
    id: 'http.post-data',
    text: 'end to end (pack + transfer + unpack) median <= 50 ms',
    judge: (n) => (n.ops > 0 && n.extra.endToEndMs !== undefined ? n.extra.endToEndMs <= 50 : null),
  },
  { id: 'rpc.xmlrpc.c8', text: '>= 5x python SimpleXMLRPCServer at 8 clients', judge: ratioAtLeast(5) },
  { id: 'rpc.mpconn.c8', text: '>= 2x python mp-connection RPC at 8 clients', judge: ratioAtLeast(2) },
  {
    id: 'rpc.jsonrpc-tcp.c32',
    text: '>= 50 000 calls/s at 32 clients',
    judge: (n) => (n.ops > 0 ? n.throughput >= 50_000 : null),
  },
]

const round3 = (n: number) => Math.round(n * 1000) / 1000

/**
 * compare pairs every netlab measurement with its baseline (same id), computes the ratio
 * (netlab / baseline throughput; for the POST breakdown, baseline / netlab end-to-end time),
 * and judges the targets; `judge: false` (a smoke run) leaves every target's `met` null.
 */
export function compare(all: readonly Measurement[], opts: { judge: boolean }): Comparison[] {
  const out: Comparison[] = []
  for (const n of all) {
    if (n.role !== 'netlab') continue
    const b = all.find((m) => m.id === n.id && m.role === 'baseline')
    const byLatency = n.id === 'http.post-data'
    let ratio: number | null = null
    if (b && byLatency) {
      const nt = n.extra.endToEndMs ?? 0
      const bt = b.extra.endToEndMs ?? 0
      ratio = nt > 0 && bt > 0 ? round3(bt / nt) : null
    } else if (b && b.throughput > 0) ratio = round3(n.throughput / b.throughput)
    const target = TARGETS.find((t) => t.id === n.id)
    out.push({
      id: n.id,
      title: n.title,
      netlab: measurementKey(n),
      ...(b ? { baseline: measurementKey(b) } : {}),
      ratio,
      basis: byLatency ? 'latency' : 'throughput',
      ...(target ? { target: { text: target.text, met: opts.judge ? target.judge(n, b, all) : null } } : {}),
    })
  }
  return out
}
