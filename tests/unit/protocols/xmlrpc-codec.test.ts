import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { pyRepr } from '../../../protocols/python.ts'
import { DECODED_COST_BYTES, type RpcValue, struct } from '../../../protocols/value.ts'
import {
  DEFAULT_XMLRPC_LIMITS,
  decodeMethodCall,
  decodeMethodCallAsync,
  decodeMethodResponse,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
  XmlRpcDecodeError,
  type XmlRpcDecodeErrorCode,
  type XmlRpcLimits,
} from '../../../protocols/xmlrpc/codec.ts'

// Golden strings: `xmlrpc.client.dumps(...)` from CPython 3.11, pasted verbatim.
const HEAD = "<?xml version='1.0'?>\n"

/** call wraps value XML the way dumps(params, method) does. */
function call(method: string, ...values: string[]): string {
  const params = values.map((v) => `<param>\n${v}</param>\n`).join('')
  return `${HEAD}<methodCall>\n<methodName>${method}</methodName>\n<params>\n${params}</params>\n</methodCall>\n`
}

/** response wraps one value XML the way dumps((v,), methodresponse=True) does. */
function response(value: string): string {
  return `${HEAD}<methodResponse>\n<params>\n<param>\n${value}</param>\n</params>\n</methodResponse>\n`
}

/** param wraps a single bare value in a minimal methodCall, for decoder cases. */
function param(valueXml: string): string {
  return `<methodCall><methodName>m</methodName><params><param>${valueXml}</param></params></methodCall>`
}

function decodeOne(valueXml: string, limits?: XmlRpcLimits): RpcValue {
  return decodeMethodCall(param(valueXml), limits).params[0] as RpcValue
}

function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i)
}

/** decodeError runs `fn` and returns the XmlRpcDecodeError it throws. */
function decodeError(fn: () => unknown): XmlRpcDecodeError {
  try {
    fn()
  } catch (err) {
    if (err instanceof XmlRpcDecodeError) return err
    throw err
  }
  throw new Error('expected an XmlRpcDecodeError')
}

