/**
 * Arbitraries for the RPC fuzz tests: RpcValues (what the method registry sees) in the
 * shapes each wire format can carry, a registry over an in-memory store, and a deep
 * equality that tells int (bigint) from float (number) and -0 from 0.
 */
import fc from 'fast-check'
import { createLogger } from '../../lib/log.ts'
import { isStruct, type RpcValue, struct } from '../../protocols/value.ts'
import { arithMethods } from '../../services/rpc/methods/arith.ts'
import { kvMethods } from '../../services/rpc/methods/kv.ts'
import { Registry } from '../../services/rpc/methods/registry.ts'
import { KvStore } from '../../services/rpc/store/kv-store.ts'

export const silent = createLogger('rpc', 'silent')

/** registry is the service's registry (arith + key-value) over a small in-memory store. */
export async function registry(): Promise<Registry> {
  const store = await KvStore.open(undefined, { maxKeys: 100, maxKeyBytes: 256, maxValueBytes: 4096 }, silent)
  return new Registry().register(...arithMethods, ...kvMethods(store))
}

/** Characters XML 1.0 allows, without `\r` (a parser reads it as `\n`, as Python's does). */
const XML_TEXT = /^[\t\n\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u

const text = (xmlSafe: boolean) =>
  fc
    .oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 }))
    .filter((s) => !xmlSafe || XML_TEXT.test(s))

/** rpcValue: values both XML-RPC and JSON-RPC carry (`xml` adds bytes and dates, JSON only floats it can spell) */
export function rpcValue(format: 'xml' | 'json'): fc.Arbitrary<RpcValue> {
  const scalars: fc.Arbitrary<RpcValue>[] = [
    fc.constant(null),
    fc.boolean(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    text(format === 'xml'),
  ]
  if (format === 'xml')
    scalars.push(
      fc.uint8Array({ maxLength: 80 }),
      fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }).map((s) => new Date(s * 1000)),
    )
  const { value } = fc.letrec<{ value: RpcValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      ...scalars,
      fc.array(tie('value'), { maxLength: 4 }),
      fc
        .array(fc.tuple(text(format === 'xml'), tie('value')), { maxLength: 4 })
        .map((entries) => struct(entries)),
    ),
  }))
  return value
}

/** sameValue is deep equality for RpcValues: bigint ≠ number, -0 ≠ 0, NaN = NaN. */
export function sameValue(a: RpcValue, b: RpcValue): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b)
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b))
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime()
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i] as RpcValue))
  if (!isStruct(a) || !isStruct(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return (
    ka.length === kb.length &&
    ka.every((k, i) => kb[i] === k && sameValue(a[k] as RpcValue, b[k] as RpcValue))
  )
}
