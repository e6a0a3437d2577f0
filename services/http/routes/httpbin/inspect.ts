/**
 * httpbin's request inspection:
 *
 *   GET /headers      {"headers": {"Host": ..., "User-Agent": ...}}   (Title-Case, repeats joined with ",";
 *                     proxy headers such as X-Forwarded-For only with ?show_env=1)
 *   GET /ip           {"origin": "<X-Forwarded-For, else the client address>"}
 *   GET /user-agent   {"user-agent": "<User-Agent>"}                   (null when none was sent)
 */
import type { FastifyInstance } from 'fastify'
import { origin, requestHeaders, sendJson } from './echo.ts'

export function registerInspectRoutes(app: FastifyInstance): void {
  app.get('/headers', (request, reply) => sendJson(reply, { headers: requestHeaders(request) }))
  app.get('/ip', (request, reply) => sendJson(reply, { origin: origin(request) }))
  app.get('/user-agent', (request, reply) =>
    sendJson(reply, { 'user-agent': request.headers['user-agent'] ?? null }),
  )
}
