/**
 * The store stays with the one thread that owns it (the main thread, server.ts); worker
 * threads reach it over their port with request ids:
 *
 *   worker: kv method ──{ type: 'kv', calls: [{ id, op, args }, ...] }──▶ main: store[op](...args)
 *   worker: resolves id ◀──{ type: 'kv-reply', replies: [{ id, value } or { id, error }, ...] }── main
 *
 * Calls made in one turn of a thread's event loop travel as one message, and so do the
 * replies ready in one turn of the main thread's: each message costs a wake-up of the other
 * thread, more than its cloning for small values.
 *
 * A write's reply is posted only once the store has acknowledged it, i.e. once it is on disk
 * (store/kv-store.ts), so a worker's client hears of a write exactly as it did on one thread.
 * Values cross as structured clones: RpcValue is made of what structured clone carries (bigint,
 * Uint8Array, Date, arrays, objects); a struct loses its null prototype on the way and is
 * rebuilt with struct() on arrival. A PyError crosses as its fields and is raised again as one.
 */
import type { MessagePort, Worker } from 'node:worker_threads'
import type { Logger } from '../../lib/log.ts'
import { PyError, type PyErrorKind } from '../../protocols/py-error.ts'
import { isStruct, type RpcValue, struct } from '../../protocols/value.ts'
import type { KvOps } from './methods/kv.ts'

type Op = 'get' | 'set' | 'delete' | 'exists' | 'keys'

/** KvCall is one store call a worker makes. */
export interface KvCall {
  readonly id: number
  readonly op: Op
  readonly args: readonly RpcValue[]
}

/** KvRequest is the store calls a worker posts to the main thread in one message. */
export interface KvRequest {
  readonly type: 'kv'
  readonly calls: readonly KvCall[]
}

/** FailureFields are a PyError's fields, or the message of any other error. */
type FailureFields =
  | {
      readonly pyClass: string
      readonly text: string
      readonly args: readonly RpcValue[]
      readonly kind: PyErrorKind
      readonly code: string
    }
  | { readonly message: string }

/** KvAnswer is the main thread's answer to one KvCall. */
export type KvAnswer =
  | { readonly id: number; readonly value: RpcValue }
  | { readonly id: number; readonly error: FailureFields }

/** KvReply is the answers the main thread posts to a worker in one message. */
export interface KvReply {
  readonly type: 'kv-reply'
  readonly replies: readonly KvAnswer[]
}

/** Batcher collects items and hands them over once per turn of the event loop. */
class Batcher<T> {
  #items: T[] = []
  readonly #send: (items: T[]) => void
  constructor(send: (items: T[]) => void) {
    this.#send = send
  }
  push(item: T): void {
    if (this.#items.length === 0) setImmediate(this.#flush)
    this.#items.push(item)
  }
  readonly #flush = (): void => {
    const items = this.#items
    this.#items = []
    this.#send(items)
  }
}

const OPS: ReadonlySet<string> = new Set<Op>(['get', 'set', 'delete', 'exists', 'keys'])

/** run calls the store; undefined for set and delete becomes None. */
async function run(store: KvOps, op: Op, args: readonly RpcValue[]): Promise<RpcValue> {
  const [a = null, b = null] = args
  switch (op) {
    case 'get':
      return store.get(a)
    case 'set':
      await store.set(a, b)
      return null
    case 'delete':
      await store.delete(a)
      return null
    case 'exists':
      return store.exists(a)
    case 'keys':
      return store.keys()
  }
}

/** serveStore answers worker `thread`'s store calls from `store`, in the main thread. */
export function serveStore(thread: Worker | MessagePort, store: KvOps, log: Logger): void {
  const replies = new Batcher<KvAnswer>((batch) =>
    thread.postMessage({ type: 'kv-reply', replies: batch } satisfies KvReply),
  )
  const call = (c: KvCall): void => {
    if (!OPS.has(c.op)) {
      replies.push({ id: c.id, error: { message: `no store operation ${String(c.op)}` } })
      return
    }
    run(store, c.op, c.args).then(
      (value) => replies.push({ id: c.id, value }),
      (err: unknown) => {
        const error: FailureFields =
          err instanceof PyError
            ? { pyClass: err.pyClass, text: err.text, args: err.args, kind: err.kind, code: err.code }
            : { message: (err as Error)?.message ?? String(err) }
        if (!(err instanceof PyError)) log.error({ err, op: c.op }, 'store call failed')
        replies.push({ id: c.id, error })
      },
    )
  }
  thread.on('message', (msg: KvRequest) => {
    if (msg?.type !== 'kv' || !Array.isArray(msg.calls)) return
    for (const c of msg.calls) call(c)
  })
}

/** revive rebuilds the structs of a cloned value with a null prototype (so `__proto__` stays a key). */
export function revive(v: RpcValue): RpcValue {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array || v instanceof Date) return v
  if (Array.isArray(v)) return v.map(revive)
  if (!isStruct(v)) return v
  return struct(Object.entries(v).map(([k, x]) => [k, revive(x)] as const))
}

/** RemoteStore is a worker's view of the store: every call goes to the main thread. */
export class RemoteStore implements KvOps {
  readonly #port: MessagePort
  readonly #pending = new Map<number, { resolve: (v: RpcValue) => void; reject: (e: Error) => void }>()
  readonly #calls: Batcher<KvCall>
  #next = 0

  constructor(port: MessagePort) {
    this.#port = port
    this.#calls = new Batcher((calls) => this.#port.postMessage({ type: 'kv', calls } satisfies KvRequest))
    port.on('message', (msg: KvReply) => {
      if (msg?.type !== 'kv-reply') return
      for (const answer of msg.replies) this.#settle(answer)
    })
  }

  #settle(answer: KvAnswer): void {
    const call = this.#pending.get(answer.id)
    if (!call) return
    this.#pending.delete(answer.id)
    if ('value' in answer) call.resolve(revive(answer.value))
    else {
      const e = answer.error
      call.reject(
        'pyClass' in e
          ? new PyError(e.pyClass, e.text, e.args.map(revive), e.kind, e.code)
          : new Error(`the store failed: ${e.message}`),
      )
    }
  }

  /** how many calls wait for the main thread */
  get pending(): number {
    return this.#pending.size
  }

  #call(op: Op, args: readonly RpcValue[]): Promise<RpcValue> {
    return new Promise((resolve, reject) => {
      const id = ++this.#next
      this.#pending.set(id, { resolve, reject })
      this.#calls.push({ id, op, args })
    })
  }

  get(key: RpcValue): Promise<RpcValue> {
    return this.#call('get', [key])
  }
  async exists(key: RpcValue): Promise<boolean> {
    return (await this.#call('exists', [key])) as boolean
  }
  async keys(): Promise<string[]> {
    return (await this.#call('keys', [])) as string[]
  }
  async set(key: RpcValue, value: RpcValue): Promise<void> {
    await this.#call('set', [key, value])
  }
  async delete(key: RpcValue): Promise<void> {
    await this.#call('delete', [key])
  }
}