describe('XML-RPC codec: what ServerProxy sends, both ways', () => {
  it.each<{ name: string; xml: string; method: string; params: RpcValue[] }>([
    {
      name: "set('foo', 'bar')",
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>set</methodName>\n<params>\n<param>\n<value><string>foo</string></value>\n</param>\n<param>\n<value><string>bar</string></value>\n</param>\n</params>\n</methodCall>\n",
      method: 'set',
      params: ['foo', 'bar'],
    },
    {
      name: "set('spam', [1, 2, 3])",
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>set</methodName>\n<params>\n<param>\n<value><string>spam</string></value>\n</param>\n<param>\n<value><array><data>\n<value><int>1</int></value>\n<value><int>2</int></value>\n<value><int>3</int></value>\n</data></array></value>\n</param>\n</params>\n</methodCall>\n",
      method: 'set',
      params: ['spam', [1n, 2n, 3n]],
    },
    {
      name: "a nested struct {'a': {'b': [1.5, True, 'x']}, 'c': 'd'}",
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>set</methodName>\n<params>\n<param>\n<value><struct>\n<member>\n<name>a</name>\n<value><struct>\n<member>\n<name>b</name>\n<value><array><data>\n<value><double>1.5</double></value>\n<value><boolean>1</boolean></value>\n<value><string>x</string></value>\n</data></array></value>\n</member>\n</struct></value>\n</member>\n<member>\n<name>c</name>\n<value><string>d</string></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n",
      method: 'set',
      params: [
        struct([
          ['a', struct([['b', [1.5, true, 'x']]])],
          ['c', 'd'],
        ]),
      ],
    },
    {
      name: 'datetime(2024, 2, 29, 13, 5, 9)',
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>d</methodName>\n<params>\n<param>\n<value><dateTime.iso8601>20240229T13:05:09</dateTime.iso8601></value>\n</param>\n</params>\n</methodCall>\n",
      method: 'd',
      params: [new Date(Date.UTC(2024, 1, 29, 13, 5, 9))],
    },
    {
      name: 'bytes(range(100)) as base64 in 76-column lines',
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>b</methodName>\n<params>\n<param>\n<value><base64>\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiYw==\n</base64></value>\n</param>\n</params>\n</methodCall>\n",
      method: 'b',
      params: [bytes(100)],
    },
    {
      name: 'None with allow_none (no newline after </value>)',
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>n</methodName>\n<params>\n<param>\n<value><nil/></value></param>\n</params>\n</methodCall>\n",
      method: 'n',
      params: [null],
    },
    {
      name: 'empty list and dict: ((), {})',
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>e</methodName>\n<params>\n<param>\n<value><array><data>\n</data></array></value>\n</param>\n<param>\n<value><struct>\n</struct></value>\n</param>\n</params>\n</methodCall>\n",
      method: 'e',
      params: [[], struct([])],
    },
    {
      name: 'no arguments',
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>noargs</methodName>\n<params>\n</params>\n</methodCall>\n",
      method: 'noargs',
      params: [],
    },
    {
      name: "int limits, False, '', b'', non-ASCII, an escaped key, year 5",
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>t</methodName>\n<params>\n<param>\n<value><int>2147483647</int></value>\n</param>\n<param>\n<value><int>-2147483648</int></value>\n</param>\n<param>\n<value><boolean>0</boolean></value>\n</param>\n<param>\n<value><string></string></value>\n</param>\n<param>\n<value><base64>\n</base64></value>\n</param>\n<param>\n<value><string>é😀</string></value>\n</param>\n<param>\n<value><struct>\n<member>\n<name>a&lt;b</name>\n<value><int>1</int></value>\n</member>\n</struct></value>\n</param>\n<param>\n<value><dateTime.iso8601>00050102T03:04:05</dateTime.iso8601></value>\n</param>\n</params>\n</methodCall>\n",
      method: 't',
      params: [
        2147483647n,
        -2147483648n,
        false,
        '',
        new Uint8Array(0),
        'é😀',
        struct([['a<b', 1n]]),
        (() => {
          const d = new Date(Date.UTC(2000, 0, 2, 3, 4, 5))
          d.setUTCFullYear(5)
          return d
        })(),
      ],
    },
    {
      name: 'floats as repr: inf, -inf, nan, 1.0, 1e+100, 1e-07, 0.1, -0.0, 1e+16, 1e+22, 1.2345678901234568e+17',
      xml: "<?xml version='1.0'?>\n<methodCall>\n<methodName>f</methodName>\n<params>\n<param>\n<value><double>inf</double></value>\n</param>\n<param>\n<value><double>-inf</double></value>\n</param>\n<param>\n<value><double>nan</double></value>\n</param>\n<param>\n<value><double>1.0</double></value>\n</param>\n<param>\n<value><double>1e+100</double></value>\n</param>\n<param>\n<value><double>1e-07</double></value>\n</param>\n<param>\n<value><double>0.1</double></value>\n</param>\n<param>\n<value><double>-0.0</double></value>\n</param>\n<param>\n<value><double>1e+16</double></value>\n</param>\n<param>\n<value><double>1e+22</double></value>\n</param>\n<param>\n<value><double>1.2345678901234568e+17</double></value>\n</param>\n</params>\n</methodCall>\n",
      method: 'f',
      params: [
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
        1.0,
        1e100,
        1e-7,
        0.1,
        -0,
        1e16,
        1e22,
        123456789012345680,
      ],
    },
  ])('$name', ({ xml, method, params }) => {
    expect(encodeMethodCall(method, params)).toBe(xml)
    const decoded = decodeMethodCall(xml, DEFAULT_XMLRPC_LIMITS)
    expect(decoded.method).toBe(method)
    expect(decoded.params).toEqual(params)
  })

  it('writes a string escaped as Python does (&, <, > only) and reads it back as expat does (CRLF → LF)', () => {
    const golden =
      "<?xml version='1.0'?>\n<methodCall>\n<methodName>s</methodName>\n<params>\n<param>\n<value><string>a&amp;b&lt;c&gt;d\"e'f\r\n\t</string></value>\n</param>\n</params>\n</methodCall>\n"
    expect(encodeMethodCall('s', ['a&b<c>d"e\'f\r\n\t'])).toBe(golden)
    expect(decodeMethodCall(golden).params).toEqual(['a&b<c>d"e\'f\n\t'])
  })

  it('writes an int outside 32 bits as <i8> and reads it back exactly', () => {
    const big = 2n ** 63n
    expect(encodeMethodCall('set', ['n', big])).toBe(
      call('set', '<value><string>n</string></value>\n', '<value><i8>9223372036854775808</i8></value>\n'),
    )
    expect(encodeMethodCall('set', [-(2n ** 31n) - 1n])).toContain('<value><i8>-2147483649</i8></value>')
    expect(decodeOne('<value><i8>9223372036854775808</i8></value>')).toBe(big)
    expect(decodeOne('<value><biginteger>-123456789012345678901234567890</biginteger></value>')).toBe(
      -123456789012345678901234567890n,
    )
  })

  it('writes dates without milliseconds, in UTC', () => {
    const d = new Date(Date.UTC(1998, 6, 17, 14, 8, 55, 999))
    expect(encodeMethodCall('d', [d])).toContain('<dateTime.iso8601>19980717T14:08:55</dateTime.iso8601>')
  })

  it('refuses to write a date Python cannot hold', () => {
    expect(() => encodeMethodResponse(new Date(Number.NaN))).toThrow(RangeError)
    expect(() => encodeMethodResponse(new Date(Date.UTC(10000, 0, 1)))).toThrow(RangeError)
  })

  it('writes a Uint8Array view without the bytes around it', () => {
    const view = bytes(10).subarray(2, 5)
    expect(encodeMethodResponse(view)).toBe(response('<value><base64>\nAgME\n</base64></value>\n'))
  })
})

