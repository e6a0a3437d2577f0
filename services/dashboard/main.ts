/** The dashboard's process entry point. */
import { runService } from '../../lib/main.ts'
import { loadDashboardConfig } from './config.ts'
import { startDashboardService } from './server.ts'

await runService('dashboard', loadDashboardConfig, startDashboardService)
