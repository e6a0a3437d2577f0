/**
 * JsonScanner's figures, exactly: a few documents with the values the scanner has always
 * given them (each one fed whole, cut anywhere once, and a byte at a time), and for texts
 * made to hit its corners (escapes and non-ASCII cut across chunks, keys that are array
 * indexes or nearly, numbers of every shape, whitespace everywhere, broken JSON) the same
 * figures however the text is split as when it comes in one piece.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JsonScanner } from '../../../../services/http/json-scan.ts'
import { scanInPieces } from '../../../support/json-scan-pieces.ts'

/** every figure a scan gives, in a fixed order */
type Figures = [
  max: number,
  bytes: number,
  objects: number,
  arrays: number,
  values: number,
  members: number,
  topMembers: number,
  heapNumbers: number,
  exponentNumbers: number,
  stringHeapBytes: number,
  nonAscii: boolean,
]

const figures = (s: JsonScanner): Figures => [
  s.max,
  s.bytes,
  s.objects,
  s.arrays,
  s.values,
  s.members,
  s.topMembers,
  s.heapNumbers,
  s.exponentNumbers,
  s.stringHeapBytes,
  s.nonAscii,
]

/** scan pushes `text` cut at `cuts` (any order, repeats make empty chunks) and ends the scan */
const scan = (text: Uint8Array, cuts: readonly number[] = []): Figures => figures(scanInPieces(text, cuts))

const everyByte = (text: Uint8Array) => Array.from({ length: text.length + 1 }, (_, i) => i)

describe('JsonScanner figures', () => {
  // [max, bytes, objects, arrays, values, members, topMembers, heapNumbers, exponentNumbers, stringHeapBytes, nonAscii]
  it.each<[string, Figures]>([
    [
      '{"0": {"name": "tigerrose"}, "1": {"name": "tigerrose"}, "2": {"name": "x"}}',
      [2, 76, 4, 0, 7, 6, 3, 0, 0, 198, false],
    ],
    [
      '{"0": 1, "12": 2, "012": 3, "00": 4, "4294967294": 5, "4294967295": 6, "12345678901": 7, "": 8, "-1": 9, "1.5": 10}',
      [1, 115, 1, 0, 11, 10, 10, 0, 0, 645, false],
    ],
    [
      '["café", "naïve", "日本語", "😀", "a\\"b", "\\\\", "tab\\there", "\\u00e9", "short", "short", "abcdefghijk", "abcdefghijk"]',
      [1, 125, 0, 1, 13, 0, 0, 0, 0, 360, true],
    ],
    [
      '[0, -0, 7, 123456789, 1234567890, -123456789, 1.5, -0.25, 1e5, 1E+5, 2.5e-3, -1.0E-10, 99999999999]',
      [1, 99, 0, 1, 14, 0, 0, 8, 4, 0, false],
    ],
    [
      '\n\t{ "k" :\r\n [ true ,false , null ] ,\n  "k" : { } , "K":[ ]}\r\n',
      [2, 61, 2, 2, 7, 3, 3, 0, 0, 226, false],
    ],
    ['[[[[{"a": [[]], "b": {"c": {"d": "deep"}}}]]]]', [7, 46, 3, 6, 10, 4, 0, 0, 0, 448, false]],
    ['"a string at the top"', [0, 21, 0, 0, 1, 0, 0, 0, 0, 43, false]],
    ['-12.5e3', [0, 7, 0, 0, 1, 0, 0, 1, 1, 0, false]],
    ['{"key\\u0041": "v\\u00e9", "keyA": "v\\u00e9", "keyA": "vé"}', [1, 58, 1, 0, 4, 3, 3, 0, 0, 329, true]],
    // a key seen before costs less, escapes and all (the hash takes the backslash and the byte after it)
    [
      '{"a\\"b": 1, "a\\"b": 2, "\\u00e9": [], "\\u00e9": {"\\\\": "\\\\"}}',
      [2, 60, 2, 1, 6, 5, 4, 0, 0, 382, false],
    ],
    // not JSON: the scan still counts what it sees the same way
    [']]}{"a": 1} [2]', [0, 15, 1, 1, 4, 1, 0, 0, 0, 105, false]],
    ['{"a" "b": 1, "c": tru e, "d": nul}', [1, 34, 1, 0, 6, 3, 3, 0, 0, 340, false]],
    ['{"open": "never closed', [1, 22, 1, 0, 1, 1, 1, 0, 0, 108, false]],
  ])('%s, whole, cut anywhere, or a byte at a time', (json, expected) => {
    const text = Buffer.from(json)
    expect(scan(text)).toEqual(expected)
    for (let cut = 0; cut <= text.length; cut++) expect(scan(text, [cut])).toEqual(expected)
    expect(scan(text, everyByte(text))).toEqual(expected)
  })
})

