/**
 * A reliable single request over UDP; the UDP service's one-shot protocols on top of it
 * (ctime, hello, RFC 868 time, SNTP, probe-port stats) are in udp-queries.ts.
 *
 * `udpRequest` sends attempt 1, waits, and retransmits with exponential backoff (×2, ±10 %
 * jitter, capped) until a reply matches or the attempts run out. The rules:
 *
 * - Every attempt gets its own connected socket, so its own source port. A reply can only
 *   reach the socket of the attempt it answers, and the kernel drops datagrams whose source
 *   is not the target's address and port (we check `rinfo` again anyway). This is what
 *   makes replies attributable for protocols whose payloads carry no id (ctime, hello,
 *   RFC 868, stats): a late reply to attempt 1 can never be mistaken for the answer to
 *   attempt 2. SNTP additionally matches the reply's Originate Timestamp to the exact
 *   Transmit bytes of that socket's attempt (RFC 4330 §5), which also rejects stale or
 *   forged replies.
 * - The late-reply rule: earlier attempts stay outstanding (their sockets stay open) until
 *   the request completes, and the first reply that matches ANY outstanding attempt wins.
 *   It is returned as the answer to the attempt it answers (`answered`), never relabelled as
 *   the latest one: its RTT is measured from that attempt's own send time, and SNTP computes
 *   offset and delay with that attempt's own T1 (read back from the Originate bytes). So a
 *   reply that is merely slower than the timeout still succeeds, with a true (long) RTT,
 *   and never with a negative or shortened one (Karn's problem does not arise because the
 *   attribution is unambiguous). Later duplicates are dropped: once a reply wins, every
 *   socket closes.
 * - ICMP port unreachable (ECONNREFUSED on a connected socket), host or network
 *   unreachable end that attempt only: the service may be restarting, so the client still
 *   waits out the backoff and retries, and names the error in the final message.
 * - After the last attempt's timeout: LabError NO_REPLY, e.g.
 *   `no reply from udp:20000 after 5 attempts (6 s 104 ms)`. An unknown host is
 *   CONNECT_FAILED, `cannot reach no-such-host:20000: unknown host (ENOTFOUND)`.
 *
 * The host is resolved once (an IPv4 address preferred, since the lab's networks are
 * IPv4), so every attempt goes to the same address.
 */
import { createSocket, type Socket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { isErrnoException, LabError } from '../../../lib/errors.ts'
import { nowMs } from '../../../protocols/ntp-time.ts'
import { interruptedError, onAbort } from './interrupt.ts'
import type { Target } from './tcp-client.ts'

export type { Target }

/** Attempt is what a matcher knows about the attempt whose socket a reply arrived on. */
export interface Attempt {
  /** 1-based attempt number */
  readonly attempt: number
  /** the exact bytes sent */
  readonly request: Buffer
  /** wall clock (Unix ms, sub-ms) just before the send */
  readonly sentAtMs: number
  /** wall clock (Unix ms, sub-ms) when the reply was read */
  readonly receivedAtMs: number
}

/** ReplyMatcher decodes a reply to `attempt`, or returns undefined to ignore it (so does throwing). */
export type ReplyMatcher<T> = (reply: Buffer, attempt: Attempt) => T | undefined

/** Resolver turns a host name into one address (injectable so tests never touch DNS). */
export type Resolver = (host: string) => Promise<{ address: string; family: number }>

/** RetryOptions tune the retransmission schedule. */
export interface RetryOptions {
  /** first attempt's timeout, ms (default 300) */
  readonly timeoutMs?: number
  /** retransmissions after the first attempt (default 4: 5 attempts) */
  readonly retries?: number
  /** cap on any one attempt's timeout, ms (default 2000; never below timeoutMs) */
  readonly maxTimeoutMs?: number
  /** random source in [0, 1) for the jitter (tests pass a constant) */
  readonly random?: () => number
  readonly resolve?: Resolver
  /** on abort every socket closes, the timer is cleared and the request rejects INTERRUPTED */
  readonly signal?: AbortSignal
}

export interface UdpRequestOptions<T> extends Target, RetryOptions {
  /** builds the datagram for attempt n (1-based), called just before it is sent */
  readonly request: (attempt: number) => Buffer
  readonly match: ReplyMatcher<T>
}

export interface UdpResult<T> {
  readonly reply: T
  /** datagrams sent, retransmissions included */
  readonly attempts: number
  /** the attempt this reply answers (≤ attempts: a late reply to an earlier one may win) */
  readonly answered: number
  /** from the answered attempt's send to the reply, monotonic clock, ms */
  readonly rttMs: number
}

export const DEFAULT_TIMEOUT_MS = 300
export const DEFAULT_RETRIES = 4
export const DEFAULT_MAX_TIMEOUT_MS = 2000
/** The largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65_507

/** describeTarget is `host:port`, as messages name a target. */
export const describeTarget = (t: Target) => `${t.host}:${t.port}`

/**
 * backoffSchedule returns each attempt's timeout: timeoutMs × 2^(n−1), ±10 % jitter, then
 * capped at max(maxTimeoutMs, timeoutMs), so the cap is a hard bound.
 */
export function backoffSchedule(opts: RetryOptions = {}): number[] {
  const first = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const retries = opts.retries ?? DEFAULT_RETRIES
  const cap = Math.max(first, opts.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS)
  const random = opts.random ?? Math.random
  if (!Number.isInteger(first) || first < 1 || first > 600_000)
    throw new LabError('INVALID_ARGUMENT', `timeout must be 1 to 600000 ms, not ${first}`)
  if (!Number.isInteger(retries) || retries < 0 || retries > 20)
    throw new LabError('INVALID_ARGUMENT', `retries must be 0 to 20, not ${retries}`)
  return Array.from({ length: retries + 1 }, (_, i) => {
    const jittered = Math.min(cap, first * 2 ** i) * (1 + (random() * 2 - 1) * 0.1)
    return Math.max(1, Math.min(cap, Math.round(jittered)))
  })
}

/** formatDuration renders ms as `740 ms` or `1 s 740 ms`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms))
  if (total < 1000) return `${total} ms`
  const s = Math.floor(total / 1000)
  const rest = total % 1000
  return rest === 0 ? `${s} s` : `${s} s ${rest} ms`
}

/** Socket errors that end one attempt but not the request. */
const RETRYABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'])

function explain(err: unknown): string {
  const code = isErrnoException(err) ? err.code : undefined
  switch (code) {
    case 'ECONNREFUSED':
      return 'port unreachable (ECONNREFUSED)'
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return `host unreachable (${code})`
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return `network unreachable (${code})`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return `unknown host (${code})`
    default:
      return code ?? (err instanceof Error ? err.message : String(err))
  }
}

const defaultResolve: Resolver = async (host) => {
  const family = isIP(host)
  if (family !== 0) return { address: host, family }
  const all = await lookup(host, { all: true })
  const chosen = all.find((a) => a.family === 4) ?? all[0]
  if (!chosen) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' })
  return chosen
}

/** resolveTarget resolves `target.host` once, within `budgetMs`, or fails with CONNECT_FAILED. */
export async function resolveTarget(
  target: Target,
  resolve: Resolver = defaultResolve,
  budgetMs = 5000,
): Promise<{ address: string; family: number }> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      resolve(target.host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`DNS lookup timed out after ${budgetMs} ms`)), budgetMs)
      }),
    ])
  } catch (err) {
    throw new LabError('CONNECT_FAILED', `cannot reach ${describeTarget(target)}: ${explain(err)}`, {
      cause: err,
    })
  } finally {
    clearTimeout(timer)
  }
}

