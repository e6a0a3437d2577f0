import { describe, expect, it } from 'vitest'
import {
  encodeError,
  encodeRequest,
  encodeResult,
  JsonRpcDecodeError,
  METHOD_NOT_FOUND,
  parseJsonRpc,
  parseResponse,
} from '../../../protocols/jsonrpc/codec.ts'
import { struct } from '../../../protocols/value.ts'

describe('JSON-RPC 2.0: the client side', () => {
  it('writes requests and notifications', () => {
    expect(encodeRequest(1n, 'set', ['k', [1n, 2n]])).toBe(
      '{"jsonrpc":"2.0","method":"set","params":["k",[1,2]],"id":1}',
    )
    expect(encodeRequest('x', 'keys')).toBe('{"jsonrpc":"2.0","method":"keys","id":"x"}')
    expect(encodeRequest(undefined, 'update', struct([['k', 'v']]))).toBe(
      '{"jsonrpc":"2.0","method":"update","params":{"k":"v"}}',
    )
  })

  it('a request it writes is read back by the server side', () => {
    const params = ['k', 2n ** 80n, 0.5, null]
    expect(parseJsonRpc(encodeRequest(9n, 'set', params))).toEqual({
      kind: 'single',
      entry: { kind: 'call', id: 9n, method: 'set', params },
    })
  })

  it('reads results, errors and batches', () => {
    expect(parseResponse('{"jsonrpc":"2.0","result":12345678901234567890,"id":1}')).toEqual({
      kind: 'result',
      id: 1n,
      value: 12345678901234567890n,
    })
    expect(parseResponse('{"jsonrpc":"2.0","result":null,"id":"a"}')).toEqual({
      kind: 'result',
      id: 'a',
      value: null,
    })
    expect(
      parseResponse(
        '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Server error","data":[1]},"id":null}',
      ),
    ).toEqual({ kind: 'error', id: null, error: { code: -32000, message: 'Server error', data: [1n] } })
    expect(
      parseResponse(`[${encodeResult(1n, 'a')},${encodeError(2n, METHOD_NOT_FOUND, 'Method not found')}]`),
    ).toEqual([
      { kind: 'result', id: 1n, value: 'a' },
      { kind: 'error', id: 2n, error: { code: -32601, message: 'Method not found' } },
    ])
  })

  it.each<{ name: string; text: string; message: string }>([
    { name: 'not JSON', text: '<html>', message: 'response is not JSON: ' },
    { name: 'not an object', text: '42', message: 'not a JSON-RPC 2.0 response object' },
    { name: 'no jsonrpc', text: '{"result":1,"id":1}', message: 'not a JSON-RPC 2.0 response object' },
    {
      name: 'no id',
      text: '{"jsonrpc":"2.0","result":1}',
      message: 'response id is missing or not a string, number or null',
    },
    {
      name: 'both result and error',
      text: '{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"x"},"id":1}',
      message: 'response has both result and error',
    },
    { name: 'neither', text: '{"jsonrpc":"2.0","id":1}', message: 'response has neither result nor error' },
    {
      name: 'an error without a message',
      text: '{"jsonrpc":"2.0","error":{"code":1},"id":1}',
      message: 'response error is not {code: integer, message: string}',
    },
    {
      name: 'too deep',
      text: `${'['.repeat(100)}${']'.repeat(100)}`,
      message: 'response nests deeper than 64',
    },
  ])('refuses a response that is $name', ({ text, message }) => {
    let err: unknown
    try {
      parseResponse(text)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(JsonRpcDecodeError)
    expect((err as Error).message.startsWith(message)).toBe(true)
  })
})