describe('XML-RPC codec: responses and faults', () => {
  it.each<{ name: string; xml: string; value: RpcValue }>([
    {
      name: "'bar'",
      xml: "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string>bar</string></value>\n</param>\n</params>\n</methodResponse>\n",
      value: 'bar',
    },
    {
      name: 'None (what set() and delete() return)',
      xml: "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><nil/></value></param>\n</params>\n</methodResponse>\n",
      value: null,
    },
    { name: 'True', xml: response('<value><boolean>1</boolean></value>\n'), value: true },
    {
      name: "['spam', 'foo'] (keys())",
      xml: response(
        '<value><array><data>\n<value><string>spam</string></value>\n<value><string>foo</string></value>\n</data></array></value>\n',
      ),
      value: ['spam', 'foo'],
    },
  ])('encodes and decodes the result $name', ({ xml, value }) => {
    expect(encodeMethodResponse(value)).toBe(xml)
    expect(decodeMethodResponse(xml)).toEqual({ kind: 'result', value })
  })

  it("encodes Fault(1, \"<class 'KeyError'>:'k'\") as Python does, and decodes it", () => {
    const golden =
      "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>&lt;class 'KeyError'&gt;:'k'</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
    expect(encodeFault(1, "<class 'KeyError'>:'k'")).toBe(golden)
    expect(decodeMethodResponse(golden)).toEqual({
      kind: 'fault',
      code: 1,
      message: "<class 'KeyError'>:'k'",
    })
  })

  it.each<{ name: string; xml: string; message: string }>([
    {
      name: 'two params',
      xml: '<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>',
      message: 'methodResponse has 2 params, not 1',
    },
    {
      name: 'no param',
      xml: '<methodResponse><params></params></methodResponse>',
      message: 'methodResponse has 0 params, not 1',
    },
    {
      name: 'neither params nor fault',
      xml: '<methodResponse></methodResponse>',
      message: 'methodResponse has neither params nor fault',
    },
    {
      name: 'params and fault',
      xml: '<methodResponse><params></params><fault></fault></methodResponse>',
      message: "unexpected tag 'fault' in <methodResponse>",
    },
    {
      name: 'a fault that is not a struct',
      xml: '<methodResponse><fault><value><int>1</int></value></fault></methodResponse>',
      message: 'fault is not a struct of faultCode (int) and faultString (string)',
    },
    {
      name: 'a fault without faultString',
      xml: '<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member></struct></value></fault></methodResponse>',
      message: 'fault is not a struct of faultCode (int) and faultString (string)',
    },
    {
      name: 'a methodCall',
      xml: '<methodCall><methodName>m</methodName></methodCall>',
      message: "unexpected tag 'methodCall' as the document element",
    },
  ])('refuses a response with $name', ({ xml, message }) => {
    const err = decodeError(() => decodeMethodResponse(xml))
    expect(err.code).toBe('XML_INVALID')
    expect(err.message).toBe(message)
  })
})

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

