/** The RPC service's process entry point. */
import { runService } from '../../lib/main.ts'
import { loadRpcConfig } from './config.ts'
import { startRpcService } from './server.ts'

await runService('rpc', loadRpcConfig, startRpcService)
