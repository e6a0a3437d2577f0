/** The toxics' pure parts: slicer sizes, bandwidth pacing, UDP decisions with a seeded RNG, attribute rules. */
import { describe, expect, it } from 'vitest'
import { bandwidthPlan } from '../../../../services/faults/toxics/bandwidth.ts'
import { corruptBytes } from '../../../../services/faults/toxics/corrupt.ts'
import { TokenBucket } from '../../../../services/faults/toxics/rate.ts'
import { findToxic, toxicTypes } from '../../../../services/faults/toxics/registry.ts'
import { sliceSizes } from '../../../../services/faults/toxics/slicer.ts'
import { jittered, type UdpToxicRun } from '../../../../services/faults/toxics/toxic.ts'
import { seededRng } from '../../../support/seeded-rng.ts'

const limits = { maxDelayMs: 10_000, maxUdpFanout: 1000 }

function udpRun(type: string, attributes: Record<string, number>, seed = 1): UdpToxicRun {
  const def = findToxic(type, 'udp')
  if (!def?.udp) throw new Error(`no udp toxic ${type}`)
  return def.udp(def.attributes(limits).parse(attributes), seededRng(seed))
}

describe('toxic registry', () => {
  it('lists toxiproxy’s TCP toxics and netlab’s UDP toxics, latency on both', () => {
    expect(toxicTypes('tcp')).toEqual([
      'latency',
      'bandwidth',
      'slow_close',
      'timeout',
      'reset_peer',
      'slicer',
      'limit_data',
    ])
    expect(toxicTypes('udp')).toEqual(['latency', 'loss', 'duplicate', 'reorder', 'corrupt', 'rate'])
  })

  it('rejects attributes out of range, of the wrong type, or unknown', () => {
    const latency = findToxic('latency', 'tcp')?.attributes(limits)
    expect(latency?.safeParse({ latency: 10_001 }).success).toBe(false)
    expect(latency?.safeParse({ latency: '5' }).success).toBe(false)
    expect(latency?.safeParse({ latncy: 5 }).success).toBe(false)
    expect(latency?.parse({})).toEqual({ latency: 0, jitter: 0 })
    const slicer = findToxic('slicer', 'tcp')?.attributes(limits)
    expect(slicer?.safeParse({ average_size: 4, size_variation: 4 }).success).toBe(false)
  })
})

describe('sliceSizes', () => {
  it('cuts into exactly average_size pieces without variation, the last one the rest', () => {
    expect(sliceSizes(10, 3, 0, seededRng(1))).toEqual([3, 3, 3, 1])
  })

  it('keeps every piece within average ± variation and the total intact', () => {
    const sizes = sliceSizes(10_000, 50, 20, seededRng(7))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10_000)
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThanOrEqual(30)
      expect(s).toBeLessThanOrEqual(70)
    }
    expect(new Set(sizes).size).toBeGreaterThan(10)
  })
})

describe('bandwidthPlan', () => {
  it('paces bytes / rate ms per piece, pieces of at most 100 ms worth', () => {
    // 10 KB/s = 10 bytes per ms; 100 ms worth = 1000 bytes
    expect(bandwidthPlan(2500, 10)).toEqual([
      { start: 0, end: 1000, afterMs: 100 },
      { start: 1000, end: 2000, afterMs: 100 },
      { start: 2000, end: 2500, afterMs: 50 },
    ])
  })

  it('passes a chunk whole and at once when rate is 0 (no limit)', () => {
    expect(bandwidthPlan(5000, 0)).toEqual([{ start: 0, end: 5000, afterMs: 0 }])
  })
})

describe('jittered', () => {
  it('stays within latency ± jitter and never goes below zero', () => {
    const rng = seededRng(3)
    const values = Array.from({ length: 1000 }, () => jittered(100, 20, rng))
    expect(Math.min(...values)).toBeGreaterThanOrEqual(80)
    expect(Math.max(...values)).toBeLessThanOrEqual(120)
    expect(jittered(5, 50, () => 0)).toBe(0)
  })
})

describe('UDP toxics', () => {
  const d = { data: Buffer.from('abcdefgh'), delayMs: 0 }

  it('loss drops, duplicate copies, reorder and latency add delay', () => {
    expect(udpRun('loss', {}).apply(d, 0)).toEqual([])
    expect(udpRun('duplicate', { copies: 2 }).apply(d, 0)).toEqual([d, d, d])
    expect(udpRun('reorder', { delay: 30 }).apply(d, 0)).toEqual([{ data: d.data, delayMs: 30 }])
    const delays = Array.from({ length: 200 }, () =>
      udpRun('latency', { latency: 100, jitter: 10 }).apply(d, 0),
    )
    for (const [out] of delays) expect(Math.abs((out?.delayMs ?? 0) - 100)).toBeLessThanOrEqual(10)
  })

  it('corrupt changes exactly the chosen bytes and leaves an empty datagram alone', () => {
    const out = corruptBytes(Buffer.alloc(64), 1, seededRng(5))
    expect(out.filter((b) => b !== 0)).toHaveLength(1)
    expect(corruptBytes(Buffer.alloc(0), 3, seededRng(5))).toEqual(Buffer.alloc(0))
    const [changed] = udpRun('corrupt', { bytes: 1 }).apply(d, 0)
    expect(changed?.data.equals(d.data)).toBe(false)
    expect(d.data.toString()).toBe('abcdefgh') // the original is not touched
  })

  it('rate lets one second’s worth through, then drops until tokens refill', () => {
    const run = udpRun('rate', { packets: 10 })
    const passed = Array.from({ length: 15 }, () => run.apply(d, 1000).length)
    expect(passed.filter((n) => n === 1)).toHaveLength(10)
    expect(run.apply(d, 1100)).toHaveLength(1) // 100 ms later: one more token
    expect(run.apply(d, 1100)).toHaveLength(0)
  })

  it('TokenBucket refills continuously up to its size', () => {
    const b = new TokenBucket(1000, 0)
    expect(b.take(1000, 0)).toBe(true)
    expect(b.take(1, 0)).toBe(false)
    expect(b.take(500, 500)).toBe(true)
    expect(b.take(1000, 100_000)).toBe(true)
    expect(b.take(1, 100_000)).toBe(false)
  })
})
