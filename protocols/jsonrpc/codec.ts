/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over one text body:
 *
 *   --> {"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}
 *   <-- {"jsonrpc":"2.0","result":19,"id":1}
 *   --> {"jsonrpc":"2.0","method":"update","params":{"k":"v"}}          (notification: no id, no reply)
 *   --> [ …requests… ]                                                   (batch: an array of replies,
 *   <-- [ …responses… ]                                                   none at all if all notify)
 *   <-- {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"}
 *
 * Values map to RpcValue so the same method registry serves XML-RPC and JSON-RPC:
 *
 *   JSON                          RpcValue       written back as
 *   null, true/false, "s"         as is          as is
 *   12, -3, 123456789012345678901 bigint         the exact integer literal
 *   1.5, 1.0, 1e3, 1e16           number         Python's repr: 1.5, 1.0, 1000.0, 1e+16 (as json.dumps)
 *   [ … ], { … }                  array, struct  array, object
 *   —                             Uint8Array     a base64 string (no line breaks)
 *   —                             Date           an ISO 8601 string, `2024-02-29T13:05:09.000Z`
 *   —                             NaN, ±Infinity null (JSON has no spelling for them)
 *
 * A number literal with a `.` or an exponent is a float; any other is an int, kept exact
 * at any size (JSON.parse's reviver sees each literal's source text). Ids keep their
 * form too: a string, an integer (bigint, echoed digit for digit), a float, or null.
 *
 * Limits, checked in this order before a value is built: `maxBytes` (UTF-8 size of the body);
 * `maxDepth` (bracket nesting) and `maxItems` (values: array items, members, scalars), both
 * counted by one scan before JSON.parse runs, so deep input never reaches the parser's
 * recursion; `maxDecodedBytes`, an estimate of what the decoded values will take on the heap
 * (from the same scan, json-value.ts), which a memory-budget hold is then charged with
 * (no room: -32001 Server busy); `maxIntDigits`, the longest integer literal (BigInt parsing
 * is quadratic in the digits); then `maxBatch`. A body over a limit is answered with one
 * -32600 Invalid Request (id null, the reason in `data`) — it may well be valid JSON, we
 * just will not read it — while text that is not JSON is -32700 Parse error.
 */

import { RPC_LIMIT_CODES } from '../py-error.ts'
import { pyFloatRepr } from '../python.ts'
import { type Grower, isStruct, type RpcStruct, type RpcValue, struct } from '../value.ts'
import { decodedEstimate, IntTooLongError, parseJsonValue as parseValue, scanJson } from './json-value.ts'

export interface JsonRpcLimits {
  readonly maxBytes: number
  /** bracket nesting: `{"params":[[1]]}` is 3 deep; a batch adds one */
  readonly maxDepth: number
  readonly maxBatch: number
  /** values in the body: every scalar, array, object and member counts */
  readonly maxItems: number
  /** digits of one integer literal */
  readonly maxIntDigits: number
  /** the estimated heap bytes of the decoded body (text, values, structs) */
  readonly maxDecodedBytes: number
}

export const DEFAULT_JSONRPC_LIMITS: JsonRpcLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 64,
  maxBatch: 1000,
  maxItems: 1_000_000,
  maxIntDigits: 4300,
  maxDecodedBytes: Number.MAX_SAFE_INTEGER,
}

export const PARSE_ERROR = -32700
export const INVALID_REQUEST = -32600
export const METHOD_NOT_FOUND = -32601
export const INVALID_PARAMS = -32602
export const INTERNAL_ERROR = -32603
/** -32000 to -32099 are "Server error", reserved for implementation-defined errors */
export const SERVER_ERROR = -32000
/** netlab's refusals (../errors.ts): the memory budget has no room now; a reply limit */
export const SERVER_BUSY = RPC_LIMIT_CODES.BUSY
export const REPLY_TOO_LARGE = RPC_LIMIT_CODES.REPLY_TOO_LARGE

/** the spec's message for each predefined code */
export const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  [PARSE_ERROR]: 'Parse error',
  [INVALID_REQUEST]: 'Invalid Request',
  [METHOD_NOT_FOUND]: 'Method not found',
  [INVALID_PARAMS]: 'Invalid params',
  [INTERNAL_ERROR]: 'Internal error',
  [SERVER_ERROR]: 'Server error',
  [SERVER_BUSY]: 'Server busy',
  [REPLY_TOO_LARGE]: 'Reply too large',
}

