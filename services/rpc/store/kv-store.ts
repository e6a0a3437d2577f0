/**
 * The durable key-value store behind the seed's XML-RPC methods (get, set, delete, exists,
 * keys). Every change is a checksummed record appended to a log on the `rpc-data` volume
 * (record.ts); writes that arrive together go out as one write and one fdatasync (group
 * commit), in the order they were called.
 *
 * A change is acknowledged, and visible to readers, only once its write is whole and
 * synced: memory is updated after the sync, never before. A failed write or sync changes
 * nothing in memory, cuts the log back to where the write began (and syncs that), and
 * answers an OSError (errors.ts); if even the cut fails, no write is taken until it succeeds.
 *
 * Values are kept as their tagged JSON text (value-json.ts), so the live data in memory is
 * what a compacted log holds; RPC_STORE_MAX_BYTES bounds it. Once the log passes
 * RPC_STORE_COMPACT_RATIO times that (and RPC_STORE_COMPACT_MIN_BYTES) it is compacted in
 * the background (compaction.ts) while writes go on.
 */
import { dirname } from 'node:path'
import type { Logger } from '../../../lib/log.ts'
import { PyError, typeError, valueError } from '../errors.ts'
import { pyRepr } from '../python.ts'
import { pyTypeName, type RpcValue } from '../value.ts'
import { CompactionAborted, compactLog } from './compaction.ts'
import { isNoSpace, StoreCorruptError, storeClosed, storeFull, storeWriteFailed } from './errors.ts'
import { nodeFs, type StoreFile, type StoreFs, writeFully } from './file-layer.ts'
import { encodeRecord, payloadOf, recordBytes, type StoreOp } from './record.ts'
import { replayLog } from './replay.ts'
import { fromTagged, toTagged } from './value-json.ts'

/** KvLimits are the store's limits and compaction policy (RPC_KV_* and RPC_STORE_* variables). */
export interface KvLimits {
  readonly maxKeys: number
  readonly maxKeyBytes: number
  readonly maxValueBytes: number
  /** live data, counted as a compacted log's bytes; growth past it is refused */
  readonly maxBytes?: number
  /** compact once the log is larger than this many times the live data ... */
  readonly compactRatio?: number
  /** ... and larger than this */
  readonly compactMinBytes?: number
}

/** The defaults of the optional limits: RPC_STORE_MAX_BYTES, _COMPACT_RATIO, _COMPACT_MIN_BYTES. */
export const STORE_DEFAULTS = {
  maxBytes: 64 * 1024 * 1024,
  compactRatio: 4,
  compactMinBytes: 1024 * 1024,
} as const

/** A write's bytes beyond which the next queued changes wait for the following write. */
const MAX_WRITE_BYTES = 4 * 1024 * 1024

interface Entry {
  /** the value as tagged JSON text */
  readonly text: string
  /** its record's length: what it adds to a compacted log */
  readonly bytes: number
}

interface Pending {
  readonly op: StoreOp
  readonly keyValue: RpcValue
  readonly bytes: number
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

/** keyError is Python's KeyError(key): its text is the repr of the key. */
export function keyError(key: RpcValue): PyError {
  return new PyError('KeyError', pyRepr(key), [key])
}

export class KvStore {
  readonly #data = new Map<string, Entry>()
  readonly #limits: Required<KvLimits>
  readonly #log: Logger
  readonly #fs: StoreFs
  readonly #path: string | undefined
  #file: StoreFile | undefined
  /** the log's synced length: where the next write goes */
  #size = 0
  #liveBytes = 0
  #queue: Pending[] = []
  /** per key, the last change called and not yet settled (resolves, never rejects, when it is) */
  readonly #unsettled = new Map<string, Promise<void>>()
  #lastUnsettled: Promise<void> | undefined
  #flushing: Promise<void> | undefined
  /** every file operation of a write, and compaction's switch, run one at a time through this */
  #lock: Promise<void> = Promise.resolve()
  /** a failed write could not be cut off (or a rename not synced): repair before the next */
  #broken: unknown
  #dirUnsynced = false
  #compaction: Promise<void> | undefined
  #nextCompactionAt = 0
  #closing = false
  /** syncs, writes they carried (group commit), and compactions done */
  readonly stats = { syncs: 0, writes: 0, compactions: 0 }

