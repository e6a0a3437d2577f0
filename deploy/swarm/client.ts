/**
 * The client container on the stack's attachable overlay: the same image, CLI and session as
 * `make client`, hardened like the services, reaching them by service name (dnsrr: each
 * connection resolves to one of the replicas). The authkey reaches it as a variable of the
 * docker process, never on its command line.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SwarmConfig } from './config.ts'

/** The label on every client container, so `make swarm-down` can remove one left behind. */
export const CLIENT_LABEL = 'netlab.swarm.stack'
const ROOT = join(import.meta.dirname, '..', '..')

/** networkName is the stack's overlay: `<stack>_overlay`. */
export function networkName(stack: string): string {
  return `${stack}_overlay`
}

/** authkeyPath is where swarm-up keeps a key it generated (mode 0600), for the client. */
export function authkeyPath(stack: string): string {
  return join(ROOT, '.build', 'swarm', `${stack}.authkey`)
}

/** clientAuthkey is RPC_AUTHKEY if set, else the key swarm-up generated, else undefined. */
export function clientAuthkey(stack: string, envKey: string | undefined): string | undefined {
  if (envKey) return envKey
  try {
    return readFileSync(authkeyPath(stack), 'utf8')
  } catch {
    return undefined
  }
}

/** clientRunArgs is `docker run ...` for the client image on the stack's network. */
export function clientRunArgs(
  config: Pick<SwarmConfig, 'stack' | 'tag' | 'connectRetryMs'>,
  args: readonly string[],
  opts: { tty: boolean; name?: string },
): string[] {
  return [
    'run',
    '--rm',
    '-i',
    ...(opts.tty ? ['-t'] : []),
    ...(opts.name ? ['--name', opts.name] : []),
    '--network',
    networkName(config.stack),
    '--label',
    `${CLIENT_LABEL}=${config.stack}`,
    '--read-only',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges:true',
    '--user',
    '1000:1000',
    '--tmpfs',
    '/tmp:size=16m',
    '--memory',
    '512m',
    '--pids-limit',
    '256',
    '-e',
    'RPC_AUTHKEY',
    '-e',
    `NETLAB_CONNECT_RETRY_MS=${config.connectRetryMs}`,
    `netlab-client:${config.tag}`,
    ...args,
  ]
}
