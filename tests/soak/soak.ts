/**
 * The soak: a fresh compose project of the real docker-compose.yml (unique name, random
 * host ports, removed with its volumes at the end whatever happens), a bounded mixed load
 * from this process through the published 127.0.0.1 ports, and a sampler that reads every
 * container's resident memory and TCP sockets every few seconds.
 *
 *   this process ──(checks.ts, paced)──> 127.0.0.1:<random> ──> tcp | udp | http | rpc
 *        └──(every sampleEveryMs: docker exec <c> node -e ...)──> /proc/1/status, /proc/net/tcp
 *
 * It passes only if no request was lost or wrong, no container died or was OOM-killed,
 * no container's memory grew without bound (trend.ts), and the sockets were released.
 */
import { allChecks } from './checks.ts'
import { ComposeProject, docker, SERVICES, type Service } from './compose-project.ts'
import { type Sample, sample } from './container-probe.ts'
import { type CheckTotals, runLoad } from './load.ts'
import { DEFAULT_TREND_LIMITS, type Point, type Trend, type TrendLimits, trend } from './trend.ts'

export interface SoakOptions {
  readonly durationMs: number
  /** requests per second for each of the six checks */
  readonly ratePerCheck: number
  readonly sampleEveryMs: number
  /** per-request deadline, ms */
  readonly timeoutMs?: number
  /** the caller's environment: PATH, DOCKER_HOST, NETLAB_TAG */
  readonly baseEnv: Readonly<Record<string, string | undefined>>
  readonly signal?: AbortSignal
  readonly limits?: TrendLimits
  /** progress lines (project up, samples taken); the report is returned, not printed */
  readonly progress?: (line: string) => void
}

/** ContainerReport is one service container's figures over the run. */
export interface ContainerReport {
  readonly service: Service
  readonly samples: number
  readonly memory: Trend
  readonly maxEstablished: number
  /** ESTABLISHED sockets once the load has stopped and its clients have closed */
  readonly endEstablished: number
  /** `running`, or how it ended (`exited 137`, `OOM-killed`) */
  readonly state: string
}

export interface SoakReport {
  readonly project: string
  /** how long the load ran (the project's start and removal not included), ms */
  readonly durationMs: number
  readonly ratePerCheck: number
  readonly checks: readonly CheckTotals[]
  readonly containers: readonly ContainerReport[]
  readonly failures: readonly string[]
  readonly passed: boolean
}

/** More ESTABLISHED sockets than this once the load is over means connections leak (a health check holds 2). */
export const MAX_END_ESTABLISHED = 8

async function containerState(id: string): Promise<string> {
  const { stdout } = await docker([
    'inspect',
    id,
    '--format',
    '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}',
  ])
  const [status, code, oom] = stdout.trim().split(' ')
  if (oom === 'true') return 'OOM-killed'
  return status === 'running' ? 'running' : `${status} ${code}`
}

