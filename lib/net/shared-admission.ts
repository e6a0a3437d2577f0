/**
 * An Admission (connections.ts) whose cap holds across worker threads: one SharedArrayBuffer,
 * updated with Atomics, counts the open connections of every thread, and each thread's own, so
 * that the main thread can give back the slots of a worker that died (`releaseThread`).
 *
 *   0  open   1  ids handed out   2+t  open in thread t
 */
import type { Admission } from './connections.ts'

const OPEN = 0
const IDS = 1
const FIXED = 2

/** sharedAdmissionBuffer makes the counters for `threads` threads; pass it to each in workerData. */
export function sharedAdmissionBuffer(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer((FIXED + threads) * Int32Array.BYTES_PER_ELEMENT)
}

/** sharedAdmission is thread `thread`'s view of a cap of `max` over every thread using `buffer`. */
export function sharedAdmission(buffer: SharedArrayBuffer, max: number, thread: number): Admission {
  const slots = new Int32Array(buffer)
  if (!(thread >= 0 && FIXED + thread < slots.length))
    throw new RangeError(`thread ${thread} has no slot in admission counters for ${slots.length - FIXED}`)
  return {
    max,
    acquire: () => {
      for (;;) {
        const open = Atomics.load(slots, OPEN)
        if (open >= max) return 0
        if (Atomics.compareExchange(slots, OPEN, open, open + 1) === open) break
      }
      Atomics.add(slots, FIXED + thread, 1)
      // ids stay positive: wrap before the sign bit
      return (Atomics.add(slots, IDS, 1) % 0x7fff_ffff) + 1
    },
    release: () => {
      // never below zero: a release after releaseThread (a thread that died) finds nothing to give
      for (;;) {
        const mine = Atomics.load(slots, FIXED + thread)
        if (mine <= 0) return
        if (Atomics.compareExchange(slots, FIXED + thread, mine, mine - 1) === mine) break
      }
      Atomics.sub(slots, OPEN, 1)
    },
  }
}

/** releaseThread gives back every slot thread `thread` held (it died); returns how many. */
export function releaseThread(buffer: SharedArrayBuffer, thread: number): number {
  const slots = new Int32Array(buffer)
  const n = Atomics.exchange(slots, FIXED + thread, 0)
  Atomics.sub(slots, OPEN, n)
  return n
}

/** openConnections is how many slots every thread holds now. */
export function openConnections(buffer: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(buffer), OPEN)
}
