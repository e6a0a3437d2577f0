/**
 * `make bench` (node bench/main.ts): benchmarks the running compose lab against baselines
 * started in the same run, and writes bench-results/<stamp>.json, latest.json and <stamp>.html.
 *
 *   1. finds which lab services run in the project (tcp, udp, http, rpc)
 *   2. starts the bench profile's baselines (and the network-limit servers) that are not up;
 *      baseline-pyrpc is (re)started in every run, with this run's own random authkey
 *      (the Node and seed-Python baselines, and tcp/http with 1 and 2 worker threads)
 *   3. runs the load generator (`docker compose run --rm -T bench-load ... --sync`) on the lab
 *      network, drawing its NDJSON events as progress and collecting its measurements; at
 *      each step's start and end mark it reads the server container's CPU usage (bench/cpu.ts)
 *      and records the CPU per exchange
 *   4. computes ratios and targets, writes the result files, prints the table (or --json)
 *   5. removes the bench services it started
 *
 * This is the one place that reads argv and the environment. Exit 0 when the suite ran,
 * 1 when it could not (lab not up, load generator failed), 2 on bad arguments.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { LabError } from '../lib/errors.ts'
import { newBenchAuthkey, withBenchAuthkey } from './authkey.ts'
import { Compose } from './compose.ts'
import { CpuMeter, cpuPerExchange } from './cpu.ts'
import { parseEvent } from './events.ts'
import { describeMachine } from './machine.ts'
import { measureNetworkLimit } from './netlimit.ts'
import { pinServers, planPinning } from './pinning.ts'
import { renderHtml } from './report/html.ts'
import { type BenchResult, benchResultSchema, type Measurement } from './result.ts'
import { HOSTS } from './suite.ts'
import { renderTable } from './table.ts'
import { compare, judgeTargets } from './targets.ts'

const ROOT = resolve(import.meta.dirname, '..')
const LAB = ['tcp', 'udp', 'http', 'rpc'] as const
const BASELINES = [
  HOSTS.nodeNet,
  HOSTS.nodeDgram,
  HOSTS.nodeHttp,
  HOSTS.pyrpc,
  HOSTS.pyseeds,
  HOSTS.flask,
  HOSTS.httpbin,
] as const
/** The threads-scaling servers, each started only when its lab service runs (2 workers: on 2+ cores). */
const VARIANTS = [
  { host: HOSTS.tcpW1, of: 'tcp', workers: 1 },
  { host: HOSTS.tcpW2, of: 'tcp', workers: 2 },
  { host: HOSTS.httpW1, of: 'http', workers: 1 },
  { host: HOSTS.httpW2, of: 'http', workers: 2 },
] as const
/** The network-limit servers (bench/netlimit.ts drives them from the run-only netperf-client). */
const NETPERF = ['netperf-iperf3', 'netperf-sockperf'] as const
const GROUPS = ['tcp', 'udp', 'http', 'rpc'] as const
const DEFAULT_SECONDS = 3
/** A per-source UDP rate limit at least this high does not cap the bench's load. */
const UDP_UNLIMITED_PPS = 200_000

const USAGE = `usage: node bench/main.ts [--project netlab] [--seconds ${DEFAULT_SECONDS}] [--only tcp,udp,http,rpc] [--smoke] [--no-pin] [--json] [--out bench-results]`

interface Options {
  readonly project: string
  readonly seconds: number
  readonly only: readonly string[]
  readonly smoke: boolean
  /** the generator and the servers on separate CPUs (bench/pinning.ts) */
  readonly pin: boolean
  readonly json: boolean
  readonly out: string
}

/** parseOptions reads argv and the environment; undefined means --help. */
function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    allowNegative: true,
    options: {
      project: { type: 'string', default: env.COMPOSE_PROJECT_NAME || 'netlab' },
      seconds: { type: 'string', default: env.BENCH_SECONDS || String(DEFAULT_SECONDS) },
      only: { type: 'string', default: GROUPS.join(',') },
      smoke: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: true },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: join(ROOT, 'bench-results') },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) return undefined
  const seconds = Number(values.seconds)
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 600)
    throw new LabError(
      'INVALID_ARGUMENT',
      `--seconds (BENCH_SECONDS) must be a number from 0.1 to 600, not ${JSON.stringify(values.seconds)}`,
    )
  const only = values.only.split(',').filter(Boolean)
  const unknown = only.filter((g) => !(GROUPS as readonly string[]).includes(g))
  if (only.length === 0 || unknown.length > 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `--only takes some of ${GROUPS.join(',')}; unknown: ${unknown.join(', ') || '(none given)'}`,
    )
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(values.project))
    throw new LabError(
      'INVALID_ARGUMENT',
      `--project must be a compose project name (a-z, 0-9, _ and -), not ${JSON.stringify(values.project)}`,
    )
  return {
    project: values.project,
    seconds,
    only,
    smoke: values.smoke,
    pin: values.pin,
    json: values.json,
    out: resolve(values.out),
  }
}

