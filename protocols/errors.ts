/**
 * The wire codecs' error catalogue: every code the mp-connection (protocols/mpconn) and
 * pickle (protocols/pickle) codecs raise, in one table, and one error type that carries
 * them, ProtocolError. Match on `code`, never on the message; the messages are built by
 * each codec's errors.ts (protocols/mpconn/errors.ts keeps CPython's texts where CPython
 * has a fixed one). The RPC service's catalogue (services/rpc/errors.ts) includes this
 * table, so docs/errors/rpc.md shows every row (scripts/error-table.ts).
 *
 * BUSY is not a row here: it is the code every service's catalogue lists with its own
 * meaning; an mp-connection raises it when its memory budget has no room for a frame.
 */
import type { ErrorCatalogue } from '../lib/error-catalogue.ts'
import { LabError } from '../lib/errors.ts'

/** The mp-connection (multiprocessing.connection) codes: framing, EOF and the authkey handshake. */
export const MPCONN_ERRORS = {
  FRAME_TOO_LARGE: {
    meaning:
      'mp-connection: a frame header announced more than the reader accepts (the RPC service: RPC_MAX_REQUEST_BYTES; 256 bytes during the handshake); refused before the payload is read, and the connection is closed (CPython: OSError "bad message length")',
    action: 'send smaller calls',
  },
  INVALID_FRAME: {
    meaning: 'mp-connection: a negative frame length other than -1; the connection is closed',
    action: 'speak multiprocessing.connection framing',
  },
  FRAME_TIMEOUT: {
    meaning: 'mp-connection: an admitted frame’s bytes did not all arrive in time; the connection is closed',
    action: 'send each frame promptly',
  },
  CONNECTION_CLOSED: {
    meaning: 'mp-connection: the peer closed the connection between frames (CPython: EOFError)',
    action: 'nothing, if the peer meant to close; otherwise reconnect',
  },
  TRUNCATED_FRAME: {
    meaning:
      'mp-connection: the peer closed the connection part-way through a frame (CPython: OSError "got end of file during message")',
    action: 'send whole frames; check what cut the connection',
  },
  AUTH_FAILED: {
    meaning:
      'mp-connection: the authkey handshake failed (multiprocessing.AuthenticationError, with its text: "digest received was wrong", "digest sent was rejected", …)',
    action: 'use the service’s RPC_AUTHKEY',
  },
  AUTH_TIMEOUT: {
    meaning: 'mp-connection: the handshake did not finish in time; the connection is destroyed',
    action: 'answer the challenge promptly (is it a multiprocessing.connection client?)',
  },
} as const satisfies ErrorCatalogue

/** The pickle codes; the messages name the opcode, its byte offset and the limit involved. */
export const PICKLE_ERRORS = {
  PICKLE_REFUSED: {
    meaning:
      'an opcode that would import, call or build code (docs/protocols.md §6.2); the message names it and its offset',
    action: 'send only data: the allowed types are in docs/protocols.md §6',
  },
  PICKLE_FORMAT: {
    meaning: 'not a well-formed pickle (truncated, unknown opcode, stack underflow, …)',
    action: 'send what pickle.dumps writes',
  },
  PICKLE_LIMIT: {
    meaning: 'a well-formed pickle past one of the decoder’s limits (depth, items, memo, bytes)',
    action: 'send a smaller or flatter value',
  },
  PICKLE_ENCODE: {
    meaning:
      'a value the pickle encoder will not write (an exception of a module other than builtins, nesting past its depth, a JS value with no pickle form)',
    action:
      'ask for a value that can be written at your pickle protocol; the RPC service answers the call with ValueError and keeps the connection',
  },
} as const satisfies ErrorCatalogue

/** PROTOCOL_ERRORS is the whole table. */
export const PROTOCOL_ERRORS = { ...MPCONN_ERRORS, ...PICKLE_ERRORS } as const satisfies ErrorCatalogue

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERRORS | 'BUSY'

/** What a ProtocolError says beyond its message, for callers and tests that look closer. */
export interface ProtocolErrorDetail {
  /** pickle: the byte offset where decoding stopped, or of the refused opcode */
  readonly offset?: number
  /** PICKLE_REFUSED: the opcode's name as pickletools spells it, e.g. `STACK_GLOBAL` */
  readonly opcode?: string
  /** PICKLE_LIMIT: the PickleLimits field that was exceeded, e.g. `maxDepth` */
  readonly limit?: string
}

/** ProtocolError is the one error the mp-connection and pickle codecs raise; `code` is a PROTOCOL_ERRORS row or BUSY. */
export class ProtocolError extends LabError {
  declare readonly code: ProtocolErrorCode
  readonly offset?: number
  readonly opcode?: string
  readonly limit?: string

  constructor(code: ProtocolErrorCode, message: string, detail: ProtocolErrorDetail = {}) {
    super(code, message)
    if (detail.offset !== undefined) this.offset = detail.offset
    if (detail.opcode !== undefined) this.opcode = detail.opcode
    if (detail.limit !== undefined) this.limit = detail.limit
  }
}

/** isProtocolError says whether `err` is a ProtocolError, with one of `codes` when any are given. */
export function isProtocolError<C extends ProtocolErrorCode>(
  err: unknown,
  ...codes: C[]
): err is ProtocolError & { readonly code: C } {
  return (
    err instanceof ProtocolError && (codes.length === 0 || (codes as ProtocolErrorCode[]).includes(err.code))
  )
}
