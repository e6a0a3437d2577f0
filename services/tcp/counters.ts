/**
 * Counters shared by every worker thread through one SharedArrayBuffer, updated with
 * Atomics: the connection limit is enforced across threads (not per thread), and STATS
 * on any connection reports the whole server. Active connections are also counted per
 * worker, so that those of a worker thread that died can be given back (`releaseWorker`).
 *
 *   0..5  active, accepted, busy, commands, errors, cuts   6+w  accepted by w   6+W+w  active in w
 */
import type { Admission } from '../../lib/net/connections.ts'

const ACTIVE = 0
const ACCEPTED = 1
const BUSY_REJECTED = 2
const COMMANDS = 3
const CMD_ERRORS = 4
const BACKPRESSURE_CUTS = 5
const FIXED_SLOTS = 6

/** StatsSnapshot is what STATS reports. */
export interface StatsSnapshot {
  readonly active: number
  readonly accepted: number
  readonly busyRejected: number
  readonly commands: number
  readonly commandErrors: number
  readonly backpressureCuts: number
  /** connections accepted by each worker thread, index = worker number */
  readonly acceptedPerWorker: readonly number[]
}

export class SharedCounters {
  readonly buffer: SharedArrayBuffer
  readonly workers: number
  readonly #slots: Int32Array

  /** Pass `buffer` to attach to counters created in another thread. */
  constructor(workers: number, buffer?: SharedArrayBuffer) {
    this.workers = workers
    this.buffer = buffer ?? new SharedArrayBuffer((FIXED_SLOTS + 2 * workers) * Int32Array.BYTES_PER_ELEMENT)
    this.#slots = new Int32Array(this.buffer)
  }

  /** tryAcquire takes one connection slot if fewer than `max` are active; returns the new id or 0. */
  tryAcquire(max: number, worker: number): number {
    for (;;) {
      const active = Atomics.load(this.#slots, ACTIVE)
      if (active >= max) {
        Atomics.add(this.#slots, BUSY_REJECTED, 1)
        return 0
      }
      if (Atomics.compareExchange(this.#slots, ACTIVE, active, active + 1) === active) break
    }
    Atomics.add(this.#slots, FIXED_SLOTS + worker, 1)
    Atomics.add(this.#slots, FIXED_SLOTS + this.workers + worker, 1)
    return Atomics.add(this.#slots, ACCEPTED, 1) + 1
  }

  /** release frees the slot of a connection worker `worker` accepted and has closed. */
  release(worker: number): void {
    Atomics.sub(this.#slots, FIXED_SLOTS + this.workers + worker, 1)
    Atomics.sub(this.#slots, ACTIVE, 1)
  }

  /** releaseWorker frees the slots of every connection a dead worker held; returns how many. */
  releaseWorker(worker: number): number {
    const n = Atomics.exchange(this.#slots, FIXED_SLOTS + this.workers + worker, 0)
    Atomics.sub(this.#slots, ACTIVE, n)
    return n
  }

  /** admission is worker `worker`'s view of the cap of `max` connections over every thread */
  admission(max: number, worker: number): Admission {
    return { max, acquire: () => this.tryAcquire(max, worker), release: () => this.release(worker) }
  }

  countCommand(ok: boolean): void {
    Atomics.add(this.#slots, ok ? COMMANDS : CMD_ERRORS, 1)
  }

  countBackpressureCut(): void {
    Atomics.add(this.#slots, BACKPRESSURE_CUTS, 1)
  }

  snapshot(): StatsSnapshot {
    const at = (i: number) => Atomics.load(this.#slots, i)
    return {
      active: at(ACTIVE),
      accepted: at(ACCEPTED),
      busyRejected: at(BUSY_REJECTED),
      commands: at(COMMANDS),
      commandErrors: at(CMD_ERRORS),
      backpressureCuts: at(BACKPRESSURE_CUTS),
      acceptedPerWorker: Array.from({ length: this.workers }, (_, w) => at(FIXED_SLOTS + w)),
    }
  }
}
