/**
 * The short `make soak`: the same code (tests/soak/) for 15 s on its own compose project.
 * Every request verified, no container dead, memory judged by the same rule; the long run
 * (`make soak`, 3 minutes by default) is what gives the trend meaning.
 */
import { describe, expect, it } from 'vitest'
import { formatReport, runSoak } from '../soak/soak.ts'

describe('soak (short)', { timeout: 180_000 }, () => {
  it('15 s of mixed verified load on every service: nothing lost or wrong, memory bounded', async () => {
    const report = await runSoak({
      durationMs: 15_000,
      ratePerCheck: 10,
      sampleEveryMs: 2000,
      baseEnv: process.env,
    })
    expect(report.failures, formatReport(report)).toEqual([])
    expect(report.passed).toBe(true)
    for (const c of report.checks) expect(c.ok, c.check).toBeGreaterThan(20)
    expect(report.containers.map((c) => [c.service, c.state])).toEqual([
      ['tcp', 'running'],
      ['udp', 'running'],
      ['http', 'running'],
      ['rpc', 'running'],
    ])
  })
})
