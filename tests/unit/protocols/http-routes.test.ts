/** protocols/http-routes.ts is written out by hand: it must be exactly what the HTTP app routes. */
import { describe, expect, it } from 'vitest'
import { parseRouteTree } from '../../../clients/cli/completion.ts'
import { createLogger } from '../../../lib/log.ts'
import { HTTP_ROUTE_METHODS, HTTP_ROUTES } from '../../../protocols/http-routes.ts'
import { buildApp } from '../../../services/http/app.ts'
import { loadHttpConfig } from '../../../services/http/config.ts'

describe('HTTP_ROUTES', () => {
  it('lists, per method, the paths the HTTP service routes, in its order', async () => {
    const app = buildApp(loadHttpConfig({}), createLogger('http', 'silent'))
    try {
      await app.ready()
      for (const method of HTTP_ROUTE_METHODS) {
        expect({ method, paths: HTTP_ROUTES.get(method) }).toEqual({
          method,
          paths: parseRouteTree(app.printRoutes({ commonPrefix: false, method })),
        })
      }
      expect([...HTTP_ROUTES.keys()]).toEqual([...HTTP_ROUTE_METHODS])
    } finally {
      await app.close()
    }
  })
})
