/**
 * One UDP worker thread: a socket per port (SO_REUSEPORT, so the kernel spreads
 * datagrams across threads by source), the per-source rate limit, and the handlers.
 *
 *   datagram ──▶ size check ──▶ rate limit ──▶ handler ──▶ budget ──▶ reply (or a counted drop)
 *
 * A datagram is answered at once and never queued by the service; a reply the kernel cannot
 * take yet waits in libuv's send queue, and is counted in the memory budget
 * (UDP_MEMORY_BUDGET_BYTES) until it is sent. Over the budget the datagram is dropped and
 * counted (`dropped.overBudget`), so a flood never becomes an unbounded send queue.
 *
 * Most replies never wait: with the socket's send queue empty, libuv hands a reply to the
 * kernel at once, and waiting for a send callback would cost a tick and a closure per
 * datagram (about 0.7 µs, measured). Such a reply is sent without one and counted as sent;
 * if the kernel's buffer happens to be full it becomes the one reply queued on that socket,
 * which the socket's standing reservation (one largest reply) covers. A reply sent while
 * others wait is reserved from the budget and released by its send callback.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { parentPort, workerData } from 'node:worker_threads'
import { createLogger, type Logger } from '../../lib/log.ts'
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import { countDatagram, countUdpDrop } from '../../lib/metrics/index.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { attachWorkerBudget, serveWorker } from '../../lib/worker-pool.ts'
import { nowMs } from '../../protocols/ntp-time.ts'
import type { UdpConfig } from './config.ts'
import { type CountedDrop, createUdpCounters, type UdpCounterName, udpStats } from './counters.ts'
import { createHandlers, type Handler, type UdpProto, udpProtos } from './handlers.ts'
import { createRateLimiter, type RateLimiter } from './rate-limit.ts'

/** WorkerInit is the workerData the main thread passes to each UDP worker. */
export interface UdpWorkerInit {
  readonly config: UdpConfig
  readonly worker: number
  readonly reusePort: boolean
  readonly counters: SharedArrayBuffer
  /** the service's memory budget (lib/worker-pool.ts attachWorkerBudget) */
  readonly budget: SharedArrayBuffer
  readonly ports: Readonly<Record<UdpProto, number>>
}

/** What one queued reply costs beyond its bytes (the send request libuv keeps). */
const SEND_OVERHEAD_BYTES = 256
/** IPv4 and UDP headers: the reply-size rule (handlers.ts) counts them. */
const UDP_IP_HEADER_BYTES = 28

/** A rate-limited source is logged at most once per this interval. */
const RATE_WARN_INTERVAL_MS = 10_000

/** Each port's counter names, built once (not a template string a datagram). */
const RECEIVED = Object.fromEntries(udpProtos.map((p) => [p, `received.${p}`])) as Record<
  UdpProto,
  UdpCounterName
>
const REPLIED = Object.fromEntries(udpProtos.map((p) => [p, `replied.${p}`])) as Record<
  UdpProto,
  UdpCounterName
>

class UdpWorker {
  readonly #init: UdpWorkerInit
  readonly #log: Logger
  readonly #counters
  readonly #limiter: RateLimiter
  readonly #handlers: Readonly<Record<UdpProto, Handler>>
  readonly #sockets: Socket[] = []
  readonly #warned = new Map<string, number>()
  readonly #budget: MemoryBudget
  #sent = 0

