/** `netlab udp time|hello|rfc868|sntp|probe|stats`: the UDP service's protocols. */
import type { Writable } from 'node:stream'
import { Presets, SingleBar } from 'cli-progress'
import { type Command, InvalidArgumentError } from 'commander'
import { UDP_ACK_MIN_REQUEST_BYTES } from '../../../protocols/seed-replies.ts'
import {
  DEFAULT_PROBE_SIZE,
  DEFAULT_PROBE_WAIT_MS,
  PROBE_LIMITS,
  type ProbeReport,
  runProbe,
} from '../net/probe-runner.ts'
import {
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  formatDuration,
  type RetryOptions,
  type Target,
  type UdpResult,
} from '../net/udp-client.ts'
import { ackQuery, ctimeQuery, helloQuery, rfc868Query, sntpQuery, statsQuery } from '../net/udp-queries.ts'
import { parsePort, parseTimeout, type Runner } from '../options.ts'
import type { ServicePorts } from '../targets.ts'

interface UdpOpts {
  readonly host: string
  readonly port?: number
  readonly timeout: number
  readonly retries: number
}

interface ProbeOpts {
  readonly host: string
  readonly port?: number
  readonly count: number
  readonly rate: number
  readonly size: number
  readonly wait: number
}

/** integer returns a commander parser for integers in [min, max]. */
export function integer(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}`)
    return n
  }
}

export const parseRetries = integer(0, 20, 'a retry count')

const round3 = (n: number) => Math.round(n * 1000) / 1000
/** signed always shows the sign: +0.000 (a tiny negative offset rounds to +0.000, not 0.000) */
const signed = (n: number) => {
  const r = round3(n)
  return `${r < 0 ? '-' : '+'}${Math.abs(r).toFixed(3)}`
}

function withTarget(cmd: Command, defaults: ServicePorts, key: string): Command {
  return cmd
    .option('--host <host>', 'server host', defaults.host)
    .option('--port <port>', `server port (default: ${defaults.ports[key]})`, parsePort)
}

function withRetry(cmd: Command): Command {
  return cmd
    .option(
      '--timeout <ms>',
      "first attempt's reply deadline (doubles per retry)",
      parseTimeout,
      DEFAULT_TIMEOUT_MS,
    )
    .option('--retries <n>', 'retransmissions before giving up', parseRetries, DEFAULT_RETRIES)
}

function resolved(
  opts: UdpOpts,
  defaults: ServicePorts,
  key: string,
  signal?: AbortSignal,
): { target: Target; retry: RetryOptions } {
  return {
    target: { host: opts.host, port: opts.port ?? (defaults.ports[key] as number) },
    retry: { timeoutMs: opts.timeout, retries: opts.retries, signal },
  }
}

/** common is the --json shape every one-shot command shares. */
function common(proto: string, target: Target, result: UdpResult<unknown>): Record<string, unknown> {
  return {
    service: 'udp',
    proto,
    host: target.host,
    port: target.port,
    attempts: result.attempts,
    answered: result.answered,
    rttMs: round3(result.rttMs),
  }
}

/** formatProbeReport renders a probe report as a small two-column table. */
export function formatProbeReport(r: ProbeReport): string {
  const session = r.session.toString(16).padStart(8, '0')
  const rows: [string, string][] = [
    ['target', `${r.host}:${r.port}  session ${session}  ${r.count} × ${r.size} B at ${r.rate}/s`],
    ['sent', String(r.sent)],
    ['received', String(r.received)],
    ['lost', `${r.lost} (${r.lossPercent} %)`],
    ['duplicated', String(r.duplicated)],
    ['reordered', String(r.reordered)],
  ]
  if (r.ignored > 0) rows.push(['ignored', String(r.ignored)])
  if (r.unreachable > 0) rows.push(['unreachable', `${r.unreachable} ICMP errors`])
  const rtt = r.rttMs
  rows.push([
    'rtt ms',
    rtt
      ? `min ${rtt.min}  mean ${rtt.mean}  p50 ${rtt.p50}  p90 ${rtt.p90}  p99 ${rtt.p99}  max ${rtt.max}`
      : '-',
  ])
  rows.push(['jitter ms', r.jitterMs === null ? '-' : String(r.jitterMs)])
  rows.push(['offset ms', r.offsetMs === null ? '-' : signed(r.offsetMs)])
  rows.push([
    'elapsed',
    `${formatDuration(r.elapsedMs)}${r.sendRate === null ? '' : `  (sent at ${r.sendRate}/s)`}`,
  ])
  const width = Math.max(...rows.map(([k]) => k.length)) + 2
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n')
}

/** probeSummaryLine is an interrupted probe's figures so far, on one line. */
export function probeSummaryLine(r: ProbeReport): string {
  const rtt = r.rttMs ? `, rtt p50 ${r.rttMs.p50} ms p99 ${r.rttMs.p99} ms` : ''
  return (
    `interrupted: udp probe ${r.host}:${r.port} after ${formatDuration(r.elapsedMs)}: sent ${r.sent} of ` +
    `${r.count}, received ${r.received}, lost ${r.lost} (${r.lossPercent} %)${rtt}`
  )
}

function isTty(stream: Writable | undefined): stream is Writable & { isTTY: true } {
  return stream !== undefined && 'isTTY' in stream && stream.isTTY === true
}

/**
 * registerUdp adds the `udp` command group to `program`. `progressStream` (the CLI's
 * stderr) gets a progress bar during `udp probe` when it is a terminal and --json is off.
 */
export function registerUdp(
  program: Command,
  defaults: ServicePorts,
  run: Runner,
  progressStream?: Writable,
): void {
  const p = defaults.ports
  const udp = program
    .command('udp')
    .description(
      `UDP service: ctime (${p.ctime}), hello (${p.hello}), RFC 868 time (${p.time}), ` +
        `SNTP (${p.sntp}), probe (${p.probe}), ack (${p.ack}); requests are retransmitted with backoff`,
    )

  withRetry(
    withTarget(udp.command('time').description('print the server time as ctime() text'), defaults, 'ctime'),
  ).action((opts: UdpOpts) =>
    run(async ({ signal }) => {
      const { target, retry } = resolved(opts, defaults, 'ctime', signal)
      const result = await ctimeQuery(target, retry)
      return { text: result.reply, data: { ...common('ctime', target, result), reply: result.reply } }
    }),
  )

  withRetry(
    withTarget(
      udp
        .command('hello')
        .argument('<name...>', 'the name to greet (words are joined with spaces)')
        .description('send a name, print the greeting (`Hello, <name>!`)'),
      defaults,
      'hello',
    ),
  ).action((words: string[], opts: UdpOpts) =>
    run(async ({ signal }) => {
      const { target, retry } = resolved(opts, defaults, 'hello', signal)
      const name = words.join(' ')
      const result = await helloQuery(target, name, retry)
      return { text: result.reply, data: { ...common('hello', target, result), name, reply: result.reply } }
    }),
  )

  withRetry(
    withTarget(
      udp
        .command('ack')
        .argument(
          '<text...>',
          `the datagram (words joined with spaces; at least ${UDP_ACK_MIN_REQUEST_BYTES} bytes)`,
        )
        .description("seed 001's udpServer: send a datagram, print `tcpServer has received your message`"),
      defaults,
      'ack',
    ),
  ).action((words: string[], opts: UdpOpts, cmd: Command) => {
    const text = words.join(' ')
    const bytes = Buffer.byteLength(text)
    // The service's reply-size rule (services/udp/handlers.ts) drops a shorter datagram unanswered.
    if (bytes < UDP_ACK_MIN_REQUEST_BYTES)
      cmd.error(
        `error: the ack port answers datagrams of ${UDP_ACK_MIN_REQUEST_BYTES} bytes or more (its reply is 35); got ${bytes}`,
      )
    return run(async ({ signal }) => {
      const { target, retry } = resolved(opts, defaults, 'ack', signal)
      const result = await ackQuery(target, Buffer.from(text, 'utf8'), retry)
      return {
        text: result.reply,
        data: { ...common('ack', target, result), sent: text, reply: result.reply },
      }
    })
  })

  withRetry(
    withTarget(
      udp.command('rfc868').description('print the RFC 868 time (seconds since 1900)'),
      defaults,
      'time',
    ),
  ).action((opts: UdpOpts) =>
    run(async ({ signal }) => {
      const { target, retry } = resolved(opts, defaults, 'time', signal)
      const result = await rfc868Query(target, retry)
      const iso = new Date(result.reply.unixMs).toISOString()
      const seconds = result.reply.secondsSince1900
      return {
        text: `${iso} (${seconds} s since 1900)`,
        data: { ...common('rfc868', target, result), secondsSince1900: seconds, time: iso },
      }
    }),
  )

  withRetry(
    withTarget(
      udp.command('sntp').description('query the SNTP server: clock offset, delay, stratum, reference id'),
      defaults,
      'sntp',
    ),
  ).action((opts: UdpOpts) =>
    run(async ({ signal }) => {
      const { target, retry } = resolved(opts, defaults, 'sntp', signal)
      const result = await sntpQuery(target, retry)
      const r = result.reply
      const serverTime = new Date(r.serverTimeMs).toISOString()
      return {
        text: [
          `offset   ${signed(r.offsetMs)} ms`,
          `delay    ${round3(r.delayMs).toFixed(3)} ms`,
          `stratum  ${r.stratum}`,
          `refid    ${r.refId}`,
          `server   ${serverTime}`,
        ].join('\n'),
        data: {
          ...common('sntp', target, result),
          offsetMs: round3(r.offsetMs),
          delayMs: round3(r.delayMs),
          stratum: r.stratum,
          refId: r.refId,
          leap: r.leap,
          version: r.version,
          serverTime,
          serverTimeMs: r.serverTimeMs,
        },
      }
    }),
  )

  const { count, rate, size, waitMs } = PROBE_LIMITS
  withTarget(
    udp
      .command('probe')
      .description('send sequenced probes at a steady rate; report loss, reordering, RTT, jitter, offset'),
    defaults,
    'probe',
  )
    .option(
      '--count <n>',
      `probes to send (${count.min}-${count.max})`,
      integer(count.min, count.max, 'a count'),
      10,
    )
    .option(
      '--rate <per-second>',
      `probes per second (${rate.min}-${rate.max})`,
      integer(rate.min, rate.max, 'a rate'),
      10,
    )
    .option(
      '--size <bytes>',
      `datagram size (${size.min}-${size.max})`,
      integer(size.min, size.max, 'a size'),
      DEFAULT_PROBE_SIZE,
    )
    .option(
      '--wait <ms>',
      'how long to wait for late replies after the last probe',
      integer(waitMs.min, waitMs.max, 'milliseconds'),
      DEFAULT_PROBE_WAIT_MS,
    )
    .action((opts: ProbeOpts) =>
      run(async ({ signal }) => {
        const port = opts.port ?? (p.probe as number)
        const json = Boolean(program.opts<{ json?: boolean }>().json)
        const bar =
          !json && isTty(progressStream)
            ? new SingleBar(
                {
                  stream: progressStream,
                  format: 'probe [{bar}] {value}/{total} sent, {received} received',
                  hideCursor: true,
                  clearOnComplete: true,
                },
                Presets.shades_classic,
              )
            : undefined
        bar?.start(opts.count, 0, { received: 0 })
        let report: ProbeReport
        try {
          report = await runProbe({
            host: opts.host,
            port,
            count: opts.count,
            rate: opts.rate,
            size: opts.size,
            waitMs: opts.wait,
            onProgress: bar ? (pr) => bar.update(pr.sent, { received: pr.received }) : undefined,
            signal,
          })
        } finally {
          bar?.stop()
        }
        const data = { service: 'udp', proto: 'probe', ...report }
        if (report.interrupted) return { text: probeSummaryLine(report), data, exitCode: 130 }
        return { text: formatProbeReport(report), data }
      }),
    )

  withRetry(
    withTarget(
      udp
        .command('stats')
        .description("print the UDP service's counters (a stats request on the probe port)"),
      defaults,
      'probe',
    ),
  ).action((opts: UdpOpts) =>
    run(async ({ signal }) => {
      const { target, retry } = resolved(opts, defaults, 'probe', signal)
      const result = await statsQuery(target, retry)
      return {
        text: JSON.stringify(result.reply, null, 2),
        data: { ...common('stats', target, result), requestBytes: result.requestBytes, stats: result.reply },
      }
    }),
  )
}
