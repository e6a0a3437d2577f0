/**
 * Replay reads the log front to back in 1 MiB chunks, so that start-up holds the live data
 * and one record at a time, never the whole log, and applies each good record.
 *
 * At the first bad record (checksum mismatch, unparsable, a line longer than any record can
 * be, or a last line without its newline) replay stops applying and reads on, only to judge
 * the damage:
 *
 * - torn tail: nothing after it but pieces of the same, last write. The store writes the
 *   next write only after the previous one was synced, so that last write was never
 *   acknowledged; a crash may leave it short, or with holes. Cut off (and logged).
 * - corrupt: a later write follows (a version 2 record ending a write that is not the very
 *   last record of the file, or any version 1 line). The damage is inside synced,
 *   acknowledged data: StoreCorruptError, naming the file and the offset, and nothing is cut.
 */
import { StoreCorruptError } from './errors.ts'
import type { StoreFile } from './file-layer.ts'
import { MAX_RECORD_BYTES, parseRecord, type StoreOp } from './record.ts'

const CHUNK_BYTES = 1024 * 1024

/** ReplayResult: where the good records end, what came after, and how many of each kind were read. */
export interface ReplayResult {
  /** bytes of good records from the start; the log is cut here when `torn` is set */
  readonly goodBytes: number
  readonly fileBytes: number
  readonly records: number
  /** version 1 lines read (the log is rewritten in version 2 when there are any) */
  readonly legacy: number
  /** the torn tail, when the log ends in one */
  readonly torn?: { readonly offset: number; readonly reason: string }
}

interface Damage {
  readonly offset: number
  readonly reason: string
  /** good version 2 records ending a write, after the damage */
  endsAfter: number
  /** where the last of those ends */
  lastEndAt: number
  legacyAfter: boolean
}

/** replayLog applies every good record of `file` to `apply`; throws StoreCorruptError (see above). */
export async function replayLog(
  file: StoreFile,
  path: string,
  apply: (op: StoreOp) => void,
): Promise<ReplayResult> {
  let position = 0
  let lineStart = 0
  let pending: Buffer[] = []
  let pendingBytes = 0
  let overlong = false
  let goodBytes = 0
  let records = 0
  let legacy = 0
  let damage: Damage | undefined

  const line = (bytes: Buffer | undefined, end: number, eofReason?: string) => {
    const parsed = bytes === undefined ? undefined : parseRecord(bytes)
    if (damage === undefined) {
      if (parsed?.ok && eofReason === undefined) {
        apply(parsed.op)
        goodBytes = end
        records++
        if (parsed.legacy) legacy++
      } else {
        const reason = eofReason ?? (parsed && !parsed.ok ? parsed.reason : 'record too long')
        damage = { offset: lineStart, reason, endsAfter: 0, lastEndAt: -1, legacyAfter: false }
      }
    } else if (parsed?.ok && eofReason === undefined) {
      if (parsed.legacy) damage.legacyAfter = true
      else if (parsed.last) {
        damage.endsAfter++
        damage.lastEndAt = end
      }
    }
    lineStart = end
  }

  const chunk = Buffer.allocUnsafe(CHUNK_BYTES)
  for (;;) {
    const n = await file.read(chunk, position)
    if (n === 0) break
    let from = 0
    for (;;) {
      const nl = chunk.indexOf(0x0a, from)
      if (nl === -1 || nl >= n) break
      const tail = chunk.subarray(from, nl)
      const end = position + nl + 1
      if (overlong) line(undefined, end)
      else line(pendingBytes === 0 ? Buffer.from(tail) : Buffer.concat([...pending, tail]), end)
      pending = []
      pendingBytes = 0
      overlong = false
      from = nl + 1
    }
    if (from < n && !overlong) {
      pending.push(Buffer.from(chunk.subarray(from, n)))
      pendingBytes += n - from
      if (pendingBytes > MAX_RECORD_BYTES) {
        overlong = true // damage: stop holding it, find where it ends
        pending = []
        pendingBytes = 0
      }
    }
    position += n
  }
  if (overlong || pendingBytes > 0) line(undefined, position, 'last line has no newline')

  const result = { goodBytes, fileBytes: position, records, legacy }
  if (damage === undefined) return result
  const onlyLastWrite =
    !damage.legacyAfter &&
    (damage.endsAfter === 0 || (damage.endsAfter === 1 && damage.lastEndAt === position))
  if (!onlyLastWrite) throw new StoreCorruptError(path, damage.offset, damage.reason)
  return { ...result, torn: { offset: damage.offset, reason: damage.reason } }
}
