/** The RPC service's configuration: every RPC_* variable, its default, bounds and unit. */
import { readFileSync } from 'node:fs'
import {
  type ConfigOf,
  DEFAULT_MAX_WORKERS,
  defaultWorkers,
  type Env,
  enumVar,
  hostVar,
  intVar,
  loadConfig,
  logLevelVar,
  memoryBudgetVar,
  portVar,
  shutdownGraceVar,
  stringVar,
} from '../../lib/config.ts'
import { ConfigError } from '../../lib/errors.ts'
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import { DEVELOPMENT_AUTHKEY } from '../../protocols/mpconn/handshake.ts'
import { STORE_DEFAULTS } from './store/kv-store.ts'

const MiB = 1024 * 1024

export const rpcConfigSpec = {
  host: hostVar('RPC_HOST', 'address the listeners bind to', '0.0.0.0'),
  httpPort: portVar(
    'RPC_HTTP_PORT',
    'XML-RPC (POST / or /RPC2) and JSON-RPC (POST /jsonrpc) over HTTP',
    15000,
  ),
  jsonrpcPort: portVar('RPC_JSONRPC_PORT', 'JSON-RPC 2.0 over TCP, one request or batch per line', 15001),
  mpEchoPort: portVar(
    'RPC_MPCONN_ECHO_PORT',
    'multiprocessing.connection echo (seed 004: send(x) → recv() == x)',
    25000,
  ),
  mpRpcPort: portVar(
    'RPC_MPCONN_RPC_PORT',
    "multiprocessing.connection RPC (seed 004's RPCProxy: add, sub, ...)",
    17000,
  ),
  workers: {
    ...intVar(
      'RPC_WORKERS',
      'worker threads serving the JSON-RPC/TCP and mp-connection ports (SO_REUSEPORT), the store staying on the main thread; 0: every port on the main thread',
      { default: defaultWorkers(), min: 0, max: 256 },
    ),
    defaultText: `CPU count - 1, at least 1, at most ${DEFAULT_MAX_WORKERS}`,
  },
  mode: enumVar(
    'RPC_MODE',
    'production: RPC_AUTHKEY is required; development: an unset key falls back to the seed key "peekaboo"',
    ['production', 'development'],
    'production',
  ),
  authkey: stringVar(
    'RPC_AUTHKEY',
    'the multiprocessing.connection authkey (HMAC secret) both mp ports require',
    {
      default: '',
      secret: true,
    },
  ),
  authkeyFile: hostVar(
    'RPC_AUTHKEY_FILE',
    'a file holding the authkey instead (a Docker secret, /run/secrets/...); one trailing newline is dropped',
    '',
  ),
  dataDir: hostVar('RPC_DATA_DIR', 'where the key-value store keeps its log (a volume in the lab)', '/data'),
  maxKeys: intVar('RPC_KV_MAX_KEYS', 'most keys the store holds; a set of a new key beyond it: ValueError', {
    default: 100_000,
    min: 1,
    max: 10_000_000,
  }),
  maxKeyBytes: intVar('RPC_KV_MAX_KEY_BYTES', 'longest key (UTF-8); longer: ValueError', {
    default: 1024,
    min: 1,
    max: 65_536,
    unit: 'bytes',
  }),
  maxValueBytes: intVar('RPC_KV_MAX_VALUE_BYTES', 'largest stored value (as stored); larger: ValueError', {
    default: MiB,
    min: 16,
    max: 64 * MiB,
    unit: 'bytes',
  }),
  maxRequestBytes: intVar(
    'RPC_MAX_REQUEST_BYTES',
    'largest XML-RPC/JSON-RPC request (after gzip), JSON-RPC line, or mp-connection frame',
    { default: 8 * MiB, min: 1024, max: 256 * MiB, unit: 'bytes' },
  ),
  maxDepth: intVar('RPC_MAX_DEPTH', 'deepest nesting of arrays/structs/lists in a request', {
    default: 64,
    min: 2,
    max: 1000,
  }),
  maxItems: intVar('RPC_MAX_ITEMS', 'most values (array items, struct members) in one request', {
    default: 1_000_000,
    min: 16,
    max: 100_000_000,
  }),
  maxIntDigits: intVar(
    'RPC_MAX_INT_DIGITS',
    "longest integer literal in a JSON-RPC or XML-RPC request, in digits (CPython's own int limit)",
    { default: 4300, min: 16, max: 1_000_000 },
  ),
  maxBatchCalls: intVar('RPC_MAX_BATCH_CALLS', 'most calls in one JSON-RPC batch or one system.multicall', {
    default: 1000,
    min: 1,
    max: 100_000,
  }),
  maxReplyBytes: intVar(
    'RPC_MAX_REPLY_BYTES',
    'largest XML-RPC/JSON-RPC reply (a whole batch or multicall); a result past it: REPLY_TOO_LARGE',
    { default: 16 * MiB, min: 1024, max: 1024 * MiB, unit: 'bytes' },
  ),
  maxInFlight: intVar(
    'RPC_JSONRPC_MAX_IN_FLIGHT',
    'JSON-RPC over TCP: most requests of one connection in flight; reading pauses beyond it',
    { default: 16, min: 1, max: 10_000 },
  ),
  memoryBudgetBytes: memoryBudgetVar(
    'RPC_MEMORY_BUDGET_BYTES',
    'bytes all connections may hold for requests, decoded values and replies; beyond it: BUSY, or reading pauses',
  ),
  maxConnections: intVar(
    'RPC_MAX_CONNECTIONS',
    'concurrent connections per port (HTTP, JSON-RPC, mp ports)',
    {
      default: 1000,
      min: 1,
      max: 100_000,
    },
  ),
  idleTimeoutMs: intVar(
    'RPC_IDLE_TIMEOUT_MS',
    'a TCP/mp connection with no traffic for this long is closed',
    {
      default: 300_000,
      min: 100,
      max: 86_400_000,
      unit: 'ms',
    },
  ),
  authTimeoutMs: intVar('RPC_AUTH_TIMEOUT_MS', 'an mp client must finish the authkey handshake within this', {
    default: 5000,
    min: 100,
    max: 60_000,
    unit: 'ms',
  }),
  shutdownGraceMs: shutdownGraceVar(
    'on SIGTERM, how long in-flight calls may take; acknowledged writes are always on disk first',
    10_000,
  ),
  logLevel: logLevelVar,
  storeMaxBytes: intVar(
    'RPC_STORE_MAX_BYTES',
    'most bytes of live data the store holds (in memory, and as a compacted log); a write growing past it: ValueError STORE_FULL',
    { default: STORE_DEFAULTS.maxBytes, min: 64 * 1024, max: 8192 * MiB, unit: 'bytes' },
  ),
  storeCompactRatio: intVar(
    'RPC_STORE_COMPACT_RATIO',
    'the log is compacted, while the service runs, once it is this many times the live data',
    { default: STORE_DEFAULTS.compactRatio, min: 2, max: 1000 },
  ),
  storeCompactMinBytes: intVar('RPC_STORE_COMPACT_MIN_BYTES', 'a log smaller than this is never compacted', {
    default: STORE_DEFAULTS.compactMinBytes,
    min: 4096,
    max: 1024 * MiB,
    unit: 'bytes',
  }),
} as const

