/**
 * The probe runner: a paced stream of sequenced probes to the UDP service's probe port on
 * one connected socket, and a report of what came back (loss, duplicates, reordering, RTT
 * percentiles, RFC 3550 jitter, clock offset).
 *
 * Pacing sends, on each timer tick, every probe due since the start (probe i is due at
 * start + i/rate), so timer lateness never accumulates into drift. After the last send the
 * runner waits `waitMs` for stragglers and stops by itself. Replies carrying another
 * session id, or a sequence number never sent, are ignored (counted as `ignored`).
 *
 * The arithmetic lives in ProbeStats, a pure accumulator, so it is testable without sockets.
 */
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { build, type Histogram } from 'hdr-histogram-js'
import { isErrnoException, LabError } from '../../../lib/errors.ts'
import { nowMs, offsetAndDelay } from '../../../protocols/ntp-time.ts'
import {
  decodeProbeReply,
  encodeProbe,
  PROBE_HEADER_BYTES,
  type ProbeReply,
} from '../../../protocols/probe/packet.ts'
import { median } from '../stats.ts'
import { onAbort } from './interrupt.ts'
import type { Target } from './tcp-client.ts'
import { type Resolver, resolveTarget } from './udp-client.ts'

export const PROBE_LIMITS = {
  count: { min: 1, max: 1_000_000 },
  rate: { min: 1, max: 100_000 },
  size: { min: PROBE_HEADER_BYTES, max: 1472 },
  waitMs: { min: 0, max: 60_000 },
} as const

export const DEFAULT_PROBE_SIZE = 64
export const DEFAULT_PROBE_WAIT_MS = 1000
/** After an interrupt, how long replies already on their way are still counted (capped by waitMs). */
export const INTERRUPT_WAIT_MS = 250

/** RttSummary is in milliseconds (microsecond precision). */
export interface RttSummary {
  readonly min: number
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** ProbeSummary is what ProbeStats can say on its own. */
export interface ProbeSummary {
  readonly sent: number
  /** unique sequence numbers answered */
  readonly received: number
  /** sent − received */
  readonly lost: number
  readonly lossPercent: number
  /** replies for a sequence number already answered */
  readonly duplicated: number
  /** unique replies whose sequence is lower than the highest seen before them */
  readonly reordered: number
  /** replies of another session, or for a sequence never sent */
  readonly ignored: number
  /** round trip per RFC 5905: (T4 − T1) − (T3 − T2), the server's hold time excluded */
  readonly rttMs: RttSummary | null
  /** RFC 3550 §6.4.1 interarrival jitter of the return path (transit T4 − T3), in arrival order */
  readonly jitterMs: number | null
  /** median of the per-reply NTP offsets θ = ((T2 − T1) + (T3 − T4)) / 2 (server minus client) */
  readonly offsetMs: number | null
}

/** What ProbeStats.add made of a reply. */
export type ReplyVerdict = 'new' | 'duplicate' | 'ignored'

const round3 = (ms: number) => Math.round(ms * 1000) / 1000

/**
 * ProbeStats accumulates replies for a run of `count` probes (sequences 0..count−1).
 * Times are Unix ms; RTTs go into an HDR histogram in whole microseconds.
 */
export class ProbeStats {
  readonly count: number
  readonly #seen: Uint8Array
  readonly #offsets: Float64Array
  readonly #histogram: Histogram
  #sent = 0
  #received = 0
  #duplicated = 0
  #reordered = 0
  #ignored = 0
  #highest = -1
  #rttMin = Number.POSITIVE_INFINITY
  #rttMax = Number.NEGATIVE_INFINITY
  #rttSum = 0
  #jitter = 0
  #lastTransit: number | undefined