/** JsonRpcId: a string, an integer (bigint), a float (discouraged by the spec), or null. */
export type JsonRpcId = string | bigint | number | null

export type JsonRpcParams = readonly RpcValue[] | RpcStruct

/** JsonRpcErrorObject is the `error` member of a response. */
export interface JsonRpcErrorObject {
  readonly code: number
  readonly message: string
  readonly data?: RpcValue
}

/**
 * JsonRpcEntry is one request of a body: a call (answer it), a notification (run it,
 * answer nothing) or an invalid request (answer `error` with `id`).
 */
export type JsonRpcEntry =
  | { readonly kind: 'call'; readonly id: JsonRpcId; readonly method: string; readonly params: JsonRpcParams }
  | { readonly kind: 'notification'; readonly method: string; readonly params: JsonRpcParams }
  | { readonly kind: 'invalid'; readonly id: JsonRpcId; readonly error: JsonRpcErrorObject }

/**
 * ParsedBatch is a whole body: one request, a batch of them, or an error that stands
 * for the whole body (parse error, empty batch, a limit) whose encoded reply is `response`.
 * An omitted `params` reads as `[]`.
 */
export type ParsedBatch =
  | { readonly kind: 'single'; readonly entry: JsonRpcEntry }
  | { readonly kind: 'batch'; readonly entries: readonly JsonRpcEntry[] }
  | { readonly kind: 'error'; readonly error: JsonRpcErrorObject; readonly response: string }

/**
 * parseJsonRpc reads a request body; it never throws. With `hold`, the decoded values'
 * estimated size is charged to it before they are built; no room is a -32001 whole-body error.
 */
export function parseJsonRpc(
  text: string,
  limits: JsonRpcLimits = DEFAULT_JSONRPC_LIMITS,
  hold?: Grower,
): ParsedBatch {
  const bytes = utf8Length(text, limits.maxBytes)
  if (bytes > limits.maxBytes) {
    return wholeBodyError(INVALID_REQUEST, `request exceeds ${limits.maxBytes} bytes`)
  }
  const scan = scanJson(text, limits.maxDepth)
  if (scan.tooDeep) {
    return wholeBodyError(INVALID_REQUEST, `request nests deeper than ${limits.maxDepth}`)
  }
  if (scan.values > limits.maxItems) {
    return wholeBodyError(INVALID_REQUEST, `request holds more than ${limits.maxItems} values`)
  }
  if (scan.longestInt > limits.maxIntDigits) {
    return wholeBodyError(
      INVALID_REQUEST,
      `integer literal of ${scan.longestInt} digits exceeds ${limits.maxIntDigits} (RPC_MAX_INT_DIGITS)`,
    )
  }
  const decoded = decodedEstimate(bytes, scan)
  if (decoded > limits.maxDecodedBytes) {
    return wholeBodyError(
      INVALID_REQUEST,
      `request would take about ${decoded} bytes decoded, more than ${limits.maxDecodedBytes}`,
    )
  }
  if (hold !== undefined && !hold.grow(decoded)) {
    const data = struct([
      ['code', 'BUSY'],
      ['message', `no room to decode the request (about ${decoded} bytes); retry later`],
    ])
    const error = errorObject(SERVER_BUSY, undefined, data)
    return { kind: 'error', error, response: encodeError(null, error.code, error.message, error.data) }
  }
  let doc: RpcValue
  try {
    doc = parseValue(text, limits.maxIntDigits, scan)
  } catch (err) {
    if (err instanceof IntTooLongError) return wholeBodyError(INVALID_REQUEST, err.message)
    return wholeBodyError(PARSE_ERROR)
  }
  if (!Array.isArray(doc)) return { kind: 'single', entry: readRequest(doc as RpcValue) }
  const batch = doc as readonly RpcValue[]
  if (batch.length === 0) return wholeBodyError(INVALID_REQUEST)
  if (batch.length > limits.maxBatch) {
    return wholeBodyError(INVALID_REQUEST, `batch of ${batch.length} requests exceeds ${limits.maxBatch}`)
  }
  return { kind: 'batch', entries: batch.map(readRequest) }
}

function wholeBodyError(code: number, data?: string): ParsedBatch {
  const error = errorObject(code, undefined, data)
  return { kind: 'error', error, response: encodeError(null, error.code, error.message, error.data) }
}

