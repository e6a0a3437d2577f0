/**
 * The table `make bench` prints: one row per netlab figure with its baseline beside it,
 * the ratio and the target's verdict, after the network's own limit. Latencies are the
 * netlab figure's, in µs; errors are netlab's / the baseline's.
 *
 *   id              title                     netlab      baseline    ratio  p50 µs ...  errors  target
 *   tcp.upper.c32   TCP upper, 64 B round …   61 234/s    48 901/s    1.25x   492 ...    0/0     met: >= 1.2x node net ...
 */
import { type BenchResult, type Measurement, measurementKey } from './result.ts'

const UNITS: Readonly<Record<Measurement['unit'], string>> = {
  'ops/s': '/s',
  'req/s': '/s',
  'calls/s': '/s',
  'Mbit/s': ' Mbit/s',
}

/** formatRate prints a throughput with thin grouping: 61234.5 → '61 235/s'. */
export function formatRate(m: Measurement | undefined): string {
  if (!m) return '-'
  const n = m.throughput >= 100 ? Math.round(m.throughput) : Math.round(m.throughput * 10) / 10
  return `${n.toLocaleString('en-US').replaceAll(',', ' ')}${UNITS[m.unit]}`
}

const us = (v: number | undefined): string =>
  v === undefined ? '-' : v >= 100 ? String(Math.round(v)) : v.toFixed(1)

function ellipsize(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`
}

/** verdict is the target column: 'met: …', 'MISSED: …', 'not judged: …', or ''. */
export function verdict(target: { text: string; met: boolean | null } | undefined): string {
  if (!target) return ''
  if (target.met === null) return `not judged: ${target.text}`
  return `${target.met ? 'met' : 'MISSED'}: ${target.text}`
}

/** renderTable lays out `rows` (the first is the header) in padded columns. */
export function layout(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths: number[] = []
  for (const row of rows)
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length)
  return rows
    .map((row) =>
      row
        .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

const HEADER = [
  'id',
  'title',
  'netlab',
  'baseline',
  'vs',
  'ratio',
  'p50 µs',
  'p90 µs',
  'p99 µs',
  'max µs',
  'errors',
  'target',
]
const RIGHT = new Set([2, 3, 5, 6, 7, 8, 9, 10])

/** renderTable is the printed table of a result (a trailing newline included). */
export function renderTable(result: BenchResult): string {
  const byKey = new Map(result.measurements.map((m) => [measurementKey(m), m]))
  const rows: string[][] = [HEADER]
  for (const m of result.measurements) {
    if (m.role !== 'limit') continue
    const l = m.latency
    rows.push([
      m.id,
      ellipsize(m.title, 44),
      formatRate(m),
      '',
      m.subject,
      '',
      us(l?.p50Us),
      us(l?.p90Us),
      us(l?.p99Us),
      us(l?.maxUs),
      String(m.errors),
      'network limit',
    ])
  }
  for (const c of result.comparisons) {
    const n = byKey.get(c.netlab)
    if (!n) continue
    const b = c.baseline === undefined ? undefined : byKey.get(c.baseline)
    const l = n.latency
    const ratio = c.ratio === null ? '-' : `${c.ratio.toFixed(2)}x`
    rows.push([
      c.id,
      ellipsize(c.title, 44),
      formatRate(n),
      formatRate(b),
      b?.subject ?? '',
      ratio,
      us(l?.p50Us),
      us(l?.p90Us),
      us(l?.p99Us),
      us(l?.maxUs),
      b ? `${n.errors}/${b.errors}` : String(n.errors),
      verdict(c.target),
    ])
  }
  const header = `netlab bench ${result.startedAt}${result.smoke ? ' (smoke: targets not judged)' : ''}, ${result.stepSeconds} s per step, ${result.machine.cores} cores, ${result.machine.node}, commit ${result.machine.commit.slice(0, 12)}${result.machine.dirty ? ' (dirty)' : ''}`
  const targets = result.comparisons.flatMap((c) => (c.target ? [c.target] : []))
  const met = targets.filter((t) => t.met === true).length
  const missed = targets.filter((t) => t.met === false).length
  const summary = `targets: ${met} met, ${missed} missed, ${targets.length - met - missed} not judged`
  return `${header}\n\n${layout(rows, RIGHT)}\n\n${summary}\n`
}
