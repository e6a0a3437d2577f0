/**
 * MemoryBudget is one service's budget for the bytes it holds for work in flight: request
 * bodies, frames, lines, decoded values, replies being built or queued, held datagrams.
 * Per-request limits are safe alone; their product over every connection and thread is not,
 * so every such holding is reserved here first, and refused (or its reading paused) when
 * the sum would pass the limit.
 *
 * The figures live in a SharedArrayBuffer updated with Atomics, like NamedCounters, so
 * every worker thread of a service reserves from the same budget: create it in the main
 * thread, pass `buffer` in workerData, and attach with `MemoryBudget.attach(buffer)`.
 *
 *   slot 0  used bytes        slot 2  refusals
 *   slot 1  peak used bytes   slot 3  limit bytes    slot 4  release generation (waiters)
 *
 * Bytes are counted in an Int32 slot, so a budget is at most 2 GiB - 1; a reservation larger
 * than the whole budget is refused without touching the count.
 */

const USED = 0
const PEAK = 1
const REFUSED = 2
const LIMIT = 3
const GENERATION = 4
const SLOTS = 5

/** MAX_BUDGET_BYTES is the largest budget one Int32 slot can count. */
export const MAX_BUDGET_BYTES = 0x7fff_ffff

/** BudgetSnapshot is one reading of a budget, for STATS, logs and metrics. */
export interface BudgetSnapshot {
  readonly limitBytes: number
  readonly usedBytes: number
  readonly peakBytes: number
  readonly refusals: number
}

export class MemoryBudget {
  readonly buffer: SharedArrayBuffer
  readonly #slots: Int32Array

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    this.#slots = new Int32Array(buffer)
  }

  /** create makes a new budget of `limitBytes` (1 to MAX_BUDGET_BYTES). */
  static create(limitBytes: number): MemoryBudget {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 1 || limitBytes > MAX_BUDGET_BYTES)
      throw new RangeError(`memory budget must be an integer from 1 to ${MAX_BUDGET_BYTES} bytes`)
    const budget = new MemoryBudget(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT))
    Atomics.store(budget.#slots, LIMIT, limitBytes)
    return budget
  }

  /** attach opens, in a worker thread, the budget another thread created. */
  static attach(buffer: SharedArrayBuffer): MemoryBudget {
    return new MemoryBudget(buffer)
  }

  get limitBytes(): number {
    return Atomics.load(this.#slots, LIMIT)
  }

  get usedBytes(): number {
    return Atomics.load(this.#slots, USED)
  }

  /**
   * tryReserve adds `bytes` to the used count if the total stays within the limit, and says
   * whether it did. A refusal is counted. Zero always succeeds.
   */
  tryReserve(bytes: number): boolean {
    if (bytes <= 0) return true
    const limit = Atomics.load(this.#slots, LIMIT)
    if (bytes > limit) {
      Atomics.add(this.#slots, REFUSED, 1)
      return false
    }
    for (;;) {
      const used = Atomics.load(this.#slots, USED)
      if (used + bytes > limit) {
        Atomics.add(this.#slots, REFUSED, 1)
        return false
      }
      if (Atomics.compareExchange(this.#slots, USED, used, used + bytes) === used) {
        this.#raisePeak(used + bytes)
        return true
      }
    }
  }

  /** release gives back bytes a successful tryReserve took, and wakes threads waiting for room. */
  release(bytes: number): void {
    if (bytes <= 0) return
    Atomics.sub(this.#slots, USED, bytes)
    Atomics.add(this.#slots, GENERATION, 1)
    Atomics.notify(this.#slots, GENERATION)
  }

  /**
   * hold reserves `bytes` and returns a Hold that can grow and is released once, or undefined
   * when the budget has no room. Prefer it to tryReserve/release pairs: a Hold cannot be
   * released twice.
   */
  hold(bytes: number): Hold | undefined {
    return this.tryReserve(bytes) ? new Hold(this, bytes) : undefined
  }

  /**
   * waitForRoom resolves true once `bytes` could be reserved (it does not reserve them), or
   * false after `timeoutMs` or when `signal` aborts. For readers that pause rather than refuse.
   */
  async waitForRoom(bytes: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      if (signal?.aborted) return false
      if (this.usedBytes + bytes <= this.limitBytes) return true
      const left = deadline - performance.now()
      if (left <= 0) return false
      const generation = Atomics.load(this.#slots, GENERATION)
      if (this.usedBytes + bytes <= this.limitBytes) return true
      // Wake on a release from any thread, and at least every 50 ms to look at `signal`.
      const wait = Atomics.waitAsync(this.#slots, GENERATION, generation, Math.min(left, 50))
      if (wait.async) await wait.value
    }
  }

  snapshot(): BudgetSnapshot {
    return {
      limitBytes: this.limitBytes,
      usedBytes: this.usedBytes,
      peakBytes: Atomics.load(this.#slots, PEAK),
      refusals: Atomics.load(this.#slots, REFUSED),
    }
  }

  #raisePeak(used: number): void {
    for (;;) {
      const peak = Atomics.load(this.#slots, PEAK)
      if (used <= peak || Atomics.compareExchange(this.#slots, PEAK, peak, used) === peak) return
    }
  }
}

/** Hold is bytes reserved from a MemoryBudget for one piece of work; release it exactly once. */
export class Hold {
  readonly #budget: MemoryBudget
  #bytes: number
  #released = false

  constructor(budget: MemoryBudget, bytes: number) {
    this.#budget = budget
    this.#bytes = bytes
  }

  get bytes(): number {
    return this.#bytes
  }

  /** grow reserves `bytes` more for the same work; false (and nothing taken) when there is no room. */
  grow(bytes: number): boolean {
    if (this.#released) throw new Error('grow on a released Hold')
    if (!this.#budget.tryReserve(bytes)) return false
    this.#bytes += bytes
    return true
  }

  /** shrink gives part of the hold back early, e.g. once a buffered reply has been written. */
  shrink(bytes: number): void {
    const n = Math.min(Math.max(bytes, 0), this.#bytes)
    this.#bytes -= n
    if (!this.#released) this.#budget.release(n)
  }

  /** release gives everything back; later calls do nothing. */
  release(): void {
    if (this.#released) return
    this.#released = true
    this.#budget.release(this.#bytes)
    this.#bytes = 0
  }

  [Symbol.dispose](): void {
    this.release()
  }
}
