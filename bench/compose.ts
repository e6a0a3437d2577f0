/**
 * Compose is how the bench host drives `docker compose` for one project: run a command and
 * get its stdout, list the running services, start and remove the bench-only services, and
 * stream the load generator's output line by line. Every call has a deadline.
 */
import { execFile, spawn } from 'node:child_process'
import { LabError } from '../lib/errors.ts'

/** ComposeOptions say which project, where the compose file is, and with which environment. */
export interface ComposeOptions {
  readonly project: string
  /** the repository root, where docker-compose.yml is */
  readonly root: string
  /** the environment compose interpolates the file with */
  readonly env: NodeJS.ProcessEnv
}

/** Compose runs `docker compose -p <project> --profile bench ...` in the repository root. */
export class Compose {
  readonly #opts: ComposeOptions

  constructor(opts: ComposeOptions) {
    this.#opts = opts
  }

  get project(): string {
    return this.#opts.project
  }

  #argv(args: readonly string[]): string[] {
    return ['compose', '-p', this.#opts.project, '--profile', 'bench', ...args]
  }

  /** run resolves stdout, or rejects with a LabError carrying the command and its stderr. */
  run(args: readonly string[], timeoutMs = 120_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'docker',
        this.#argv(args),
        { cwd: this.#opts.root, env: this.#opts.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err)
            reject(
              new LabError(
                'COMPOSE_FAILED',
                `docker compose ${args.join(' ')} failed: ${stderr.trim().split('\n').slice(-3).join(' | ') || err.message}`,
                { cause: err },
              ),
            )
          else resolve(stdout)
        },
      )
    })
  }

  /** services lists the services the compose file defines (the bench profile included). */
  async services(): Promise<Set<string>> {
    return new Set((await this.run(['config', '--services'])).split('\n').filter(Boolean))
  }

  /** images maps each service to its image name, as the compose file resolves it. */
  async images(): Promise<Map<string, string>> {
    const config = JSON.parse(await this.run(['config', '--format', 'json'])) as {
      services?: Record<string, { image?: string }>
    }
    const out = new Map<string, string>()
    for (const [name, svc] of Object.entries(config.services ?? {})) if (svc.image) out.set(name, svc.image)
    return out
  }

  /** envOf is the environment of a running service's container (NAME → value). */
  async envOf(service: string): Promise<Map<string, string>> {
    const id = (await this.run(['ps', '-q', service])).trim().split('\n')[0] ?? ''
    const out = new Map<string, string>()
    if (id === '') return out
    const env = await new Promise<string>((resolve) =>
      execFile(
        'docker',
        ['inspect', '--format', '{{json .Config.Env}}', id],
        { timeout: 15_000 },
        (err, stdout) => resolve(err ? '[]' : stdout),
      ),
    )
    for (const kv of JSON.parse(env) as string[]) {
      const eq = kv.indexOf('=')
      if (eq > 0) out.set(kv.slice(0, eq), kv.slice(eq + 1))
    }
    return out
  }

  /** containerId is the full id of a service's running container, or undefined. */
  async containerId(service: string): Promise<string | undefined> {
    const id = (await this.run(['ps', '-q', service]).catch(() => '')).trim().split('\n')[0] ?? ''
    if (id === '') return undefined
    return new Promise((resolve) =>
      execFile('docker', ['inspect', '--format', '{{.Id}}', id], { timeout: 15_000 }, (err, stdout) =>
        resolve(err ? undefined : stdout.trim() || undefined),
      ),
    )
  }

  /** running lists the services of this project with a running container. */
  async running(): Promise<Set<string>> {
    const out = (await this.run(['ps', '--status', 'running', '--format', 'json'])).trim()
    if (out === '') return new Set()
    // Compose prints one JSON object per line (v2.21+) or one array (older releases)
    const rows: unknown[] = out.startsWith('[')
      ? (JSON.parse(out) as unknown[])
      : out.split('\n').map((l) => JSON.parse(l))
    return new Set(
      rows.map((r) => (r as { Service?: string }).Service).filter((s): s is string => typeof s === 'string'),
    )
  }

  /**
   * stream runs `docker compose ...args`, calls `onLine` for each stdout line (with `reply`,
   * which writes a line to the command's stdin), collects
   * stderr, and resolves the exit code; `timeoutMs` after the last line it kills the run
   * (and `onTimeout` removes what the run left behind); `signal` stops it the same way.
   */
  stream(
    args: readonly string[],
    onLine: (line: string, reply: (text: string) => void) => void,
    opts: { idleTimeoutMs: number; onTimeout: () => Promise<void>; signal?: AbortSignal },
  ): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
    return new Promise((resolve) => {
      const child = spawn('docker', this.#argv(args), {
        cwd: this.#opts.root,
        env: this.#opts.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      child.stdin.on('error', () => undefined) // the command may end before it reads
      const reply = (text: string) => {
        if (child.stdin.writable) child.stdin.write(`${text}\n`)
      }
      let stderr = ''
      let pending = ''
      let timedOut = false
      const stop = () => {
        child.kill('SIGKILL')
        opts.onTimeout().catch(() => undefined)
      }
      const watchdog = setTimeout(() => {
        timedOut = true
        stop()
      }, opts.idleTimeoutMs)
      opts.signal?.addEventListener('abort', stop, { once: true })
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        watchdog.refresh()
        pending += chunk
        let nl = pending.indexOf('\n')
        while (nl !== -1) {
          onLine(pending.slice(0, nl), reply)
          pending = pending.slice(nl + 1)
          nl = pending.indexOf('\n')
        }
      })
      child.stderr.setEncoding('utf8')
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < 64 * 1024) stderr += chunk
      })
      child.on('close', (code) => {
        clearTimeout(watchdog)
        opts.signal?.removeEventListener('abort', stop)
        if (pending !== '') onLine(pending, reply)
        resolve({ code, stderr, timedOut })
      })
      child.on('error', (err) => {
        stderr += err.message
      })
    })
  }
}
