/**
 * duplicate (UDP): sends a datagram `copies` extra times; toxicity is the probability per
 * datagram. Chained duplicates multiply: their product is bounded by FAULTS_MAX_UDP_FANOUT.
 */
import { z } from 'zod'
import { defineToxic } from './toxic.ts'

export const duplicateToxic = defineToxic({
  type: 'duplicate',
  doc: 'send the datagram copies extra times',
  attributes: () => z.object({ copies: z.number().int().min(1).max(100).default(1) }).strict(),
  fanout: (a) => a.copies + 1,
  udp: (a) => ({
    apply: (d) => Array.from({ length: a.copies + 1 }, () => d),
  }),
})
