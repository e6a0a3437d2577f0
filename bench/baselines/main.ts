/**
 * Starts one minimal baseline server: `node dist/bench/baselines/main.js net|dgram|http`
 * (compose services baseline-net, baseline-dgram, baseline-http). Logs `listening`, and
 * closes on SIGTERM/SIGINT. Exit 2 on an unknown kind.
 */
import { createLogger } from '../../lib/log.ts'
import { onShutdown } from '../../lib/shutdown.ts'
import { startDgramBaseline } from './dgram-server.ts'
import { startHttpBaseline } from './http-server.ts'
import { startNetBaseline } from './net-server.ts'

const starters = { net: startNetBaseline, dgram: startDgramBaseline, http: startHttpBaseline } as const
type Kind = keyof typeof starters

const kind = process.argv[2] ?? ''
const log = createLogger(`baseline-${kind || 'unknown'}`, process.env.LOG_LEVEL || 'info')
if (!Object.hasOwn(starters, kind)) {
  log.fatal({ kind, code: 'INVALID_ARGUMENT', kinds: Object.keys(starters) }, 'unknown baseline kind')
  process.exitCode = 2
} else {
  const baseline = await starters[kind as Kind]()
  log.info({ kind }, 'listening')
  onShutdown(log, 1000, async () => {
    await baseline.close()
    return { drained: 0, destroyed: 0 }
  })
}
