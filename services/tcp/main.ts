/** The TCP service's process entry point. */
import { runService } from '../../lib/main.ts'
import { loadTcpConfig } from './config.ts'
import { startTcpService } from './server.ts'

await runService('tcp', loadTcpConfig, startTcpService)
