/**
 * A bounded, paced load: every check runs in its own loop, one request at a time, at most
 * `ratePerCheck` requests per second, until `durationMs` has passed or `signal` aborts, and
 * never more than `maxRequestsPerCheck` requests. Each outcome is counted (ok, wrong, failed)
 * and handed to `onOutcome`, so the crash test can watch failures start and stop.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { type Check, WrongAnswer } from './checks.ts'

/** Outcome is how one request ended. */
export interface Outcome {
  readonly check: string
  /** ms since the load started */
  readonly atMs: number
  readonly latencyMs: number
  readonly kind: 'ok' | 'wrong' | 'failed'
  /** the error's message for wrong and failed requests */
  readonly message?: string
  /** the LabError code of a failed request (TIMEOUT, CONNECT_FAILED, NO_REPLY, ...) */
  readonly code?: string
}

/** CheckTotals is one check's tally. */
export interface CheckTotals {
  readonly check: string
  readonly service: string
  ok: number
  wrong: number
  failed: number
  maxLatencyMs: number
  totalLatencyMs: number
  /** the first few wrong or failed outcomes, for the report */
  readonly samples: string[]
}

export interface LoadOptions {
  readonly durationMs: number
  readonly ratePerCheck: number
  readonly maxRequestsPerCheck?: number
  readonly signal?: AbortSignal
  readonly onOutcome?: (outcome: Outcome) => void
}

const MAX_SAMPLES = 5

function classify(err: unknown): Pick<Outcome, 'kind' | 'message' | 'code'> {
  if (err instanceof WrongAnswer) return { kind: 'wrong', message: err.message }
  const code =
    typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined
  const message = err instanceof Error ? err.message : String(err)
  return code === undefined ? { kind: 'failed', message } : { kind: 'failed', message, code }
}

/** runLoad drives every check until the deadline and returns the totals, in the checks' order. */
export async function runLoad(checks: readonly Check[], opts: LoadOptions): Promise<CheckTotals[]> {
  const started = performance.now()
  const deadline = started + opts.durationMs
  const intervalMs = 1000 / opts.ratePerCheck
  const maxRequests = opts.maxRequestsPerCheck ?? Math.ceil((opts.durationMs / 1000) * opts.ratePerCheck) + 1
  const stopped = () => opts.signal?.aborted === true || performance.now() >= deadline

  const loop = async (check: Check): Promise<CheckTotals> => {
    const totals: CheckTotals = {
      check: check.name,
      service: check.service,
      ok: 0,
      wrong: 0,
      failed: 0,
      maxLatencyMs: 0,
      totalLatencyMs: 0,
      samples: [],
    }
    for (let n = 0; n < maxRequests && !stopped(); n++) {
      const t0 = performance.now()
      let outcome: Pick<Outcome, 'kind' | 'message' | 'code'>
      try {
        await check.run(n)
        outcome = { kind: 'ok' }
      } catch (err) {
        outcome = classify(err)
      }
      const t1 = performance.now()
      const latencyMs = t1 - t0
      totals[outcome.kind]++
      totals.totalLatencyMs += latencyMs
      totals.maxLatencyMs = Math.max(totals.maxLatencyMs, latencyMs)
      if (outcome.kind !== 'ok' && totals.samples.length < MAX_SAMPLES)
        totals.samples.push(`${outcome.kind}: ${outcome.message}`)
      opts.onOutcome?.({ check: check.name, atMs: t1 - started, latencyMs, ...outcome })
      // pace: the next request starts one interval after this one started
      const wait = t0 + intervalMs - performance.now()
      if (wait > 0 && !stopped()) await delay(Math.min(wait, deadline - performance.now()))
    }
    await check.close()
    return totals
  }

  return Promise.all(checks.map(loop))
}
