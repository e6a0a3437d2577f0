/**
 * httpbin's response formats (GET):
 *
 *   /json            a slideshow, as JSON
 *   /xml             the slideshow, as application/xml
 *   /html            an HTML page: an h1 and a paragraph of Moby-Dick
 *   /robots.txt      User-agent: *, Disallow: /deny
 *   /deny            a text page robots.txt keeps crawlers from
 *   /encoding/utf8   an HTML page in many scripts
 *   /gzip            {"gzipped": true, headers, method, origin}, Content-Encoding: gzip (always)
 *   /deflate         {"deflated": true, headers, method, origin}, Content-Encoding: deflate (zlib)
 */
import { deflateSync, gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { origin, prettyJson, requestHeaders } from './echo.ts'
import { DENY_TEXT, MOBY_DICK_HTML, ROBOTS_TXT, SLIDESHOW, SLIDESHOW_XML, UTF8_HTML } from './samples.ts'

const HTML = 'text/html; charset=utf-8'
const TEXT = 'text/plain; charset=utf-8'

/** ENCODINGS are /gzip's and /deflate's codings, with the flag each body carries. */
const ENCODINGS = [
  { url: '/gzip', coding: 'gzip', flag: 'gzipped', compress: gzipSync },
  { url: '/deflate', coding: 'deflate', flag: 'deflated', compress: deflateSync },
] as const

function encodedEcho(request: FastifyRequest, flag: string): Record<string, unknown> {
  return { [flag]: true, headers: requestHeaders(request), method: request.method, origin: origin(request) }
}

export function registerFormatRoutes(app: FastifyInstance): void {
  const slideshow = prettyJson(SLIDESHOW)
  const documents: readonly [string, string, string][] = [
    ['/xml', 'application/xml', SLIDESHOW_XML],
    ['/html', HTML, MOBY_DICK_HTML],
    ['/robots.txt', TEXT, ROBOTS_TXT],
    ['/deny', TEXT, DENY_TEXT],
    ['/encoding/utf8', HTML, UTF8_HTML],
  ]
  app.get('/json', (_request, reply) => reply.type('application/json').send(slideshow))
  for (const [url, type, body] of documents) app.get(url, (_request, reply) => reply.type(type).send(body))

  for (const { url, coding, flag, compress } of ENCODINGS) {
    app.get(url, (request, reply) =>
      reply
        .type('application/json')
        .header('content-encoding', coding)
        .send(compress(Buffer.from(prettyJson(encodedEcho(request, flag))))),
    )
  }
}
