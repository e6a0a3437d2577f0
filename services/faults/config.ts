/** The faults service's configuration: every FAULTS_* variable, its default, bounds and unit. */
import { z } from 'zod'
import {
  type ConfigOf,
  type Env,
  hostVar,
  intVar,
  loadConfig,
  logLevelVar,
  memoryBudgetVar,
  portVar,
  shutdownGraceVar,
  stringVar,
  type VarSpec,
} from '../../lib/config.ts'
import { type AllowEntry, parseAllowEntry } from './upstream-policy.ts'

/** allowListVar is a comma-separated list of host names, addresses and CIDRs (at most 256). */
function allowListVar(name: string, doc: string): VarSpec<readonly AllowEntry[]> {
  const schema = z
    .string()
    .default('')
    .transform((text, ctx) => {
      const entries: AllowEntry[] = []
      for (const item of text.split(',').map((x) => x.trim())) {
        if (item === '') continue
        const entry = parseAllowEntry(item)
        if (entry) entries.push(entry)
        else ctx.addIssue({ code: 'custom', message: `bad entry ${item}` })
      }
      return entries
    })
    .pipe(z.array(z.custom<AllowEntry>()).max(256))
  return {
    name,
    doc,
    expected: 'comma-separated host names, addresses and CIDRs (e.g. example.test,10.9.0.0/16,fd00::/8)',
    schema,
    defaultText: '(none)',
  }
}

export const faultsConfigSpec = {
  host: hostVar('FAULTS_HOST', 'address the control API binds to', '0.0.0.0'),
  apiPort: portVar('FAULTS_API_PORT', 'toxiproxy-compatible HTTP control API', 8474),
  configFile: stringVar(
    'FAULTS_CONFIG',
    'JSON file of proxies created at start, like `toxiproxy -config` (the image ships proxies.json)',
    { default: '' },
  ),
  maxProxies: intVar('FAULTS_MAX_PROXIES', 'proxies at once; one more is refused with 400', {
    default: 64,
    min: 1,
    max: 1024,
  }),
  maxToxics: intVar('FAULTS_MAX_TOXICS', 'toxics per proxy; one more is refused with 400', {
    default: 16,
    min: 1,
    max: 256,
  }),
  maxConnections: intVar(
    'FAULTS_MAX_CONNECTIONS',
    'concurrent TCP connections per proxy; over it a new connection is closed at once',
    { default: 1000, min: 1, max: 100_000 },
  ),
  maxBufferedBytes: intVar(
    'FAULTS_MAX_BUFFERED_BYTES',
    'bytes a TCP connection may hold per direction while toxics delay them; over it reading pauses',
    { default: 262_144, min: 1024, max: 67_108_864, unit: 'bytes' },
  ),
  maxUdpSessions: intVar(
    'FAULTS_MAX_UDP_SESSIONS',
    'UDP client address:port pairs per proxy, each with its own upstream socket; over it datagrams of new clients are dropped',
    { default: 1024, min: 1, max: 65_536 },
  ),
  udpSessionIdleMs: intVar(
    'FAULTS_UDP_SESSION_IDLE_MS',
    'a UDP session whose upstream has sent nothing for this long is closed; the next datagram opens a new one (and resolves the upstream again)',
    { default: 10_000, min: 100, max: 3_600_000, unit: 'ms' },
  ),
  maxUdpQueue: intVar(
    'FAULTS_MAX_UDP_QUEUE',
    'datagrams a UDP proxy may hold for latency and reorder; over it they are dropped',
    { default: 10_000, min: 1, max: 1_000_000 },
  ),
  maxUdpFanout: intVar(
    'FAULTS_MAX_UDP_FANOUT',
    'datagrams one datagram may become on one stream of a UDP proxy: the product of its duplicate toxics (copies + 1 each); a toxic that would pass it is refused with 400 FANOUT_LIMIT',
    { default: 1000, min: 1, max: 100_000 },
  ),
  tcpConnectTimeoutMs: intVar(
    'FAULTS_TCP_CONNECT_TIMEOUT_MS',
    'how long a TCP proxy waits for its upstream to resolve and accept a connection; then the client is closed',
    { default: 10_000, min: 100, max: 600_000, unit: 'ms' },
  ),
  tcpIdleTimeoutMs: intVar(
    'FAULTS_TCP_IDLE_TIMEOUT_MS',
    'a proxied TCP connection on which no byte has moved either way for this long is closed (toxics that hold data count as idle: keep it above their delays)',
    { default: 600_000, min: 100, max: 86_400_000, unit: 'ms' },
  ),
  allowedUpstreams: allowListVar(
    'FAULTS_ALLOWED_UPSTREAMS',
    'upstreams a proxy may use besides the containers of the lab network (opt-in; a warning is logged at start)',
  ),
  memoryBudgetBytes: memoryBudgetVar(
    'FAULTS_MEMORY_BUDGET_BYTES',
    'bytes all proxies may hold in flight: datagrams held, delayed or being sent, TCP chunks queued, delayed or being written, 128 KiB per TCP connection; over it datagrams are dropped, reading pauses and new connections are closed',
  ),
  maxDelayMs: intVar(
    'FAULTS_MAX_DELAY_MS',
    'largest latency, jitter, timeout or delay attribute a toxic may have',
    { default: 600_000, min: 1, max: 3_600_000, unit: 'ms' },
  ),
  shutdownGraceMs: shutdownGraceVar(
    'on SIGTERM, how long open connections may take to finish before they are destroyed',
    5000,
  ),
  logLevel: logLevelVar,
} as const

/** FaultsConfig is the validated, frozen configuration of the faults service. */
export type FaultsConfig = ConfigOf<typeof faultsConfigSpec>

/** loadFaultsConfig reads the FAULTS_* variables; throws ConfigError naming every bad one. */
export function loadFaultsConfig(env: Env): FaultsConfig {
  return loadConfig(faultsConfigSpec, env)
}
