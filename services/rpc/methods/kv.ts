/**
 * The seed's XML-RPC key-value server (`KeyValueServer`: get, set, delete, exists, keys)
 * over the durable store (store/kv-store.ts). set and delete return None only once the
 * change is on disk (written whole and fdatasync'd), and only then can anyone read it; a
 * write the disk refused answers OSError, one past RPC_STORE_MAX_BYTES ValueError.
 */
import type { KvStore } from '../store/kv-store.ts'
import type { MethodSpec } from './registry.ts'

/** KvOps is what the methods need of the store: the store itself, or a worker thread's link to it (store-link.ts). */
export type KvOps = Pick<KvStore, 'get' | 'set' | 'delete' | 'exists' | 'keys'>

export function kvMethods(store: KvOps): readonly MethodSpec[] {
  return [
    {
      name: 'get',
      params: ['name'],
      doc: 'Return the value stored under name; KeyError if there is none.',
      call: ([name]) => store.get(name ?? null),
    },
    {
      name: 'set',
      params: ['name', 'value'],
      doc: 'Store value under name; returns None once the write is on disk.',
      call: async ([name, value]) => {
        await store.set(name ?? null, value ?? null)
        return null
      },
    },
    {
      name: 'delete',
      params: ['name'],
      doc: 'Remove name; KeyError if there is none. Returns None once the removal is on disk.',
      call: async ([name]) => {
        await store.delete(name ?? null)
        return null
      },
    },
    {
      name: 'exists',
      params: ['name'],
      doc: 'Return True if a value is stored under name.',
      call: ([name]) => store.exists(name ?? null),
    },
    {
      name: 'keys',
      params: [],
      doc: 'Return the list of stored names, in insertion order.',
      call: () => store.keys(),
    },
  ]
}
