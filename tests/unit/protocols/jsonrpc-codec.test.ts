import { describe, expect, it } from 'vitest'
import {
  DEFAULT_JSONRPC_LIMITS,
  encodeBatch,
  encodeError,
  encodeJson,
  encodeRequest,
  encodeResult,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  JsonRpcDecodeError,
  type JsonRpcEntry,
  type JsonRpcLimits,
  METHOD_NOT_FOUND,
  nestingExceeds,
  parseJsonRpc,
  parseJsonValue,
  parseResponse,
  SERVER_ERROR,
} from '../../../protocols/jsonrpc/codec.ts'
import { JSON_DECODED_COST_BYTES, scanJson } from '../../../protocols/jsonrpc/json-value.ts'
import { isStruct, type RpcValue, struct } from '../../../protocols/value.ts'

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

describe('JSON-RPC 2.0: limits', () => {
  const limits: JsonRpcLimits = { ...DEFAULT_JSONRPC_LIMITS, maxBytes: 200, maxDepth: 8, maxBatch: 3 }

  it('refuses a body over maxBytes with Invalid Request, counting UTF-8 bytes', () => {
    const body = `{"jsonrpc":"2.0","method":"m","params":["${'a'.repeat(200 - 51)}"],"id":1}`
    expect(body).toHaveLength(200)
    expect(parseJsonRpc(body, limits).kind).toBe('single')
    expect(parseJsonRpc(body.replace('a', 'é'), limits)).toEqual({
      kind: 'error',
      error: { code: -32600, message: 'Invalid Request', data: 'request exceeds 200 bytes' },
      response:
        '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request exceeds 200 bytes"},"id":null}',
    })
  })

  it('refuses deep nesting with Invalid Request before JSON.parse sees it', () => {
    const ok = `{"jsonrpc":"2.0","method":"m","params":${'['.repeat(7)}${']'.repeat(7)},"id":1}`
    expect(parseJsonRpc(ok, limits).kind).toBe('single')
    const deep = ok.replace('[', '[[').replace(']', ']]')
    expect(parseJsonRpc(deep, limits)).toMatchObject({
      kind: 'error',
      error: { code: -32600, message: 'Invalid Request', data: 'request nests deeper than 8' },
    })
  })

  it('refuses 100 000 nested arrays without a stack overflow, valid JSON or not', () => {
    const depth = 100_000
    const body = `{"jsonrpc":"2.0","method":"m","params":${'['.repeat(depth)}${']'.repeat(depth)},"id":1}`
    expect(parseJsonRpc(body)).toMatchObject({
      kind: 'error',
      error: { code: -32600, data: 'request nests deeper than 64' },
    })
    expect(parseJsonRpc('['.repeat(depth))).toMatchObject({ kind: 'error', error: { code: -32600 } })
  })

  it('refuses more values than maxItems, counted before JSON.parse', () => {
    const tight = { ...limits, maxBytes: 10_000, maxItems: 100 }
    const body = (n: number) =>
      `{"jsonrpc":"2.0","method":"m","params":[${Array(n).fill('1').join(',')}],"id":1}`
    expect(parseJsonRpc(body(90), tight).kind).toBe('single')
    expect(parseJsonRpc(body(200), tight)).toMatchObject({
      kind: 'error',
      error: { code: -32600, data: 'request holds more than 100 values' },
    })
  })

  it("refuses an integer literal over maxIntDigits (CPython's 4300 by default), ids too", () => {
    const call = (n: string, id = '1') => `{"jsonrpc":"2.0","method":"m","params":[${n}],"id":${id}}`
    expect(parseJsonRpc(call(`-${'9'.repeat(4300)}`))).toMatchObject({ kind: 'single' })
    const refused = {
      kind: 'error',
      error: { code: -32600, data: 'integer literal of 4301 digits exceeds 4300 (RPC_MAX_INT_DIGITS)' },
    }
    expect(parseJsonRpc(call('9'.repeat(4301)))).toMatchObject(refused)
    expect(parseJsonRpc(call('1', '1'.repeat(4301)))).toMatchObject(refused)
    // a float literal is not an int: it stays a (rounded) float, as in Python's json
    expect(parseJsonRpc(call(`${'9'.repeat(5000)}.0`))).toMatchObject({ kind: 'single' })
  })

  it('refuses a body whose decoded values would pass maxDecodedBytes', () => {
    const objects = `{"jsonrpc":"2.0","method":"m","params":[${Array(1000).fill('{}').join(',')}],"id":1}`
    expect(parseJsonRpc(objects, { ...DEFAULT_JSONRPC_LIMITS, maxDecodedBytes: 100_000 })).toMatchObject({
      kind: 'error',
      error: {
        code: -32600,
        data: expect.stringMatching(/^request would take about \d+ bytes decoded, more than 100000$/),
      },
    })
  })

  it('charges the decoded estimate to a hold first, and answers -32001 Server busy when it has no room', () => {
    const body = '{"jsonrpc":"2.0","method":"m","params":[{"a":[1,2]}],"id":7}'
    const charged: number[] = []
    const roomy = { grow: (n: number) => charged.push(n) > 0 }
    expect(parseJsonRpc(body, DEFAULT_JSONRPC_LIMITS, roomy).kind).toBe('single')
    // the text, then a value's cost for each of 9 values (one plus every comma and opening
    // bracket: an upper bound) and an object's for each object; short ints only: the plain parse
    const { plain, withSource } = JSON_DECODED_COST_BYTES
    expect(charged).toEqual([body.length + plain.value * 9 + plain.object * 2])
    // a float literal needs each number's source text, which costs more
    const withFloat = body.replace('[1,2]', '[1,2.5]')
    parseJsonRpc(withFloat, DEFAULT_JSONRPC_LIMITS, roomy)
    expect(charged[1]).toBe(withFloat.length + withSource.value * 9 + withSource.object * 2)
    expect(parseJsonRpc(body, DEFAULT_JSONRPC_LIMITS, { grow: () => false })).toEqual({
      kind: 'error',
      error: {
        code: -32001,
        message: 'Server busy',
        data: {
          code: 'BUSY',
          message: `no room to decode the request (about ${charged[0]} bytes); retry later`,
        },
      },
      response: `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Server busy","data":{"code":"BUSY","message":"no room to decode the request (about ${charged[0]} bytes); retry later"}},"id":null}`,
    })
  })

  it.each([
    ['short ints only', '[1,-22,{"a":333}]', false, 3],
    ['a float', '[1,2.5]', true, 1],
    ['an exponent', '[1e3]', true, 0],
    ['a 16-digit int', '[1234567890123456]', false, 16],
    ['digits inside strings do not count', '["123456789012345678",1]', false, 1],
  ])('scanJson sees %s', (_name, text, hasFloat, longestInt) => {
    expect(scanJson(text, 64)).toMatchObject({ hasFloat, longestInt })
  })

  it('reads ints exactly on both paths: plain JSON.parse for short ints, the source text otherwise', () => {
    expect(parseJsonValue('[9007199254740991,-0,{"k":[1]}]')).toEqual([
      9007199254740991n,
      0n,
      struct([['k', [1n]]]),
    ])
    expect(parseJsonValue('[90071992547409919,1.0]')).toEqual([90071992547409919n, 1])
  })

  it('refuses a batch over maxBatch', () => {
    const req = '{"jsonrpc":"2.0","method":"m"}'
    expect(parseJsonRpc(`[${Array(3).fill(req).join(',')}]`, limits).kind).toBe('batch')
    expect(parseJsonRpc(`[${Array(4).fill(req).join(',')}]`, limits)).toMatchObject({
      kind: 'error',
      error: { code: -32600, data: 'batch of 4 requests exceeds 3' },
    })
  })

  it.each<{ text: string; max: number; deeper: boolean }>([
    { text: '[[[]]]', max: 3, deeper: false },
    { text: '[[[[]]]]', max: 3, deeper: true },
    { text: '{"a":{"b":[1]}}', max: 3, deeper: false },
    { text: '{"a":{"b":[{}]}}', max: 3, deeper: true },
    { text: '["[[[[[[", "{{{{"]', max: 1, deeper: false },
    { text: '["\\"[[[[", "\\\\"]', max: 1, deeper: false },
    { text: '["\\\\", [[', max: 2, deeper: true },
    { text: '"unterminated [[[[', max: 1, deeper: false },
    { text: ']]]][[', max: 1, deeper: false },
  ])('nestingExceeds($text, $max) is $deeper', ({ text, max, deeper }) => {
    expect(nestingExceeds(text, max)).toBe(deeper)
  })

  it('has defaults', () => {
    expect(DEFAULT_JSONRPC_LIMITS).toEqual({
      maxBytes: 10 * 1024 * 1024,
      maxDepth: 64,
      maxBatch: 1000,
      maxItems: 1_000_000,
      maxIntDigits: 4300,
      maxDecodedBytes: Number.MAX_SAFE_INTEGER,
    })
  })
})

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
