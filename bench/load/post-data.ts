/**
 * Seed 000's 3.2 MB POST /data/ (100 000 items), timed phase by phase with the CLI's own
 * experiment (clients/cli/net/data-experiment.ts): pack, transfer (which includes the
 * server's parse and unpack), client unpack. Runs one after another on one keep-alive
 * connection until the step's time is up (at least one, at most MAX_RUNS); each run checks
 * the server received exactly the items and bytes sent. The latency histogram holds the
 * end-to-end time of each run (pack + transfer + client unpack); `extra` has each phase's median.
 */
import { DEFAULT_DATA_ITEMS, PHASES, runDataExperiment } from '../../clients/cli/net/data-experiment.ts'
import { HttpClient } from '../../clients/cli/net/http-client.ts'
import { median } from '../../clients/cli/stats.ts'
import { LatencyRecorder } from './histogram.ts'
import type { StepOutcome } from './outcome.ts'

/** At most this many runs per step, however short each is. */
export const MAX_RUNS = 50
const TIMEOUT_MS = 30_000

const camel: Readonly<Record<(typeof PHASES)[number], string>> = {
  pack: 'packMs',
  transfer: 'transferMs',
  server_parse: 'serverParseMs',
  server_unpack: 'serverUnpackMs',
  client_unpack: 'clientUnpackMs',
  total: 'packTransferMs',
}

/** postData runs the experiment against http://host:port/data/ for about `seconds`. */
export async function postData(opts: { host: string; port: number; seconds: number }): Promise<StepOutcome> {
  const client = new HttpClient({ timeoutMs: TIMEOUT_MS })
  const url = new URL(`http://${opts.host}:${opts.port}/data/`)
  const phases = new Map<string, number[]>()
  const rec = new LatencyRecorder()
  const endToEnd: number[] = []
  let ops = 0
  let errors = 0
  let firstError: string | undefined
  const started = performance.now()
  const deadline = started + opts.seconds * 1000
  try {
    while (ops + errors < MAX_RUNS && (ops + errors === 0 || performance.now() < deadline)) {
      try {
        const report = await runDataExperiment({
          client,
          url,
          label: url.href,
          items: DEFAULT_DATA_ITEMS,
          runs: 1,
          spacing: 'python',
        })
        for (const p of PHASES) {
          const v = report.phases[p]?.median
          if (v !== undefined) phases.set(camel[p], [...(phases.get(camel[p]) ?? []), v])
        }
        const e2e = (report.phases.total?.median ?? 0) + (report.phases.client_unpack?.median ?? 0)
        endToEnd.push(e2e)
        rec.recordMs(e2e)
        ops++
      } catch (err) {
        errors++
        firstError ??= err instanceof Error ? err.message : String(err)
        break
      }
    }
  } finally {
    await client.close()
  }
  const extra: Record<string, number> = { items: DEFAULT_DATA_ITEMS }
  for (const [k, vs] of phases) extra[k] = round3(median(vs) ?? 0)
  extra.endToEndMs = round3(median(endToEnd) ?? 0)
  return {
    ops,
    errors,
    durationS: (performance.now() - started) / 1000,
    latency: rec.summary(),
    extra,
    ...(firstError ? { firstError } : {}),
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000
