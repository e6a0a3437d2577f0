/**
 * Process-level graceful shutdown (close-with-grace): the first SIGTERM or SIGINT logs
 * `shutting down` and runs `close`; a second signal exits 1 at once; if `close` has not
 * finished `graceMs + 2 s` later, `killed by timeout` is logged and the process exits 1.
 * A clean close logs `shutdown complete` with its summary and exits 0.
 */
import closeWithGrace from 'close-with-grace'
import type { Logger } from './log.ts'
import type { CloseSummary } from './service.ts'

/** onShutdown installs the signal handlers; call it once, from main.ts, after start(). */
export function onShutdown(log: Logger, graceMs: number, close: () => Promise<CloseSummary>): void {
  closeWithGrace(
    {
      delay: graceMs + 2000,
      logger: false,
      onSecondSignal: (signal) => log.warn({ signal }, 'second signal, exiting now'),
      onTimeout: (delayMs) => log.error({ delayMs }, 'killed by timeout'),
    },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'fatal error, shutting down')
      else log.info({ signal }, 'shutting down')
      const summary = await close()
      log.info(summary, 'shutdown complete')
    },
  )
}
