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
import { recordEvent } from './metrics/index.ts'

export type { Logger } from 'pino'

const WARN = 40

function noteEvent(level: number, args: readonly unknown[]): void {
  const [first, second] = args
  const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined
  const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : ''
  recordEvent(pino.levels.labels[level] ?? String(level), msg, fields?.code)
}

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
      // warn and above also go to the metrics' recent events (/events) and netlab_log_events_total
      hooks: {
        logMethod(args, method, level) {
          if (level >= WARN) noteEvent(level, args)
          return method.apply(this, args)
        },
      },
    },
    dest ?? pino.destination({ dest: 1, sync: true }),
  )
}
