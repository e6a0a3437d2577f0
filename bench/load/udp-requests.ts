/**
 * Closed-loop UDP request/response: `concurrency` senders, each its own connected socket
 * with one request in flight. A request unanswered within REPLY_TIMEOUT_MS is lost
 * (counted as an error) and the sender moves on; a reply that arrives after that, or that
 * fails `check`, is not counted as a success. One timer per sender, re-armed per request.
 */
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { LatencyRecorder } from './histogram.ts'
import { type LoadOptions, type StepOutcome, settleOrCutOff } from './outcome.ts'

/** A request that waits this long for its reply is lost. */
export const REPLY_TIMEOUT_MS = 500

/** UdpRequestOptions: how to build request `seq`, and how to check its reply. */
export interface UdpRequestOptions extends LoadOptions {
  /** builds request number `seq` (sequence numbers let `check` reject a late reply) */
  readonly request: (seq: number) => Buffer
  /** whether `reply` answers request `seq` */
  readonly check: (reply: Buffer, seq: number) => boolean
}

/** openUdp returns a socket connected to host:port. */
export async function openUdp(host: string, port: number): Promise<Socket> {
  const socket = createSocket('udp4')
  socket.connect(port, host)
  await once(socket, 'connect')
  return socket
}

/** udpRequests runs the closed loop and returns what it measured. */
export async function udpRequests(opts: UdpRequestOptions): Promise<StepOutcome> {
  const sockets = await Promise.all(
    Array.from({ length: opts.concurrency }, () => openUdp(opts.host, opts.port)),
  )
  const all = new LatencyRecorder()
  let ops = 0
  let lost = 0
  let bad = 0
  let firstError: string | undefined
  const started = performance.now()
  const deadline = started + opts.seconds * 1000

  const runs = sockets.map(
    (socket, sender) =>
      new Promise<void>((resolve) => {
        const rec = new LatencyRecorder()
        let seq = sender << 20
        let sentAt = 0
        let finished = false
        const finish = () => {
          if (finished) return
          finished = true
          clearTimeout(timer)
          all.merge(rec)
          socket.close()
          resolve()
        }
        const send = () => {
          if (performance.now() >= deadline) return finish()
          seq = (seq + 1) >>> 0
          sentAt = performance.now()
          timer.refresh()
          socket.send(opts.request(seq))
        }
        const timer = setTimeout(() => {
          lost++
          firstError ??= `no reply from ${opts.host}:${opts.port} within ${REPLY_TIMEOUT_MS} ms`
          send()
        }, REPLY_TIMEOUT_MS)
        socket.on('message', (msg: Buffer) => {
          if (finished) return
          if (!opts.check(msg, seq)) {
            bad++
            firstError ??= `unexpected reply from ${opts.host}:${opts.port}: ${JSON.stringify(msg.toString('latin1', 0, 60))}`
            return
          }
          rec.recordMs(performance.now() - sentAt)
          ops++
          send()
        })
        socket.on('error', (err) => {
          if (finished) return
          firstError ??= err.message
          lost++
          finish()
        })
        send()
      }),
  )
  await settleOrCutOff(runs, opts.seconds, () => {
    for (const s of sockets) s.emit('error', new Error('cut off after the deadline'))
  })
  const durationS = (performance.now() - started) / 1000
  return {
    ops,
    errors: lost,
    durationS,
    latency: all.summary(),
    extra: { lost, badReplies: bad, lossPct: ops + lost === 0 ? 0 : round2((100 * lost) / (ops + lost)) },
    ...(firstError ? { firstError } : {}),
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100
