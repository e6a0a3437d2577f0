/**
 * Conversions between the pickle data model (PyValue) and the registry's RpcValue, for
 * the mp-connection RPC port. Tuples and lists both become lists; a dict (or OrderedDict)
 * must have str keys (as XML-RPC structs and JSON objects do); a Python 2 str is text when
 * it is ASCII (as Python 3 unpickles it by default), else bytes; a bytearray is bytes; a
 * datetime is a Date (UTC: a naive one is read as UTC, an aware one converted; the
 * microseconds are cut to milliseconds, as XML-RPC's dateTime keeps whole seconds).
 * Values with no RpcValue (set, Decimal, timedelta, …) are a TypeError here: the mp
 * transport runs `echo`, `add` and `sub` on them itself (mpconn/call.ts).
 * Going back, a Date becomes a naive datetime.datetime in UTC.
 */
import { typeError } from '../py-error.ts'
import { isStruct, type RpcValue, struct } from '../value.ts'
import { datetimeFromUs, datetimeUs } from './datetime.ts'
import { Py2Str, PyByteArray, PyDateTime, PyDict, PyTuple, type PyValue, pyTypeName } from './value.ts'

/** Microseconds from 0001-01-01 to 1970-01-01. */
const EPOCH_US = 62_135_596_800_000_000n

/** py2Text is a Python 2 str as Python 3 reads it by default (encoding='ASCII'), or undefined if it is not ASCII. */
export function py2Text(v: Py2Str): string | undefined {
  return v.every((c) => c < 0x80) ? Buffer.from(v).toString('latin1') : undefined
}

/** keyText is a dict key or name as text: a str, or an ASCII Python 2 str. */
export function keyText(k: PyValue): string | undefined {
  if (typeof k === 'string') return k
  return k instanceof Py2Str ? py2Text(k) : undefined
}

export function pyToRpc(v: PyValue): RpcValue {
  if (v === null || typeof v !== 'object') return v
  if (v instanceof Py2Str) return py2Text(v) ?? new Uint8Array(v)
  if (v instanceof Uint8Array) return v
  if (v instanceof PyByteArray) return v.bytes
  if (Array.isArray(v)) return v.map(pyToRpc)
  if (v instanceof PyTuple) return v.items.map(pyToRpc)
  if (v instanceof PyDict)
    return struct(
      v.entries.map(([k, x]) => {
        const key = keyText(k)
        if (key === undefined) throw typeError('dict keys must be str in an RPC call')
        return [key, pyToRpc(x)] as const
      }),
    )
  if (v instanceof PyDateTime) {
    const offset = v.time.tzinfo?.offset.total ?? 0n
    return new Date(Number((datetimeUs(v) - offset - EPOCH_US) / 1000n))
  }
  throw typeError(`${pyTypeName(v)} is not supported in an RPC call (only echo, add and sub take it)`)
}

export function rpcToPy(v: RpcValue): PyValue {
  if (v === null || typeof v !== 'object') return v
  if (v instanceof Uint8Array) return v
  if (v instanceof Date) {
    const dt = Number.isNaN(v.getTime())
      ? undefined
      : datetimeFromUs(BigInt(v.getTime()) * 1000n + EPOCH_US, null)
    if (dt === undefined) throw typeError('a date outside years 1 to 9999 in an RPC reply')
    return dt
  }
  if (Array.isArray(v)) return v.map(rpcToPy)
  if (isStruct(v)) return new PyDict(Object.entries(v).map(([k, x]) => [k, rpcToPy(x)]))
  throw typeError('unsupported value in an RPC reply')
}
