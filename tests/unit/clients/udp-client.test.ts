/**
 * udpRequest and the one-shot UDP protocols over real loopback sockets, against scripted
 * test doubles: drops, duplicates, late replies, crossed and forged SNTP replies, silence,
 * closed ports and a service that comes back while the client is retrying.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  backoffSchedule,
  formatDuration,
  type RetryOptions,
  udpRequest,
} from '../../../clients/cli/net/udp-client.ts'
import {
  ctimeQuery,
  helloQuery,
  rfc868Query,
  rfc868ToUnixMs,
  sntpQuery,
  statsQuery,
} from '../../../clients/cli/net/udp-queries.ts'
import { LabError } from '../../../lib/errors.ts'
import { ctime, rfc868 } from '../../../protocols/ctime.ts'
import { nowMs } from '../../../protocols/ntp-time.ts'
import { decodeProbeRequest, encodeStatsReply } from '../../../protocols/probe/packet.ts'
import { decodeRequest, encodeReply, encodeRequest } from '../../../protocols/sntp/packet.ts'
import { type Behaviour, freePort, sntpReply, startDouble, testClock } from '../../support/udp-double.ts'

/** No jitter: 40, 80, 160, 160, 160 ms. */
const fast: RetryOptions = { timeoutMs: 40, maxTimeoutMs: 160, random: () => 0.5 }

const hello: Behaviour = (req, d) => d.reply(req.from, Buffer.from(`Hello, ${req.msg.toString()}!`))

async function rejection(p: Promise<unknown>): Promise<LabError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(LabError)
  return err as LabError
}

