/**
 * Python-style fault texts for the XML-RPC server. `SimpleXMLRPCServer` turns every
 * exception a method raises into `Fault(1, "%s:%s" % (type(exc), exc))`, so the client sees
 *
 *   <fault><value><struct>
 *     faultCode   <int>1</int>
 *     faultString <string><class 'KeyError'>:'missing'</string>
 *   </struct></value></fault>
 *
 * The helpers here build those strings the way CPython 3.11 words them: unknown method,
 * wrong arity (plain functions and bound methods), KeyError on a missing key, and the
 * decoder's errors (`<class 'xml.parsers.expat.ExpatError'>:...`). The spellings inside
 * them (repr, arity texts) live in ../python.ts, shared with the other transports.
 */
import { arityMessage, type PySignature, pyRepr } from '../python.ts'
import type { RpcValue } from '../value.ts'
import type { XmlRpcDecodeError } from './codec.ts'

/** XmlRpcFault is the struct inside `<fault>`: the code is always 1 for Python's server. */
export interface XmlRpcFault {
  readonly faultCode: number
  readonly faultString: string
}

/** pyFault is Python's `Fault(1, "<class 'X'>:message")`; pyClass is e.g. `KeyError`. */
export function pyFault(pyClass: string, message: string): XmlRpcFault {
  return { faultCode: 1, faultString: `<class '${pyClass}'>:${message}` }
}

/** unknownMethodFault: `<class 'Exception'>:method "nosuch" is not supported`. */
export function unknownMethodFault(method: string): XmlRpcFault {
  return pyFault('Exception', `method "${method}" is not supported`)
}

/** keyErrorFault: `<class 'KeyError'>:'k'` (a KeyError's text is the repr of its key). */
export function keyErrorFault(key: RpcValue): XmlRpcFault {
  return pyFault('KeyError', pyRepr(key))
}

/** expatFault: `<class 'xml.parsers.expat.ExpatError'>:unclosed token: line 1, column 0`. */
export function expatFault(message: string): XmlRpcFault {
  return pyFault('xml.parsers.expat.ExpatError', message)
}

/** decodeErrorFault is the fault Python's server would send for a request it cannot read. */
export function decodeErrorFault(err: XmlRpcDecodeError): XmlRpcFault {
  return pyFault(err.pyClass, err.pyMessage)
}

/** arityFault wraps `arityMessage` as a TypeError fault; undefined when the count fits. */
export function arityFault(sig: PySignature, given: number): XmlRpcFault | undefined {
  const message = arityMessage(sig, given)
  return message === undefined ? undefined : pyFault('TypeError', message)
}
