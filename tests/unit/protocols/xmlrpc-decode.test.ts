import { describe, expect, it } from 'vitest'
import { type RpcValue, struct } from '../../../protocols/value.ts'
import { decodeMethodCall } from '../../../protocols/xmlrpc/codec.ts'
import { decodeOne } from '../../support/xmlrpc-fixtures.ts'

describe('XML-RPC codec: decoding what Python accepts', () => {
  it.each<{ name: string; xml: string; value: RpcValue }>([
    { name: '<int>', xml: '<value><int>42</int></value>', value: 42n },
    { name: '<i4>', xml: '<value><i4>-7</i4></value>', value: -7n },
    { name: '<i1>', xml: '<value><i1>1</i1></value>', value: 1n },
    { name: '<i2>', xml: '<value><i2>300</i2></value>', value: 300n },
    { name: '<i8>', xml: '<value><i8>-9223372036854775808</i8></value>', value: -(2n ** 63n) },
    {
      name: 'an int with spaces, + and _ (as int() takes)',
      xml: '<value><int> +1_000 </int></value>',
      value: 1000n,
    },
    { name: '<double>', xml: '<value><double>-2.5e-3</double></value>', value: -0.0025 },
    { name: '<float>', xml: '<value><float>3</float></value>', value: 3 },
    { name: 'a double with spaces', xml: '<value><double> .5 </double></value>', value: 0.5 },
    { name: 'a double "Infinity"', xml: '<value><double>-Infinity</double></value>', value: -Infinity },
    { name: '<boolean>0', xml: '<value><boolean>0</boolean></value>', value: false },
    { name: '<boolean>1', xml: '<value><boolean>1</boolean></value>', value: true },
    {
      name: '<string> keeping white space',
      xml: '<value><string> a\n b </string></value>',
      value: ' a\n b ',
    },
    { name: 'bare text', xml: '<value>hello</value>', value: 'hello' },
    { name: 'bare white space', xml: '<value>  sp  </value>', value: '  sp  ' },
    { name: 'an empty <value/>', xml: '<value/>', value: '' },
    { name: 'an empty <value></value>', xml: '<value></value>', value: '' },
    { name: 'an empty <string/>', xml: '<value><string/></value>', value: '' },
    { name: 'white space around a typed value', xml: '<value>\n  <int>5</int>\n</value>', value: 5n },
    { name: '<nil/>', xml: '<value><nil/></value>', value: null },
    { name: '<nil></nil>', xml: '<value><nil></nil></value>', value: null },
    { name: '<ex:nil/> (prefix stripped)', xml: '<value><ex:nil/></value>', value: null },
    { name: '<ex:i8>', xml: '<value><ex:i8>9223372036854775807</ex:i8></value>', value: 2n ** 63n - 1n },
    {
      name: 'prefixed containers',
      xml: '<ex:value><ex:array><ex:data><ex:value><ex:string>x</ex:string></ex:value></ex:data></ex:array></ex:value>',
      value: ['x'],
    },
    {
      name: 'a dashed date',
      xml: '<value><dateTime.iso8601>2024-02-29T13:05:09</dateTime.iso8601></value>',
      value: new Date(Date.UTC(2024, 1, 29, 13, 5, 9)),
    },
    {
      name: 'base64 with CRLF and indentation',
      xml: '<value><base64>AAEC\r\n  AwQF\n</base64></value>',
      value: Uint8Array.from([0, 1, 2, 3, 4, 5]),
    },
    {
      name: 'entities, character references, CDATA and a comment in a string',
      xml: '<value><string>&amp;&lt;&gt;&quot;&apos;&#65;&#x1F600;<![CDATA[<x>&amp;]]><!-- c -->z</string></value>',
      value: '&<>"\'A😀<x>&amp;z',
    },
    {
      name: 'a struct with a repeated name (the last wins)',
      xml: '<value><struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct></value>',
      value: struct([['a', '2']]),
    },
    {
      name: 'a member whose value comes before its name',
      xml: '<value><struct><member><value><int>1</int></value><name>k</name></member></struct></value>',
      value: struct([['k', 1n]]),
    },
    { name: '<array/> without <data>', xml: '<value><array/></value>', value: [] },
    { name: '<struct/>', xml: '<value><struct/></value>', value: struct([]) },
    {
      name: 'arrays in arrays',
      xml: '<value><array><data><value><array><data><value><int>1</int></value></data></array></value><value/></data></array></value>',
      value: [[1n], ''],
    },
  ])('reads $name', ({ xml, value }) => {
    expect(decodeOne(xml)).toEqual(value)
  })

  it('reads a __proto__ member as a plain key of a null-prototype struct', () => {
    const v = decodeOne(
      '<value><struct><member><name>__proto__</name><value><i4>1</i4></value></member></struct></value>',
    )
    expect(Object.getPrototypeOf(v)).toBeNull()
    expect(Object.keys(v as object)).toEqual(['__proto__'])
    expect((v as Record<string, RpcValue>).__proto__).toBe(1n)
  })

  it('keeps a methodName exactly, spaces included', () => {
    expect(decodeMethodCall('<methodCall><methodName> m </methodName></methodCall>')).toEqual({
      method: ' m ',
      params: [],
    })
  })

  it('reads a call with a declared encoding, a BOM, comments and white space around', () => {
    const xml =
      "\uFEFF<?xml version='1.0' encoding='utf-8'?>\n<!-- hi -->\n<methodCall>\n <methodName>keys</methodName>\n <params/>\n</methodCall>\n<!-- bye -->\n"
    expect(decodeMethodCall(xml)).toEqual({ method: 'keys', params: [] })
  })

  it('ignores attributes', () => {
    expect(decodeOne('<value a="1"><int b="2">3</int></value>')).toBe(3n)
  })
})
