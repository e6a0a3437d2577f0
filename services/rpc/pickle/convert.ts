/**
 * Conversions between the pickle data model (PyValue) and the registry's RpcValue, for
 * the mp-connection RPC port. Tuples and lists both become lists; a dict must have str
 * keys (as XML-RPC structs and JSON objects do); sets have no RpcValue and are refused.
 * Going back, an RpcValue Date becomes its ISO text (a datetime would need a global).
 */
import { typeError } from '../errors.ts'
import { isStruct, type RpcValue, struct } from '../value.ts'
import { PyByteArray, PyDict, PySet, PyTuple, type PyValue } from './value.ts'

export function pyToRpc(v: PyValue): RpcValue {
  if (v === null || typeof v !== 'object') return v
  if (v instanceof Uint8Array) return v
  if (v instanceof PyByteArray) return v.bytes
  if (Array.isArray(v)) return v.map(pyToRpc)
  if (v instanceof PyTuple) return v.items.map(pyToRpc)
  if (v instanceof PyDict)
    return struct(
      v.entries.map(([k, x]) => {
        if (typeof k !== 'string') throw typeError('dict keys must be str in an RPC call')
        return [k, pyToRpc(x)] as const
      }),
    )
  if (v instanceof PySet) throw typeError(`${v.frozen ? 'frozenset' : 'set'} is not supported in an RPC call`)
  throw typeError('unsupported value in an RPC call')
}

export function rpcToPy(v: RpcValue): PyValue {
  if (v === null || typeof v !== 'object') return v
  if (v instanceof Uint8Array) return v
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map(rpcToPy)
  if (isStruct(v)) return new PyDict(Object.entries(v).map(([k, x]) => [k, rpcToPy(x)]))
  throw typeError('unsupported value in an RPC reply')
}
