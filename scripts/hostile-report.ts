/**
 * Prints the hostile suite's table from its report file (JSON lines written by
 * tests/support/hostile/attack-report.ts): attack, what was sent, how it was refused,
 * peak memory against the container's limit, and the outcome. Exits 1 if any row is not ok.
 * Run with Node >= 22.18 (type stripping):
 *   node scripts/hostile-report.ts [--optional] .build/hostile-report.jsonl
 * With --optional a missing report (the run left the hostile tests out) prints nothing.
 */
import { existsSync, readFileSync } from 'node:fs'
import { type AttackRow, outcome } from '../tests/support/hostile/attack-report.ts'

const optional = process.argv.includes('--optional')
const file = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '.build/hostile-report.jsonl'
if (!existsSync(file)) {
  if (optional) process.exit(0)
  console.error(`hostile-report: no report at ${file} (run make hostile first)`)
  process.exit(2)
}
const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as AttackRow)

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0)
const refused = (r: AttackRow) =>
  Object.entries(r.refused)
    .filter(([, n]) => n > 0)
    .map(([how, n]) => `${how} ${n}`)
    .join(', ') || '-'
const table = [
  ['service', 'attack', 'sent', 'served', 'refused', 'peak / limit MiB', 's', 'outcome'],
  ...rows.map((r) => [
    r.service,
    r.attack,
    String(r.sent),
    String(r.served),
    refused(r),
    `${mib(r.verdict.peakBytes)} / ${r.verdict.limitBytes > 0 ? mib(r.verdict.limitBytes) : '-'}`,
    r.durationMs === undefined ? '-' : (r.durationMs / 1000).toFixed(1),
    outcome(r),
  ]),
]
const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => row[i]?.length ?? 0))) ?? []
for (const [i, row] of table.entries()) {
  console.log(
    row
      .map((cell, j) => cell.padEnd(widths[j] ?? 0))
      .join('  ')
      .trimEnd(),
  )
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
}
const bad = rows.filter((r) => outcome(r) !== 'ok').length
console.log(`\n${rows.length} attacks, ${bad} not ok`)
process.exitCode = bad > 0 ? 1 : 0