  constructor(init: UdpWorkerInit) {
    const { config } = init
    this.#init = init
    this.#log = createLogger('udp', config.logLevel).child({ worker: init.worker })
    this.#counters = createUdpCounters(init.counters)
    this.#budget = attachWorkerBudget(init.budget, init.worker)
    this.#limiter = createRateLimiter({
      perSecond: config.rateLimitPps,
      burst: config.rateLimitBurst,
      maxSources: config.maxSources,
    })
    const clock = {
      stratum: config.sntpStratum,
      refId: config.sntpRefId,
      precision: -20,
      rootDispersionMs: 1,
      referenceMs: Math.floor(nowMs() / 1000) * 1000,
    }
    const mode = init.reusePort ? 'reuseport' : 'single'
    this.#handlers = createHandlers(clock, () => udpStats(this.#counters, config.workers, mode))
  }

  async listen(): Promise<void> {
    for (const proto of udpProtos) {
      const socket = createSocket({ type: 'udp4', reuseAddr: false, reusePort: this.#init.reusePort })
      socket.on('message', (msg, rinfo) => this.#onMessage(proto, socket, msg, rinfo))
      socket.on('error', (err) => this.#log.error({ err, proto }, 'socket error'))
      socket.bind(this.#init.ports[proto], this.#init.config.host)
      await once(socket, 'listening')
      this.#sockets.push(socket)
      // the one reply that may wait in the socket's queue without a reservation of its own
      this.#budget.reserveAnyway(this.#standingBytes)
    }
  }

  /** A socket's standing reservation: its largest reply (twice the largest request, headers counted) and its send request. */
  get #standingBytes(): number {
    return 2 * (this.#init.config.maxDatagramBytes + UDP_IP_HEADER_BYTES) + SEND_OVERHEAD_BYTES
  }

  #onMessage(proto: UdpProto, socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    const receivedMs = nowMs()
    this.#counters.add(RECEIVED[proto])
    const reply = this.#answer(proto, msg, rinfo, receivedMs)
    if (typeof reply === 'string') {
      this.#drop(proto, reply, rinfo, msg.length)
      return
    }
    if (socket.getSendQueueCount() === 0) {
      socket.send(reply, rinfo.port, rinfo.address)
      this.#replied(proto, msg.length, reply.length, receivedMs)
    } else this.#sendQueued(proto, socket, msg, reply, rinfo, receivedMs)
    // the level first: the line's fields are built only when it is written (hot path)
    if (this.#log.isLevelEnabled('debug'))
      this.#log.debug(
        { proto, remote: `${rinfo.address}:${rinfo.port}`, bytesIn: msg.length, bytesOut: reply.length },
        'datagram',
      )
  }

  #replied(proto: UdpProto, bytesIn: number, bytesOut: number, receivedMs: number): void {
    this.#sent++
    this.#counters.add(REPLIED[proto])
    countDatagram(proto, bytesIn, bytesOut, receivedMs)
  }

  /** #sendQueued sends a reply behind others in the socket's queue: reserved until its callback. */
  #sendQueued(
    proto: UdpProto,
    socket: Socket,
    msg: Buffer,
    reply: Buffer,
    rinfo: RemoteInfo,
    receivedMs: number,
  ): void {
    const held = reply.length + SEND_OVERHEAD_BYTES
    if (!this.#budget.tryReserve(held)) {
      this.#drop(proto, 'overBudget', rinfo, msg.length)
      return
    }
    socket.send(reply, rinfo.port, rinfo.address, (err) => {
      this.#budget.release(held)
      if (err) {
        this.#counters.add('dropped.sendFailed')
        countUdpDrop('sendFailed')
        this.#log.warn({ err, proto, remote: `${rinfo.address}:${rinfo.port}` }, 'reply not sent')
      } else this.#replied(proto, msg.length, reply.length, receivedMs)
    })
  }

  /** #answer is the pipeline: size check, then rate limit, then the port's handler. */
  #answer(proto: UdpProto, msg: Buffer, rinfo: RemoteInfo, receivedMs: number): Buffer | CountedDrop {
    if (msg.length > this.#init.config.maxDatagramBytes) return 'oversize'
    if (!this.#limiter.take(rinfo.address, receivedMs)) return 'rateLimited'
    return this.#handlers[proto](msg, receivedMs)
  }

  #drop(proto: UdpProto, reason: CountedDrop, rinfo: RemoteInfo, bytes: number): void {
    this.#counters.add(`dropped.${reason}`)
    countUdpDrop(reason)
    const remote = `${rinfo.address}:${rinfo.port}`
    if (reason !== 'rateLimited' && reason !== 'overBudget') {
      this.#log.debug({ proto, remote, bytesIn: bytes, code: reason }, 'datagram dropped')
      return
    }
    // A flood must not become a flood of log lines: warn once per source (or for the budget,
    // once) per interval.
    const key = reason === 'overBudget' ? '' : rinfo.address
    const now = Date.now()
    if (now - (this.#warned.get(key) ?? 0) < RATE_WARN_INTERVAL_MS) return
    this.#warned.set(key, now)
    if (this.#warned.size > 1000) this.#warned.clear()
    if (reason === 'rateLimited')
      this.#log.warn({ proto, remote, code: 'RATE_LIMITED' }, 'source rate-limited')
    else
      this.#log.warn(
        { proto, code: 'OVER_BUDGET', budget: this.#budget.snapshot() },
        'memory budget exhausted',
      )
  }

  /** drain: stop receiving, let replies already queued in the kernel path flush, close. */
  async drain(): Promise<CloseSummary> {
    for (const s of this.#sockets) s.removeAllListeners('message')
    const deadline = Date.now() + this.#init.config.shutdownGraceMs
    const waiting = () => this.#sockets.reduce((n, s) => n + s.getSendQueueCount(), 0)
    while (waiting() > 0 && Date.now() < deadline) await sleep(10)
    const unsent = waiting()
    await Promise.all(this.#sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    this.#budget.release(this.#sockets.length * this.#standingBytes)
    return { drained: this.#sent, destroyed: unsent }
  }
}

if (parentPort) {
  const w = new UdpWorker(workerData as UdpWorkerInit)
  await serveWorker(
    parentPort,
    () => w.listen(),
    () => w.drain(),
  )
}
