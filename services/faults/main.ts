/**
 * The faults service's process entry point. A FAULTS_CONFIG file that cannot be read or
 * holds a bad proxy is a configuration error like a bad variable: the `invalid
 * configuration` line is logged by start(), and the exit code is 2.
 */
import { LabError } from '../../lib/errors.ts'
import { runService } from '../../lib/main.ts'
import { loadFaultsConfig } from './config.ts'
import { startFaultsService } from './server.ts'

try {
  await runService('faults', loadFaultsConfig, startFaultsService)
} catch (err) {
  if (!(err instanceof LabError && err.code === 'INVALID_CONFIG')) throw err
  process.exitCode = 2
}
