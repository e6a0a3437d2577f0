import type { RpcValue } from '../../protocols/value.ts'
import { decodeMethodCall, XmlRpcDecodeError, type XmlRpcLimits } from '../../protocols/xmlrpc/codec.ts'
// Golden strings: `xmlrpc.client.dumps(...)` from CPython 3.11, pasted verbatim.
export const HEAD = "<?xml version='1.0'?>\n"

/** call wraps value XML the way dumps(params, method) does. */
export function call(method: string, ...values: string[]): string {
  const params = values.map((v) => `<param>\n${v}</param>\n`).join('')
  return `${HEAD}<methodCall>\n<methodName>${method}</methodName>\n<params>\n${params}</params>\n</methodCall>\n`
}

/** response wraps one value XML the way dumps((v,), methodresponse=True) does. */
export function response(value: string): string {
  return `${HEAD}<methodResponse>\n<params>\n<param>\n${value}</param>\n</params>\n</methodResponse>\n`
}

/** param wraps a single bare value in a minimal methodCall, for decoder cases. */
export function param(valueXml: string): string {
  return `<methodCall><methodName>m</methodName><params><param>${valueXml}</param></params></methodCall>`
}

export function decodeOne(valueXml: string, limits?: XmlRpcLimits): RpcValue {
  return decodeMethodCall(param(valueXml), limits).params[0] as RpcValue
}

export function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i)
}

/** decodeError runs `fn` and returns the XmlRpcDecodeError it throws. */
export function decodeError(fn: () => unknown): XmlRpcDecodeError {
  try {
    fn()
  } catch (err) {
    if (err instanceof XmlRpcDecodeError) return err
    throw err
  }
  throw new Error('expected an XmlRpcDecodeError')
}
