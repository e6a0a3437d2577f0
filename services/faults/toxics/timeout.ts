/**
 * timeout (TCP): stops all data on the stream (it is held, not dropped, as in toxiproxy;
 * the bounded queue then pauses reading) and closes the connection after `timeout` ms.
 * `timeout` 0 holds the data until the toxic is removed, and then it flows again.
 */
import { z } from 'zod'
import { defineToxic } from './toxic.ts'

export const timeoutToxic = defineToxic({
  type: 'timeout',
  doc: 'stop all data and close after timeout ms (0: hold until the toxic is removed)',
  attributes: ({ maxDelayMs }) =>
    z.object({ timeout: z.number().int().min(0).max(maxDelayMs).default(0) }).strict(),
  tcp: (a, link) => {
    const { promise: released, resolve: release } = Promise.withResolvers<void>()
    const timer = a.timeout > 0 ? setTimeout(() => link.close(), a.timeout) : undefined
    return {
      async pipe(chunk, next, signal) {
        // one listener per chunk, removed once the chunk moves on: a long hold adds no more
        const { promise: aborted, resolve } = Promise.withResolvers<void>()
        const onAbort = () => resolve()
        signal.addEventListener('abort', onAbort, { once: true })
        try {
          await Promise.race([released, aborted])
        } finally {
          signal.removeEventListener('abort', onAbort)
        }
        signal.throwIfAborted()
        await next(chunk)
      },
      dispose() {
        clearTimeout(timer)
        release()
      },
    }
  },
})
