import { describe, expect, it } from 'vitest'
import { type RpcValue, struct } from '../../../protocols/value.ts'
import {
  DEFAULT_XMLRPC_LIMITS,
  decodeMethodCall,
  decodeMethodResponse,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
} from '../../../protocols/xmlrpc/codec.ts'
import { bytes, call, decodeError, decodeOne, response } from '../../support/xmlrpc-fixtures.ts'

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
