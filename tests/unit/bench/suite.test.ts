/** The suite's plan and arithmetic: step ids, ratios, and the suite's targets judged on synthetic figures. */
import { describe, expect, it } from 'vitest'
import type { Measurement } from '../../../bench/result.ts'
import { buildSuite } from '../../../bench/suite.ts'
import { buildTargets, compare, judgeTargets } from '../../../bench/targets.ts'

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

  it('measures netlab first under every step, then its baselines and worker-count variants', () => {
    for (const s of steps) expect(s.subjects[0]?.role).toBe('netlab')
    const others = (id: string) =>
      steps
        .find((s) => s.id === id)
        ?.subjects.slice(1)
        .map((b) => `${b.name}|${b.host}|${b.role}|${b.family ?? ''}`)
    expect(others('tcp.upper.c32')).toEqual([
      'node net|baseline-net|baseline|node',
      'python ThreadingTCPServer upper (seed 003)|baseline-pyseeds|baseline|seed',
      'netlab TCP_WORKERS=1|tcp-w1|variant|',
      'netlab TCP_WORKERS=2|tcp-w2|variant|',
    ])
    expect(others('tcp.upper.c1')).toEqual(['node net|baseline-net|baseline|node'])
    expect(others('tcp.echo.c32')?.[1]).toBe(
      'python ThreadingTCPServer echo (seed 004)|baseline-pyseeds|baseline|seed',
    )
    expect(others('udp.ctime.c32')?.[1]).toBe(
      'python UDPServer ctime (seed 004)|baseline-pyseeds|baseline|seed',
    )
    expect(others('udp.loss.r4000')).toEqual(['node dgram|baseline-dgram|baseline|node'])
    expect(others('http.data.c32')?.[1]).toBe(
      'python Flask dev server (seed 000)|baseline-flask|baseline|seed',
    )
    expect(others('http.post-data')?.[1]).toBe(
      'python Flask dev server (seed 000)|baseline-flask|baseline|seed',
    )
    expect(others('http.get.c32')).toEqual([
      'node http|baseline-http|baseline|node',
      'python httpbin + gunicorn (seed 004)|baseline-httpbin|baseline|seed',
      'netlab HTTP_WORKERS=1|http-w1|variant|',
      'netlab HTTP_WORKERS=2|http-w2|variant|',
    ])
    expect(others('rpc.xmlrpc.c8')).toEqual(['python SimpleXMLRPCServer|baseline-pyrpc|baseline|seed'])
    expect(others('rpc.mpconn.c8')).toEqual(['python mp-connection|baseline-pyrpc|baseline|seed'])
    expect(others('rpc.jsonrpc-tcp.c32')).toEqual(['node net|baseline-net|baseline|node'])
  })

  it('every target names a step of the suite', () => {
    for (const t of buildTargets()) expect(steps.map((s) => s.id)).toContain(t.id)
  })
})

const cpu = (perOpUs: number) => ({ serverUs: perOpUs * 1000, perOpUs })

describe('compare', () => {
  it('pairs netlab with each baseline by id: throughput ratio and CPU ratio', () => {
    const all = [
      m({ id: 'tcp.upper.c32', subject: 'netlab', role: 'netlab', throughput: 60_000, cpu: cpu(12) }),
      m({ id: 'tcp.upper.c32', subject: 'node net', role: 'baseline', throughput: 48_000, cpu: cpu(10) }),
      m({ id: 'tcp.upper.c32', subject: 'py', role: 'baseline', throughput: 6000 }),
      m({ id: 'tcp.upper.c32', subject: 'netlab TCP_WORKERS=1', role: 'variant', throughput: 70_000 }),
      m({ id: 'tcp.echo.c32', subject: 'netlab', role: 'netlab', throughput: 10 }),
    ]
    expect(compare(all)).toEqual([
      {
        id: 'tcp.upper.c32',
        title: 'tcp.upper.c32',
        netlab: 'tcp.upper.c32|netlab',
        baseline: 'tcp.upper.c32|node net',
        ratio: 1.25,
        basis: 'throughput',
        cpuRatio: 1.2,
      },
      {
        id: 'tcp.upper.c32',
        title: 'tcp.upper.c32',
        netlab: 'tcp.upper.c32|netlab',
        baseline: 'tcp.upper.c32|py',
        ratio: 10,
        basis: 'throughput',
        cpuRatio: null,
      },
      {
        id: 'tcp.echo.c32',
        title: 'tcp.echo.c32',
        netlab: 'tcp.echo.c32|netlab',
        ratio: null,
        basis: 'throughput',
        cpuRatio: null,
      },
    ])
  })

  it('compares the POST breakdown by end-to-end time (baseline / netlab)', () => {
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
    expect(compare(all)[0]).toMatchObject({ ratio: 0.75, basis: 'latency' })
  })
})

