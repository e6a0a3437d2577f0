/**
 * Replay reads the log front to back in 1 MiB chunks, so that start-up holds the live data
 * and one record at a time, never the whole log, and applies each good record. A file whose
 * first line is neither LOG_HEADER nor a version 1 record is not a store log: refused.
 *
 * At the first bad record (checksum mismatch, unparsable, a line longer than any record can
 * be, or a last line without its newline) replay stops applying and reads on, only to judge
 * the damage. Each good record says where its write began (its offset minus its offset in
 * the write); the store starts a write only after the one before it was synced.
 *
 * - torn tail: every good record after the damage belongs to a write that began at or before
 *   it, i.e. to the last write, which a crash interrupted before it was synced, so it was
 *   never acknowledged. Cut off (and logged by the caller).
 * - corrupt: a good record after the damage belongs to a later write. The damage is inside a
 *   write that was synced and acknowledged: StoreCorruptError, naming the file and the
 *   offset, and nothing is cut.
 */
import { StoreCorruptError } from './errors.ts'
import type { StoreFile } from './file-layer.ts'
import { LOG_HEADER, MAX_RECORD_BYTES, parseRecord, type StoreOp } from './record.ts'

const CHUNK_BYTES = 1024 * 1024
const HEADER = Buffer.from(LOG_HEADER.slice(0, -1))

/**
 * maybeLog: could a first line (complete, or cut short by the end of the file) start a store
 * log? The header, or a version 1 record; cut short, also a piece of the header, or zeros
 * (a crash while the file was being created).
 */
function maybeLog(first: Buffer | undefined, cutShort: boolean): boolean {
  if (first === undefined) return false
  if (first[0] === 0x7b /* { */) return true
  if (!cutShort) return false
  return HEADER.subarray(0, first.length).equals(first) || first.every((b) => b === 0)
}

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
  /** a good record of a later write follows (its write began after the damage) */
  laterWrite: boolean
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
    if (lineStart === 0 && bytes !== undefined && eofReason === undefined && bytes.equals(HEADER)) {
      goodBytes = lineStart = end
      return
    }
    if (lineStart === 0 && !maybeLog(bytes, eofReason !== undefined))
      throw new StoreCorruptError(path, 0, 'not a store log: no netlab-kv-log header')
    const parsed = bytes === undefined || eofReason !== undefined ? undefined : parseRecord(bytes)
    if (damage === undefined) {
      if (parsed?.ok && parsed.inWrite <= lineStart) {
        apply(parsed.op)
        goodBytes = end
        records++
        if (parsed.legacy) legacy++
      } else {
        const reason = eofReason ?? (parsed && !parsed.ok ? parsed.reason : 'record too long')
        damage = {
          offset: lineStart,
          reason: parsed?.ok ? 'offset before the file' : reason,
          laterWrite: false,
        }
      }
    } else if (parsed?.ok && lineStart - parsed.inWrite > damage.offset) damage.laterWrite = true
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
  if (overlong || pendingBytes > 0)
    line(overlong ? undefined : Buffer.concat(pending), position, 'last line has no newline')

  const result = { goodBytes, fileBytes: position, records, legacy }
  if (damage === undefined) return result
  if (damage.laterWrite) throw new StoreCorruptError(path, damage.offset, damage.reason)
  return { ...result, torn: { offset: damage.offset, reason: damage.reason } }
}
