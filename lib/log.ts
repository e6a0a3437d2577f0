/**
 * Structured JSON logs, one line per event (pino). The logger is created once per process
 * in main.ts and passed down; context is added with child loggers (`worker`, `conn`, `proto`).
 *
 * Level policy, written down once:
 * - error: a bug or an outage (an unexpected exception, a failed write to disk).
 * - warn:  a limit that suggests misuse or overload was hit (BUSY, backpressure cut-off).
 * - info:  lifecycle (listening, shutting down, shutdown complete), per-connection
 *          summaries, and a client's bad input, logged with its `code`.
 * - debug: per message or datagram.
 */
import { type DestinationStream, type Logger, pino } from 'pino'

export type { Logger } from 'pino'

/** createLogger returns the root logger for one service; `dest` defaults to stdout. */
export function createLogger(service: string, level: string, dest?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // secrets never reach a log line, whatever logs the config
      redact: ['config.authkey', 'authkey'],
    },
    dest ?? pino.destination({ dest: 1, sync: true }),
  )
}
