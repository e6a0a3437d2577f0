/**
 * Fuzz: HTTP body handling (services/http/body.ts) and the whole app (buildApp via
 * Fastify's inject) under random methods, paths, content types, headers and bodies.
 * Every refusal is the service's JSON error form with a catalogued code, and nothing
 * becomes a 500.
 */

import fc from 'fast-check'
import type { FastifyRequest } from 'fastify'
import { afterAll, describe, it } from 'vitest'
import { jsonDepth, mediaType, parseForm, parseJson } from '../../../services/http/body.ts'
import { HTTP_ERRORS, HttpError } from '../../../services/http/errors.ts'
import { check, checkAsync } from '../../support/fuzz-budget.ts'
import { httpbinApp } from '../../support/httpbin-app.ts'
import { hostile } from '../../support/mutate.ts'

const depthOf = (v: unknown): number =>
  v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0

const json = fc.jsonValue({ maxDepth: 6 })
const jsonBytes = json.map((v) => Buffer.from(JSON.stringify(v)))

describe('fuzz: HTTP body handling', () => {
  it('jsonDepth is the nesting depth of any JSON value', () => {
    check(
      'http-body',
      'jsonDepth',
      fc.property(json, (v) => {
        const text = Buffer.from(JSON.stringify(v))
        if (jsonDepth(text) !== depthOf(v)) throw new Error(`depth ${jsonDepth(text)} != ${depthOf(v)}`)
      }),
    )
  })

  it('parseJson returns what JSON.parse does, or throws INVALID_JSON / JSON_TOO_DEEP', () => {
    check(
      'http-body',
      'parseJson',
      fc.property(hostile(jsonBytes), fc.integer({ min: 1, max: 8 }), (bytes, maxDepth) => {
        let parsed: unknown
        try {
          parsed = parseJson(bytes, maxDepth)
        } catch (err) {
          if (!(err instanceof HttpError)) throw err
          const want = bytes.length > 0 && jsonDepth(bytes) > maxDepth ? 'JSON_TOO_DEEP' : 'INVALID_JSON'
          if (err.code !== want || err.status !== 400)
            throw new Error(`${err.code} (${err.status}), want ${want}`)
          return
        }
        if (JSON.stringify(parsed) !== JSON.stringify(JSON.parse(bytes.toString('utf8'))))
          throw new Error('parseJson disagrees with JSON.parse')
        if (depthOf(parsed) > maxDepth) throw new Error('a value deeper than the limit got through')
      }),
    )
  })

  it('mediaType is the trimmed, lower-cased type without parameters', () => {
    check(
      'http-body',
      'mediaType',
      fc.property(fc.option(fc.string({ unit: 'binary-ascii', maxLength: 60 })), (header) => {
        const request = { headers: header === null ? {} : { 'content-type': header } } as FastifyRequest
        const type = mediaType(request)
        const want = header ? (header.split(';', 1)[0] as string).trim().toLowerCase() : ''
        if (type !== want) throw new Error(`${JSON.stringify(type)} != ${JSON.stringify(want)}`)
      }),
    )
  })

  it('parseForm reads back every pair a form encoder wrote, `__proto__` included', () => {
    const name = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('__proto__', 'constructor', 'toString'),
    )
    check(
      'http-body',
      'parseForm',
      fc.property(
        fc.array(fc.tuple(name, fc.string({ unit: 'grapheme', maxLength: 12 })), { maxLength: 12 }),
        (pairs) => {
          const form = parseForm(Buffer.from(new URLSearchParams(pairs).toString()))
          const want = new Map<string, string[]>()
          for (const [k, v] of pairs) want.set(k, [...(want.get(k) ?? []), v])
          if (Object.getPrototypeOf(form) !== null) throw new Error('form has a prototype')
          if (Object.keys(form).length !== want.size) throw new Error('wrong number of names')
          for (const [k, vs] of want) {
            const got = form[k]
            if (JSON.stringify(vs.length === 1 ? vs[0] : vs) !== JSON.stringify(got))
              throw new Error(`${k}: ${got}`)
          }
        },
      ),
    )
  })
})

