/**
 * The fuzz budget: how many inputs each property tries, and the record of it.
 *
 *   FUZZ_RUNS     inputs per property (default 200, so `make test-unit` stays quick);
 *                 a property may scale it (a slow one takes a fraction)
 *   FUZZ_SEED     replay a failure: fast-check prints the seed and path of a counterexample
 *   FUZZ_REPORT   when set, a file to which every finished property appends one JSON line
 *                 `{"parser":"pickle","property":"...","runs":200}` (`make fuzz` sums them)
 */
import { appendFileSync } from 'node:fs'
import fc from 'fast-check'

const DEFAULT_RUNS = 200

function envInt(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  if (!/^\d{1,9}$/.test(raw))
    throw new Error(`${name}=${JSON.stringify(raw)}: expected a non-negative integer`)
  return Number(raw)
}

/** fuzzRuns is FUZZ_RUNS times `scale`, at least 1. */
export function fuzzRuns(scale = 1): number {
  return Math.max(1, Math.round((envInt('FUZZ_RUNS') ?? DEFAULT_RUNS) * scale))
}

/** fuzzSeed is FUZZ_SEED: fast-check's seeds are 32-bit signed integers, as it prints them. */
export function fuzzSeed(): number | undefined {
  const raw = process.env.FUZZ_SEED
  if (raw === undefined || raw === '') return undefined
  const seed = Number(raw)
  if (!/^-?\d{1,10}$/.test(raw) || seed < -(2 ** 31) || seed >= 2 ** 31)
    throw new Error(`FUZZ_SEED=${JSON.stringify(raw)}: expected a 32-bit integer, as fast-check prints it`)
  return seed
}

function parameters(scale: number): fc.Parameters<unknown> {
  const seed = fuzzSeed()
  return { numRuns: fuzzRuns(scale), ...(seed === undefined ? {} : { seed }) }
}

function record(parser: string, property: string, runs: number): void {
  const file = process.env.FUZZ_REPORT
  if (file) appendFileSync(file, `${JSON.stringify({ parser, property, runs })}\n`)
}

/** check runs a synchronous property under the budget and records the inputs it tried. */
export function check<Ts>(parser: string, name: string, property: fc.IProperty<Ts>, scale = 1): void {
  const params = parameters(scale) as fc.Parameters<Ts>
  fc.assert(property, params)
  record(parser, name, params.numRuns as number)
}

/** checkAsync runs an asynchronous property under the budget and records the inputs it tried. */
export async function checkAsync<Ts>(
  parser: string,
  name: string,
  property: fc.IAsyncProperty<Ts>,
  scale = 1,
): Promise<void> {
  const params = parameters(scale) as fc.Parameters<Ts>
  await fc.assert(property, params)
  record(parser, name, params.numRuns as number)
}
