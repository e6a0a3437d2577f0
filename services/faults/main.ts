/**
 * The faults service's process entry point. A FAULTS_CONFIG file that cannot be read or
 * holds a bad proxy is a configuration error like a bad variable: start() throws
 * INVALID_CONFIG, and lib/main.ts logs `invalid configuration` and exits 2.
 */
import { runService } from '../../lib/main.ts'
import { loadFaultsConfig } from './config.ts'
import { startFaultsService } from './server.ts'

await runService('faults', loadFaultsConfig, startFaultsService)
