/**
 * The probe runner: ProbeStats' arithmetic on synthetic replies, and runProbe over loopback
 * against a double that drops, duplicates, reorders and injects foreign-session replies.
 */
import { describe, expect, it } from 'vitest'
import { type ProbeOptions, ProbeStats, runProbe } from '../../../clients/cli/net/probe-runner.ts'
import { median } from '../../../clients/cli/stats.ts'
import { LabError } from '../../../lib/errors.ts'
import { nowMs } from '../../../protocols/ntp-time.ts'
import { decodeProbeRequest, encodeProbeReply } from '../../../protocols/probe/packet.ts'
import { type Behaviour, type DoubleRequest, freePort, startDouble } from '../../support/udp-double.ts'

/** sample builds a reply for `seq` with the given times (ms). */
const sample = (sequence: number, t1: number, t2: number, t3: number) => ({ sequence, t1, t2, t3 })

function statsWithSent(n: number): ProbeStats {
  const s = new ProbeStats(n)
  for (let i = 0; i < n; i++) s.recordSent(i)
  return s
}

describe('ProbeStats', () => {
  it('computes RTT min/mean/percentiles/max from 1..1000 ms', () => {
    const s = statsWithSent(1000)
    for (let i = 1; i <= 1000; i++) s.add(sample(i - 1, 0, 0, 0), i)
    const rtt = s.summary().rttMs
    expect(rtt).not.toBeNull()
    if (!rtt) return
    expect(rtt.min).toBe(1)
    expect(rtt.max).toBe(1000)
    expect(rtt.mean).toBe(500.5)
    for (const [p, want] of [
      [rtt.p50, 500],
      [rtt.p90, 900],
      [rtt.p99, 990],
    ] as const)
      expect(Math.abs(p - want) / want).toBeLessThan(0.001)
  })

  it('keeps microsecond precision and excludes the server hold time', () => {
    const s = statsWithSent(1)
    // T4 − T1 = 10.25 ms, of which 10 ms held by the server
    s.add(sample(0, 1000, 1000.1, 1010.1), 1010.25)
    expect(s.summary().rttMs).toMatchObject({ min: 0.25, max: 0.25, mean: 0.25 })
  })

  it('never reports a percentile beyond the exact min and max', () => {
    // 4793 µs falls in an HDR bucket whose highest equivalent value is above it
    const s = statsWithSent(2)
    s.add(sample(0, 0, 0, 0), 4.793)
    s.add(sample(1, 0, 0, 0), 4.793)
    expect(s.summary().rttMs).toEqual({
      min: 4.793,
      mean: 4.793,
      p50: 4.793,
      p90: 4.793,
      p99: 4.793,
      max: 4.793,
    })
  })

  it('clamps a negative delay (clock steps) to zero', () => {
    const s = statsWithSent(1)
    s.add(sample(0, 100, 100, 105), 101)
    expect(s.summary().rttMs?.min).toBe(0)
  })

  it.each([
    { name: 'constant transit', transits: [5, 5, 5, 5], jitter: 0 },
    { name: 'one step of 2 ms', transits: [10, 12], jitter: 2 / 16 },
    {
      name: 'alternating 10/12 ms, 50 replies',
      transits: Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 10 : 12)),
      jitter: 2 * (1 - (15 / 16) ** 49),
    },
    { name: 'single reply', transits: [7], jitter: null },
  ])('RFC 3550 jitter: $name', ({ transits, jitter }) => {
    const s = statsWithSent(transits.length)
    transits.forEach((transit, i) => {
      const t = 1000 + i * 100
      s.add(sample(i, t, t, t), t + transit)
    })
    const got = s.summary().jitterMs
    if (jitter === null) expect(got).toBeNull()
    else expect(got).toBeCloseTo(jitter, 3)
  })

  it.each([
    { offsets: [5, 1, 9], median: 5 },
    { offsets: [3, -1, 7, 2], median: 2.5 },
    { offsets: [-4], median: -4 },
  ])('clock offset is the median of $offsets', ({ offsets, median: want }) => {
    const s = statsWithSent(offsets.length)
    // θ = ((T2 − T1) + (T3 − T4)) / 2 = x with T1 = 0, T2 = T3 = x + 1, T4 = 2
    offsets.forEach((x, i) => {
      s.add(sample(i, 0, x + 1, x + 1), 2)
    })
    expect(s.summary().offsetMs).toBe(want)
  })

  it('counts duplicates, reordering, unsent sequences and loss', () => {
    const s = new ProbeStats(10)
    for (let i = 0; i < 8; i++) s.recordSent(i)
    const verdicts = [0, 2, 1, 1, 3, 5, 4, 9, 7].map((seq) => s.add(sample(seq, 0, 0, 0), 1))
    expect(verdicts).toEqual(['new', 'new', 'new', 'duplicate', 'new', 'new', 'new', 'ignored', 'new'])
    s.ignore()
    expect(s.summary()).toMatchObject({
      sent: 8,
      received: 7,
      lost: 1,
      lossPercent: 12.5,
      duplicated: 1,
      reordered: 2,
      ignored: 2,
    })
  })

  it('reports nulls when nothing came back', () => {
    const s = statsWithSent(3)
    expect(s.summary()).toMatchObject({ sent: 3, received: 0, lost: 3, lossPercent: 100, rttMs: null })
    expect(s.summary().jitterMs).toBeNull()
    expect(s.summary().offsetMs).toBeNull()
  })

  it('median', () => {
    expect(median([])).toBeUndefined()
    expect(median([10, -2, 3, 100])).toBe(6.5)
  })
})