/** RpcConfig is the validated configuration; `authkey` is resolved (never empty). */
export type RpcConfig = ConfigOf<typeof rpcConfigSpec>

/** TransportOptions is what every transport starts with: the configuration and the service's one budget. */
export type TransportOptions = RpcConfig & { readonly budget: MemoryBudget }

/** The largest RPC_AUTHKEY_FILE accepted (a key, not a document). */
export const MAX_AUTHKEY_FILE_BYTES = 4096

/** readAuthkeyFile returns the key in `path` without one trailing newline, or the problem with it. */
function readAuthkeyFile(
  path: string,
  read: (path: string) => Buffer,
): { key: string } | { problem: string } {
  const where = `RPC_AUTHKEY_FILE=${JSON.stringify(path)}`
  let data: Buffer
  try {
    data = read(path)
  } catch (err) {
    return { problem: `${where}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` }
  }
  if (data.length > MAX_AUTHKEY_FILE_BYTES)
    return { problem: `${where}: ${data.length} bytes, more than ${MAX_AUTHKEY_FILE_BYTES}` }
  const key = data.toString('utf8').replace(/\r?\n$/, '')
  return key === '' ? { problem: `${where}: the file is empty` } : { key }
}

/**
 * loadRpcConfig reads the RPC_* variables; throws ConfigError naming every bad one. The key
 * comes from RPC_AUTHKEY or from the file RPC_AUTHKEY_FILE names (not both), read with `read`.
 */
export function loadRpcConfig(
  env: Env,
  read: (path: string) => Buffer = (path) => readFileSync(path),
): RpcConfig {
  let config = loadConfig(rpcConfigSpec, env)
  if (config.authkeyFile !== '') {
    if (config.authkey !== '')
      throw new ConfigError(['RPC_AUTHKEY and RPC_AUTHKEY_FILE are both set: set one of them'])
    const got = readAuthkeyFile(config.authkeyFile, read)
    if ('problem' in got) throw new ConfigError([got.problem])
    config = Object.freeze({ ...config, authkey: got.key })
  }
  if (config.authkey !== '') return config
  if (config.mode === 'production')
    throw new ConfigError([
      'RPC_AUTHKEY is not set: the multiprocessing.connection ports need a secret key in production mode (set RPC_AUTHKEY or RPC_AUTHKEY_FILE, or RPC_MODE=development to use the seed key)',
    ])
  return Object.freeze({ ...config, authkey: DEVELOPMENT_AUTHKEY })
}
