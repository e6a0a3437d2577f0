/**
 * ComposeProject drives the real docker-compose.yml under its own project name, so a user's
 * `make up` lab (project `netlab`, fixed host ports) is never touched: every host port is
 * random (the `*_HOST_PORT` variables set empty) unless the caller pins it. The soak, the
 * hardening and the crash tests share it; it shells out to `docker compose`, nothing else.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository root, where docker-compose.yml lives. */
export const repoRoot = join(import.meta.dirname, '..', '..')

/**
 * Every host-port variable docker-compose.yml reads (`${TCP_UPPER_HOST_PORT-9999}`, ...),
 * read from the file itself so that a service added there is covered here at once.
 */
export const HOST_PORT_VARS: readonly string[] = [
  ...new Set(
    Array.from(
      readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z0-9_]+_HOST_PORT)-/g),
      (m) => m[1] as string,
    ),
  ),
]

/** randomHostPorts sets every host-port variable empty: compose then publishes on random ports. */
export function randomHostPorts(): Record<string, string> {
  return Object.fromEntries(HOST_PORT_VARS.map((v) => [v, '']))
}

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
    this.#env = { ...baseEnv, ...randomHostPorts(), ...vars, COMPOSE_PROJECT_NAME: this.name }
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

  /**
   * kill sends SIGKILL to a service's container (`docker compose kill`). Docker counts that as
   * stopped by hand: the restart policy leaves it down (`crash` is a real crash).
   */
  async kill(service: string): Promise<void> {
    await this.compose(['kill', '-s', 'SIGKILL', service])
  }

  /**
   * crash SIGKILLs the service's Node process from inside its container, as the kernel's OOM
   * killer or an abort would end it: the container exits 137 and its restart policy
   * (`restart: on-failure`) brings it back. Its PID 1 is docker-init (`init: true`), so the
   * signal reaches Node.
   */
  async crash(service: string): Promise<void> {
    const script = [
      "const fs = require('node:fs')",
      'for (const pid of fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p) && Number(p) !== process.pid)) {',
      '  const argv = fs.readFileSync("/proc/" + pid + "/cmdline", "utf8").split("\\0")',
      '  if (argv[0] === "node" && argv.some((a) => a.startsWith("dist/services/"))) process.kill(Number(pid), "SIGKILL")',
      '}',
    ].join('\n')
    try {
      await docker(['exec', await this.containerId(service), 'node', '-e', script])
    } catch (err) {
      // the container may go down before the exec'd process ends: Docker kills it too (137)
      if ((err as { cause?: { code?: unknown } }).cause?.code !== 137) throw err
    }
  }

  /** state is what Docker says of a service's container: restarts so far, running, health. */
  async state(service: string): Promise<{ restarts: number; running: boolean; health: string }> {
    const format = '{{.RestartCount}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}'
    const { stdout } = await docker(['inspect', '--format', format, await this.containerId(service)])
    const [restarts, running, health] = stdout.trim().split(' ')
    return { restarts: Number(restarts), running: running === 'true', health: health ?? '' }
  }

  /** down removes the project's containers, network and volumes (the RPC store's too). */
  async down(): Promise<void> {
    await this.compose(['--profile', 'tools', 'down', '--volumes', '--remove-orphans', '--timeout', '0'])
  }
}
