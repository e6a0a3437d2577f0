/**
 * Server CPU per exchange: the CPU time a server's container spent over a measured step
 * (its cgroup's usage, every thread and process in it), divided by the exchanges the step
 * completed. On a machine whose load generator shares the cores, throughput says how the
 * cores were split; CPU per exchange says what each exchange cost the server.
 *
 * The host reads a container's cumulative usage, in µs, from the first that answers:
 *   1. the cgroup file on this machine: v2 `cpu.stat` (`usage_usec`) or v1
 *      `cpuacct.usage` (ns), under the layouts Docker's cgroupfs and systemd drivers use
 *   2. `docker exec <id> cat /sys/fs/cgroup/cpu.stat` (cgroup v2, an image with `cat`)
 *   3. the Engine API's one-shot stats over /var/run/docker.sock (`cpu_stats.cpu_usage.total_usage`, ns)
 * The load generator waits at the start and end of each measured step until the host has
 * read (bench/load/main.ts `--sync`), so the usage brackets exactly the measured exchanges.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'

/** parseCpuStat reads cgroup v2 `cpu.stat`'s `usage_usec` (µs); undefined when absent. */
export function parseCpuStat(text: string): number | undefined {
  const m = /^usage_usec (\d+)$/m.exec(text)
  return m ? Number(m[1]) : undefined
}

/** parseCpuacctUsage reads cgroup v1 `cpuacct.usage` (ns) as µs; undefined when not a number. */
export function parseCpuacctUsage(text: string): number | undefined {
  const t = text.trim()
  return /^\d+$/.test(t) ? Math.floor(Number(t) / 1000) : undefined
}

/** parseDockerStats reads the Engine API's stats JSON (`total_usage`, ns) as µs. */
export function parseDockerStats(json: unknown): number | undefined {
  const total = (json as { cpu_stats?: { cpu_usage?: { total_usage?: unknown } } } | null)?.cpu_stats
    ?.cpu_usage?.total_usage
  return typeof total === 'number' && Number.isFinite(total) && total >= 0
    ? Math.floor(total / 1000)
    : undefined
}

/** CpuFigure is what the result file records of one figure's server CPU. */
export interface CpuFigure {
  /** the server container's CPU time over the measured step, µs */
  readonly serverUs: number
  /** serverUs / exchanges, µs */
  readonly perOpUs: number
}

/**
 * cpuPerExchange turns two usage readings into the figure; undefined when either is missing,
 * the counter went backwards (the container restarted) or no exchange completed.
 */
export function cpuPerExchange(
  beforeUs: number | undefined,
  afterUs: number | undefined,
  ops: number,
): CpuFigure | undefined {
  if (beforeUs === undefined || afterUs === undefined || afterUs < beforeUs || ops <= 0) return undefined
  const serverUs = afterUs - beforeUs
  return { serverUs, perOpUs: Math.round((serverUs / ops) * 1000) / 1000 }
}

/** The cgroup files that may hold a container's usage on the machine running the host. */
export function cgroupPaths(id: string, root = '/sys/fs/cgroup'): readonly string[] {
  return [
    `${root}/system.slice/docker-${id}.scope/cpu.stat`,
    `${root}/docker/${id}/cpu.stat`,
    `${root}/cpuacct/docker/${id}/cpuacct.usage`,
    `${root}/cpu,cpuacct/docker/${id}/cpuacct.usage`,
    `${root}/cpuacct/system.slice/docker-${id}.scope/cpuacct.usage`,
    `${root}/cpu,cpuacct/system.slice/docker-${id}.scope/cpuacct.usage`,
  ]
}

async function fromCgroupFile(id: string): Promise<number | undefined> {
  for (const path of cgroupPaths(id)) {
    const text = await readFile(path, 'utf8').catch(() => undefined)
    if (text === undefined) continue
    const v = path.endsWith('cpu.stat') ? parseCpuStat(text) : parseCpuacctUsage(text)
    if (v !== undefined) return v
  }
  return undefined
}

function fromDockerExec(id: string): Promise<number | undefined> {
  return new Promise((resolve) =>
    execFile('docker', ['exec', id, 'cat', '/sys/fs/cgroup/cpu.stat'], { timeout: 10_000 }, (err, stdout) =>
      resolve(err ? undefined : parseCpuStat(stdout)),
    ),
  )
}

function fromEngineApi(id: string, socketPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath,
        path: `/containers/${id}/stats?stream=false&one-shot=true`,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          body += c
        })
        res.on('end', () => {
          try {
            resolve(res.statusCode === 200 ? parseDockerStats(JSON.parse(body)) : undefined)
          } catch {
            resolve(undefined)
          }
        })
      },
    )
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(undefined))
    req.end()
  })
}

type Source = 'cgroup' | 'exec' | 'api'

/**
 * CpuMeter reads containers' cumulative CPU usage (µs). It remembers, per container, the first
 * source that answered, so a step costs one file read where the cgroup is visible.
 */
export class CpuMeter {
  readonly #source = new Map<string, Source | 'none'>()
  readonly #socket: string

  constructor(opts: { dockerSocket?: string } = {}) {
    this.#socket = opts.dockerSocket ?? '/var/run/docker.sock'
  }

  /** read is the container's usage in µs, or undefined when no source answers. */
  async read(id: string): Promise<number | undefined> {
    const known = this.#source.get(id)
    if (known === 'none') return undefined
    const order: Source[] = known ? [known] : ['cgroup', 'exec', 'api']
    for (const s of order) {
      const v =
        s === 'cgroup'
          ? await fromCgroupFile(id)
          : s === 'exec'
            ? await fromDockerExec(id)
            : await fromEngineApi(id, this.#socket)
      if (v !== undefined) {
        this.#source.set(id, s)
        return v
      }
    }
    if (!known) this.#source.set(id, 'none')
    return undefined
  }

  /** sourceOf says how a container's usage was read ('none' when it could not be). */
  sourceOf(id: string): Source | 'none' | undefined {
    return this.#source.get(id)
  }
}