function errorObject(code: number, message?: string, data?: RpcValue): JsonRpcErrorObject {
  const m = message ?? ERROR_MESSAGES[code] ?? 'Server error'
  return data === undefined ? { code, message: m } : { code, message: m, data }
}

/** readRequest checks one Request object; anything off makes it an Invalid Request. */
function readRequest(req: RpcValue): JsonRpcEntry {
  const bad = (id: JsonRpcId): JsonRpcEntry => ({ kind: 'invalid', id, error: errorObject(INVALID_REQUEST) })
  if (req === null || !isStruct(req)) return bad(null)
  const hasId = Object.hasOwn(req, 'id')
  const id = req.id
  const idOk =
    !hasId || id === null || typeof id === 'string' || typeof id === 'bigint' || typeof id === 'number'
  const replyId: JsonRpcId = hasId && idOk ? (id as JsonRpcId) : null
  if (!idOk || req.jsonrpc !== '2.0' || typeof req.method !== 'string') return bad(replyId)
  const method = req.method
  const raw = req.params
  let params: JsonRpcParams
  if (raw === undefined) params = []
  else if (Array.isArray(raw)) params = raw as readonly RpcValue[]
  else if (isStruct(raw)) params = raw
  else return bad(replyId)
  if (!hasId) return { kind: 'notification', method, params }
  return { kind: 'call', id: replyId, method, params }
}

// ---------------------------------------------------------------------------------------
// Encoding

/** encodeResult: `{"jsonrpc":"2.0","result":…,"id":…}`. */
export function encodeResult(id: JsonRpcId, value: RpcValue): string {
  // One join for the whole response: a template around a big encoded value would be one more
  // copy of it when the socket flattens it.
  const out = ['{"jsonrpc":"2.0","result":']
  writeJson(value, out, 0)
  out.push(',"id":')
  writeJson(id, out, 0)
  out.push('}')
  return out.join('')
}

/** encodeError: `{"jsonrpc":"2.0","error":{"code":…,"message":…[,"data":…]},"id":…}`. */
export function encodeError(id: JsonRpcId, code: number, message: string, data?: RpcValue): string {
  const dataPart = data === undefined ? '' : `,"data":${encodeJson(data)}`
  return `{"jsonrpc":"2.0","error":{"code":${Math.trunc(code)},"message":${JSON.stringify(message)}${dataPart}},"id":${encodeJson(id)}}`
}

/** encodeBatch joins the encoded responses of a batch; undefined when there are none to send. */
export function encodeBatch(responses: readonly string[]): string | undefined {
  return responses.length === 0 ? undefined : `[${responses.join(',')}]`
}

/** encodeRequest is a client's call; with `id` undefined it is a notification. */
export function encodeRequest(id: JsonRpcId | undefined, method: string, params?: JsonRpcParams): string {
  const paramsPart = params === undefined ? '' : `,"params":${encodeJson(params)}`
  const idPart = id === undefined ? '' : `,"id":${encodeJson(id)}`
  return `{"jsonrpc":"2.0","method":${JSON.stringify(method)}${paramsPart}${idPart}}`
}

const MAX_ENCODE_DEPTH = 1000

/** encodeJson writes an RpcValue as JSON text, ints exact and floats as Python's repr. */
export function encodeJson(value: RpcValue): string {
  const out: string[] = []
  writeJson(value, out, 0)
  return out.join('')
}

function writeJson(v: RpcValue, out: string[], depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) throw new RangeError(`JSON value nests deeper than ${MAX_ENCODE_DEPTH}`)
  if (v === null) {
    out.push('null')
    return
  }
  switch (typeof v) {
    case 'boolean':
      out.push(v ? 'true' : 'false')
      return
    case 'bigint':
      out.push(v.toString())
      return
    case 'number':
      out.push(Number.isFinite(v) ? pyFloatRepr(v) : 'null')
      return
    case 'string':
      out.push(JSON.stringify(v))
      return
  }
  if (v instanceof Uint8Array) {
    out.push(`"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"`)
  } else if (v instanceof Date) {
    out.push(JSON.stringify(Number.isNaN(v.getTime()) ? null : v.toISOString()))
  } else if (Array.isArray(v)) {
    out.push('[')
    const items = v as readonly RpcValue[]
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out.push(',')
      writeJson(items[i] as RpcValue, out, depth + 1)
    }
    out.push(']')
  } else if (isStruct(v)) {
    out.push('{')
    let first = true
    for (const key of Object.keys(v)) {
      out.push(first ? '' : ',', JSON.stringify(key), ':')
      first = false
      writeJson(v[key] as RpcValue, out, depth + 1)
    }
    out.push('}')
  }
}

