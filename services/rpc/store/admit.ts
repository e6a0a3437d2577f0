/**
 * Admission of a batch of changes, in call order, against the state each will meet once the
 * changes before it are applied: a delete of a missing key is Python's KeyError, a new key
 * past RPC_KV_MAX_KEYS and growth past RPC_STORE_MAX_BYTES are refused. Only what is admitted
 * is written; the refused are answered at once and leave no trace in the log.
 */
import { PyError, valueError } from '../../../protocols/py-error.ts'
import { pyRepr } from '../../../protocols/python.ts'
import type { RpcValue } from '../../../protocols/value.ts'
import { storeFull } from './errors.ts'
import type { StoreOp } from './record.ts'

/** Entry is one live key's value, as tagged JSON text, and its record's length. */
export interface Entry {
  readonly text: string
  /** what it adds to a compacted log */
  readonly bytes: number
}

/** Pending is a change called and not yet settled. */
export interface Pending {
  readonly op: StoreOp
  /** the key as the caller gave it, for KeyError's repr */
  readonly keyValue: RpcValue
  /** the change's record length */
  readonly bytes: number
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

/** keyError is Python's KeyError(key): its text is the repr of the key. */
export function keyError(key: RpcValue): PyError {
  return new PyError('KeyError', pyRepr(key), [key])
}

/** admit returns the changes of `batch` that fit, in order, and rejects the others. */
export function admit(
  batch: readonly Pending[],
  data: ReadonlyMap<string, Entry>,
  liveBytes: number,
  limits: { readonly maxKeys: number; readonly maxBytes: number },
  onFull: (err: PyError) => void,
): Pending[] {
  const seen = new Map<string, Entry | undefined>()
  let live = liveBytes
  let keys = data.size
  const admitted: Pending[] = []
  for (const p of batch) {
    const current = seen.has(p.op.key) ? seen.get(p.op.key) : data.get(p.op.key)
    if (p.op.kind === 'delete') {
      if (current === undefined) {
        p.reject(keyError(p.keyValue))
        continue
      }
      seen.set(p.op.key, undefined)
      live -= current.bytes
      keys--
    } else {
      if (current === undefined && keys >= limits.maxKeys) {
        p.reject(valueError(`store is full: ${limits.maxKeys} keys (RPC_KV_MAX_KEYS)`))
        continue
      }
      const after = live - (current?.bytes ?? 0) + p.bytes
      if (after > live && after > limits.maxBytes) {
        const err = storeFull(after, limits.maxBytes)
        onFull(err)
        p.reject(err)
        continue
      }
      seen.set(p.op.key, { text: p.op.value, bytes: p.bytes })
      live = after
      if (current === undefined) keys++
    }
    admitted.push(p)
  }
  return admitted
}
