/**
 * A reply is accounted before it is built: jsonSize and xmlValueSize must say exactly how
 * many UTF-8 bytes encodeJson and encodeValue will write, for every value, and stop early
 * (cheaply) once a limit is passed, even for a value that shares one big string many times.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeJson } from '../../../protocols/jsonrpc/codec.ts'
import { jsonSize, jsonStringSize } from '../../../protocols/jsonrpc/encoded-size.ts'
import type { RpcValue } from '../../../protocols/value.ts'
import { encodeValue } from '../../../protocols/xmlrpc/codec.ts'
import { xmlTextSize, xmlValueSize } from '../../../protocols/xmlrpc/encoded-size.ts'
import { rpcValue } from '../../support/rpc-values.ts'

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')

/** ints beyond 2^64 in a value: each may be counted up to two bytes over */
function bigInts(v: RpcValue): number {
  if (typeof v === 'bigint') return v >= 2n ** 64n || v <= -(2n ** 64n) ? 1 : 0
  if (Array.isArray(v)) return (v as RpcValue[]).reduce((n: number, x) => n + bigInts(x), 0)
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date))
    return Object.values(v).reduce((n: number, x) => n + bigInts(x as RpcValue), 0)
  return 0
}

/** within is the measured size: exact, or over by at most two bytes per int beyond 2^64 */
const within = (measured: number, actual: number, v: RpcValue) =>
  measured >= actual && measured <= actual + 2 * bigInts(v)

describe('jsonSize', () => {
  it('is the UTF-8 size of encodeJson for any value', () => {
    fc.assert(
      fc.property(rpcValue('xml'), (v) => within(jsonSize(v), bytes(encodeJson(v)), v)),
      { numRuns: 300 },
    )
  })

  it.each([
    ['plain ASCII', 'hello'],
    ['quotes and backslashes', 'a"b\\c'],
    ['short escapes', '\b\t\n\f\r'],
    ['other controls', '\u0000\u0001\u001f'],
    ['two- and three-byte characters', 'é€'],
    ['a surrogate pair', '😀'],
    ['lone surrogates', '\ud800x\udfff'],
    ['a high surrogate at the end', 'x\ud83d'],
  ])('counts %s as JSON.stringify writes them', (_name, s) => {
    expect(jsonStringSize(s)).toBe(bytes(JSON.stringify(s)))
  })

  it('counts ints: exactly below 2^64, at most two digits over beyond', () => {
    for (const v of [0n, -1n, 2n ** 64n - 1n, -(2n ** 63n)]) expect(jsonSize(v)).toBe(v.toString().length)
    for (const v of [2n ** 64n, 10n ** 20n, -(10n ** 4299n), 9n * 10n ** 4299n]) {
      expect(jsonSize(v)).toBeGreaterThanOrEqual(v.toString().length)
      expect(jsonSize(v)).toBeLessThanOrEqual(v.toString().length + 2)
    }
  })

  it('stops past the limit without walking a value that shares one big string', () => {
    const big = 'x'.repeat(1 << 20)
    const shared: RpcValue = Array.from({ length: 100_000 }, () => big)
    const started = performance.now()
    expect(jsonSize(shared, 4 << 20)).toBeGreaterThan(4 << 20)
    expect(performance.now() - started).toBeLessThan(100)
  })
})

describe('xmlValueSize', () => {
  it('is the UTF-8 size of encodeValue for any value', () => {
    fc.assert(
      fc.property(rpcValue('xml'), (v) => within(xmlValueSize(v), bytes(encodeValue(v)), v)),
      { numRuns: 300 },
    )
  })

  it('counts escapes and ints beyond 32 bits as the encoder writes them', () => {
    for (const v of ['a&b<c>d', 2n ** 31n, -(2n ** 31n) - 1n, new Uint8Array(200), 1.5, null, true])
      expect(xmlValueSize(v)).toBe(bytes(encodeValue(v)))
    expect(xmlTextSize('<&>')).toBe(bytes('&lt;&amp;&gt;'))
  })

  it('stops past the limit', () => {
    const big = 'x'.repeat(1 << 20)
    expect(xmlValueSize([big, big, big, big, big], 2 << 20)).toBeGreaterThan(2 << 20)
  })
})