describe('XML-RPC codec: refusing what is not XML-RPC', () => {
  it.each<{
    name: string
    xml: string
    code: XmlRpcDecodeErrorCode
    message: string
    pyClass?: string
    pyMessage?: string
  }>([
    {
      name: 'an empty body',
      xml: '',
      code: 'XML_MALFORMED',
      message: 'no element found: line 1, column 0',
    },
    {
      name: 'white space only',
      xml: '  \n',
      code: 'XML_MALFORMED',
      message: 'no element found: line 2, column 0',
    },
    {
      name: 'garbage',
      xml: 'hello world',
      code: 'XML_MALFORMED',
      message: 'syntax error: line 1, column 11',
    },
    {
      name: 'an unclosed document',
      xml: '<methodCall><methodName>m</methodName>',
      code: 'XML_MALFORMED',
      message: 'no element found: line 1, column 38',
    },
    {
      name: 'a truncated tag',
      xml: '<methodCall><methodName>m</methodName><params><param><val',
      code: 'XML_MALFORMED',
      message: 'no element found: line 1, column 57',
    },
    {
      name: 'a mismatched tag',
      xml: '<methodCall><methodName>m</methodName></params></methodCall>',
      code: 'XML_MALFORMED',
      message: 'mismatched tag: line 1, column 47',
    },
    {
      name: 'junk after the document',
      xml: '<methodCall><methodName>m</methodName></methodCall>xx',
      code: 'XML_MALFORMED',
      message: 'junk after document element: line 1, column 53',
    },
    {
      name: 'a second root',
      xml: '<methodCall><methodName>m</methodName></methodCall><a/>',
      code: 'XML_MALFORMED',
      message: 'junk after document element: line 1, column 54',
    },
    {
      name: 'a raw & in text',
      xml: '<methodCall><methodName>a & b</methodName></methodCall>',
      code: 'XML_MALFORMED',
      message: 'no element found: line 1, column 55',
    },
    {
      name: 'a raw < in text',
      xml: '<methodCall><methodName>a < b</methodName></methodCall>',
      code: 'XML_MALFORMED',
      message: 'not well-formed (invalid token): line 1, column 28',
    },
    {
      name: 'a control character',
      xml: '<methodCall><methodName>\u0001</methodName></methodCall>',
      code: 'XML_MALFORMED',
      message: 'not well-formed (invalid token): line 1, column 25',
    },
    {
      name: 'a reference to character 0',
      xml: '<methodCall><methodName>&#0;</methodName></methodCall>',
      code: 'XML_MALFORMED',
      message: 'reference to invalid character number: line 1, column 28',
    },
    {
      name: 'a late XML declaration',
      xml: '<methodCall><?xml version="1.0"?><methodName>m</methodName></methodCall>',
      code: 'XML_MALFORMED',
      message: 'XML or text declaration not at start of entity: line 1, column 18',
    },
    {
      name: 'a duplicate attribute',
      xml: '<methodCall a="1" a="2"><methodName>m</methodName></methodCall>',
      code: 'XML_MALFORMED',
      message: 'duplicate attribute: line 1, column 24',
    },
    {
      name: 'a wrong document element',
      xml: '<methodResponse><params/></methodResponse>',
      code: 'XML_INVALID',
      message: "unexpected tag 'methodResponse' as the document element",
      pyClass: 'xmlrpc.client.ResponseError',
      pyMessage: 'ResponseError("unexpected tag \'methodResponse\' as the document element")',
    },
    {
      name: 'no methodName',
      xml: '<methodCall><params/></methodCall>',
      code: 'XML_INVALID',
      message: 'methodCall has no methodName',
    },
    {
      name: 'an empty methodName',
      xml: '<methodCall><methodName></methodName></methodCall>',
      code: 'XML_INVALID',
      message: 'empty methodName',
    },
    {
      name: 'two methodNames',
      xml: '<methodCall><methodName>a</methodName><methodName>b</methodName></methodCall>',
      code: 'XML_INVALID',
      message: "unexpected tag 'methodName' in <methodCall>",
    },
    {
      name: 'an unknown type tag',
      xml: param('<value><foo>1</foo></value>'),
      code: 'XML_INVALID',
      message: "unknown tag 'foo'",
      pyClass: 'xmlrpc.client.ResponseError',
      pyMessage: 'ResponseError("unknown tag \'foo\'")',
    },
    {
      name: 'two values in one <value>',
      xml: param('<value><int>1</int><int>2</int></value>'),
      code: 'XML_INVALID',
      message: "unexpected tag 'int' in <value>",
    },
    {
      name: 'two values in one <param>',
      xml: param('<value>1</value><value>2</value>'),
      code: 'XML_INVALID',
      message: "unexpected tag 'value' in <param>",
    },
    {
      name: 'an empty <param>',
      xml: param(''),
      code: 'XML_INVALID',
      message: 'param has no value',
    },
    {
      name: 'a value straight in <array>',
      xml: param('<value><array><value>1</value></array></value>'),
      code: 'XML_INVALID',
      message: "unexpected tag 'value' in <array>",
    },
    {
      name: 'a member without a name',
      xml: param('<value><struct><member><value>1</value></member></struct></value>'),
      code: 'XML_INVALID',
      message: 'struct member needs a name and a value',
    },
    {
      name: 'an element inside a scalar',
      xml: param('<value><string><b>x</b></string></value>'),
      code: 'XML_INVALID',
      message: "unexpected tag 'b' in <string>",
    },
    {
      name: 'text in <params>',
      xml: '<methodCall><methodName>m</methodName><params>junk</params></methodCall>',
      code: 'XML_INVALID',
      message: 'unexpected text in <params>: line 1, column 51',
    },
    {
      name: '<boolean>2</boolean>',
      xml: param('<value><boolean>2</boolean></value>'),
      code: 'XML_INVALID',
      message: 'bad boolean value',
      pyClass: 'TypeError',
      pyMessage: 'bad boolean value',
    },
    {
      name: '<boolean>true</boolean>',
      xml: param('<value><boolean>true</boolean></value>'),
      code: 'XML_INVALID',
      message: 'bad boolean value',
    },
    {
      name: 'a bad int',
      xml: param('<value><int>x</int></value>'),
      code: 'XML_INVALID',
      message: "invalid literal for int() with base 10: 'x'",
      pyClass: 'ValueError',
    },
    {
      name: 'an empty int',
      xml: param('<value><int/></value>'),
      code: 'XML_INVALID',
      message: "invalid literal for int() with base 10: ''",
    },
    {
      name: 'a float in <int>',
      xml: param('<value><int>1.5</int></value>'),
      code: 'XML_INVALID',
      message: "invalid literal for int() with base 10: '1.5'",
    },
    {
      name: 'a bad double',
      xml: param('<value><double>x</double></value>'),
      code: 'XML_INVALID',
      message: "could not convert string to float: 'x'",
      pyClass: 'ValueError',
    },
    {
      name: 'a hex double (JS reads it, Python does not)',
      xml: param('<value><double>0x10</double></value>'),
      code: 'XML_INVALID',
      message: "could not convert string to float: '0x10'",
    },
    {
      name: 'base64 without padding',
      xml: param('<value><base64>abc</base64></value>'),
      code: 'XML_INVALID',
      message: 'Incorrect padding',
      pyClass: 'binascii.Error',
    },
    {
      name: 'base64 of one character',
      xml: param('<value><base64>a</base64></value>'),
      code: 'XML_INVALID',
      message:
        'Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4',
    },
    {
      name: 'base64 with a foreign character',
      xml: param('<value><base64>ab!d</base64></value>'),
      code: 'XML_INVALID',
      message: 'Invalid base64-encoded string',
    },
    {
      name: 'a date with a zone',
      xml: param('<value><dateTime.iso8601>20240229T13:05:09Z</dateTime.iso8601></value>'),
      code: 'XML_INVALID',
      message: "time data '20240229T13:05:09Z' does not match format '%Y%m%dT%H:%M:%S'",
      pyClass: 'ValueError',
    },
    {
      name: 'February 30th',
      xml: param('<value><dateTime.iso8601>20240230T00:00:00</dateTime.iso8601></value>'),
      code: 'XML_INVALID',
      message: "time data '20240230T00:00:00' does not match format '%Y%m%dT%H:%M:%S'",
    },
    {
      name: 'hour 24',
      xml: param('<value><dateTime.iso8601>20240229T24:00:00</dateTime.iso8601></value>'),
      code: 'XML_INVALID',
      message: "time data '20240229T24:00:00' does not match format '%Y%m%dT%H:%M:%S'",
    },
    {
      name: 'year 0',
      xml: param('<value><dateTime.iso8601>00000101T00:00:00</dateTime.iso8601></value>'),
      code: 'XML_INVALID',
      message: "time data '00000101T00:00:00' does not match format '%Y%m%dT%H:%M:%S'",
    },
  ])('refuses $name', ({ xml, code, message, pyClass, pyMessage }) => {
    const err = decodeError(() => decodeMethodCall(xml))
    expect(err.code).toBe(code)
    expect(err.message).toBe(message)
    expect(err.name).toBe('XmlRpcDecodeError')
    if (pyClass !== undefined) expect(err.pyClass).toBe(pyClass)
    if (pyMessage !== undefined) expect(err.pyMessage).toBe(pyMessage)
  })

  it('words well-formedness errors as ExpatError', () => {
    const err = decodeError(() => decodeMethodCall('<methodCall>'))
    expect(err.pyClass).toBe('xml.parsers.expat.ExpatError')
    expect(err.pyMessage).toBe('no element found: line 1, column 12')
    expect(err.cause).toBeInstanceOf(Error)
  })
})

