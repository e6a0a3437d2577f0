/**
 * Compaction rewrites the log as one record per live key while the store keeps serving:
 *
 *   1. capture   the live entries and the log's synced length (`cut`), at one instant
 *   2. snapshot  write them to <log>.tmp in 1 MiB writes, then fdatasync
 *   3. catch up  copy what was appended to the log after `cut` (synced writes, read back
 *                from the log), repeatedly, while writes go on
 *   4. switch    with writes held: copy the last few, fdatasync, rename over the log,
 *                fsync the directory, and append to the new file from then on
 *
 * Until the rename the old log is whole and authoritative (a crash leaves a stale .tmp,
 * removed at start); after it the new file holds every write the old one had.
 */
import { dirname } from 'node:path'
import { type StoreFile, writeFully } from './file-layer.ts'
import type { LogWriter } from './log-writer.ts'
import { encodeWrite, LOG_HEADER, payloadOf } from './record.ts'

const CHUNK_BYTES = 1024 * 1024
/** Below this much left to copy, the final copy runs with writes held. */
const HELD_COPY_BYTES = 256 * 1024

/** CompactionHost is what compaction needs from the store: its log writer, its live entries. */
export interface CompactionHost {
  readonly writer: LogWriter
  /** the live entries (key, tagged JSON value) and the synced length they correspond to */
  capture(): { entries: ReadonlyArray<readonly [string, string]>; cut: number }
  /** true once the store is closing: give up */
  aborted(): boolean
}

/** CompactionAborted: the store began to close while compacting; the old log stands. */
export class CompactionAborted extends Error {
  override readonly name = 'CompactionAborted'
}

/** compactLog runs one compaction; resolves the new log's length. */
export async function compactLog(host: CompactionHost): Promise<number> {
  const { writer } = host
  const { entries, cut } = host.capture()
  const tmpPath = `${writer.path}.tmp`
  const tmp = await writer.fs.open(tmpPath, 'create')
  let switched = false
  try {
    let position = await writeSnapshot(tmp, entries, host)
    await tmp.datasync()
    let from = cut
    while (writer.size - from > HELD_COPY_BYTES) {
      const to = writer.size
      position = await copyRange(writer.current().file, from, to, tmp, position, host)
      from = to
    }
    await writer.exclusive(async () => {
      if (host.aborted()) throw new CompactionAborted('store closing')
      const { file, size } = writer.current()
      position = await copyRange(file, from, size, tmp, position, host)
      await tmp.datasync()
      await writer.fs.rename(tmpPath, writer.path)
      switched = true
      await writer.switchTo(tmp, position)
      try {
        await writer.fs.syncDir(dirname(writer.path))
      } catch (err) {
        writer.dirUnsynced(err)
      }
    })
    return position
  } finally {
    if (!switched) {
      await tmp.close().catch(() => undefined)
      await writer.fs.unlink(tmpPath).catch(() => undefined)
    }
  }
}

/** writeSnapshot writes the header, then one record per entry, in writes of about 1 MiB. */
async function writeSnapshot(
  tmp: StoreFile,
  entries: ReadonlyArray<readonly [string, string]>,
  host: CompactionHost,
): Promise<number> {
  const header = Buffer.from(LOG_HEADER)
  await writeFully(tmp, header, 0)
  let position = header.length
  let payloads: string[] = []
  let bytes = 0
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i] as readonly [string, string]
    const payload = payloadOf({ kind: 'set', key, value })
    payloads.push(payload)
    bytes += payload.length
    if (bytes >= CHUNK_BYTES || i === entries.length - 1) {
      if (host.aborted()) throw new CompactionAborted('store closing')
      const buf = Buffer.from(encodeWrite(payloads))
      await writeFully(tmp, buf, position)
      position += buf.length
      payloads = []
      bytes = 0
    }
  }
  return position
}

/** copyRange copies bytes [from, to) of the old log to `dest` at `position`; resolves the new position. */
async function copyRange(
  src: StoreFile,
  from: number,
  to: number,
  dest: StoreFile,
  position: number,
  host: CompactionHost,
): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES)
  let at = from
  while (at < to) {
    if (host.aborted()) throw new CompactionAborted('store closing')
    const n = await src.read(buf.subarray(0, Math.min(CHUNK_BYTES, to - at)), at)
    if (n <= 0) throw new Error(`log ended at byte ${at} while copying up to ${to}`)
    await writeFully(dest, buf.subarray(0, n), position)
    position += n
    at += n
  }
  return position
}
