/** The faults service's process entry point. */
import { runService } from '../../lib/main.ts'
import { loadFaultsConfig } from './config.ts'
import { startFaultsService } from './server.ts'

await runService('faults', loadFaultsConfig, startFaultsService)
