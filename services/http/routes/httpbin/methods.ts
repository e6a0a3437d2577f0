/**
 * httpbin's HTTP-method echoes:
 *
 *   GET    /get                 {args, headers, origin, url}
 *   POST   /post                {args, data, files, form, headers, json, origin, url}
 *   PUT    /put   PATCH /patch   DELETE /delete      the same as /post
 *   *      /anything[/{path}]   the same as /post plus `method`, for GET POST PUT PATCH DELETE TRACE (and HEAD)
 *
 * A wrong method is the app's 405 with Allow (GET /post → Allow: POST).
 */
import type { FastifyInstance } from 'fastify'
import { multipartScope } from '../../body.ts'
import type { RequestBudget } from '../../budget.ts'
import type { HttpConfig } from '../../config.ts'
import { ALL_METHODS, basicEcho, bodyEcho, sendJson } from './echo.ts'

export function registerMethodRoutes(app: FastifyInstance, config: HttpConfig, budget: RequestBudget): void {
  app.get('/get', (request, reply) => sendJson(reply, basicEcho(request)))

  multipartScope(app, config, (scope) => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      scope.route({
        method,
        url: `/${method.toLowerCase()}`,
        handler: async (request, reply) => sendJson(reply, await bodyEcho(request, config, budget)),
      })
    }

    for (const url of ['/anything', '/anything/*']) {
      scope.route({
        method: ALL_METHODS,
        url,
        handler: async (request, reply) => sendJson(reply, await bodyEcho(request, config, budget, true)),
      })
    }
  })
}
