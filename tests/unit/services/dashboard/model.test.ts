/**
 * The dashboard's aggregation: the Prometheus text parser, counters and rates from two
 * scrapes (a restart counted from zero), the latency over an interval, the history, the
 * events a service brings and the down/up changes the dashboard sees itself.
 */
import { describe, expect, it } from 'vitest'
import {
  countersOf,
  HISTORY_POINTS,
  Lab,
  ratesBetween,
  ServiceTrack,
} from '../../../../services/dashboard/model.ts'
import { byLabel, parsePromText, sum } from '../../../../services/dashboard/prom-text.ts'

const scrape = (
  requests: number,
  latencySum: number,
  latencyCount: number,
  extra = '',
) => `# HELP netlab_requests_total x
# TYPE netlab_requests_total counter
netlab_requests_total{proto="cmd",command="PING",outcome="ok"} ${requests}
netlab_requests_total{proto="cmd",command="invalid",outcome="error"} 1
netlab_errors_total{code="UNKNOWN_COMMAND"} 1
netlab_received_bytes_total{proto="cmd"} ${requests * 5}
netlab_request_duration_seconds_bucket{le="+Inf",proto="cmd"} ${latencyCount}
netlab_request_duration_seconds_sum{proto="cmd"} ${latencySum}
netlab_request_duration_seconds_count{proto="cmd"} ${latencyCount}
${extra}`

describe('prom-text', () => {
  it('reads names, labels with escapes, special values; skips comments and bad lines', () => {
    const s = parsePromText(
      [
        '# HELP a b',
        'a_total 3',
        'b{x="q\\"uote",y="new\\nline",z="back\\\\slash"} 1.5e3',
        'c{le="+Inf"} +Inf',
        'broken{x=1} 2',
        'd NaN',
        '',
      ].join('\n'),
    )
    expect(s.map((x) => x.name)).toEqual(['a_total', 'b', 'c', 'd'])
    expect(s[1]?.labels).toEqual({ x: 'q"uote', y: 'new\nline', z: 'back\\slash' })
    expect(s[1]?.value).toBe(1500)
    expect(s[2]?.value).toBe(Number.POSITIVE_INFINITY)
    expect(sum(s, 'a_total')).toBe(3)
    expect(byLabel(parsePromText('m{k="a"} 1\nm{k="b"} 2\nm{k="a"} 3'), 'm', 'k')).toEqual({ a: 4, b: 2 })
  })
})

/** polls happen after the event's time, as they do */
const T = Date.parse('2026-01-01T00:00:10.000Z')

describe('model', () => {
  it('reads counters and turns two scrapes into rates and a mean latency', () => {
    const a = countersOf(parsePromText(scrape(10, 0.01, 10)))
    const b = countersOf(parsePromText(scrape(30, 0.05, 30)))
    expect(a.requests).toBe(11)
    expect(a.requestErrors).toBe(1)
    const r = ratesBetween(a, b, 2)
    expect(r.requestsPerSecond).toBe(10)
    expect(r.bytesInPerSecond).toBe(50)
    expect(r.latencyMs).toBeCloseTo(2) // 0.04 s over 20 requests
    // a restart (counters went down) counts from zero, never a negative rate
    expect(ratesBetween(b, a, 1).requestsPerSecond).toBe(11)
    expect(ratesBetween(a, a, 1).latencyMs).toBeNull()
  })

  it('follows a service: up, counters, history, its events once, down after two missed polls, and back up', () => {
    const track = new ServiceTrack(
      'tcp',
      [{ port: 9998, protocol: 'tcp', what: 'cmd' }],
      'client tcp cmd PING',
    )
    const lab = new Lab([track])
    const health = { startedAt: '2026-01-01T00:00:00.000Z', uptimeSeconds: 10, workers: 2 }
    const ev = {
      time: '2026-01-01T00:00:05.000Z',
      level: 'warn',
      msg: 'connection refused: busy',
      code: 'BUSY',
    }
    lab.record(
      track.update({
        at: T + 1000,
        health,
        samples: parsePromText(scrape(1, 0, 0)),
        events: [ev],
        probe: { ok: true, detail: 'PING -> OK PONG' },
      }),
    )
    lab.record(
      track.update({
        at: T + 2000,
        health,
        samples: parsePromText(scrape(5, 0.004, 4)),
        events: [ev],
        probe: { ok: true, detail: 'ok' },
      }),
    )
    let v = lab.view(T + 2500).services[0]
    expect(v).toMatchObject({ service: 'tcp', state: 'up', health: 'healthy', workers: 2 })
    expect(v?.uptimeSeconds).toBe(11)
    expect(v?.rates?.requestsPerSecond).toBe(4)
    expect(v?.history).toHaveLength(1)
    expect(v?.errorCodes).toEqual([{ code: 'UNKNOWN_COMMAND', count: 1 }])
    expect(lab.view().events.filter((e) => e.code === 'BUSY')).toHaveLength(1)

    lab.record(track.update({ at: T + 2600 }))
    expect(lab.view(T + 2600).services[0]?.state).toBe('up') // one missed poll is not an outage
    lab.record(track.update({ at: T + 3000 }))
    v = lab.view(T + 3000).services[0]
    expect(v).toMatchObject({ state: 'down', health: 'unhealthy', uptimeSeconds: null, rates: null })
    expect(lab.view().events[0]).toMatchObject({ service: 'tcp', level: 'error', code: 'DOWN' })
    lab.record(track.update({ at: T + 4000, health, probe: { ok: true, detail: 'ok' } }))
    expect(lab.view().events[0]).toMatchObject({ code: 'UP' })
  })

  it('makes no event of the lab starting: down, then up, before it was ever up', () => {
    const track = new ServiceTrack('rpc', [], '')
    const health = { startedAt: '2026-01-01T00:00:00.000Z', uptimeSeconds: 1, workers: 1 }
    expect([...track.update({ at: T }), ...track.update({ at: T + 1000 })]).toEqual([])
    expect(track.state).toBe('down')
    expect(track.update({ at: T + 2000, health })).toEqual([])
    expect(track.state).toBe('up')
  })

  it('keeps at most HISTORY_POINTS intervals', () => {
    const track = new ServiceTrack('udp', [], '')
    for (let i = 0; i <= HISTORY_POINTS + 10; i++)
      track.update({ at: i * 1000, samples: parsePromText(scrape(i, 0, 0)) })
    expect(track.view(0).history).toHaveLength(HISTORY_POINTS)
  })
})
