/**
 * ProxyRegistry holds the proxies by name (toxiproxy's ProxyCollection): create, get,
 * update, delete, populate (idempotent bulk upsert) and reset. Bodies are validated
 * here, and every upstream is checked against the upstream policy, so the API, the
 * FAULTS_CONFIG file and tests share one set of rules.
 *
 * Changes run one at a time (a queue): two concurrent creates of one name make one proxy
 * and one 409, and the proxy cap counts every proxy that a queued change has started.
 * Upstream checks (which may wait on DNS) run before a create or update joins the queue.
 */
import { z } from 'zod'
import type { BudgetSnapshot } from '../../lib/memory-budget.ts'
import type { CloseSummary } from '../../lib/service.ts'
import { formatHostPort, type HostPort, parseHostPort } from './address.ts'
import { FaultsError, proxyExists, proxyNotFound } from './errors.ts'
import { FaultProxy, type ProxyContext, type ProxyJson, type ProxyStats } from './proxy.ts'
import { nameSchema, parseBody } from './toxic-set.ts'

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

/** RegistryOptions are what every proxy shares, and the proxy cap. */
export interface RegistryOptions extends ProxyContext {
  readonly maxProxies: number
}

/** ResetFailure names a proxy that POST /reset could not start again, and why. */
export interface ResetFailure {
  readonly name: string
  readonly code: string
  readonly error: string
}

type CreateSpec = z.infer<typeof createSchema> & {
  readonly listenAt: HostPort
  readonly upstreamAt: HostPort
}

export class ProxyRegistry {
  readonly #proxies = new Map<string, FaultProxy>()
  readonly #opts: RegistryOptions
  /** the tail of the queue of changes */
  #queue: Promise<unknown> = Promise.resolve()

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
    const spec = await this.#parseCreate(body, prefix)
    return this.#exclusive(() => this.#create(spec))
  }

  /** update applies POST/PATCH /proxies/{name}: listen, upstream, enabled */
  async update(name: string, body: unknown): Promise<FaultProxy> {
    this.get(name)
    const b = parseBody(updateSchema, body)
    const listen = b.listen !== undefined ? parseHostPort(b.listen, 'listen', true) : undefined
    const upstream = b.upstream !== undefined ? parseHostPort(b.upstream, 'upstream', false) : undefined
    if (upstream) await this.#opts.policy.check(upstream)
    return this.#exclusive(async () => {
      const proxy = this.get(name)
      if (b.name !== undefined && b.name !== name)
        throw new FaultsError('BAD_REQUEST', 'a proxy keeps its name')
      if (b.protocol !== undefined && b.protocol !== proxy.protocol)
        throw new FaultsError('BAD_REQUEST', 'a proxy keeps its protocol; delete it and create another')
      await proxy.update({
        ...(listen ? { listen } : {}),
        ...(upstream ? { upstream } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      })
      this.#opts.log.info({ proxy: name, enabled: proxy.enabled }, 'proxy updated')
      return proxy
    })
  }

  async remove(name: string): Promise<void> {
    this.get(name)
    await this.#exclusive(() => this.#remove(name))
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
    // every item is validated and its upstream checked at once (names resolve in parallel);
    // the items before the first bad one are then applied in order, and its error thrown
    const checked = await Promise.allSettled(list.map((item, i) => this.#parseCreate(item, `[${i}]`)))
    return this.#exclusive(async () => {
      for (const result of checked) {
        if (result.status === 'rejected') throw result.reason
        const spec = result.value
        const existing = this.#proxies.get(spec.name)
        if (existing) {
          const j = existing.toJSON()
          const same =
            j.protocol === spec.protocol &&
            j.upstream === formatHostPort(spec.upstreamAt) &&
            (spec.listenAt.port === 0 || j.listen === formatHostPort(spec.listenAt))
          if (same) {
            await existing.update({ enabled: spec.enabled })
            done.push(existing)
            continue
          }
          await this.#remove(spec.name)
        }
        done.push(await this.#create(spec))
      }
      return done
    })
  }

  /**
   * reset enables every proxy and removes every toxic (POST /reset). A proxy that cannot
   * start again does not stop the others: each is logged and returned.
   */
  async reset(): Promise<ResetFailure[]> {
    return this.#exclusive(async () => {
      const failed: ResetFailure[] = []
      for (const p of this.#proxies.values()) {
        p.toxics.clear()
        try {
          await p.start()
        } catch (err) {
          if (!(err instanceof FaultsError)) throw err
          failed.push({ name: p.name, code: err.code, error: err.message })
          this.#opts.log.warn({ proxy: p.name, code: err.code, err: err.message }, 'proxy not started')
        }
      }
      this.#opts.log.info({ proxies: this.#proxies.size, failed: failed.length }, 'reset')
      return failed
    })
  }

  /** closeAll stops every proxy, giving connections `graceMs` (SIGTERM), after any change under way */
  async closeAll(graceMs: number): Promise<CloseSummary> {
    return this.#exclusive(async () => {
      const summaries = await Promise.all(this.list().map((p) => p.stop(graceMs)))
      return {
        drained: summaries.reduce((n, s) => n + s.drained, 0),
        destroyed: summaries.reduce((n, s) => n + s.destroyed, 0),
      }
    })
  }

  /** json is GET /proxies: a map from name to proxy */
  json(): Record<string, ProxyJson> {
    return Object.fromEntries(this.list().map((p) => [p.name, p.toJSON()]))
  }

  /** stats is the memory budget and every proxy's live figures, by name (GET /stats) */
  stats(): { memory: BudgetSnapshot; proxies: Record<string, ProxyStats> } {
    return {
      memory: this.#opts.budget.snapshot(),
      proxies: Object.fromEntries(this.list().map((p) => [p.name, p.stats()])),
    }
  }

  /** exclusive runs `change` once every change queued before it has finished */
  #exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(change)
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** parseCreate validates a create body and checks its upstream (no proxy state is read) */
  async #parseCreate(body: unknown, prefix: string): Promise<CreateSpec> {
    const b = parseBody(createSchema, body, prefix)
    const listenAt = parseHostPort(b.listen, field(prefix, 'listen'), true)
    const upstreamAt = parseHostPort(b.upstream, field(prefix, 'upstream'), false)
    await this.#opts.policy.check(upstreamAt, field(prefix, 'upstream'))
    return { ...b, listenAt, upstreamAt }
  }

  async #create(spec: CreateSpec): Promise<FaultProxy> {
    if (this.#proxies.has(spec.name)) throw proxyExists()
    if (this.#proxies.size >= this.#opts.maxProxies)
      throw new FaultsError('LIMIT_REACHED', `at most ${this.#opts.maxProxies} proxies (FAULTS_MAX_PROXIES)`)
    const proxy = new FaultProxy(
      { name: spec.name, protocol: spec.protocol, listen: spec.listenAt, upstream: spec.upstreamAt },
      this.#opts,
    )
    for (const toxic of spec.toxics) proxy.toxics.add(toxic)
    if (spec.enabled) await proxy.start()
    this.#proxies.set(spec.name, proxy)
    this.#opts.log.info({ proxy: spec.name, ...proxy.toJSON(), toxics: undefined }, 'proxy created')
    return proxy
  }

  async #remove(name: string): Promise<void> {
    const proxy = this.get(name)
    this.#proxies.delete(name)
    await proxy.stop()
    this.#opts.log.info({ proxy: name }, 'proxy deleted')
  }
}
