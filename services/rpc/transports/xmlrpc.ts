/**
 * XML-RPC dispatch with SimpleXMLRPCServer's behaviour: every error is HTTP 200 with
 * `Fault(1, "<class 'X'>:text")`, plus the introspection and multicall functions
 * Python's server registers (system.listMethods, system.methodHelp,
 * system.methodSignature, system.multicall).
 */
import type { Logger } from '../../../lib/log.ts'
import { PyError, typeError } from '../errors.ts'
import type { Registry } from '../methods/registry.ts'
import { isStruct, type RpcValue, struct } from '../value.ts'
import {
  decodeMethodCall,
  encodeFault,
  encodeMethodResponse,
  XmlRpcDecodeError,
  type XmlRpcLimits,
} from '../xmlrpc/codec.ts'
import { decodeErrorFault, pyFault } from '../xmlrpc/faults.ts'

const SYSTEM_METHODS = [
  'system.listMethods',
  'system.methodHelp',
  'system.methodSignature',
  'system.multicall',
]

/** faultOf turns what a call threw into Python's fault (code 1, "<class 'X'>:text"). */
function faultOf(err: unknown, method: string, log: Logger): { faultCode: number; faultString: string } {
  if (err instanceof PyError) {
    log.info({ code: err.code, method, transport: 'xmlrpc' }, 'call raised')
    return pyFault(err.pyClass, err.text)
  }
  log.error({ err, method }, 'method failed')
  return pyFault('Exception', 'internal error')
}

async function call(method: string, params: readonly RpcValue[], registry: Registry): Promise<RpcValue> {
  switch (method) {
    case 'system.listMethods':
      return [...registry.names(), ...SYSTEM_METHODS].sort()
    case 'system.methodHelp': {
      const name = params[0]
      if (typeof name !== 'string') throw typeError('system.methodHelp(method_name) takes a method name')
      return registry.get(name)?.doc ?? ''
    }
    case 'system.methodSignature':
      return 'signatures not supported'
    default:
      return registry.invoke(method, params)
  }
}

/** multicall is Python's system.multicall: each result as [value], each failure as a fault struct. */
async function multicall(params: readonly RpcValue[], registry: Registry, log: Logger): Promise<RpcValue> {
  const calls = params[0]
  if (!Array.isArray(calls)) throw typeError('system.multicall takes a list of {methodName, params} structs')
  const out: RpcValue[] = []
  for (const c of calls as readonly RpcValue[]) {
    try {
      if (!isStruct(c) || typeof c.methodName !== 'string' || !Array.isArray(c.params))
        throw typeError('each multicall entry needs methodName (str) and params (list)')
      if (c.methodName === 'system.multicall')
        throw new PyError('RuntimeError', 'recursive system.multicall forbidden', [])
      out.push([await call(c.methodName, c.params as readonly RpcValue[], registry)])
    } catch (err) {
      const f = faultOf(err, 'system.multicall', log)
      out.push(
        struct([
          ['faultCode', BigInt(f.faultCode)],
          ['faultString', f.faultString],
        ]),
      )
    }
  }
  return out
}

/** handleXmlRpc answers one XML-RPC request body with a methodResponse (result or fault). */
export async function handleXmlRpc(
  xml: string,
  registry: Registry,
  limits: XmlRpcLimits,
  log: Logger,
): Promise<string> {
  let method: string
  let params: RpcValue[]
  try {
    ;({ method, params } = decodeMethodCall(xml, limits))
  } catch (err) {
    if (!(err instanceof XmlRpcDecodeError)) throw err
    log.info({ code: err.code, transport: 'xmlrpc', message: err.message }, 'bad request')
    const f = decodeErrorFault(err)
    return encodeFault(f.faultCode, f.faultString)
  }
  try {
    const result =
      method === 'system.multicall'
        ? await multicall(params, registry, log)
        : await call(method, params, registry)
    return encodeMethodResponse(result)
  } catch (err) {
    const f = faultOf(err, method, log)
    return encodeFault(f.faultCode, f.faultString)
  }
}
