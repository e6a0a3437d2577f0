/** The UDP service's process entry point. */
import { runService } from '../../lib/main.ts'
import { loadUdpConfig } from './config.ts'
import { startUdpService } from './server.ts'

await runService('udp', loadUdpConfig, startUdpService)
