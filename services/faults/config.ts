/** The faults service's configuration: every FAULTS_* variable, its default, bounds and unit. */
import {
  type ConfigOf,
  type Env,
  hostVar,
  intVar,
  loadConfig,
  logLevelVar,
  portVar,
  shutdownGraceVar,
  stringVar,
} from '../../lib/config.ts'

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
