/**
 * reorder (UDP): holds a datagram back `delay` ms, so the datagrams sent after it within
 * that time overtake it (netem's way of reordering); toxicity is the probability per datagram.
 */
import { z } from 'zod'
import { defineToxic } from './toxic.ts'

export const reorderToxic = defineToxic({
  type: 'reorder',
  doc: 'hold the datagram back delay ms so later ones overtake it',
  attributes: ({ maxDelayMs }) =>
    z.object({ delay: z.number().int().min(1).max(maxDelayMs).default(50) }).strict(),
  udp: (a) => ({
    apply: (d) => [{ data: d.data, delayMs: d.delayMs + a.delay }],
  }),
})
