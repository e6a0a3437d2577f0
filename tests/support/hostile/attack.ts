/**
 * runAttack is one hostile test's shape: watch the container (container-watch.ts), run the
 * attack until it stops by itself or its deadline, send a normal request every 250 ms while
 * it runs and again after it, then record one row of the table (attack-report.ts) and return
 * it for the test's assertions:
 *
 *   watch ──▶ attack (deadline) ─────────────▶ probe after (up to recoverMs) ──▶ verdict, row
 *             probe, probe, probe ... (answeredDuring: one sent during it was answered)
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { type AttackRow, recordAttack } from './attack-report.ts'
import { watchContainer } from './container-watch.ts'

/** AttackResult is what the attack itself counted. */
export interface AttackResult {
  /** requests, connections or datagrams sent */
  readonly sent: number
  /** served normally */
  readonly served: number
  /** how the rest was refused, e.g. { '503 busy': 40, '413 too large': 2 } */
  readonly refused: Readonly<Record<string, number>>
}

export interface AttackSpec {
  readonly service: string
  readonly attack: string
  /** the container's id or name */
  readonly container: string
  /** the attack; it must stop by itself, and stop when `signal` aborts (the deadline) */
  readonly run: (signal: AbortSignal) => Promise<AttackResult>
  /** one normal request: true when it was answered as it should be */
  readonly probe: () => Promise<boolean>
  /** the most the attack may run */
  readonly deadlineMs: number
  /** how long after the attack the service may take to answer again (default 10 s) */
  readonly recoverMs?: number
}

const PROBE_INTERVAL_MS = 250

/** runAttack runs one attack as described above and records its row. */
export async function runAttack(spec: AttackSpec): Promise<AttackRow & { readonly durationMs: number }> {
  const watch = await watchContainer(spec.container)
  const deadline = AbortSignal.timeout(spec.deadlineMs)
  const started = performance.now()
  let attacking = true
  let answeredDuring = false
  const probing = (async () => {
    const inFlight: Promise<void>[] = []
    while (attacking) {
      // probes run concurrently: a slow one must not hide a later answer
      inFlight.push(
        spec.probe().then(
          (ok) => {
            if (ok) answeredDuring = true
          },
          () => undefined,
        ),
      )
      await sleep(PROBE_INTERVAL_MS)
    }
    await Promise.all(inFlight)
  })()
  let result: AttackResult
  try {
    result = await spec.run(deadline)
  } finally {
    attacking = false
    await probing
  }
  const durationMs = Math.round(performance.now() - started)
  let answeredAfter = false
  const recoverBy = performance.now() + (spec.recoverMs ?? 10_000)
  while (!answeredAfter && performance.now() < recoverBy) {
    answeredAfter = await spec.probe().catch(() => false)
    if (!answeredAfter) await sleep(PROBE_INTERVAL_MS)
  }
  const verdict = await watch.stop()
  const row = {
    service: spec.service,
    attack: spec.attack,
    sent: result.sent,
    refused: result.refused,
    served: result.served,
    verdict,
    answeredDuring,
    answeredAfter,
    durationMs,
  }
  recordAttack(row)
  return row
}

/** count adds one to `key` of a tally. */
export function count(tally: Record<string, number>, key: string, n = 1): void {
  tally[key] = (tally[key] ?? 0) + n
}
