/**
 * httpbin's status codes, for GET POST PUT PATCH DELETE TRACE (and HEAD):
 *
 *   /status/{code}                  that status, empty body, except:
 *                                     301 302 303 305 307 308  Location: /redirect/1
 *                                     401  WWW-Authenticate: Basic realm="Fake Realm"
 *                                     407  Proxy-Authenticate: Basic realm="Fake Realm"
 *                                     418  a teapot, as text
 *   /status/200,404,500             one of them, at random
 *   /status/200:0.7,500:0.3         weighted at random (a code without a weight weighs 1)
 *
 * Codes are 200 to 599 (a 1xx is not a final answer); anything else is 400 invalid_parameter.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { HttpError } from '../../errors.ts'
import { ALL_METHODS } from './echo.ts'
import { TEAPOT } from './samples.ts'

/** WeightedCode is one choice of /status/{codes}. */
export interface WeightedCode {
  readonly code: number
  readonly weight: number
}

const CODE = /^[0-9]{3}$/
const WEIGHT = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/
const USAGE = 'expected a code from 200 to 599, a list like 200,404 or weights like 200:0.7,500:0.3'

/** parseStatusCodes reads `200`, `200,404` or `200:0.7,500:0.3`. */
export function parseStatusCodes(spec: string): WeightedCode[] {
  const choices = spec.split(',').map((choice): WeightedCode => {
    const colon = choice.indexOf(':')
    const codeText = colon === -1 ? choice : choice.slice(0, colon)
    const weightText = colon === -1 ? '1' : choice.slice(colon + 1)
    const code = Number(codeText)
    if (!CODE.test(codeText) || code < 200 || code > 599)
      throw new HttpError('INVALID_PARAMETER', `invalid status code "${codeText}": ${USAGE}`)
    if (!WEIGHT.test(weightText))
      throw new HttpError('INVALID_PARAMETER', `invalid weight "${weightText}" for status ${code}: ${USAGE}`)
    return { code, weight: Number(weightText) }
  })
  if (choices.reduce((sum, c) => sum + c.weight, 0) <= 0)
    throw new HttpError('INVALID_PARAMETER', `the weights in "${spec}" add up to 0: ${USAGE}`)
  return choices
}

/** pickWeighted draws one code; `random` returns a number in [0, 1). */
export function pickWeighted(choices: readonly WeightedCode[], random: () => number = Math.random): number {
  const total = choices.reduce((sum, c) => sum + c.weight, 0)
  let r = random() * total
  for (const c of choices) {
    if (r < c.weight) return c.code
    r -= c.weight
  }
  // Rounding can leave r a hair above the last weight: the last non-zero choice wins.
  return choices.findLast((c) => c.weight > 0)?.code ?? (choices[0] as WeightedCode).code
}

const REDIRECTS = new Set([301, 302, 303, 305, 307, 308])
const CHALLENGE = 'Basic realm="Fake Realm"'

/** sendStatus answers with a status code and httpbin's headers and body for it. */
export function sendStatus(reply: FastifyReply, code: number): FastifyReply {
  reply.code(code)
  if (REDIRECTS.has(code)) reply.header('location', '/redirect/1')
  if (code === 401) reply.header('www-authenticate', CHALLENGE)
  if (code === 407) reply.header('proxy-authenticate', CHALLENGE)
  if (code === 418)
    return reply
      .header('x-more-info', 'http://tools.ietf.org/html/rfc2324')
      .type('text/plain; charset=utf-8')
      .send(TEAPOT)
  return reply.send()
}

export function registerStatusRoutes(app: FastifyInstance): void {
  app.route<{ Params: { codes: string } }>({
    method: ALL_METHODS,
    url: '/status/:codes',
    handler: (request, reply) => sendStatus(reply, pickWeighted(parseStatusCodes(request.params.codes))),
  })
}
