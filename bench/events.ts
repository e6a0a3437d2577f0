/**
 * The load generator's NDJSON stream: one JSON event per line on its stdout, read by the
 * host (bench/main.ts) to draw progress and collect results.
 *
 *   {"type":"plan","steps":58}
 *   {"type":"step","index":3,"id":"tcp.upper.c32","subject":"netlab","seconds":3}
 *   {"type":"mark","phase":"start","id":"tcp.upper.c32","subject":"netlab","host":"tcp"}
 *   {"type":"mark","phase":"end","id":"tcp.upper.c32","subject":"netlab","host":"tcp"}
 *   {"type":"result","measurement":{...Measurement}}
 *   {"type":"failed","id":"udp.ctime.c32","subject":"node dgram","message":"..."}
 *   {"type":"done"}
 *
 * A `mark` brackets the measured part of a step (the warm-up is outside it); with `--sync`
 * the generator waits for one line on its stdin after each, so the host can read the
 * server's CPU usage (bench/cpu.ts) before the exchanges start and after they end.
 */
import { z } from 'zod'
import { measurementSchema } from './result.ts'

/** benchEventSchema validates one event of the stream. */
export const benchEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('plan'), steps: z.number().int().nonnegative() }),
  z.object({
    type: z.literal('step'),
    index: z.number().int().nonnegative(),
    id: z.string(),
    subject: z.string(),
    seconds: z.number().nonnegative(),
  }),
  z.object({
    type: z.literal('mark'),
    phase: z.enum(['start', 'end']),
    id: z.string(),
    subject: z.string(),
    host: z.string(),
  }),
  z.object({ type: z.literal('result'), measurement: measurementSchema }),
  z.object({ type: z.literal('failed'), id: z.string(), subject: z.string(), message: z.string() }),
  z.object({ type: z.literal('done') }),
])
/** BenchEvent is one line of the load generator's stream. */
export type BenchEvent = z.infer<typeof benchEventSchema>

/** encodeEvent is one NDJSON line (newline included). */
export function encodeEvent(event: BenchEvent): string {
  return `${JSON.stringify(event)}\n`
}

/**
 * parseEvent reads one line of the stream: the event, or an Error saying why the line is
 * not one (the host shows such lines as the load generator's own output).
 */
export function parseEvent(line: string): BenchEvent | Error {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return new Error(`not JSON: ${line.slice(0, 120)}`)
  }
  const parsed = benchEventSchema.safeParse(json)
  if (!parsed.success)
    return new Error(
      `not a bench event (${parsed.error.issues[0]?.message ?? 'invalid'}): ${line.slice(0, 120)}`,
    )
  return parsed.data
}
