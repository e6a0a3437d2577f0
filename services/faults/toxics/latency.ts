/**
 * latency: delays data by `latency` ms ± `jitter` ms. TCP: each chunk is held until
 * latency after the proxy read it (so delays do not add up along a stream; the bounded
 * queue behind it pauses reading when full). UDP: each datagram, with probability
 * toxicity, is held that long before it is sent.
 */
import { z } from 'zod'
import { defineToxic, jittered, sleep } from './toxic.ts'

export const latencyToxic = defineToxic({
  type: 'latency',
  doc: 'delay data by latency ms ± jitter ms',
  attributes: ({ maxDelayMs }) =>
    z
      .object({
        latency: z.number().int().min(0).max(maxDelayMs).default(0),
        jitter: z.number().int().min(0).max(maxDelayMs).default(0),
      })
      .strict(),
  tcp: (a, link) => ({
    async pipe(chunk, next, signal) {
      const due = chunk.receivedAt + jittered(a.latency, a.jitter, link.rng)
      await sleep(due - performance.now(), signal)
      await next(chunk)
    },
    dispose: () => undefined,
  }),
  udp: (a, rng) => ({
    apply: (d) => [{ data: d.data, delayMs: d.delayMs + jittered(a.latency, a.jitter, rng) }],
  }),
})
