/** The suite's plan and arithmetic: step ids, ratios, and the suite's targets judged on synthetic figures. */
import { describe, expect, it } from 'vitest'
import type { Measurement } from '../../../bench/result.ts'
import { buildSuite, compare, TARGETS } from '../../../bench/suite.ts'

function m(over: Partial<Measurement> & Pick<Measurement, 'id' | 'subject' | 'role'>): Measurement {
  return {
    group: 'tcp',
    title: over.id,
    concurrency: 1,
    durationS: 1,
    ops: 1000,
    errors: 0,
    throughput: 1000,
    unit: 'ops/s',
    extra: {},
    ...over,
  }
}
const lat = (p50Us: number) => ({ count: 10, meanUs: p50Us, p50Us, p90Us: p50Us, p99Us: p50Us, maxUs: p50Us })

describe('buildSuite', () => {
  const steps = buildSuite()

  it('has one step per load shape the suite lists, ids unique', () => {
    const ids = steps.map((s) => s.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual([
      'tcp.upper.c1',
      'tcp.upper.c32',
      'tcp.upper.c256',
      'tcp.echo.c1',
      'tcp.echo.c32',
      'tcp.echo.c256',
      'tcp.cmd.c32',
      'udp.ctime.c1',
      'udp.ctime.c32',
      'udp.probe.c1',
      'udp.probe.c32',
      'udp.loss.r1000',
      'udp.loss.r4000',
      'udp.loss.r16000',
      'http.data.c32',
      'http.data.c256',
      'http.get.c32',
      'http.get.c256',
      'http.hello.c32',
      'http.hello.c256',
      'http.post-data',
      'rpc.xmlrpc.c1',
      'rpc.xmlrpc.c8',
      'rpc.xmlrpc.c32',
      'rpc.jsonrpc-http.c1',
      'rpc.jsonrpc-http.c8',
      'rpc.jsonrpc-http.c32',
      'rpc.jsonrpc-tcp.c1',
      'rpc.jsonrpc-tcp.c8',
      'rpc.jsonrpc-tcp.c32',
      'rpc.mpconn.c1',
      'rpc.mpconn.c8',
      'rpc.mpconn.c32',
    ])
  })

  it('measures netlab first under every step, then its baseline where there is one', () => {
    for (const s of steps) expect(s.subjects[0]?.role).toBe('netlab')
    const baselineOf = (id: string) =>
      steps
        .find((s) => s.id === id)
        ?.subjects.slice(1)
        .map((b) => b.name)
    expect(baselineOf('tcp.upper.c32')).toEqual(['node net'])
    expect(baselineOf('udp.loss.r4000')).toEqual(['node dgram'])
    expect(baselineOf('http.post-data')).toEqual(['node http'])
    expect(baselineOf('rpc.xmlrpc.c8')).toEqual(['python SimpleXMLRPCServer'])
    expect(baselineOf('rpc.mpconn.c8')).toEqual(['python mp-connection'])
    expect(baselineOf('rpc.jsonrpc-tcp.c32')).toEqual([])
  })

  it('every target names a step of the suite', () => {
    for (const t of TARGETS) expect(steps.map((s) => s.id)).toContain(t.id)
  })
})

describe('compare', () => {
  it('pairs netlab with its baseline by id and judges the ratio target', () => {
    const all = [
      m({ id: 'tcp.upper.c32', subject: 'netlab', role: 'netlab', throughput: 60_000 }),
      m({ id: 'tcp.upper.c32', subject: 'node net', role: 'baseline', throughput: 48_000 }),
      m({ id: 'tcp.echo.c32', subject: 'netlab', role: 'netlab', throughput: 10 }),
    ]
    expect(compare(all, { judge: true })).toEqual([
      {
        id: 'tcp.upper.c32',
        title: 'tcp.upper.c32',
        netlab: 'tcp.upper.c32|netlab',
        baseline: 'tcp.upper.c32|node net',
        ratio: 1.25,
        basis: 'throughput',
        target: { text: '>= 1.2x node net at 32 connections', met: true },
      },
      {
        id: 'tcp.echo.c32',
        title: 'tcp.echo.c32',
        netlab: 'tcp.echo.c32|netlab',
        ratio: null,
        basis: 'throughput',
      },
    ])
  })

  it('judges nothing in a smoke run', () => {
    const all = [
      m({ id: 'tcp.upper.c32', subject: 'netlab', role: 'netlab', throughput: 1 }),
      m({ id: 'tcp.upper.c32', subject: 'node net', role: 'baseline', throughput: 48_000 }),
    ]
    expect(compare(all, { judge: false })[0]?.target).toEqual({
      text: '>= 1.2x node net at 32 connections',
      met: null,
    })
  })

  it('judges the 1-connection RTT against sockperf measured in the same run, null without it', () => {
    const netlab = m({ id: 'tcp.upper.c1', subject: 'netlab', role: 'netlab', latency: lat(130) })
    const ping = (p50: number) =>
      m({
        id: 'network.tcp.pingpong',
        subject: 'sockperf',
        role: 'limit',
        group: 'network',
        latency: lat(p50),
      })
    const met = (all: Measurement[]) => compare(all, { judge: true })[0]?.target?.met
    expect(met([netlab, ping(90)])).toBe(true) // 130 <= 135
    expect(met([netlab, ping(80)])).toBe(false) // 130 > 120
    expect(met([netlab])).toBe(null)
  })

  it('misses the UDP target on any loss, even when faster than node dgram', () => {
    const all = [
      m({
        id: 'udp.ctime.c32',
        subject: 'netlab',
        role: 'netlab',
        group: 'udp',
        throughput: 9000,
        errors: 1,
      }),
      m({ id: 'udp.ctime.c32', subject: 'node dgram', role: 'baseline', group: 'udp', throughput: 8000 }),
    ]
    expect(compare(all, { judge: true })[0]).toMatchObject({ ratio: 1.125, target: { met: false } })
  })

  it('compares the POST breakdown by end-to-end time (baseline / netlab) and its 50 ms target', () => {
    const all = [
      m({
        id: 'http.post-data',
        subject: 'netlab',
        role: 'netlab',
        group: 'http',
        extra: { endToEndMs: 60 },
      }),
      m({
        id: 'http.post-data',
        subject: 'node http',
        role: 'baseline',
        group: 'http',
        extra: { endToEndMs: 45 },
      }),
    ]
    expect(compare(all, { judge: true })[0]).toMatchObject({
      ratio: 0.75,
      basis: 'latency',
      target: { text: 'end to end (pack + transfer + unpack) median <= 50 ms', met: false },
    })
  })

  it('judges JSON-RPC over TCP on its absolute figure', () => {
    const at = (throughput: number) =>
      compare(
        [m({ id: 'rpc.jsonrpc-tcp.c32', subject: 'netlab', role: 'netlab', group: 'rpc', throughput })],
        {
          judge: true,
        },
      )[0]?.target?.met
    expect([at(50_000), at(49_999)]).toEqual([true, false])
  })
})
