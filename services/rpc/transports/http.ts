/**
 * The RPC service's HTTP port (15000, like the seed's KeyValueServer):
 *
 *   POST / or /RPC2     XML-RPC (text/xml), what xmlrpc.client.ServerProxy sends
 *   POST /jsonrpc       JSON-RPC 2.0 (application/json); 204 when only notifications came
 *   anything else       404 / 405 as a JSON error, like the HTTP service
 *
 * A gzip-encoded request (xmlrpc.client's encode_threshold) is accepted and inflated up
 * to RPC_MAX_REQUEST_BYTES, as Python's server does; other encodings are 501.
 */

import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from '../../../lib/log.ts'
import type { RpcConfig } from '../config.ts'
import { DEFAULT_JSONRPC_LIMITS } from '../jsonrpc/codec.ts'
import type { Registry } from '../methods/registry.ts'
import { handleJsonRpc } from './jsonrpc.ts'
import { handleXmlRpc } from './xmlrpc.ts'

const inflate = promisify(gunzip)

function httpError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, message, status })
}

/** requestText is the body as text, inflated when gzip-encoded; undefined when the reply was sent. */
async function requestText(
  req: FastifyRequest,
  reply: FastifyReply,
  max: number,
): Promise<string | undefined> {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding === 'identity') return body.toString('utf8')
  if (encoding !== 'gzip') {
    await httpError(
      reply,
      501,
      'unsupported_encoding',
      `Content-Encoding ${encoding} is not supported (gzip is)`,
    )
    return undefined
  }
  try {
    return (await inflate(body, { maxOutputLength: max })).toString('utf8')
  } catch (err) {
    await httpError(
      reply,
      400,
      'bad_gzip',
      `cannot inflate the request within ${max} bytes: ${(err as Error).message}`,
    )
    return undefined
  }
}

/** buildRpcHttpApp is the HTTP side of the RPC service; the caller listens. */
export function buildRpcHttpApp(registry: Registry, config: RpcConfig, log: Logger): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: config.maxRequestBytes,
    keepAliveTimeout: 5000,
    requestTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })
  const xmlLimits = {
    maxBytes: config.maxRequestBytes,
    maxDepth: config.maxDepth,
    maxMembers: config.maxItems,
    maxStringBytes: config.maxRequestBytes,
  }
  const jsonLimits = {
    maxBytes: config.maxRequestBytes,
    maxDepth: config.maxDepth,
    maxBatch: DEFAULT_JSONRPC_LIMITS.maxBatch,
  }
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  const xmlrpc = async (req: FastifyRequest, reply: FastifyReply) => {
    const text = await requestText(req, reply, config.maxRequestBytes)
    if (text === undefined) return reply
    const xml = await handleXmlRpc(text, registry, xmlLimits, log)
    return reply.type('text/xml').send(xml)
  }
  app.post('/', xmlrpc)
  app.post('/RPC2', xmlrpc)
  app.post('/jsonrpc', async (req, reply) => {
    const text = await requestText(req, reply, config.maxRequestBytes)
    if (text === undefined) return reply
    const out = await handleJsonRpc(text, registry, jsonLimits, log)
    return out === undefined ? reply.code(204).send() : reply.type('application/json').send(out)
  })

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0] ?? '/'
    if (['/', '/RPC2', '/jsonrpc'].includes(path))
      return httpError(
        reply.header('allow', 'POST'),
        405,
        'method_not_allowed',
        `${req.method} ${path}: XML-RPC and JSON-RPC take POST`,
      )
    return httpError(
      reply,
      404,
      'not_found',
      `no route for ${req.method} ${path}; XML-RPC is POST / or /RPC2, JSON-RPC POST /jsonrpc`,
    )
  })
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) log.error({ err, url: req.url }, 'request failed')
    else log.info({ code: err.code, url: req.url }, 'client error')
    const code =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'body_too_large'
        : status === 500
          ? 'internal_error'
          : 'bad_request'
    return httpError(reply, status, code, status === 500 ? 'internal error' : err.message)
  })
  return app
}
