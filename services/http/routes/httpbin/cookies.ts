/**
 * httpbin's cookies (GET; @fastify/cookie, registered for these routes only):
 *
 *   /cookies                         {"cookies": {"name": "value", ...}}
 *   /cookies/set?name=value&...      302 to /cookies, Set-Cookie: name=value; Path=/ for each
 *   /cookies/set/{name}/{value}      302 to /cookies, Set-Cookie: name=value; Path=/
 *   /cookies/delete?name&...         302 to /cookies, each cookie expired (Max-Age=0)
 *
 * Values are percent-encoded in Set-Cookie and decoded when read back; a name that is not a
 * cookie name (RFC 6265 token) is 400 invalid_parameter.
 */
import cookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from '../../errors.ts'
import { queryPairs, sendJson, sortKeys } from './echo.ts'

/** COOKIE_NAME is what a cookie name may be: visible ASCII but separators (RFC 6265 token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** checkName refuses what cannot be a cookie name (Set-Cookie could not carry it). */
function checkName(name: string): string {
  if (!COOKIE_NAME.test(name))
    throw new HttpError('INVALID_PARAMETER', `"${name}" is not a valid cookie name (an RFC 6265 token)`)
  return name
}

/** cookiePairs is the query's name/value pairs (the last value wins, as in a cookie jar). */
function cookiePairs(request: FastifyRequest): [string, string][] {
  return queryPairs(request).map(([name, value]) => [checkName(name), value])
}

const toCookies = (reply: FastifyReply): FastifyReply => reply.redirect('/cookies', 302)

export function registerCookieRoutes(app: FastifyInstance): void {
  void app.register(async (scope) => {
    await scope.register(cookie)
    const set = (reply: FastifyReply, pairs: [string, string][]): FastifyReply => {
      for (const [name, value] of pairs) reply.setCookie(name, value, { path: '/', sameSite: false })
      return toCookies(reply)
    }

    scope.get('/cookies', (request, reply) => {
      const cookies: Record<string, string> = Object.create(null)
      for (const [name, value] of Object.entries(request.cookies))
        if (value !== undefined) cookies[name] = value
      return sendJson(reply, { cookies: sortKeys(cookies) })
    })

    scope.get('/cookies/set', (request, reply) => set(reply, cookiePairs(request)))

    scope.get<{ Params: { name: string; value: string } }>('/cookies/set/:name/:value', (request, reply) => {
      return set(reply, [[checkName(request.params.name), request.params.value]])
    })

    scope.get('/cookies/delete', (request, reply) => {
      for (const [name] of cookiePairs(request)) reply.clearCookie(name, { path: '/', sameSite: false })
      return toCookies(reply)
    })
  })
}
