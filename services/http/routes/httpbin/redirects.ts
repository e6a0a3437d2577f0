/**
 * httpbin's redirects (n from 1 to MAX_REDIRECTS, else 400 invalid_parameter):
 *
 *   GET /redirect/{n}             302 chain of n: /relative-redirect/{n-1} ... /get;
 *                                 `?absolute=true`: http://<Host>/absolute-redirect/{n-1} ... http://<Host>/get
 *   GET /relative-redirect/{n}    302 to /relative-redirect/{n-1}, the last to /get
 *   GET /absolute-redirect/{n}    302 to http://<Host>/absolute-redirect/{n-1}, the last to http://<Host>/get
 *   *   /redirect-to?url=/path&status_code=302
 *                                 a redirect (status 300-399, default 302) to a path on this server; only a
 *                                 relative URL starting with a single "/" is taken (httpbin is an open
 *                                 redirect; a lab must not be one): anything else is 400 invalid_parameter
 * (*: GET POST PUT PATCH DELETE TRACE; HEAD comes with every GET)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError } from '../../errors.ts'
import { checkLimit } from './dynamic.ts'
import { ALL_METHODS, fullUrl } from './echo.ts'

/** MAX_REDIRECTS is the longest chain /redirect/{n} makes. */
export const MAX_REDIRECTS = 100

/** LOCAL_PATH is a path on this server: one "/" (not "//" or "/\", which browsers read as another host), then visible ASCII. */
const LOCAL_PATH = /^\/(?![/\\])[\x21-\x7e]*$/

/** isLocalPath says whether /redirect-to may send a client to `url`. */
export function isLocalPath(url: string): boolean {
  return LOCAL_PATH.test(url)
}

type Kind = 'relative' | 'absolute'

/** nextHop is where step n of a chain points: the next step, or /get at the end. */
function nextHop(request: FastifyRequest, kind: Kind, n: number): string {
  const path = n <= 1 ? '/get' : `/${kind}-redirect/${n - 1}`
  return kind === 'absolute' ? fullUrl(request, path) : path
}

const chainSchema = {
  params: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] },
} as const

export function registerRedirectRoutes(app: FastifyInstance): void {
  const chain = (url: string, kind: (request: FastifyRequest) => Kind): void => {
    app.get<{ Params: { n: number } }>(url, { schema: chainSchema }, (request, reply) => {
      const { n } = request.params
      checkLimit('n', n, MAX_REDIRECTS, 'redirects')
      return reply.redirect(nextHop(request, kind(request), n), 302)
    })
  }
  chain('/redirect/:n', (request) => {
    const { absolute } = request.query as { absolute?: unknown }
    return typeof absolute === 'string' && absolute.toLowerCase() === 'true' ? 'absolute' : 'relative'
  })
  chain('/relative-redirect/:n', () => 'relative')
  chain('/absolute-redirect/:n', () => 'absolute')

  app.route<{ Querystring: { url: string; status_code: number } }>({
    method: ALL_METHODS,
    url: '/redirect-to',
    schema: {
      querystring: {
        type: 'object',
        properties: {
          url: { type: 'string' },
          status_code: { type: 'integer', minimum: 300, maximum: 399, default: 302 },
        },
        required: ['url'],
      },
    },
    handler: (request, reply) => {
      const { url, status_code } = request.query
      if (!isLocalPath(url))
        throw new HttpError(
          'INVALID_PARAMETER',
          `url must be a path on this server starting with a single "/", like /get (this lab is no open redirect); got ${JSON.stringify(url)}`,
        )
      return reply.redirect(url, status_code)
    },
  })
}
