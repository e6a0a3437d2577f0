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
        const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
        await Promise.race([released, aborted])
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