/**
 * impairing is the double of the acceptance brief: it drops every 10th probe (sequence 9,
 * 19, …), duplicates every 7th reply (sequence 6, 13, …, unless dropped), swaps each pair
 * (20k, 20k + 1) by holding 20k's reply until 20k + 1 has been answered, and sends one
 * reply of another session when it sees sequence 50.
 */
function impairing(): Behaviour {
  const held = new Map<number, Buffer[]>()
  return (req: DoubleRequest, d) => {
    const probe = decodeProbeRequest(req.msg)
    if (typeof probe === 'string' || probe.type !== 'probe') return
    const seq = probe.sequence
    if (seq % 10 === 9) return
    const reply = encodeProbeReply(req.msg, req.receivedMs, nowMs())
    const out = seq % 7 === 6 ? [reply, reply] : [reply]
    if (seq === 50) {
      const foreign = Buffer.from(reply)
      foreign.writeUInt32BE((probe.session ^ 1) >>> 0, 12)
      d.reply(req.from, foreign)
    }
    if (seq % 20 === 0) {
      held.set(seq, out)
      return
    }
    for (const b of out) d.reply(req.from, b)
    const before = held.get(seq - 1)
    if (before) {
      for (const b of before) d.reply(req.from, b)
      held.delete(seq - 1)
    }
  }
}

const loopback = (port: number, o: Partial<ProbeOptions> = {}): ProbeOptions => ({
  host: '127.0.0.1',
  port,
  count: 10,
  rate: 1000,
  waitMs: 50,
  ...o,
})

