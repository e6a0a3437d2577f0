/**
 * The HTTP service's routes table, for completion: the app is built (never listening) and
 * Fastify's printed route tree read back. Loaded only when a path is first completed.
 */
import { createLogger } from '../../lib/log.ts'
import { buildApp } from '../../services/http/app.ts'
import { loadHttpConfig } from '../../services/http/config.ts'
import { parseRouteTree } from './completion.ts'

/** httpRoutePaths lists the paths that take `method`, parameters cut off (`/delay/`). */
export async function httpRoutePaths(method: string): Promise<readonly string[]> {
  const app = buildApp(loadHttpConfig({}), createLogger('http', 'silent'))
  try {
    await app.ready()
    return parseRouteTree(app.printRoutes({ commonPrefix: false, method: method as 'GET' }))
  } finally {
    await app.close()
  }
}