/** stamp is a UTC time usable in a file name: 20261121T170512Z. */
/** imageExists says whether the local engine has `image`. */
function imageExists(image: string | undefined): Promise<boolean> {
  if (image === undefined) return Promise.resolve(false)
  return new Promise((resolve) =>
    execFile('docker', ['image', 'inspect', image], { timeout: 15_000 }, (err) => resolve(!err)),
  )
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')

/** Progress draws a bar on a terminal, and one line per step elsewhere (CI logs). */
class Progress {
  readonly #bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: 'bench [{bar}] {value}/{total} {step}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  #total = 0

  #running = false

  note(text: string): void {
    if (this.#bar && this.#running) this.#bar.update({ step: text })
    else process.stderr.write(`bench: ${text}\n`)
  }

  start(total: number): void {
    this.#total = total
    this.#running = true
    this.#bar?.start(total, 0, { step: '' })
  }

  step(index: number, text: string): void {
    if (this.#bar) this.#bar.update(index, { step: text })
    else process.stderr.write(`bench: [${index + 1}/${this.#total}] ${text}\n`)
  }

  warn(text: string): void {
    process.stderr.write(`${this.#bar && this.#running ? '\n' : ''}bench: warning: ${text}\n`)
  }

  stop(): void {
    if (this.#bar && this.#running) {
      this.#running = false
      this.#bar.update(this.#total)
      this.#bar.stop()
    }
  }
}

async function run(opts: Options): Promise<number> {
  const startedAt = new Date()
  const cores = availableParallelism()
  const pinning = opts.pin ? planPinning(cores) : undefined
  // httpbin's gunicorn runs one process per core the servers have, as netlab's services
  // default to a thread per core
  const serverCores = pinning ? cores - Math.floor(cores / 2) : cores
  const env = {
    // baseline-pyrpc and the load generator share this run's key, never the seeds' public one
    ...withBenchAuthkey(process.env, newBenchAuthkey()),
    BENCH_HTTPBIN_WORKERS: process.env.BENCH_HTTPBIN_WORKERS || String(serverCores),
    BENCH_LOAD_CPUS: pinning?.load ?? '',
  }
  const compose = new Compose({ project: opts.project, root: ROOT, env })
  const progress = new Progress()
  const defined = await compose.services()
  const running = await compose.running()
  const lab = LAB.filter((s) => running.has(s))
  if (lab.length === 0)
    throw new LabError(
      'LAB_NOT_RUNNING',
      `no lab service is running in compose project "${opts.project}": run \`make up\` first (or pass --project)`,
    )
  if (lab.includes('udp') && opts.only.includes('udp')) {
    // the UDP service's reflection guard limits each source address; the load generator is one
    const pps = Number((await compose.envOf('udp')).get('UDP_RATE_LIMIT_PPS') || 2000)
    if (pps < UDP_UNLIMITED_PPS)
      progress.warn(
        `the udp service limits each source to UDP_RATE_LIMIT_PPS=${pps} replies/s: its figures will show the limiter, not the server (make up UDP_RATE_LIMIT_PPS=1000000 UDP_RATE_LIMIT_BURST=1000000 to measure the server)`,
      )
  }
  const imageOf = await compose.images()
  const wanted: string[] = []
  const variants = VARIANTS.filter(
    (v) => lab.includes(v.of) && opts.only.includes(v.of) && v.workers <= cores,
  ).map((v) => v.host)
  for (const s of [...BASELINES, ...variants, ...NETPERF]) {
    if (!defined.has(s)) continue
    if (running.has(s) || (await imageExists(imageOf.get(s)))) wanted.push(s)
    else
      progress.warn(`${s}: image ${imageOf.get(s) ?? '?'} is missing (make images): its figures are skipped`)
  }
  // a running baseline-pyrpc has another run's key: `up` recreates it with this one
  const toStart = wanted.filter((s) => !running.has(s) || s === HOSTS.pyrpc)
  progress.note(`lab: ${lab.join(', ')}; starting ${toStart.join(', ') || 'nothing'}`)
  const started: string[] = []
  let unpin: (() => Promise<void>) | undefined
  try {
    if (toStart.length > 0) {
      started.push(...toStart)
      const up = () => compose.run(['up', '-d', '--wait', '--no-deps', ...toStart], 180_000)
      // once more on failure: on a loaded machine a health check can give up on a slow start
      await up().catch((err: unknown) => {
        progress.warn(`${err instanceof Error ? err.message : String(err)}; trying once more`)
        return up()
      })
    }
    // each subject's container: pinned, and read for its CPU usage at the marks
    const ids = new Map<string, string>()
    for (const host of [...lab, ...wanted]) {
      const id = await compose.containerId(host)
      if (id) ids.set(host, id)
    }
    const pins = await pinServers(pinning, [...ids.values()], cores, (text) => progress.warn(text))
    unpin = pins.unpin
    if (pins.pinned)
      progress.note(`CPUs: the load generator on ${pins.pinned.load}, the servers on ${pins.pinned.servers}`)
    const measurements: Measurement[] = []
    if (NETPERF.every((s) => wanted.includes(s))) {
      progress.note('network limit: iperf3 and sockperf between two containers')
      try {
        measurements.push(
          ...(await measureNetworkLimit({
            compose: (args) => compose.run(args),
            seconds: opts.seconds,
            onProgress: (text) => progress.note(text),
          })),
        )
      } catch (err) {
        progress.warn(`network limit not measured: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    const runName = `${opts.project}-bench-load-${randomBytes(4).toString('hex')}`
    const loadArgs = [
      'run',
      '--rm',
      '-T',
      '--no-deps',
      '--name',
      runName,
      'bench-load',
      '--seconds',
      String(opts.seconds),
      '--hosts',
      [...lab, ...wanted].join(','),
      '--only',
      opts.only.join(','),
      ...(opts.smoke ? ['--smoke'] : []),
      '--sync',
    ]
    const dockerHost = process.env.DOCKER_HOST ?? ''
    const meter = new CpuMeter(
      dockerHost.startsWith('unix://') ? { dockerSocket: dockerHost.slice('unix://'.length) } : {},
    )
    const before = new Map<string, number | undefined>()
    const after = new Map<string, number | undefined>()
    let cpuQueue: Promise<void> = Promise.resolve()
    let cpuMissing = false
    let done = false
    const { code, stderr, timedOut } = await compose.stream(
      loadArgs,
      (line, reply) => {
        const event = parseEvent(line)
        if (event instanceof Error) return progress.warn(`load generator: ${event.message}`)
        switch (event.type) {
          case 'plan':
            return progress.start(event.steps)
          case 'step':
            return progress.step(event.index, `${event.id} ${event.subject}`)
          case 'mark': {
            const key = `${event.id}|${event.subject}`
            const id = ids.get(event.host)
            cpuQueue = cpuQueue.then(async () => {
              const usage = id === undefined ? undefined : await meter.read(id)
              if (usage === undefined && !cpuMissing) {
                cpuMissing = true
                progress.warn(
                  `cannot read the CPU usage of ${event.host}'s container: CPU per exchange is not recorded`,
                )
              }
              ;(event.phase === 'start' ? before : after).set(key, usage)
              reply('go')
            })
            return
          }
          case 'result': {
            const m = event.measurement
            const key = `${m.id}|${m.subject}`
            const cpu = cpuPerExchange(before.get(key), after.get(key), m.ops)
            measurements.push(cpu ? { ...m, cpu } : m)
            return
          }
          case 'failed':
            return progress.warn(`${event.id} (${event.subject}): ${event.message}`)
          case 'done':
            done = true
            return
        }
      },
      {
        // a step takes its seconds, a warm-up and the generator's grace; no output for far longer is a hang
        idleTimeoutMs: (opts.seconds * 2 + 60) * 1000,
        signal: interrupted.signal,
        onTimeout: async () => {
          await compose.run(['rm', '-f', '-s', runName]).catch(() => undefined)
        },
      },
    )
    progress.stop()
    if (interrupted.signal.aborted) throw interrupted.signal.reason
    if (!done || code !== 0)
      throw new LabError(
        'LOAD_FAILED',
        `the load generator ${timedOut ? 'went silent and was stopped' : `exited with ${code}`}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
      )
    const images = [...imageOf.values()]
    const result: BenchResult = benchResultSchema.parse({
      version: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      stepSeconds: opts.seconds,
      smoke: opts.smoke,
      pinning: pins.pinned,
      machine: await describeMachine(ROOT, [...new Set(images)].sort()),
      measurements,
      comparisons: compare(measurements),
      targets: judgeTargets(measurements, { judge: !opts.smoke }),
    })
    await mkdir(opts.out, { recursive: true })
    const base = join(opts.out, stamp(startedAt))
    const json = `${JSON.stringify(result, null, 2)}\n`
    await writeFile(`${base}.json`, json)
    await writeFile(join(opts.out, 'latest.json'), json)
    await writeFile(`${base}.html`, renderHtml(result))
    if (opts.json) process.stdout.write(json)
    else {
      process.stdout.write(renderTable(result))
      process.stdout.write(`\nwrote ${base}.json (and latest.json) and ${base}.html\n`)
    }
    return 0
  } finally {
    await unpin?.()
    if (started.length > 0) await compose.run(['rm', '-f', '-s', '-v', ...started]).catch(() => undefined)
  }
}

// Ctrl-C (or SIGTERM) stops the load generator; `run` then removes the bench services it started.
const interrupted = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => interrupted.abort(new LabError('INTERRUPTED', `stopped by ${signal}`)))

try {
  const opts = parseOptions(process.argv.slice(2), process.env)
  if (opts) process.exitCode = await run(opts)
  else process.stdout.write(`${USAGE}\n`)
} catch (err) {
  const code =
    err instanceof LabError
      ? err.code
      : String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')
        ? 'USAGE'
        : 'FAILED'
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = code === 'USAGE' || code === 'INVALID_ARGUMENT' ? 2 : 1
}
