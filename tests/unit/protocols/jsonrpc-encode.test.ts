import { describe, expect, it } from 'vitest'
import {
  encodeBatch,
  encodeError,
  encodeJson,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  parseJsonValue,
  SERVER_ERROR,
} from '../../../protocols/jsonrpc/codec.ts'
import { type RpcValue, struct } from '../../../protocols/value.ts'

describe('JSON-RPC 2.0: writing values', () => {
  it.each<{ name: string; value: RpcValue; json: string }>([
    { name: 'null', value: null, json: 'null' },
    { name: 'booleans', value: [true, false], json: '[true,false]' },
    { name: 'an int beyond 2^53', value: 2n ** 64n + 1n, json: '18446744073709551617' },
    { name: 'a float that is whole (stays a float)', value: 1, json: '1.0' },
    { name: 'floats as Python writes them', value: [0.1, 1e16, 1e-7, -0], json: '[0.1,1e+16,1e-07,-0.0]' },
    {
      name: 'non-finite floats (as null)',
      value: [Number.NaN, Number.POSITIVE_INFINITY],
      json: '[null,null]',
    },
    { name: 'a string with quotes and controls', value: 'a"b\\c\n\u0001é', json: '"a\\"b\\\\c\\n\\u0001é"' },
    { name: 'bytes (as base64)', value: Uint8Array.from([0, 1, 2, 255]), json: '"AAEC/w=="' },
    { name: 'a view of bytes', value: Uint8Array.from([9, 0, 1, 2, 9]).subarray(1, 4), json: '"AAEC"' },
    {
      name: 'a date (as ISO 8601)',
      value: new Date(Date.UTC(2024, 1, 29, 13, 5, 9)),
      json: '"2024-02-29T13:05:09.000Z"',
    },
    {
      name: 'a struct with a __proto__ key',
      value: struct([
        ['__proto__', 1n],
        ['b', []],
      ]),
      json: '{"__proto__":1,"b":[]}',
    },
  ])('writes $name', ({ value, json }) => {
    expect(encodeJson(value)).toBe(json)
  })

  it('round-trips ints and floats as themselves', () => {
    const value: RpcValue = [1n, 1, 2n ** 70n, 2.5, 1e300, -(2n ** 63n)]
    expect(parseJsonValue(encodeJson(value))).toEqual(value)
  })

  it('writes errors with and without data', () => {
    expect(encodeError('a', INVALID_PARAMS, 'Invalid params')).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"},"id":"a"}',
    )
    expect(encodeError(1n, SERVER_ERROR, 'Server error', struct([['type', 'KeyError']]))).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Server error","data":{"type":"KeyError"}},"id":1}',
    )
    expect(encodeError(null, INTERNAL_ERROR, 'Internal "error"')).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal \\"error\\""},"id":null}',
    )
  })

  it('joins a batch, or sends nothing for no responses', () => {
    expect(encodeBatch([])).toBeUndefined()
    expect(encodeBatch(['{"a":1}', '{"b":2}'])).toBe('[{"a":1},{"b":2}]')
  })
})
