/**
 * The faults service's error catalogue. The control API writes every error the way
 * toxiproxy's `apiError` does, so toxiproxy clients understand it, plus netlab's `code`
 * (the one HTTP error body of lib/error-catalogue.ts):
 *
 *   HTTP/1.1 404 Not Found
 *   {"error":"proxy not found","status":404,"code":"PROXY_NOT_FOUND"}
 *
 * docs/errors/faults.md is this table rendered (scripts/error-table.ts).
 */
import { type ErrorCatalogue, type HttpErrorBody, httpErrorBody } from '../../lib/error-catalogue.ts'
import { LabError } from '../../lib/errors.ts'

/** Each code, the HTTP status toxiproxy answers it with, and what it means. */
export const FAULTS_ERRORS = {
  BAD_REQUEST: {
    status: 400,
    meaning: 'the body is not JSON, or a field is missing or has the wrong type or range',
    action: 'fix the field the message names',
  },
  INVALID_TOXIC_TYPE: {
    status: 400,
    meaning: 'the toxic `type` is not one this proxy’s protocol has',
    action: 'use a type the message lists (`netlab faults toxic add` completes them)',
  },
  LIMIT_REACHED: {
    status: 400,
    meaning: 'FAULTS_MAX_PROXIES or FAULTS_MAX_TOXICS reached',
    action: 'delete a proxy or toxic first',
  },
  UPSTREAM_NOT_ALLOWED: {
    status: 400,
    meaning: 'the upstream is not a container of the lab network, nor in FAULTS_ALLOWED_UPSTREAMS',
    action: 'point the proxy at a lab service',
  },
  FANOUT_LIMIT: {
    status: 400,
    meaning: 'the toxic would make one datagram more than FAULTS_MAX_UDP_FANOUT datagrams',
    action: 'lower the duplicate or slicer settings',
  },
  FORBIDDEN: {
    status: 403,
    meaning: 'a browser (User-Agent Mozilla/...) called the API: toxiproxy’s CSRF guard',
    action: 'call the API from a client, not a browser',
  },
  PROXY_NOT_FOUND: {
    status: 404,
    meaning: 'no proxy has this name',
    action: 'list the proxies (GET /proxies)',
  },
  TOXIC_NOT_FOUND: {
    status: 404,
    meaning: 'the proxy has no toxic of this name',
    action: 'list its toxics (GET /proxies/{name}/toxics)',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    meaning: 'no API route has this path and method',
    action: 'check the path',
  },
  PROXY_EXISTS: {
    status: 409,
    meaning: 'a proxy of this name already exists',
    action: 'pick another name, or delete it first',
  },
  TOXIC_EXISTS: {
    status: 409,
    meaning: 'the proxy already has a toxic of this name',
    action: 'pick another name, or delete it first',
  },
  RESET_INCOMPLETE: {
    status: 409,
    meaning: 'POST /reset: some proxies could not start again (each is named); the others were reset',
    action: 'free the named listen addresses and reset again',
  },
  LISTEN_FAILED: {
    status: 400,
    meaning:
      'the listen address could not be bound (in use, not local); toxiproxy answers 500, but it is the caller’s choice',
    action: 'pick a free local address',
  },
  INTERNAL: {
    status: 500,
    meaning: 'a bug (logged at error)',
    action: 'report it with the request that caused it',
  },
} as const satisfies ErrorCatalogue

export type FaultsErrorCode = keyof typeof FAULTS_ERRORS

/** FaultsError is an expected API failure; `status` is its HTTP status. */
export class FaultsError extends LabError {
  override readonly code: FaultsErrorCode
  readonly status: number

  constructor(code: FaultsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.code = code
    this.status = FAULTS_ERRORS[code].status
  }
}

/** errorBody is the one way an error is written on the wire (lib/error-catalogue.ts). */
export function errorBody(err: FaultsError): HttpErrorBody {
  return httpErrorBody(err.code, err.message, err.status)
}

export const proxyNotFound = () => new FaultsError('PROXY_NOT_FOUND', 'proxy not found')
export const toxicNotFound = () => new FaultsError('TOXIC_NOT_FOUND', 'toxic not found')
export const proxyExists = () => new FaultsError('PROXY_EXISTS', 'proxy already exists')
export const toxicExists = () => new FaultsError('TOXIC_EXISTS', 'toxic already exists')
export const badRequest = (message: string) => new FaultsError('BAD_REQUEST', message)
