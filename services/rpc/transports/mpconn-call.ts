/**
 * One call on the mp-connection RPC port: the seed's `(name, args, kwargs)` tuple in, the
 * result or the exception the method raised out, both as pickle values.
 *
 * Most calls go to the one method registry every transport shares, through RpcValue
 * (pickle/convert.ts). Pickle carries more types than RpcValue: for them this port runs
 * the methods where they make sense itself, with the registry's signatures and Python's
 * semantics:
 *
 *   echo(value)  returns the value as it came (tuples, sets, Decimal, … keep their type)
 *   add(x, y)    x + y, and sub(x, y) x - y, when an operand is not plain data (pickle/arith.ts):
 *                Decimal('1.1') + Decimal('2.2') → Decimal('3.3'),
 *                timedelta(hours=1) + timedelta(minutes=30) → timedelta(seconds=5400), …
 *
 * Any other method given such a value raises TypeError naming its type.
 */
import type { Logger } from '../../../lib/log.ts'
import { dataAdd, dataSub } from '../../../protocols/pickle/arith.ts'
import { keyText, pyToRpc, rpcToPy } from '../../../protocols/pickle/convert.ts'
import {
  Py2Str,
  PyDict,
  PyException,
  PyOrderedDict,
  PyTuple,
  type PyValue,
} from '../../../protocols/pickle/value.ts'
import { PyError, typeError } from '../../../protocols/py-error.ts'
import { arityMessage } from '../../../protocols/python.ts'
import type { RpcValue } from '../../../protocols/value.ts'
import type { MethodSpec, Registry } from '../methods/registry.ts'
import { unknownMethod } from '../methods/registry.ts'

/** BadRequest is a frame we will not run: answered with a ValueError, then the connection closes. */
export class BadRequest extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** The methods this port runs on values the registry cannot take. */
const DATA_METHODS: Readonly<Record<string, (args: readonly PyValue[]) => PyValue>> = {
  echo: ([v]) => v ?? null,
  add: ([x, y]) => dataAdd(x ?? null, y ?? null),
  sub: ([x, y]) => dataSub(x ?? null, y ?? null),
}

/** isPlain says whether a value is made only of what RpcValue carries unchanged in meaning. */
function isPlain(v: PyValue): boolean {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return true
  if (Array.isArray(v)) return v.every(isPlain)
  if (v instanceof PyTuple) return v.items.every(isPlain)
  if (v instanceof PyDict && !(v instanceof PyOrderedDict))
    return v.entries.every(([k, x]) => isPlain(k) && isPlain(x))
  return false
}

/** exceptionOf is the pickled form of an exception a method raised (`decimal.Overflow` keeps its module). */
export function exceptionOf(err: PyError): PyException {
  const dot = err.pyClass.lastIndexOf('.')
  const [module, name] =
    dot < 0 ? ['builtins', err.pyClass] : [err.pyClass.slice(0, dot), err.pyClass.slice(dot + 1)]
  return new PyException(module, name, err.args.map(rpcToPy))
}

/** bind is the registry's calling rule (positional, then keywords by name) for a data method. */
function bind(spec: MethodSpec, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>): PyValue[] {
  const out: (PyValue | undefined)[] = [...args]
  for (const [key, value] of kwargs) {
    const i = spec.params.indexOf(key)
    if (i === -1) throw typeError(`${spec.name}() got an unexpected keyword argument '${key}'`, 'bad_params')
    if (i < args.length)
      throw typeError(`${spec.name}() got multiple values for argument '${key}'`, 'bad_params')
    out[i] = value
  }
  const hole = out.indexOf(undefined)
  const given = (hole === -1 ? out : out.slice(0, hole)) as PyValue[]
  const problem = arityMessage(
    { name: spec.name, params: spec.params, defaults: spec.optional ?? 0 },
    given.length,
  )
  if (problem) throw typeError(problem, 'bad_params')
  return given
}

/** callMp runs one (name, args, kwargs) request; returns the reply object (result or exception). */
export async function callMp(
  request: PyValue,
  registry: Registry,
  log: Logger,
): Promise<PyValue | PyException> {
  if (!(request instanceof PyTuple) || request.items.length !== 3)
    throw new BadRequest('BAD_REQUEST', 'an RPC request is the tuple (name, args, kwargs)')
  const [rawName, args, kwargs] = request.items
  const name = rawName instanceof Py2Str ? keyText(rawName) : rawName
  if (typeof name !== 'string') throw new BadRequest('BAD_REQUEST', 'the method name must be a str')
  const positional = args instanceof PyTuple ? args.items : Array.isArray(args) ? args : undefined
  if (positional === undefined || !(kwargs instanceof PyDict))
    throw new BadRequest('BAD_REQUEST', 'args must be a tuple and kwargs a dict')
  try {
    const keywords = new Map<string, PyValue>()
    for (const [k, v] of kwargs.entries) {
      const key = keyText(k)
      if (key === undefined) throw typeError('keywords must be strings')
      keywords.set(key, v)
    }
    const data = DATA_METHODS[name]
    const spec = registry.get(name)
    const all = [...positional, ...keywords.values()]
    if (data !== undefined && spec !== undefined && (name === 'echo' || !all.every(isPlain)))
      return data(bind(spec, positional, keywords))
    if (spec === undefined) throw unknownMethod(name)
    const rpcKeywords = new Map<string, RpcValue>([...keywords].map(([k, v]) => [k, pyToRpc(v)]))
    return rpcToPy(await registry.invoke(name, positional.map(pyToRpc), rpcKeywords))
  } catch (err) {
    if (!(err instanceof PyError)) throw err
    log.info({ code: err.code, method: name }, 'call raised')
    return exceptionOf(err)
  }
}
