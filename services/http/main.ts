/** The HTTP service's process entry point. */
import { runService } from '../../lib/main.ts'
import { loadHttpConfig } from './config.ts'
import { startHttpService } from './server.ts'

await runService('http', loadHttpConfig, startHttpService)
