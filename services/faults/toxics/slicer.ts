/**
 * slicer (TCP): splits each chunk into pieces of `average_size` ± `size_variation` bytes
 * and waits `delay` microseconds between them (toxiproxy's units), to exercise a peer's
 * reassembly of partial reads.
 */
import { z } from 'zod'
import { defineToxic, type Rng, sleep } from './toxic.ts'

/**
 * sliceSizes splits `length` bytes as toxiproxy's slicer does: each piece is
 * average ± variation (uniform), at least 1 byte, the last one what is left.
 */
export function sliceSizes(length: number, average: number, variation: number, rng: Rng): number[] {
  const sizes: number[] = []
  let left = length
  while (left > 0) {
    const size = Math.max(1, Math.min(left, average + Math.floor(rng() * (2 * variation + 1)) - variation))
    sizes.push(size)
    left -= size
  }
  return sizes
}

export const slicerToxic = defineToxic({
  type: 'slicer',
  doc: 'split data into pieces of average_size ± size_variation bytes, delay µs apart',
  attributes: ({ maxDelayMs }) =>
    z
      .object({
        average_size: z.number().int().min(1).max(1_048_576).default(1),
        size_variation: z.number().int().min(0).max(1_048_576).default(0),
        delay: z
          .number()
          .int()
          .min(0)
          .max(maxDelayMs * 1000)
          .default(0),
      })
      .strict()
      .refine((a) => a.size_variation < a.average_size, {
        message: 'size_variation must be smaller than average_size',
      }),
  tcp: (a, link) => ({
    async pipe(chunk, next, signal) {
      let offset = 0
      for (const [i, size] of sliceSizes(
        chunk.data.length,
        a.average_size,
        a.size_variation,
        link.rng,
      ).entries()) {
        if (i > 0) await sleep(a.delay / 1000, signal)
        await next({ data: chunk.data.subarray(offset, offset + size), receivedAt: chunk.receivedAt })
        offset += size
      }
    },
    dispose: () => undefined,
  }),
})
