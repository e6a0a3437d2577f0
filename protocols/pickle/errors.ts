/**
 * The pickle codec's errors. Each has a stable `code` (match on it, never on the
 * message); the messages name the opcode, its byte offset and the limit involved, e.g.
 *
 *   PICKLE_REFUSED  refused pickle opcode STACK_GLOBAL (0x93) at offset 27: it would import or call code (os.system)
 *   PICKLE_FORMAT   pickle data was truncated: BINUNICODE at offset 2 needs 4096 bytes, 3 remain
 *   PICKLE_LIMIT    LONG4 at offset 2 is 2147483647 bytes long; the limit is 1024 bytes
 *   PICKLE_ENCODE   cannot pickle an exception of module __main__; only builtins exceptions
 */
import { LabError } from '../../lib/errors.ts'

/** PickleRefusedError: an opcode that would import, call or build code objects (docs/protocols.md §6.2). */
export class PickleRefusedError extends LabError {
  /** the opcode's name as pickletools spells it, e.g. `STACK_GLOBAL` */
  readonly opcode: string
  /** the opcode's byte offset in the pickle */
  readonly offset: number

  constructor(opcode: string, byte: number, offset: number, reason = 'it would import or call code') {
    super('PICKLE_REFUSED', `refused pickle opcode ${opcode} (${hex(byte)}) at offset ${offset}: ${reason}`)
    this.opcode = opcode
    this.offset = offset
  }
}

/** PickleFormatError: not a well-formed pickle (truncated, unknown opcode, stack underflow, …). */
export class PickleFormatError extends LabError {
  /** where decoding stopped */
  readonly offset: number

  constructor(message: string, offset: number) {
    super('PICKLE_FORMAT', message)
    this.offset = offset
  }
}

/** PickleLimitError: a well-formed pickle that exceeds one of the decoder's limits. */
export class PickleLimitError extends LabError {
  /** the PickleLimits field that was exceeded, e.g. `maxDepth` */
  readonly limit: string

  constructor(limit: string, message: string) {
    super('PICKLE_LIMIT', message)
    this.limit = limit
  }
}

/** PickleEncodeError: a value the encoder will not write (a non-builtins exception, too deep, …). */
export class PickleEncodeError extends LabError {
  constructor(message: string) {
    super('PICKLE_ENCODE', message)
  }
}

/** hex spells an opcode byte as in the messages: `0x93`. */
export function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`
}
