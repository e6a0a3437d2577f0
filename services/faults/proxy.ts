/**
 * FaultProxy is one named proxy as the API sees it (toxiproxy's fields plus netlab's
 * `protocol`), and its running listener when enabled. Disabling closes the listener and
 * every connection or session; enabling binds the same address again (the port first
 * bound, when `listen` asked for port 0). Changing listen or upstream restarts it.
 */
import { isErrnoException } from '../../lib/errors.ts'
import type { Logger } from '../../lib/log.ts'
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { formatHostPort, type HostPort } from './address.ts'
import { FaultsError } from './errors.ts'
import { type TcpCounters, TcpProxy } from './tcp-proxy.ts'
import { type ToxicJson, ToxicSet, toxicJson } from './toxic-set.ts'
import type { Protocol, Rng } from './toxics/toxic.ts'
import { type UdpCounters, UdpProxy } from './udp-proxy.ts'
import type { UpstreamPolicy } from './upstream-policy.ts'

/** ProxyLimits are the configured bounds every proxy runs with. */
export interface ProxyLimits {
  readonly maxToxics: number
  readonly maxDelayMs: number
  readonly maxConnections: number
  readonly maxBufferedBytes: number
  readonly maxUdpSessions: number
  readonly udpSessionIdleMs: number
  readonly maxUdpQueue: number
  readonly maxUdpFanout: number
  readonly tcpConnectTimeoutMs: number
  readonly tcpIdleTimeoutMs: number
}

/** ProxyStats is a running proxy's live figures (GET /stats). */
export interface ProxyStats {
  readonly protocol: Protocol
  readonly enabled: boolean
  /** open TCP connections or UDP sessions */
  readonly clients: number
  readonly counters: TcpCounters | UdpCounters | undefined
}

/** ProxyContext is what every proxy shares: limits, budget, upstream policy, randomness, log. */
export interface ProxyContext {
  readonly limits: ProxyLimits
  readonly budget: MemoryBudget
  readonly policy: UpstreamPolicy
  readonly rng: Rng
  readonly log: Logger
}

/** ProxyJson is a proxy as the API shows it. */
export interface ProxyJson {
  readonly name: string
  readonly listen: string
  readonly upstream: string
  readonly enabled: boolean
  readonly protocol: Protocol
  readonly toxics: readonly ToxicJson[]
}

export class FaultProxy {
  readonly name: string
  readonly protocol: Protocol
  readonly toxics: ToxicSet
  #listen: HostPort
  #upstream: string
  #upstreamAddress: HostPort
  #enabled = false
  #running: TcpProxy | UdpProxy | undefined
  readonly #context: ProxyContext
  readonly #log: Logger

  constructor(
    opts: { name: string; protocol: Protocol; listen: HostPort; upstream: HostPort },
    context: ProxyContext,
  ) {
    this.name = opts.name
    this.protocol = opts.protocol
    this.#listen = opts.listen
    this.#upstreamAddress = opts.upstream
    this.#upstream = formatHostPort(opts.upstream)
    this.#context = context
    this.#log = context.log.child({ proxy: opts.name, proto: opts.protocol })
    this.toxics = new ToxicSet(opts.protocol, context.limits, () => this.#running?.toxicsChanged())
  }

  get enabled(): boolean {
    return this.#enabled
  }

  /** the live connections (TCP) or sessions (UDP) */
  get clients(): number {
    const r = this.#running
    return r === undefined ? 0 : r instanceof TcpProxy ? r.connections : r.sessions
  }

  /** the UDP relay, for its counters (undefined for TCP or while disabled) */
  get udp(): UdpProxy | undefined {
    return this.#running instanceof UdpProxy ? this.#running : undefined
  }

  /** stats is what GET /stats shows of this proxy; counters start afresh each time it starts */
  stats(): ProxyStats {
    return {
      protocol: this.protocol,
      enabled: this.#enabled,
      clients: this.clients,
      counters: this.#running ? { ...this.#running.counters } : undefined,
    }
  }

  /** start binds the listener (no-op when running); LISTEN_FAILED names the reason */
  async start(): Promise<void> {
    if (this.#running) return
    const { limits: l, budget, policy, rng } = this.#context
    const common = {
      upstream: this.#upstreamAddress,
      toxics: () => this.toxics.list(),
      budget,
      resolve: (host: string) => policy.resolve(host),
      rng,
      log: this.#log,
    }
    const running =
      this.protocol === 'tcp'
        ? new TcpProxy({
            ...common,
            // its connections' lines carry `proto: proxy` (lib/net's ConnectionSet), not the listener's
            log: this.#context.log.child({ proxy: this.name }),
            maxConnections: l.maxConnections,
            maxBufferedBytes: l.maxBufferedBytes,
            connectTimeoutMs: l.tcpConnectTimeoutMs,
            idleTimeoutMs: l.tcpIdleTimeoutMs,
          })
        : new UdpProxy({
            ...common,
            maxSessions: l.maxUdpSessions,
            sessionIdleMs: l.udpSessionIdleMs,
            maxQueue: l.maxUdpQueue,
            maxFanout: l.maxUdpFanout,
          })
    try {
      const port = await running.listen(this.#listen)
      this.#listen = { host: this.#listen.host, port }
    } catch (err) {
      await running.close(0).catch(() => undefined)
      const reason = isErrnoException(err) ? err.code : String(err)
      throw new FaultsError(
        'LISTEN_FAILED',
        `proxy ${this.name} cannot listen on ${formatHostPort(this.#listen)}: ${reason}`,
        {
          cause: err,
        },
      )
    }
    this.#running = running
    this.#enabled = true
    this.#log.info({ listen: formatHostPort(this.#listen), upstream: this.#upstream }, 'proxy started')
  }

  /** stop closes the listener; connections get `graceMs` (0 for a disable: at once) */
  async stop(graceMs = 0): Promise<CloseSummary> {
    const running = this.#running
    this.#running = undefined
    this.#enabled = false
    if (!running) return { drained: 0, destroyed: 0 }
    const summary = await running.close(graceMs)
    this.#log.info(summary, 'proxy stopped')
    return summary
  }

  /** update applies a POST/PATCH body's listen, upstream and enabled (restarting if needed) */
  async update(change: { listen?: HostPort; upstream?: HostPort; enabled?: boolean }): Promise<void> {
    const moved =
      (change.listen !== undefined && formatHostPort(change.listen) !== formatHostPort(this.#listen)) ||
      (change.upstream !== undefined && formatHostPort(change.upstream) !== this.#upstream)
    const enable = change.enabled ?? this.#enabled
    if (moved || !enable) await this.stop()
    if (change.listen) this.#listen = change.listen
    if (change.upstream) {
      this.#upstreamAddress = change.upstream
      this.#upstream = formatHostPort(change.upstream)
    }
    if (enable) await this.start()
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: formatHostPort(this.#listen),
      upstream: this.#upstream,
      enabled: this.#enabled,
      protocol: this.protocol,
      toxics: this.toxics.list().map(toxicJson),
    }
  }
}