describe('XML-RPC codec: security', () => {
  const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>&lol9;</methodName></methodCall>`

  it('refuses a billion-laughs DOCTYPE quickly, before any entity is used', () => {
    const start = performance.now()
    const err = decodeError(() => decodeMethodCall(billionLaughs))
    expect(performance.now() - start).toBeLessThan(200)
    expect(err.code).toBe('XML_FORBIDDEN')
    expect(err.message).toBe('DOCTYPE is not allowed: line 13, column 2')
  })

  it('refuses an external entity', () => {
    const xml =
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><methodCall><methodName>&e;</methodName></methodCall>'
    const err = decodeError(() => decodeMethodCall(xml))
    expect(err.code).toBe('XML_FORBIDDEN')
    expect(err.message).toBe('DOCTYPE is not allowed: line 1, column 54')
  })

  it('refuses a plain DOCTYPE', () => {
    const err = decodeError(() => decodeMethodCall('<!DOCTYPE methodCall><methodCall/>'))
    expect(err.code).toBe('XML_FORBIDDEN')
  })

  it('refuses an undefined entity', () => {
    const err = decodeError(() => decodeMethodCall('<methodCall><methodName>&foo;</methodName></methodCall>'))
    expect(err.code).toBe('XML_FORBIDDEN')
    expect(err.message).toBe('undefined entity: line 1, column 29')
    expect(err.pyClass).toBe('xml.parsers.expat.ExpatError')
  })

  it.each([
    { where: 'before the document', xml: '<?php x?><methodCall><methodName>m</methodName></methodCall>' },
    {
      where: 'inside it',
      xml: '<methodCall><?xml-stylesheet href="x"?><methodName>m</methodName></methodCall>',
    },
  ])('refuses a processing instruction $where', ({ xml }) => {
    const err = decodeError(() => decodeMethodCall(xml))
    expect(err.code).toBe('XML_FORBIDDEN')
    expect(err.message).toMatch(
      /^processing instruction <\?(php|xml-stylesheet)\?> is not allowed: line 1, column \d+$/,
    )
  })

  it('refuses 10 000 nested arrays at the depth limit, without a stack overflow', () => {
    const depth = 10_000
    const xml = param(`${'<value><array><data>'.repeat(depth)}${'</data></array></value>'.repeat(depth)}`)
    const err = decodeError(() => decodeMethodCall(xml))
    expect(err.code).toBe('XML_LIMIT')
    expect(err.message).toBe('values nest deeper than 64: line 1, column 1340')
  })

  it('accepts values exactly maxDepth deep', () => {
    const limits = { ...DEFAULT_XMLRPC_LIMITS, maxDepth: 3 }
    const xml =
      '<value><array><data><value><array><data><value>x</value></data></array></value></data></array></value>'
    expect(decodeOne(xml, limits)).toEqual([['x']])
    const deeper = xml.replace('<value>x</value>', '<value><array><data><value/></data></array></value>')
    expect(decodeError(() => decodeOne(deeper, limits)).code).toBe('XML_LIMIT')
  })

  it('refuses a document over maxBytes, counting UTF-8 bytes', () => {
    const limits = { ...DEFAULT_XMLRPC_LIMITS, maxBytes: 100 }
    const ok = param(`<value>${'a'.repeat(100 - param('<value></value>').length)}</value>`)
    expect(ok).toHaveLength(100)
    expect(decodeMethodCall(ok, limits).params).toHaveLength(1)
    const err = decodeError(() => decodeMethodCall(ok.replace('a', 'é'), limits))
    expect(err.code).toBe('XML_LIMIT')
    expect(err.message).toBe('document exceeds 100 bytes')
  })

  it('refuses more values than maxMembers', () => {
    const limits = { ...DEFAULT_XMLRPC_LIMITS, maxMembers: 4 }
    const items = (n: number) => param(`<value><array><data>${'<value/>'.repeat(n)}</data></array></value>`)
    expect(decodeMethodCall(items(3), limits).params).toEqual([['', '', '']])
    const err = decodeError(() => decodeMethodCall(items(4), limits))
    expect(err.code).toBe('XML_LIMIT')
    expect(err.message).toBe('more than 4 values: line 1, column 105')
  })

  it.each([
    { name: 'a <string>', xml: (s: string) => `<value><string>${s}</string></value>` },
    { name: 'a bare value', xml: (s: string) => `<value>${s}</value>` },
    {
      name: 'a member name',
      xml: (s: string) => `<value><struct><member><name>${s}</name><value/></member></struct></value>`,
    },
    { name: 'base64 text', xml: (s: string) => `<value><base64>${s}</base64></value>` },
  ])('refuses $name over maxStringBytes, counting UTF-8 bytes', ({ xml }) => {
    const limits = { ...DEFAULT_XMLRPC_LIMITS, maxStringBytes: 8 }
    expect(() => decodeOne(xml('AAAAAAAA'), limits)).not.toThrow()
    expect(decodeError(() => decodeOne(xml('AAAAAAAAA'), limits)).code).toBe('XML_LIMIT')
    expect(decodeError(() => decodeOne(xml('ééééé'), limits)).message).toMatch(/ text exceeds 8 bytes$/)
  })

  it("refuses an int over maxIntDigits with CPython's ValueError (int_max_str_digits)", () => {
    expect(decodeOne(`<value><int>-${'9'.repeat(4300)}</int></value>`)).toBe(-(10n ** 4300n - 1n))
    const err = decodeError(() => decodeOne(`<value><i8>1_${'0'.repeat(4300)}</i8></value>`))
    expect(err.code).toBe('XML_LIMIT')
    expect(err.pyClass).toBe('ValueError')
    expect(err.message).toBe(
      'Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit',
    )
  })

  it('charges each value to a hold before building it, and stops with XML_BUSY when it has no room', () => {
    const values = (n: number) =>
      `<value><array><data>${'<value><int>1</int></value>'.repeat(n)}</data></array></value>`
    let charged = 0
    const roomy = {
      grow: (n: number) => {
        charged += n
        return true
      },
    }
    expect(decodeMethodCall(param(values(10)), DEFAULT_XMLRPC_LIMITS, roomy).params[0]).toHaveLength(10)
    expect(charged).toBe(10 * (DECODED_COST_BYTES.value + 0.5) + DECODED_COST_BYTES.value) // ten ints (half a byte a digit), one array
    const err = decodeError(() =>
      decodeMethodCall(param(values(5000)), DEFAULT_XMLRPC_LIMITS, { grow: () => false }),
    )
    expect(err.code).toBe('XML_BUSY')
  })

  it('reads a few attributes and drops them, and refuses an element with more than 16', () => {
    const attrs = (n: number) => Array.from({ length: n }, (_, i) => ` a${i}="${i}"`).join('')
    expect(decodeOne(`<value${attrs(16)}>x</value>`)).toBe('x')
    const err = decodeError(() => decodeOne(`<value${attrs(100_000)}>x</value>`))
    expect(err.code).toBe('XML_LIMIT')
    expect(err.message).toMatch(/^more than 16 attributes on one element: line 1, column \d+$/)
  })

  it('decodes asynchronously in chunks, with the same values and errors, letting the event loop run', async () => {
    // An emoji (a surrogate pair) across the first chunk boundary, and a second chunk of text.
    const text = `${'a'.repeat(64 * 1024 - 40)}😀${'b'.repeat(100_000)}`
    const xml = param(`<value><string>${text}</string></value>`)
    let turns = 0
    const counting = setInterval(() => turns++, 0)
    const decoded = await decodeMethodCallAsync(xml).finally(() => clearInterval(counting))
    expect(decoded).toEqual(decodeMethodCall(xml))
    expect(turns).toBeGreaterThan(0)
    const broken = xml.replace('</string>', '</strin>')
    const err = await decodeMethodCallAsync(broken).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(XmlRpcDecodeError)
    expect((err as XmlRpcDecodeError).message).toBe(decodeError(() => decodeMethodCall(broken)).message)
  })

  it('refuses values that would pass maxDecodedBytes', () => {
    const structs = `<value><array><data>${'<value><struct></struct></value>'.repeat(100)}</data></array></value>`
    const err = decodeError(() => decodeOne(structs, { ...DEFAULT_XMLRPC_LIMITS, maxDecodedBytes: 10_000 }))
    expect(err.code).toBe('XML_LIMIT')
    expect(err.message).toMatch(/^values take more than 10000 bytes decoded: line 1, column \d+$/)
  })

  it('refuses a methodName over maxStringBytes', () => {
    const limits = { ...DEFAULT_XMLRPC_LIMITS, maxStringBytes: 3 }
    const err = decodeError(() =>
      decodeMethodCall('<methodCall><methodName>abcd</methodName></methodCall>', limits),
    )
    expect(err.code).toBe('XML_LIMIT')
    expect(err.message).toBe('<methodName> text exceeds 3 bytes')
  })
})

// Interop with the real thing, when a python3 is around (it is not needed otherwise).
const python = spawnSync('python3', ['-c', 'import xmlrpc.client'], { timeout: 5000 }).status === 0

/** py runs a Python snippet with `stdin` and returns its stdout. */
function py(code: string, stdin: string): string {
  const r = spawnSync('python3', ['-c', code], { input: stdin, encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`)
  return r.stdout
}

