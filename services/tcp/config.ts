/** The TCP service's configuration: every TCP_* variable, its default, bounds and unit. */
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
  workersVar,
} from '../../lib/config.ts'

export const tcpConfigSpec = {
  host: hostVar('TCP_HOST', 'address the listeners bind to', '0.0.0.0'),
  upperPort: portVar('TCP_UPPER_PORT', 'upper-casing service (seeds 003/004)', 9999),
  echoPort: portVar('TCP_ECHO_PORT', 'byte-exact echo service (seed 004)', 20000),
  cmdPort: portVar('TCP_CMD_PORT', 'newline-framed command protocol', 9998),
  welcomePort: portVar(
    'TCP_WELCOME_PORT',
    "seed 001's welcome server: `1` gets `welcome to server!`, anything else `please go out!`, then close",
    8001,
  ),
  helloPort: portVar(
    'TCP_HELLO_PORT',
    "seed 002's threaded server: `Welcome!`, then `Hello, <message>!` per message until `exit`",
    9997,
  ),
  ackPort: portVar(
    'TCP_ACK_PORT',
    "seed 001's tcpServer: `tcpServer has received your message` per message",
    50000,
  ),
  welcomeTimeoutMs: intVar(
    'TCP_WELCOME_TIMEOUT_MS',
    "welcome port: a client that sends nothing for this long after connecting is closed, nothing sent (the seed's settimeout(5))",
    { default: 5000, min: 100, max: 600_000, unit: 'ms' },
  ),
  helloDelayMs: intVar(
    'TCP_HELLO_DELAY_MS',
    "hello port: the wait before each answer (the seed's time.sleep(1)); keep it under TCP_IDLE_TIMEOUT_MS",
    { default: 1000, min: 0, max: 60_000, unit: 'ms' },
  ),
  workers: workersVar('TCP_WORKERS', 'worker threads, each with its own SO_REUSEPORT listener per port'),
  maxConnections: intVar(
    'TCP_MAX_CONNECTIONS',
    'concurrent connections across all ports and threads; over it: ERR BUSY and close',
    {
      default: 1000,
      min: 1,
      max: 100_000,
    },
  ),
  idleTimeoutMs: intVar(
    'TCP_IDLE_TIMEOUT_MS',
    'a connection with no traffic either way for this long is closed',
    {
      default: 60_000,
      min: 100,
      max: 3_600_000,
      unit: 'ms',
    },
  ),
  maxLineBytes: intVar(
    'TCP_MAX_LINE_BYTES',
    'longest cmd line, without its newline; longer: ERR LINE_TOO_LONG',
    {
      default: 8192,
      min: 16,
      max: 1_048_576,
      unit: 'bytes',
    },
  ),
  maxBufferedBytes: intVar(
    'TCP_MAX_BUFFERED_BYTES',
    'most unsent reply bytes one connection may hold (reading already pauses while the peer is not reading); over it the connection is cut',
    { default: 1_048_576, min: 1024, max: 67_108_864, unit: 'bytes' },
  ),
  memoryBudgetBytes: memoryBudgetVar(
    'TCP_MEMORY_BUDGET_BYTES',
    'bytes all connections may hold together (unsent replies, cmd lines waiting their turn); over it: cmd lines get ERR BUSY, upper and echo stop reading until there is room',
  ),
  maxSleepMs: intVar('TCP_MAX_SLEEP_MS', 'longest SLEEP a cmd client may ask for', {
    default: 30_000,
    min: 0,
    max: 600_000,
    unit: 'ms',
  }),
  shutdownGraceMs: shutdownGraceVar(
    'on SIGTERM, how long in-flight work may take before connections are destroyed',
    10_000,
  ),
  logLevel: logLevelVar,
} as const

/** TcpConfig is the validated, frozen configuration of the TCP service. */
export type TcpConfig = ConfigOf<typeof tcpConfigSpec>

/** loadTcpConfig reads the TCP_* variables; throws ConfigError naming every bad one. */
export function loadTcpConfig(env: Env): TcpConfig {
  return loadConfig(tcpConfigSpec, env)
}
