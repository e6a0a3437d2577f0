/** The HTTP service's configuration: every HTTP_* variable, its default, bounds and unit. */
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

const MiB = 1024 * 1024

export const httpConfigSpec = {
  host: hostVar('HTTP_HOST', 'address the listener binds to', '0.0.0.0'),
  port: portVar('HTTP_PORT', 'the REST service: seed endpoints, /data/ and the httpbin surface', 8080),
  workers: workersVar('HTTP_WORKERS', 'worker threads, each with its own SO_REUSEPORT listener'),
  maxBodyBytes: intVar(
    'HTTP_MAX_BODY_BYTES',
    'largest request body (the 100 000-item /data/ experiment is 3.2 MB); larger: 413',
    { default: 16 * MiB, min: 1024, max: 256 * MiB, unit: 'bytes' },
  ),
  maxJsonDepth: intVar(
    'HTTP_MAX_JSON_DEPTH',
    'deepest nesting of arrays/objects in a JSON body; deeper: 400',
    {
      default: 64,
      min: 1,
      max: 10_000,
    },
  ),
  maxHeaderBytes: intVar(
    'HTTP_MAX_HEADER_BYTES',
    'largest request line plus headers; larger: 431 and the connection closes',
    { default: 16_384, min: 1024, max: 1_048_576, unit: 'bytes' },
  ),
  headersTimeoutMs: intVar(
    'HTTP_HEADERS_TIMEOUT_MS',
    'a client must finish sending its headers within this; else 408 and close',
    { default: 10_000, min: 100, max: 600_000, unit: 'ms' },
  ),
  requestTimeoutMs: intVar(
    'HTTP_REQUEST_TIMEOUT_MS',
    'a client must finish sending its whole request (headers and body) within this; else 408 and close',
    { default: 30_000, min: 100, max: 3_600_000, unit: 'ms' },
  ),
  keepAliveTimeoutMs: intVar(
    'HTTP_KEEPALIVE_TIMEOUT_MS',
    'an idle keep-alive connection is closed after this',
    { default: 5_000, min: 100, max: 600_000, unit: 'ms' },
  ),
  sendTimeoutMs: intVar(
    'HTTP_SEND_TIMEOUT_MS',
    'a connection on which nothing moves either way for this long (a client that stops reading its response) is closed; at least HTTP_MAX_DELAY_MS + 1 s is used',
    { default: 30_000, min: 1000, max: 3_600_000, unit: 'ms' },
  ),
  memoryBudgetBytes: memoryBudgetVar(
    'HTTP_MEMORY_BUDGET_BYTES',
    'bytes all requests in flight may hold together (bodies, what is decoded from them, replies being sent); over it: 503 busy with Retry-After',
  ),
  maxConnections: intVar(
    'HTTP_MAX_CONNECTIONS',
    'concurrent connections per worker thread; over it: 503 BUSY with Retry-After, and closed',
    {
      default: 10_000,
      min: 1,
      max: 1_000_000,
    },
  ),
  maxDelayMs: intVar('HTTP_MAX_DELAY_MS', 'longest /delay/{n} and /drip duration; longer: 400', {
    default: 10_000,
    min: 0,
    max: 600_000,
    unit: 'ms',
  }),
  maxStreamLines: intVar('HTTP_MAX_STREAM_LINES', 'most lines /stream/{n} sends; more: 400', {
    default: 100,
    min: 1,
    max: 100_000,
  }),
  maxRandomBytes: intVar('HTTP_MAX_RANDOM_BYTES', 'largest /bytes/{n} and /stream-bytes/{n}; larger: 400', {
    default: 102_400,
    min: 1,
    max: 64 * MiB,
    unit: 'bytes',
  }),
  maxMultipartParts: intVar(
    'HTTP_MAX_MULTIPART_PARTS',
    'most fields plus files in a multipart body; more: 413',
    {
      default: 100,
      min: 1,
      max: 10_000,
    },
  ),
  shutdownGraceMs: shutdownGraceVar(
    'on SIGTERM, how long in-flight requests may take before their connections are destroyed',
    10_000,
  ),
  logLevel: logLevelVar,
} as const

/** HttpConfig is the validated, frozen configuration of the HTTP service. */
export type HttpConfig = ConfigOf<typeof httpConfigSpec>

/** loadHttpConfig reads the HTTP_* variables; throws ConfigError naming every bad one. */
export function loadHttpConfig(env: Env): HttpConfig {
  return loadConfig(httpConfigSpec, env)
}
