/**
 * Fuzz: the XML-RPC decoder (protocols/xmlrpc/codec.ts) and its dispatch
 * (transports/xmlrpc.ts). Valid calls round-trip; anything else is an XmlRpcDecodeError
 * with a documented code, and the server answers every body with a methodResponse
 * (result or fault) that a client can read.
 */
import fc from 'fast-check'
import { beforeAll, describe, it } from 'vitest'
import {
  DEFAULT_XMLRPC_LIMITS,
  decodeMethodCall,
  decodeMethodResponse,
  encodeMethodCall,
  encodeMethodResponse,
  XmlRpcDecodeError,
  type XmlRpcLimits,
} from '../../../protocols/xmlrpc/codec.ts'
import type { Registry } from '../../../services/rpc/methods/registry.ts'
import { handleXmlRpc } from '../../../services/rpc/transports/xmlrpc.ts'
import { check, checkAsync } from '../../support/fuzz-budget.ts'
import { hostile } from '../../support/mutate.ts'
import { registry, rpcValue, sameValue, silent } from '../../support/rpc-values.ts'

const CODES = new Set(['XML_MALFORMED', 'XML_FORBIDDEN', 'XML_LIMIT', 'XML_INVALID'])
const limits: XmlRpcLimits = {
  ...DEFAULT_XMLRPC_LIMITS,
  maxBytes: 4096,
  maxDepth: 4,
  maxMembers: 40,
  maxStringBytes: 256,
}
const value = rpcValue('xml')
const methodName = fc.oneof(
  fc.constantFrom(
    'add',
    'sub',
    'echo',
    'set',
    'get',
    'delete',
    'exists',
    'keys',
    'system.listMethods',
    'system.multicall',
  ),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => /^[\t\n\x20-\uD7FF\uE000-\uFFFD]+$/.test(s)),
)
const call = fc.tuple(methodName, fc.array(value, { maxLength: 3 }))
const callXml = call.map(([m, params]) => Buffer.from(encodeMethodCall(m, params)))
const hostileXml = fc.oneof(
  hostile(callXml),
  fc
    .constantFrom(
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall><methodName>&a;</methodName></methodCall>',
      '<methodCall><methodName>echo</methodName><params><param><value><int>1_000</int></value></param></params></methodCall>',
      '<?pi x?><methodCall/>',
      '<methodCall><methodName>echo</methodName><params><param><value><array><data><value><array><data><value><array><data><value><array><data><value><array><data></data></array></value></data></array></value></data></array></value></data></array></value></data></array></value></param></params></methodCall>',
    )
    .map((s) => Buffer.from(s)),
)

describe('fuzz: XML-RPC', () => {
  let reg: Registry
  beforeAll(async () => {
    reg = await registry()
  })

  it('encodeMethodCall → decodeMethodCall is the identity', () => {
    check(
      'xmlrpc',
      'round trip call',
      fc.property(call, ([method, params]) => {
        const back = decodeMethodCall(encodeMethodCall(method, params))
        if (back.method !== method || !sameValue(back.params, params)) throw new Error('call changed')
      }),
    )
  })

  it('encodeMethodResponse → decodeMethodResponse is the identity', () => {
    check(
      'xmlrpc',
      'round trip response',
      fc.property(value, (v) => {
        const back = decodeMethodResponse(encodeMethodResponse(v))
        if (back.kind !== 'result' || !sameValue(back.value, v)) throw new Error('value changed')
      }),
    )
  })

  it('any body decodes within the limits or throws XmlRpcDecodeError with a documented code', () => {
    check(
      'xmlrpc',
      'hostile decode',
      fc.property(hostileXml, (bytes) => {
        try {
          const { params } = decodeMethodCall(bytes.toString('utf8'), limits)
          if (JSON.stringify(params, (_k, v) => (typeof v === 'bigint' ? 0 : v)).length > 8 * limits.maxBytes)
            throw new Error('decoded value far larger than the document')
        } catch (err) {
          if (!(err instanceof XmlRpcDecodeError) || !CODES.has(err.code)) throw err
          if (err.pyClass === '' || err.pyMessage === '')
            throw new Error('decode error without a Python fault')
        }
      }),
      2,
    )
  })

  it('the server answers every body with a methodResponse a client can read', async () => {
    await checkAsync(
      'xmlrpc',
      'dispatch',
      fc.asyncProperty(hostileXml, async (bytes) => {
        const reply = await handleXmlRpc(bytes.toString('utf8'), {
          registry: reg,
          limits: DEFAULT_XMLRPC_LIMITS,
          maxReplyBytes: 1 << 20,
          maxBatchCalls: 1000,
          log: silent,
        })
        const decoded = decodeMethodResponse(reply)
        if (decoded.kind === 'fault' && (decoded.message === '' || !Number.isInteger(decoded.code)))
          throw new Error(`bad fault ${reply}`)
      }),
    )
  })
})
