/** limit_data (TCP): passes the first `bytes` bytes of the stream, then closes the connection. */
import { z } from 'zod'
import { defineToxic } from './toxic.ts'

export const limitDataToxic = defineToxic({
  type: 'limit_data',
  doc: 'close the connection after bytes bytes have passed',
  attributes: () =>
    z.object({ bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0) }).strict(),
  tcp: (a, link) => {
    let passed = 0
    return {
      async pipe(chunk, next) {
        const left = a.bytes - passed
        if (left > 0) {
          const data = chunk.data.length > left ? chunk.data.subarray(0, left) : chunk.data
          passed += data.length
          await next({ data, receivedAt: chunk.receivedAt })
        }
        if (passed >= a.bytes) link.close()
      },
      dispose: () => undefined,
    }
  },
})
