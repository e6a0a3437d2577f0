/**
 * The HTTP app for the httpbin tests: built silent from HTTP_* settings, driven with
 * inject() or, where only a socket shows the behaviour, listening on 127.0.0.1:0.
 */
import type { FastifyInstance } from 'fastify'
import type { Env } from '../../lib/config.ts'
import { createLogger } from '../../lib/log.ts'
import { buildApp } from '../../services/http/app.ts'
import { loadHttpConfig } from '../../services/http/config.ts'

/** ANY_METHODS are the methods httpbin's "any method" routes answer (HEAD comes with GET). */
export const ANY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE'] as const

/** httpbinApp builds the app with `env` on top of the defaults; the caller closes it. */
export function httpbinApp(env: Env = {}): FastifyInstance {
  return buildApp(loadHttpConfig(env), createLogger('http', 'silent'))
}

/** listen binds the app to a free loopback port and returns its base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return `http://127.0.0.1:${address.port}`
}

/** multipartBody writes a multipart/form-data body the way python-requests does. */
export function multipartBody(
  boundary: string,
  parts: readonly { name: string; filename?: string; type?: string; content: string | Buffer }[],
): Buffer {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`
    const type = part.type ? `\r\nContent-Type: ${part.type}` : ''
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`))
    chunks.push(Buffer.from(part.content), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}
