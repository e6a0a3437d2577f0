/**
 * The HTTP service's error catalogue. Every error is the one JSON body of lib/error-catalogue.ts,
 * the human message in `error`, the status repeated and a stable UPPER_SNAKE `code` (clients
 * match on it):
 *
 *   HTTP/1.1 413 Payload Too Large
 *   {"error":"request body is larger than 16777216 bytes","status":413,"code":"BODY_TOO_LARGE"}
 *
 * docs/errors/http.md is this table rendered (scripts/error-table.ts).
 */
import type { ErrorCatalogue } from '../../lib/error-catalogue.ts'
import { LabError } from '../../lib/errors.ts'

export const HTTP_ERRORS = {
  BAD_REQUEST: {
    status: 400,
    meaning: 'the request is not well-formed HTTP for this route (a bad Content-Length, header or query)',
    action: 'fix the request; the message names what is wrong',
  },
  INVALID_JSON: {
    status: 400,
    meaning: 'the body was sent as JSON (or with no Content-Type) but does not parse',
    action: 'send valid JSON, or the Content-Type the body really is',
  },
  JSON_TOO_DEEP: {
    status: 400,
    meaning: 'the JSON body nests deeper than HTTP_MAX_JSON_DEPTH',
    action: 'flatten the document',
  },
  INVALID_BODY: {
    status: 400,
    meaning:
      'the body parses but is not what the route takes (POST /data/ wants a JSON object), or a multipart body is malformed',
    action: 'send the shape the route documents',
  },
  INVALID_PARAMETER: {
    status: 400,
    meaning:
      'a path or query parameter is out of range or not a number (e.g. /delay/{n} over 10 s, /bytes/{n} over the cap)',
    action: 'use a value within the range the message gives',
  },
  UNAUTHORIZED: {
    status: 401,
    meaning: 'the credentials are missing or wrong (/basic-auth, /bearer, /hidden-basic-auth)',
    action: 'send the user and password (or token) the path names',
  },
  NOT_FOUND: {
    status: 404,
    meaning: 'no route has this path',
    action: 'check the path (`netlab http get` completes them)',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: 'the path exists but not for this method; the Allow header lists the methods it takes',
    action: 'use one of the methods in Allow',
  },
  NOT_ACCEPTABLE: {
    status: 406,
    meaning: 'the Accept header asks for no type the route can send',
    action: 'accept the route’s type (or */*)',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    meaning: 'the request did not arrive in full within HTTP_REQUEST_TIMEOUT_MS',
    action: 'send the whole request promptly',
  },
  BODY_TOO_LARGE: {
    status: 413,
    meaning: 'the body is larger than HTTP_MAX_BODY_BYTES, or would cost more than the whole memory budget',
    action: 'send a smaller body',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'the Content-Type is not one the route reads',
    action: 'send the body as a type the route takes (JSON for /data/)',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    meaning: 'the request headers are larger than the server accepts',
    action: 'send fewer or shorter headers',
  },
  BUSY: {
    status: 503,
    meaning:
      'the memory budget (HTTP_MEMORY_BUDGET_BYTES) has no room for the request now, or the worker thread holds HTTP_MAX_CONNECTIONS connections (then the connection is closed); Retry-After says when to come back',
    action: 'retry after the Retry-After seconds',
  },
  SHUTTING_DOWN: {
    status: 503,
    meaning: 'the server is draining for shutdown',
    action: 'retry against another replica or after the restart',
  },
  INTERNAL_ERROR: {
    status: 500,
    meaning: 'a bug: the request made the server fail (logged at error)',
    action: 'report it with the request that caused it',
  },
} as const satisfies ErrorCatalogue

export type HttpErrorCode = keyof typeof HTTP_ERRORS

/** HttpError is thrown by routes; the app's error handler writes it as the JSON body above. */
export class HttpError extends LabError {
  override readonly code: HttpErrorCode
  readonly status: number

  constructor(code: HttpErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.code = code
    this.status = HTTP_ERRORS[code].status
  }
}
