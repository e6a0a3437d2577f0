/**
 * The network-limit parsers on output captured from real runs between two containers on a
 * compose network (tests/unit/bench/fixtures/netlimit: iperf3 -J, sockperf ping-pong
 * --full-rtt over TCP and UDP) and from real failed runs (no server listening), plus
 * measureNetworkLimit's command lines and its bounded retry, with a fake compose.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { measureNetworkLimit, parseIperf3, parseSockperf, toolSeconds } from '../../../bench/netlimit.ts'
import { measurementSchema } from '../../../bench/result.ts'
import { LabError } from '../../../lib/errors.ts'

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/netlimit/${name}`, import.meta.url), 'utf8')

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(LabError)
    return { code: (err as LabError).code, message: (err as LabError).message }
  }
  throw new Error('expected a LabError')
}

describe('parseIperf3', () => {
  it('reads received bytes over the receiver seconds as Mbit/s', () => {
    const m = parseIperf3(fixture('iperf3-tcp.out'))
    expect(measurementSchema.parse(m)).toEqual(m)
    expect(m).toEqual({
      id: 'network.tcp.throughput',
      group: 'network',
      title: 'TCP bulk throughput between two containers (iperf3, 1 stream)',
      subject: 'iperf3',
      role: 'limit',
      concurrency: 1,
      durationS: 3.009,
      ops: 2330853376,
      errors: 0,
      throughput: 6197.9,
      unit: 'Mbit/s',
      extra: { bytes: 2330853376, retransmits: 75, tcpMeanRttUs: 590, tcpMaxRttUs: 1035 },
    })
  })

  it('reports the tool error of a run that reached no server', () => {
    expect(codeOf(() => parseIperf3(fixture('iperf3-refused.out')))).toEqual({
      code: 'NETLIMIT_UNREACHABLE',
      message: 'iperf3: unable to connect to server: Connection refused',
    })
  })

  it('rejects output that is not JSON', () => {
    expect(codeOf(() => parseIperf3('iperf3: error - unable to connect'))).toEqual({
      code: 'NETLIMIT_PARSE',
      message: 'iperf3: output is not JSON: "iperf3: error - unable to connect"',
    })
  })

  it('rejects JSON without the receiver summary', () => {
    expect(codeOf(() => parseIperf3('{"start":{},"end":{}}')).message).toBe(
      'iperf3: no end.sum_received in the JSON output',
    )
  })
})

describe('parseSockperf', () => {
  it('reads TCP round trips/s over the valid duration and the RTT percentiles in µs', () => {
    const m = parseSockperf(fixture('sockperf-pp-tcp.out'), 'tcp')
    expect(measurementSchema.parse(m)).toEqual(m)
    expect(m).toEqual({
      id: 'network.tcp.pingpong',
      group: 'network',
      title: 'TCP ping-pong, 64 B, round-trip time (sockperf --full-rtt)',
      subject: 'sockperf',
      role: 'limit',
      concurrency: 1,
      durationS: 2.55,
      ops: 69498,
      errors: 0,
      throughput: 27254,
      unit: 'ops/s',
      latency: {
        count: 69498,
        meanUs: 36.666,
        p50Us: 26.048,
        p90Us: 29.533,
        p99Us: 65.957,
        maxUs: 13886.886,
      },
      extra: { sent: 69498, fullRtt: 1, minUs: 24.656, p999Us: 3147.124 },
    })
  })

  it('reads the UDP run the same way', () => {
    const m = parseSockperf(fixture('sockperf-pp-udp.out'), 'udp')
    expect(m.id).toBe('network.udp.pingpong')
    expect(m.title).toBe('UDP ping-pong, 64 B, round-trip time (sockperf --full-rtt)')
    expect(m.latency).toEqual({
      count: 53158,
      meanUs: 47.939,
      p50Us: 37.204,
      p90Us: 79.817,
      p99Us: 105.095,
      maxUs: 5451.733,
    })
    expect(m.ops).toBe(53158)
    expect(m.errors).toBe(0)
  })

  it('says a TCP run was refused (sockperf still exits 0)', () => {
    expect(codeOf(() => parseSockperf(fixture('sockperf-pp-tcp-refused.out'), 'tcp'))).toEqual({
      code: 'NETLIMIT_UNREACHABLE',
      message: 'sockperf tcp: Can`t connect socket (errno=111 Connection refused)',
    })
  })

  it('says a UDP run got no replies', () => {
    expect(codeOf(() => parseSockperf(fixture('sockperf-pp-udp-noserver.out'), 'udp'))).toEqual({
      code: 'NETLIMIT_UNREACHABLE',
      message: 'sockperf udp: no messages were received from the server',
    })
  })

  it('refuses one-way latency output (run without --full-rtt)', () => {
    const oneWay = fixture('sockperf-pp-tcp.out').replace('avg-rtt=', 'avg-latency=')
    expect(codeOf(() => parseSockperf(oneWay, 'tcp')).code).toBe('NETLIMIT_PARSE')
  })
})

describe('measureNetworkLimit', () => {
  it('runs iperf3 then sockperf TCP and UDP in netperf-client, with whole seconds', async () => {
    const calls: string[][] = []
    const outputs = [
      fixture('iperf3-tcp.out'),
      fixture('sockperf-pp-tcp.out'),
      fixture('sockperf-pp-udp.out'),
    ]
    const progress: string[] = []
    const ms = await measureNetworkLimit({
      seconds: 2.4,
      compose: async (args) => {
        calls.push(args)
        return outputs[calls.length - 1] ?? ''
      },
      onProgress: (text) => progress.push(text),
    })
    expect(calls).toEqual([
      ['run', '--rm', '-T', 'netperf-client', 'iperf3', '-c', 'netperf-iperf3', '-J', '-t', '2'],
      [
        'run',
        '--rm',
        '-T',
        'netperf-client',
        'sockperf',
        'ping-pong',
        '-f',
        '/etc/sockperf/tcp.feed',
        '-t',
        '2',
        '-m',
        '64',
        '--full-rtt',
      ],
      [
        'run',
        '--rm',
        '-T',
        'netperf-client',
        'sockperf',
        'ping-pong',
        '-f',
        '/etc/sockperf/udp.feed',
        '-t',
        '2',
        '-m',
        '64',
        '--full-rtt',
      ],
    ])
    expect(ms.map((m) => m.id)).toEqual([
      'network.tcp.throughput',
      'network.tcp.pingpong',
      'network.udp.pingpong',
    ])
    expect(progress).toEqual([
      'iperf3 TCP throughput (2 s)',
      'sockperf TCP ping-pong (2 s)',
      'sockperf UDP ping-pong (2 s)',
    ])
  })

  it('retries a server that is not answering yet, then measures', async () => {
    const outputs = [fixture('iperf3-refused.out'), fixture('iperf3-tcp.out')]
    let n = 0
    const progress: string[] = []
    const ms = await measureNetworkLimit({
      seconds: 1,
      compose: async (args) => {
        if (args.includes('iperf3')) return outputs[n++] ?? ''
        return fixture(
          args.includes('/etc/sockperf/tcp.feed') ? 'sockperf-pp-tcp.out' : 'sockperf-pp-udp.out',
        )
      },
      onProgress: (text) => progress.push(text),
    })
    expect(n).toBe(2)
    expect(ms).toHaveLength(3)
    expect(progress[1]).toBe('iperf3 TCP throughput: server not answering yet, retry 1/3')
  })

  it('gives up after four unreachable runs with the tool error', async () => {
    let n = 0
    const run = measureNetworkLimit({
      seconds: 1,
      compose: async () => {
        n++
        return fixture('sockperf-pp-tcp-refused.out')
      },
    })
    await expect(run).rejects.toThrow('iperf3: output is not JSON')
    expect(n).toBe(1)
    let m = 0
    const sockRun = measureNetworkLimit({
      seconds: 1,
      compose: async (args) => {
        if (args.includes('iperf3')) return fixture('iperf3-tcp.out')
        m++
        return fixture('sockperf-pp-tcp-refused.out')
      },
    })
    await expect(sockRun).rejects.toThrow('sockperf tcp: Can`t connect socket (errno=111 Connection refused)')
    expect(m).toBe(4)
  })

  it('rounds the step time to whole seconds, at least 1', () => {
    expect([0.2, 1, 1.6, 30].map(toolSeconds)).toEqual([1, 1, 2, 30])
  })
})
