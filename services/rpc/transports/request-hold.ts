/**
 * RequestHold is one request's (or one connection's) reservation from the service's memory
 * budget (lib/memory-budget.ts): its body or lines, its decoded values, its reply.
 *
 * What a hold takes beyond SMALL_HOLD_BYTES may not use the budget's last eighth: that
 * part is kept for small requests, so that a normal call is still served while large ones
 * are being refused (BUSY) or paused. A hold never takes more than the budget's limit.
 */
import type { Hold, MemoryBudget } from '../../../lib/memory-budget.ts'
import type { Grower } from '../../../protocols/value.ts'

/** a hold this small may use the whole budget, its reserve included */
export const SMALL_HOLD_BYTES = 64 * 1024

/** reserveBytes is the part of a budget only small holds may take: one eighth. */
export function reserveBytes(budget: MemoryBudget): number {
  return Math.floor(budget.limitBytes / 8)
}

export class RequestHold implements Grower {
  readonly #budget: MemoryBudget
  readonly #hold: Hold

  constructor(budget: MemoryBudget) {
    this.#budget = budget
    this.#hold = budget.hold(0) as Hold // nothing reserved yet: always granted
  }

  get bytes(): number {
    return this.#hold.bytes
  }

  /** grow reserves `bytes` more, or says false (taking nothing) when the budget has no room. */
  grow(bytes: number): boolean {
    if (bytes <= 0) return true
    if (this.#needsReserve(bytes)) return false
    return this.#hold.grow(bytes)
  }

  /** waitForRoom resolves once `bytes` more could be granted, or false after `timeoutMs`. */
  waitForRoom(bytes: number, timeoutMs: number): Promise<boolean> {
    const large = this.#hold.bytes + bytes > SMALL_HOLD_BYTES
    return this.#budget.waitForRoom(bytes + (large ? reserveBytes(this.#budget) : 0), timeoutMs)
  }

  /** shrink gives `bytes` back early. */
  shrink(bytes: number): void {
    this.#hold.shrink(bytes)
  }

  /** release gives everything back; later calls do nothing. */
  release(): void {
    this.#hold.release()
  }

  #needsReserve(bytes: number): boolean {
    if (this.#hold.bytes + bytes <= SMALL_HOLD_BYTES) return false
    return this.#budget.usedBytes + bytes > this.#budget.limitBytes - reserveBytes(this.#budget)
  }
}
