/** loss (UDP): drops a datagram; toxicity is the loss probability per datagram. */
import { z } from 'zod'
import { defineToxic } from './toxic.ts'

export const lossToxic = defineToxic({
  type: 'loss',
  doc: 'drop the datagram (toxicity = loss probability)',
  attributes: () => z.object({}).strict(),
  udp: () => ({ apply: () => [] }),
})
