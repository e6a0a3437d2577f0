/**
 * PyError is an exception a netlab RPC method raises, described the way Python would
 * raise it, so that every transport can report it in its own form:
 *
 *   XML-RPC       Fault(1, "<class 'KeyError'>:'k'")         (SimpleXMLRPCServer's form)
 *   mp-connection a pickled builtins.KeyError('k'), re-raised by the seed's RPCProxy
 *   JSON-RPC      {"code": -32000, "message": "KeyError: 'k'", "data": {"type": "KeyError", ...}}
 *
 * `text` is Python's str(exc) (for a KeyError, the repr of the key); `args` is exc.args.
 */
import { LabError } from '../lib/errors.ts'
import type { RpcValue } from './value.ts'

/** Why a call failed, for transports with codes of their own (JSON-RPC). */
export type PyErrorKind = 'unknown_method' | 'bad_params' | 'application'

export class PyError extends LabError {
  readonly pyClass: string
  readonly text: string
  readonly args: readonly RpcValue[]
  readonly kind: PyErrorKind

  /** `code` defaults to PY_<CLASS>; a catalogue of its own (store/errors.ts) gives a finer one. */
  constructor(
    pyClass: string,
    text: string,
    args: readonly RpcValue[],
    kind: PyErrorKind = 'application',
    code = `PY_${pyClass.toUpperCase()}`,
  ) {
    super(code, `${pyClass}: ${text}`)
    this.pyClass = pyClass
    this.text = text
    this.args = args
    this.kind = kind
  }
}

/** typeError is Python's TypeError(message). */
export function typeError(message: string, kind: PyErrorKind = 'application'): PyError {
  return new PyError('TypeError', message, [message], kind)
}

/** valueError is Python's ValueError(message). */
export function valueError(message: string): PyError {
  return new PyError('ValueError', message, [message])
}

/**
 * netlab's own refusals, when a request is fine but the service will not take it now or
 * cannot answer it within its limits. The number is the same in both RPC protocols: JSON-RPC's
 * `error.code` (the spec leaves -32000 to -32099 to the server) and XML-RPC's `faultCode`
 * (with `faultString` "CODE: message"); docs/rpc.md "Limits and budgets (RPC)" and docs/errors/rpc.md list them.
 *
 *   BUSY             -32001  RPC_MEMORY_BUDGET_BYTES has no room for the request now; retry later
 *   REPLY_TOO_LARGE  -32002  the result would take the reply past RPC_MAX_REPLY_BYTES
 *   TOO_MANY_CALLS   -32003  a system.multicall of more than RPC_MAX_BATCH_CALLS calls
 */
export const RPC_LIMIT_CODES = {
  BUSY: -32001,
  REPLY_TOO_LARGE: -32002,
  TOO_MANY_CALLS: -32003,
} as const

/** RpcLimitCode is the name of one of netlab's refusals. */
export type RpcLimitCode = keyof typeof RPC_LIMIT_CODES

/** RpcLimitError is one refusal; `rpcCode` is its number on the wire. */
export class RpcLimitError extends LabError {
  override readonly code: RpcLimitCode
  readonly rpcCode: number

  constructor(code: RpcLimitCode, message: string) {
    super(code, message)
    this.code = code
    this.rpcCode = RPC_LIMIT_CODES[code]
  }
}

/** busy: the memory budget cannot hold `what` (of `bytes`, when known) now. */
export function busy(what: string, bytes?: number): RpcLimitError {
  const size = bytes === undefined ? '' : ` (${bytes} bytes)`
  return new RpcLimitError(
    'BUSY',
    `server busy: no room for ${what}${size} within RPC_MEMORY_BUDGET_BYTES; retry later`,
  )
}

/** replyTooLarge: a result would take the reply past `maxBytes`. */
export function replyTooLarge(maxBytes: number): RpcLimitError {
  return new RpcLimitError(
    'REPLY_TOO_LARGE',
    `the result would take the reply past ${maxBytes} bytes (RPC_MAX_REPLY_BYTES)`,
  )
}

/** tooManyCalls: a system.multicall over the call limit. */
export function tooManyCalls(calls: number, max: number): RpcLimitError {
  return new RpcLimitError(
    'TOO_MANY_CALLS',
    `system.multicall of ${calls} calls exceeds ${max} (RPC_MAX_BATCH_CALLS)`,
  )
}
