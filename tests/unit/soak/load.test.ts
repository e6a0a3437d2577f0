/** The soak's load loop: paced, bounded by count and time, and it tells wrong answers from lost requests. */
import { describe, expect, it } from 'vitest'
import { LabError } from '../../../lib/errors.ts'
import { type Check, WrongAnswer } from '../../soak/checks.ts'
import { runLoad } from '../../soak/load.ts'

const check = (name: string, run: (n: number) => Promise<void>): Check => ({
  name,
  service: 'tcp',
  run,
  close: async () => undefined,
})

describe('runLoad', () => {
  it('counts ok, wrong and failed requests and keeps the first messages', async () => {
    const outcomes: string[] = []
    const [totals] = await runLoad(
      [
        check('mixed', async (n) => {
          if (n % 3 === 1) throw new WrongAnswer(`echo: got b${n}, want a${n}`)
          if (n % 3 === 2) throw new LabError('TIMEOUT', `no reply from tcp:9999 within 5 ms`)
        }),
      ],
      {
        durationMs: 10_000,
        ratePerCheck: 1000,
        maxRequestsPerCheck: 6,
        onOutcome: (o) => outcomes.push(`${o.kind} ${o.code ?? ''}`),
      },
    )
    expect(totals).toMatchObject({ check: 'mixed', ok: 2, wrong: 2, failed: 2 })
    expect(totals?.samples).toEqual([
      'wrong: echo: got b1, want a1',
      'failed: no reply from tcp:9999 within 5 ms',
      'wrong: echo: got b4, want a4',
      'failed: no reply from tcp:9999 within 5 ms',
    ])
    expect(outcomes).toEqual(['ok ', 'wrong ', 'failed TIMEOUT', 'ok ', 'wrong ', 'failed TIMEOUT'])
  })

  it('stops at the deadline, paced at the rate asked', async () => {
    const started = performance.now()
    const [totals] = await runLoad([check('paced', async () => undefined)], {
      durationMs: 300,
      ratePerCheck: 20,
    })
    expect(performance.now() - started).toBeLessThan(5000)
    // 300 ms at 20/s is at most 7 requests (one at 0 ms, then every 50 ms); unpaced it would be thousands
    expect(totals?.ok).toBeGreaterThanOrEqual(1)
    expect(totals?.ok).toBeLessThanOrEqual(7)
  })

  it('stops when the signal aborts', async () => {
    const stop = new AbortController()
    stop.abort()
    const [totals] = await runLoad([check('aborted', async () => undefined)], {
      durationMs: 60_000,
      ratePerCheck: 1,
      signal: stop.signal,
    })
    expect(totals?.ok).toBe(0)
  })
})
