/**
 * httpbin's authentication checks (GET):
 *
 *   /basic-auth/{user}/{passwd}          200 {"authenticated": true, "user": user} when the request's Basic
 *                                        credentials are exactly user:passwd; else 401 unauthorized with
 *                                        WWW-Authenticate: Basic realm="Fake Realm"
 *   /hidden-basic-auth/{user}/{passwd}   the same, but 404 not_found instead of 401 (no challenge)
 *   /bearer                              200 {"authenticated": true, "token": token} for
 *                                        `Authorization: Bearer <token>`; else 401 with WWW-Authenticate: Bearer
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError } from '../../errors.ts'
import { sendJson } from './echo.ts'

/** Credentials are a Basic Authorization header's user and password. */
export interface Credentials {
  readonly user: string
  readonly password: string
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })
const LATIN1 = new TextDecoder('latin1')

/**
 * basicCredentials reads `Authorization: Basic base64(user:password)`. The bytes are UTF-8,
 * or Latin-1 where they are not (what requests sends for non-ASCII str credentials).
 */
export function basicCredentials(header: string | undefined): Credentials | undefined {
  const m = header === undefined ? null : /^basic +([A-Za-z0-9+/]+=*) *$/i.exec(header)
  if (!m) return undefined
  const bytes = Buffer.from(m[1] as string, 'base64')
  let text: string
  try {
    text = UTF8.decode(bytes)
  } catch {
    text = LATIN1.decode(bytes)
  }
  const colon = text.indexOf(':')
  return colon === -1 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) }
}

type AuthParams = { Params: { user: string; passwd: string } }

/** authenticated says whether the request carries exactly the route's user and password. */
function authenticated(request: FastifyRequest<AuthParams>): boolean {
  const given = basicCredentials(request.headers.authorization)
  return given?.user === request.params.user && given.password === request.params.passwd
}

export function registerAuthRoutes(app: FastifyInstance): void {
  app.get<AuthParams>('/basic-auth/:user/:passwd', (request, reply) => {
    if (!authenticated(request))
      throw new HttpError('UNAUTHORIZED', `Basic credentials for user "${request.params.user}" are required`)
    return sendJson(reply, { authenticated: true, user: request.params.user })
  })

  app.get<AuthParams>('/hidden-basic-auth/:user/:passwd', (request, reply) => {
    if (!authenticated(request))
      throw new HttpError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)
    return sendJson(reply, { authenticated: true, user: request.params.user })
  })

  app.get('/bearer', (request, reply) => {
    const header = request.headers.authorization
    if (!header?.startsWith('Bearer ')) {
      reply.header('www-authenticate', 'Bearer')
      throw new HttpError('UNAUTHORIZED', 'a bearer token is required: Authorization: Bearer <token>')
    }
    return sendJson(reply, { authenticated: true, token: header.slice('Bearer '.length) })
  })
}
