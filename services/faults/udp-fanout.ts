/**
 * fanOut is what one datagram becomes on one stream of a UDP proxy, bounded before it is
 * built: the stream's toxics in order (each applying with probability `toxicity`), at most
 * `maxFanout` datagrams in all (chained duplicates multiply), and that many copies (size +
 * DATAGRAM_OVERHEAD_BYTES each) reserved from the memory budget first. Each resulting
 * Outgoing gives its share back with `done()` once the kernel has taken it or it is dropped.
 */
import type { MemoryBudget } from '../../lib/memory-budget.ts'
import { countToxic } from '../../lib/metrics/index.ts'
import type { Toxic } from './toxic-set.ts'
import type { Rng, Stream, UdpToxicRun } from './toxics/toxic.ts'

/** what a datagram in flight costs beyond its payload: its object, timer or send request */
export const DATAGRAM_OVERHEAD_BYTES = 256

/** Outgoing is one datagram to send, after `delayMs`, and the function that gives its budget share back. */
export interface Outgoing {
  readonly data: Buffer
  readonly delayMs: number
  readonly done: () => void
}

/** FanOutContext is what fanOut reads: the proxy's toxics and their runs, the limits, the budget. */
export interface FanOutContext {
  readonly toxics: readonly Toxic[]
  readonly runs: ReadonlyMap<string, { readonly run: UdpToxicRun }>
  readonly maxFanout: number
  readonly budget: MemoryBudget
  readonly rng: Rng
}

/** FanOutResult: the datagrams to send, or `refused` with what the budget could not hold. */
export type FanOutResult =
  | { readonly refused: false; readonly out: readonly Outgoing[] }
  | { readonly refused: true; readonly fanout: number; readonly bytes: number }

/** fanOut runs `msg` through `stream`'s toxics within the fan-out limit and the budget. */
export function fanOut(stream: Stream, msg: Buffer, ctx: FanOutContext): FanOutResult {
  const toxics = ctx.toxics.filter((t) => t.stream === stream)
  const fanout = toxics.reduce((n, t) => n * (t.def.fanout?.(t.attributes) ?? 1), 1)
  const limit = Math.min(fanout, ctx.maxFanout)
  const perCopy = msg.length + DATAGRAM_OVERHEAD_BYTES
  const hold = ctx.budget.hold(limit * perCopy)
  if (!hold) return { refused: true, fanout: limit, bytes: limit * perCopy }
  const now = performance.now()
  let datagrams = [{ data: msg, delayMs: 0 }]
  for (const t of toxics) {
    const run = ctx.runs.get(t.name)?.run
    if (!run) continue
    const next: typeof datagrams = []
    for (const d of datagrams) {
      const hit = ctx.rng() < t.toxicity
      if (hit) countToxic(t.type, t.stream)
      for (const made of hit ? run.apply(d, now) : [d]) {
        if (next.length < limit) next.push(made)
      }
    }
    datagrams = next
  }
  hold.shrink((limit - datagrams.length) * perCopy)
  const done = () => hold.shrink(perCopy)
  return { refused: false, out: datagrams.map((d) => ({ data: d.data, delayMs: d.delayMs, done })) }
}
