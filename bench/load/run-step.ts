/**
 * runStep drives one subject through one step with the matching generator and turns what
 * it measured into a Measurement of the result file.
 */
import { decodeProbeReply } from '../../protocols/probe/packet.ts'
import type { Measurement } from '../result.ts'
import { CMD_REPLY, CMD_REQUEST, type Load, type Step, type Subject, TCP_PAYLOAD } from '../suite.ts'
import { httpRequests } from './http-requests.ts'
import type { StepOutcome } from './outcome.ts'
import { postData } from './post-data.ts'
import { jsonRpcTcpCalls, rpcCalls } from './rpc-calls.ts'
import { tcpRoundTrips } from './tcp-round-trips.ts'
import { udpLoss } from './udp-loss.ts'
import { udpRequests } from './udp-requests.ts'

/** Keys: the authkey each kind of mp-connection subject expects. */
export interface Keys {
  readonly netlab: string
  readonly baseline: string
}

const CTIME_BYTES = 24 // asctime: 'Wed Aug 15 20:35:08 2012'
const PROBE = Buffer.from('NLP1')

/** probeRequest is a 40-byte probe of `seq` in a preallocated buffer (one per sender). */
function probeSender(session: number): (seq: number) => Buffer {
  const buf = Buffer.alloc(40)
  PROBE.copy(buf, 0)
  buf[4] = 0x01
  buf.writeUInt32BE(session, 12)
  return (seq) => {
    buf.writeUInt32BE(seq, 8)
    return buf
  }
}

/** generate runs the load of `step` against one host. */
function generate(load: Load, host: string, step: Step, subject: Subject, seconds: number, keys: Keys) {
  const base = { host, port: load.port, concurrency: step.concurrency, seconds }
  switch (load.kind) {
    case 'tcp': {
      const payload = Buffer.from(TCP_PAYLOAD)
      if (load.proto === 'cmd')
        return tcpRoundTrips({ ...base, request: Buffer.from(CMD_REQUEST), expected: Buffer.from(CMD_REPLY) })
      const expected = load.proto === 'upper' ? Buffer.from(TCP_PAYLOAD.toUpperCase()) : payload
      return tcpRoundTrips({ ...base, request: payload, expected })
    }
    case 'udp': {
      if (load.proto === 'ctime')
        return udpRequests({
          ...base,
          request: () => EMPTY,
          check: (reply) => reply.length === CTIME_BYTES,
        })
      const session = (Math.random() * 0xffffffff) >>> 0
      const senders = new Map<number, (seq: number) => Buffer>()
      return udpRequests({
        ...base,
        // one buffer per sender: the sender number is in the sequence's top bits
        request: (seq) => {
          const key = seq >>> 20
          let make = senders.get(key)
          if (!make) {
            make = probeSender(session)
            senders.set(key, make)
          }
          return make(seq)
        },
        check: (reply, seq) => {
          const r = decodeProbeReply(reply)
          return r !== undefined && r.sequence === seq && r.session === session
        },
      })
    }
    case 'udp-loss':
      return udpLoss({ host, port: load.port, ratePps: load.ratePps, seconds })
    case 'http-get':
      return httpRequests({
        ...base,
        path: load.path,
        ...(load.expectBytes === undefined ? {} : { expectBytes: load.expectBytes }),
      })
    case 'http-post-data':
      return postData({ host, port: load.port, seconds })
    case 'rpc':
      if (load.via === 'jsonrpc-tcp') return jsonRpcTcpCalls(base)
      return rpcCalls({
        ...base,
        via: load.via,
        authkey: subject.authkey === 'baseline' ? keys.baseline : keys.netlab,
      })
  }
}

const EMPTY = Buffer.alloc(0)

/** runStep measures `subject` under `step` for `seconds`; `firstError` says why errors were counted. */
export async function runStep(
  step: Step,
  subject: Subject,
  seconds: number,
  keys: Keys,
): Promise<{ measurement: Measurement; firstError?: string }> {
  const out: StepOutcome = await generate(step.load, subject.host, step, subject, seconds, keys)
  const extra: Record<string, number> = { ...(out.extra ?? {}) }
  const measurement: Measurement = {
    id: step.id,
    group: step.group,
    title: step.title,
    subject: subject.name,
    role: subject.role,
    ...(subject.family ? { family: subject.family } : {}),
    concurrency: step.concurrency,
    durationS: round3(out.durationS),
    ops: out.ops,
    errors: out.errors,
    throughput: out.durationS > 0 ? Math.round((out.ops / out.durationS) * 10) / 10 : 0,
    unit: step.unit,
    latency: out.latency,
    extra,
  }
  return { measurement, ...(out.firstError ? { firstError: out.firstError } : {}) }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000
