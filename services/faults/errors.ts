/**
 * The faults service's error catalogue. The control API writes every error the way
 * toxiproxy's `apiError` does, so toxiproxy clients understand it, plus netlab's `code`:
 *
 *   HTTP/1.1 404 Not Found
 *   {"error":"proxy not found","status":404,"code":"PROXY_NOT_FOUND"}
 */
import { LabError } from '../../lib/errors.ts'

/** Each code and the HTTP status toxiproxy answers it with. */
export const FaultsErrorCode = {
  /** the body is not JSON, a field is missing or has the wrong type or range */
  BAD_REQUEST: 400,
  /** the toxic `type` is not one this proxy's protocol has */
  INVALID_TOXIC_TYPE: 400,
  /** FAULTS_MAX_PROXIES or FAULTS_MAX_TOXICS reached */
  LIMIT_REACHED: 400,
  /** the upstream is not a container of the lab network, nor in FAULTS_ALLOWED_UPSTREAMS */
  UPSTREAM_NOT_ALLOWED: 400,
  /** the toxic would make one datagram more than FAULTS_MAX_UDP_FANOUT datagrams */
  FANOUT_LIMIT: 400,
  /** a browser (User-Agent Mozilla/...) called the API: toxiproxy's CSRF guard */
  FORBIDDEN: 403,
  PROXY_NOT_FOUND: 404,
  TOXIC_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  PROXY_EXISTS: 409,
  TOXIC_EXISTS: 409,
  /** POST /reset: some proxies could not start again (each is named); the others were reset */
  RESET_INCOMPLETE: 409,
  /** the listen address could not be bound (in use, not local); toxiproxy answers 500, but it is the caller's choice */
  LISTEN_FAILED: 400,
  INTERNAL: 500,
} as const

export type FaultsErrorCode = keyof typeof FaultsErrorCode

/** FaultsError is an expected API failure; `status` is its HTTP status. */
export class FaultsError extends LabError {
  override readonly code: FaultsErrorCode
  readonly status: number

  constructor(code: FaultsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.code = code
    this.status = FaultsErrorCode[code]
  }
}

/** ErrorBody is toxiproxy's error JSON, plus the stable code. */
export interface ErrorBody {
  readonly error: string
  readonly status: number
  readonly code: FaultsErrorCode
}

/** errorBody is the one way an error is written on the wire. */
export function errorBody(err: FaultsError): ErrorBody {
  return { error: err.message, status: err.status, code: err.code }
}

export const proxyNotFound = () => new FaultsError('PROXY_NOT_FOUND', 'proxy not found')
export const toxicNotFound = () => new FaultsError('TOXIC_NOT_FOUND', 'toxic not found')
export const proxyExists = () => new FaultsError('PROXY_EXISTS', 'proxy already exists')
export const toxicExists = () => new FaultsError('TOXIC_EXISTS', 'toxic already exists')
export const badRequest = (message: string) => new FaultsError('BAD_REQUEST', message)
