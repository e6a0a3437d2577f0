/**
 * The HTTP service's error catalogue. Every error is a JSON body with a stable `error`
 * code (clients match on it), a human `message`, and the `status` repeated:
 *
 *   HTTP/1.1 413 Payload Too Large
 *   {"error":"body_too_large","message":"request body is larger than 16777216 bytes","status":413}
 */
import { LabError } from '../../lib/errors.ts'

export const HttpErrorCode = {
  bad_request: 400,
  invalid_json: 400,
  json_too_deep: 400,
  invalid_body: 400,
  invalid_parameter: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  request_timeout: 408,
  body_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  /** the memory budget (HTTP_MEMORY_BUDGET_BYTES) has no room now; comes with Retry-After */
  busy: 503,
  shutting_down: 503,
  internal_error: 500,
} as const

export type HttpErrorCode = keyof typeof HttpErrorCode

/** HttpError is thrown by routes; the app's error handler writes it as the JSON body above. */
export class HttpError extends LabError {
  override readonly code: HttpErrorCode
  readonly status: number

  constructor(code: HttpErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.code = code
    this.status = HttpErrorCode[code]
  }
}

/** ErrorBody is the JSON every error response carries. */
export interface ErrorBody {
  readonly error: HttpErrorCode
  readonly message: string
  readonly status: number
}

/** errorBody is the one way an error is written. */
export function errorBody(
  code: HttpErrorCode,
  message: string,
  status: number = HttpErrorCode[code],
): ErrorBody {
  return { error: code, message, status }
}