/** udpRequest sends one request with retransmissions and returns the first matching reply. */
export async function udpRequest<T>(opts: UdpRequestOptions<T>): Promise<UdpResult<T>> {
  const target: Target = { host: opts.host, port: opts.port }
  const schedule = backoffSchedule(opts)
  const started = performance.now()
  const totalMs = schedule.reduce((a, b) => a + b, 0)
  const { address, family } = await resolveTarget(target, opts.resolve ?? defaultResolve, totalMs)

  return new Promise<UdpResult<T>>((resolve, reject) => {
    const open = new Set<Socket>()
    let timer: NodeJS.Timeout | undefined
    let done = false
    let sent = 0
    let lastError: { attempt: number; err: unknown } | undefined
    let abort: Disposable | undefined

    const close = (socket: Socket) => {
      if (open.delete(socket)) socket.close()
    }
    const finish = (outcome: () => void) => {
      if (done) return
      done = true
      clearTimeout(timer)
      abort?.[Symbol.dispose]()
      for (const socket of [...open]) close(socket)
      outcome()
    }
    const fail = (err: unknown) => finish(() => reject(err))
    abort = onAbort(opts.signal, () => {
      const elapsed = formatDuration(performance.now() - started)
      const attempts = `${sent} attempt${sent === 1 ? '' : 's'}`
      fail(
        interruptedError(`${describeTarget(target)} after ${attempts} (${elapsed}), no reply; socket closed`),
      )
    })
    if (done) return

    const startAttempt = (index: number) => {
      const attempt = index + 1
      const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' })
      open.add(socket)
      let request: Buffer | undefined
      let sentAt = 0
      let sentAtMs = 0

      const onError = (err: unknown) => {
        if (done) return
        if (isErrnoException(err) && RETRYABLE.has(err.code ?? '')) {
          // this attempt has failed; the schedule's timer sends the next one
          lastError = { attempt, err }
          close(socket)
        } else {
          fail(
            new LabError('SEND_FAILED', `cannot send to ${describeTarget(target)}: ${explain(err)}`, {
              cause: err,
            }),
          )
        }
      }
      socket.on('error', onError)
      socket.on('message', (msg, rinfo) => {
        if (done || request === undefined) return
        if (rinfo.address !== address || rinfo.port !== target.port) return
        const receivedAt = performance.now()
        const receivedAtMs = nowMs()
        let reply: T | undefined
        try {
          reply = opts.match(msg, { attempt, request, sentAtMs, receivedAtMs })
        } catch {
          reply = undefined
        }
        if (reply === undefined) return
        const answer: UdpResult<T> = { reply, attempts: sent, answered: attempt, rttMs: receivedAt - sentAt }
        finish(() => resolve(answer))
      })
      socket.connect(target.port, address, () => {
        if (done || !open.has(socket)) return
        try {
          request = opts.request(attempt)
        } catch (err) {
          fail(err)
          return
        }
        sent = attempt
        sentAtMs = nowMs()
        sentAt = performance.now()
        socket.send(request, (err) => {
          if (err) onError(err)
        })
      })

      timer = setTimeout(() => {
        if (done) return
        if (attempt < schedule.length) {
          startAttempt(attempt)
          return
        }
        const elapsed = formatDuration(performance.now() - started)
        let message = `no reply from ${describeTarget(target)} after ${sent} attempt${sent === 1 ? '' : 's'} (${elapsed})`
        if (lastError)
          message +=
            lastError.attempt === attempt
              ? `: ${explain(lastError.err)}`
              : `; attempt ${lastError.attempt}: ${explain(lastError.err)}`
        fail(new LabError('NO_REPLY', message, { cause: lastError?.err }))
      }, schedule[index])
    }

    startAttempt(0)
  })
}
