/**
 * The netlab CLI's `udp` group from a client container on the lab network: each
 * protocol by service name, the probe's report, the stats counters, and the failure
 * modes (no reply after the backoff schedule, unknown host), each with exit code 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../support/lab.ts'

describe('netlab udp (client container → udp service)', { timeout: 30_000 }, () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab(['udp'])
  })
  afterAll(() => lab?.stop())

  it('`udp time` prints the time in the time.ctime() form', async () => {
    const { exitCode, stdout } = await lab.client('udp', 'time')
    expect(exitCode).toBe(0)
    expect(stdout).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/)
  })

  it('`udp hello Michael` prints Hello, Michael!', async () => {
    expect(await lab.client('udp', 'hello', 'Michael')).toEqual({
      exitCode: 0,
      stdout: 'Hello, Michael!\n',
      stderr: '',
    })
  })

  it('`udp rfc868` prints the server time, close to ours', async () => {
    const { stdout } = await lab.client('udp', 'rfc868')
    const iso = stdout.split(' ')[0] as string
    expect(Math.abs(Date.parse(iso) - Date.now())).toBeLessThan(3000)
  })

  it('`--json udp sntp` reports stratum 1, refid LOCL and an offset near zero', async () => {
    const report = JSON.parse((await lab.client('--json', 'udp', 'sntp')).stdout) as Record<string, unknown>
    expect(report).toMatchObject({ stratum: 1, refId: 'LOCL', leap: 0, version: 4, attempts: 1 })
    expect(Math.abs(report.offsetMs as number)).toBeLessThan(50)
    expect(report.delayMs).toBeGreaterThanOrEqual(0)
  })

  it('`--json udp probe --count 500 --rate 500` counts every probe and reports RTT percentiles', async () => {
    const { exitCode, stdout } = await lab.client('--json', 'udp', 'probe', '--count', '500', '--rate', '500')
    expect(exitCode).toBe(0)
    const r = JSON.parse(stdout) as {
      sent: number
      received: number
      lost: number
      duplicated: number
      rttMs: { p50: number; p90: number; p99: number; max: number }
    }
    expect(r).toMatchObject({ sent: 500, duplicated: 0 })
    expect(r.received + r.lost).toBe(500)
    expect(r.lost).toBeLessThan(25) // a shared 2-core machine may lose a few; never most
    expect(r.rttMs.p50).toBeGreaterThan(0)
    expect(r.rttMs.p50).toBeLessThanOrEqual(r.rttMs.p90)
    expect(r.rttMs.p90).toBeLessThanOrEqual(r.rttMs.p99)
    expect(r.rttMs.p99).toBeLessThanOrEqual(r.rttMs.max)
  })

  it('`--json udp stats` shows the probes above as received and replied', async () => {
    const { stats } = JSON.parse((await lab.client('--json', 'udp', 'stats')).stdout) as {
      stats: { received: Record<string, number>; replied: Record<string, number> }
    }
    expect(stats.received.probe).toBeGreaterThanOrEqual(500)
    expect(stats.replied.hello).toBeGreaterThanOrEqual(1)
  })

  it('gives up after the last retry with a clear message and exit code 1', async () => {
    const r = await lab.client('udp', 'time', '--port', '1', '--retries', '1')
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      /^netlab: no reply from udp:1 after 2 attempts \(.+\): port unreachable \(ECONNREFUSED\)\n$/,
    )
  })

  it('fails at once on an unknown host', async () => {
    const r = await lab.client('udp', 'hello', 'x', '--host', 'no-such-service')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/^netlab: cannot reach no-such-service:9999: unknown host \(E[A-Z_]+\)\n$/)
  })
})
