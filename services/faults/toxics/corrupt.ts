/**
 * corrupt (UDP): flips `bytes` randomly chosen bytes of the datagram (XOR with a non-zero
 * value, so every chosen byte changes); a zero-length datagram passes unchanged.
 * Toxicity is the probability per datagram.
 */
import { z } from 'zod'
import { defineToxic, type Rng } from './toxic.ts'

/** corruptBytes returns a copy of `data` with `count` random positions flipped. */
export function corruptBytes(data: Buffer, count: number, rng: Rng): Buffer {
  const out = Buffer.from(data)
  if (out.length === 0) return out
  for (let i = 0; i < count; i++) {
    const at = Math.floor(rng() * out.length)
    out[at] = (out[at] as number) ^ (1 + Math.floor(rng() * 255))
  }
  return out
}

export const corruptToxic = defineToxic({
  type: 'corrupt',
  doc: 'flip bytes random bytes of the datagram',
  attributes: () => z.object({ bytes: z.number().int().min(1).max(65_535).default(1) }).strict(),
  udp: (a, rng) => ({
    apply: (d) => [{ data: corruptBytes(d.data, a.bytes, rng), delayMs: d.delayMs }],
  }),
})
