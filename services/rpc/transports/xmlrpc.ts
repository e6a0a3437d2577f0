/**
 * XML-RPC dispatch with SimpleXMLRPCServer's behaviour: every error is HTTP 200 with
 * `Fault(1, "<class 'X'>:text")`, plus the introspection and multicall functions
 * Python's server registers (system.listMethods, system.methodHelp,
 * system.methodSignature, system.multicall).
 *
 * netlab's own refusals (../errors.ts) are faults with their own codes and
 * `faultString` "CODE: message": -32001 BUSY (the memory budget had no room for the decoded
 * request or a result), -32002 REPLY_TOO_LARGE (a result would take the reply past
 * RPC_MAX_REPLY_BYTES), -32003 TOO_MANY_CALLS (a multicall over RPC_MAX_BATCH_CALLS). In a
 * multicall each result is measured, admitted and encoded as it is produced; a call refused
 * that way gets its fault struct in place of its result, as multicall reports any failure.
 */
import type { Logger } from '../../../lib/log.ts'
import { busy, PyError, RpcLimitError, tooManyCalls, typeError } from '../../../protocols/py-error.ts'
import { type Grower, isStruct, type RpcValue, struct } from '../../../protocols/value.ts'
import {
  ARRAY_ENVELOPE_BYTES,
  decodeMethodCallAsync,
  encodeArrayResponse,
  encodeFault,
  encodeMethodResponse,
  encodeValue,
  RESPONSE_ENVELOPE_BYTES,
  XmlRpcDecodeError,
  type XmlRpcLimits,
} from '../../../protocols/xmlrpc/codec.ts'
import { xmlValueSize } from '../../../protocols/xmlrpc/encoded-size.ts'
import { decodeErrorFault, pyFault, type XmlRpcFault } from '../../../protocols/xmlrpc/faults.ts'
import type { Registry } from '../methods/registry.ts'
import { ReplyMeter } from './reply-meter.ts'

/** XmlRpcContext is what a transport hands the dispatcher: methods, limits and the log. */
export interface XmlRpcContext {
  readonly registry: Registry
  readonly limits: XmlRpcLimits
  /** RPC_MAX_REPLY_BYTES */
  readonly maxReplyBytes: number
  /** RPC_MAX_BATCH_CALLS: the most calls in one system.multicall */
  readonly maxBatchCalls: number
  readonly log: Logger
}

const SYSTEM_METHODS = [
  'system.listMethods',
  'system.methodHelp',
  'system.methodSignature',
  'system.multicall',
]

/** limitFault is one of netlab's refusals as a fault: its number, and "CODE: message". */
export function limitFault(err: RpcLimitError): XmlRpcFault {
  return { faultCode: err.rpcCode, faultString: `${err.code}: ${err.message}` }
}

/**
 * faultOf turns what a call threw into its fault: Python's (code 1), or netlab's refusal
 * (logged once per reply by the meter, or where it is raised).
 */
function faultOf(err: unknown, method: string, log: Logger): XmlRpcFault {
  if (err instanceof RpcLimitError) return limitFault(err)
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

/**
 * multicall is Python's system.multicall: each result as [value], each failure as a fault
 * struct; the reply is built one call at a time through the meter.
 */
async function multicall(
  params: readonly RpcValue[],
  ctx: XmlRpcContext,
  meter: ReplyMeter,
): Promise<string> {
  const calls = params[0]
  if (!Array.isArray(calls)) throw typeError('system.multicall takes a list of {methodName, params} structs')
  const list = calls as readonly RpcValue[]
  if (list.length > ctx.maxBatchCalls) {
    ctx.log.warn({ code: 'TOO_MANY_CALLS', calls: list.length, transport: 'xmlrpc' }, 'limit reached')
    throw tooManyCalls(list.length, ctx.maxBatchCalls)
  }
  meter.count(RESPONSE_ENVELOPE_BYTES + ARRAY_ENVELOPE_BYTES)
  const parts: string[] = []
  for (const c of list) {
    try {
      if (!isStruct(c) || typeof c.methodName !== 'string' || !Array.isArray(c.params))
        throw typeError('each multicall entry needs methodName (str) and params (list)')
      if (c.methodName === 'system.multicall')
        throw new PyError('RuntimeError', 'recursive system.multicall forbidden', [])
      const item: RpcValue = [await call(c.methodName, c.params as readonly RpcValue[], ctx.registry)]
      meter.admit(xmlValueSize(item, meter.remaining()))
      parts.push(encodeValue(item))
    } catch (err) {
      const f = faultOf(err, 'system.multicall', ctx.log)
      const part = encodeValue(
        struct([
          ['faultCode', BigInt(f.faultCode)],
          ['faultString', f.faultString],
        ]),
      )
      meter.count(Buffer.byteLength(part))
      parts.push(part)
    }
  }
  return encodeArrayResponse(parts)
}

/**
 * handleXmlRpc answers one XML-RPC request body with a methodResponse (result or fault).
 * With `hold` (the request's memory-budget reservation, released by the transport once the
 * reply is written), decoded values and the reply are charged to it before they are built.
 * Never throws.
 */
export async function handleXmlRpc(xml: string, ctx: XmlRpcContext, hold?: Grower): Promise<string> {
  let method: string
  let params: RpcValue[]
  try {
    ;({ method, params } = await decodeMethodCallAsync(xml, ctx.limits, hold))
  } catch (err) {
    if (!(err instanceof XmlRpcDecodeError)) {
      ctx.log.error({ err }, 'decoding the request failed')
      return encodeFault(1, "<class 'Exception'>:internal error")
    }
    if (err.code === 'XML_BUSY') {
      ctx.log.warn({ code: 'BUSY', transport: 'xmlrpc' }, 'limit reached')
      const f = limitFault(busy('the decoded request'))
      return encodeFault(f.faultCode, f.faultString)
    }
    ctx.log.info({ code: err.code, transport: 'xmlrpc', message: err.message }, 'bad request')
    const f = decodeErrorFault(err)
    return encodeFault(f.faultCode, f.faultString)
  }
  const meter = new ReplyMeter(ctx.maxReplyBytes, hold)
  try {
    if (method === 'system.multicall') return await multicall(params, ctx, meter)
    const result = await call(method, params, ctx.registry)
    meter.admit(RESPONSE_ENVELOPE_BYTES + xmlValueSize(result, meter.remaining()))
    return encodeMethodResponse(result)
  } catch (err) {
    const f = faultOf(err, method, ctx.log)
    return encodeFault(f.faultCode, f.faultString)
  } finally {
    meter.logRefusals(ctx.log, 'xmlrpc')
  }
}
