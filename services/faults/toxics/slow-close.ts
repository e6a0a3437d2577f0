/** slow_close (TCP): when one side closes, the proxy waits `delay` ms before passing the close on. */
import { z } from 'zod'
import { defineToxic, sleep } from './toxic.ts'

export const slowCloseToxic = defineToxic({
  type: 'slow_close',
  doc: 'delay passing on the close of the stream by delay ms',
  attributes: ({ maxDelayMs }) =>
    z.object({ delay: z.number().int().min(0).max(maxDelayMs).default(0) }).strict(),
  tcp: (a) => ({
    pipe: (chunk, next) => next(chunk),
    end: (signal) => sleep(a.delay, signal),
    dispose: () => undefined,
  }),
})
