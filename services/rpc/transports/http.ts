/**
 * The RPC service's HTTP port (15000, like the seed's KeyValueServer):
 *
 *   POST / or /RPC2     XML-RPC (text/xml), what xmlrpc.client.ServerProxy sends
 *   POST /jsonrpc       JSON-RPC 2.0 (application/json); 204 when only notifications came
 *   anything else       404 / 405 as a JSON error, like the HTTP service
 *
 * A gzip-encoded request (xmlrpc.client's encode_threshold) is accepted and inflated up
 * to RPC_MAX_REQUEST_BYTES, as Python's server does; other encodings are 501.
 *
 * Every request reserves its body from the memory budget before it is read: three times the
 * Content-Length (the chunks read, the bytes they are joined into, their text) up front, or chunk by chunk when the body is
 * chunked, and what gzip inflates to as it inflates. The dispatchers then charge the decoded
 * values and the reply to the same reservation, which is released when the response is done.
 * No room: the protocol's own BUSY (an XML-RPC fault -32001 on / and /RPC2, a JSON-RPC error
 * -32001 on /jsonrpc), or 503 with the JSON error elsewhere, each with Retry-After; a body
 * refused up front is read and dropped first, so that the client, still sending, gets it.
 */

import { pipeline, Transform } from 'node:stream'
import { finished } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { httpErrorBody } from '../../../lib/error-catalogue.ts'
import type { Logger } from '../../../lib/log.ts'
import { lingerAfterTooLarge } from '../../../lib/net/http-connections.ts'
import { busy, RpcLimitError } from '../../../protocols/py-error.ts'
import { encodeFault } from '../../../protocols/xmlrpc/codec.ts'
import type { TransportOptions } from '../config.ts'
import { RPC_ERRORS, type RpcHttpErrorCode } from '../errors.ts'
import type { Registry } from '../methods/registry.ts'
import { handleJsonRpc, type JsonRpcContext, limitReply } from './jsonrpc.ts'
import { RequestHold } from './request-hold.ts'
import { handleXmlRpc, limitFault, type XmlRpcContext } from './xmlrpc.ts'

/** a body is held three times: the chunks read, the bytes they are joined into, their text */
const BODY_COST_FACTOR = 3
/** seconds a client refused with BUSY is asked to wait (Retry-After) */
export const RPC_RETRY_AFTER_S = 1

/** httpError writes the catalogue's `code` as the one HTTP JSON error body. */
function httpError(reply: FastifyReply, code: RpcHttpErrorCode, message: string): FastifyReply {
  const { status } = RPC_ERRORS[code]
  return reply
    .code(status)
    .type('application/json')
    .send(httpErrorBody(code, message, status))
}

/** refuseBusy answers a request the budget cannot hold, in the form its path speaks. */
function refuseBusy(req: FastifyRequest, reply: FastifyReply, err: RpcLimitError, log: Logger): FastifyReply {
  const path = req.url.split('?', 1)[0] ?? '/'
  log.warn({ code: err.code, url: path }, 'limit reached')
  reply.header('retry-after', String(RPC_RETRY_AFTER_S))
  if (req.method === 'POST' && (path === '/' || path === '/RPC2')) {
    const f = limitFault(err)
    return reply.code(200).type('text/xml').send(encodeFault(f.faultCode, f.faultString))
  }
  if (req.method === 'POST' && path === '/jsonrpc')
    return reply.code(200).type('application/json').send(limitReply(null, err))
  return httpError(reply, 'BUSY', err.message)
}

/** inflate gunzips `body` up to `max` bytes, charging what it produces to `hold` as it goes. */
async function inflate(body: Buffer, max: number, hold: RequestHold): Promise<string> {
  const gunzip = createGunzip()
  gunzip.end(body)
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > max) throw new Error(`it inflates past ${max} bytes`)
      if (!hold.grow(BODY_COST_FACTOR * chunk.length)) throw busy('the inflated request')
      chunks.push(chunk)
    }
  } finally {
    gunzip.destroy()
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** requestText is the body as text, inflated when gzip-encoded; undefined when the reply was sent. */
async function requestText(
  req: FastifyRequest,
  reply: FastifyReply,
  max: number,
  hold: RequestHold,
  log: Logger,
): Promise<string | undefined> {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding === 'identity') return body.toString('utf8')
  if (encoding !== 'gzip') {
    await httpError(reply, 'UNSUPPORTED_ENCODING', `Content-Encoding ${encoding} is not supported (gzip is)`)
    return undefined
  }
  try {
    return await inflate(body, max, hold)
  } catch (err) {
    if (err instanceof RpcLimitError) await refuseBusy(req, reply, err, log)
    else
      await httpError(
        reply,
        'BAD_GZIP',
        `cannot inflate the request within ${max} bytes: ${(err as Error).message}`,
      )
    return undefined
  }
}

