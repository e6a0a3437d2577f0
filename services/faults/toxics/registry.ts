/**
 * The toxic types, as toxiproxy's `toxics.Register` table: the TCP ones toxiproxy has,
 * and the UDP ones it lacks. `latency` works on both protocols.
 */
import { bandwidthToxic } from './bandwidth.ts'
import { corruptToxic } from './corrupt.ts'
import { duplicateToxic } from './duplicate.ts'
import { latencyToxic } from './latency.ts'
import { limitDataToxic } from './limit-data.ts'
import { lossToxic } from './loss.ts'
import { rateToxic } from './rate.ts'
import { reorderToxic } from './reorder.ts'
import { resetPeerToxic } from './reset-peer.ts'
import { slicerToxic } from './slicer.ts'
import { slowCloseToxic } from './slow-close.ts'
import { timeoutToxic } from './timeout.ts'
import type { Protocol, ToxicDef } from './toxic.ts'

const all: readonly ToxicDef[] = [
  latencyToxic,
  bandwidthToxic,
  slowCloseToxic,
  timeoutToxic,
  resetPeerToxic,
  slicerToxic,
  limitDataToxic,
  lossToxic,
  duplicateToxic,
  reorderToxic,
  corruptToxic,
  rateToxic,
]

/** toxicTypes lists the types a proxy of `protocol` accepts, in the order above. */
export function toxicTypes(protocol: Protocol): string[] {
  return all.filter((t) => t[protocol] !== undefined).map((t) => t.type)
}

/** findToxic returns the definition of `type` if a proxy of `protocol` accepts it. */
export function findToxic(type: string, protocol: Protocol): ToxicDef | undefined {
  return all.find((t) => t.type === type && t[protocol] !== undefined)
}
