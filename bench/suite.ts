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
import type { Measurement } from './result.ts'

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
export const PY_MPCONN: Subject = { ...seed('python mp-connection', HOSTS.pyrpc), authkey: 'baseline' }
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