describe('fuzz: HTTP app (inject)', () => {
  const app = httpbinApp({ HTTP_MAX_BODY_BYTES: '4096', HTTP_MAX_JSON_DEPTH: '4' })
  afterAll(() => app.close())

  const paths = fc.oneof(
    fc.constantFrom('/post', '/put', '/patch', '/delete', '/anything', '/anything/x', '/data/', '/get'),
    fc.constantFrom(
      '/',
      '/hello/a%20b',
      '/hello?name=x',
      '/status/418',
      '/status/200,201',
      '/headers',
      '/json',
    ),
    fc.constantFrom(
      '/bytes/16',
      '/base64/aGk=',
      '/cookies/set?a=b',
      '/response-headers?x=1',
      '/redirect-to?url=/get',
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 24 }).map((s) => `/${encodeURI(s)}`),
  )
  const contentType = fc.option(
    fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/x-www-form-urlencoded',
        'text/plain',
        'application/vnd.x+json',
      ),
      fc.constantFrom(
        'multipart/form-data; boundary=b',
        'multipart/form-data',
        'application/json; charset=utf-8',
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 30 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s)),
    ),
  )
  /** extra request headers: the ones routes read, and random ones, all printable ASCII */
  const headers = fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'accept',
        'accept-encoding',
        'authorization',
        'cookie',
        'if-none-match',
        'range',
        'x-forwarded-for',
      ),
      fc.stringMatching(/^x-[a-z0-9-]{1,12}$/),
    ),
    fc.oneof(
      fc.constantFrom(
        '*/*',
        'gzip, deflate',
        'Basic dXNlcjpwYXNzd2Q=',
        'Bearer t',
        'a=b; c=d',
        'bytes=0-10',
        'bytes=5-2',
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
    ),
    { maxKeys: 4 },
  )
  const body = fc.oneof(
    hostile(jsonBytes),
    hostile(
      fc.constantFrom(
        Buffer.from('a=1&b=2&a=3'),
        Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n'),
      ),
    ),
    fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
    // around HTTP_MAX_BODY_BYTES (4096): fast-check's sizes alone stay far below it
    fc
      .tuple(fc.integer({ min: 4000, max: 4200 }), fc.integer({ min: 0, max: 255 }))
      .map(([n, byte]) => Buffer.alloc(n, byte)),
  )

  it('answers anything with a catalogued status; every error is the JSON error form, never a 500', async () => {
    await checkAsync(
      'http-app',
      'inject',
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        paths,
        contentType,
        headers,
        body,
        async (method, url, type, extra, payload) => {
          const hasBody = method !== 'GET' && method !== 'HEAD'
          const res = await app.inject({
            method: method as 'GET',
            url,
            headers: { ...extra, ...(type === null ? {} : { 'content-type': type }) },
            ...(hasBody ? { payload } : {}),
          })
          if (res.statusCode >= 500) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
          // A body over HTTP_MAX_BODY_BYTES never reaches a route that reads bodies; only a
          // malformed Content-Type (415, checked first) or a streamed multipart one differ.
          const plainType = type === null || /^[a-z]+\/[a-z0-9.+-]+(;.*)?$/.test(type)
          if (
            method === 'POST' &&
            url === '/post' &&
            payload.length > 4096 &&
            !type?.startsWith('multipart/')
          )
            if (res.statusCode !== 413 && !(res.statusCode === 415 && !plainType))
              throw new Error(`a ${payload.length}-byte body with type ${type} got ${res.statusCode}`)
          // /status/<code> answers the status asked for, with httpbin's own bodies (418's teapot).
          if (res.statusCode < 400 || method === 'HEAD' || url.startsWith('/status/')) return
          const err = JSON.parse(res.body) as {
            error: string
            status: number
            code: keyof typeof HTTP_ERRORS
          }
          if (HTTP_ERRORS[err.code] === undefined) throw new Error(`uncatalogued error ${res.body}`)
          if (err.status !== res.statusCode || typeof err.error !== 'string')
            throw new Error(`error body disagrees with the status: ${res.statusCode} ${res.body}`)
        },
      ),
      0.5,
    )
  })
})
