/**
 * What every toxic shares. A toxic has a type (`latency`, `loss`, ...), a stream
 * (upstream = client → server, downstream = server → client), a toxicity (probability)
 * and attributes validated by its zod schema. Toxiproxy's ToxicStub pipeline, in TCP:
 *
 *   client ──▶ [queue] ─▶ toxic 1 ─▶ toxic 2 ─▶ … ─▶ write (backpressure) ──▶ upstream   (upstream stream)
 *   client ◀── write ◀─ … ◀─ toxic 2 ◀─ toxic 1 ◀─ [queue] ◀──────────────────── upstream   (downstream stream)
 *
 * and in UDP each datagram passes the stream's toxics in order, each returning zero or
 * more datagrams with an added delay, before the relay sends them.
 */
import { setTimeout as sleepPromise } from 'node:timers/promises'
import type { z } from 'zod'

export type Stream = 'upstream' | 'downstream'
export type Protocol = 'tcp' | 'udp'
/** Rng returns a uniform number in [0, 1); tests pass a seeded one. */
export type Rng = () => number

/** ToxicLimits bound attribute values (FAULTS_MAX_DELAY_MS) and what one datagram may become (FAULTS_MAX_UDP_FANOUT). */
export interface ToxicLimits {
  readonly maxDelayMs: number
  readonly maxUdpFanout: number
}

/** Chunk is a piece of a TCP stream and when the proxy read it (performance.now() ms). */
export interface Chunk {
  readonly data: Buffer
  readonly receivedAt: number
}

/** Next forwards a chunk to the next toxic (or the socket); it resolves when that one is done with it. */
export type Next = (chunk: Chunk) => Promise<void>

/** TcpLink is what a TCP toxic may do to its connection. */
export interface TcpLink {
  readonly rng: Rng
  /** close both ends with a TCP RST ("connection reset by peer") */
  reset(): void
  /** close both ends normally (FIN) */
  close(): void
}

/** TcpToxicRun is one toxic acting on one direction of one connection. */
export interface TcpToxicRun {
  /** passes `chunk` on through `next`, possibly delayed, split, cut or held */
  pipe(chunk: Chunk, next: Next, signal: AbortSignal): Promise<void>
  /** runs before the end of the stream is forwarded (slow_close waits here) */
  end?(signal: AbortSignal): Promise<void>
  /** stops timers; resolves anything held (the toxic was removed or the connection closed) */
  dispose(): void
}

/** Datagram is one UDP payload and how long the relay will hold it before sending. */
export interface Datagram {
  readonly data: Buffer
  readonly delayMs: number
}

/** UdpToxicRun is one toxic acting on one stream of a UDP proxy (shared by its sessions). */
export interface UdpToxicRun {
  /** what becomes of one datagram: dropped ([]), passed, delayed, duplicated or changed */
  apply(datagram: Datagram, nowMs: number): Datagram[]
}

/** ToxicDef is one toxic type: its attributes and how it runs on each protocol it supports. */
export interface ToxicDef<A extends Record<string, number> = Record<string, number>> {
  readonly type: string
  /** one line for docs/faults.md and `faults types` */
  readonly doc: string
  readonly attributes: (limits: ToxicLimits) => z.ZodType<A>
  readonly tcp?: (attrs: A, link: TcpLink) => TcpToxicRun
  readonly udp?: (attrs: A, rng: Rng) => UdpToxicRun
  /** UDP: the most datagrams one datagram may become in this toxic (1 when absent) */
  readonly fanout?: (attrs: A) => number
}

/** defineToxic keeps the attribute type of a toxic definition. */
export function defineToxic<A extends Record<string, number>>(def: ToxicDef<A>): ToxicDef {
  return def as unknown as ToxicDef
}

/** sleep waits `ms`, or rejects with an AbortError when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return ms <= 0 && !signal.aborted ? Promise.resolve() : sleepPromise(Math.max(0, ms), undefined, { signal })
}

/** passThrough is a TCP run that changes nothing. */
export const passThrough: TcpToxicRun = {
  pipe: (chunk, next) => next(chunk),
  dispose: () => undefined,
}

/** jittered is `base` ± up to `jitter`, never below 0 (toxiproxy: latency + rand(-jitter, +jitter)). */
export function jittered(base: number, jitter: number, rng: Rng): number {
  return Math.max(0, base + (jitter > 0 ? (2 * rng() - 1) * jitter : 0))
}
