/** XML-RPC decoding refuses what is not XML-RPC, with CPython's error classes and texts. */
import { describe, expect, it } from 'vitest'
import { decodeMethodCall, type XmlRpcDecodeErrorCode } from '../../../protocols/xmlrpc/codec.ts'
import { decodeError, param } from '../../support/xmlrpc-fixtures.ts'

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
