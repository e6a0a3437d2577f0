import { describe, expect, it } from 'vitest'
import { DECODED_COST_BYTES } from '../../../protocols/value.ts'
import {
  DEFAULT_XMLRPC_LIMITS,
  decodeMethodCall,
  decodeMethodCallAsync,
  XmlRpcDecodeError,
} from '../../../protocols/xmlrpc/codec.ts'
import { decodeError, decodeOne, param } from '../../support/xmlrpc-fixtures.ts'

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