describe('targets', () => {
  const verdict = (all: Measurement[], id: string, text: string) =>
    judgeTargets(all, { judge: true }).find((t) => t.id === id && t.text === text)

  it('judges every c32 figure against its Node baseline: >= 0.95x throughput and <= 1.1x CPU/exchange', () => {
    const at = (n: number, nCpu: number) => [
      m({ id: 'tcp.upper.c32', subject: 'netlab', role: 'netlab', throughput: n, cpu: cpu(nCpu) }),
      m({
        id: 'tcp.upper.c32',
        subject: 'node net',
        role: 'baseline',
        family: 'node',
        throughput: 1000,
        cpu: cpu(10),
      }),
    ]
    expect(verdict(at(950, 11), 'tcp.upper.c32', '>= 0.95x node net')).toEqual({
      id: 'tcp.upper.c32',
      text: '>= 0.95x node net',
      figure: '0.95x (950/s vs 1 000/s)',
      met: true,
    })
    expect(verdict(at(949, 11), 'tcp.upper.c32', '>= 0.95x node net')?.met).toBe(false)
    expect(verdict(at(950, 11), 'tcp.upper.c32', 'server CPU/exchange <= 1.1x node net')).toMatchObject({
      met: true,
      figure: '1.10x (11.0 µs vs 10.0 µs)',
    })
    expect(verdict(at(950, 11.2), 'tcp.upper.c32', 'server CPU/exchange <= 1.1x node net')?.met).toBe(false)
    // CPU not read: not measured, never met
    expect(
      verdict(
        [
          m({ id: 'tcp.upper.c32', subject: 'netlab', role: 'netlab' }),
          m({ id: 'tcp.upper.c32', subject: 'node net', role: 'baseline' }),
        ],
        'tcp.upper.c32',
        'server CPU/exchange <= 1.1x node net',
      ),
    ).toMatchObject({ met: null, figure: 'not measured' })
  })

  it('has one c32 throughput and CPU target per Node baseline, and JSON-RPC over TCP at >= 1.0x', () => {
    const texts = buildTargets().map((t) => `${t.id} ${t.text}`)
    for (const id of [
      'tcp.upper.c32',
      'tcp.echo.c32',
      'tcp.cmd.c32',
      'http.data.c32',
      'http.get.c32',
      'http.hello.c32',
    ])
      expect(texts.filter((t) => t.startsWith(`${id} `) && !t.includes('python'))).toHaveLength(2)
    expect(texts).toContain('rpc.jsonrpc-tcp.c32 >= 1x node net')
    expect(texts).toContain('rpc.jsonrpc-tcp.c32 >= 50 000 calls/s')
    expect(texts).toContain('udp.ctime.c32 >= 0.95x node dgram')
  })

  it('judges each seed Python server at >= 10x, and mp-connection at >= 2x', () => {
    const pair = (id: string, seed: string, n: number, b: number) => [
      m({ id, subject: 'netlab', role: 'netlab', throughput: n }),
      m({ id, subject: seed, role: 'baseline', family: 'seed', throughput: b }),
    ]
    const flask = 'python Flask dev server (seed 000)'
    expect(verdict(pair('http.data.c32', flask, 10_000, 1000), 'http.data.c32', `>= 10x ${flask}`)?.met).toBe(
      true,
    )
    expect(verdict(pair('http.data.c32', flask, 9999, 1000), 'http.data.c32', `>= 10x ${flask}`)?.met).toBe(
      false,
    )
    const mp = 'python mp-connection'
    expect(verdict(pair('rpc.mpconn.c8', mp, 2000, 1000), 'rpc.mpconn.c8', `>= 2x ${mp} (seed)`)?.met).toBe(
      true,
    )
    expect(verdict(pair('rpc.mpconn.c8', mp, 1999, 1000), 'rpc.mpconn.c8', `>= 2x ${mp} (seed)`)?.met).toBe(
      false,
    )
    const seedIds = buildTargets()
      .filter((t) => t.text.startsWith('>= 10x'))
      .map((t) => t.id)
    expect(seedIds).toEqual([
      'tcp.upper.c32',
      'tcp.echo.c32',
      'udp.ctime.c32',
      'http.data.c32',
      'http.get.c32',
      'rpc.xmlrpc.c8',
    ])
  })

  it('judges the seed 000 POST median and JSON-RPC over TCP absolute figures', () => {
    const post = (ms: number) =>
      verdict(
        [
          m({
            id: 'http.post-data',
            subject: 'netlab',
            role: 'netlab',
            group: 'http',
            extra: { endToEndMs: ms },
          }),
        ],
        'http.post-data',
        'seed 000 POST: end-to-end (pack + transfer + unpack) median <= 50 ms',
      )
    expect([post(50)?.met, post(50.1)?.met, post(50)?.figure]).toEqual([true, false, '50.0 ms'])
    const rpc = (throughput: number) =>
      verdict(
        [m({ id: 'rpc.jsonrpc-tcp.c32', subject: 'netlab', role: 'netlab', group: 'rpc', throughput })],
        'rpc.jsonrpc-tcp.c32',
        '>= 50 000 calls/s',
      )?.met
    expect([rpc(50_000), rpc(49_999)]).toEqual([true, false])
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
    const met = (all: Measurement[]) =>
      verdict(all, 'tcp.upper.c1', 'RTT p50 <= 1.5x sockperf TCP ping-pong p50 (same run)')?.met
    expect(met([netlab, ping(90)])).toBe(true) // 130 <= 135
    expect(met([netlab, ping(80)])).toBe(false) // 130 > 120
    expect(met([netlab])).toBe(null)
  })

  it('judges nothing in a smoke run, but still says what was measured', () => {
    const all = [
      m({ id: 'tcp.upper.c32', subject: 'netlab', role: 'netlab', throughput: 1 }),
      m({ id: 'tcp.upper.c32', subject: 'node net', role: 'baseline', throughput: 1000 }),
    ]
    const t = judgeTargets(all, { judge: false })
    expect(t.every((x) => x.met === null)).toBe(true)
    expect(t.find((x) => x.text === '>= 0.95x node net' && x.id === 'tcp.upper.c32')?.figure).toBe(
      '0.00x (1/s vs 1 000/s)',
    )
  })

  it('leaves a target not measured when netlab completed no exchange', () => {
    const all = [
      m({ id: 'tcp.upper.c32', subject: 'netlab', role: 'netlab', ops: 0, throughput: 0 }),
      m({ id: 'tcp.upper.c32', subject: 'node net', role: 'baseline', throughput: 1000 }),
    ]
    expect(verdict(all, 'tcp.upper.c32', '>= 0.95x node net')).toMatchObject({ met: null })
  })
})
