/**
 * The httpbin-compatible surface (postmanlabs/httpbin's routes and response shapes, so
 * clients written against httpbin.org work here unchanged but for host and port), within
 * the service's limits. One file a group:
 *
 *   methods.ts           /get /post /put /patch /delete /anything[/{path}]
 *   inspect.ts           /headers /ip /user-agent
 *   status.ts            /status/{codes}
 *   dynamic.ts           /delay/{n} /drip /bytes/{n} /stream-bytes/{n} /stream/{n} /range/{n} /uuid /base64/{value}
 *   cookies.ts           /cookies /cookies/set /cookies/set/{name}/{value} /cookies/delete
 *   auth.ts              /basic-auth/{user}/{passwd} /hidden-basic-auth/{user}/{passwd} /bearer
 *   redirects.ts         /redirect/{n} /relative-redirect/{n} /absolute-redirect/{n} /redirect-to
 *   formats.ts           /json /xml /html /robots.txt /deny /encoding/utf8 /gzip /deflate
 *   response-headers.ts  /response-headers /cache /cache/{n} /etag/{etag}
 *
 * echo.ts builds the request echo they share; samples.ts holds the fixed documents.
 */
import type { FastifyInstance } from 'fastify'
import type { RequestBudget } from '../../budget.ts'
import type { HttpConfig } from '../../config.ts'
import { registerAuthRoutes } from './auth.ts'
import { registerCookieRoutes } from './cookies.ts'
import { registerDynamicRoutes } from './dynamic.ts'
import { registerFormatRoutes } from './formats.ts'
import { registerInspectRoutes } from './inspect.ts'
import { registerMethodRoutes } from './methods.ts'
import { registerRedirectRoutes } from './redirects.ts'
import { registerResponseHeaderRoutes } from './response-headers.ts'
import { registerStatusRoutes } from './status.ts'

export function registerHttpbinRoutes(app: FastifyInstance, config: HttpConfig, budget: RequestBudget): void {
  registerMethodRoutes(app, config, budget)
  registerInspectRoutes(app)
  registerStatusRoutes(app)
  registerDynamicRoutes(app, config, budget)
  registerCookieRoutes(app)
  registerAuthRoutes(app)
  registerRedirectRoutes(app)
  registerFormatRoutes(app)
  registerResponseHeaderRoutes(app)
}
