/**
 * ComposeProject drives the real docker-compose.yml under its own project name, so a user's
 * `make up` lab (project `netlab`, fixed host ports) is never touched: every host port is
 * random (the `*_HOST_PORT` variables set empty) unless the caller pins it. The soak, the
 * hardening and the crash tests share it; it shells out to `docker compose`, nothing else.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository root, where docker-compose.yml lives. */
export const repoRoot = join(import.meta.dirname, '..', '..')

/** Every host-port variable docker-compose.yml reads (see tests/integration/compose.test.ts). */
export const HOST_PORT_VARS = [
  'TCP_UPPER_HOST_PORT',
  'TCP_ECHO_HOST_PORT',
  'TCP_CMD_HOST_PORT',
  'UDP_CTIME_HOST_PORT',
  'UDP_HELLO_HOST_PORT',
  'UDP_TIME_HOST_PORT',
  'UDP_SNTP_HOST_PORT',
  'UDP_PROBE_HOST_PORT',
  'HTTP_HOST_PORT',
  'RPC_HTTP_HOST_PORT',
  'RPC_JSONRPC_HOST_PORT',
  'RPC_MPCONN_RPC_HOST_PORT',
  'RPC_MPCONN_ECHO_HOST_PORT',
] as const

/** The lab's four services, in the order reports list them. */
export const SERVICES = ['tcp', 'udp', 'http', 'rpc'] as const
export type Service = (typeof SERVICES)[number]

/** Exec is what one command printed. */
export interface Exec {
  readonly stdout: string
  readonly stderr: string
}

/** docker runs the docker CLI with a deadline (ms); a failure rejects with its stderr in the message. */
export async function docker(args: readonly string[], timeoutMs = 30_000): Promise<Exec> {
  try {
    return await run('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? ''
    throw new Error(`docker ${args.join(' ')} failed: ${stderr.trim() || String(err)}`, { cause: err })
  }
}

/** ComposeProject is one uniquely named compose project of docker-compose.yml. */
export class ComposeProject {
  readonly name: string
  readonly #env: Readonly<Record<string, string | undefined>>

  /**
   * `baseEnv` is the caller's environment (it carries PATH, DOCKER_HOST and NETLAB_TAG);
   * `vars` override it, e.g. a pinned host port or RPC_MODE. Host ports not in `vars` are random.
   */
  constructor(
    prefix: string,
    baseEnv: Readonly<Record<string, string | undefined>>,
    vars: Readonly<Record<string, string>> = {},
  ) {
    this.name = `${prefix}-${randomUUID().slice(0, 8)}`
    const randomPorts = Object.fromEntries(HOST_PORT_VARS.map((v) => [v, '']))
    this.#env = { ...baseEnv, ...randomPorts, ...vars, COMPOSE_PROJECT_NAME: this.name }
  }

  /** compose runs `docker compose -p <name> ...args` in the repository root. */
  async compose(args: readonly string[], timeoutMs = 120_000): Promise<Exec> {
    try {
      return await run('docker', ['compose', '-p', this.name, ...args], {
        cwd: repoRoot,
        env: this.#env,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      })
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; code?: number }
      throw Object.assign(
        new Error(`docker compose ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || String(err)}`, {
          cause: err,
        }),
        { exitCode: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' },
      )
    }
  }

  /** up starts `services` and waits until each one's health check passes. */
  async up(services: readonly string[] = SERVICES): Promise<void> {
    await this.compose(['up', '-d', '--wait', '--no-build', '--pull', 'never', ...services])
  }

  /** containerId is the id of a service's (running or stopped) container. */
  async containerId(service: string): Promise<string> {
    const { stdout } = await this.compose(['ps', '-a', '-q', service])
    const id = stdout.trim().split('\n')[0]
    if (!id) throw new Error(`project ${this.name} has no ${service} container`)
    return id
  }

  /** hostPort is the 127.0.0.1 port a service's container port is published on. */
  async hostPort(service: string, port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
    const { stdout } = await this.compose(['port', '--protocol', protocol, service, String(port)])
    const m = /^127\.0\.0\.1:(\d+)$/m.exec(stdout.trim())
    if (!m) throw new Error(`${service} ${port}/${protocol} is not published on 127.0.0.1: ${stdout.trim()}`)
    return Number(m[1])
  }

  /** kill sends SIGKILL to a service's container (`docker compose kill`). */
  async kill(service: string): Promise<void> {
    await this.compose(['kill', '-s', 'SIGKILL', service])
  }

  /** down removes the project's containers, network and volumes (the RPC store's too). */
  async down(): Promise<void> {
    await this.compose(['--profile', 'tools', 'down', '--volumes', '--remove-orphans', '--timeout', '0'])
  }
}
