/**
 * The seeds' own pages, served as the seeds serve them but with the name HTML-escaped
 * (the seeds interpolate it raw):
 *
 *   GET /                 <h1>Index</h1>                          seed 002 (aiohttp)
 *   GET /hello/{name}     <h1>hello, {name}!</h1>                 seed 002
 *   GET /hello?name=...   a small HTML page, "Hello {name}!"      seed 004 (WSGI PathDispatcher)
 *   GET /localtime        <time><year>...</second></time> XML     seed 004
 */
import type { FastifyInstance } from 'fastify'
import { escapeHtml } from '../../../protocols/seed-documents.ts'
import { HttpError } from '../errors.ts'

/** helloPage is seed 004's hello_world response, with the name escaped. */
export function helloPage(name: string): string {
  const n = escapeHtml(name)
  return `<html>
  <head>
     <title>Hello ${n}</title>
   </head>
   <body>
     <h1>Hello ${n}!</h1>
   </body>
</html>`
}

/** localtimeXml is seed 004's localtime response for a moment, in the container's zone. */
export function localtimeXml(t: Date): string {
  return `<?xml version="1.0"?>
<time>
  <year>${t.getFullYear()}</year>
  <month>${t.getMonth() + 1}</month>
  <day>${t.getDate()}</day>
  <hour>${t.getHours()}</hour>
  <minute>${t.getMinutes()}</minute>
  <second>${t.getSeconds()}</second>
</time>`
}

const HTML = 'text/html; charset=utf-8'

export function registerSeedRoutes(app: FastifyInstance): void {
  app.get('/', (_req, reply) => reply.type(HTML).send('<h1>Index</h1>'))

  app.get<{ Params: { name: string } }>('/hello/:name', (req, reply) =>
    reply.type(HTML).send(`<h1>hello, ${escapeHtml(req.params.name)}!</h1>`),
  )

  app.get<{ Querystring: { name?: string | string[] } }>('/hello', (req, reply) => {
    const name = req.query.name
    if (typeof name !== 'string')
      throw new HttpError('INVALID_PARAMETER', 'query parameter "name" is required, once: /hello?name=Guido')
    return reply.type(HTML).send(helloPage(name))
  })

  app.get('/localtime', (_req, reply) => reply.type('application/xml').send(localtimeXml(new Date())))
}
