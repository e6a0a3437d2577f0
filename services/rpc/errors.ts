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
import { LabError } from '../../lib/errors.ts'
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