// ---------------------------------------------------------------------------------------
// Decoding

/** JsonRpcDecodeError: the text is not JSON, or not a JSON-RPC response. */
export class JsonRpcDecodeError extends Error {
  override readonly name = 'JsonRpcDecodeError'
}

/** JsonRpcResponse is one decoded response, for the client. */
export type JsonRpcResponse =
  | { readonly kind: 'result'; readonly id: JsonRpcId; readonly value: RpcValue }
  | { readonly kind: 'error'; readonly id: JsonRpcId; readonly error: JsonRpcErrorObject }

/**
 * parseResponse reads a server's reply: one response, or an array of them for a batch.
 * Throws JsonRpcDecodeError when it is neither.
 */
export function parseResponse(
  text: string,
  limits: JsonRpcLimits = DEFAULT_JSONRPC_LIMITS,
): JsonRpcResponse | JsonRpcResponse[] {
  if (utf8Length(text, limits.maxBytes) > limits.maxBytes)
    throw new JsonRpcDecodeError(`response exceeds ${limits.maxBytes} bytes`)
  if (nestingExceeds(text, limits.maxDepth)) {
    throw new JsonRpcDecodeError(`response nests deeper than ${limits.maxDepth}`)
  }
  let doc: RpcValue
  try {
    doc = parseJsonValue(text, limits.maxIntDigits)
  } catch (err) {
    throw new JsonRpcDecodeError(`response is not JSON: ${(err as Error).message}`, { cause: err })
  }
  return Array.isArray(doc) ? (doc as readonly RpcValue[]).map(readResponse) : readResponse(doc as RpcValue)
}

function readResponse(doc: RpcValue): JsonRpcResponse {
  if (doc === null || !isStruct(doc) || doc.jsonrpc !== '2.0') {
    throw new JsonRpcDecodeError('not a JSON-RPC 2.0 response object')
  }
  const id = doc.id
  if (!(id === null || typeof id === 'string' || typeof id === 'bigint' || typeof id === 'number')) {
    throw new JsonRpcDecodeError('response id is missing or not a string, number or null')
  }
  const hasResult = Object.hasOwn(doc, 'result')
  const err = doc.error
  if (hasResult) {
    if (err !== undefined) throw new JsonRpcDecodeError('response has both result and error')
    return { kind: 'result', id, value: doc.result as RpcValue }
  }
  if (err === undefined) throw new JsonRpcDecodeError('response has neither result nor error')
  if (err === null || !isStruct(err) || typeof err.code !== 'bigint' || typeof err.message !== 'string') {
    throw new JsonRpcDecodeError('response error is not {code: integer, message: string}')
  }
  const data = err.data
  const error: JsonRpcErrorObject =
    data === undefined
      ? { code: Number(err.code), message: err.message }
      : { code: Number(err.code), message: err.message, data }
  return { kind: 'error', id, error }
}

/**
 * parseJsonValue is JSON.parse into RpcValues: integer literals become exact bigints, other
 * numbers stay floats, objects become null-prototype structs (json-value.ts). Throws
 * SyntaxError, or an Error naming the limit when an integer literal has more than
 * `maxIntDigits` digits. The caller bounds the nesting first (see nestingExceeds).
 */
export function parseJsonValue(text: string, maxIntDigits = DEFAULT_JSONRPC_LIMITS.maxIntDigits): RpcValue {
  return parseValue(text, maxIntDigits)
}

/** nestingExceeds tells whether `[`/`{` outside strings nest deeper than `max`. */
export function nestingExceeds(text: string, max: number): boolean {
  return scanJson(text, max).tooDeep
}

/** utf8Length is `s`'s UTF-8 size, or any number above `max` once it surely exceeds it. */
function utf8Length(s: string, max: number): number {
  if (s.length > max) return s.length // every UTF-16 unit takes at least one byte
  return Buffer.byteLength(s, 'utf8')
}
