/**
 * The store's error catalogue. A refused write is a PyError, so every transport reports it
 * in its own form (XML-RPC fault, JSON-RPC -32000 error, pickled exception on the mp port);
 * the stable code ends the text, in parentheses, so a client can match on it:
 *
 *   STORE_FULL          ValueError  the live data would pass RPC_STORE_MAX_BYTES
 *   STORE_NO_SPACE      OSError(28) the volume is full (ENOSPC, EDQUOT)
 *   STORE_WRITE_FAILED  OSError(n)  any other failed write, sync or truncate of the log
 *   STORE_CORRUPT       (start-up)  a damaged record before the log's last write
 *
 * An OSError carries (errno, strerror), as Python's does: `str(e)` is `[Errno 28] ...` and a
 * Python client reading the pickled one gets `e.errno == errno.ENOSPC`.
 */
import { constants } from 'node:os'
import { getSystemErrorMessage } from 'node:util'
import { isErrnoException, LabError } from '../../../lib/errors.ts'
import { PyError } from '../../../protocols/py-error.ts'

const EIO = constants.errno.EIO
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT'])

/** storeFull: a write that would grow the live data past the budget. */
export function storeFull(liveBytes: number, maxBytes: number): PyError {
  const text = `store is full: this write would bring the live data to ${liveBytes} bytes; the limit is ${maxBytes} (RPC_STORE_MAX_BYTES); nothing was stored (STORE_FULL)`
  return new PyError('ValueError', text, [text], 'application', 'STORE_FULL')
}

/** isNoSpace says whether a file-system error means the volume is full. */
export function isNoSpace(err: unknown): boolean {
  return isErrnoException(err) && NO_SPACE.has(err.code ?? '')
}

/**
 * storeWriteFailed is the OSError a client gets when the log could not be written or synced:
 * its errno is the system's (EIO when the cause has none, e.g. a write that wrote nothing).
 */
export function storeWriteFailed(cause: unknown): PyError {
  const name = isErrnoException(cause) ? (cause.code ?? '') : ''
  const errno = (constants.errno as Readonly<Record<string, number>>)[name] ?? EIO
  const system = getSystemErrorMessage(-errno)
  const what = isNoSpace(cause)
    ? "the store's volume is full; the write was not stored (STORE_NO_SPACE)"
    : 'the store could not write its log; the write was not stored (STORE_WRITE_FAILED)'
  const strerror = `${system.charAt(0).toUpperCase()}${system.slice(1)}: ${what}`
  const code = isNoSpace(cause) ? 'STORE_NO_SPACE' : 'STORE_WRITE_FAILED'
  return new PyError(
    'OSError',
    `[Errno ${errno}] ${strerror}`,
    [BigInt(errno), strerror],
    'application',
    code,
  )
}

/** storeClosed: a write that arrived after the store was closed (shutdown). */
export function storeClosed(): PyError {
  const strerror = 'the store is closed (shutting down); the write was not stored (STORE_WRITE_FAILED)'
  return new PyError(
    'OSError',
    `[Errno ${EIO}] ${strerror}`,
    [BigInt(EIO), strerror],
    'application',
    'STORE_WRITE_FAILED',
  )
}

/**
 * StoreCorruptError stops start-up: a record that fails its checksum (or does not parse) is
 * followed by records of a later write, so it is not a torn tail but damage to acknowledged
 * data. Nothing is cut; an operator decides (docs/rpc.md, Records and start-up).
 */
export class StoreCorruptError extends LabError {
  readonly path: string
  readonly offset: number
  readonly reason: string

  constructor(path: string, offset: number, reason: string) {
    super(
      'STORE_CORRUPT',
      `store log ${path} has a corrupt record at byte offset ${offset} (${reason}) followed by later writes; refusing to start rather than drop acknowledged data`,
    )
    this.path = path
    this.offset = offset
    this.reason = reason
  }
}
