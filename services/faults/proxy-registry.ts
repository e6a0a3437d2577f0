/**
 * ProxyRegistry holds the proxies by name (toxiproxy's ProxyCollection): create, get,
 * update, delete, populate (idempotent bulk upsert) and reset. Bodies are validated
 * here, so the API, the FAULTS_CONFIG file and tests share one set of rules.
 */
import { z } from 'zod'
import type { Logger } from '../../lib/log.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { formatHostPort, parseHostPort } from './address.ts'
import { FaultsError, proxyExists, proxyNotFound } from './errors.ts'
import { FaultProxy, type ProxyJson, type ProxyLimits } from './proxy.ts'
import { nameSchema, parseBody } from './toxic-set.ts'
import type { Rng } from './toxics/toxic.ts'

const createSchema = z
  .object({
    name: nameSchema,
    listen: z.string().max(300).default('0.0.0.0:0'),
    upstream: z.string().max(300),
    enabled: z.boolean().default(true),
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    // toxiproxy ignores this field on create; netlab adds the toxics, so a proxy can start faulty
    toxics: z.array(z.unknown()).max(256).default([]),
  })
  .strict()

const updateSchema = z
  .object({
    name: z.string().optional(),
    listen: z.string().max(300).optional(),
    upstream: z.string().max(300).optional(),
    enabled: z.boolean().optional(),
    protocol: z.enum(['tcp', 'udp']).optional(),
    toxics: z.array(z.unknown()).optional(),
  })
  .strict()

/** field names a body field for errors: `[2].upstream` inside a populate list. */
function field(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`
}

/** RegistryOptions are the limits and the randomness every proxy gets. */
export interface RegistryOptions extends ProxyLimits {
  readonly maxProxies: number
  readonly rng: Rng
  readonly log: Logger
}

export class ProxyRegistry {
  readonly #proxies = new Map<string, FaultProxy>()
  readonly #opts: RegistryOptions

  constructor(opts: RegistryOptions) {
    this.#opts = opts
  }

  list(): readonly FaultProxy[] {
    return [...this.#proxies.values()]
  }

  get(name: string): FaultProxy {
    const p = this.#proxies.get(name)
    if (!p) throw proxyNotFound()
    return p
  }

  /** create validates a toxiproxy proxy body, starts it if enabled: 400, 409, 500 as toxiproxy */
  async create(body: unknown, prefix = ''): Promise<FaultProxy> {
    const b = parseBody(createSchema, body, prefix)
    if (this.#proxies.has(b.name)) throw proxyExists()
    this.#checkRoom()
    const proxy = new FaultProxy({
      name: b.name,
      protocol: b.protocol,
      listen: parseHostPort(b.listen, field(prefix, 'listen'), true),
      upstream: parseHostPort(b.upstream, field(prefix, 'upstream'), false),
      limits: this.#opts,
      rng: this.#opts.rng,
      log: this.#opts.log,
    })
    for (const toxic of b.toxics) proxy.toxics.add(toxic)
    if (b.enabled) await proxy.start()
    this.#proxies.set(b.name, proxy)
    this.#opts.log.info({ proxy: b.name, ...proxy.toJSON(), toxics: undefined }, 'proxy created')
    return proxy
  }

  /** update applies POST/PATCH /proxies/{name}: listen, upstream, enabled */
  async update(name: string, body: unknown): Promise<FaultProxy> {
    const proxy = this.get(name)
    const b = parseBody(updateSchema, body)
    if (b.name !== undefined && b.name !== name)
      throw new FaultsError('BAD_REQUEST', 'a proxy keeps its name')
    if (b.protocol !== undefined && b.protocol !== proxy.protocol)
      throw new FaultsError('BAD_REQUEST', 'a proxy keeps its protocol; delete it and create another')
    await proxy.update({
      ...(b.listen !== undefined ? { listen: parseHostPort(b.listen, 'listen', true) } : {}),
      ...(b.upstream !== undefined ? { upstream: parseHostPort(b.upstream, 'upstream', false) } : {}),
      ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
    })
    this.#opts.log.info({ proxy: name, enabled: proxy.enabled }, 'proxy updated')
    return proxy
  }

  async remove(name: string): Promise<void> {
    const proxy = this.get(name)
    this.#proxies.delete(name)
    await proxy.stop()
    this.#opts.log.info({ proxy: name }, 'proxy deleted')
  }

  /**
   * populate creates the proxies that do not exist and replaces those whose listen,
   * upstream or protocol differ (toxiproxy's PopulateJson); it stops at the first bad one,
   * reporting the proxies handled so far as `done`.
   */
  async populate(body: unknown, done: FaultProxy[] = []): Promise<FaultProxy[]> {
    const list = Array.isArray(body)
      ? body
      : body !== null && typeof body === 'object' && Array.isArray((body as { proxies?: unknown }).proxies)
        ? (body as { proxies: unknown[] }).proxies
        : undefined
    if (!list) throw new FaultsError('BAD_REQUEST', 'expected a JSON array of proxies')
    for (const [i, item] of list.entries()) {
      const prefix = `[${i}]`
      const b = parseBody(createSchema, item, prefix)
      const listen = parseHostPort(b.listen, field(prefix, 'listen'), true)
      const upstream = parseHostPort(b.upstream, field(prefix, 'upstream'), false)
      const existing = this.#proxies.get(b.name)
      if (existing) {
        const j = existing.toJSON()
        const same =
          j.protocol === b.protocol &&
          j.upstream === formatHostPort(upstream) &&
          (listen.port === 0 || j.listen === formatHostPort(listen))
        if (same) {
          await existing.update({ enabled: b.enabled })
          done.push(existing)
          continue
        }
        await this.remove(b.name)
      }
      done.push(await this.create(item, prefix))
    }
    return done
  }

  /** reset enables every proxy and removes every toxic (POST /reset) */
  async reset(): Promise<void> {
    for (const p of this.#proxies.values()) {
      p.toxics.clear()
      await p.start()
    }
    this.#opts.log.info({ proxies: this.#proxies.size }, 'reset')
  }

  /** closeAll stops every proxy, giving connections `graceMs` (SIGTERM) */
  async closeAll(graceMs: number): Promise<CloseSummary> {
    const summaries = await Promise.all(this.list().map((p) => p.stop(graceMs)))
    return {
      drained: summaries.reduce((n, s) => n + s.drained, 0),
      destroyed: summaries.reduce((n, s) => n + s.destroyed, 0),
    }
  }

  #checkRoom(): void {
    if (this.#proxies.size >= this.#opts.maxProxies)
      throw new FaultsError('LIMIT_REACHED', `at most ${this.#opts.maxProxies} proxies (FAULTS_MAX_PROXIES)`)
  }

  /** json is GET /proxies: a map from name to proxy */
  json(): Record<string, ProxyJson> {
    return Object.fromEntries(this.list().map((p) => [p.name, p.toJSON()]))
  }
}