describe('runProbe', () => {
  it('counts loss, duplicates and reordering exactly against an impairing server', async () => {
    const d = await startDouble(impairing())
    const progress: number[] = []
    const r = await runProbe(
      loopback(d.port, {
        count: 100,
        rate: 2000,
        size: 100,
        waitMs: 150,
        onProgress: (p) => progress.push(p.sent),
      }),
    )
    // dropped: 9, 19, …, 99 (10); duplicated: 6, 13, 20, …, 97 except 69 (dropped) = 13;
    // reordered: 0, 20, 40, 60, 80 arrive after their successor (5); foreign session: 1
    expect(r).toMatchObject({
      count: 100,
      size: 100,
      sent: 100,
      received: 90,
      lost: 10,
      lossPercent: 10,
      duplicated: 13,
      reordered: 5,
      ignored: 1,
      unreachable: 0,
    })
    expect(d.requests).toHaveLength(100)
    expect(d.requests.every((q) => q.msg.length === 100)).toBe(true)
    const sessions = new Set(d.requests.map((q) => q.msg.readUInt32BE(12)))
    expect([...sessions]).toEqual([r.session])
    expect(d.requests.map((q) => q.msg.readUInt32BE(8))).toEqual(Array.from({ length: 100 }, (_, i) => i))

    const rtt = r.rttMs
    expect(rtt).not.toBeNull()
    if (rtt) {
      expect(rtt.min).toBeGreaterThanOrEqual(0)
      expect(rtt.min).toBeLessThanOrEqual(rtt.p50)
      expect(rtt.p50).toBeLessThanOrEqual(rtt.p90)
      expect(rtt.p90).toBeLessThanOrEqual(rtt.p99)
      expect(rtt.p99).toBeLessThanOrEqual(rtt.max + 0.001)
    }
    expect(r.jitterMs).toBeGreaterThanOrEqual(0)
    expect(Math.abs(r.offsetMs ?? Number.NaN)).toBeLessThan(5)
    // libuv timers run on a millisecond clock and may fire up to 1 ms early against performance.now()
    expect(r.elapsedMs).toBeGreaterThanOrEqual(r.sendDurationMs + 149)
    expect(progress.at(-1)).toBe(100)
  })

  it('stops on abort: no more sends, the figures so far, marked interrupted', async () => {
    const d = await startDouble((req, dd) =>
      dd.reply(req.from, encodeProbeReply(req.msg, req.receivedMs, nowMs())),
    )
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const started = performance.now()
    const r = await runProbe(
      loopback(d.port, { count: 100_000, rate: 1000, waitMs: 5000, signal: controller.signal }),
    )
    // 200 ms of sending, then at most 250 ms for replies on their way (not the 5 s wait)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(r.interrupted).toBe(true)
    expect(r.sent).toBeGreaterThan(50)
    expect(r.sent).toBeLessThan(1000)
    expect(r).toMatchObject({ received: r.sent, lost: 0 })
    const sentWhenStopped = d.requests.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(d.requests.length).toBe(sentWhenStopped)
  })

  it('paces sends at the requested rate without exceeding it', async () => {
    const d = await startDouble((req, dd) =>
      dd.reply(req.from, encodeProbeReply(req.msg, req.receivedMs, nowMs())),
    )
    const r = await runProbe(loopback(d.port, { count: 21, rate: 200, waitMs: 30 }))
    // 20 intervals of 5 ms
    expect(r.sendDurationMs).toBeGreaterThanOrEqual(99)
    expect(r.sendRate).not.toBeNull()
    expect(r.sendRate).toBeLessThanOrEqual(200.5)
    expect(r.sendRate).toBeGreaterThan(100)
    expect(r).toMatchObject({ sent: 21, received: 21, lost: 0, duplicated: 0, reordered: 0 })
    expect(r.elapsedMs).toBeGreaterThanOrEqual(r.sendDurationMs + 29)
  })

  it('counts ICMP port unreachable and loses everything against a closed port', async () => {
    const port = await freePort()
    const r = await runProbe(loopback(port, { count: 5, rate: 500, waitMs: 30 }))
    expect(r).toMatchObject({ sent: 5, received: 0, lost: 5, rttMs: null, jitterMs: null, offsetMs: null })
    expect(r.unreachable).toBeGreaterThan(0)
    expect(r.sendRate).not.toBeNull()
  })

  it('sends one probe and reports a null send rate', async () => {
    const d = await startDouble((req, dd) =>
      dd.reply(req.from, encodeProbeReply(req.msg, req.receivedMs, nowMs())),
    )
    const r = await runProbe(loopback(d.port, { count: 1, waitMs: 20, session: 0xdeadbeef }))
    expect(r).toMatchObject({ sent: 1, received: 1, session: 0xdeadbeef, sendRate: null })
  })

  it('fails with CONNECT_FAILED for an unknown host', async () => {
    const err = await runProbe({
      ...loopback(9),
      host: 'no-such-host',
      resolve: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(LabError)
    expect((err as LabError).message).toBe('cannot reach no-such-host:9: unknown host (ENOTFOUND)')
  })

  it.each([
    { count: 0 },
    { count: 1_000_001 },
    { count: 1.5 },
    { rate: 0 },
    { rate: 100_001 },
    { size: 39 },
    { size: 1473 },
    { waitMs: -1 },
  ])('rejects %o', async (bad) => {
    const err = await runProbe(loopback(9, bad)).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(LabError)
    expect((err as LabError).code).toBe('INVALID_ARGUMENT')
  })
})
