/**
 * `make bench`'s smoke run, so the bench never rots: the real docker-compose.yml under a
 * unique project with random host ports, then `node bench/main.ts --smoke` (every step once,
 * a fraction of a second each, no targets judged) against it. Proves the whole path: the
 * bench services start, the load generator reaches netlab and every baseline by name, each
 * figure comes back with exchanges and no errors (the seeds' Python servers and the 1- and
 * 2-worker variants included) and its server CPU per exchange, and the JSON and HTML files are written.
 * Timings are never asserted.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpuRange, planPinning } from '../../bench/pinning.ts'
import { type BenchResult, benchResultSchema } from '../../bench/result.ts'
import { buildSuite } from '../../bench/suite.ts'
import { buildTargets } from '../../bench/targets.ts'
import { randomHostPorts } from '../soak/compose-project.ts'

const execFileP = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')
const project = `netlab-bench-smoke-${randomUUID().slice(0, 8)}`
const env = {
  ...process.env,
  // empty host-port variables: random ports, so a running `make up` lab is not disturbed
  ...randomHostPorts(),
  // the UDP service's per-source guard would drop the load generator's datagrams (one source)
  UDP_RATE_LIMIT_PPS: '1000000',
  UDP_RATE_LIMIT_BURST: '1000000',
}

const compose = (args: string[], timeout = 120_000) =>
  execFileP('docker', ['compose', '-p', project, ...args], { cwd: root, env, timeout })

describe('make bench (smoke)', { timeout: 400_000 }, () => {
  let out: string
  let run: { stdout: string; stderr: string }
  let result: BenchResult
  /** the run's warnings: why a step counted errors */
  const warnings = () =>
    run.stderr
      .split('\n')
      .filter((l) => l.includes('warning'))
      .join('\n')

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'netlab-bench-'))
    await compose(['up', '-d', '--wait', 'tcp', 'udp', 'http', 'rpc'])
    run = await execFileP(
      'node',
      ['bench/main.ts', '--project', project, '--seconds', '0.2', '--smoke', '--out', out],
      {
        cwd: root,
        env,
        timeout: 360_000,
      },
    )
    result = benchResultSchema.parse(JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')))
  }, 420_000)
  afterAll(async () => {
    await compose([
      '--profile',
      'bench',
      '--profile',
      'tools',
      'down',
      '--volumes',
      '--remove-orphans',
    ]).catch(() => undefined)
    if (out) await rm(out, { recursive: true, force: true })
  }, 120_000)

  it('prints the table, with no target judged', () => {
    const n = buildTargets().length
    expect(run.stdout).toMatch(/^netlab bench \S+ \(smoke: targets not judged\), 0\.2 s per step, /)
    expect(run.stdout).toContain(`\ntargets: 0 met, 0 missed, ${n} not judged\n`)
    expect(result.smoke).toBe(true)
    expect(result.targets.map((t) => t.met)).toEqual(Array(n).fill(null))
  })

  it('records the server CPU per exchange of every figure, netlab and baselines alike', () => {
    for (const m of result.measurements)
      if (m.role !== 'limit' && m.ops > 0) expect(m.cpu?.perOpUs, `${m.id}|${m.subject}`).toBeGreaterThan(0)
    const upper = result.comparisons.find(
      (c) => c.id === 'tcp.upper.c32' && c.baseline === 'tcp.upper.c32|node net',
    )
    expect(upper?.cpuRatio).toBeGreaterThan(0)
  })

  it('measures every step for netlab and each of its baselines, each with exchanges and no errors', () => {
    const want = buildSuite().flatMap((s) => s.subjects.map((sub) => `${s.id}|${sub.name}`))
    const got = new Map(result.measurements.map((m) => [`${m.id}|${m.subject}`, m]))
    expect([...got.keys()].filter((k) => !k.startsWith('network.')).sort()).toEqual([...want].sort())
    for (const key of want) {
      const m = got.get(key)
      expect(m?.ops, key).toBeGreaterThan(0)
      // the loss sweep is open loop: a datagram lost at 16k/s on a busy machine is its finding, not a failure
      if (!key.startsWith('udp.loss.')) expect(m?.errors, `${key}: ${warnings()}`).toBe(0)
    }
  })

  it('measures the network limit with iperf3 and sockperf in the same run', () => {
    const limits = result.measurements.filter((m) => m.role === 'limit').map((m) => `${m.id}|${m.subject}`)
    expect(limits.sort()).toEqual([
      'network.tcp.pingpong|sockperf',
      'network.tcp.throughput|iperf3',
      'network.udp.pingpong|sockperf',
    ])
  })

  it('records the machine and writes the HTML report beside the JSON', async () => {
    expect(result.machine.cores).toBeGreaterThan(0)
    expect(Object.keys(result.machine.images)).toContain(`netlab-bench:${process.env.NETLAB_TAG || 'dev'}`)
    const stamp = result.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
    expect(JSON.parse(await readFile(join(out, `${stamp}.json`), 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(result)),
    )
    const html = await readFile(join(out, `${stamp}.html`), 'utf8')
    expect(html).toContain('<svg')
    expect(html).toContain('tcp.upper.c32')
  })

  it('stops the bench services it started, and leaves the lab running', async () => {
    const { stdout } = await compose(['--profile', 'bench', 'ps', '--format', '{{.Service}}'])
    expect(stdout.trim().split('\n').sort()).toEqual(['http', 'rpc', 'tcp', 'udp'])
  })

  it("pins the load generator and the servers to separate CPUs, then gives the lab's back", async () => {
    const cores = availableParallelism()
    expect(result.pinning).toEqual(planPinning(cores) ?? null)
    if (result.pinning) expect(run.stdout).toContain(`servers on ${result.pinning.servers})`)
    const { stdout } = await compose(['ps', '-q', 'tcp', 'udp', 'http', 'rpc'])
    const ids = stdout.trim().split('\n')
    const { stdout: cpusets } = await execFileP('docker', [
      'inspect',
      '--format',
      '{{.HostConfig.CpusetCpus}}',
      ...ids,
    ])
    // Docker cannot set "" (every CPU) again: the whole list stands for it
    for (const cpus of cpusets.trim().split('\n')) expect(['', cpuRange(0, cores - 1)]).toContain(cpus)
  })
})
