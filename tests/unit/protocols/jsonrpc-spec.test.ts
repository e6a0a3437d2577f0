import { describe, expect, it } from 'vitest'
import {
  encodeBatch,
  encodeError,
  encodeResult,
  type JsonRpcEntry,
  type JsonRpcLimits,
  METHOD_NOT_FOUND,
  parseJsonRpc,
} from '../../../protocols/jsonrpc/codec.ts'
import type { RpcValue } from '../../../protocols/value.ts'

type Method = (params: readonly RpcValue[] | Record<string, RpcValue>) => RpcValue

/** The methods of the spec's examples. */
const methods: Record<string, Method> = {
  subtract: (p) => {
    const [a, b] = Array.isArray(p)
      ? p
      : [(p as Record<string, RpcValue>).minuend, (p as Record<string, RpcValue>).subtrahend]
    return (a as bigint) - (b as bigint)
  },
  sum: (p) => (p as readonly bigint[]).reduce((a, b) => a + b, 0n),
  update: () => null,
  notify_hello: () => null,
  get_data: () => ['hello', 5n],
}

function answer(entry: JsonRpcEntry): string | undefined {
  if (entry.kind === 'invalid')
    return encodeError(entry.id, entry.error.code, entry.error.message, entry.error.data)
  const method = Object.hasOwn(methods, entry.method) ? methods[entry.method] : undefined
  if (entry.kind === 'notification') {
    method?.(entry.params)
    return undefined
  }
  if (method === undefined) return encodeError(entry.id, METHOD_NOT_FOUND, 'Method not found')
  return encodeResult(entry.id, method(entry.params))
}

/** dispatch is the smallest server: what it would send for a body, undefined for nothing. */
function dispatch(body: string, limits?: JsonRpcLimits): string | undefined {
  const parsed = parseJsonRpc(body, limits)
  switch (parsed.kind) {
    case 'error':
      return parsed.response
    case 'single':
      return answer(parsed.entry)
    case 'batch':
      return encodeBatch(parsed.entries.map(answer).filter((r): r is string => r !== undefined))
  }
}

describe('JSON-RPC 2.0: the examples of the specification', () => {
  it.each<{ name: string; request: string; response: string | undefined }>([
    {
      name: 'rpc call with positional parameters',
      request: '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}',
      response: '{"jsonrpc": "2.0", "result": 19, "id": 1}',
    },
    {
      name: 'rpc call with positional parameters, swapped',
      request: '{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}',
      response: '{"jsonrpc": "2.0", "result": -19, "id": 2}',
    },
    {
      name: 'rpc call with named parameters',
      request:
        '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
      response: '{"jsonrpc": "2.0", "result": 19, "id": 3}',
    },
    {
      name: 'rpc call with named parameters, reordered',
      request:
        '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
      response: '{"jsonrpc": "2.0", "result": 19, "id": 4}',
    },
    {
      name: 'a notification',
      request: '{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}',
      response: undefined,
    },
    {
      name: 'a notification without params',
      request: '{"jsonrpc": "2.0", "method": "foobar"}',
      response: undefined,
    },
    {
      name: 'rpc call of non-existent method',
      request: '{"jsonrpc": "2.0", "method": "foobar", "id": "1"}',
      response: '{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}',
    },
    {
      name: 'rpc call with invalid JSON',
      request: '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
      response: '{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}',
    },
    {
      name: 'rpc call with invalid Request object',
      request: '{"jsonrpc": "2.0", "method": 1, "params": "bar"}',
      response: '{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}',
    },
    {
      name: 'rpc call Batch, invalid JSON',
      request:
        '[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n  {"jsonrpc": "2.0", "method"\n]',
      response: '{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}',
    },
    {
      name: 'rpc call with an empty Array',
      request: '[]',
      response: '{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}',
    },
    {
      name: 'rpc call with an invalid Batch (but not empty)',
      request: '[1]',
      response: '[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]',
    },
    {
      name: 'rpc call with invalid Batch',
      request: '[1,2,3]',
      response: `[${Array(3).fill('{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}').join(',')}]`,
    },
    {
      name: 'rpc call Batch',
      request: `[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
      ]`,
      response: `[
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
      ]`,
    },
    {
      name: 'rpc call Batch (all notifications)',
      request: `[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
      ]`,
      response: undefined,
    },
  ])('$name', ({ request, response }) => {
    const got = dispatch(request)
    if (response === undefined) expect(got).toBeUndefined()
    else expect(JSON.parse(got as string)).toEqual(JSON.parse(response))
  })

  it('writes responses compactly, members in the spec order', () => {
    expect(dispatch('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}')).toBe(
      '{"jsonrpc":"2.0","result":19,"id":1}',
    )
    expect(dispatch('[]')).toBe(
      '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}',
    )
  })
})