  private constructor(limits: KvLimits, log: Logger, fs: StoreFs, path: string | undefined) {
    this.#limits = { ...STORE_DEFAULTS, ...limits }
    this.#log = log
    this.#fs = fs
    this.#path = path
  }

  /**
   * open replays the log at `path` (created if missing) and compacts it if it is overgrown or
   * holds version 1 lines; `path` undefined keeps the store in memory only. Throws
   * StoreCorruptError (logged) when a record before the last write is damaged.
   */
  static async open(path: string | undefined, limits: KvLimits, log: Logger, fs = nodeFs): Promise<KvStore> {
    const store = new KvStore(limits, log, fs, path)
    if (path === undefined) return store
    const dir = dirname(path)
    await fs.mkdir(dir)
    if ((await fs.size(`${path}.tmp`)) !== undefined) {
      await fs.unlink(`${path}.tmp`)
      log.info({ path: `${path}.tmp` }, 'store removed an unfinished compaction')
    }
    const existed = (await fs.size(path)) !== undefined
    const file = await fs.open(path, existed ? 'existing' : 'create')
    if (!existed) await fs.syncDir(dir)
    let replay: Awaited<ReturnType<typeof replayLog>>
    try {
      replay = await replayLog(file, path, (op) => store.#apply(op, recordBytes(op)))
    } catch (err) {
      await file.close()
      if (err instanceof StoreCorruptError)
        log.fatal({ code: err.code, path, offset: err.offset, reason: err.reason }, err.message)
      throw err
    }
    if (replay.torn) {
      await file.truncate(replay.goodBytes)
      await file.datasync()
      const { offset, reason } = replay.torn
      log.warn(
        { path, offset, droppedBytes: replay.fileBytes - offset, reason },
        'store log torn tail cut off',
      )
    }
    store.#file = file
    store.#size = replay.goodBytes
    if (store.#liveBytes > store.#limits.maxBytes)
      log.warn(
        { liveBytes: store.#liveBytes, maxBytes: store.#limits.maxBytes, code: 'STORE_FULL' },
        'store holds more than RPC_STORE_MAX_BYTES; growth is refused',
      )
    if (replay.legacy > 0 || store.#overgrown()) {
      await store.#compact('start', replay.legacy > 0 ? 'version 1 records' : 'overgrown')
    }
    log.info({ path, keys: store.size, liveBytes: store.#liveBytes, logBytes: store.#size }, 'store loaded')
    return store
  }

  get size(): number {
    return this.#data.size
  }

  /** the live data's size, in compacted-log bytes */
  get liveBytes(): number {
    return this.#liveBytes
  }

  /** the log's synced length */
  get logBytes(): number {
    return this.#size
  }

  /**
   * get reads the value. A read waits for changes to the same key that were called before it
   * and are not yet settled, so a client that pipelines set then get reads its own write,
   * and nobody reads a value before it is durable.
   */
  async get(key: RpcValue): Promise<RpcValue> {
    const k = this.#key(key)
    await this.#unsettled.get(k)
    const entry = this.#data.get(k)
    if (entry === undefined) throw keyError(key)
    return fromTagged(JSON.parse(entry.text))
  }

  /** exists says whether the key holds a value (after changes to it called before, as get). */
  async exists(key: RpcValue): Promise<boolean> {
    const k = this.#key(key)
    await this.#unsettled.get(k)
    return this.#data.has(k)
  }

  /** keys lists the stored keys in insertion order, once every change called before has settled. */
  async keys(): Promise<string[]> {
    await this.#lastUnsettled
    return [...this.#data.keys()]
  }

  /** set stores the value; resolves once it is durable (and only then can it be read). */
  set(key: RpcValue, value: RpcValue): Promise<void> {
    const k = this.#key(key)
    const text = JSON.stringify(toTagged(value))
    const size = Buffer.byteLength(text)
    if (size > this.#limits.maxValueBytes)
      throw valueError(
        `value is ${size} bytes stored; the limit is ${this.#limits.maxValueBytes} (RPC_KV_MAX_VALUE_BYTES)`,
      )
    const op: StoreOp = { kind: 'set', key: k, value: text }
    const bytes = recordBytes(op)
    // Refused at once when it cannot fit now; a queued delete might make room, but this call
    // may as well have come first.
    const grows = bytes - (this.#data.get(k)?.bytes ?? 0)
    if (grows > 0 && this.#liveBytes + grows > this.#limits.maxBytes)
      throw storeFull(this.#liveBytes + grows, this.#limits.maxBytes)
    return this.#enqueue(op, key, bytes)
  }

  /** delete removes the key (KeyError if absent); resolves once the removal is durable. */
  delete(key: RpcValue): Promise<void> {
    const op: StoreOp = { kind: 'delete', key: this.#key(key) }
    return this.#enqueue(op, key, recordBytes(op))
  }

  /** close lets queued writes finish, stops a compaction in progress, then closes the log. */
  async close(): Promise<void> {
    this.#closing = true
    while (this.#flushing || this.#compaction) await Promise.all([this.#flushing, this.#compaction])
    await this.#file?.close()
    this.#file = undefined
  }

  #key(key: RpcValue): string {
    if (typeof key !== 'string') throw typeError(`keys must be str, not ${pyTypeName(key)}`)
    if (Buffer.byteLength(key) > this.#limits.maxKeyBytes)
      throw valueError(`key is longer than ${this.#limits.maxKeyBytes} bytes (RPC_KV_MAX_KEY_BYTES)`)
    return key
  }

  #apply(op: StoreOp, bytes: number): void {
    this.#liveBytes -= this.#data.get(op.key)?.bytes ?? 0
    if (op.kind === 'delete') this.#data.delete(op.key)
    else {
      this.#data.set(op.key, { text: op.value, bytes })
      this.#liveBytes += bytes
    }
  }

  #enqueue(op: StoreOp, keyValue: RpcValue, bytes: number): Promise<void> {
    if (this.#closing) return Promise.reject(storeClosed())
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ op, keyValue, bytes, resolve, reject })
      this.#flushing ??= this.#flush()
    })
    const settled = done.then(
      () => undefined,
      () => undefined,
    )
    this.#unsettled.set(op.key, settled)
    this.#lastUnsettled = settled
    void settled.then(() => {
      if (this.#unsettled.get(op.key) === settled) this.#unsettled.delete(op.key)
      if (this.#lastUnsettled === settled) this.#lastUnsettled = undefined
    })
    return done
  }

  /** #flush commits queued changes, a write at a time, until none is left. */
  async #flush(): Promise<void> {
    try {
      await null // changes called in the same tick share the first write too
      while (this.#queue.length > 0) {
        let take = 0
        let bytes = 0
        while (take < this.#queue.length && (take === 0 || bytes < MAX_WRITE_BYTES))
          bytes += (this.#queue[take++] as Pending).bytes
        const batch = this.#queue.splice(0, take)
        await this.#exclusive(() => this.#commit(batch)).catch((err: unknown) => {
          this.#log.error({ err }, 'store commit failed')
          for (const p of batch) p.reject(storeWriteFailed(err))
        })
      }
    } finally {
      this.#flushing = undefined
    }
  }

  #exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.#lock.then(fn)
    this.#lock = run.catch(() => undefined)
    return run
  }

  /** #accept checks a batch in order against the state it will meet; refuses what does not fit. */
  #accept(batch: readonly Pending[]): Pending[] {
    const seen = new Map<string, Entry | undefined>()
    let live = this.#liveBytes
    let keys = this.#data.size
    const accepted: Pending[] = []
    for (const p of batch) {
      const current = seen.has(p.op.key) ? seen.get(p.op.key) : this.#data.get(p.op.key)
      if (p.op.kind === 'delete') {
        if (current === undefined) {
          p.reject(keyError(p.keyValue))
          continue
        }
        seen.set(p.op.key, undefined)
        live -= current.bytes
        keys--
      } else {
        if (current === undefined && keys >= this.#limits.maxKeys) {
          p.reject(valueError(`store is full: ${this.#limits.maxKeys} keys (RPC_KV_MAX_KEYS)`))
          continue
        }
        const after = live - (current?.bytes ?? 0) + p.bytes
        if (after > live && after > this.#limits.maxBytes) {
          p.reject(storeFull(after, this.#limits.maxBytes))
          continue
        }
        seen.set(p.op.key, { text: p.op.value, bytes: p.bytes })
        live = after
        if (current === undefined) keys++
      }
      accepted.push(p)
    }
    return accepted
  }

  /** #commit writes one batch as one write and one sync; applies it to memory only then. */
  async #commit(batch: readonly Pending[]): Promise<void> {
    const file = this.#file
    if (file && this.#broken !== undefined) {
      try {
        await this.#repair(file)
      } catch (err) {
        for (const p of batch) p.reject(storeWriteFailed(err))
        return
      }
    }
    const accepted = this.#accept(batch)
    if (accepted.length === 0) return
    if (file) {
      const text = accepted.map((p, i) => encodeRecord(payloadOf(p.op), i === accepted.length - 1)).join('')
      const buf = Buffer.from(text)
      try {
        await writeFully(file, buf, this.#size)
        await file.datasync()
      } catch (err) {
        this.#log[isNoSpace(err) ? 'warn' : 'error'](
          { err, code: isNoSpace(err) ? 'STORE_NO_SPACE' : 'STORE_WRITE_FAILED', changes: accepted.length },
          'store write failed',
        )
        await this.#cutBack(file, err)
        for (const p of accepted) p.reject(storeWriteFailed(err))
        return
      }
      this.#size += buf.length
      this.stats.syncs++
    }
    for (const p of accepted) this.#apply(p.op, p.bytes)
    this.stats.writes += accepted.length
    for (const p of accepted) p.resolve()
    if (file && !this.#closing && this.#compaction === undefined && this.#overgrown())
      this.#compaction = this.#compact('background', 'overgrown').finally(() => {
        this.#compaction = undefined
      })
  }

  /** #cutBack removes a failed write's bytes; if it cannot, writes wait for a repair. */
  async #cutBack(file: StoreFile, cause: unknown): Promise<void> {
    try {
      await file.truncate(this.#size)
      await file.datasync()
    } catch (err) {
      this.#broken = err
      this.#log.error({ err, cause, code: 'STORE_WRITE_FAILED' }, 'store log could not be cut back')
    }
  }

  async #repair(file: StoreFile): Promise<void> {
    await file.truncate(this.#size)
    await file.datasync()
    if (this.#dirUnsynced && this.#path) await this.#fs.syncDir(dirname(this.#path))
    this.#dirUnsynced = false
    this.#broken = undefined
    this.#log.info({ logBytes: this.#size }, 'store log repaired')
  }

  #overgrown(): boolean {
    const { compactRatio, compactMinBytes } = this.#limits
    return (
      this.#size > compactMinBytes &&
      this.#size > compactRatio * this.#liveBytes &&
      this.#size >= this.#nextCompactionAt
    )
  }

  /** #compact runs compaction.ts; a failure leaves the old log in place and waits for more growth. */
  async #compact(when: 'start' | 'background', why: string): Promise<void> {
    const path = this.#path as string
    const before = this.#size
    const started = performance.now()
    this.#log.info({ when, why, logBytes: before, liveBytes: this.#liveBytes }, 'store compaction started')
    try {
      const after = await compactLog({
        fs: this.#fs,
        path,
        capture: () => ({
          entries: [...this.#data].map(([k, e]) => [k, e.text] as const),
          cut: this.#size,
        }),
        log: () => ({ file: this.#file as StoreFile, size: this.#size }),
        aborted: () => this.#closing && when === 'background',
        exclusive: (fn) => this.#exclusive(fn),
        switchTo: async (file, size) => {
          const old = this.#file
          this.#file = file
          this.#size = size
          await old?.close().catch(() => undefined)
        },
        dirUnsynced: (err) => {
          this.#dirUnsynced = true
          this.#broken = err
          this.#log.error({ err, code: 'STORE_WRITE_FAILED' }, 'store directory sync failed after compaction')
        },
      })
      this.stats.compactions++
      const ms = Math.round(performance.now() - started)
      this.#log.info({ when, logBytesBefore: before, logBytes: after, durationMs: ms }, 'store compacted')
    } catch (err) {
      if (err instanceof CompactionAborted) return
      this.#nextCompactionAt = this.#size + Math.max(this.#limits.compactMinBytes, this.#liveBytes)
      this.#log.warn(
        {
          err,
          code: isNoSpace(err) ? 'STORE_NO_SPACE' : 'STORE_WRITE_FAILED',
          retryAtLogBytes: this.#nextCompactionAt,
        },
        'store compaction failed; the log stays as it was',
      )
    }
  }
}
