/**
 * The durable key-value store behind the seed's XML-RPC methods (get, set, delete,
 * exists, keys). Every change is one JSON line appended to a log on the `rpc-data`
 * volume, and a write is acknowledged only after its line is on disk (fdatasync):
 * writes that arrive together share one sync (group commit), so durability does not
 * cost a disk flush per call under load.
 *
 *   {"s":"foo","v":"bar"}            set foo = 'bar'
 *   {"s":"spam","v":[{"$int":"1"}]}  set spam = [1]      (value-json.ts: lossless tags)
 *   {"d":"spam"}                     delete spam
 *
 * At start the log is replayed; a torn last line (a crash mid-write, never acknowledged)
 * is cut off. When the log holds far more lines than live keys it is compacted: a fresh
 * snapshot is written beside it, synced, and renamed over it.
 */
import { createReadStream } from 'node:fs'
import { type FileHandle, mkdir, open, rename, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import type { Logger } from '../../../lib/log.ts'
import { PyError, typeError, valueError } from '../errors.ts'
import { pyRepr } from '../python.ts'
import { pyTypeName, type RpcValue } from '../value.ts'
import { fromTagged, toTagged } from './value-json.ts'

export interface KvLimits {
  readonly maxKeys: number
  readonly maxKeyBytes: number
  readonly maxValueBytes: number
}

interface Waiter {
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

/** keyError is Python's KeyError(key): its text is the repr of the key. */
export function keyError(key: RpcValue): PyError {
  return new PyError('KeyError', pyRepr(key), [key])
}

export class KvStore {
  readonly #data = new Map<string, RpcValue>()
  readonly #limits: KvLimits
  readonly #log: Logger
  readonly #file: FileHandle | undefined
  #pending: string[] = []
  #waiters: Waiter[] = []
  #flushing: Promise<void> | undefined
  /** how many syncs the log has done, and how many writes they carried (group commit) */
  readonly stats = { syncs: 0, writes: 0 }

  private constructor(limits: KvLimits, log: Logger, file: FileHandle | undefined) {
    this.#limits = limits
    this.#log = log
    this.#file = file
  }

  /** open replays `path` (created if missing); `path` undefined keeps the store in memory only. */
  static async open(path: string | undefined, limits: KvLimits, log: Logger): Promise<KvStore> {
    if (path === undefined) return new KvStore(limits, log, undefined)
    await mkdir(dirname(path), { recursive: true })
    const data = new Map<string, RpcValue>()
    const { lines, goodBytes, totalBytes } = await replay(path, data)
    let file = await open(path, 'a+')
    if (goodBytes < totalBytes) {
      log.warn({ path, droppedBytes: totalBytes - goodBytes }, 'store log ends in a torn line; cut off')
      await file.truncate(goodBytes)
    }
    if (lines > 2 * data.size + 1024) {
      await file.close()
      await writeSnapshot(path, data)
      log.info({ path, before: lines, after: data.size }, 'store log compacted')
      file = await open(path, 'a+')
    }
    const store = new KvStore(limits, log, file)
    for (const [k, v] of data) store.#data.set(k, v)
    log.info({ path, keys: data.size }, 'store loaded')
    return store
  }

  get size(): number {
    return this.#data.size
  }

  get(key: RpcValue): RpcValue {
    const k = this.#key(key)
    const v = this.#data.get(k)
    if (v === undefined) throw keyError(key)
    return v
  }

  exists(key: RpcValue): boolean {
    return this.#data.has(this.#key(key))
  }

  keys(): string[] {
    return [...this.#data.keys()]
  }

  /** set stores the value; resolves once it is durable. */
  set(key: RpcValue, value: RpcValue): Promise<void> {
    const k = this.#key(key)
    const encoded = JSON.stringify(toTagged(value))
    const size = Buffer.byteLength(encoded)
    if (size > this.#limits.maxValueBytes)
      throw valueError(
        `value is ${size} bytes stored; the limit is ${this.#limits.maxValueBytes} (RPC_KV_MAX_VALUE_BYTES)`,
      )
    if (!this.#data.has(k) && this.#data.size >= this.#limits.maxKeys)
      throw valueError(`store is full: ${this.#limits.maxKeys} keys (RPC_KV_MAX_KEYS)`)
    this.#data.set(k, value)
    return this.#append(`{"s":${JSON.stringify(k)},"v":${encoded}}\n`)
  }

  /** delete removes the key (KeyError if absent); resolves once the removal is durable. */
  delete(key: RpcValue): Promise<void> {
    const k = this.#key(key)
    if (!this.#data.delete(k)) throw keyError(key)
    return this.#append(`{"d":${JSON.stringify(k)}}\n`)
  }

  /** close waits for pending writes, then closes the log. */
  async close(): Promise<void> {
    await this.#flushing
    await this.#file?.close()
  }

  #key(key: RpcValue): string {
    if (typeof key !== 'string') throw typeError(`keys must be str, not ${pyTypeName(key)}`)
    if (Buffer.byteLength(key) > this.#limits.maxKeyBytes)
      throw valueError(`key is longer than ${this.#limits.maxKeyBytes} bytes (RPC_KV_MAX_KEY_BYTES)`)
    return key
  }

  #append(line: string): Promise<void> {
    if (!this.#file) return Promise.resolve()
    this.#pending.push(line)
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }))
    this.#flushing ??= this.#flush()
    return done
  }

  /** #flush writes and syncs batches until nothing is pending (one sync per batch). */
  async #flush(): Promise<void> {
    const file = this.#file
    try {
      while (file && this.#pending.length > 0) {
        const lines = this.#pending
        const waiters = this.#waiters
        this.#pending = []
        this.#waiters = []
        try {
          await file.write(lines.join(''))
          await file.datasync()
          this.stats.syncs++
          this.stats.writes += lines.length
          for (const w of waiters) w.resolve()
        } catch (err) {
          this.#log.error({ err }, 'store write failed')
          for (const w of waiters)
            w.reject(new PyError('OSError', `store write failed: ${(err as Error).message}`, []))
        }
      }
    } finally {
      this.#flushing = undefined
    }
  }
}

/** replay applies the log at `path` to `data`; returns the count of good lines and their byte length. */
async function replay(
  path: string,
  data: Map<string, RpcValue>,
): Promise<{ lines: number; goodBytes: number; totalBytes: number }> {
  const exists = await stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false
      throw err
    },
  )
  if (!exists) return { lines: 0, goodBytes: 0, totalBytes: 0 }
  const stream = createReadStream(path, { encoding: 'utf8' })
  let lines = 0
  let goodBytes = 0
  let totalBytes = 0
  let torn = false
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    const size = Buffer.byteLength(line) + 1
    totalBytes += size
    if (torn) continue
    try {
      const entry = JSON.parse(line) as { s?: string; v?: unknown; d?: string }
      if (typeof entry.s === 'string' && 'v' in entry) data.set(entry.s, fromTagged(entry.v))
      else if (typeof entry.d === 'string') data.delete(entry.d)
      else throw new Error('not a store entry')
      lines++
      goodBytes += size
    } catch {
      torn = true // everything from here on was never acknowledged
    }
  }
  return { lines, goodBytes, totalBytes: Math.max(totalBytes, goodBytes) }
}

/** writeSnapshot writes every live key to `path.tmp`, syncs it, and renames it over `path`. */
async function writeSnapshot(path: string, data: ReadonlyMap<string, RpcValue>): Promise<void> {
  const tmp = `${path}.tmp`
  const file = await open(tmp, 'w')
  try {
    const lines: string[] = []
    for (const [k, v] of data) lines.push(`{"s":${JSON.stringify(k)},"v":${JSON.stringify(toTagged(v))}}\n`)
    await file.write(lines.join(''))
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(tmp, path)
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
