/**
 * ReplyMeter accounts one XML-RPC or JSON-RPC reply while it is built, part by part (one
 * result of a batch or multicall at a time): each part is measured before it is encoded
 * (jsonrpc/encoded-size.ts, xmlrpc/encoded-size.ts), and admitted only if the reply stays
 * within RPC_MAX_REPLY_BYTES and the memory budget can hold it. A part that is refused becomes
 * an error of its own (REPLY_TOO_LARGE or BUSY) in the protocol's form; the others still go.
 *
 * A reply is held three times over while it is built and leaves: as its encoded parts, as the
 * string they are joined into, and as the socket's copy of that, so a part of `n` bytes is
 * charged 3n to the budget. Parts of at most
 * SMALL_PART_BYTES (an acknowledgement, an error entry) ride on what the request's decoding
 * already reserved: they count toward the reply limit but are never refused for budget.
 */
import type { Logger } from '../../../lib/log.ts'
import { busy, type RpcLimitCode, type RpcLimitError, replyTooLarge } from '../../../protocols/py-error.ts'
import type { Grower } from '../../../protocols/value.ts'

/** a reply's bytes are held three times: the parts, the joined string, the socket's copy */
export const REPLY_COST_FACTOR = 3
/** parts this small are covered by the request's own decoded-size reservation */
export const SMALL_PART_BYTES = 256

export class ReplyMeter {
  readonly maxBytes: number
  readonly #hold: Grower | undefined
  #bytes = 0
  /** parts refused so far, by code */
  readonly refused: Partial<Record<RpcLimitCode, number>> = {}
  /** one error per code and reply: a batch may refuse a thousand parts alike */
  readonly #errors: Partial<Record<RpcLimitCode, RpcLimitError>> = {}

  constructor(maxBytes: number, hold?: Grower) {
    this.maxBytes = maxBytes
    this.#hold = hold
  }

  /** bytes admitted so far */
  get bytes(): number {
    return this.#bytes
  }

  /** remaining is how many more bytes a part may take; measure no further than this. */
  remaining(): number {
    return Math.max(0, this.maxBytes - this.#bytes)
  }

  /**
   * admit takes a part of `size` bytes (measured, not yet built) into the reply, or throws
   * RpcLimitError: REPLY_TOO_LARGE past the reply limit, BUSY when the budget has no room.
   */
  admit(size: number): void {
    if (size > this.remaining()) this.#refuse('REPLY_TOO_LARGE')
    if (size > SMALL_PART_BYTES && this.#hold !== undefined && !this.#hold.grow(REPLY_COST_FACTOR * size))
      this.#refuse('BUSY')
    this.#bytes += size
  }

  /** logRefusals writes one `limit reached` line for the whole reply, if any part was refused. */
  logRefusals(log: Logger, transport: string): void {
    if (Object.keys(this.refused).length > 0)
      log.warn(
        { code: Object.keys(this.refused)[0], refused: this.refused, replyBytes: this.#bytes, transport },
        'limit reached',
      )
  }

  #refuse(code: RpcLimitCode): never {
    this.refused[code] = (this.refused[code] ?? 0) + 1
    this.#errors[code] ??= code === 'BUSY' ? busy('the reply') : replyTooLarge(this.maxBytes)
    throw this.#errors[code]
  }

  /** count adds a part that is always sent (an error entry, the envelope) without a check. */
  count(size: number): void {
    this.#bytes += size
  }
}
