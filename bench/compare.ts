/**
 * Compares two bench result files, figure by figure (`make bench-compare A=old.json B=new.json`):
 *
 *   node bench/compare.ts [--threshold 10] [--json] [--fail-on-regression] A.json B.json
 *
 * For every measurement key (`id|subject`) in either file: A's and B's throughput, the change,
 * and the p50 and p99 latency changes. A figure regressed when its throughput fell, or its p50
 * or p99 rose, by more than the threshold (percent, default 10), or when it had no errors in A
 * and has some in B; figures in only one file are listed as added or removed. Both files are validated with benchResultSchema; a file that is
 * missing or invalid is named in the error. Exit 0, or 1 with --fail-on-regression when
 * something regressed; 2 on bad arguments or an unreadable file.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { LabError } from '../lib/errors.ts'
import { fmtNum, fmtPct } from './report/format.ts'
import { type BenchResult, benchResultSchema, type Measurement, measurementKey } from './result.ts'

/** FigureChange is one figure in both files (or one of them), with its relative changes. */
export interface FigureChange {
  readonly key: string
  readonly id: string
  readonly subject: string
  readonly unit: Measurement['unit']
  readonly a: number | null
  readonly b: number | null
  /** (B - A) / A of throughput, p50 and p99; null when either side lacks the figure */
  readonly throughputChange: number | null
  readonly p50Change: number | null
  readonly p99Change: number | null
  readonly status: 'regressed' | 'improved' | 'same' | 'added' | 'removed'
  /** what regressed: 'throughput', 'p50', 'p99' (beyond the threshold), 'errors' (none in A, some in B) */
  readonly reasons: readonly string[]
}

/** Comparison of two result files. */
export interface CompareReport {
  readonly a: string
  readonly b: string
  readonly thresholdPct: number
  readonly figures: readonly FigureChange[]
  readonly regressions: number
}

/** loadResult reads and validates one result file; the error names the file and the problem. */
export async function loadResult(path: string): Promise<BenchResult> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new LabError('RESULT_UNREADABLE', `${path}: cannot read: ${(err as Error).message}`, { cause: err })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new LabError('RESULT_INVALID', `${path}: not JSON: ${(err as Error).message}`, { cause: err })
  }
  const parsed = benchResultSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.length ? issue.path.join('.') : '(root)'
    throw new LabError(
      'RESULT_INVALID',
      `${path}: not a bench result: ${where}: ${issue?.message ?? 'invalid'}`,
    )
  }
  return parsed.data
}

const change = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined ? null : a === 0 ? (b === 0 ? 0 : Number.POSITIVE_INFINITY) : (b - a) / a

/** compareResults lines up the two results' figures and judges each against the threshold. */
export function compareResults(
  a: BenchResult,
  b: BenchResult,
  names: { a: string; b: string },
  thresholdPct = 10,
): CompareReport {
  const t = thresholdPct / 100
  const byKey = (r: BenchResult) => new Map(r.measurements.map((m) => [measurementKey(m), m] as const))
  const ma = byKey(a)
  const mb = byKey(b)
  const keys = [...new Set([...ma.keys(), ...mb.keys()])]
  const figures = keys.map((key): FigureChange => {
    const x = ma.get(key)
    const y = mb.get(key)
    const m = (y ?? x) as Measurement
    const throughputChange = change(x?.throughput, y?.throughput)
    const p50Change = change(x?.latency?.p50Us, y?.latency?.p50Us)
    const p99Change = change(x?.latency?.p99Us, y?.latency?.p99Us)
    const reasons: string[] = []
    if (throughputChange !== null && throughputChange < -t) reasons.push('throughput')
    if (p50Change !== null && p50Change > t) reasons.push('p50')
    if (p99Change !== null && p99Change > t) reasons.push('p99')
    if (x && y && x.errors === 0 && y.errors > 0) reasons.push('errors')
    const improved =
      (throughputChange !== null && throughputChange > t) || (p50Change !== null && p50Change < -t)
    const status = !x
      ? 'added'
      : !y
        ? 'removed'
        : reasons.length > 0
          ? 'regressed'
          : improved
            ? 'improved'
            : 'same'
    return {
      key,
      id: m.id,
      subject: m.subject,
      unit: m.unit,
      a: x?.throughput ?? null,
      b: y?.throughput ?? null,
      throughputChange,
      p50Change,
      p99Change,
      status,
      reasons,
    }
  })
  return {
    a: names.a,
    b: names.b,
    thresholdPct,
    figures,
    regressions: figures.filter((f) => f.status === 'regressed').length,
  }
}

/** formatTable renders the comparison as an aligned text table with a closing summary line. */
export function formatTable(report: CompareReport): string {
  const head = ['figure', 'subject', 'A', 'B', 'change', 'p50', 'p99', '']
  const cell = (n: number | null) => (n === null ? '—' : fmtPct(n))
  const rows = report.figures.map((f) => [
    f.id,
    f.subject,
    f.a === null ? '—' : `${fmtNum(f.a)} ${f.unit}`,
    f.b === null ? '—' : `${fmtNum(f.b)} ${f.unit}`,
    cell(f.throughputChange),
    cell(f.p50Change),
    cell(f.p99Change),
    f.status === 'regressed' ? `REGRESSED (${f.reasons.join(', ')})` : f.status === 'same' ? '' : f.status,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = new Set([2, 3, 4, 5, 6])
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  const summary = `A = ${report.a}\nB = ${report.b}\n${report.figures.length} figures, ${report.regressions} regressed (threshold ${report.thresholdPct}%)`
  return [line(head), ...rows.map(line), '', summary].join('\n')
}

/** USAGE is printed with exit 2 on bad arguments. */
export const USAGE =
  'usage: node bench/compare.ts [--threshold PCT] [--json] [--fail-on-regression] A.json B.json'

function parseCompareArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      threshold: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      'fail-on-regression': { type: 'boolean', default: false },
    },
  })
}

/** runCompare is the CLI without the process: arguments in, text and exit code out. */
export async function runCompare(
  argv: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let args: ReturnType<typeof parseCompareArgs>
  try {
    args = parseCompareArgs(argv)
  } catch (err) {
    return { code: 2, stdout: '', stderr: `compare: ${(err as Error).message}\n${USAGE}\n` }
  }
  const threshold = Number(args.values.threshold)
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1000)
    return {
      code: 2,
      stdout: '',
      stderr: `compare: --threshold "${args.values.threshold}": expected a percentage from 0 to 1000\n${USAGE}\n`,
    }
  const [pathA, pathB, ...rest] = args.positionals
  if (pathA === undefined || pathB === undefined || rest.length > 0)
    return {
      code: 2,
      stdout: '',
      stderr: `compare: expected two result files, got ${args.positionals.length}\n${USAGE}\n`,
    }
  let a: BenchResult
  let b: BenchResult
  try {
    ;[a, b] = await Promise.all([loadResult(pathA), loadResult(pathB)])
  } catch (err) {
    return { code: 2, stdout: '', stderr: `compare: ${(err as Error).message}\n` }
  }
  const report = compareResults(a, b, { a: pathA, b: pathB }, threshold)
  const stdout = args.values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`
  const failed = args.values['fail-on-regression'] && report.regressions > 0
  return { code: failed ? 1 : 0, stdout, stderr: '' }
}

if (import.meta.main) {
  const { code, stdout, stderr } = await runCompare(process.argv.slice(2))
  process.stdout.write(stdout)
  process.stderr.write(stderr)
  process.exitCode = code
}