describe('backoffSchedule', () => {
  it.each([
    { opts: { random: () => 0.5 }, expected: [300, 600, 1200, 2000, 2000] },
    { opts: { random: () => 0 }, expected: [270, 540, 1080, 1800, 1800] },
    { opts: { random: () => 0.999_999 }, expected: [330, 660, 1320, 2000, 2000] },
    { opts: { random: () => 0.5, retries: 0 }, expected: [300] },
    {
      opts: { random: () => 0.5, timeoutMs: 100, maxTimeoutMs: 250, retries: 3 },
      expected: [100, 200, 250, 250],
    },
    { opts: { random: () => 0.5, timeoutMs: 5000, retries: 1 }, expected: [5000, 5000] },
  ])('$expected', ({ opts, expected }) => {
    expect(backoffSchedule(opts)).toEqual(expected)
  })

  it('keeps every jittered timeout within ±10 % and under the cap', () => {
    for (let i = 0; i < 200; i++) {
      const s = backoffSchedule()
      const nominal = [300, 600, 1200, 2000, 2000]
      s.forEach((ms, k) => {
        expect(ms).toBeGreaterThanOrEqual(Math.round((nominal[k] as number) * 0.9))
        expect(ms).toBeLessThanOrEqual(Math.min(2000, Math.round((nominal[k] as number) * 1.1)))
      })
    }
  })

  it.each([{ retries: 21 }, { retries: -1 }, { timeoutMs: 0 }, { timeoutMs: 1.5 }])('rejects %o', (opts) => {
    expect(() => backoffSchedule(opts)).toThrow(LabError)
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [740, '740 ms'],
    [999.4, '999 ms'],
    [1740, '1 s 740 ms'],
    [2000, '2 s'],
    [6104.2, '6 s 104 ms'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('udpRequest retransmission', () => {
  it.each([
    {
      name: 'drops the first 2 requests: succeeds on attempt 3',
      behaviour: ((req, d) => {
        if (req.index >= 2) hello(req, d)
      }) as Behaviour,
      attempts: 3,
      answered: 3,
      requests: 3,
    },
    {
      name: 'answers every request twice: one answer, the duplicate ignored',
      behaviour: ((req, d) => {
        hello(req, d)
        hello(req, d)
      }) as Behaviour,
      attempts: 1,
      answered: 1,
      requests: 1,
    },
    {
      name: 'answers only the first retry',
      behaviour: ((req, d) => {
        if (req.index === 1) hello(req, d)
      }) as Behaviour,
      attempts: 2,
      answered: 2,
      requests: 2,
    },
  ])('$name', async ({ behaviour, attempts, answered, requests }) => {
    const d = await startDouble(behaviour)
    const result = await helloQuery({ host: '127.0.0.1', port: d.port }, 'Michael', fast)
    expect(result).toMatchObject({ reply: 'Hello, Michael!', attempts, answered })
    expect(result.rttMs).toBeGreaterThanOrEqual(0)
    expect(result.rttMs).toBeLessThan(40)
    await delay(20) // let any duplicate land on the (closed) socket
    expect(d.requests).toHaveLength(requests)
    // each attempt comes from a fresh source port
    expect(new Set(d.requests.map((r) => r.from.port)).size).toBe(requests)
  })

  it('accepts a late reply to attempt 1 after retrying, with RTT measured from attempt 1', async () => {
    // attempt 1 at 0 ms is answered at 100 ms; attempt 2 (40 ms) is dropped, attempt 3 would be at 120 ms
    const d = await startDouble((req, dd) => {
      if (req.index === 0) dd.reply(req.from, Buffer.from('Wed Aug 15 20:35:08 2012'), 100)
    })
    const result = await ctimeQuery({ host: '127.0.0.1', port: d.port }, fast)
    expect(result.reply).toBe('Wed Aug 15 20:35:08 2012')
    expect(result.answered).toBe(1)
    expect(result.attempts).toBeGreaterThanOrEqual(2)
    // measured from attempt 2's send it would be about 60 ms
    expect(result.rttMs).toBeGreaterThanOrEqual(99)
    expect(result.rttMs).toBeLessThan(200)
  })

  it('fails with NO_REPLY after 5 attempts when nothing answers, within the backoff schedule', async () => {
    const d = await startDouble(() => {})
    const quick: RetryOptions = { timeoutMs: 20, maxTimeoutMs: 80, random: () => 0.5 } // 20+40+80+80+80
    const started = performance.now()
    const err = await rejection(helloQuery({ host: '127.0.0.1', port: d.port }, 'x', quick))
    const elapsed = performance.now() - started
    expect(err.code).toBe('NO_REPLY')
    expect(err.message).toMatch(
      new RegExp(`^no reply from 127\\.0\\.0\\.1:${d.port} after 5 attempts \\(\\d+ ms\\)$`),
    )
    expect(elapsed).toBeGreaterThanOrEqual(299)
    expect(elapsed).toBeLessThan(300 + 250)
    expect(d.requests).toHaveLength(5)
    expect(new Set(d.requests.map((r) => r.from.port)).size).toBe(5)
  })

  it('retries through ICMP port unreachable and says so in the final error', async () => {
    const port = await freePort()
    const started = performance.now()
    const err = await rejection(
      ctimeQuery(
        { host: '127.0.0.1', port },
        { timeoutMs: 20, retries: 2, maxTimeoutMs: 80, random: () => 0.5 },
      ),
    )
    expect(err.code).toBe('NO_REPLY')
    expect(err.message).toMatch(
      new RegExp(
        `^no reply from 127\\.0\\.0\\.1:${port} after 3 attempts \\(\\d+ ms\\): port unreachable \\(ECONNREFUSED\\)$`,
      ),
    )
    // refusals do not cut the schedule short: 20 + 40 + 80
    expect(performance.now() - started).toBeGreaterThanOrEqual(139)
  })

  it('succeeds when the service comes back while the client is retrying', async () => {
    const port = await freePort()
    const request = helloQuery({ host: '127.0.0.1', port }, 'Tracy', {
      timeoutMs: 30,
      maxTimeoutMs: 120,
      random: () => 0.5,
    })
    await delay(45) // attempts 1 (0 ms) and 2 (30 ms) were refused; attempt 3 goes at 90 ms
    const d = await startDouble(hello, { port })
    const result = await request
    expect(result.reply).toBe('Hello, Tracy!')
    expect(result.answered).toBeGreaterThanOrEqual(3)
    expect(d.requests.length).toBeGreaterThanOrEqual(1)
  })

  it('fails with CONNECT_FAILED for an unknown host', async () => {
    const err = await rejection(
      udpRequest({
        host: 'no-such-host',
        port: 20000,
        request: () => Buffer.alloc(0),
        match: () => 'never',
        resolve: () =>
          Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
      }),
    )
    expect(err.code).toBe('CONNECT_FAILED')
    expect(err.message).toBe('cannot reach no-such-host:20000: unknown host (ENOTFOUND)')
  })

  it('ignores replies the matcher rejects or throws on', async () => {
    const d = await startDouble((req, dd) => {
      dd.reply(req.from, Buffer.from('garbage'))
      dd.reply(req.from, Buffer.from('throw'))
      dd.reply(req.from, Buffer.from('good'))
    })
    const result = await udpRequest({
      host: '127.0.0.1',
      port: d.port,
      ...fast,
      request: () => Buffer.from('q'),
      match: (buf) => {
        const text = buf.toString()
        if (text === 'throw') throw new Error('bad reply')
        return text === 'good' ? text : undefined
      },
    })
    expect(result).toMatchObject({ reply: 'good', attempts: 1, answered: 1 })
  })
})

describe('SNTP over udpRequest', () => {
  const target = (port: number) => ({ host: '127.0.0.1', port })

  it('answers with offset, delay, stratum and refid', async () => {
    const d = await startDouble((req, dd) => sntpReply(dd, req))
    const { reply, attempts } = await sntpQuery(target(d.port), fast)
    expect(attempts).toBe(1)
    expect(reply).toMatchObject({ stratum: 1, refId: 'LOCL', version: 4 })
    expect(Math.abs(reply.offsetMs)).toBeLessThan(5)
    expect(reply.delayMs).toBeGreaterThanOrEqual(-0.01)
    expect(reply.delayMs).toBeLessThan(20)
    expect(Math.abs(reply.serverTimeMs - nowMs())).toBeLessThan(1000)
  })

  it("computes a late reply to attempt 1 with attempt 1's T1", async () => {
    // held 100 ms by the server (T3 − T2 ≈ 100), so delay ≈ 0 and offset ≈ 0; with attempt 2's
    // T1 (40 ms later) the delay would be ≈ −40 ms and the offset ≈ −20 ms
    const d = await startDouble((req, dd) => {
      if (req.index === 0) sntpReply(dd, req, 100)
    })
    const result = await sntpQuery(target(d.port), fast)
    expect(result.answered).toBe(1)
    expect(result.attempts).toBeGreaterThanOrEqual(2)
    expect(result.rttMs).toBeGreaterThanOrEqual(99)
    expect(result.reply.delayMs).toBeGreaterThanOrEqual(-0.01)
    expect(result.reply.delayMs).toBeLessThan(20)
    expect(Math.abs(result.reply.offsetMs)).toBeLessThan(10)
  })

  it('ignores a reply whose Originate is not the Transmit of the attempt it reached', async () => {
    // attempt 2's socket first gets the answer to attempt 1 (crossed), which must not count
    const d = await startDouble((req, dd) => {
      const first = dd.requests[0]
      if (req.index === 1 && first) {
        const decoded = decodeRequest(first.msg)
        if (typeof decoded !== 'string')
          dd.reply(req.from, encodeReply(decoded, testClock, first.receivedMs, nowMs()))
      }
      if (req.index === 2) sntpReply(dd, req)
    })
    const result = await sntpQuery(target(d.port), fast)
    expect(result.answered).toBe(3)
    expect(Math.abs(result.reply.offsetMs)).toBeLessThan(5)
  })

  it('ignores a forged reply before the real one', async () => {
    const d = await startDouble((req, dd) => {
      const forged = decodeRequest(encodeRequest(nowMs() - 5000))
      if (typeof forged !== 'string')
        dd.reply(req.from, encodeReply(forged, testClock, nowMs() + 9e6, nowMs() + 9e6))
      sntpReply(dd, req)
    })
    const result = await sntpQuery(target(d.port), fast)
    expect(result.answered).toBe(1)
    expect(Math.abs(result.reply.offsetMs)).toBeLessThan(5)
  })

  it("turns a kiss-o'-death into a LabError", async () => {
    const d = await startDouble((req, dd) =>
      sntpReply(dd, req, 0, { ...testClock, stratum: 0, refId: 'RATE' }),
    )
    const err = await rejection(sntpQuery(target(d.port), fast))
    expect(err.code).toBe('KISS_OF_DEATH')
    expect(err.message).toContain('RATE')
  })
})

describe('ctime, RFC 868 and stats', () => {
  it('ctime returns the text as sent', async () => {
    const d = await startDouble((req, dd) => dd.reply(req.from, Buffer.from(ctime(new Date()), 'ascii')))
    const { reply } = await ctimeQuery({ host: '127.0.0.1', port: d.port }, fast)
    expect(reply).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/)
    expect(d.requests[0]?.msg.length).toBe(0)
  })

  it('RFC 868 ignores replies that are not 4 bytes', async () => {
    const d = await startDouble((req, dd) => {
      dd.reply(req.from, Buffer.from('12345'))
      dd.reply(req.from, rfc868(Date.now()))
    })
    const { reply } = await rfc868Query({ host: '127.0.0.1', port: d.port }, fast)
    expect(Math.abs(reply.unixMs - Date.now())).toBeLessThan(2000)
    expect(reply.secondsSince1900).toBe(reply.unixMs / 1000 + 2_208_988_800)
  })

  it.each([
    [2_208_988_800, 0],
    [3_554_051_708, Date.UTC(2012, 7, 15, 20, 35, 8)],
    [0, Date.UTC(2036, 1, 7, 6, 28, 16)],
  ])('rfc868ToUnixMs(%d) = %d', (seconds, ms) => {
    expect(rfc868ToUnixMs(seconds)).toBe(ms)
  })

  const statsServer = (stats: unknown): Behaviour => {
    return (req, dd) => {
      const decoded = decodeProbeRequest(req.msg)
      if (typeof decoded !== 'string' && decoded.type === 'stats')
        dd.reply(req.from, encodeStatsReply(decoded.length, stats))
    }
  }

  it('stats fits in the 1400-byte request', async () => {
    const stats = { workers: 2, received: { ctime: 3 } }
    const d = await startDouble(statsServer(stats))
    const result = await statsQuery({ host: '127.0.0.1', port: d.port }, fast)
    expect(result.reply).toEqual(stats)
    expect(d.requests.map((r) => r.msg.length)).toEqual([1400])
  })

  it('stats retries once with the size a TOO_SHORT reply asks for', async () => {
    const stats = { names: Array.from({ length: 300 }, (_, i) => `counter-${i}`) }
    const needed = 8 + Buffer.byteLength(JSON.stringify(stats))
    const d = await startDouble(statsServer(stats))
    const result = await statsQuery({ host: '127.0.0.1', port: d.port }, fast)
    expect(result.reply).toEqual(stats)
    expect(result.requestBytes).toBe(needed)
    expect(d.requests.map((r) => r.msg.length)).toEqual([1400, needed])
  })

  it('stats gives up when the counters cannot fit in a datagram', async () => {
    const d = await startDouble((req, dd) => {
      const out = Buffer.alloc(12)
      out.writeUInt32BE(0x4e4c5031, 0)
      out[4] = 0x83
      out.writeUInt32BE(70_000, 8)
      dd.reply(req.from, out)
    })
    const err = await rejection(statsQuery({ host: '127.0.0.1', port: d.port }, fast))
    expect(err.code).toBe('STATS_TOO_LARGE')
  })
})
