/**
 * The network's own limit, measured in the same run as everything else with standard tools
 * between two containers on the lab network (image netlab-netperf, scripts/bench-images):
 *
 *   netperf-client --TCP 5201-->  netperf-iperf3     iperf3: bulk TCP throughput, 1 stream
 *   netperf-client --TCP 11111--> netperf-sockperf   sockperf ping-pong, 64 B, TCP
 *   netperf-client --UDP 11111--> netperf-sockperf   sockperf ping-pong, 64 B, UDP
 *
 * sockperf reports one-way latency (RTT / 2) unless told otherwise: the bench runs it with
 * `--full-rtt`, so every latency here is a round-trip time, comparable with the load
 * generator's round trips. sockperf takes only an IP with -i, but resolves names in a feed
 * file, so the image carries feed files naming the compose service.
 *
 * Both tools exit 0 even when the server is unreachable: the parsers decide, from the output,
 * whether a run measured anything, and a run that reached no server is retried a bounded
 * number of times (the servers may still be starting: this waits on a real exchange).
 */
import { setTimeout as delay } from 'node:timers/promises'
import { LabError } from '../lib/errors.ts'
import type { Latency, Measurement } from './result.ts'

/** NetworkLimitOptions: how to run compose, and each step's measuring time in seconds. */
export interface NetworkLimitOptions {
  /** runs `docker compose <args>` against the bench's project and resolves with its stdout */
  readonly compose: (args: string[]) => Promise<string>
  readonly seconds: number
  readonly onProgress?: (text: string) => void
}

/** MESSAGE_BYTES is sockperf's message size, the same 64 B as the TCP/UDP round trips of the suite. */
export const MESSAGE_BYTES = 64
const ATTEMPTS = 4
const RETRY_MS = [250, 500, 1000] as const

/** Unreachable marks a run that reached no server (retryable while the server starts). */
class Unreachable extends LabError {
  constructor(message: string) {
    super('NETLIMIT_UNREACHABLE', message)
  }
}

/** toolSeconds is the whole seconds both tools accept for `-t` (at least 1). */
export function toolSeconds(seconds: number): number {
  return Math.max(1, Math.round(seconds))
}

