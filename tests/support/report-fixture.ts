/**
 * A small synthetic bench result for the report and compare tests: every group, netlab
 * beside a baseline, the network limit, one target met, one missed, one not measured, and
 * text that must be escaped.
 */
import { type BenchResult, benchResultSchema, type Measurement } from '../../bench/result.ts'

/** measurement builds one figure with plausible defaults. */
export function measurement(over: Partial<Measurement> & Pick<Measurement, 'id' | 'subject'>): Measurement {
  return {
    group: 'tcp',
    title: over.id,
    role: 'netlab',
    concurrency: 1,
    durationS: 3,
    ops: 30_000,
    errors: 0,
    throughput: 10_000,
    unit: 'ops/s',
    latency: { count: 30_000, meanUs: 110, p50Us: 95, p90Us: 150, p99Us: 400, maxUs: 5200 },
    extra: {},
    ...over,
  }
}

/** syntheticResult is a valid result file (checked with benchResultSchema). */
export function syntheticResult(): BenchResult {
  const measurements: Measurement[] = [
    measurement({
      id: 'network.tcp.throughput',
      group: 'network',
      title: 'TCP bulk throughput between two containers (iperf3, 1 stream)',
      subject: 'iperf3',
      role: 'limit',
      throughput: 6197.9,
      unit: 'Mbit/s',
      latency: undefined,
      ops: 2_330_853_376,
    }),
    measurement({
      id: 'network.tcp.pingpong',
      group: 'network',
      title: 'TCP ping-pong, 64 B, round-trip time (sockperf --full-rtt)',
      subject: 'sockperf',
      role: 'limit',
      throughput: 27_254,
      latency: { count: 69_498, meanUs: 36.7, p50Us: 26, p90Us: 29.5, p99Us: 66, maxUs: 13_886.9 },
    }),
    measurement({
      id: 'network.udp.pingpong',
      group: 'network',
      subject: 'sockperf',
      role: 'limit',
      throughput: 20_000,
      latency: { count: 53_158, meanUs: 47.9, p50Us: 37.2, p90Us: 79.8, p99Us: 105.1, maxUs: 5451.7 },
    }),
    measurement({
      id: 'tcp.upper.c32',
      title: 'TCP upper, 64 B round trips, 32 connections',
      subject: 'netlab',
      concurrency: 32,
      throughput: 60_000,
      cpu: { serverUs: 2_700_000, perOpUs: 15 },
    }),
    measurement({
      id: 'tcp.upper.c32',
      title: 'TCP upper, 64 B round trips, 32 connections',
      subject: 'node net',
      role: 'baseline',
      concurrency: 32,
      throughput: 54_000,
      cpu: { serverUs: 1_620_000, perOpUs: 10 },
    }),
    measurement({
      id: 'tcp.upper.c32',
      title: 'TCP upper, 64 B round trips, 32 connections',
      subject: 'netlab TCP_WORKERS=1',
      role: 'variant',
      concurrency: 32,
      throughput: 66_000,
      cpu: { serverUs: 2_376_000, perOpUs: 12 },
    }),
    measurement({ id: 'udp.time.c32', group: 'udp', subject: 'netlab', concurrency: 32, throughput: 30_000 }),
    measurement({
      id: 'udp.time.c32',
      group: 'udp',
      subject: 'node dgram',
      role: 'baseline',
      concurrency: 32,
      throughput: 35_000,
    }),
    measurement({
      id: 'http.data.c32',
      group: 'http',
      subject: 'netlab',
      unit: 'req/s',
      concurrency: 32,
      throughput: 20_000,
      extra: { bytes: 35_000 },
    }),
    measurement({
      id: 'rpc.xmlrpc.c8',
      group: 'rpc',
      title: 'XML-RPC add <x> & "y"',
      subject: 'netlab',
      unit: 'calls/s',
      concurrency: 8,
      throughput: 9_000,
      errors: 2,
    }),
    measurement({
      id: 'rpc.xmlrpc.c8',
      group: 'rpc',
      title: 'XML-RPC add <x> & "y"',
      subject: 'python <SimpleXMLRPCServer> & co',
      role: 'baseline',
      unit: 'calls/s',
      concurrency: 8,
      throughput: 1_800,
    }),
  ]
  return benchResultSchema.parse({
    version: 1,
    startedAt: '2026-11-21T17:30:00.000Z',
    finishedAt: '2026-11-21T17:34:10.000Z',
    stepSeconds: 3,
    smoke: false,
    pinning: { load: '0', servers: '1' },
    machine: {
      hostname: 'vm',
      cores: 2,
      cpuModel: 'Test CPU <model>',
      memoryBytes: 24 * 2 ** 30,
      kernel: '6.18.44',
      node: 'v24.21.0',
      docker: '20.10.24',
      commit: 'c95f1d2',
      dirty: true,
      images: { 'netlab-tcp:bench': 'sha256:0123abcd' },
    },
    measurements,
    comparisons: [
      {
        id: 'tcp.upper.c32',
        title: 'TCP upper, 64 B round trips, 32 connections',
        netlab: 'tcp.upper.c32|netlab',
        baseline: 'tcp.upper.c32|node net',
        ratio: 60_000 / 54_000,
        basis: 'throughput',
        cpuRatio: 1.5,
      },
      {
        id: 'udp.time.c32',
        title: 'UDP time, 32 senders',
        netlab: 'udp.time.c32|netlab',
        baseline: 'udp.time.c32|node dgram',
        ratio: 30_000 / 35_000,
        basis: 'throughput',
      },
      {
        id: 'http.data.c32',
        title: 'HTTP GET /data/, 32 connections',
        netlab: 'http.data.c32|netlab',
        ratio: null,
        basis: 'throughput',
      },
      {
        id: 'rpc.xmlrpc.c8',
        title: 'XML-RPC add <x> & "y"',
        netlab: 'rpc.xmlrpc.c8|netlab',
        baseline: 'rpc.xmlrpc.c8|python <SimpleXMLRPCServer> & co',
        ratio: 5,
        basis: 'throughput',
      },
    ],
    targets: [
      { id: 'tcp.upper.c32', text: '>= 0.95x node net', figure: '1.11x (60 000/s vs 54 000/s)', met: true },
      {
        id: 'tcp.upper.c32',
        text: 'server CPU/exchange <= 1.1x node net',
        figure: '1.50x (15.0 µs vs 10.0 µs)',
        met: false,
      },
      { id: 'http.data.c32', text: '>= 10x Python <Flask> & co', figure: 'not measured', met: null },
    ],
  })
}
