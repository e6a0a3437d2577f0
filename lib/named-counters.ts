/**
 * NamedCounters is a fixed set of integer counters in a SharedArrayBuffer, updated with
 * Atomics, so every worker thread of a service counts into the same table and any of
 * them can report the whole service. Create it in the main thread, pass `buffer` in
 * workerData, and attach with `new NamedCounters(names, buffer)`.
 */
export class NamedCounters<const N extends string> {
  readonly names: readonly N[]
  readonly buffer: SharedArrayBuffer
  readonly #slots: Int32Array
  readonly #index: ReadonlyMap<N, number>

  constructor(names: readonly N[], buffer?: SharedArrayBuffer) {
    this.names = names
    this.buffer = buffer ?? new SharedArrayBuffer(names.length * Int32Array.BYTES_PER_ELEMENT)
    this.#slots = new Int32Array(this.buffer)
    this.#index = new Map(names.map((n, i) => [n, i]))
  }

  add(name: N, n = 1): void {
    Atomics.add(this.#slots, this.#index.get(name) as number, n)
  }

  get(name: N): number {
    return Atomics.load(this.#slots, this.#index.get(name) as number)
  }

  /** snapshot reads every counter (each atomically; the set is not one instant). */
  snapshot(): Record<N, number> {
    return Object.fromEntries(this.names.map((n) => [n, this.get(n)])) as Record<N, number>
  }
}
