import { describe, expect, it } from 'vitest'
import { encodeResult, parseJsonRpc, parseJsonValue } from '../../../protocols/jsonrpc/codec.ts'
import { isStruct, type RpcValue, struct } from '../../../protocols/value.ts'

describe('JSON-RPC 2.0: reading requests', () => {
  it('reads a call by position, by name, and without params', () => {
    expect(parseJsonRpc('{"jsonrpc":"2.0","method":"set","params":["k",[1,2.5]],"id":7}')).toEqual({
      kind: 'single',
      entry: { kind: 'call', id: 7n, method: 'set', params: ['k', [1n, 2.5]] },
    })
    const named = parseJsonRpc('{"jsonrpc":"2.0","method":"set","params":{"name":"k"},"id":"x"}')
    expect(named).toEqual({
      kind: 'single',
      entry: { kind: 'call', id: 'x', method: 'set', params: struct([['name', 'k']]) },
    })
    expect(parseJsonRpc('{"jsonrpc":"2.0","method":"keys","id":null}')).toEqual({
      kind: 'single',
      entry: { kind: 'call', id: null, method: 'keys', params: [] },
    })
  })

  it('reads a notification', () => {
    expect(parseJsonRpc('{"jsonrpc":"2.0","method":"update","params":[1]}')).toEqual({
      kind: 'single',
      entry: { kind: 'notification', method: 'update', params: [1n] },
    })
  })

  it.each<{ name: string; body: string; id: RpcValue }>([
    { name: 'no jsonrpc member', body: '{"method":"m","id":1}', id: 1n },
    { name: 'jsonrpc "1.0"', body: '{"jsonrpc":"1.0","method":"m","id":"a"}', id: 'a' },
    { name: 'jsonrpc as a number', body: '{"jsonrpc":2.0,"method":"m","id":1}', id: 1n },
    { name: 'no method', body: '{"jsonrpc":"2.0","id":3}', id: 3n },
    { name: 'params as a string', body: '{"jsonrpc":"2.0","method":"m","params":"bar","id":4}', id: 4n },
    { name: 'params as null', body: '{"jsonrpc":"2.0","method":"m","params":null,"id":5}', id: 5n },
    { name: 'an id that is an object', body: '{"jsonrpc":"2.0","method":"m","id":{}}', id: null },
    { name: 'an id that is a boolean', body: '{"jsonrpc":"2.0","method":"m","id":true}', id: null },
    { name: 'a string', body: '"hello"', id: null },
    { name: 'null', body: 'null', id: null },
  ])('answers Invalid Request for $name, with the id when it can be read', ({ body, id }) => {
    const parsed = parseJsonRpc(body)
    expect(parsed).toEqual({
      kind: 'single',
      entry: { kind: 'invalid', id, error: { code: -32600, message: 'Invalid Request' } },
    })
  })

  it('keeps integers exact at any size, ids and params alike', () => {
    const parsed = parseJsonRpc(
      '{"jsonrpc":"2.0","method":"set","params":[12345678901234567890123,-9007199254740993,1.0,1e3,-0],"id":18446744073709551617}',
    )
    expect(parsed).toEqual({
      kind: 'single',
      entry: {
        kind: 'call',
        id: 18446744073709551617n,
        method: 'set',
        params: [12345678901234567890123n, -9007199254740993n, 1, 1000, 0n],
      },
    })
    expect(encodeResult(18446744073709551617n, 12345678901234567890123n)).toBe(
      '{"jsonrpc":"2.0","result":12345678901234567890123,"id":18446744073709551617}',
    )
  })

  it('reads objects as null-prototype structs, __proto__ as a plain key', () => {
    const v = parseJsonValue('{"__proto__":{"a":1},"b":[{}]}')
    expect(isStruct(v)).toBe(true)
    expect(Object.getPrototypeOf(v)).toBeNull()
    expect(Object.keys(v as object)).toEqual(['__proto__', 'b'])
    const inner = (v as Record<string, RpcValue>).__proto__
    expect(Object.getPrototypeOf(inner)).toBeNull()
    expect(inner).toEqual(struct([['a', 1n]]))
  })

  it('answers Parse error for text that is not JSON', () => {
    for (const body of ['', ' ', '{', '[1,]', "{'a':1}", 'NaN', '{"a":1}x']) {
      expect(parseJsonRpc(body)).toEqual({
        kind: 'error',
        error: { code: -32700, message: 'Parse error' },
        response: '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}',
      })
    }
  })
})
