/**
 * StepOutcome is what one load step measured, before it becomes a Measurement: how many
 * exchanges completed and failed in how long, their latency, and any extra figures.
 */
import type { Latency } from '../result.ts'

/** StepOutcome is one generator's measurement, before it becomes a Measurement. */
export interface StepOutcome {
  readonly ops: number
  readonly errors: number
  readonly durationS: number
  readonly latency: Latency
  readonly extra?: Readonly<Record<string, number>>
  /** the first error seen, for the report (a step with errors says why) */
  readonly firstError?: string
}

/** LoadOptions bound every generator: how long, and how many exchanges in flight. */
export interface LoadOptions {
  readonly host: string
  readonly port: number
  /** connections, senders or clients, each with one exchange in flight */
  readonly concurrency: number
  readonly seconds: number
}

/** GRACE_MS is how long after its deadline a step waits for in-flight exchanges before cutting them off. */
export const GRACE_MS = 10_000
/** CONNECT_TIMEOUT_MS bounds each connection's set-up. */
export const CONNECT_TIMEOUT_MS = 5000

/**
 * settleOrCutOff waits for a step's loops; if they are still running GRACE_MS after the
 * step's `seconds`, `cutOff` ends them (it must make every loop settle, as an error).
 */
export async function settleOrCutOff(
  runs: readonly Promise<void>[],
  seconds: number,
  cutOff: () => void,
): Promise<void> {
  const timer = setTimeout(cutOff, seconds * 1000 + GRACE_MS)
  try {
    await Promise.all(runs)
  } finally {
    clearTimeout(timer)
  }
}
