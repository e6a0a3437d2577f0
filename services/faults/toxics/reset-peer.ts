/**
 * reset_peer (TCP): `timeout` ms after the toxic meets a connection (at once when 0), both
 * ends are closed with a TCP RST (socket.resetAndDestroy()), so the client sees
 * ECONNRESET, "connection reset by peer". Data flows normally until then.
 */
import { z } from 'zod'
import { defineToxic } from './toxic.ts'

export const resetPeerToxic = defineToxic({
  type: 'reset_peer',
  doc: 'reset the connection (TCP RST) after timeout ms (0: at once)',
  attributes: ({ maxDelayMs }) =>
    z.object({ timeout: z.number().int().min(0).max(maxDelayMs).default(0) }).strict(),
  tcp: (a, link) => {
    const timer = setTimeout(() => link.reset(), a.timeout)
    return {
      pipe: (chunk, next) => next(chunk),
      dispose: () => clearTimeout(timer),
    }
  },
})
