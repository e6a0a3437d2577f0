/** The UDP service's counters, shared by all worker threads, and the shape `stats` reports. */
import { NamedCounters } from '../../lib/named-counters.ts'
import { type UdpProto, udpProtos } from './handlers.ts'

export const dropReasons = [
  'oversize',
  'malformed',
  'tooShort',
  'rateLimited',
  'overBudget',
  'sendFailed',
] as const
export type CountedDrop = (typeof dropReasons)[number]

const names = [
  ...udpProtos.map((p) => `received.${p}` as const),
  ...udpProtos.map((p) => `replied.${p}` as const),
  ...dropReasons.map((r) => `dropped.${r}` as const),
]
export type UdpCounterName = (typeof names)[number]

export function createUdpCounters(buffer?: SharedArrayBuffer): NamedCounters<UdpCounterName> {
  return new NamedCounters(names, buffer)
}

/** UdpStats is what a `stats` request on the probe port returns. */
export interface UdpStats {
  readonly workers: number
  readonly mode: 'reuseport' | 'single'
  readonly received: Record<UdpProto, number>
  readonly replied: Record<UdpProto, number>
  readonly dropped: Record<CountedDrop, number>
}

export function udpStats(
  counters: NamedCounters<UdpCounterName>,
  workers: number,
  mode: UdpStats['mode'],
): UdpStats {
  const c = counters.snapshot()
  const byProto = (kind: 'received' | 'replied') =>
    Object.fromEntries(udpProtos.map((p) => [p, c[`${kind}.${p}`]])) as Record<UdpProto, number>
  return {
    workers,
    mode,
    received: byProto('received'),
    replied: byProto('replied'),
    dropped: Object.fromEntries(dropReasons.map((r) => [r, c[`dropped.${r}`]])) as Record<
      CountedDrop,
      number
    >,
  }
}
