/**
 * Fuzz: JSON-RPC (protocols/jsonrpc/codec.ts) and its dispatch (transports/jsonrpc.ts).
 * Requests and values round-trip exactly (ints stay ints at any size, floats stay floats);
 * parseJsonRpc never throws; every reply is a JSON-RPC response whose error codes are the
 * spec's.
 */
import fc from 'fast-check'
import { beforeAll, describe, it } from 'vitest'
import {
  DEFAULT_JSONRPC_LIMITS,
  encodeJson,
  encodeRequest,
  type JsonRpcLimits,
  parseJsonRpc,
  parseJsonValue,
  parseResponse,
} from '../../../protocols/jsonrpc/codec.ts'
import { type RpcValue, struct } from '../../../protocols/value.ts'
import type { Registry } from '../../../services/rpc/methods/registry.ts'
import { handleJsonRpc } from '../../../services/rpc/transports/jsonrpc.ts'
import { check, checkAsync } from '../../support/fuzz-budget.ts'
import { hostile } from '../../support/mutate.ts'
import { registry, rpcValue, sameValue, silent } from '../../support/rpc-values.ts'

const ERROR_CODES = new Set([-32700, -32600, -32601, -32602, -32603, -32000])
const limits: JsonRpcLimits = { ...DEFAULT_JSONRPC_LIMITS, maxBytes: 4096, maxDepth: 6, maxBatch: 8 }
const value = rpcValue('json')
const id = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.constant(null),
)
const method = fc.oneof(
  fc.constantFrom('add', 'sub', 'echo', 'set', 'get', 'delete', 'exists', 'keys'),
  fc.string({ maxLength: 8 }),
)
const params = fc.oneof(
  fc.array(value, { maxLength: 3 }),
  fc.array(fc.tuple(fc.constantFrom('x', 'y', 'name', 'value', 'z'), value), { maxLength: 3 }).map(struct),
)
const request = fc
  .tuple(fc.option(id), method, fc.option(params))
  .map(([i, m, p]) => encodeRequest(i === null ? undefined : i, m, p === null ? undefined : p))
const body = fc.oneof(
  request,
  fc.array(request, { minLength: 1, maxLength: 4 }).map((r) => `[${r.join(',')}]`),
)
const hostileBody = fc.oneof(
  hostile(body.map((s) => Buffer.from(s))).map((b) => b.toString('utf8')),
  fc.constantFrom(
    '[]',
    '[[[[[[[[[[1]]]]]]]]]]',
    '{"jsonrpc":"2.0","method":"echo","params":[1e400],"id":1}',
    '"\\u',
  ),
)

describe('fuzz: JSON-RPC', () => {
  let reg: Registry
  beforeAll(async () => {
    reg = await registry()
  })

  it('encodeJson → parseJsonValue is the identity (ints exact, floats stay floats)', () => {
    check(
      'jsonrpc',
      'value round trip',
      fc.property(value, (v) => {
        if (!sameValue(parseJsonValue(encodeJson(v)), v)) throw new Error(`changed: ${encodeJson(v)}`)
      }),
    )
  })

  it('encodeRequest → parseJsonRpc gives back the call or notification', () => {
    check(
      'jsonrpc',
      'request round trip',
      fc.property(fc.option(id), method, params, (i, m, p) => {
        const parsed = parseJsonRpc(encodeRequest(i === null ? undefined : i, m, p))
        if (parsed.kind !== 'single') throw new Error(parsed.kind)
        const e = parsed.entry
        if (e.kind === 'invalid' || e.method !== m || !sameValue(e.params as RpcValue, p))
          throw new Error('entry changed')
        if ((i === null) !== (e.kind === 'notification')) throw new Error('call/notification mixed up')
        if (e.kind === 'call' && !sameValue(e.id, i as RpcValue)) throw new Error('id changed')
      }),
    )
  })

  it('parseJsonRpc never throws, and whole-body errors are -32700 or -32600 with id null', () => {
    check(
      'jsonrpc',
      'hostile parse',
      fc.property(hostileBody, (text) => {
        const parsed = parseJsonRpc(text, limits)
        if (parsed.kind === 'error') {
          if (parsed.error.code !== -32700 && parsed.error.code !== -32600)
            throw new Error(`${parsed.error.code}`)
          const r = parseResponse(parsed.response)
          if (Array.isArray(r) || r.kind !== 'error' || r.id !== null) throw new Error('bad error response')
        }
        if (parsed.kind === 'batch' && parsed.entries.length > limits.maxBatch)
          throw new Error('batch over limit')
      }),
      2,
    )
  })

  it('the server answers every body with responses a client can read, or nothing for notifications', async () => {
    await checkAsync(
      'jsonrpc',
      'dispatch',
      fc.asyncProperty(hostileBody, async (text) => {
        const reply = await handleJsonRpc(text, {
          registry: reg,
          limits: DEFAULT_JSONRPC_LIMITS,
          maxReplyBytes: 1 << 20,
          log: silent,
        })
        if (reply === undefined) return
        const responses = parseResponse(reply)
        for (const r of Array.isArray(responses) ? responses : [responses])
          if (r.kind === 'error' && !ERROR_CODES.has(r.error.code)) throw new Error(`code ${r.error.code}`)
      }),
    )
  })
})