/** runSoak runs one soak end to end and returns its report; the project is always removed. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const progress = opts.progress ?? (() => undefined)
  const project = new ComposeProject('netlab-soak', opts.baseEnv)
  const started = performance.now()
  try {
    progress(`starting compose project ${project.name}`)
    await project.up()
    const ids = new Map<Service, string>()
    for (const s of SERVICES) ids.set(s, await project.containerId(s))
    const at = async (service: Service, port: number, proto: 'tcp' | 'udp' = 'tcp') => ({
      host: '127.0.0.1',
      port: await project.hostPort(service, port, proto),
    })
    const checks = allChecks(
      {
        tcpUpper: await at('tcp', 9999),
        tcpEcho: await at('tcp', 20000),
        udpProbe: await at('udp', 9000, 'udp'),
        http: await at('http', 8080),
        rpcHttp: await at('rpc', 15000),
        rpcJsonTcp: await at('rpc', 15001),
      },
      opts.timeoutMs ?? 5000,
    )

    const points = new Map<Service, Point[]>(SERVICES.map((s) => [s, []]))
    const established = new Map<Service, number[]>(SERVICES.map((s) => [s, []]))
    const failures: string[] = []
    const unread = new Map<Service, string>()
    /** sampleAll reads every container, each up to `attempts` times; what stays unread is in `unread`. */
    const sampleAll = async (attempts = 1): Promise<Map<Service, Sample>> => {
      const t = (performance.now() - started) / 1000
      const read = await Promise.all(
        SERVICES.map(async (s) => {
          for (let i = 1; ; i++) {
            try {
              return [s, await sample(ids.get(s) as string)] as const
            } catch (err) {
              if (i >= attempts) {
                unread.set(s, String(err instanceof Error ? err.message : err).split('\n', 1)[0] ?? '')
                return [s, undefined] as const
              }
            }
          }
        }),
      )
      const out = new Map<Service, Sample>()
      for (const [s, r] of read) {
        if (r === undefined) continue // a slow exec on a busy machine: skip this reading
        out.set(s, r)
        points.get(s)?.push({ t, bytes: r.rss })
        established.get(s)?.push(r.established)
      }
      return out
    }

    progress(
      `load: ${checks.length} checks × ${opts.ratePerCheck}/s for ${Math.round(opts.durationMs / 1000)} s`,
    )
    const loadDone = new AbortController()
    const loadStarted = performance.now()
    const load = runLoad(checks, {
      durationMs: opts.durationMs,
      ratePerCheck: opts.ratePerCheck,
      ...(opts.signal ? { signal: opts.signal } : {}),
    }).finally(() => loadDone.abort())
    const sampler = (async () => {
      const maxSamples = Math.ceil(opts.durationMs / opts.sampleEveryMs) + 2
      for (let i = 0; i < maxSamples && !loadDone.signal.aborted; i++) {
        const next = performance.now() + opts.sampleEveryMs
        const got = await sampleAll()
        progress(
          `sample ${i + 1}: ${[...got].map(([s, r]) => `${s} ${(r.rss / 2 ** 20).toFixed(1)} MiB ${r.established} conns`).join(', ')}`,
        )
        const wait = next - performance.now()
        if (wait > 0 && !loadDone.signal.aborted)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait)
            loadDone.signal.addEventListener('abort', () => {
              clearTimeout(timer)
              resolve()
            })
          })
      }
    })()
    const totals = await load
    const loadMs = performance.now() - loadStarted
    await sampler
    // After the load's clients have closed their connections. This reading decides, so a docker
    // exec that fails on a busy machine is tried again, not read as connections left open.
    unread.clear()
    const end = await sampleAll(3)

    for (const t of totals) {
      if (t.wrong > 0) failures.push(`${t.check}: ${t.wrong} wrong answers (${t.samples[0]})`)
      if (t.failed > 0) failures.push(`${t.check}: ${t.failed} requests lost (${t.samples[0]})`)
      if (t.ok === 0) failures.push(`${t.check}: no request completed`)
    }
    const containers: ContainerReport[] = []
    for (const s of SERVICES) {
      const memory = trend(points.get(s) ?? [], opts.limits ?? DEFAULT_TREND_LIMITS)
      const endEstablished = end.get(s)?.established ?? Number.NaN
      const state = await containerState(ids.get(s) as string)
      containers.push({
        service: s,
        samples: points.get(s)?.length ?? 0,
        memory,
        maxEstablished: Math.max(0, ...(established.get(s) ?? [])),
        endEstablished,
        state,
      })
      if (state !== 'running') failures.push(`${s}: container ${state}`)
      if (memory.unbounded)
        failures.push(
          `${s}: memory grows without bound (${memory.slopeMiBPerMin} MiB/min, +${memory.growthMiB} MiB)`,
        )
      if (!end.has(s)) failures.push(`${s}: no reading after the load (${unread.get(s)})`)
      else if (!(endEstablished <= MAX_END_ESTABLISHED))
        failures.push(`${s}: ${endEstablished} connections still established after the load`)
    }
    if (opts.signal?.aborted) failures.push('interrupted')
    return {
      project: project.name,
      durationMs: loadMs,
      ratePerCheck: opts.ratePerCheck,
      checks: totals,
      containers,
      failures,
      passed: failures.length === 0,
    }
  } finally {
    progress(`removing compose project ${project.name}`)
    await project.down()
  }
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd((widths[i] ?? 0) + 2))
        .join('')
        .trimEnd(),
    )
    .join('\n')
}

/** formatReport renders a report as two tables and a verdict line. */
export function formatReport(r: SoakReport): string {
  const requests = r.checks.reduce((a, c) => a + c.ok + c.wrong + c.failed, 0)
  const seconds = r.durationMs / 1000
  const head = `soak ${r.project}: ${seconds.toFixed(0)} s of load, ${requests} requests (${(requests / seconds).toFixed(0)}/s; asked ${r.ratePerCheck}/s per check)`
  const checks = table([
    ['check', 'service', 'ok', 'wrong', 'lost', 'mean ms', 'max ms'],
    ...r.checks.map((c) => {
      const n = c.ok + c.wrong + c.failed
      return [
        c.check,
        c.service,
        String(c.ok),
        String(c.wrong),
        String(c.failed),
        n === 0 ? '-' : (c.totalLatencyMs / n).toFixed(1),
        c.maxLatencyMs.toFixed(1),
      ]
    }),
  ])
  const memory = table([
    [
      'container',
      'samples',
      'rss first MiB',
      'last',
      'max',
      'slope MiB/min',
      'growth MiB',
      'conns max',
      'conns end',
      'state',
    ],
    ...r.containers.map((c) => [
      c.service,
      String(c.samples),
      c.memory.firstMiB.toFixed(1),
      c.memory.lastMiB.toFixed(1),
      c.memory.maxMiB.toFixed(1),
      c.memory.slopeMiBPerMin.toFixed(1),
      c.memory.growthMiB.toFixed(1),
      String(c.maxEstablished),
      String(c.endEstablished),
      c.state,
    ]),
  ])
  const verdict = r.passed ? 'PASS' : `FAIL\n${r.failures.map((f) => `  - ${f}`).join('\n')}`
  return `${head}\n\n${checks}\n\n${memory}\n\n${verdict}\n`
}
