/**
 * Inline SVG charts for the HTML report, written by hand (no library, no script: the file
 * opens offline). One chart per measurement id, so a netlab figure sits beside its baseline
 * and the network's own limit:
 *
 *   throughputChart   one horizontal bar per subject, scaled to the largest, value + ratio labels
 *   latencyChart      p50 / p90 / p99 / max, one bar per subject each, on a log scale (µs),
 *                     with the network's ping-pong RTT p50 as a dashed reference line
 */
import type { Measurement } from '../result.ts'
import { esc, fmtNum, fmtUs } from './format.ts'

const WIDTH = 720
const LABEL_W = 170
const VALUE_W = 190
const BAR_H = 16
const GAP = 5

/** roleColour gives each role its colour: netlab blue, its worker-count variants violet, baselines amber, the network limit green. */
export function roleColour(role: Measurement['role']): string {
  return role === 'netlab'
    ? '#2563eb'
    : role === 'variant'
      ? '#7c3aed'
      : role === 'baseline'
        ? '#d97706'
        : '#059669'
}

/** ChartBar is one subject's bar: its label, value, colour and an optional note after the value. */
interface ChartBar {
  readonly label: string
  readonly value: number
  readonly colour: string
  readonly note?: string
}

function text(x: number, y: number, body: string, attrs = ''): string {
  return `<text x="${Number(x.toFixed(1))}" y="${Number(y.toFixed(1))}"${attrs ? ` ${attrs}` : ''}>${esc(body)}</text>`
}

/**
 * throughputChart draws one bar per measurement of the same id (`notes`: text after a
 * subject's value, keyed by subject, e.g. the ratio to the baseline).
 */
export function throughputChart(
  ms: readonly Measurement[],
  notes: ReadonlyMap<string, string> = new Map(),
): string {
  const bars: ChartBar[] = ms.map((m) => ({
    label: m.subject,
    value: m.throughput,
    colour: roleColour(m.role),
    note: `${fmtNum(m.throughput)} ${m.unit}${notes.has(m.subject) ? ` · ${notes.get(m.subject)}` : ''}`,
  }))
  const max = Math.max(...bars.map((b) => b.value), 1e-9)
  const span = WIDTH - LABEL_W - VALUE_W
  const height = bars.length * (BAR_H + GAP) + GAP
  const rows = bars.map((b, i) => {
    const y = GAP + i * (BAR_H + GAP)
    const w = Math.max(1, (b.value / max) * span)
    return [
      text(LABEL_W - 6, y + BAR_H - 4, b.label, 'text-anchor="end"'),
      `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${b.colour}"><title>${esc(`${b.label}: ${b.note ?? ''}`)}</title></rect>`,
      text(LABEL_W + w + 6, y + BAR_H - 4, b.note ?? ''),
    ].join('')
  })
  return `<svg class="chart" role="img" aria-label="throughput" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${rows.join('')}</svg>`
}

const PERCENTILES = [
  ['p50', 'p50Us'],
  ['p90', 'p90Us'],
  ['p99', 'p99Us'],
  ['max', 'maxUs'],
] as const

/** logScale maps [lo, hi] µs (decades) onto [0, span] pixels. */
function logScale(values: readonly number[], span: number): { x: (v: number) => number; decades: number[] } {
  const positive = values.filter((v) => v > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, lo * 10)))
  const decades: number[] = []
  for (let d = lo; d <= hi && decades.length < 12; d *= 10) decades.push(d)
  const range = Math.log10(hi / lo)
  return { x: (v) => (v <= lo ? 0 : (Math.log10(v / lo) / range) * span), decades }
}

/**
 * latencyChart draws the percentiles of every measurement of one id that has a latency,
 * beside each other, and `referenceUs` (the network's ping-pong RTT p50) as a dashed line.
 * Returns '' when no measurement has a latency.
 */
export function latencyChart(ms: readonly Measurement[], reference?: { label: string; us: number }): string {
  const withLatency = ms.filter((m) => m.latency !== undefined && m.latency.count > 0)
  if (withLatency.length === 0) return ''
  const values = withLatency.flatMap((m) => PERCENTILES.map(([, k]) => m.latency?.[k] ?? 0))
  if (reference) values.push(reference.us)
  const left = 60
  const span = WIDTH - left - 110
  const { x, decades } = logScale(values, span)
  const groupH = withLatency.length * (BAR_H - 4 + 2) + 10
  const top = 18
  const height = top + PERCENTILES.length * groupH + 22
  const parts: string[] = []
  for (const d of decades) {
    const gx = left + x(d)
    parts.push(
      `<line x1="${gx.toFixed(1)}" y1="${top - 4}" x2="${gx.toFixed(1)}" y2="${height - 20}" class="grid"/>`,
    )
    parts.push(text(gx, height - 6, fmtUs(d), 'text-anchor="middle" class="axis"'))
  }
  PERCENTILES.forEach(([name, key], p) => {
    const gy = top + p * groupH
    parts.push(text(left - 8, gy + groupH / 2, name, 'text-anchor="end"'))
    withLatency.forEach((m, i) => {
      const v = m.latency?.[key] ?? 0
      const y = gy + i * (BAR_H - 2)
      const w = Math.max(1, x(v))
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H - 4}" fill="${roleColour(m.role)}"><title>${esc(`${m.subject} ${name}: ${fmtUs(v)}`)}</title></rect>`,
        text(left + w + 4, y + BAR_H - 6, fmtUs(v), 'class="small"'),
      )
    })
  })
  if (reference) {
    const rx = left + x(reference.us)
    parts.push(
      `<line x1="${rx.toFixed(1)}" y1="${top - 8}" x2="${rx.toFixed(1)}" y2="${height - 20}" class="ref"/>`,
      text(rx + 4, top - 8, `${reference.label} ${fmtUs(reference.us)}`, 'class="small ref-label"'),
    )
  }
  return `<svg class="chart" role="img" aria-label="latency percentiles, log scale" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${parts.join('')}</svg>`
}
