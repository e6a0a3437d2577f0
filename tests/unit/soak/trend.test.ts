/** The soak's "memory grows without bound" rule: a steady leak fails it, warm-up, saw-teeth and noise do not. */
import { describe, expect, it } from 'vitest'
import { type Point, slope, trend } from '../../soak/trend.ts'

const MiB = 1024 * 1024
/** one point every 5 s for `minutes`, from `f(t)` in MiB */
const series = (minutes: number, f: (t: number) => number): Point[] =>
  Array.from({ length: minutes * 12 + 1 }, (_, i) => ({ t: i * 5, bytes: f(i * 5) * MiB }))

describe('trend', () => {
  it('slope is the least-squares slope in bytes per second', () => {
    expect(
      slope([
        { t: 0, bytes: 10 },
        { t: 10, bytes: 30 },
        { t: 20, bytes: 50 },
      ]),
    ).toBe(2)
    expect(slope([{ t: 0, bytes: 10 }])).toBe(0)
  })

  it('fails a steady leak of 20 MiB/min over 4 minutes', () => {
    expect(trend(series(4, (t) => 100 + (t / 60) * 20))).toEqual({
      firstMiB: 100,
      lastMiB: 180,
      maxMiB: 180,
      slopeMiBPerMin: 20,
      growthMiB: 40,
      unbounded: true,
    })
  })

  it('passes a warm-up that levels off, and a GC saw-tooth', () => {
    expect(trend(series(4, (t) => 100 + Math.min(t, 60))).unbounded).toBe(false)
    expect(trend(series(4, (t) => 100 + (t % 30))).unbounded).toBe(false)
  })

  it('passes a short run whose slope is steep but whose growth is small', () => {
    const short = trend(series(0.25, (t) => 100 + t / 2))
    expect(short.slopeMiBPerMin).toBe(30)
    expect(short.growthMiB).toBe(2.5)
    expect(short.unbounded).toBe(false)
  })

  it('refuses an empty run', () => {
    expect(() => trend([])).toThrow('no memory samples')
  })
})
