/**
 * The pickle codec's errors: ProtocolErrors (protocols/errors.ts, where the codes' table is)
 * built here. The messages name the opcode, its byte offset and the limit involved, e.g.
 *
 *   PICKLE_REFUSED  refused pickle opcode STACK_GLOBAL (0x93) at offset 27: it would import or call code (os.system)
 *   PICKLE_FORMAT   pickle data was truncated: BINUNICODE at offset 2 needs 4096 bytes, 3 remain
 *   PICKLE_LIMIT    LONG4 at offset 2 is 2147483647 bytes long; the limit is 1024 bytes
 *   PICKLE_ENCODE   cannot pickle an exception of module __main__; only builtins exceptions
 */
import { ProtocolError } from '../errors.ts'

/** pickleRefused: an opcode that would import, call or build code objects (docs/protocols.md §6.2). */
export const pickleRefused = (
  opcode: string,
  byte: number,
  offset: number,
  reason = 'it would import or call code',
): ProtocolError =>
  new ProtocolError(
    'PICKLE_REFUSED',
    `refused pickle opcode ${opcode} (${hex(byte)}) at offset ${offset}: ${reason}`,
    {
      opcode,
      offset,
    },
  )

/** pickleFormat: not a well-formed pickle (truncated, unknown opcode, stack underflow, …); `offset` is where decoding stopped. */
export const pickleFormat = (message: string, offset: number): ProtocolError =>
  new ProtocolError('PICKLE_FORMAT', message, { offset })

/** pickleLimit: a well-formed pickle that exceeds one of the decoder's limits, the PickleLimits field `limit`. */
export const pickleLimit = (limit: string, message: string): ProtocolError =>
  new ProtocolError('PICKLE_LIMIT', message, { limit })

/** pickleEncode: a value the encoder will not write (a non-builtins exception, too deep, …). */
export const pickleEncode = (message: string): ProtocolError => new ProtocolError('PICKLE_ENCODE', message)

/** hex spells an opcode byte as in the messages: `0x93`. */
export function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`
}
