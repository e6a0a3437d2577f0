/**
 * In-process UDP test doubles on 127.0.0.1: a socket on a port the OS picks that hands each
 * datagram to a scripted behaviour (drop, answer, answer twice, answer late, …). Doubles
 * close, and their pending delayed replies are cancelled, when the current test finishes.
 */
import { createSocket, type RemoteInfo } from 'node:dgram'
import { onTestFinished } from 'vitest'
import { nowMs } from '../../protocols/ntp-time.ts'
import { decodeRequest, encodeReply, type ServerClock } from '../../protocols/sntp/packet.ts'

export interface DoubleRequest {
  readonly msg: Buffer
  readonly from: RemoteInfo
  /** 0-based arrival index */
  readonly index: number
  /** wall clock at arrival, Unix ms */
  readonly receivedMs: number
}

export interface UdpDouble {
  readonly port: number
  readonly requests: DoubleRequest[]
  /** reply sends `data` to `to`, now or after `delayMs` (a function is called when it leaves) */
  reply(to: RemoteInfo, data: Buffer | (() => Buffer), delayMs?: number): void
  close(): Promise<void>
}

export type Behaviour = (req: DoubleRequest, double: UdpDouble) => void

/**
 * startDouble binds 127.0.0.1:`port` (default 0: any free port) and runs `behaviour` per
 * datagram. It closes when the current test finishes unless `autoClose` is false (for
 * doubles started in beforeAll, which close them in its teardown).
 */
export async function startDouble(
  behaviour: Behaviour,
  { port = 0, autoClose = true }: { port?: number; autoClose?: boolean } = {},
): Promise<UdpDouble> {
  const socket = createSocket('udp4')
  const timers = new Set<NodeJS.Timeout>()
  const requests: DoubleRequest[] = []
  let closed = false
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject)
      resolve()
    })
  })
  socket.on('error', () => {
    // ICMP errors from clients that already closed their sockets are expected here
  })
  const double: UdpDouble = {
    port: socket.address().port,
    requests,
    reply(to, data, delayMs = 0) {
      const send = () => {
        if (!closed) socket.send(typeof data === 'function' ? data() : data, to.port, to.address)
      }
      if (delayMs <= 0) send()
      else {
        const t = setTimeout(() => {
          timers.delete(t)
          send()
        }, delayMs)
        timers.add(t)
      }
    },
    close() {
      if (closed) return Promise.resolve()
      closed = true
      for (const t of timers) clearTimeout(t)
      return new Promise<void>((resolve) => socket.close(() => resolve()))
    },
  }
  socket.on('message', (msg, from) => {
    const req: DoubleRequest = { msg, from, index: requests.length, receivedMs: nowMs() }
    requests.push(req)
    behaviour(req, double)
  })
  if (autoClose) onTestFinished(() => double.close())
  return double
}

/** freePort returns a loopback UDP port that nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

export const testClock: ServerClock = {
  stratum: 1,
  refId: 'LOCL',
  precision: -20,
  rootDispersionMs: 0,
  referenceMs: Date.UTC(2026, 0, 1),
}

/** sntpReply answers an SNTP request as the real server does, T3 taken when the reply leaves. */
export function sntpReply(double: UdpDouble, req: DoubleRequest, delayMs = 0, clock = testClock): void {
  const decoded = decodeRequest(req.msg)
  if (typeof decoded === 'string') return
  double.reply(req.from, () => encodeReply(decoded, clock, req.receivedMs, nowMs()), delayMs)
}
