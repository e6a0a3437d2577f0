/** The RPC service's configuration: every RPC_* variable, its default, bounds and unit. */
import {
  type ConfigOf,
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
  maxConnections: intVar('RPC_MAX_CONNECTIONS', 'concurrent TCP connections per port (JSON-RPC, mp ports)', {
    default: 1000,
    min: 1,
    max: 100_000,
  }),
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
  memoryBudgetBytes: memoryBudgetVar(
    'RPC_MEMORY_BUDGET_BYTES',
    'bytes the service holds for work in flight (requests, frames, decoded values, replies); beyond it new work is refused',
  ),
  shutdownGraceMs: shutdownGraceVar(
    'on SIGTERM, how long in-flight calls may take; acknowledged writes are always on disk first',
    10_000,
  ),
  logLevel: logLevelVar,
} as const

/** The seed's key, used only in development mode when RPC_AUTHKEY is unset. */
export const DEVELOPMENT_AUTHKEY = 'peekaboo'

/** RpcConfig is the validated configuration; `authkey` is resolved (never empty). */
export type RpcConfig = ConfigOf<typeof rpcConfigSpec>

/** loadRpcConfig reads the RPC_* variables; throws ConfigError naming every bad one. */
export function loadRpcConfig(env: Env): RpcConfig {
  const config = loadConfig(rpcConfigSpec, env)
  if (config.authkey !== '') return config
  if (config.mode === 'production')
    throw new ConfigError([
      'RPC_AUTHKEY is not set: the multiprocessing.connection ports need a secret key in production mode (set RPC_AUTHKEY, or RPC_MODE=development to use the seed key)',
    ])
  return Object.freeze({ ...config, authkey: DEVELOPMENT_AUTHKEY })
}