/** buildRpcHttpApp is the HTTP side of the RPC service; the caller listens. */
export function buildRpcHttpApp(registry: Registry, opts: TransportOptions, log: Logger): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxRequestBytes,
    keepAliveTimeout: 5000,
    requestTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })
  const decoded = { maxDecodedBytes: opts.budget.limitBytes, maxIntDigits: opts.maxIntDigits }
  const xmlCtx: XmlRpcContext = {
    registry,
    limits: {
      maxBytes: opts.maxRequestBytes,
      maxDepth: opts.maxDepth,
      maxMembers: opts.maxItems,
      maxStringBytes: opts.maxRequestBytes,
      ...decoded,
    },
    maxReplyBytes: opts.maxReplyBytes,
    maxBatchCalls: opts.maxBatchCalls,
    log,
  }
  const jsonCtx: JsonRpcContext = {
    registry,
    limits: {
      maxBytes: opts.maxRequestBytes,
      maxDepth: opts.maxDepth,
      maxBatch: opts.maxBatchCalls,
      maxItems: opts.maxItems,
      ...decoded,
    },
    maxReplyBytes: opts.maxReplyBytes,
    log,
  }
  const holds = new WeakMap<FastifyRequest, RequestHold>()
  const holdOf = (req: FastifyRequest): RequestHold => holds.get(req) as RequestHold

  app.addHook('onRequest', async (req, reply) => {
    const hold = new RequestHold(opts.budget)
    holds.set(req, hold)
    reply.raw.once('close', () => hold.release())
    const length = Number(req.headers['content-length'] ?? 0)
    // A length over the body limit is left to Fastify's own 413.
    if (length > 0 && length <= opts.maxRequestBytes && !hold.grow(BODY_COST_FACTOR * length)) {
      // Read the body and drop it, holding nothing, before answering: a client that sends its
      // whole request before reading (xmlrpc.client does) then gets the fault, not a reset.
      await finished(req.raw.resume()).catch(() => undefined)
      return refuseBusy(req, reply, busy('the request body', length), log)
    }
  })
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (req.headers['content-length'] !== undefined) return payload
    // Chunked: reserve each chunk as it arrives; no room fails the body with BUSY.
    const hold = holdOf(req)
    const accounted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (hold.grow(BODY_COST_FACTOR * chunk.length)) done(null, chunk)
        else done(busy('the request body'))
      },
    })
    return pipeline(payload, accounted, () => undefined)
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  const xmlrpc = async (req: FastifyRequest, reply: FastifyReply) => {
    const hold = holdOf(req)
    const text = await requestText(req, reply, opts.maxRequestBytes, hold, log)
    if (text === undefined) return reply
    const xml = await handleXmlRpc(text, xmlCtx, hold)
    return reply.type('text/xml').send(xml)
  }
  app.post('/', xmlrpc)
  app.post('/RPC2', xmlrpc)
  app.post('/jsonrpc', async (req, reply) => {
    const hold = holdOf(req)
    const text = await requestText(req, reply, opts.maxRequestBytes, hold, log)
    if (text === undefined) return reply
    const out = await handleJsonRpc(text, jsonCtx, hold)
    return out === undefined ? reply.code(204).send() : reply.type('application/json').send(out)
  })

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0] ?? '/'
    if (['/', '/RPC2', '/jsonrpc'].includes(path))
      return httpError(
        reply.header('allow', 'POST'),
        'METHOD_NOT_ALLOWED',
        `${req.method} ${path}: XML-RPC and JSON-RPC take POST`,
      )
    return httpError(
      reply,
      'NOT_FOUND',
      `no route for ${req.method} ${path}; XML-RPC is POST / or /RPC2, JSON-RPC POST /jsonrpc`,
    )
  })
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof RpcLimitError) return refuseBusy(req, reply, err, log)
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) log.error({ err, url: req.url }, 'request failed')
    else log.info({ code: err.code, url: req.url }, 'client error')
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') lingerAfterTooLarge(req, reply)
    const code: RpcHttpErrorCode =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'BODY_TOO_LARGE'
        : status === 500
          ? 'INTERNAL_ERROR'
          : 'BAD_REQUEST'
    const body = httpErrorBody(code, status === 500 ? 'internal error' : err.message, status)
    return reply.code(status).type('application/json').send(body)
  })
  return app
}
