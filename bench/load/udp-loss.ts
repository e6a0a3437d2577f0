/**
 * The loss sweep: one socket sends sequenced probes at a fixed rate (paced on a 1 ms tick,
 * open loop: it does not wait for replies), then waits LOSS_DRAIN_MS for stragglers and
 * counts which sequence numbers came back. Loss is what never came back; a duplicate or a
 * reply to a probe never sent is not counted twice.
 */
import { decodeProbeReply, encodeProbe } from '../../protocols/probe/packet.ts'
import { LatencyRecorder } from './histogram.ts'
import type { StepOutcome } from './outcome.ts'
import { openUdp } from './udp-requests.ts'

/** How long after the last probe replies are still counted. */
export const LOSS_DRAIN_MS = 300

/** LossOptions: where to send, how fast (datagrams/s) and for how long (s). */
export interface LossOptions {
  readonly host: string
  readonly port: number
  readonly ratePps: number
  readonly seconds: number
}

/** udpLoss sends `ratePps × seconds` probes at `ratePps` and counts the replies. */
export async function udpLoss(opts: LossOptions): Promise<StepOutcome> {
  const total = Math.max(1, Math.round(opts.ratePps * opts.seconds))
  const sentAt = new Float64Array(total)
  const seen = new Uint8Array(total)
  const session = (Math.random() * 0xffffffff) >>> 0
  const socket = await openUdp(opts.host, opts.port)
  const rec = new LatencyRecorder()
  let received = 0
  socket.on('message', (msg: Buffer) => {
    const reply = decodeProbeReply(msg)
    if (!reply || reply.session !== session || reply.sequence >= total || seen[reply.sequence] === 1) return
    seen[reply.sequence] = 1
    received++
    rec.recordMs(performance.now() - (sentAt[reply.sequence] as number))
  })
  let sendErrors = 0
  socket.on('error', () => {
    sendErrors++
  })
  const request = encodeProbe(0, session, Date.now())
  const started = performance.now()
  let sent = 0
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.ratePps) + 1)
      for (; sent < due; sent++) {
        // a copy per datagram: send() may still hold the previous one
        const probe = Buffer.from(request)
        probe.writeUInt32BE(sent, 8)
        sentAt[sent] = performance.now()
        socket.send(probe)
      }
      if (sent >= total) {
        clearInterval(tick)
        resolve()
      }
    }, 1)
  })
  const sendingS = (performance.now() - started) / 1000
  await new Promise((resolve) => setTimeout(resolve, LOSS_DRAIN_MS))
  socket.close()
  const lost = total - received
  return {
    ops: received,
    errors: lost,
    durationS: sendingS,
    latency: rec.summary(),
    extra: {
      ratePps: opts.ratePps,
      sent: total,
      lost,
      lossPct: Math.round((10_000 * lost) / total) / 100,
      achievedPps: Math.round(total / sendingS),
      sendErrors,
    },
  }
}
