/**
 * The durable key-value store behind the seed's XML-RPC methods (get, set, delete, exists,
 * keys). Every change is a checksummed record appended to a log on the `rpc-data` volume
 * (record.ts); writes that arrive together go out as one write and one fdatasync (group
 * commit), in the order they were called.
 *
 * A change is acknowledged, and visible to readers, only once its write is whole and
 * synced (log-writer.ts): memory is updated after the sync, never before. A failed write or
 * sync changes nothing in memory, leaves nothing in the log, and answers an OSError
 * (errors.ts). Changes are admitted in call order against the state they will meet (admit.ts).
 *
 * Values are kept as their tagged JSON text (value-json.ts), so the live data in memory is
 * what a compacted log holds; RPC_STORE_MAX_BYTES bounds it. Once the log is larger than
 * RPC_STORE_COMPACT_RATIO times the live data (and RPC_STORE_COMPACT_MIN_BYTES) it is
 * compacted in the background (compaction.ts) while writes go on.
 */
import { dirname } from 'node:path'
import type { Logger } from '../../../lib/log.ts'
import { type PyError, typeError, valueError } from '../../../protocols/py-error.ts'
import { pyTypeName, type RpcValue } from '../../../protocols/value.ts'
import { admit, type Entry, keyError, type Pending } from './admit.ts'
import { CompactionAborted, compactLog } from './compaction.ts'
import { isNoSpace, StoreCorruptError, storeClosed, storeFull, storeWriteFailed } from './errors.ts'
import { nodeFs, writeFully } from './file-layer.ts'
import { LogWriter } from './log-writer.ts'
import { encodeWrite, LOG_HEADER, payloadOf, recordBytes, type StoreOp } from './record.ts'
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

export class KvStore {
  readonly #data = new Map<string, Entry>()
  readonly #limits: Required<KvLimits>
  readonly #log: Logger
  #writer: LogWriter | undefined
  #liveBytes = 0
  #queue: Pending[] = []
  /** per key, the last change called and not yet settled (resolves, never rejects, when it is) */
  readonly #unsettled = new Map<string, Promise<void>>()
  #lastUnsettled: Promise<void> | undefined
  #flushing: Promise<void> | undefined
  #compaction: Promise<void> | undefined
  #nextCompactionAt = 0
  #closing = false
  #fullWarned = false
  /** syncs, writes they carried (group commit), and compactions done */
  readonly stats = { syncs: 0, writes: 0, compactions: 0 }

  private constructor(limits: KvLimits, log: Logger) {
    this.#limits = { ...STORE_DEFAULTS, ...limits }
    this.#log = log
  }

  /**
   * open replays the log at `path` (created if missing) and compacts it if it is overgrown or
   * holds version 1 lines; `path` undefined keeps the store in memory only. Throws
   * StoreCorruptError (logged) when a record before the last write is damaged.
   */
  static async open(path: string | undefined, limits: KvLimits, log: Logger, fs = nodeFs): Promise<KvStore> {
    const store = new KvStore(limits, log)
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
    let size = replay.goodBytes
    if (size === 0) {
      const header = Buffer.from(LOG_HEADER)
      await writeFully(file, header, 0)
      await file.datasync()
      size = header.length
    }
    store.#writer = new LogWriter(fs, path, file, size, log)
    store.#fullWarned = store.#liveBytes > store.#limits.maxBytes
    if (store.#fullWarned)
      log.warn(
        { liveBytes: store.#liveBytes, maxBytes: store.#limits.maxBytes, code: 'STORE_FULL' },
        'store holds more than RPC_STORE_MAX_BYTES; growth is refused',
      )
    if (replay.legacy > 0 || store.#overgrown())
      await store.#compact(store.#writer, 'start', replay.legacy > 0 ? 'version 1 records' : 'overgrown')
    log.info(
      { path, keys: store.size, liveBytes: store.#liveBytes, logBytes: store.logBytes },
      'store loaded',
    )
    return store
  }

  get size(): number {
    return this.#data.size
  }

  /** the live data's size, in compacted-log bytes */
  get liveBytes(): number {
    return this.#liveBytes
  }

  /** the log's synced length (0 in memory) */
  get logBytes(): number {
    return this.#writer?.size ?? 0
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
      throw this.#full(storeFull(this.#liveBytes + grows, this.#limits.maxBytes))
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
    await this.#writer?.close()
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
    if (this.#fullWarned && this.#liveBytes < 0.9 * this.#limits.maxBytes) this.#fullWarned = false
  }

  /** #full logs (once, until the live data shrinks below 90 % of it) that the budget refused growth. */
  #full(err: PyError): PyError {
    if (!this.#fullWarned)
      this.#log.warn(
        { code: err.code, liveBytes: this.#liveBytes, maxBytes: this.#limits.maxBytes },
        'store budget reached; growth is refused',
      )
    this.#fullWarned = true
    return err
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
        const commit = () => this.#commit(batch)
        await (this.#writer ? this.#writer.exclusive(commit) : commit()).catch((err: unknown) => {
          this.#log.error({ err }, 'store commit failed')
          for (const p of batch) p.reject(storeWriteFailed(err))
        })
      }
    } finally {
      this.#flushing = undefined
    }
  }

  /** #commit writes one batch as one write and one sync; applies it to memory only then. */
  async #commit(batch: readonly Pending[]): Promise<void> {
    const admitted = admit(batch, this.#data, this.#liveBytes, this.#limits, (err) => this.#full(err))
    if (admitted.length === 0) return
    const writer = this.#writer
    if (writer) {
      const text = encodeWrite(admitted.map((p) => payloadOf(p.op)))
      try {
        await writer.append(Buffer.from(text), admitted.length)
      } catch (err) {
        for (const p of admitted) p.reject(storeWriteFailed(err))
        return
      }
      this.stats.syncs++
    }
    for (const p of admitted) this.#apply(p.op, p.bytes)
    this.stats.writes += admitted.length
    for (const p of admitted) p.resolve()
    if (writer && !this.#closing && this.#compaction === undefined && this.#overgrown())
      this.#compaction = this.#compact(writer, 'background', 'overgrown').finally(() => {
        this.#compaction = undefined
      })
  }

  #overgrown(): boolean {
    const { compactRatio, compactMinBytes } = this.#limits
    const size = this.logBytes
    return size > compactMinBytes && size > compactRatio * this.#liveBytes && size >= this.#nextCompactionAt
  }

  /** #compact runs compaction.ts; a failure leaves the old log in place and waits for more growth. */
  async #compact(writer: LogWriter, when: 'start' | 'background', why: string): Promise<void> {
    const before = writer.size
    const started = performance.now()
    this.#log.info({ when, why, logBytes: before, liveBytes: this.#liveBytes }, 'store compaction started')
    try {
      const after = await compactLog({
        writer,
        capture: () => ({ entries: [...this.#data].map(([k, e]) => [k, e.text] as const), cut: writer.size }),
        aborted: () => this.#closing && when === 'background',
      })
      this.stats.compactions++
      const ms = Math.round(performance.now() - started)
      this.#log.info({ when, logBytesBefore: before, logBytes: after, durationMs: ms }, 'store compacted')
    } catch (err) {
      if (err instanceof CompactionAborted) return
      this.#nextCompactionAt = writer.size + Math.max(this.#limits.compactMinBytes, this.#liveBytes)
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
