/**
 * Configuration from environment variables. Each service declares its variables once,
 * as a table of VarSpecs (name, documentation, default, bounds); `loadConfig` parses them
 * with zod and reports every bad variable at once, by name and value, as a ConfigError.
 * The environment is a parameter: tests pass plain objects and never touch process.env.
 */
import { availableParallelism } from 'node:os'
import { z } from 'zod'
import { cgroupMemoryLimitBytes } from './cgroup.ts'
import { ConfigError } from './errors.ts'
import { MAX_BUDGET_BYTES } from './memory-budget.ts'

/** Env is the shape of process.env, injected so that tests can pass a plain object. */
export type Env = Readonly<Record<string, string | undefined>>

/** VarSpec describes one environment variable: how to parse it, and what to print in docs. */
export interface VarSpec<T> {
  readonly name: string
  readonly doc: string
  readonly defaultText: string
  readonly expected: string
  readonly schema: z.ZodType<T>
  readonly secret?: boolean
}

const integer = /^[+-]?\d+$/

/** intVar is an integer variable within [min, max]; `unit` is shown in docs (ms, bytes, ...). */
export function intVar(
  name: string,
  doc: string,
  opts: { default: number; min: number; max: number; unit?: string },
): VarSpec<number> {
  const expected = `an integer from ${opts.min} to ${opts.max}${opts.unit ? ` (${opts.unit})` : ''}`
  const schema = z
    .string()
    .trim()
    .regex(integer)
    .transform(Number)
    .pipe(z.number().int().min(opts.min).max(opts.max))
    .default(opts.default)
  return { name, doc, expected, schema, defaultText: String(opts.default) }
}

/** portVar is a TCP/UDP port number (0 lets the OS choose, which tests use). */
export function portVar(name: string, doc: string, def: number): VarSpec<number> {
  return intVar(name, doc, { default: def, min: 0, max: 65535 })
}

/** DEFAULT_MAX_WORKERS caps the default thread count, so memory stays within the containers' limit on big hosts. */
export const DEFAULT_MAX_WORKERS = 8

/**
 * defaultWorkers is the worker-thread count a service starts with when its *_WORKERS is unset:
 * one per CPU this process may use, less one (at least 1, at most DEFAULT_MAX_WORKERS). The
 * spare core is for the pool's main thread, the kernel's network processing and, on a lab
 * machine, the clients. Measured with `make bench` on 2 cores (docs/bench.md, Threads): one
 * TCP worker served 1.4 to 1.5x the round trips of two, and one HTTP worker about the same
 * as two, with the load generator on the same cores.
 */
export function defaultWorkers(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, DEFAULT_MAX_WORKERS))
}

/** workersVar is a thread count defaulting to defaultWorkers(): the CPU count less one, 1 to 8. */
export function workersVar(name: string, doc: string): VarSpec<number> {
  const spec = intVar(name, doc, { default: defaultWorkers(), min: 1, max: 256 })
  return { ...spec, defaultText: `CPU count - 1, at least 1, at most ${DEFAULT_MAX_WORKERS}` }
}

const MiB = 1024 * 1024
/** Without a cgroup limit, the budget a container under the lab's 512 MiB limit would get. */
const UNLIMITED_BUDGET_BYTES = 192 * MiB

/**
 * defaultMemoryBudgetBytes is 3/8 of the container's memory limit (192 MiB under the lab's
 * 512 MiB), leaving the rest for the runtime, its heap growth and the kernel's socket buffers;
 * 192 MiB when there is no limit.
 */
export function defaultMemoryBudgetBytes(limitBytes = cgroupMemoryLimitBytes()): number {
  if (limitBytes === undefined) return UNLIMITED_BUDGET_BYTES
  return Math.max(16 * MiB, Math.floor((limitBytes * 3) / 8))
}

/**
 * memoryBudgetVar is a service's `<SERVICE>_MEMORY_BUDGET_BYTES`: the bytes it may hold for work
 * in flight over every connection and thread (lib/memory-budget.ts).
 */
export function memoryBudgetVar(name: string, doc: string): VarSpec<number> {
  const spec = intVar(name, doc, {
    default: defaultMemoryBudgetBytes(),
    min: 1 * MiB,
    max: MAX_BUDGET_BYTES,
    unit: 'bytes',
  })
  return { ...spec, defaultText: "3/8 of the container's memory limit (192 MiB under 512 MiB)" }
}

/** enumVar is one of a fixed set of words. */
export function enumVar<const T extends readonly [string, ...string[]]>(
  name: string,
  doc: string,
  values: T,
  def: T[number],
): VarSpec<T[number]> {
  const schema = z.enum(values).default(def) as unknown as z.ZodType<T[number]>
  return { name, doc, expected: `one of ${values.join(', ')}`, schema, defaultText: def }
}

/** stringVar is free text, non-empty when set. `secret` keeps the value out of logs and errors. */
export function stringVar(
  name: string,
  doc: string,
  opts: { default: string; secret?: boolean },
): VarSpec<string> {
  const schema = z.string().min(1).default(opts.default)
  return {
    name,
    doc,
    expected: 'a non-empty string',
    schema,
    defaultText: opts.default === '' ? '(none)' : opts.default,
    ...(opts.secret ? { secret: true } : {}),
  }
}

/** hostVar is an address to bind or connect to. */
export function hostVar(name: string, doc: string, def: string): VarSpec<string> {
  return stringVar(name, doc, { default: def })
}

/** shutdownGraceVar is SHUTDOWN_GRACE_MS, which every service has; `doc` says what it waits for. */
export function shutdownGraceVar(doc: string, defaultMs: number): VarSpec<number> {
  return intVar('SHUTDOWN_GRACE_MS', doc, { default: defaultMs, min: 0, max: 600_000, unit: 'ms' })
}

/** The log level variable every service shares. */
export const logLevelVar = enumVar(
  'LOG_LEVEL',
  'pino log level',
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  'info',
)

type Specs = Readonly<Record<string, VarSpec<unknown>>>
/** ConfigOf is the typed, frozen configuration a table of VarSpecs produces. */
export type ConfigOf<S extends Specs> = { readonly [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never }

/**
 * loadConfig parses `env` against `specs`. An unset or empty variable takes its default.
 * Throws ConfigError listing every problem, e.g. `TCP_WORKERS="abc": expected an integer from 1 to 256`.
 */
export function loadConfig<S extends Specs>(specs: S, env: Env): ConfigOf<S> {
  const out: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [key, spec] of Object.entries(specs)) {
    const raw = env[spec.name]
    const result = spec.schema.safeParse(raw === '' ? undefined : raw)
    if (result.success) out[key] = result.data
    else
      problems.push(
        `${spec.name}=${spec.secret ? '(hidden)' : JSON.stringify(raw)}: expected ${spec.expected}`,
      )
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(out) as ConfigOf<S>
}

/** describeConfig lists the variables as the rows of each docs/<service>.md configuration table: name, default, expected, doc. */
export function describeConfig(specs: Specs): string[][] {
  return Object.values(specs).map((s) => [s.name, s.defaultText, s.expected, s.doc])
}
