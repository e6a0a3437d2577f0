/**
 * The table `make bench` prints: one row per netlab figure and baseline (a figure with two
 * baselines has two rows), with the throughput ratio and the server CPU per exchange of
 * each (and their ratio), after the network's own limit; then the threads-scaling figures
 * and the issue's targets, met or missed. Latencies are the netlab figure's, in µs; errors
 * are netlab's / the baseline's.
 *
 *   id             title                  netlab    baseline  vs        ratio  cpu µs/op  cpu ratio  p50 µs ...  errors
 *   tcp.upper.c32  TCP upper, 64 B rou…   61 234/s  48 901/s  node net  1.25x  14.1/11.9  1.18x       492 ...    0/0
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
  'cpu µs/op',
  'cpu ratio',
  'p50 µs',
  'p90 µs',
  'p99 µs',
  'max µs',
  'errors',
]
const RIGHT = new Set([2, 3, 5, 6, 7, 8, 9, 10, 11, 12])

/** cpuCell is a figure's server CPU per exchange in µs, '-' when not read. */
export const cpuCell = (m: Measurement | undefined): string => {
  const v = m?.cpu?.perOpUs
  return v === undefined ? '-' : v >= 100 ? String(Math.round(v)) : v.toFixed(1)
}
const ratioCell = (r: number | null | undefined) => (r === null || r === undefined ? '-' : `${r.toFixed(2)}x`)

/**
 * threadsRows: each figure measured with worker-count variants, netlab's default first
 * (throughput, ratio to the default, CPU per exchange).
 */
function threadsRows(result: BenchResult): string[][] {
  const rows: string[][] = []
  const ids = [...new Set(result.measurements.filter((m) => m.role === 'variant').map((m) => m.id))]
  for (const id of ids) {
    const lab = result.measurements.find((m) => m.id === id && m.role === 'netlab')
    const ms = result.measurements.filter((m) => m.id === id && (m.role === 'variant' || m.role === 'netlab'))
    for (const m of ms)
      rows.push([
        id,
        m.role === 'netlab' ? 'netlab (default workers)' : m.subject,
        formatRate(m),
        lab && lab.throughput > 0 ? `${(m.throughput / lab.throughput).toFixed(2)}x` : '-',
        cpuCell(m),
        us(m.latency?.p50Us),
        us(m.latency?.p99Us),
        String(m.errors),
      ])
  }
  return rows
}

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
      '',
      '',
      us(l?.p50Us),
      us(l?.p90Us),
      us(l?.p99Us),
      us(l?.maxUs),
      String(m.errors),
    ])
  }
  for (const c of result.comparisons) {
    const n = byKey.get(c.netlab)
    if (!n) continue
    const b = c.baseline === undefined ? undefined : byKey.get(c.baseline)
    const l = n.latency
    rows.push([
      c.id,
      ellipsize(c.title, 44),
      formatRate(n),
      formatRate(b),
      b?.subject ?? '',
      ratioCell(c.ratio),
      b ? `${cpuCell(n)}/${cpuCell(b)}` : cpuCell(n),
      ratioCell(c.cpuRatio),
      us(l?.p50Us),
      us(l?.p90Us),
      us(l?.p99Us),
      us(l?.maxUs),
      b ? `${n.errors}/${b.errors}` : String(n.errors),
    ])
  }
  const header = `netlab bench ${result.startedAt}${result.smoke ? ' (smoke: targets not judged)' : ''}, ${result.stepSeconds} s per step, ${result.machine.cores} cores${result.pinning ? ` (load generator on CPU ${result.pinning.load}, servers on ${result.pinning.servers})` : ', unpinned'}, ${result.machine.node}, commit ${result.machine.commit.slice(0, 12)}${result.machine.dirty ? ' (dirty)' : ''}`
  const threads = threadsRows(result)
  const threadsText =
    threads.length === 0
      ? ''
      : `\nthreads (same step, the lab's image with each worker count):\n\n${layout(
          [
            ['id', 'server', 'throughput', 'vs default', 'cpu µs/op', 'p50 µs', 'p99 µs', 'errors'],
            ...threads,
          ],
          new Set([2, 3, 4, 5, 6, 7]),
        )}\n`
  const targets = result.targets
  const met = targets.filter((t) => t.met === true).length
  const missed = targets.filter((t) => t.met === false).length
  const targetRows = targets.map((t) => [
    t.met === null ? (result.smoke ? 'not judged' : 'not measured') : t.met ? 'met' : 'MISSED',
    t.id,
    t.text,
    t.figure,
  ])
  const summary = `targets: ${met} met, ${missed} missed, ${targets.length - met - missed} not judged`
  return `${header}\n\n${layout(rows, RIGHT)}\n${threadsText}\ntargets:\n\n${layout(
    [['status', 'id', 'target', 'measured'], ...targetRows],
    new Set(),
  )}\n\n${summary}\n`
}
