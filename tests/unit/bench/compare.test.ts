/**
 * bench/compare.ts: figures lined up by `id|subject`, changes and regressions judged against
 * the threshold, added/removed figures, the text table and --json, exit codes, and clear
 * errors naming the file for a missing, non-JSON or non-result file. The CLI is also run as
 * a real process once, as `make bench-compare` runs it.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareResults, formatTable, runCompare } from '../../../bench/compare.ts'
import type { BenchResult } from '../../../bench/result.ts'
import { measurement, syntheticResult } from '../../support/report-fixture.ts'

/** newer is the synthetic result with some figures moved: one regression of each kind. */
function newer(): BenchResult {
  const r = syntheticResult()
  const measurements = r.measurements
    .filter((m) => m.id !== 'http.data.c32') // removed
    .map((m) => {
      if (m.id === 'tcp.upper.c32' && m.subject === 'netlab') return { ...m, throughput: 48_000 } // -20%
      if (m.id === 'udp.time.c32' && m.subject === 'netlab')
        return { ...m, latency: m.latency && { ...m.latency, p99Us: 500 } } // p99 +25%
      if (m.id === 'rpc.xmlrpc.c8' && m.subject === 'netlab') return { ...m, throughput: 9_500 } // +5.6%
      if (m.id === 'udp.time.c32' && m.subject === 'node dgram') return { ...m, errors: 3 } // 0 -> 3
      if (m.id === 'network.tcp.throughput') return { ...m, throughput: 7_000 } // +12.9%
      return m
    })
  measurements.push(measurement({ id: 'tcp.echo.c1', subject: 'netlab' }))
  return { ...r, measurements }
}

describe('compareResults', () => {
  const report = compareResults(syntheticResult(), newer(), { a: 'a.json', b: 'b.json' })
  const fig = (key: string) => report.figures.find((f) => f.key === key)

  it('flags a throughput drop and a p99 rise beyond 10% as regressions', () => {
    expect(fig('tcp.upper.c32|netlab')).toMatchObject({
      a: 60_000,
      b: 48_000,
      throughputChange: -0.2,
      p50Change: 0,
      status: 'regressed',
      reasons: ['throughput'],
    })
    expect(fig('udp.time.c32|netlab')).toMatchObject({
      p99Change: 0.25,
      status: 'regressed',
      reasons: ['p99'],
    })
    expect(report.regressions).toBe(3)
  })

  it('flags a figure that had no errors and now has some', () => {
    expect(fig('udp.time.c32|node dgram')).toMatchObject({
      throughputChange: 0,
      status: 'regressed',
      reasons: ['errors'],
    })
    // rpc.xmlrpc.c8|netlab had 2 errors in A already: not an errors regression
    expect(fig('rpc.xmlrpc.c8|netlab')?.reasons).toEqual([])
  })

  it('keeps changes within the threshold as the same, and marks improvements', () => {
    expect(fig('rpc.xmlrpc.c8|netlab')?.status).toBe('same')
    expect(fig('network.tcp.throughput|iperf3')?.status).toBe('improved')
    expect(fig('tcp.upper.c32|node net')?.status).toBe('same')
  })

  it('lists figures found in only one file', () => {
    expect(fig('http.data.c32|netlab')).toMatchObject({
      status: 'removed',
      a: 20_000,
      b: null,
      throughputChange: null,
    })
    expect(fig('tcp.echo.c1|netlab')).toMatchObject({ status: 'added', a: null, b: 10_000 })
  })

  it('uses the threshold given', () => {
    const strict = compareResults(syntheticResult(), newer(), { a: 'a', b: 'b' }, 5)
    expect(strict.figures.find((f) => f.key === 'rpc.xmlrpc.c8|netlab')?.status).toBe('improved')
    expect(compareResults(syntheticResult(), newer(), { a: 'a', b: 'b' }, 30).regressions).toBe(1)
  })

  it('prints an aligned table and a summary', () => {
    const table = formatTable(report).split('\n')
    expect(table[0]).toMatch(/^figure\s+subject\s+A\s+B\s+change\s+p50\s+p99$/)
    expect(table.find((l) => l.startsWith('tcp.upper.c32  ') && l.includes('netlab'))).toMatch(
      /60,000 ops\/s\s+48,000 ops\/s\s+-20\.0%\s+\+0\.0%\s+\+0\.0%\s+REGRESSED \(throughput\)$/,
    )
    expect(table.find((l) => l.startsWith('http.data.c32'))).toMatch(
      /20,000 req\/s\s+—\s+—\s+—\s+—\s+removed$/,
    )
    expect(table.slice(-3)).toEqual(['A = a.json', 'B = b.json', '12 figures, 3 regressed (threshold 10%)'])
  })
})