describe('XML-RPC codec: interop with CPython', () => {
  const values: RpcValue[] = [
    'foo',
    '  white\n space\t',
    'a&b<c>d"e\'f',
    'é😀',
    '',
    1n,
    -(2n ** 31n),
    2n ** 63n,
    1.5,
    1e16,
    -0,
    1e-7,
    true,
    false,
    null,
    bytes(100),
    new Uint8Array(0),
    new Date(Date.UTC(2024, 1, 29, 13, 5, 9)),
    [1n, 'two', [3.5, null]],
    struct([
      ['a', struct([['b', [1n]]])],
      ['__proto__', 'p'],
      ['x<y', 'z'],
    ]),
  ]

  it.skipIf(!python)('xmlrpc.client.loads() reads every response we write', () => {
    const docs = values.map((v) => encodeMethodResponse(v))
    const out = py(
      'import sys, json, xmlrpc.client as x\n' +
        'for doc in json.load(sys.stdin):\n' +
        '    print(repr(x.loads(doc, use_builtin_types=True)[0][0]))',
      JSON.stringify(docs),
    )
    expect(out.trimEnd().split('\n')).toEqual(values.map((v) => pyRepr(v)))
  })

  it.skipIf(!python)('we read what xmlrpc.client.dumps() writes, and write it back byte for byte', () => {
    const code =
      'import xmlrpc.client as x, datetime\n' +
      "print(x.dumps(('k', [1, -2, 2.5, True, None, 'é & <tag>', b'\\x00\\xff' * 50,\n" +
      "  datetime.datetime(1999, 12, 31, 23, 59, 58), {'n': {'m': []}}]), 'set', allow_none=True), end='')"
    const xml = py(code, '')
    const decoded = decodeMethodCall(xml)
    expect(decoded.method).toBe('set')
    expect(pyRepr(decoded.params)).toBe(
      "['k', [1, -2, 2.5, True, None, 'é & <tag>', " +
        `b'${'\\x00\\xff'.repeat(50)}', datetime.datetime(1999, 12, 31, 23, 59, 58), {'n': {'m': []}}]]`,
    )
    expect(encodeMethodCall(decoded.method, decoded.params)).toBe(xml)
  })

  it.skipIf(!python)('xmlrpc.client.loads() reads our faults as Fault', () => {
    const out = py(
      'import sys, xmlrpc.client as x\ntry:\n    x.loads(sys.stdin.read())\nexcept x.Fault as f:\n    print(f.faultCode, f.faultString)',
      encodeFault(1, "<class 'KeyError'>:\"it's\""),
    )
    expect(out).toBe("1 <class 'KeyError'>:\"it's\"\n")
  })
})
