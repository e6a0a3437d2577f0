import { describe, expect, it } from 'vitest'
import {
  DEFAULT_JSONRPC_LIMITS,
  type JsonRpcLimits,
  nestingExceeds,
  parseJsonRpc,
  parseJsonValue,
} from '../../../protocols/jsonrpc/codec.ts'
import { JSON_DECODED_COST_BYTES, scanJson } from '../../../protocols/jsonrpc/json-value.ts'
import { struct } from '../../../protocols/value.ts'

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
