/**
 * The hostile suite's one table. Each attack appends a row (JSON lines) to the report file
 * (HOSTILE_REPORT, default .build/hostile-report.jsonl); `scripts/hostile-report.ts` prints
 * them as one table after the run (`make hostile`, and at the end of `make test`).
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { ContainerVerdict } from './container-watch.ts'

/** AttackRow is one attack's line in the table. */
export interface AttackRow {
  readonly service: string
  readonly attack: string
  /** requests, connections or datagrams the attack sent */
  readonly sent: number
  /** how the service refused what it could not take, e.g. { BUSY: 120, '503': 40 } */
  readonly refused: Readonly<Record<string, number>>
  /** requests that were served normally during the attack */
  readonly served: number
  readonly verdict: ContainerVerdict
  /** did the service answer a normal request during and after the attack */
  readonly answeredDuring: boolean
  readonly answeredAfter: boolean
  /** how long the attack ran, ms */
  readonly durationMs?: number
}

export const reportFile = (): string => resolve(process.env.HOSTILE_REPORT ?? '.build/hostile-report.jsonl')

/** recordAttack appends one row to the report file. */
export function recordAttack(row: AttackRow): void {
  const file = reportFile()
  mkdirSync(dirname(file), { recursive: true })
  appendFileSync(file, `${JSON.stringify(row)}\n`)
}

/** outcome is the table's last column: "ok", or what went wrong. */
export function outcome(row: AttackRow): string {
  const v = row.verdict
  const problems = [
    v.oomKilled && 'OOM-killed',
    v.restarts > v.restartsBefore && 'restarted',
    !v.running && 'not running',
    v.limitBytes > 0 && v.peakBytes >= v.limitBytes && 'at memory limit',
    !row.answeredDuring && 'no answer during',
    !row.answeredAfter && 'no answer after',
  ].filter(Boolean)
  return problems.length === 0 ? 'ok' : problems.join(', ')
}
