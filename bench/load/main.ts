/**
 * The load generator's entry point, run inside the bench-load container on the lab network
 * (`docker compose run --rm -T bench-load --seconds 3 --hosts tcp,udp,baseline-net`). It runs
 * every step of the suite against each subject whose host is listed, one at a time, and
 * writes NDJSON events (bench/events.ts) on stdout; the host renders and collects them.
 * Exit 0 when the plan ran (a failed step is an event, not an exit), 2 on bad arguments.
 *
 *   --seconds <s>    each step's measuring time (0.1..600)
 *   --hosts <list>   compose services that are up (netlab's and the baselines')
 *   --only <groups>  tcp,udp,http,rpc (default: all)
 *   --smoke          no warm-up: every step once, as short as asked
 *   --sync           after each `mark` event, wait for a line on stdin (the host reading the
 *                    server's CPU usage) before going on; at most SYNC_TIMEOUT_MS each
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { type BenchEvent, encodeEvent } from '../events.ts'
import { buildSuite, type Group } from '../suite.ts'
import { runStep } from './run-step.ts'

/** the netlab rpc service's development key, used when the lab runs without RPC_AUTHKEY */
const DEV_AUTHKEY = 'peekaboo'
const GROUPS: readonly Group[] = ['tcp', 'udp', 'http', 'rpc']
/** How long a `--sync` mark waits for the host's line before going on without it. */
const SYNC_TIMEOUT_MS = 30_000

/** acks hands out stdin's lines one at a time: `next()` resolves on the next line (or at EOF). */
function stdinAcks(): { next(): Promise<void> } {
  const waiting: Array<() => void> = []
  let buffered = 0
  let ended = false
  const rl = createInterface({ input: process.stdin })
  rl.on('line', () => {
    const w = waiting.shift()
    if (w) w()
    else buffered++
  })
  rl.on('close', () => {
    ended = true
    for (const w of waiting.splice(0)) w()
  })
  return {
    next() {
      if (buffered > 0) {
        buffered--
        return Promise.resolve()
      }
      if (ended) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          const i = waiting.indexOf(done)
          if (i !== -1) waiting.splice(i, 1)
          resolve()
        }, SYNC_TIMEOUT_MS)
        const done = () => {
          clearTimeout(timer)
          resolve()
        }
        waiting.push(done)
      })
    },
  }
}

function emit(event: BenchEvent): void {
  process.stdout.write(encodeEvent(event))
}

function usage(message: string): never {
  process.stderr.write(`bench-load: ${message}\n`)
  process.exit(2)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '3' },
      hosts: { type: 'string', default: '' },
      only: { type: 'string', default: GROUPS.join(',') },
      smoke: { type: 'boolean', default: false },
      sync: { type: 'boolean', default: false },
    },
  })
  const seconds = Number(values.seconds)
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 600)
    usage(`--seconds must be a number from 0.1 to 600, not ${JSON.stringify(values.seconds)}`)
  const only = values.only.split(',').filter(Boolean)
  const unknown = only.filter((g) => !GROUPS.includes(g as Group))
  if (unknown.length > 0) usage(`--only takes ${GROUPS.join(', ')}; unknown: ${unknown.join(', ')}`)
  const hosts = new Set(values.hosts.split(',').filter(Boolean))
  // bench/main.ts gives baseline-pyrpc and this generator one random key per run (bench/authkey.ts)
  const baseline = process.env.BENCH_AUTHKEY ?? ''
  if (hosts.has('baseline-pyrpc') && baseline === '')
    usage('BENCH_AUTHKEY is not set: run the bench with `make bench`, which gives each run its own key')
  const keys = { netlab: process.env.RPC_AUTHKEY || DEV_AUTHKEY, baseline }

  const plan = buildSuite()
    .filter((s) => only.includes(s.group))
    .flatMap((step) =>
      step.subjects.filter((sub) => hosts.has(sub.host)).map((subject) => ({ step, subject })),
    )
  const acks = values.sync ? stdinAcks() : undefined
  const mark = async (phase: 'start' | 'end', id: string, subject: { name: string; host: string }) => {
    emit({ type: 'mark', phase, id, subject: subject.name, host: subject.host })
    await acks?.next()
  }
  emit({ type: 'plan', steps: plan.length })
  const warmed = new Set<string>()
  for (const [index, { step, subject }] of plan.entries()) {
    emit({ type: 'step', index, id: step.id, subject: subject.name, seconds })
    try {
      // the first step of each (server, group) starts with an unrecorded warm-up, so JIT
      // compilation on both sides is not measured as the server's speed
      const warmKey = `${subject.host}|${step.group}`
      if (!values.smoke && !warmed.has(warmKey)) {
        warmed.add(warmKey)
        await runStep(step, subject, Math.min(1, seconds / 2), keys)
      }
      await mark('start', step.id, subject)
      const { measurement, firstError } = await runStep(step, subject, seconds, keys).finally(() =>
        mark('end', step.id, subject),
      )
      emit({ type: 'result', measurement })
      if (firstError) emit({ type: 'failed', id: step.id, subject: subject.name, message: firstError })
    } catch (err) {
      emit({
        type: 'failed',
        id: step.id,
        subject: subject.name,
        message: err instanceof Error ? err.message : String(err),
      })
    }
  }
  emit({ type: 'done' })
  process.stdin.destroy()
}

await main()
