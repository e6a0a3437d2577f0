/**
 * Request bodies. The app keeps every body as raw bytes (one catch-all content-type
 * parser, bounded by HTTP_MAX_BODY_BYTES); routes then read them as JSON, a form, or
 * text, here, with the service's limits and error codes. Multipart bodies are streamed
 * by @fastify/multipart instead, on the routes that read them (multipartScope).
 */
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { HttpConfig } from './config.ts'
import { HttpError } from './errors.ts'
import { JsonScanner } from './json-scan.ts'

/**
 * multipartScope registers routes that read multipart bodies (the httpbin echoes) in a scope
 * of their own with @fastify/multipart and its limits. The plugin adds an onRequest,
 * preValidation and onResponse hook (and a `close` listener) to every route of its scope, so
 * it stays off the routes that never read a body: elsewhere a multipart body is bytes like
 * any other, for the route to refuse or ignore.
 */
export function multipartScope(
  app: FastifyInstance,
  config: HttpConfig,
  register: (scope: FastifyInstance) => void,
): void {
  void app.register(async (scope) => {
    await scope.register(multipart, {
      limits: {
        fileSize: config.maxBodyBytes,
        fieldSize: config.maxBodyBytes,
        parts: config.maxMultipartParts,
        headerPairs: 100,
      },
    })
    register(scope)
  })
}

/** mediaType is the request's Content-Type without parameters, lower-cased ('' when absent). */
export function mediaType(request: FastifyRequest): string {
  const header = request.headers['content-type']
  if (!header) return ''
  const semi = header.indexOf(';')
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase()
}

/** isJsonType says whether a media type carries JSON (`application/json`, `application/*+json`). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/** rawBody is the request body as bytes; empty when there was none. */
export function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
}

/** jsonDepth is the deepest nesting of arrays and objects in JSON text (see JsonScanner). */
export function jsonDepth(bytes: Uint8Array): number {
  return scanJson(bytes).max
}

/** scanJson scans a whole JSON text at once. */
export function scanJson(bytes: Uint8Array): JsonScanner {
  const scanner = new JsonScanner()
  scanner.push(bytes)
  scanner.end()
  return scanner
}

const scanners = new WeakMap<FastifyRequest, JsonScanner>()

/** scanWhileReceiving gives `request` a JSON scanner fed by every chunk of its body. */
export function scanWhileReceiving(request: FastifyRequest): JsonScanner {
  const scanner = new JsonScanner()
  scanners.set(request, scanner)
  return scanner
}

/**
 * scanOf is the scan of `bytes`, the request's body: the one made while it arrived when
 * there was one over exactly these bytes, else a scan now.
 */
export function scanOf(bytes: Buffer, request?: FastifyRequest): JsonScanner {
  const scanned = request === undefined ? undefined : scanners.get(request)
  return scanned !== undefined && scanned.bytes === bytes.length ? scanned : scanJson(bytes)
}

/**
 * parseJson parses a JSON body within the depth limit; errors are 400 invalid_json /
 * JSON_TOO_DEEP. `text`, when the caller has already decoded the bytes, saves a second copy.
 */
export function parseJson(bytes: Buffer, maxDepth: number, request?: FastifyRequest, text?: string): unknown {
  if (bytes.length === 0) throw new HttpError('INVALID_JSON', 'request body is empty; expected JSON')
  if (scanOf(bytes, request).max > maxDepth)
    throw new HttpError('JSON_TOO_DEEP', `JSON body is nested deeper than ${maxDepth} levels`)
  try {
    return JSON.parse(text ?? bytes.toString('utf8'))
  } catch (err) {
    throw new HttpError('INVALID_JSON', `request body is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/** MultiMap is a query string or form as httpbin reports it: one value → string, several → array. */
export type MultiMap = Record<string, string | string[]>

/** collect folds name/value pairs into a MultiMap (null prototype: `__proto__` is just a name). */
export function collect(pairs: Iterable<readonly [string, string]>): MultiMap {
  const out: MultiMap = Object.create(null)
  for (const [k, v] of pairs) {
    const prev = out[k]
    if (prev === undefined) out[k] = v
    else if (Array.isArray(prev)) prev.push(v)
    else out[k] = [prev, v]
  }
  return out
}

/** parseForm reads an application/x-www-form-urlencoded body. */
export function parseForm(bytes: Buffer): MultiMap {
  return collect(new URLSearchParams(bytes.toString('utf8')))
}
