/**
 * The bench's HTML report (bench-results/<stamp>.html): one self-contained file, inline CSS
 * and inline SVG, no script and no link to anything, so it opens in a browser with no network.
 *
 *   header       the run (start, step seconds, smoke) and the machine (cores, kernel, Node,
 *                Docker, commit, image ids)
 *   targets      each of the issue's targets: what it asks, what this run measured, met /
 *                missed / not measured
 *   ratios       every netlab figure beside each baseline: throughput ratio, server CPU per
 *                exchange of both and their ratio
 *   threads      the figures measured with the lab's image at 1 and 2 worker threads
 *   per group    network, tcp, udp, http, rpc: per id a throughput chart (netlab beside its
 *                baseline, ratio labelled) and a latency-percentile chart with the network's
 *                ping-pong RTT p50 as reference, then a table of every figure
 *
 * Every piece of text from the result passes through esc().
 */
import type { BenchResult, Measurement } from '../result.ts'
import { latencyChart, roleColour, throughputChart } from './charts.ts'
import { esc, fmtNum, fmtRatio, fmtUs } from './format.ts'

const GROUPS: ReadonlyArray<readonly [Measurement['group'], string]> = [
  ['network', 'Network limit (iperf3, sockperf)'],
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
  ['http', 'HTTP'],
  ['rpc', 'RPC'],
]
const ROLE_ORDER: Readonly<Record<Measurement['role'], number>> = {
  netlab: 0,
  variant: 1,
  baseline: 2,
  limit: 3,
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#111827;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #e5e7eb;padding-bottom:4px}
h3{font-size:15px;margin:22px 0 6px}table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td code{white-space:nowrap}th{background:#f9fafb}
.met{color:#047857;font-weight:600}.missed{color:#b91c1c;font-weight:600}.na{color:#6b7280}
.smoke{background:#fef3c7;padding:6px 10px;border-radius:4px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
svg.chart{display:block;margin:4px 0 10px;max-width:100%;height:auto}svg text{font-size:12px;fill:#111827}
svg text.small{font-size:11px}svg text.axis{font-size:10px;fill:#6b7280}svg .grid{stroke:#e5e7eb}
svg .ref{stroke:#059669;stroke-dasharray:4 3}svg text.ref-label{fill:#047857}
.muted{color:#6b7280}code{font-size:12px}i.dot{display:inline-block;width:10px;height:10px;margin-right:5px}
`

/** status is a target's outcome as a word and a CSS class (a smoke run judges none). */
function status(met: boolean | null, smoke: boolean): readonly [string, string] {
  if (met === null) return [smoke ? 'not judged' : 'not measured', 'na']
  return met ? ['met', 'met'] : ['missed', 'missed']
}

const cpuUs = (m: Measurement | undefined) =>
  m?.cpu === undefined ? '—' : `${fmtNum(m.cpu.perOpUs, m.cpu.perOpUs >= 100 ? 0 : 1)} µs`

function machineSection(r: BenchResult): string {
  const m = r.machine
  const rows: ReadonlyArray<readonly [string, string]> = [
    ['started', `${r.startedAt} (finished ${r.finishedAt})`],
    ['each step', `${fmtNum(r.stepSeconds, 2)} s`],
    ['host', m.hostname],
    ['CPU', `${m.cores} cores, ${m.cpuModel}`],
    [
      'pinning',
      r.pinning
        ? `load generator on CPU ${r.pinning.load}, servers on CPU ${r.pinning.servers}`
        : 'none: the load generator and the servers share every CPU',
    ],
    ['memory', `${fmtNum(m.memoryBytes / 2 ** 30, 1)} GiB`],
    ['kernel', m.kernel],
    ['Node', m.node],
    ['Docker', m.docker],
    ['commit', `${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}`],
  ]
  const images = Object.entries(m.images)
    .map(([name, id]) => `<tr><td>${esc(name)}</td><td><code>${esc(id)}</code></td></tr>`)
    .join('')
  return `<table class="machine">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
${images ? `<details><summary>images (${Object.keys(m.images).length})</summary><table>${images}</table></details>` : ''}`
}

function targetsSection(r: BenchResult): string {
  const counts = { met: 0, missed: 0, na: 0 }
  const rows = r.targets.map((t) => {
    const [word, cls] = status(t.met, r.smoke)
    counts[cls as keyof typeof counts]++
    return `<tr><td><a href="#m-${esc(t.id)}"><code>${esc(t.id)}</code></a></td><td>${esc(t.text)}</td><td class="n">${esc(t.figure)}</td><td class="${cls}">${esc(word)}</td></tr>`
  })
  return `<p class="summary"><span class="met">${counts.met} met</span> · <span class="missed">${counts.missed} missed</span> · <span class="na">${counts.na} ${r.smoke ? 'not judged' : 'not measured'}</span> (of ${counts.met + counts.missed + counts.na} targets)</p>
<table class="targets"><tr><th>id</th><th>target</th><th>measured</th><th>status</th></tr>${rows.join('')}</table>`
}

function ratiosSection(r: BenchResult): string {
  const byKey = new Map(r.measurements.map((m) => [`${m.id}|${m.subject}`, m]))
  const rows = r.comparisons.map((c) => {
    const n = byKey.get(c.netlab)
    const b = c.baseline === undefined ? undefined : byKey.get(c.baseline)
    const baseline = c.baseline ? (c.baseline.split('|')[1] ?? c.baseline) : '—'
    const basis = c.basis === 'latency' ? ' (latency)' : c.basis === 'absolute' ? ' (absolute)' : ''
    return `<tr id="cmp-${esc(c.id)}"><td><code>${esc(c.id)}</code></td><td>${esc(c.title)}</td><td>${esc(baseline)}</td><td class="n">${esc(fmtRatio(c.ratio))}${esc(basis)}</td><td class="n">${esc(cpuUs(n))}</td><td class="n">${esc(cpuUs(b))}</td><td class="n">${esc(fmtRatio(c.cpuRatio ?? null))}</td></tr>`
  })
  return `<table class="ratios"><tr><th>id</th><th>figure</th><th>baseline</th><th>ratio</th><th>netlab CPU/exchange</th><th>baseline CPU/exchange</th><th>CPU ratio</th></tr>${rows.join('')}</table>`
}

function threadsSection(r: BenchResult): string {
  const ids = [...new Set(r.measurements.filter((m) => m.role === 'variant').map((m) => m.id))]
  if (ids.length === 0) return '<p class="na">not measured in this run</p>'
  const rows = ids.flatMap((id) => {
    const lab = r.measurements.find((m) => m.id === id && m.role === 'netlab')
    return r.measurements
      .filter((m) => m.id === id && (m.role === 'netlab' || m.role === 'variant'))
      .map(
        (m) =>
          `<tr><td><code>${esc(id)}</code></td><td>${esc(m.role === 'netlab' ? 'netlab (default workers)' : m.subject)}</td><td class="n">${esc(fmtNum(m.throughput))} ${esc(m.unit)}</td><td class="n">${esc(lab && lab.throughput > 0 ? fmtRatio(m.throughput / lab.throughput) : '—')}</td><td class="n">${esc(cpuUs(m))}</td></tr>`,
      )
  })
  return `<table class="threads"><tr><th>id</th><th>server</th><th>throughput</th><th>vs default</th><th>CPU/exchange</th></tr>${rows.join('')}</table>`
}

/** ratioNotes labels netlab's bar of each id with its ratio to the baseline. */
function ratioNotes(r: BenchResult): Map<string, Map<string, string>> {
  const notes = new Map<string, Map<string, string>>()
  for (const c of r.comparisons) {
    const [, subject] = c.netlab.split('|')
    if (subject === undefined || c.ratio === null) continue
    const vs = c.baseline ? (c.baseline.split('|')[1] ?? '') : ''
    const what =
      c.basis === 'latency' ? `latency ${fmtRatio(c.ratio)} of ${vs}` : `${fmtRatio(c.ratio)} ${vs}`
    const perId = notes.get(c.id) ?? new Map<string, string>()
    perId.set(subject, what.trim())
    notes.set(c.id, perId)
  }
  return notes
}

function measurementRows(ms: readonly Measurement[]): string {
  return ms
    .map((m) => {
      const l = m.latency
      const extra = Object.entries(m.extra)
        .map(([k, v]) => `${k}=${fmtNum(v, 2)}`)
        .join(' ')
      const cells = [
        `<td><code>${esc(m.id)}</code></td>`,
        `<td><i style="background:${roleColour(m.role)}" class="dot"></i>${esc(m.subject)}</td>`,
        `<td>${esc(m.role)}</td>`,
        `<td class="n">${m.concurrency}</td>`,
        `<td class="n">${esc(fmtNum(m.throughput))} ${esc(m.unit)}</td>`,
        ...(l
          ? [l.p50Us, l.p90Us, l.p99Us, l.maxUs].map((v) => `<td class="n">${esc(fmtUs(v))}</td>`)
          : ['<td colspan="4" class="na">—</td>']),
        `<td class="n">${fmtNum(m.ops)}</td>`,
        `<td class="n">${esc(cpuUs(m))}</td>`,
        `<td class="n${m.errors > 0 ? ' missed' : ''}">${fmtNum(m.errors)}</td>`,
        `<td class="muted">${esc(extra)}</td>`,
      ]
      return `<tr>${cells.join('')}</tr>`
    })
    .join('')
}

function groupSection(
  group: Measurement['group'],
  heading: string,
  r: BenchResult,
  notes: ReadonlyMap<string, ReadonlyMap<string, string>>,
): string {
  const ms = r.measurements.filter((m) => m.group === group)
  if (ms.length === 0)
    return `<h2 id="g-${group}">${esc(heading)}</h2><p class="na">not measured in this run</p>`
  const byId = new Map<string, Measurement[]>()
  for (const m of ms) byId.set(m.id, [...(byId.get(m.id) ?? []), m])
  const pingpong = (proto: string) =>
    r.measurements.find((m) => m.id === `network.${proto}.pingpong` && m.role === 'limit')?.latency?.p50Us
  const refUs = group === 'network' ? undefined : pingpong(group === 'udp' ? 'udp' : 'tcp')
  const reference =
    refUs === undefined
      ? undefined
      : { label: `network RTT p50 (${group === 'udp' ? 'UDP' : 'TCP'})`, us: refUs }
  // One connection (or sender) with one exchange in flight is sockperf's own load shape: its
  // round trips/s is the network's limit for that figure, drawn beside it.
  const proto = group === 'udp' ? 'udp' : 'tcp'
  const limit = r.measurements.find((m) => m.id === `network.${proto}.pingpong` && m.role === 'limit')
  const figures = [...byId].map(([id, list]) => {
    const sorted = [...list].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role])
    const title = sorted[0]?.title ?? id
    const oneInFlight = group !== 'network' && group !== 'http' && sorted.every((m) => m.concurrency === 1)
    const withLimit =
      limit && oneInFlight && !id.startsWith('udp.loss')
        ? [...sorted, { ...limit, subject: `${limit.subject} (network)` }]
        : sorted
    return `<section class="figure" id="m-${esc(id)}"><h3>${esc(title)} <code class="muted">${esc(id)}</code></h3>
${throughputChart(withLimit, notes.get(id))}
${latencyChart(sorted, reference)}</section>`
  })
  const table = `<table class="measurements"><tr><th>id</th><th>subject</th><th>role</th><th>conc.</th><th>throughput</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>ops</th><th>CPU/exchange</th><th>errors</th><th>extra</th></tr>${measurementRows(ms)}</table>`
  return `<h2 id="g-${group}">${esc(heading)}</h2>${figures.join('\n')}\n${table}`
}

/** renderHtml renders a bench result as one self-contained HTML page. */
export function renderHtml(result: BenchResult): string {
  const notes = ratioNotes(result)
  const legend = (['netlab', 'variant', 'baseline', 'limit'] as const)
    .map((role) => `<span><i style="background:${roleColour(role)}"></i>${role}</span>`)
    .join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netlab bench ${esc(result.startedAt)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>netlab bench</h1>
<p class="muted">${esc(result.measurements.length)} figures · ${esc(result.comparisons.length)} comparisons · every netlab figure beside a baseline measured in the same run</p>
${result.smoke ? '<p class="smoke">Smoke run: every step once and short; figures are not meaningful and no target is judged.</p>' : ''}
${machineSection(result)}
<nav><a href="#targets">targets</a> · <a href="#ratios">ratios</a> · <a href="#threads">threads</a>${GROUPS.map(([g, h]) => ` · <a href="#g-${g}">${esc(h)}</a>`).join('')}</nav>
<h2 id="targets">Targets</h2>
${targetsSection(result)}
<h2 id="ratios">Ratios and server CPU per exchange</h2>
<p class="muted">CPU/exchange: the server container's CPU time over the measured step (cgroup usage, every thread) divided by its exchanges; the fair measure where the load generator shares the cores.</p>
${ratiosSection(result)}
<h2 id="threads">Threads</h2>
${threadsSection(result)}
<p class="legend">${legend}<span class="muted">latency charts: log scale, round-trip times</span></p>
${GROUPS.map(([g, h]) => groupSection(g, h, result, notes)).join('\n')}
</body>
</html>
`
}
