/**
 * The pieces of `netlab http` that need no server: the json.dumps-spacing serializer of
 * seed 000's document, the response breakdown, and the client's URL and header helpers.
 * Expected Python strings were produced by CPython's json.dumps.
 */
import { describe, expect, it } from 'vitest'
import {
  breakdown,
  buildDocument,
  pack,
  pyString,
  pythonDumps,
  SEED_000,
} from '../../../clients/cli/net/data-experiment.ts'
import {
  type HttpResponse,
  resolveUrl,
  serverTiming,
  statusSummary,
} from '../../../clients/cli/net/http-client.ts'

/** respaced is JSON.stringify's compact output with Python's ", " and ": " put back (no string holds , or :). */
const respaced = (doc: unknown) => JSON.stringify(doc, null).replaceAll('":', '": ').replaceAll(',"', ', "')

describe('pythonDumps', () => {
  it.each([0, 1, 2, 11, 1000])('matches JSON.stringify respaced for %i items', (n) => {
    expect(pythonDumps(buildDocument(n))).toBe(respaced(buildDocument(n)))
  })

  it("writes 3 items exactly as CPython's json.dumps", () => {
    expect(pythonDumps(buildDocument(3))).toBe(
      '{"0": {"name": "tigerrose"}, "1": {"name": "tigerrose"}, "2": {"name": "tigerrose"}}',
    )
  })

  it("is the seed's 3,188,890 bytes for 100000 items", () => {
    const text = pythonDumps(buildDocument(SEED_000.items))
    expect(Buffer.byteLength(text)).toBe(3_188_890)
    expect(JSON.parse(text)).toEqual(buildDocument(SEED_000.items))
  })

  it('escapes keys and values as ensure_ascii does, and handles empty items', () => {
    const doc = { '2': {}, '10': { name: 'tigerrose' }, 'a"b': { x: 'ü\n', y: '' } }
    expect(pythonDumps(doc)).toBe(
      '{"2": {}, "10": {"name": "tigerrose"}, "a\\"b": {"x": "\\u00fc\\n", "y": ""}}',
    )
    expect(pythonDumps({})).toBe('{}')
  })

  it('reuses an item encoding only for the same field and value', () => {
    const doc = {
      '0': { name: 'a' },
      '1': { name: 'b' },
      '2': { name: 'b' },
      '3': { tag: 'b' },
      '4': {},
      '5': { tag: 'b', x: 'y' },
    }
    expect(pythonDumps(doc)).toBe(respaced(doc))
  })
})

describe('pyString', () => {
  it.each([
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\there\nnl\u0001\u001f', '"tab\\there\\nnl\\u0001\\u001f"'],
    ['café', '"caf\\u00e9"'],
    ['😀', '"\\ud83d\\ude00"'],
    ['del\u007f', '"del\\u007f"'],
    ['\u2028', '"\\u2028"'],
  ])('%j → %s', (input, python) => {
    expect(pyString(input)).toBe(python)
  })
})

describe('pack', () => {
  it('returns the bytes of either spacing', () => {
    const python = pack(100, 'python')
    const compact = pack(100, 'compact')
    expect(python.body.toString()).toBe(pythonDumps(buildDocument(100)))
    expect(compact.body.toString()).toBe(JSON.stringify(buildDocument(100)))
    expect(python.body.length - compact.body.length).toBe(100 * 2 + 99) // ": " twice per item, ", " between
    expect(python.packMs).toBeGreaterThan(0)
  })
})

const response = (over: Partial<HttpResponse>): HttpResponse => ({
  status: 200,
  statusText: 'OK',
  headers: {},
  body: Buffer.alloc(0),
  timing: { ttfbMs: 2, totalMs: 5 },
  ...over,
})

describe('breakdown', () => {
  it('counts the items of a {"data": {...}} document and splits the timing', () => {
    const b = breakdown(response({ body: Buffer.from('{"data": {"0": {}, "1": {}, "2": {}}}') }))
    expect(b).toMatchObject({ bytes: 37, ttfbMs: 2, transferMs: 3, totalMs: 5, items: 3 })
    expect(b.unpackMs).toBeGreaterThanOrEqual(0)
  })

  it('counts a top-level object or array; nothing for text', () => {
    expect(breakdown(response({ body: Buffer.from('{"a": 1, "b": 2}') })).items).toBe(2)
    expect(breakdown(response({ body: Buffer.from('[1, 2, 3, 4]') })).items).toBe(4)
    expect(breakdown(response({ body: Buffer.from('<h1>hi</h1>') }))).toMatchObject({
      unpackMs: null,
      items: null,
    })
  })
})

describe('resolveUrl', () => {
  const service = { host: 'http', port: 8080 }
  it.each([
    ['/get', 'http://http:8080/get'],
    ['/data/?items=3', 'http://http:8080/data/?items=3'],
    ['http://127.0.0.1:9/x', 'http://127.0.0.1:9/x'],
    ['HTTP://Example.com/a', 'http://example.com/a'],
  ])('%s → %s', (target, href) => {
    expect(resolveUrl(target, service).href).toBe(href)
  })

  it('brackets an IPv6 service host', () => {
    expect(resolveUrl('/get', { host: '::1', port: 8080 }).href).toBe('http://[::1]:8080/get')
  })

  it.each([
    ['https://example.com/', 'only http:// URLs are supported, not https://'],
    ['ftp://example.com/', 'only http:// URLs are supported, not ftp://'],
    ['get', 'target must be a path such as /get or an http:// URL, not "get"'],
    ['http://', 'not a valid URL: http://'],
  ])('rejects %s', (target, message) => {
    expect(() => resolveUrl(target, service)).toThrow(message)
  })
})

describe('serverTiming', () => {
  it('reads dur per metric and skips metrics without one', () => {
    expect(serverTiming({ 'server-timing': 'parse;dur=9.1, unpack;dur=4.2, cache;desc="hit"' })).toEqual({
      parse: 9.1,
      unpack: 4.2,
    })
    expect(serverTiming({})).toEqual({})
  })
})

describe('statusSummary', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' }
  it.each([
    [
      response({
        status: 404,
        statusText: 'Not Found',
        headers: json,
        body: Buffer.from('{"error":"no route","status":404,"code":"NOT_FOUND"}'),
      }),
      '404 NOT_FOUND: no route',
    ],
    [
      response({
        status: 400,
        statusText: 'Bad Request',
        headers: json,
        body: Buffer.from('{"error":"bad"}'),
      }),
      '400 bad',
    ],
    [
      response({ status: 502, statusText: 'Bad Gateway', headers: json, body: Buffer.from('not json') }),
      '502 Bad Gateway',
    ],
    [
      response({ status: 500, statusText: 'Internal Server Error', body: Buffer.from('{"error":"x"}') }),
      '500 Internal Server Error',
    ],
    [response({ status: 599, statusText: '' }), '599'],
  ])('%#', (res, summary) => {
    expect(statusSummary(res)).toBe(summary)
  })
})
