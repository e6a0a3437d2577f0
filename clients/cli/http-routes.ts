/**
 * The HTTP service's routes table, for completion: the app is built (never listening) and
 * Fastify's printed route tree read back. Loaded only when a path is first completed.
 */
import { createLogger } from '../../lib/log.ts'
import { buildApp } from '../../services/http/app.ts'
import { loadHttpConfig } from '../../services/http/config.ts'
import { parseRouteTree } from './completion.ts'

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** httpRouteTable lists, for each method, the paths that take it, parameters cut off (`/delay/`). */
export async function httpRouteTable(): Promise<ReadonlyMap<string, readonly string[]>> {
  const app = buildApp(loadHttpConfig({}), createLogger('http', 'silent'))
  try {
    await app.ready()
    return new Map(
      METHODS.map((method) => [method, parseRouteTree(app.printRoutes({ commonPrefix: false, method }))]),
    )
  } finally {
    await app.close()
  }
}