  constructor(count: number) {
    this.count = count
    this.#seen = new Uint8Array(count)
    this.#offsets = new Float64Array(count)
    this.#histogram = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
      autoResize: true,
    })
  }

  /** sent records that probe `sequence` went out (probes are sent in order). */
  recordSent(sequence: number): void {
    this.#sent = Math.max(this.#sent, sequence + 1)
  }

  get sent(): number {
    return this.#sent
  }

  get received(): number {
    return this.#received
  }

  /** ignore counts a reply that belongs to no probe of this run. */
  ignore(): void {
    this.#ignored++
  }

  /** add takes one reply of this session, received at `t4`. */
  add(reply: Pick<ProbeReply, 'sequence' | 't1' | 't2' | 't3'>, t4: number): ReplyVerdict {
    const seq = reply.sequence
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.#sent) {
      this.#ignored++
      return 'ignored'
    }
    if (this.#seen[seq] === 1) {
      this.#duplicated++
      return 'duplicate'
    }
    this.#seen[seq] = 1
    if (seq < this.#highest) this.#reordered++
    else this.#highest = seq

    const { offsetMs, delayMs } = offsetAndDelay(reply.t1, reply.t2, reply.t3, t4)
    const rtt = Math.max(0, delayMs)
    this.#histogram.recordValue(Math.round(rtt * 1000))
    this.#rttMin = Math.min(this.#rttMin, rtt)
    this.#rttMax = Math.max(this.#rttMax, rtt)
    this.#rttSum += rtt
    this.#offsets[this.#received] = offsetMs

    // RFC 3550: D = (R_j − S_j) − (R_i − S_i); J += (|D| − J) / 16
    const transit = t4 - reply.t3
    if (this.#lastTransit !== undefined) {
      const d = Math.abs(transit - this.#lastTransit)
      this.#jitter += (d - this.#jitter) / 16
    }
    this.#lastTransit = transit
    this.#received++
    return 'new'
  }

  summary(): ProbeSummary {
    const n = this.#received
    // HDR reports a bucket's highest equivalent value, which may pass the exact extremes
    const pct = (p: number) =>
      round3(Math.min(this.#rttMax, Math.max(this.#rttMin, this.#histogram.getValueAtPercentile(p) / 1000)))
    return {
      sent: this.#sent,
      received: n,
      lost: this.#sent - n,
      lossPercent: this.#sent === 0 ? 0 : Math.round(((this.#sent - n) / this.#sent) * 100_000) / 1000,
      duplicated: this.#duplicated,
      reordered: this.#reordered,
      ignored: this.#ignored,
      rttMs:
        n === 0
          ? null
          : {
              min: round3(this.#rttMin),
              mean: round3(this.#rttSum / n),
              p50: pct(50),
              p90: pct(90),
              p99: pct(99),
              max: round3(this.#rttMax),
            },
      jitterMs: n < 2 ? null : round3(this.#jitter),
      offsetMs: n === 0 ? null : round3(median(this.#offsets.subarray(0, n)) as number),
    }
  }
}

export interface ProbeProgress {
  readonly sent: number
  readonly received: number
  readonly count: number
}

export interface ProbeOptions extends Target {
  readonly count: number
  /** probes per second */
  readonly rate: number
  /** datagram bytes, 40..1472 (default 64) */
  readonly size?: number
  /** how long to wait after the last send (default 1000 ms) */
  readonly waitMs?: number
  /** the session id (default: random u32) */
  readonly session?: number
  readonly onProgress?: (p: ProbeProgress) => void
  readonly resolve?: Resolver
  /** on abort the runner stops sending and waiting at once and reports the figures so far */
  readonly signal?: AbortSignal
}

export interface ProbeReport extends ProbeSummary {
  readonly host: string
  readonly port: number
  readonly session: number
  readonly count: number
  readonly rate: number
  readonly size: number
  /** ICMP port/host unreachable errors seen on the socket */
  readonly unreachable: number
  /** from the first send until the runner stopped */
  readonly elapsedMs: number
  /** first send to last send */
  readonly sendDurationMs: number
  /** probes per second actually achieved ((sent − 1) / send duration); null for one probe */
  readonly sendRate: number | null
  /** present (true) when the signal stopped the run early: the figures are those so far */
  readonly interrupted?: true
}

function checkRange(name: keyof typeof PROBE_LIMITS, value: number): void {
  const { min, max } = PROBE_LIMITS[name]
  if (!Number.isInteger(value) || value < min || value > max)
    throw new LabError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}, not ${value}`)
}

/** runProbe sends `count` probes at `rate`/s, waits for stragglers, and reports. */
export async function runProbe(opts: ProbeOptions): Promise<ProbeReport> {
  const size = opts.size ?? DEFAULT_PROBE_SIZE
  const waitMs = opts.waitMs ?? DEFAULT_PROBE_WAIT_MS
  checkRange('count', opts.count)
  checkRange('rate', opts.rate)
  checkRange('size', size)
  checkRange('waitMs', waitMs)
  const { count, rate } = opts
  const session = (opts.session ?? randomBytes(4).readUInt32BE(0)) >>> 0
  const { address, family } = await resolveTarget(opts, opts.resolve)

  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' })
  const stats = new ProbeStats(count)
  let unreachable = 0
  let fatal: unknown
  socket.on('message', (msg, rinfo) => {
    if (rinfo.address !== address || rinfo.port !== opts.port) return
    const t4 = nowMs()
    const reply = decodeProbeReply(msg)
    if (!reply || reply.session !== session) stats.ignore()
    else stats.add(reply, t4)
  })
  const onError = (err: unknown) => {
    const code = isErrnoException(err) ? err.code : undefined
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') unreachable++
    else fatal ??= err
  }
  socket.on('error', onError)
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.connect(opts.port, address, () => {
      socket.off('error', reject)
      resolve()
    })
  }).catch((err: unknown) => {
    socket.close()
    throw new LabError('CONNECT_FAILED', `cannot reach ${opts.host}:${opts.port}: ${String(err)}`, {
      cause: err,
    })
  })

  const intervalMs = 1000 / rate
  const start = performance.now()
  let lastSendAt = start
  let sent = 0
  const progress = () => opts.onProgress?.({ sent, received: stats.received, count })

  let timer: NodeJS.Timeout | undefined
  let stop: (() => void) | undefined
  let interrupted = false
  const abort = onAbort(opts.signal, () => {
    // stop sending at once; replies already on their way get a moment (at most 250 ms)
    interrupted = true
    clearTimeout(timer)
    timer = setTimeout(() => stop?.(), Math.min(waitMs, INTERRUPT_WAIT_MS))
  })
  try {
    await new Promise<void>((resolve) => {
      stop = resolve
      if (interrupted) return
      const tick = () => {
        const now = performance.now()
        const due = Math.min(count, Math.floor((now - start) / intervalMs) + 1)
        while (sent < due && fatal === undefined) {
          const seq = sent++
          stats.recordSent(seq)
          socket.send(encodeProbe(seq, session, nowMs(), size), (err) => {
            if (err) onError(err)
          })
          lastSendAt = performance.now()
        }
        progress()
        if (fatal !== undefined) resolve()
        else if (sent < count)
          timer = setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()))
        else timer = setTimeout(resolve, waitMs)
      }
      tick()
    })
  } finally {
    abort[Symbol.dispose]()
    socket.close()
  }
  if (fatal !== undefined) {
    const code = isErrnoException(fatal) ? fatal.code : String(fatal)
    throw new LabError('SEND_FAILED', `cannot send probes to ${opts.host}:${opts.port}: ${code}`, {
      cause: fatal,
    })
  }
  const end = performance.now()
  progress()
  const sendDurationMs = lastSendAt - start
  return {
    host: opts.host,
    port: opts.port,
    session,
    count,
    rate,
    size,
    ...stats.summary(),
    unreachable,
    elapsedMs: Math.round((end - start) * 1000) / 1000,
    sendDurationMs: Math.round(sendDurationMs * 1000) / 1000,
    sendRate:
      sent > 1 && sendDurationMs > 0 ? Math.round(((sent - 1) / sendDurationMs) * 1000 * 10) / 10 : null,
    ...(interrupted ? { interrupted: true as const } : {}),
  }
}
