/**
 * Shared parts in a pickle: memo references may repeat a container, but the tree they
 * expand to is bounded by maxItems, so walking the result (pyToRpc on the RPC port) is.
 */
import { describe, expect, it } from 'vitest'
import { pyToRpc } from '../../../protocols/pickle/convert.ts'
import { DEFAULT_PICKLE_LIMITS, decodePickle } from '../../../protocols/pickle/decode.ts'
import { pickleLimit } from '../../../protocols/pickle/errors.ts'
import { PyTuple } from '../../../protocols/pickle/value.ts'

/** doubling: `a = []`, then `levels` times `a = (a, a)`; 4 bytes a level, 2^(levels+1) - 2 values when walked. */
function doubling(levels: number): Buffer {
  const ops = [0x80, 0x04, 0x5d, 0x94] // PROTO 4, EMPTY_LIST, MEMOIZE (memo 0)
  for (let i = 0; i < levels; i++) ops.push(0x68, i, 0x68, i, 0x86, 0x94) // BINGET i, BINGET i, TUPLE2, MEMOIZE
  ops.push(0x2e) // STOP
  return Buffer.from(ops)
}

const walked = (v: unknown): number =>
  v instanceof PyTuple ? v.items.reduce((n: number, x) => n + 1 + walked(x), 0) : 0

describe('pickles with shared parts', () => {
  it('decode while the tree they expand to is within maxItems', () => {
    const value = decodePickle(doubling(10), { ...DEFAULT_PICKLE_LIMITS, maxItems: 2046 })
    expect(walked(value)).toBe(2046)
    expect(JSON.stringify(pyToRpc(value as PyTuple)).length).toBeGreaterThan(2046)
  })

  // Found by tests/unit/fuzz/pickle.fuzz.test.ts (shared parts over maxItems): 40 levels take 240
  // bytes and 80 items, passed every limit, and pyToRpc would then walk 2^41 nodes.
  it('are refused with PICKLE_LIMIT once the expanded tree exceeds maxItems', () => {
    expect(() => decodePickle(doubling(10), { ...DEFAULT_PICKLE_LIMITS, maxItems: 2045 })).toThrow(
      pickleLimit(
        'maxItems',
        'pickle expands to more than 2045 values, shared parts counted each time they appear (offset 62)',
      ),
    )
    expect(() => decodePickle(doubling(40))).toThrow(expect.objectContaining({ code: 'PICKLE_LIMIT' }))
  })
})
