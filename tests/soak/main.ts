/**
 * `make soak`: `node tests/soak/main.ts` (Node 24 strips the types). Reads SOAK_SECONDS,
 * SOAK_RATE and SOAK_SAMPLE_MS, runs the soak in its own compose project (never the
 * `make up` lab), prints the report and exits 1 unless it passed; exit 2 on a bad variable.
 * Ctrl-C stops the load early; the project is still removed, and the run counts as failed.
 */
import { intVar, loadConfig } from '../../lib/config.ts'
import { ConfigError } from '../../lib/errors.ts'
import { formatReport, runSoak } from './soak.ts'

const spec = {
  seconds: intVar('SOAK_SECONDS', 'how long the load runs', { default: 180, min: 5, max: 86_400, unit: 's' }),
  rate: intVar('SOAK_RATE', 'requests per second for each of the six checks', {
    default: 20,
    min: 1,
    max: 500,
  }),
  sampleMs: intVar('SOAK_SAMPLE_MS', 'how often memory and sockets are read', {
    default: 5000,
    min: 500,
    max: 600_000,
    unit: 'ms',
  }),
}

let config: ReturnType<typeof loadConfig<typeof spec>>
try {
  config = loadConfig(spec, process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`soak: ${err.message}`)
  process.exit(2)
}

const interrupted = new AbortController()
process.once('SIGINT', () => {
  console.error('soak: interrupted, stopping the load and removing the project')
  interrupted.abort()
})
process.once('SIGTERM', () => interrupted.abort())

const report = await runSoak({
  durationMs: config.seconds * 1000,
  ratePerCheck: config.rate,
  sampleEveryMs: config.sampleMs,
  baseEnv: process.env,
  signal: interrupted.signal,
  progress: (line) => console.error(`soak: ${line}`),
})
console.log(formatReport(report))
process.exitCode = report.passed ? 0 : 1
