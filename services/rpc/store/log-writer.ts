/**
 * LogWriter owns the open log and its synced length, and keeps one promise: when `append`
 * resolves, its bytes were written whole (short writes continued) and fdatasync'd. When a
 * write or sync fails, the file is cut back to where the append began and synced, so a failed
 * write leaves nothing behind; if even that fails, every later append first retries the cut
 * (a repair) and fails while it cannot be made. Compaction swaps the file (`switchTo`) with
 * appends held (`exclusive`).
 */
import { dirname } from 'node:path'
import type { Logger } from '../../../lib/log.ts'
import { isNoSpace } from './errors.ts'
import { type StoreFile, type StoreFs, writeFully } from './file-layer.ts'

export class LogWriter {
  readonly fs: StoreFs
  readonly path: string
  readonly #log: Logger
  #file: StoreFile
  #size: number
  #lock: Promise<void> = Promise.resolve()
  /** why the log needs a repair before the next append (undefined: it does not) */
  #broken: unknown
  #dirUnsynced = false

  constructor(fs: StoreFs, path: string, file: StoreFile, size: number, log: Logger) {
    this.fs = fs
    this.path = path
    this.#file = file
    this.#size = size
    this.#log = log
  }

  /** the log's synced length: where the next append goes */
  get size(): number {
    return this.#size
  }

  /** the current file and its synced length (compaction reads it back) */
  current(): { file: StoreFile; size: number } {
    return { file: this.#file, size: this.#size }
  }

  /** exclusive runs `fn` once every earlier exclusive call has finished; appends run in it. */
  exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.#lock.then(fn)
    this.#lock = run.catch(() => undefined)
    return run
  }

  /** append writes and syncs `buf` at the end (call it inside `exclusive`); `changes` is for the log line. */
  async append(buf: Buffer, changes: number): Promise<void> {
    if (this.#broken !== undefined) await this.#repair()
    try {
      await writeFully(this.#file, buf, this.#size)
      await this.#file.datasync()
    } catch (err) {
      const code = isNoSpace(err) ? 'STORE_NO_SPACE' : 'STORE_WRITE_FAILED'
      this.#log[code === 'STORE_NO_SPACE' ? 'warn' : 'error']({ err, code, changes }, 'store write failed')
      await this.#cutBack(err)
      throw err
    }
    this.#size += buf.length
  }

  /** switchTo makes `file` (synced up to `size`) the log from now on and closes the old one. */
  async switchTo(file: StoreFile, size: number): Promise<void> {
    const old = this.#file
    this.#file = file
    this.#size = size
    await old.close().catch(() => undefined)
  }

  /** dirUnsynced: a rename could not be made durable; the next append syncs the directory first. */
  dirUnsynced(err: unknown): void {
    this.#dirUnsynced = true
    this.#broken = err
    this.#log.error({ err, code: 'STORE_WRITE_FAILED' }, 'store directory sync failed after compaction')
  }

  async close(): Promise<void> {
    await this.#lock
    await this.#file.close()
  }

  async #cutBack(cause: unknown): Promise<void> {
    try {
      await this.#file.truncate(this.#size)
      await this.#file.datasync()
    } catch (err) {
      this.#broken = err
      this.#log.error({ err, cause, code: 'STORE_WRITE_FAILED' }, 'store log could not be cut back')
    }
  }

  async #repair(): Promise<void> {
    await this.#file.truncate(this.#size)
    await this.#file.datasync()
    if (this.#dirUnsynced) await this.fs.syncDir(dirname(this.path))
    this.#dirUnsynced = false
    this.#broken = undefined
    this.#log.info({ logBytes: this.#size }, 'store log repaired')
  }
}
