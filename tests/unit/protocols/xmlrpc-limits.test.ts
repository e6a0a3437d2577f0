import { describe, expect, it } from 'vitest'
import { DECODED_COST_BYTES } from '../../../protocols/value.ts'
import {
  DEFAULT_XMLRPC_LIMITS,
  decodeMethodCall,
  decodeMethodCallAsync,
  XmlRpcDecodeError,
  type XmlRpcDecodeErrorCode,
} from '../../../protocols/xmlrpc/codec.ts'
import { decodeError, decodeOne, param } from '../../support/xmlrpc-fixtures.ts'

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
