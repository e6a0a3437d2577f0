/**
 * ToxicSet is one proxy's toxics, in the order they were added (the order data passes
 * them), with toxiproxy's JSON fields and defaults: `name` defaults to `<type>_<stream>`,
 * `stream` to downstream, `toxicity` to 1. Every change bumps the toxic's `version` and
 * calls `onChange`, so the proxy applies it to live connections and sessions at once.
 */
import { z } from 'zod'
import { badRequest, FaultsError, toxicExists, toxicNotFound } from './errors.ts'
import { findToxic, toxicTypes } from './toxics/registry.ts'
import type { Protocol, Stream, ToxicDef, ToxicLimits } from './toxics/toxic.ts'

/** Toxic is one configured toxic; a new object (and version) on every update. */
export interface Toxic {
  readonly name: string
  readonly type: string
  readonly stream: Stream
  readonly toxicity: number
  readonly attributes: Readonly<Record<string, number>>
  readonly def: ToxicDef
  readonly version: number
}

/** ToxicJson is a toxic as the API shows it (toxiproxy's fields). */
export interface ToxicJson {
  readonly name: string
  readonly type: string
  readonly stream: Stream
  readonly toxicity: number
  readonly attributes: Readonly<Record<string, number>>
}

/** nameSchema is what a proxy or toxic name may be (toxiproxy takes any; netlab keeps them URL- and log-safe). */
export const nameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'only letters, digits, _ . -')

const createSchema = z
  .object({
    name: nameSchema.optional(),
    type: z.string().min(1).max(64),
    stream: z.enum(['upstream', 'downstream']).default('downstream'),
    toxicity: z.number().min(0).max(1).default(1),
    attributes: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()

const updateSchema = z
  .object({
    name: z.string().optional(),
    type: z.string().optional(),
    stream: z.enum(['upstream', 'downstream']).optional(),
    toxicity: z.number().min(0).max(1).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()

/** describeIssues turns zod's issues into one line: `toxicity: Too big: expected number to be <=1`. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.')
      return path === '' ? i.message : `${path}: ${i.message}`
    })
    .join('; ')
}

/** parseBody validates `body` against `schema` or throws 400 naming every problem. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, prefix = ''): T {
  const r = schema.safeParse(body ?? {})
  if (!r.success) throw badRequest(describeIssues(r.error, prefix))
  return r.data
}

let versions = 0

export class ToxicSet {
  readonly protocol: Protocol
  readonly #limits: ToxicLimits & { readonly maxToxics: number }
  readonly #onChange: () => void
  #toxics: readonly Toxic[] = []

  constructor(protocol: Protocol, limits: ToxicLimits & { maxToxics: number }, onChange: () => void) {
    this.protocol = protocol
    this.#limits = limits
    this.#onChange = onChange
  }

  /** all toxics in order */
  list(): readonly Toxic[] {
    return this.#toxics
  }

  /** the toxics on one stream, in order */
  forStream(stream: Stream): readonly Toxic[] {
    return this.#toxics.filter((t) => t.stream === stream)
  }

  get(name: string): Toxic {
    const t = this.#toxics.find((x) => x.name === name)
    if (!t) throw toxicNotFound()
    return t
  }

  /** add validates a toxiproxy toxic body and appends it: 400, 409 as toxiproxy */
  add(body: unknown): Toxic {
    const b = parseBody(createSchema, body)
    const def = this.#def(b.type)
    const name = b.name ?? `${b.type}_${b.stream}`
    if (this.#toxics.some((t) => t.name === name)) throw toxicExists()
    if (this.#toxics.length >= this.#limits.maxToxics)
      throw new FaultsError(
        'LIMIT_REACHED',
        `a proxy has at most ${this.#limits.maxToxics} toxics (FAULTS_MAX_TOXICS)`,
      )
    const toxic = this.#build(name, b.type, b.stream, b.toxicity, b.attributes, def)
    this.#commit([...this.#toxics, toxic], toxic)
    return toxic
  }

  /** update changes toxicity and attributes (merged over the current ones); type and stream stay */
  update(name: string, body: unknown): Toxic {
    const old = this.get(name)
    const b = parseBody(updateSchema, body)
    if (b.type !== undefined && b.type !== old.type)
      throw badRequest('a toxic keeps its type; remove it and add another')
    if (b.stream !== undefined && b.stream !== old.stream)
      throw badRequest('a toxic keeps its stream; remove it and add another')
    const toxic = this.#build(
      name,
      old.type,
      old.stream,
      b.toxicity ?? old.toxicity,
      { ...old.attributes, ...b.attributes },
      old.def,
    )
    this.#commit(
      this.#toxics.map((t) => (t.name === name ? toxic : t)),
      toxic,
    )
    return toxic
  }

  /** fanout is the most datagrams one datagram becomes on `stream`: the product of its toxics' fan-outs */
  fanout(stream: Stream, toxics: readonly Toxic[] = this.#toxics): number {
    return toxics.reduce(
      (n, t) => (t.stream === stream && t.def.fanout ? n * t.def.fanout(t.attributes) : n),
      1,
    )
  }

  /** commit installs a new list, unless it would pass FAULTS_MAX_UDP_FANOUT (400 FANOUT_LIMIT) */
  #commit(next: readonly Toxic[], changed: Toxic): void {
    const fanout = this.fanout(changed.stream, next)
    const max = this.#limits.maxUdpFanout
    if (this.protocol === 'udp' && fanout > max) {
      const factors = next.filter((t) => t.stream === changed.stream && t.def.fanout)
      throw new FaultsError(
        'FANOUT_LIMIT',
        `toxic ${changed.name} would make one ${changed.stream} datagram ${fanout} datagrams (${factors.map((t) => `${t.name} ×${t.def.fanout?.(t.attributes)}`).join(', ')}); at most ${max} (FAULTS_MAX_UDP_FANOUT)`,
      )
    }
    this.#toxics = next
    this.#onChange()
  }

  remove(name: string): void {
    this.get(name)
    this.#toxics = this.#toxics.filter((t) => t.name !== name)
    this.#onChange()
  }

  /** clear drops every toxic (POST /reset) */
  clear(): void {
    if (this.#toxics.length === 0) return
    this.#toxics = []
    this.#onChange()
  }

  #def(type: string): ToxicDef {
    const def = findToxic(type, this.protocol)
    if (!def)
      throw new FaultsError(
        'INVALID_TOXIC_TYPE',
        `invalid toxic type ${JSON.stringify(type)} for a ${this.protocol} proxy; valid types: ${toxicTypes(this.protocol).join(', ')}`,
      )
    return def
  }

  #build(
    name: string,
    type: string,
    stream: Stream,
    toxicity: number,
    attributes: Record<string, unknown>,
    def: ToxicDef,
  ): Toxic {
    const attrs = parseBody(def.attributes(this.#limits), attributes, 'attributes')
    return { name, type, stream, toxicity, attributes: attrs, def, version: ++versions }
  }
}

/** toxicJson is the API form of a toxic. */
export function toxicJson(t: Toxic): ToxicJson {
  return { name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity, attributes: t.attributes }
}
