/**
 * MemoryBudget is one service's budget for the bytes it holds for work in flight: request
 * bodies, frames, lines, decoded values, replies being built or queued, held datagrams.
 * Per-request limits are safe alone; their product over every connection and thread is not,
 * so every such holding is reserved here first, and refused (or its reading paused) when
 * the sum would pass the limit.
 *
 * The figures live in a SharedArrayBuffer updated with Atomics, like NamedCounters, so
 * every worker thread of a service reserves from the same budget: create it in the main
 * thread with one slot per worker, pass `buffer` in workerData, and attach with
 * `MemoryBudget.attach(buffer, { thread })`. Each thread also counts what it holds in its
 * own slot, so that when a thread dies the main thread gives its holdings back
 * (`releaseThread`) instead of leaking them for good.
 *
 *   slot 0  used bytes        slot 2  refusals        slot 4  release generation (waiters)
 *   slot 1  peak used bytes   slot 3  limit bytes     slot 5  thread slots
 *   slot 6  threads watching for room                 7+i     used by thread i
 *
 * Bytes are counted in Int32 slots, so a budget is at most 2 GiB - 1; a reservation larger
 * than the whole budget is refused without touching the count.
 */

const USED = 0
const PEAK = 1
const REFUSED = 2
const LIMIT = 3
const GENERATION = 4
const THREADS = 5
const WATCHING = 6
const FIXED_SLOTS = 7

/** MAX_BUDGET_BYTES is the largest budget one Int32 slot can count. */
export const MAX_BUDGET_BYTES = 0x7fff_ffff

/** BudgetSnapshot is one reading of a budget, for STATS, logs and metrics. */
export interface BudgetSnapshot {
  readonly limitBytes: number
  readonly usedBytes: number
  readonly peakBytes: number
  readonly refusals: number
}

/** A reader of this thread waiting for room (MemoryBudget.waitForRoom). */
interface Waiter {
  readonly bytes: number
  done: (ok: boolean) => void
}

/** AttachOptions say which thread slot this thread counts in, and what happens on release. */
export interface AttachOptions {
  /** this thread's slot, 0 to `threads - 1` of `create` */
  readonly thread?: number
  /** most this thread may hold, e.g. what its heap can take (default: the whole budget) */
  readonly threadLimitBytes?: number
  /** called after bytes are given back in this thread (lib/heap.ts collects garbage there) */
  readonly onRelease?: (bytes: number) => void
}

export class MemoryBudget {
  readonly buffer: SharedArrayBuffer
  readonly #slots: Int32Array
  readonly #thread: number | undefined
  readonly #threadLimit: number
  readonly #onRelease: ((bytes: number) => void) | undefined

  private constructor(buffer: SharedArrayBuffer, options: AttachOptions) {
    this.buffer = buffer
    this.#slots = new Int32Array(buffer)
    const threads = Atomics.load(this.#slots, THREADS)
    if (options.thread !== undefined && !(options.thread >= 0 && options.thread < threads))
      throw new RangeError(`thread ${options.thread} has no slot in a budget made for ${threads}`)
    this.#thread = options.thread
    this.#threadLimit = options.threadLimitBytes ?? MAX_BUDGET_BYTES
    this.#onRelease = options.onRelease
  }

  /**
   * create makes a new budget of `limitBytes` (1 to MAX_BUDGET_BYTES), with a slot for each of
   * `threads` worker threads (0: only the creating thread uses it).
   */
  static create(
    limitBytes: number,
    options: AttachOptions & { readonly threads?: number } = {},
  ): MemoryBudget {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 1 || limitBytes > MAX_BUDGET_BYTES)
      throw new RangeError(`memory budget must be an integer from 1 to ${MAX_BUDGET_BYTES} bytes`)
    const threads = options.threads ?? 0
    const buffer = new SharedArrayBuffer((FIXED_SLOTS + threads) * Int32Array.BYTES_PER_ELEMENT)
    const slots = new Int32Array(buffer)
    Atomics.store(slots, LIMIT, limitBytes)
    Atomics.store(slots, THREADS, threads)
    return new MemoryBudget(buffer, options)
  }

  /** attach opens, in a worker thread, the budget another thread created. */
  static attach(buffer: SharedArrayBuffer, options: AttachOptions = {}): MemoryBudget {
    return new MemoryBudget(buffer, options)
  }