interface Iperf3Json {
  readonly error?: string
  readonly end?: {
    readonly sum_sent?: { readonly bytes?: number; readonly retransmits?: number; readonly seconds?: number }
    readonly sum_received?: {
      readonly bytes?: number
      readonly seconds?: number
      readonly bits_per_second?: number
    }
    readonly streams?: ReadonlyArray<{
      readonly sender?: { readonly mean_rtt?: number; readonly min_rtt?: number; readonly max_rtt?: number }
    }>
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10

/**
 * parseIperf3 reads `iperf3 -c ... -J` output into the `network.tcp.throughput` measurement
 * (Mbit/s received; ops = bytes received). Throws a LabError naming what is wrong: the tool's
 * own `error`, or output that is not iperf3's JSON.
 */
export function parseIperf3(stdout: string): Measurement {
  let json: Iperf3Json
  try {
    json = JSON.parse(stdout) as Iperf3Json
  } catch {
    throw new LabError(
      'NETLIMIT_PARSE',
      `iperf3: output is not JSON: ${JSON.stringify(stdout.slice(0, 120))}`,
    )
  }
  if (json.error) {
    const message = `iperf3: ${json.error}`
    throw /unable to connect|connection refused|no route|name or service/i.test(json.error)
      ? new Unreachable(message)
      : new LabError('NETLIMIT_FAILED', message)
  }
  const received = json.end?.sum_received
  if (
    !received ||
    typeof received.bytes !== 'number' ||
    typeof received.seconds !== 'number' ||
    received.seconds <= 0
  )
    throw new LabError('NETLIMIT_PARSE', 'iperf3: no end.sum_received in the JSON output')
  const mbps = (received.bytes * 8) / received.seconds / 1e6
  const sender = json.end?.streams?.[0]?.sender
  const extra: Record<string, number> = { bytes: received.bytes }
  if (typeof json.end?.sum_sent?.retransmits === 'number') extra.retransmits = json.end.sum_sent.retransmits
  if (typeof sender?.mean_rtt === 'number') extra.tcpMeanRttUs = sender.mean_rtt
  if (typeof sender?.max_rtt === 'number') extra.tcpMaxRttUs = sender.max_rtt
  return {
    id: 'network.tcp.throughput',
    group: 'network',
    title: 'TCP bulk throughput between two containers (iperf3, 1 stream)',
    subject: 'iperf3',
    role: 'limit',
    concurrency: 1,
    durationS: Math.round(received.seconds * 1000) / 1000,
    ops: received.bytes,
    errors: 0,
    throughput: round1(mbps),
    unit: 'Mbit/s',
    extra,
  }
}

// sockperf prints colour escapes around some lines; they are stripped before matching.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what this removes
const ANSI = /\x1b\[[0-9;]*m/g
const num = (text: string, re: RegExp): number | undefined => {
  const m = re.exec(text)
  return m?.[1] === undefined ? undefined : Number(m[1])
}

/**
 * parseSockperf reads `sockperf ping-pong --full-rtt` output into `network.<proto>.pingpong`:
 * round trips per second over sockperf's valid duration, and the RTT percentiles in µs.
 * Throws a LabError when the run reached no server or the output is not sockperf's.
 */
export function parseSockperf(stdout: string, proto: 'tcp' | 'udp'): Measurement {
  const text = stdout.replace(ANSI, '')
  const error = /sockperf: ERROR: (.*)/.exec(text)?.[1]
  if (error) {
    const message = `sockperf ${proto}: ${error.trim()}`
    throw /connect|refused|resolve|host/i.test(error)
      ? new Unreachable(message)
      : new LabError('NETLIMIT_FAILED', message)
  }
  if (/No messages were received from the server/.test(text))
    throw new Unreachable(`sockperf ${proto}: no messages were received from the server`)
  if (!/avg-rtt=/.test(text))
    throw new LabError(
      'NETLIMIT_PARSE',
      `sockperf ${proto}: no round-trip statistics in the output (run with --full-rtt?): ${JSON.stringify(text.slice(-160))}`,
    )
  const valid = /\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)/.exec(
    text,
  )
  const pct = (p: string) => num(text, new RegExp(`percentile ${p.replace('.', '\\.')} =\\s*([\\d.]+)`))
  const p50 = pct('50.000')
  const p90 = pct('90.000')
  const p99 = pct('99.000')
  const max = num(text, /<MAX> observation =\s*([\d.]+)/)
  const mean = num(text, /avg-rtt=([\d.]+)/)
  const count = num(text, /Total (\d+) observations/)
  if (!valid || p50 === undefined || p90 === undefined || p99 === undefined || max === undefined)
    throw new LabError('NETLIMIT_PARSE', `sockperf ${proto}: incomplete statistics in the output`)
  const durationS = Number(valid[1])
  const received = Number(valid[3])
  const latency: Latency = {
    count: count ?? received,
    meanUs: mean ?? 0,
    p50Us: p50,
    p90Us: p90,
    p99Us: p99,
    maxUs: max,
  }
  const extra: Record<string, number> = { sent: Number(valid[2]), fullRtt: 1 }
  const min = num(text, /<MIN> observation =\s*([\d.]+)/)
  if (min !== undefined) extra.minUs = min
  const p999 = pct('99.900')
  if (p999 !== undefined) extra.p999Us = p999
  const dropped = num(text, /# dropped messages = (\d+)/) ?? 0
  return {
    id: `network.${proto}.pingpong`,
    group: 'network',
    title: `${proto.toUpperCase()} ping-pong, ${MESSAGE_BYTES} B, round-trip time (sockperf --full-rtt)`,
    subject: 'sockperf',
    role: 'limit',
    concurrency: 1,
    durationS,
    ops: received,
    errors: dropped,
    throughput: durationS > 0 ? Math.round(received / durationS) : 0,
    unit: 'ops/s',
    latency,
    extra,
  }
}

/** attempt runs one tool invocation, retrying only while the server is unreachable. */
async function attempt(
  label: string,
  run: () => Promise<Measurement>,
  onProgress?: (text: string) => void,
): Promise<Measurement> {
  for (let i = 0; ; i++) {
    try {
      return await run()
    } catch (err) {
      if (!(err instanceof Unreachable) || i >= ATTEMPTS - 1) throw err
      onProgress?.(`${label}: server not answering yet, retry ${i + 1}/${ATTEMPTS - 1}`)
      await delay(RETRY_MS[Math.min(i, RETRY_MS.length - 1)])
    }
  }
}

/**
 * measureNetworkLimit runs the three network-limit steps one after another (about
 * 3 x `seconds` plus container start-up) and returns their measurements in that order.
 */
export async function measureNetworkLimit(opts: NetworkLimitOptions): Promise<Measurement[]> {
  const t = String(toolSeconds(opts.seconds))
  const run = (...tool: string[]) => opts.compose(['run', '--rm', '-T', 'netperf-client', ...tool])
  const steps: ReadonlyArray<readonly [string, () => Promise<Measurement>]> = [
    [
      'iperf3 TCP throughput',
      async () => parseIperf3(await run('iperf3', '-c', 'netperf-iperf3', '-J', '-t', t)),
    ],
    ...(['tcp', 'udp'] as const).map(
      (proto) =>
        [
          `sockperf ${proto.toUpperCase()} ping-pong`,
          async () =>
            parseSockperf(
              await run(
                'sockperf',
                'ping-pong',
                '-f',
                `/etc/sockperf/${proto}.feed`,
                '-t',
                t,
                '-m',
                String(MESSAGE_BYTES),
                '--full-rtt',
              ),
              proto,
            ),
        ] as const,
    ),
  ]
  const out: Measurement[] = []
  for (const [label, step] of steps) {
    opts.onProgress?.(`${label} (${t} s)`)
    out.push(await attempt(label, step, opts.onProgress))
  }
  return out
}
