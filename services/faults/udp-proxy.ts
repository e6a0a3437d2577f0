/**
 * UdpProxy is a UDP relay (toxiproxy has none): one listening socket, and one upstream
 * socket per client address:port (a session), so replies find their way back:
 *
 *   client ──▶ listener ──▶ [upstream toxics] ──▶ session socket ──▶ upstream
 *   client ◀── listener ◀── [downstream toxics] ◀── session socket ◀── upstream
 *
 * Each datagram passes the stream's toxics in order; each toxic applies to a datagram
 * with probability `toxicity` and may drop, delay, duplicate or change it.
 *
 * What one datagram may cost is bounded before it is built (udp-fanout.ts): at most
 * FAULTS_MAX_UDP_FANOUT datagrams, reserved from the service's memory budget first; a
 * datagram the budget cannot hold is dropped and counted. Held datagrams
 * (latency, reorder) are also bounded by FAULTS_MAX_UDP_QUEUE per proxy; sessions by
 * FAULTS_MAX_UDP_SESSIONS, and a session whose upstream has been silent for
 * FAULTS_UDP_SESSION_IDLE_MS is closed. Each session resolves the upstream through the
 * upstream policy and connects to the address it allows. Zero-length datagrams are relayed.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { isIP } from 'node:net'
import { LabError } from '../../lib/errors.ts'
import type { Logger } from '../../lib/log.ts'
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import { LimitLog } from '../../lib/net/limit-log.ts'
import type { CloseSummary } from '../../lib/service.ts'
import type { HostPort } from './address.ts'
import type { Toxic } from './toxic-set.ts'
import type { Rng, Stream, UdpToxicRun } from './toxics/toxic.ts'
import { fanOut, type Outgoing } from './udp-fanout.ts'
import { SendQueue } from './udp-send-queue.ts'

export interface UdpProxyOptions {
  readonly upstream: HostPort
  readonly toxics: () => readonly Toxic[]
  readonly maxSessions: number
  readonly sessionIdleMs: number
  readonly maxQueue: number
  readonly maxFanout: number
  readonly budget: MemoryBudget
  /** the address to send to for the upstream's host (the upstream policy's resolve) */
  readonly resolve: (host: string) => Promise<string>
  readonly rng: Rng
  readonly log: Logger
}

/**
 * the most datagrams a session holds while its upstream is resolved and connected: 64, or
 * one datagram's whole fan-out when that is more (they are in the memory budget either way)
 */
const MIN_EARLY_DATAGRAMS = 64

interface Session {
  socket: Socket | undefined
  readonly client: RemoteInfo
  /** when the upstream last sent (or the session opened): the idle clock */
  lastReply: number
  /** datagrams that arrived before the upstream socket was connected */
  early: Outgoing[] | undefined
}

/** UdpCounters are what the proxy did, for the log, GET /stats and tests. */
export interface UdpCounters {
  received: number
  sent: number
  dropped: number
  sessionsRefused: number
  queueFull: number
  /** datagrams dropped because the memory budget had no room for their fan-out */
  budgetDropped: number
  /** sessions closed because the upstream resolved to an address the policy refuses */
  upstreamRefused: number
}

