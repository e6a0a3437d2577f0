/**
 * LabError is the one error type netlab's code throws on purpose: a stable, upper-case
 * `code` (match on it, never on the message), a human message naming the operation and
 * the target, and an optional cause. Each protocol has one function that writes it in
 * that protocol's own error form (a TCP `ERR` line, an HTTP JSON body, an RPC fault).
 */
export class LabError extends Error {
  override readonly name = 'LabError'
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** ConfigError lists every invalid environment variable at once (`NAME="value": expected ...`). */
export class ConfigError extends LabError {
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super('INVALID_CONFIG', `invalid configuration: ${problems.join('; ')}`)
    this.problems = problems
  }
}

/** isErrnoException narrows an unknown error to Node's system error shape (`code`, `syscall`). */
export function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string'
}
