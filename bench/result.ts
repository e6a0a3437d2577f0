/**
 * The bench's result file: what `make bench` writes (bench-results/<stamp>.json), what the
 * HTML report draws and what `make bench-compare A B` reads back. Validated with zod on read,
 * since a result file may come from another machine or an older run.
 */
import { z } from 'zod'

/** Latency of one figure, from an HDR histogram, in microseconds. */
export const latencySchema = z.object({
  count: z.number().int().nonnegative(),
  meanUs: z.number().nonnegative(),
  p50Us: z.number().nonnegative(),
  p90Us: z.number().nonnegative(),
  p99Us: z.number().nonnegative(),
  maxUs: z.number().nonnegative(),
})
export type Latency = z.infer<typeof latencySchema>

/** One measured figure: one subject (netlab or a baseline) under one load shape. */
export const measurementSchema = z.object({
  /** stable key of the load shape, shared by a netlab figure and its baseline: 'tcp.upper.c32' */
  id: z.string().min(1),
  group: z.enum(['network', 'tcp', 'udp', 'http', 'rpc']),
  /** human title of the load shape: 'TCP upper, 64 B round trips, 32 connections' */
  title: z.string(),
  /** who was measured: 'netlab' or the baseline's name ('node net', 'sockperf', 'python SimpleXMLRPCServer') */
  subject: z.string(),
  /** a 'variant' is netlab's own image with another setting (TCP_WORKERS=1): the threads figures */
  role: z.enum(['netlab', 'baseline', 'limit', 'variant']),
  /** a baseline's family: the minimal Node servers, or the seeds' own Python servers */
  family: z.enum(['node', 'seed']).optional(),
  concurrency: z.number().int().positive(),
  durationS: z.number().nonnegative(),
  ops: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** ops per second (or Mbit/s for a bandwidth figure, see `unit`) */
  throughput: z.number().nonnegative(),
  unit: z.enum(['ops/s', 'req/s', 'calls/s', 'Mbit/s']),
  latency: latencySchema.optional(),
  /** anything else the step measured: { lossPct: 0.4, parseMs: 31.2 } */
  extra: z.record(z.string(), z.number()).default({}),
  /** the server container's CPU over the measured step (bench/cpu.ts), when it could be read */
  cpu: z
    .object({
      serverUs: z.number().nonnegative(),
      perOpUs: z.number().nonnegative(),
    })
    .optional(),
})
export type Measurement = z.infer<typeof measurementSchema>

/** A netlab figure beside its baseline, and the suite's target for it when there is one. */
export const comparisonSchema = z.object({
  id: z.string(),
  title: z.string(),
  netlab: z.string(), // measurement key: `${id}|${subject}`
  baseline: z.string().optional(),
  /** netlab / baseline throughput (or baseline / netlab latency when `basis` is 'latency') */
  ratio: z.number().nullable(),
  basis: z.enum(['throughput', 'latency', 'absolute']),
  /** netlab's server CPU per exchange / the baseline's (lower is better); null when either is missing */
  cpuRatio: z.number().nullable().optional(),
  target: z
    .object({
      text: z.string(), // '>= 1.2x node net at 32 connections'
      met: z.boolean().nullable(), // null: not measured in this run
    })
    .optional(),
})
export type Comparison = z.infer<typeof comparisonSchema>

/** One of the targets, judged on this run's figures (bench/suite.ts TARGETS). */
export const targetResultSchema = z.object({
  /** the figure it judges: 'tcp.upper.c32' */
  id: z.string(),
  /** what it asks: '>= 0.95x node net' */
  text: z.string(),
  /** what this run measured, as a sentence: '0.89x (48 901/s vs 54 900/s)' */
  figure: z.string(),
  /** null: not measured (or a smoke run) */
  met: z.boolean().nullable(),
})
export type TargetResult = z.infer<typeof targetResultSchema>

export const machineSchema = z.object({
  hostname: z.string(),
  cores: z.number().int().positive(),
  cpuModel: z.string(),
  memoryBytes: z.number().nonnegative(),
  kernel: z.string(),
  node: z.string(),
  docker: z.string(),
  commit: z.string(),
  dirty: z.boolean(),
  /** image name -> image id */
  images: z.record(z.string(), z.string()),
})
export type Machine = z.infer<typeof machineSchema>

export const benchResultSchema = z.object({
  version: z.literal(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** the BENCH_SECONDS each step ran for */
  stepSeconds: z.number().positive(),
  smoke: z.boolean(),
  /** the CPUs of the load generator and of the servers (bench/pinning.ts); null: unpinned */
  pinning: z.object({ load: z.string(), servers: z.string() }).nullable().default(null),
  machine: machineSchema,
  measurements: z.array(measurementSchema),
  comparisons: z.array(comparisonSchema),
  targets: z.array(targetResultSchema).default([]),
})
export type BenchResult = z.infer<typeof benchResultSchema>

/** measurementKey names a measurement inside a result: `${id}|${subject}`. */
export function measurementKey(m: Pick<Measurement, 'id' | 'subject'>): string {
  return `${m.id}|${m.subject}`
}