export class UdpProxy {
  readonly counters: UdpCounters = {
    received: 0,
    sent: 0,
    dropped: 0,
    sessionsRefused: 0,
    queueFull: 0,
    budgetDropped: 0,
    upstreamRefused: 0,
  }
  readonly #opts: UdpProxyOptions
  readonly #budgetLog: LimitLog
  #listener: Socket | undefined
  readonly #sessions = new Map<string, Session>()
  readonly #runs = new Map<string, { version: number; run: UdpToxicRun }>()
  /** held datagrams' timers, each with its budget release */
  readonly #timers = new Map<NodeJS.Timeout, () => void>()
  readonly #sends = new SendQueue((sent) => {
    if (sent) this.counters.sent++
    else this.counters.dropped++
  })
  #sweeper: NodeJS.Timeout | undefined

  constructor(opts: UdpProxyOptions) {
    this.#opts = opts
    this.#budgetLog = new LimitLog(opts.log, 'MEMORY_BUDGET')
  }

  /** listen binds `address`; resolves with the port bound */
  async listen(address: HostPort): Promise<number> {
    const listener = createSocket({ type: isIP(address.host) === 6 ? 'udp6' : 'udp4' })
    listener.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo))
    listener.on('error', (err) => this.#opts.log.debug({ err }, 'listener error'))
    const bound = once(listener, 'listening')
    listener.bind(address.port, address.host)
    try {
      await bound
    } catch (err) {
      listener.close()
      throw err
    }
    this.#listener = listener
    const every = Math.max(50, Math.floor(this.#opts.sessionIdleMs / 2))
    this.#sweeper = setInterval(() => this.#sweep(), every)
    this.#sweeper.unref()
    this.toxicsChanged()
    return listener.address().port
  }

  get sessions(): number {
    return this.#sessions.size
  }

  /** held is the number of datagrams waiting on a latency or reorder timer */
  get held(): number {
    return this.#timers.size
  }

  /** toxicsChanged creates the runs of new or updated toxics (rate buckets start afresh) */
  toxicsChanged(): void {
    const current = this.#opts.toxics()
    for (const [name, slot] of this.#runs) {
      if (!current.some((t) => t.name === name && t.version === slot.version)) this.#runs.delete(name)
    }
    for (const t of current) {
      const udp = t.def.udp
      if (udp && !this.#runs.has(t.name))
        this.#runs.set(t.name, { version: t.version, run: udp(t.attributes, this.#opts.rng) })
    }
  }

  /** close stops relaying, closes every session and drops held datagrams */
  async close(): Promise<CloseSummary> {
    clearInterval(this.#sweeper)
    for (const [timer, done] of this.#timers) {
      clearTimeout(timer)
      done()
    }
    this.#timers.clear()
    this.#sends.clear()
    const sessions = this.#sessions.size
    for (const [key, s] of this.#sessions) this.#closeSession(key, s)
    const listener = this.#listener
    this.#listener = undefined
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()))
    return { drained: sessions, destroyed: 0 }
  }

  #fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.received++
    const session = this.#session(rinfo)
    if (!session) return
    const earlyMax = Math.max(MIN_EARLY_DATAGRAMS, this.#opts.maxFanout)
    if (session.early && session.early.length >= earlyMax) {
      this.counters.dropped++ // still connecting, and already holding all it may
      return
    }
    this.#relay('upstream', msg, (out) => {
      if (session.early) {
        if (session.early.length < earlyMax) session.early.push(out)
        else this.#drop(out)
      } else if (session.socket) this.#send(session.socket, out)
      else this.#drop(out) // the session failed and closed meanwhile
    })
  }

  #session(rinfo: RemoteInfo): Session | undefined {
    const key = `${rinfo.address}|${rinfo.port}`
    const existing = this.#sessions.get(key)
    if (existing) return existing
    if (this.#sessions.size >= this.#opts.maxSessions) {
      if (this.counters.sessionsRefused++ === 0)
        this.#opts.log.warn({ code: 'LIMIT_REACHED', maxSessions: this.#opts.maxSessions }, 'limit reached')
      return undefined
    }
    const session: Session = { socket: undefined, client: rinfo, lastReply: performance.now(), early: [] }
    this.#sessions.set(key, session)
    const remote = `${rinfo.address}:${rinfo.port}`
    this.#opts.log.debug({ remote }, 'session opened')
    this.#opts
      .resolve(this.#opts.upstream.host)
      .then((address) => this.#connect(key, session, address))
      .catch((err: unknown) => {
        if (err instanceof LabError && err.code === 'UPSTREAM_NOT_ALLOWED') {
          this.counters.upstreamRefused++
          this.#opts.log.warn({ code: err.code, remote, err: err.message }, 'session refused')
        } else this.#opts.log.debug({ err, remote }, 'session failed')
        this.#closeSession(key, session)
      })
    return session
  }

  #connect(key: string, session: Session, address: string): void {
    if (this.#sessions.get(key) !== session) return // closed while resolving
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' })
    session.socket = socket
    // ICMP port unreachable from the upstream shows up here: the datagram is lost, as on a real path
    socket.on('error', (err) => this.#opts.log.debug({ err }, 'session error'))
    socket.on('message', (msg) => {
      session.lastReply = performance.now()
      this.counters.received++
      this.#relay('downstream', msg, (out) => {
        if (this.#listener) this.#send(this.#listener, out, session.client)
        else this.#drop(out)
      })
    })
    const connected: (err?: Error) => void = (err) => {
      if (err) {
        this.#opts.log.debug(
          { err, remote: `${session.client.address}:${session.client.port}` },
          'session failed',
        )
        this.#closeSession(key, session)
        return
      }
      const early = session.early ?? []
      session.early = undefined
      for (const out of early) this.#send(socket, out)
    }
    socket.connect(this.#opts.upstream.port, address, connected as () => void)
  }

  #drop(out: Outgoing): void {
    this.counters.dropped++
    out.done()
  }

  /** send queues a datagram (udp-send-queue.ts: a batch per turn of the event loop) */
  #send(socket: Socket, out: Outgoing, to?: RemoteInfo): void {
    this.#sends.push(socket, out, to)
  }

  /**
   * relay runs one datagram through the stream's toxics and hands each result to `deliver`,
   * after reserving the most it can become; the reservation shrinks as each copy is done.
   */
  #relay(stream: Stream, msg: Buffer, deliver: (out: Outgoing) => void): void {
    const result = fanOut(stream, msg, {
      toxics: this.#opts.toxics(),
      runs: this.#runs,
      maxFanout: this.#opts.maxFanout,
      budget: this.#opts.budget,
      rng: this.#opts.rng,
    })
    if (result.refused) {
      this.counters.budgetDropped++
      this.#budgetLog.refused(() => ({
        datagramBytes: msg.length,
        fanout: result.fanout,
        ...this.#opts.budget.snapshot(),
      }))
      return
    }
    const datagrams = result.out
    if (datagrams.length === 0) this.counters.dropped++
    for (const out of datagrams) {
      if (out.delayMs <= 0) deliver(out)
      else if (this.#timers.size >= this.#opts.maxQueue) {
        this.counters.queueFull++
        out.done()
      } else {
        const timer = setTimeout(() => {
          this.#timers.delete(timer)
          deliver(out)
        }, out.delayMs)
        this.#timers.set(timer, out.done)
      }
    }
  }

  /**
   * sweep closes the sessions whose upstream has sent nothing for FAULTS_UDP_SESSION_IDLE_MS,
   * idle or not on the client side: when the upstream restarts at a new address, the next
   * datagram opens a new session that resolves its name again.
   */
  #sweep(): void {
    const cutoff = performance.now() - this.#opts.sessionIdleMs
    for (const [key, s] of this.#sessions) {
      if (s.lastReply < cutoff) {
        this.#closeSession(key, s)
        this.#opts.log.debug({ remote: `${s.client.address}:${s.client.port}` }, 'session expired')
      }
    }
  }

  #closeSession(key: string, s: Session): void {
    if (this.#sessions.get(key) !== s) return
    this.#sessions.delete(key)
    for (const out of s.early ?? []) this.#drop(out)
    s.early = undefined
    try {
      s.socket?.close()
    } catch {
      // already closed
    }
    s.socket = undefined
  }
}