const ws = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ')
// string contents: escapes (one cut after its backslash is a case of its own), non-ASCII
// of 2, 3 and 4 bytes to cut inside, digits, and what sits near an array index
const piece = fc.constantFrom(
  'a',
  'name',
  'tigerrose',
  'abcdefghijk',
  '\\"',
  '\\\\',
  '\\n',
  '\\/',
  '\\u00e9',
  '\\ud83d\\ude00',
  'é',
  '日本',
  '😀',
  '0',
  '7',
  '12',
  ' ',
)
const indexLike = fc.constantFrom(
  '0',
  '1',
  '12',
  '012',
  '00',
  '4294967294',
  '4294967295',
  '12345678901',
  '',
  '-1',
  '1.5',
)
const str = fc
  .oneof(
    indexLike,
    fc.array(piece, { maxLength: 6 }).map((ps) => ps.join('')),
  )
  .map((s) => `"${s}"`)
const num = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom(
    '-0',
    '1e5',
    '1E+5',
    '-2.5e-3',
    '123456789',
    '1234567890',
    '-123456789',
    '0.1',
    '99999999999',
  ),
)
const { value } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    str,
    num,
    fc.constantFrom('true', 'false', 'null'),
    tie('array'),
    tie('object'),
  ),
  array: fc
    .array(fc.tuple(ws, tie('value'), ws), { maxLength: 5 })
    .map((items) => `[${items.map(([a, v, b]) => a + v + b).join(',')}]`),
  object: fc
    .array(fc.tuple(ws, str, ws, ws, tie('value'), ws), { maxLength: 5 })
    .map((ms) => `{${ms.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(',')}}`),
}))
const jsonText = fc.tuple(ws, value, ws).map(([a, v, b]) => Buffer.from(a + v + b))
// anything at all: bytes from JSON's punctuation, digits and letters, and any other byte
const anyText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...Buffer.from('"\\{}[]:, \n0123456789.eE+-truefalsnu')),
      fc.integer({ min: 0, max: 255 }),
    ),
    { maxLength: 80 },
  )
  .map((bytes) => Buffer.from(bytes))

const cutsOf = (text: Uint8Array) =>
  fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }).map((cuts) => cuts)

describe('JsonScanner in pieces', () => {
  it.each([
    ['JSON texts', jsonText],
    ['any bytes', anyText],
  ])('finds in %s cut anywhere what it finds in the whole text', (_, texts) => {
    fc.assert(
      fc.property(
        texts.chain((text) => fc.tuple(fc.constant(text), cutsOf(text))),
        ([text, cuts]) => {
          expect(scan(text, cuts)).toEqual(scan(text))
        },
      ),
      { numRuns: 400 },
    )
  })

  it.each([
    ['JSON texts', jsonText],
    ['any bytes', anyText],
  ])('finds in %s fed a byte at a time what it finds in the whole text', (_, texts) => {
    fc.assert(
      fc.property(texts, (text) => {
        expect(scan(text, everyByte(text))).toEqual(scan(text))
      }),
      { numRuns: 200 },
    )
  })

  it('gives large texts the same figures in socket-sized chunks', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `"${i}": {"name": "tigerrose", "n": ${i * 1.5}}`)
    const text = Buffer.from(`{${items.join(', ')}}`)
    const whole = scan(text)
    expect(whole).toEqual([2, text.length, 20_001, 0, 60_001, 60_000, 20_000, 10_000, 0, 640_214, false])
    for (const size of [16 * 1024, 64 * 1024, 1000, 7]) {
      const cuts = []
      for (let at = size; at < text.length; at += size) cuts.push(at)
      expect(scan(text, cuts)).toEqual(whole)
    }
  })
})
