/**
 * Request bodies. The app keeps every body as raw bytes (one catch-all content-type
 * parser, bounded by HTTP_MAX_BODY_BYTES); routes then read them as JSON, a form, or
 * text, here, with the service's limits and error codes. Multipart bodies are streamed
 * by @fastify/multipart instead (see routes/httpbin).
 */
import type { FastifyRequest } from 'fastify'
import { HttpError } from './errors.ts'

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

const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * JsonDepthScanner finds the deepest nesting of arrays and objects in JSON text fed to it in
 * pieces, skipping strings. The app runs one over each JSON-ish request body while it
 * arrives (a preParsing hook), so the check overlaps the transfer; hostile nesting costs O(n)
 * and never reaches JSON.parse (which would spend seconds and hundreds of MB on it).
 */
export class JsonDepthScanner {
  /** the deepest nesting seen so far */
  max = 0
  /** how many bytes were scanned */
  bytes = 0
  #depth = 0
  #inString = false
  #escaped = false

  push(chunk: Uint8Array): void {
    let depth = this.#depth
    let max = this.max
    let inString = this.#inString
    let i = 0
    if (this.#escaped) {
      i = 1 // the byte after a backslash that ended the previous chunk
      this.#escaped = false
    }
    const n = chunk.length
    for (; i < n; i++) {
      const c = chunk[i]
      if (inString) {
        if (c === BACKSLASH) i++
        else if (c === QUOTE) inString = false
      } else if (c === QUOTE) inString = true
      else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
        depth++
        if (depth > max) max = depth
      } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--
    }
    if (i > n) this.#escaped = true
    this.#depth = depth
    this.max = max
    this.#inString = inString
    this.bytes += n
  }
}

/** jsonDepth is the deepest nesting of arrays and objects in JSON text (see JsonDepthScanner). */
export function jsonDepth(bytes: Uint8Array): number {
  const scanner = new JsonDepthScanner()
  scanner.push(bytes)
  return scanner.max
}

const scanners = new WeakMap<FastifyRequest, JsonDepthScanner>()

/** scanWhileReceiving gives `request` a depth scanner fed by every chunk of its body. */
export function scanWhileReceiving(request: FastifyRequest): JsonDepthScanner {
  const scanner = new JsonDepthScanner()
  scanners.set(request, scanner)
  return scanner
}

/**
 * parseJson parses a JSON body within the depth limit; errors are 400 invalid_json /
 * json_too_deep. The depth comes from the scan made while the body arrived when there was one
 * over exactly these bytes, else from a scan now.
 */
export function parseJson(bytes: Buffer, maxDepth: number, request?: FastifyRequest): unknown {
  if (bytes.length === 0) throw new HttpError('invalid_json', 'request body is empty; expected JSON')
  const scanned = request === undefined ? undefined : scanners.get(request)
  const depth = scanned !== undefined && scanned.bytes === bytes.length ? scanned.max : jsonDepth(bytes)
  if (depth > maxDepth)
    throw new HttpError('json_too_deep', `JSON body is nested deeper than ${maxDepth} levels`)
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new HttpError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`, {
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
