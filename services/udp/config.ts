/** The UDP service's configuration: every UDP_* variable, its default, bounds and unit. */
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
  workersVar,
} from '../../lib/config.ts'

export const udpConfigSpec = {
  host: hostVar('UDP_HOST', 'address the sockets bind to', '0.0.0.0'),
  ctimePort: portVar('UDP_CTIME_PORT', 'time.ctime() text for any datagram (seed 004)', 20000),
  helloPort: portVar('UDP_HELLO_PORT', '`Hello, <datagram>!` (seed 002)', 9999),
  timePort: portVar('UDP_TIME_PORT', 'RFC 868 time: 4-byte seconds since 1900', 37),
  sntpPort: portVar('UDP_SNTP_PORT', 'SNTPv4 server (RFC 4330)', 123),
  probePort: portVar('UDP_PROBE_PORT', "netlab's sequenced probe protocol and stats", 9000),
  ackPort: portVar(
    'UDP_ACK_PORT',
    "seed 001's udpServer: `tcpServer has received your message` per datagram of 4 bytes or more",
    50001,
  ),
  workers: workersVar('UDP_WORKERS', 'worker threads, each with its own SO_REUSEPORT socket per port'),
  maxDatagramBytes: intVar('UDP_MAX_DATAGRAM_BYTES', 'larger datagrams are dropped (counted as oversize)', {
    default: 1472,
    min: 64,
    max: 65507,
    unit: 'bytes',
  }),
  rateLimitPps: intVar('UDP_RATE_LIMIT_PPS', 'replies per second per source address (token bucket refill)', {
    default: 2000,
    min: 1,
    max: 1_000_000,
    unit: 'datagrams/s',
  }),
  rateLimitBurst: intVar('UDP_RATE_LIMIT_BURST', 'token bucket size: datagrams a source may send at once', {
    default: 1000,
    min: 1,
    max: 1_000_000,
    unit: 'datagrams',
  }),
  maxSources: intVar(
    'UDP_RATE_LIMIT_SOURCES',
    'source addresses tracked per thread; the least recently seen is forgotten',
    {
      default: 10_000,
      min: 16,
      max: 1_000_000,
    },
  ),
  memoryBudgetBytes: memoryBudgetVar(
    'UDP_MEMORY_BUDGET_BYTES',
    'bytes of replies all threads may have queued for sending together; over it: the datagram is dropped (counted as overBudget)',
  ),
  sntpStratum: intVar('UDP_SNTP_STRATUM', 'stratum the SNTP server advertises', {
    default: 1,
    min: 1,
    max: 15,
  }),
  sntpRefId: stringVar(
    'UDP_SNTP_REFID',
    'reference id the SNTP server advertises (stratum 1: 4 ASCII letters)',
    {
      default: 'LOCL',
    },
  ),
  shutdownGraceMs: shutdownGraceVar('on SIGTERM, how long queued replies may take to flush', 2000),
  logLevel: logLevelVar,
} as const

/** UdpConfig is the validated, frozen configuration of the UDP service. */
export type UdpConfig = ConfigOf<typeof udpConfigSpec>

/** loadUdpConfig reads the UDP_* variables; throws ConfigError naming every bad one. */
export function loadUdpConfig(env: Env): UdpConfig {
  return loadConfig(udpConfigSpec, env)
}
