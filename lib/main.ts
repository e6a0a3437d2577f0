/**
 * runService is every service's process wiring, and the one place that reads the
 * environment or sets the exit code: load and validate the configuration (exit 2 with
 * every problem named), create the logger, start, and drain on SIGTERM/SIGINT (exit 0).
 * A configuration that only start() can judge (a file it names, say) is refused the same
 * way: start() throws a LabError with code INVALID_CONFIG (a ConfigError is one), and the
 * process logs `invalid configuration` and exits 2.
 *
 * Fatal errors end the process, so that the container's restart policy brings the service
 * back instead of leaving it wedged: an uncaught exception or unhandled rejection, or a
 * service reporting it can no longer serve (`failed`: its worker threads keep dying), is
 * logged, drained within the grace period, and exits 1 (lib/shutdown.ts). V8's own fatal
 * errors (heap exhausted in the main thread) abort the process: exit 134, which needs the
 * process not to be PID 1 of its container (PID 1 ignores the abort signal and spins),
 * hence `init: true` in docker-compose.yml.
 */
import { ConfigError, LabError } from './errors.ts'
import { createLogger, type Logger } from './log.ts'
import { loadMetricsConfig, startMetricsServer } from './metrics/server.ts'
import type { Service } from './service.ts'
import { onShutdown } from './shutdown.ts'

interface ServiceConfig {
  readonly logLevel: string
  readonly shutdownGraceMs: number
}

export async function runService<C extends ServiceConfig>(
  name: string,
  load: (env: NodeJS.ProcessEnv) => C,
  start: (config: C, log: Logger) => Promise<Service>,
): Promise<void> {
  const problems: string[] = []
  const read = <T>(f: () => T): T | undefined => {
    try {
      return f()
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      problems.push(...err.problems)
      return undefined
    }
  }
  const config = read(() => load(process.env))
  const metricsConfig = read(() => loadMetricsConfig(process.env))
  if (config === undefined || metricsConfig === undefined) {
    createLogger(name, 'info').fatal({ problems }, 'invalid configuration')
    process.exitCode = 2
    return
  }
  const log = createLogger(name, config.logLevel)
  log.info({ config }, 'config loaded')
  let service: Service
  try {
    service = await start(config, log)
  } catch (err) {
    if (!(err instanceof LabError && err.code === 'INVALID_CONFIG')) throw err
    const problems = err instanceof ConfigError ? err.problems : [err.message]
    log.fatal({ problems }, 'invalid configuration')
    process.exitCode = 2
    return
  }
  // /metrics, /events and /health on METRICS_PORT (lib/metrics/server.ts), closed after the drain
  const metrics = await startMetricsServer({ service: name, ...metricsConfig, log })
  onShutdown(log, config.shutdownGraceMs, () => service.close().finally(() => metrics.close()))
  // The same path as any uncaught error: close-with-grace logs it, drains, exits 1.
  service.failed?.catch((err: unknown) =>
    setImmediate(() => {
      throw err
    }),
  )
}
