/**
 * UdpProxy is a UDP relay (toxiproxy has none): one listening socket, and one upstream
 * socket per client address:port (a session), so replies find their way back:
 *
 *   client ──▶ listener ──▶ [upstream toxics] ──▶ session socket ──▶ upstream
 *   client ◀── listener ◀── [downstream toxics] ◀── session socket ◀── upstream
 *
 * Each datagram passes the stream's toxics in order; each toxic applies to a datagram
 * with probability `toxicity` and may drop, delay, duplicate or change it. Held datagrams
 * (latency, reorder) are bounded by FAULTS_MAX_UDP_QUEUE per proxy; sessions by
 * FAULTS_MAX_UDP_SESSIONS, and a session whose upstream has been silent for
 * FAULTS_UDP_SESSION_IDLE_MS is closed.
 * Zero-length datagrams are relayed like any other.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { isIP } from 'node:net'
import type { Logger } from '../../lib/log.ts'
import type { CloseSummary } from '../../lib/service.ts'
import type { HostPort } from './address.ts'
import type { Toxic } from './toxic-set.ts'
import type { Datagram, Rng, Stream, UdpToxicRun } from './toxics/toxic.ts'

export interface UdpProxyOptions {
  readonly upstream: HostPort
  readonly toxics: () => readonly Toxic[]
  readonly maxSessions: number
  readonly sessionIdleMs: number
  readonly maxQueue: number
  readonly rng: Rng
  readonly log: Logger
}

/** the most datagrams a session holds while its upstream socket connects */
const MAX_EARLY_DATAGRAMS = 64

interface Session {
  readonly socket: Socket
  readonly client: RemoteInfo
  /** when the upstream last sent (or the session opened): the idle clock */
  lastReply: number
  /** datagrams that arrived before the upstream socket was connected */
  early: Buffer[] | undefined
}

/** UdpCounters are what the proxy did, for the log and tests. */
export interface UdpCounters {
  received: number
  sent: number
  dropped: number
  sessionsRefused: number
  queueFull: number
}

export class UdpProxy {
  readonly counters: UdpCounters = { received: 0, sent: 0, dropped: 0, sessionsRefused: 0, queueFull: 0 }
  readonly #opts: UdpProxyOptions
  #listener: Socket | undefined
  readonly #sessions = new Map<string, Session>()
  readonly #runs = new Map<string, { version: number; run: UdpToxicRun }>()
  readonly #timers = new Set<NodeJS.Timeout>()
  #sweeper: NodeJS.Timeout | undefined

  constructor(opts: UdpProxyOptions) {
    this.#opts = opts
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
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    const sessions = this.#sessions.size
    for (const s of this.#sessions.values()) s.socket.close()
    this.#sessions.clear()
    const listener = this.#listener
    this.#listener = undefined
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()))
    return { drained: sessions, destroyed: 0 }
  }

  #fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.received++
    const session = this.#session(rinfo)
    if (!session) return
    this.#relay('upstream', msg, (data) => {
      if (session.early) {
        if (session.early.length < MAX_EARLY_DATAGRAMS) session.early.push(data)
        else this.counters.dropped++
      } else this.#send(session.socket, data)
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
    const { upstream } = this.#opts
    const socket = createSocket({ type: isIP(upstream.host) === 6 ? 'udp6' : 'udp4' })
    const session: Session = { socket, client: rinfo, lastReply: performance.now(), early: [] }
    // ICMP port unreachable from the upstream shows up here: the datagram is lost, as on a real path
    socket.on('error', (err) => this.#opts.log.debug({ err }, 'session error'))
    socket.on('message', (msg) => {
      session.lastReply = performance.now()
      this.counters.received++
      this.#relay('downstream', msg, (data) => {
        if (this.#listener) this.#send(this.#listener, data, rinfo)
      })
    })
    // Node passes a failed connect (the upstream's name does not resolve) to this callback:
    // the session ends, and the next datagram tries again.
    const connected: (err?: Error) => void = (err) => {
      if (err) {
        this.#opts.log.debug({ err, remote: `${rinfo.address}:${rinfo.port}` }, 'session failed')
        this.counters.dropped += session.early?.length ?? 0
        this.#closeSession(key, session)
        return
      }
      const early = session.early ?? []
      session.early = undefined
      for (const d of early) this.#send(socket, d)
    }
    socket.connect(upstream.port, upstream.host, connected as () => void)
    this.#sessions.set(key, session)
    this.#opts.log.debug({ remote: `${rinfo.address}:${rinfo.port}` }, 'session opened')
    return session
  }

  #send(socket: Socket, data: Buffer, to?: RemoteInfo): void {
    const done = (err: Error | null) => {
      if (err) this.counters.dropped++
      else this.counters.sent++
    }
    try {
      if (to) socket.send(data, to.port, to.address, done)
      else socket.send(data, done)
    } catch {
      this.counters.dropped++ // the socket closed meanwhile
    }
  }

  #relay(stream: Stream, msg: Buffer, send: (data: Buffer) => void): void {
    const now = performance.now()
    let datagrams: Datagram[] = [{ data: msg, delayMs: 0 }]
    for (const t of this.#opts.toxics()) {
      if (t.stream !== stream) continue
      const run = this.#runs.get(t.name)?.run
      if (!run) continue
      datagrams = datagrams.flatMap((d) => (this.#opts.rng() < t.toxicity ? run.apply(d, now) : [d]))
    }
    if (datagrams.length === 0) this.counters.dropped++
    for (const d of datagrams) {
      if (d.delayMs <= 0) send(d.data)
      else if (this.#timers.size >= this.#opts.maxQueue) this.counters.queueFull++
      else {
        const timer = setTimeout(() => {
          this.#timers.delete(timer)
          send(d.data)
        }, d.delayMs)
        this.#timers.add(timer)
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
    try {
      s.socket.close()
    } catch {
      // already closed
    }
  }
}
