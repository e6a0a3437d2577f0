/**
 * The one method registry every RPC transport dispatches to: a method is written once,
 * with Python's calling rules (positional parameters, keyword arguments by name, Python's
 * TypeError texts for a wrong call), and XML-RPC, JSON-RPC and mp-connection all call it.
 */
import { countCall, countCallEnd } from '../../../lib/metrics/index.ts'
import { PyError, typeError } from '../../../protocols/py-error.ts'
import { arityMessage } from '../../../protocols/python.ts'
import type { RpcValue } from '../../../protocols/value.ts'

/** MethodSpec is one method: its Python-style signature, its help text, and its body. */
export interface MethodSpec {
  readonly name: string
  /** positional parameter names, in order */
  readonly params: readonly string[]
  /** how many trailing params are optional (the body sees them as undefined) */
  readonly optional?: number
  /** system.methodHelp's text */
  readonly doc: string
  readonly call: (args: readonly RpcValue[]) => RpcValue | Promise<RpcValue>
}

/** Registry maps names to methods; `invoke` checks the call the way Python would. */
export class Registry {
  readonly #methods = new Map<string, MethodSpec>()

  register(...specs: readonly MethodSpec[]): this {
    for (const spec of specs) {
      if (this.#methods.has(spec.name)) throw new Error(`method ${spec.name} registered twice`)
      this.#methods.set(spec.name, spec)
    }
    return this
  }

  has(name: string): boolean {
    return this.#methods.has(name)
  }

  /** names in sorted order, as system.listMethods lists them */
  names(): string[] {
    return [...this.#methods.keys()].sort()
  }

  get(name: string): MethodSpec | undefined {
    return this.#methods.get(name)
  }

  /**
   * invoke calls `name` with positional `args` and, optionally, keyword arguments.
   * An unknown method is Python's `Exception('method "x" is not supported')`; a wrong call
   * is its TypeError (`get() missing 1 required positional argument: 'name'`).
   */
  invoke(name: string, args: readonly RpcValue[], kwargs?: ReadonlyMap<string, RpcValue>): Promise<RpcValue> {
    try {
      return Promise.resolve(this.call(name, args, kwargs))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * call is invoke without a promise for a method that answers at once: the value, or a
   * promise when the method's body returns one; a wrong call or a method that fails at once
   * throws. Counted in the metrics as invoke's calls are.
   */
  call(
    name: string,
    args: readonly RpcValue[],
    kwargs?: ReadonlyMap<string, RpcValue>,
  ): RpcValue | Promise<RpcValue> {
    const spec = this.#methods.get(name)
    const counted = spec ? name : 'unknown'
    const started = performance.now()
    let result: RpcValue | Promise<RpcValue>
    try {
      if (!spec) throw unknownMethod(name)
      const positional = kwargs && kwargs.size > 0 ? bindKeywords(spec, args, kwargs) : args
      const problem = arityMessage(
        { name: spec.name, params: spec.params, defaults: spec.optional ?? 0 },
        positional.length,
      )
      if (problem) throw typeError(problem, 'bad_params')
      result = spec.call(positional)
    } catch (err) {
      countCallEnd('rpc', counted, started, err)
      throw err
    }
    if (result instanceof Promise) return countCall('rpc', counted, result, started)
    countCallEnd('rpc', counted, started)
    return result
  }
}

/** unknownMethod is what Python's dispatcher raises for a name it does not know. */
export function unknownMethod(name: string): PyError {
  const text = `method "${name}" is not supported`
  return new PyError('Exception', text, [text], 'unknown_method')
}

/** bindKeywords merges keyword arguments into positional ones, with Python's errors. */
function bindKeywords(
  spec: MethodSpec,
  args: readonly RpcValue[],
  kwargs: ReadonlyMap<string, RpcValue>,
): RpcValue[] {
  const out: (RpcValue | undefined)[] = [...args]
  for (const [key, value] of kwargs) {
    const i = spec.params.indexOf(key)
    if (i === -1) throw typeError(`${spec.name}() got an unexpected keyword argument '${key}'`, 'bad_params')
    if (i < args.length)
      throw typeError(`${spec.name}() got multiple values for argument '${key}'`, 'bad_params')
    out[i] = value
  }
  // A hole (a parameter neither passed nor named) ends the call there; arityMessage names it.
  const firstHole = out.indexOf(undefined)
  return (firstHole === -1 ? out : out.slice(0, firstHole)) as RpcValue[]
}
