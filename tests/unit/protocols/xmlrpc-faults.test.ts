import { describe, expect, it } from 'vitest'
import {
  arityMessage,
  type PySignature,
  pyBytesRepr,
  pyFloatRepr,
  pyRepr,
  pyStrRepr,
} from '../../../protocols/python.ts'
import { type RpcValue, struct } from '../../../protocols/value.ts'
import { decodeMethodCall, XmlRpcDecodeError } from '../../../protocols/xmlrpc/codec.ts'
import {
  arityFault,
  decodeErrorFault,
  expatFault,
  keyErrorFault,
  pyFault,
  unknownMethodFault,
} from '../../../protocols/xmlrpc/faults.ts'

// Expected texts are CPython 3.11's, printed by the interpreter.

describe('Python fault texts', () => {
  it('builds Fault(1, "<class \'X\'>:message")', () => {
    expect(pyFault('KeyError', "'k'")).toEqual({ faultCode: 1, faultString: "<class 'KeyError'>:'k'" })
  })

  it('words an unknown method as SimpleXMLRPCServer does', () => {
    expect(unknownMethodFault('nosuch')).toEqual({
      faultCode: 1,
      faultString: '<class \'Exception\'>:method "nosuch" is not supported',
    })
  })

  it.each<{ key: RpcValue; faultString: string }>([
    { key: 'missing', faultString: "<class 'KeyError'>:'missing'" },
    { key: "it's", faultString: "<class 'KeyError'>:\"it's\"" },
    { key: 1n, faultString: "<class 'KeyError'>:1" },
    { key: null, faultString: "<class 'KeyError'>:None" },
  ])('words a KeyError for $key', ({ key, faultString }) => {
    expect(keyErrorFault(key)).toEqual({ faultCode: 1, faultString })
  })

  it('words malformed XML as an ExpatError', () => {
    expect(expatFault('unclosed token: line 1, column 0').faultString).toBe(
      "<class 'xml.parsers.expat.ExpatError'>:unclosed token: line 1, column 0",
    )
  })

  it.each<{ name: string; xml: string; faultString: string }>([
    {
      name: 'an empty body',
      xml: '',
      faultString: "<class 'xml.parsers.expat.ExpatError'>:no element found: line 1, column 0",
    },
    {
      name: 'a bad boolean',
      xml: '<methodCall><methodName>m</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>',
      faultString: "<class 'TypeError'>:bad boolean value",
    },
    {
      name: 'an unknown tag',
      xml: '<methodCall><methodName>m</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>',
      faultString: "<class 'xmlrpc.client.ResponseError'>:ResponseError(\"unknown tag 'foo'\")",
    },
    {
      name: 'a bad int',
      xml: '<methodCall><methodName>m</methodName><params><param><value><int>x</int></value></param></params></methodCall>',
      faultString: "<class 'ValueError'>:invalid literal for int() with base 10: 'x'",
    },
  ])('turns the decode error for $name into the fault Python sends', ({ xml, faultString }) => {
    let err: unknown
    try {
      decodeMethodCall(xml)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(XmlRpcDecodeError)
    expect(decodeErrorFault(err as XmlRpcDecodeError)).toEqual({ faultCode: 1, faultString })
  })
})

describe('arity messages', () => {
  const put: PySignature = { name: 'put', params: ['k', 'v'] }
  const kvGet: PySignature = { name: 'KV.get', params: ['name'], bound: true }
  const kvSet: PySignature = { name: 'KV.set', params: ['name', 'value'], bound: true }
  const kvKeys: PySignature = { name: 'KV.keys', params: [], bound: true }
  const f0: PySignature = { name: 'f0', params: [] }
  const f1: PySignature = { name: 'f1', params: ['a'] }
  const f3: PySignature = { name: 'f3', params: ['a', 'b', 'c'] }
  const fd: PySignature = { name: 'fd', params: ['a', 'b'], defaults: 1 }
  const fd2: PySignature = { name: 'fd2', params: ['a', 'b', 'c'], defaults: 2 }

  it.each<{ sig: PySignature; given: number; message: string | undefined }>([
    { sig: put, given: 1, message: "put() missing 1 required positional argument: 'v'" },
    { sig: put, given: 2, message: undefined },
    { sig: put, given: 3, message: 'put() takes 2 positional arguments but 3 were given' },
    { sig: kvGet, given: 0, message: "KV.get() missing 1 required positional argument: 'name'" },
    { sig: kvGet, given: 2, message: 'KV.get() takes 2 positional arguments but 3 were given' },
    { sig: kvGet, given: 3, message: 'KV.get() takes 2 positional arguments but 4 were given' },
    {
      sig: kvSet,
      given: 0,
      message: "KV.set() missing 2 required positional arguments: 'name' and 'value'",
    },
    { sig: kvSet, given: 1, message: "KV.set() missing 1 required positional argument: 'value'" },
    { sig: kvKeys, given: 0, message: undefined },
    { sig: kvKeys, given: 1, message: 'KV.keys() takes 1 positional argument but 2 were given' },
    { sig: kvKeys, given: 2, message: 'KV.keys() takes 1 positional argument but 3 were given' },
    { sig: f0, given: 1, message: 'f0() takes 0 positional arguments but 1 was given' },
    { sig: f1, given: 0, message: "f1() missing 1 required positional argument: 'a'" },
    { sig: f1, given: 2, message: 'f1() takes 1 positional argument but 2 were given' },
    { sig: f3, given: 0, message: "f3() missing 3 required positional arguments: 'a', 'b', and 'c'" },
    { sig: f3, given: 1, message: "f3() missing 2 required positional arguments: 'b' and 'c'" },
    { sig: fd, given: 0, message: "fd() missing 1 required positional argument: 'a'" },
    { sig: fd, given: 1, message: undefined },
    { sig: fd, given: 2, message: undefined },
    { sig: fd, given: 3, message: 'fd() takes from 1 to 2 positional arguments but 3 were given' },
    { sig: fd2, given: 4, message: 'fd2() takes from 1 to 3 positional arguments but 4 were given' },
  ])('$sig.name with $given arguments', ({ sig, given, message }) => {
    expect(arityMessage(sig, given)).toBe(message)
  })

  it('wraps the message as a TypeError fault', () => {
    expect(arityFault(put, 1)).toEqual({
      faultCode: 1,
      faultString: "<class 'TypeError'>:put() missing 1 required positional argument: 'v'",
    })
    expect(arityFault(put, 2)).toBeUndefined()
  })
})

describe('pyRepr', () => {
  it.each<{ s: string; repr: string }>([
    { s: 'k', repr: "'k'" },
    { s: "it's", repr: '"it\'s"' },
    { s: 'say "hi"', repr: '\'say "hi"\'' },
    { s: 'both \'"', repr: "'both \\'\"'" },
    { s: '', repr: "''" },
    {
      s: 'a\nb\t\\\x00\x7f\x80é😀\u2028\xa0\u200b\ufeff',
      repr: "'a\\nb\\t\\\\\\x00\\x7f\\x80é😀\\u2028\\xa0\\u200b\\ufeff'",
    },
    { s: 'cr\r', repr: "'cr\\r'" },
    { s: '\u{e0001}', repr: "'\\U000e0001'" },
    { s: '\ud800', repr: "'\\ud800'" },
  ])('writes str $repr', ({ s, repr }) => {
    expect(pyStrRepr(s)).toBe(repr)
    expect(pyRepr(s)).toBe(repr)
  })

  it.each<{ b: number[]; repr: string }>([
    { b: [0x61, 0x27, 0x62, 0x00, 0xff], repr: 'b"a\'b\\x00\\xff"' },
    { b: [0x22], repr: "b'\"'" },
    { b: [0x27, 0x22], repr: "b'\\'\"'" },
    { b: [], repr: "b''" },
    { b: [0x0a, 0x0d, 0x09, 0x5c, 0x7f], repr: "b'\\n\\r\\t\\\\\\x7f'" },
  ])('writes bytes $repr', ({ b, repr }) => {
    expect(pyBytesRepr(Uint8Array.from(b))).toBe(repr)
  })

  it.each<{ x: number; repr: string }>([
    { x: 1, repr: '1.0' },
    { x: 0, repr: '0.0' },
    { x: -0, repr: '-0.0' },
    { x: 0.1, repr: '0.1' },
    { x: 1.5, repr: '1.5' },
    { x: 100, repr: '100.0' },
    { x: 1e15, repr: '1000000000000000.0' },
    { x: 123456789012345.6, repr: '123456789012345.6' },
    { x: 1e16, repr: '1e+16' },
    { x: 2 ** 53, repr: '9007199254740992.0' },
    { x: 1e-4, repr: '0.0001' },
    { x: 1e-5, repr: '1e-05' },
    { x: 1e-7, repr: '1e-07' },
    { x: 1.5e-5, repr: '1.5e-05' },
    { x: 5e-324, repr: '5e-324' },
    { x: 1.7976931348623157e308, repr: '1.7976931348623157e+308' },
    { x: -2.5e-10, repr: '-2.5e-10' },
    { x: 0.30000000000000004, repr: '0.30000000000000004' },
    { x: 1e21, repr: '1e+21' },
    { x: 1e22, repr: '1e+22' },
    { x: 1e100, repr: '1e+100' },
    { x: 12345.678, repr: '12345.678' },
    { x: 123456789012345680, repr: '1.2345678901234568e+17' },
    { x: Number.POSITIVE_INFINITY, repr: 'inf' },
    { x: Number.NEGATIVE_INFINITY, repr: '-inf' },
    { x: Number.NaN, repr: 'nan' },
  ])('writes float $x as $repr', ({ x, repr }) => {
    expect(pyFloatRepr(x)).toBe(repr)
  })

  it.each<{ name: string; v: RpcValue; repr: string }>([
    { name: 'None', v: null, repr: 'None' },
    { name: 'True', v: true, repr: 'True' },
    { name: 'False', v: false, repr: 'False' },
    { name: 'a big int', v: -(2n ** 70n), repr: '-1180591620717411303424' },
    { name: 'a list', v: [1n, 'a', null, true, 2.5], repr: "[1, 'a', None, True, 2.5]" },
    { name: 'an empty list', v: [], repr: '[]' },
    {
      name: 'a dict',
      v: struct([
        ['a', [1n]],
        ['b', struct([])],
      ]),
      repr: "{'a': [1], 'b': {}}",
    },
    {
      name: 'a datetime',
      v: new Date(Date.UTC(2024, 1, 29, 13, 5, 9)),
      repr: 'datetime.datetime(2024, 2, 29, 13, 5, 9)',
    },
    {
      name: 'a datetime at a whole minute',
      v: new Date(Date.UTC(2024, 1, 29, 0, 0)),
      repr: 'datetime.datetime(2024, 2, 29, 0, 0)',
    },
    {
      name: 'a datetime with milliseconds',
      v: new Date(Date.UTC(2024, 1, 29, 0, 0, 0, 5)),
      repr: 'datetime.datetime(2024, 2, 29, 0, 0, 0, 5000)',
    },
  ])('writes $name', ({ v, repr }) => {
    expect(pyRepr(v)).toBe(repr)
  })

  it('stops at 32 levels, so a cycle ends', () => {
    const cyclic: RpcValue[] = []
    cyclic.push(cyclic)
    expect(pyRepr(cyclic)).toBe(`${'['.repeat(32)}[...]${']'.repeat(32)}`)
  })
})
