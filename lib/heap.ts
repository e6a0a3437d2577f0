/**
 * V8 heap sizing and garbage collection for a service whose work runs in worker threads.
 *
 * Node 24 already sizes the main isolate's old space from the cgroup limit (measured: 256 MiB
 * under a 512 MiB container, half of it), but every worker isolate gets the same default of
 * its own: a main thread and two workers could each grow to 256 MiB, 768 MiB in a 512 MiB
 * container. So a pool worker's heap is sized from the service's memory budget instead (the
 * budget defaults to 3/8 of the container's limit): room to hold the whole budget plus the
 * worker's own baseline, and not much more. A worker that still exhausts it is terminated by
 * V8 (ERR_WORKER_OUT_OF_MEMORY) and replaced by the pool; the process lives on.
 *
 * The budget bounds what is held; garbage is another matter. A worker that has just served
 * a 100 MB request keeps that garbage until V8's heuristics collect it, which may be long
 * after another worker starts on the next one: two workers' garbage then add up. After a
 * thread has released a large amount of its budget, `createGarbageCollector` runs a major
 * collection in that thread, so freed budget is freed memory: when the process's resident
 * memory is past the budget plus one thread's baseline (gcRssFloorBytes), that is when
 * garbage has piled up beyond what the budget allows for. Below it V8's own collections
 * are enough, and a forced one only costs time: seed 000's 3.2 MB POST /data/ releases about
 * 25 MB, and a major collection after every second one added 13 ms to each (measured).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { ResourceLimits } from 'node:worker_threads'

const MiB = 1024 * 1024

/** A pool worker's own baseline (code, Fastify or the protocol state, young space slack). */
export const WORKER_BASELINE_BYTES = 64 * MiB

/**
 * A pool worker's young generation (three semi-spaces of 8 MiB), inside its baseline. V8 sizes
 * it from the old generation's limit, so under a heap of a few hundred MiB its semi-spaces stay
 * small and a request that allocates much (seed 000's POST parses 100 000 objects) runs many
 * scavenges and promotes what would have died young. Measured in a 512 MiB container: that
 * POST's JSON.parse 21-22 ms by default, 15 ms with 24 MiB (as on the host: 13 ms); 48 MiB
 * did no better.
 */
export const WORKER_YOUNG_GENERATION_MB = 24

/**
 * workerResourceLimits sizes one pool worker's heap from the service's budget: the whole
 * budget (which one thread may hold when the others hold nothing) plus WORKER_BASELINE_BYTES.
 */
export function workerResourceLimits(budgetBytes: number): ResourceLimits {
  return {
    maxOldGenerationSizeMb: Math.ceil((budgetBytes + WORKER_BASELINE_BYTES) / MiB),
    maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
  }
}

export type GcFunction = (options?: { type: 'major' | 'minor'; execution: 'sync' | 'async' }) => unknown

let exposed: GcFunction | undefined | null = null

/**
 * exposeGc returns V8's `gc` for this thread, or undefined where it cannot be had. Without
 * `--expose-gc` on the command line, the flag is set at run time and `gc` taken from a fresh
 * context (new contexts see the flag): the services then need no extra node option, and the
 * in-process tests get the same behaviour as the images.
 */
export function exposeGc(): GcFunction | undefined {
  if (exposed !== null) return exposed
  const global = globalThis as { gc?: GcFunction }
  if (typeof global.gc === 'function') exposed = global.gc
  else {
    try {
      setFlagsFromString('--expose-gc')
      const gc: unknown = runInNewContext('gc')
      exposed = typeof gc === 'function' ? (gc as GcFunction) : undefined
    } catch {
      exposed = undefined
    }
  }
  return exposed
}

/**
 * createGarbageCollector returns an `onRelease` for MemoryBudget.attach: it adds up the bytes
 * this thread gives back, and once they pass `thresholdBytes` it starts counting again and,
 * if the process's resident memory is over `rssFloorBytes`, schedules one major collection
 * (concurrent marking, on the next turn of the event loop). Collections come at most once per
 * `thresholdBytes` of released work, so small requests never trigger one.
 */
export function createGarbageCollector(
  thresholdBytes: number,
  rssFloorBytes = 0,
  { rss = () => process.memoryUsage.rss(), gc = exposeGc() }: { rss?: () => number; gc?: GcFunction } = {},
): (releasedBytes: number) => void {
  let released = 0
  let scheduled = false
  return (bytes) => {
    if (!gc) return
    released += bytes
    if (released < thresholdBytes || scheduled) return
    released = 0
    if (rss() <= rssFloorBytes) return
    scheduled = true
    setImmediate(() => {
      scheduled = false
      gc({ type: 'major', execution: 'async' })
    })
  }
}

/**
 * gcRssFloorBytes is the resident memory below which no collection is forced: the budget plus
 * one thread's baseline (half the container's memory with the default budget of 3/8).
 */
export function gcRssFloorBytes(budgetBytes: number): number {
  return budgetBytes + WORKER_BASELINE_BYTES
}

/** gcThresholdBytes is when a thread collects: a quarter of the budget, at least 16 MiB. */
export function gcThresholdBytes(budgetBytes: number): number {
  return Math.max(16 * MiB, Math.floor(budgetBytes / 4))
}

/**
 * eagerGcRssFloorBytes is the floor for a service whose requests leave large strings on
 * several isolates at once (RPC: 8 MiB bodies on the main thread, 1 MB values on two
 * workers): half the budget, below what the process holds at rest, so every
 * gcThresholdBytes of released work is collected. In the hostile RPC suite (512 MiB, two
 * workers; tests/integration/hostile/rpc.test.ts) each run's highest peak was 367-442 MiB
 * with the default floor (a CI run ran out of memory there) and 349-373 MiB with this one.
 */
export function eagerGcRssFloorBytes(budgetBytes: number): number {
  return Math.floor(budgetBytes / 2)
}

/**
 * budgetCollector is the `onRelease` every thread's view of a service budget gets, the main
 * thread's too (the RPC service answers its HTTP port there).
 */
export function budgetCollector(
  budgetBytes: number,
  rssFloorBytes = gcRssFloorBytes(budgetBytes),
): (releasedBytes: number) => void {
  return createGarbageCollector(gcThresholdBytes(budgetBytes), rssFloorBytes)
}

/**
 * watchHeapGrowth runs a major collection in this thread whenever its V8 heap has grown by
 * `growthBytes` since the smallest it was seen (looked at every `intervalMs`): garbage that
 * no budget release announces. The RPC service needs it: a JSON-RPC/TCP client that pipelines
 * `get`s of 1 MB values and never reads holds its replies (no release), while each `get`
 * leaves a clone and a reply text behind on two threads, and V8 let a worker's heap grow
 * towards its limit first. Returns a stop function; the timer never keeps the thread alive.
 */
export function watchHeapGrowth(
  growthBytes: number,
  {
    intervalMs = 100,
    used = () => getHeapStatistics().used_heap_size,
    gc = exposeGc(),
  }: { intervalMs?: number; used?: () => number; gc?: GcFunction | undefined } = {},
): () => void {
  if (!gc) return () => undefined
  let least = used()
  const timer = setInterval(() => {
    const now = used()
    if (now < least) least = now
    else if (now - least > growthBytes) {
      gc({ type: 'major', execution: 'sync' })
      least = used()
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