describe('runCompare', () => {
  let dir: string
  let a: string
  let b: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netlab-compare-'))
    a = join(dir, 'a.json')
    b = join(dir, 'b.json')
    await writeFile(a, JSON.stringify(syntheticResult()))
    await writeFile(b, JSON.stringify(newer()))
    await writeFile(join(dir, 'broken.json'), '{"version": 1,')
    await writeFile(join(dir, 'other.json'), JSON.stringify({ ...syntheticResult(), stepSeconds: -1 }))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('exits 0 with regressions unless --fail-on-regression', async () => {
    expect((await runCompare([a, b])).code).toBe(0)
    const failing = await runCompare(['--fail-on-regression', a, b])
    expect(failing.code).toBe(1)
    expect(failing.stdout).toContain('12 figures, 3 regressed (threshold 10%)')
    expect((await runCompare(['--fail-on-regression', a, a])).code).toBe(0)
  })

  it('writes the report as JSON with --json', async () => {
    const { code, stdout } = await runCompare(['--json', '--threshold', '25', a, b])
    expect(code).toBe(0)
    const json = JSON.parse(stdout) as { thresholdPct: number; regressions: number; figures: unknown[] }
    expect(json.thresholdPct).toBe(25)
    expect(json.regressions).toBe(1) // the errors, whatever the threshold
    expect(json.figures).toHaveLength(12)
  })

  it('names the file that is missing, not JSON, or not a bench result', async () => {
    const missing = await runCompare([a, join(dir, 'nope.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(new RegExp(`^compare: ${join(dir, 'nope.json')}: cannot read: ENOENT`))
    const broken = await runCompare([join(dir, 'broken.json'), b])
    expect(broken.stderr).toMatch(new RegExp(`^compare: ${join(dir, 'broken.json')}: not JSON: `))
    const other = await runCompare([a, join(dir, 'other.json')])
    expect(other.stderr).toBe(
      `compare: ${join(dir, 'other.json')}: not a bench result: stepSeconds: Too small: expected number to be >0\n`,
    )
  })

  it('rejects bad arguments with the usage', async () => {
    expect(await runCompare([a])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'compare: expected two result files, got 1\nusage: node bench/compare.ts [--threshold PCT] [--json] [--fail-on-regression] A.json B.json\n',
    })
    const bad = await runCompare(['--threshold', 'ten', a, b])
    expect(bad.code).toBe(2)
    expect(bad.stderr.split('\n')[0]).toBe('compare: --threshold "ten": expected a percentage from 0 to 1000')
    expect((await runCompare(['--bogus', a, b])).stderr).toMatch(/^compare: Unknown option '--bogus'/)
  })

  it('runs as a real process (node bench/compare.ts), as make bench-compare does', async () => {
    const run = promisify(execFile)
    const { stdout } = await run(process.execPath, ['bench/compare.ts', a, b], { timeout: 10_000 })
    expect(stdout).toContain('12 figures, 3 regressed (threshold 10%)')
    await expect(
      run(process.execPath, ['bench/compare.ts', '--fail-on-regression', a, b]),
    ).rejects.toMatchObject({
      code: 1,
    })
  })
})