  get limitBytes(): number {
    return Atomics.load(this.#slots, LIMIT)
  }

  get usedBytes(): number {
    return Atomics.load(this.#slots, USED)
  }

  /** threadUsedBytes is what thread `thread` holds now. */
  threadUsedBytes(thread: number): number {
    return Atomics.load(this.#slots, FIXED_SLOTS + thread)
  }

  /**
   * fits says whether `bytes` could be reserved now in this thread (leaving `keepFreeBytes` of
   * the budget free): within the budget, and within this thread's limit. It reserves nothing.
   */
  fits(bytes: number, keepFreeBytes = 0): boolean {
    if (bytes <= 0) return true
    const local = this.#thread === undefined ? 0 : this.threadUsedBytes(this.#thread)
    return local + bytes <= this.#threadLimit && this.usedBytes + bytes + keepFreeBytes <= this.limitBytes
  }

  /** canEverFit says whether `bytes` could be reserved at all, with nothing else held. */
  canEverFit(bytes: number): boolean {
    return bytes <= Math.min(this.limitBytes, this.#threadLimit)
  }

  /**
   * tryReserve adds `bytes` to the used count if the total stays within the limit (and this
   * thread's own within its limit), and says whether it did. A refusal is counted. Zero
   * always succeeds. `keepFreeBytes` reserves only if that much of the budget stays free
   * after: work that waits can leave room for work that would be answered at once.
   */
  tryReserve(bytes: number, keepFreeBytes = 0): boolean {
    if (bytes <= 0) return true
    const limit = Atomics.load(this.#slots, LIMIT) - keepFreeBytes
    const local = this.#thread === undefined ? 0 : this.threadUsedBytes(this.#thread)
    if (bytes > limit || local + bytes > this.#threadLimit) {
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
        if (this.#thread !== undefined) Atomics.add(this.#slots, FIXED_SLOTS + this.#thread, bytes)
        this.#raisePeak(used + bytes)
        return true
      }
    }
  }

  /**
   * reserveAnyway counts `bytes` that are already in memory and cannot be refused (bytes read
   * from a socket that must be answered), even past the limit: the count stays true, and
   * every other reservation is refused until enough is released. Give them back with release.
   */
  reserveAnyway(bytes: number): void {
    if (bytes <= 0) return
    const used = Atomics.add(this.#slots, USED, bytes) + bytes
    if (this.#thread !== undefined) Atomics.add(this.#slots, FIXED_SLOTS + this.#thread, bytes)
    this.#raisePeak(used)
  }

  /** release gives back bytes a successful tryReserve took, and wakes threads waiting for room. */
  release(bytes: number): void {
    if (bytes <= 0) return
    if (this.#thread !== undefined) Atomics.sub(this.#slots, FIXED_SLOTS + this.#thread, bytes)
    Atomics.sub(this.#slots, USED, bytes)
    this.#wake()
    this.#onRelease?.(bytes)
  }

  /**
   * releaseThread gives back everything thread `thread` still holds; the main thread calls it
   * once that thread is dead (its holds can no longer be released by their owners).
   * Returns the bytes given back.
   */
  releaseThread(thread: number): number {
    const held = Atomics.exchange(this.#slots, FIXED_SLOTS + thread, 0)
    if (held > 0) {
      Atomics.sub(this.#slots, USED, held)
      this.#wake()
    }
    return held
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
   *
   * However many readers of this thread wait, one loop watches the budget for them (woken by
   * a release in any thread, and every 50 ms): when there is room it lets waiters go in the
   * order they came, as many as the room takes. A thousand paused connections are then one
   * waiter, not a thousand woken by every release.
   */
  waitForRoom(bytes: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false)
    if (this.fits(bytes)) return Promise.resolve(true)
    return new Promise((resolve) => {
      const waiter: Waiter = { bytes, done: resolve }
      const finish = (ok: boolean) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#waiters.delete(waiter)
        resolve(ok)
      }
      const onAbort = () => finish(false)
      const timer = setTimeout(() => finish(false), timeoutMs)
      waiter.done = finish
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
      if (!this.#watching) void this.#watch()
    })
  }

  readonly #waiters = new Set<Waiter>()
  #watching = false

  /** the one loop of this thread that lets waiters go when there is room */
  async #watch(): Promise<void> {
    this.#watching = true
    Atomics.add(this.#slots, WATCHING, 1)
    try {
      while (this.#waiters.size > 0) {
        const generation = Atomics.load(this.#slots, GENERATION)
        let room = this.limitBytes - this.usedBytes
        for (const waiter of this.#waiters) {
          if (waiter.bytes > room) break // first come, first served
          room -= waiter.bytes
          waiter.done(true)
        }
        if (this.#waiters.size === 0) return
        const wait = Atomics.waitAsync(this.#slots, GENERATION, generation, 50)
        if (wait.async) await wait.value
      }
    } finally {
      Atomics.sub(this.#slots, WATCHING, 1)
      this.#watching = false
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

  /**
   * #wake bumps the generation, so a watcher about to wait on the old one returns at once,
   * and notifies only when some thread watches: a release with no one paused costs no notify.
   */
  #wake(): void {
    Atomics.add(this.#slots, GENERATION, 1)
    if (Atomics.load(this.#slots, WATCHING) > 0) Atomics.notify(this.#slots, GENERATION)
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

  get released(): boolean {
    return this.#released
  }

  /**
   * grow reserves `bytes` more for the same work (leaving `keepFreeBytes` free, as tryReserve);
   * false, and nothing taken, when there is no room.
   */
  grow(bytes: number, keepFreeBytes = 0): boolean {
    if (this.#released) throw new Error('grow on a released Hold')
    if (!this.#budget.tryReserve(bytes, keepFreeBytes)) return false
    this.#bytes += bytes
    return true
  }

  /** growAnyway adds bytes that already exist and cannot be refused (MemoryBudget.reserveAnyway). */
  growAnyway(bytes: number): void {
    if (this.#released) throw new Error('grow on a released Hold')
    if (bytes <= 0) return
    this.#budget.reserveAnyway(bytes)
    this.#bytes += bytes
  }

  /**
   * resize makes the hold exactly `bytes`: gives back the excess, or grows by the difference
   * (false, and nothing changed, when there is no room).
   */
  resize(bytes: number): boolean {
    if (bytes >= this.#bytes) return this.grow(bytes - this.#bytes)
    this.shrink(this.#bytes - bytes)
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
