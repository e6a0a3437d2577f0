import { describe, expect, it } from 'vitest'
import { Utf8Upper } from '../../../protocols/utf8-upper.ts'

/** run pushes each chunk through one Utf8Upper, then end(), and returns everything it wrote as text. */
function run(chunks: readonly Buffer[]): string {
  const upper = new Utf8Upper()
  const out = [...chunks.map((c) => upper.push(c)), upper.end()]
  return Buffer.concat(out).toString('utf8')
}

describe('Utf8Upper', () => {
  it.each<{ name: string; input: string; expected: string }>([
    {
      name: 'upper-cases ASCII, leaving digits and punctuation',
      input: 'Hello world 123!',
      expected: 'HELLO WORLD 123!',
    },
    { name: 'passes an empty chunk through as nothing', input: '', expected: '' },
    { name: 'keeps control characters and newlines', input: 'a\tb\r\nc\0', expected: 'A\tB\r\nC\0' },
    { name: 'upper-cases Latin accents (é → É)', input: 'café crème', expected: 'CAFÉ CRÈME' },
    { name: 'expands ß to SS, making the output longer', input: 'straße', expected: 'STRASSE' },
    { name: 'expands the ﬁ ligature to FI', input: 'ﬁne', expected: 'FINE' },
    { name: 'upper-cases Greek, final sigma included', input: 'αβγ ωσς', expected: 'ΑΒΓ ΩΣΣ' },
    { name: 'upper-cases Cyrillic', input: 'привет', expected: 'ПРИВЕТ' },
    { name: 'upper-cases a 3-byte character (ⓐ → Ⓐ)', input: 'ⓐⓑ', expected: 'ⒶⒷ' },
    { name: 'upper-cases a 4-byte character (Deseret 𐐨 → 𐐀)', input: '𐐨', expected: '𐐀' },
    { name: 'leaves scripts without case alone', input: '日本語 😀', expected: '日本語 😀' },
    { name: 'is locale-independent (i → I, not İ)', input: 'istanbul', expected: 'ISTANBUL' },
  ])('$name', ({ input, expected }) => {
    expect(run([Buffer.from(input, 'utf8')])).toBe(expected)
  })

  // Each character sits between ASCII neighbours; every cut inside the whole input is tried.
  const splitCases = [
    { width: 2, text: 'xéy', expected: 'XÉY' },
    { width: 3, text: 'xⓐy', expected: 'XⒶY' },
    { width: 4, text: 'x𐐨y', expected: 'X𐐀Y' },
  ].flatMap(({ width, text, expected }) =>
    Array.from({ length: Buffer.byteLength(text) - 1 }, (_, i) => ({ width, text, expected, cut: i + 1 })),
  )

  it.each(splitCases)('gives $expected for $text ($width-byte char) cut at byte $cut', ({
    text,
    cut,
    expected,
  }) => {
    const buf = Buffer.from(text, 'utf8')
    expect(run([buf.subarray(0, cut), buf.subarray(cut)])).toBe(expected)
  })

  it.each([
    { width: 2, text: 'é', expected: 'É' },
    { width: 3, text: 'ⓐ', expected: 'Ⓐ' },
    { width: 4, text: '𐐨', expected: '𐐀' },
  ])('gives $expected for a $width-byte character pushed one byte at a time', ({ text, expected }) => {
    expect(run([...Buffer.from(text, 'utf8')].map((b) => Buffer.from([b])))).toBe(expected)
  })

  it('holds back an incomplete character and writes it once its last byte arrives', () => {
    const upper = new Utf8Upper()
    expect(upper.push(Buffer.from([0x61, 0xc3])).toString()).toBe('A')
    expect(upper.push(Buffer.from([0xa9, 0x62])).toString()).toBe('ÉB')
    expect(upper.end().toString()).toBe('')
  })

  it.each<{ name: string; bytes: number[]; expected: string }>([
    { name: 'a byte that never starts UTF-8 (0xFF)', bytes: [0x61, 0xff, 0x62], expected: 'A\uFFFDB' },
    { name: 'a lone continuation byte', bytes: [0x80, 0x61], expected: '\uFFFDA' },
    { name: 'an overlong encoding of /', bytes: [0xc0, 0xaf], expected: '\uFFFD\uFFFD' },
    { name: 'an encoded UTF-16 surrogate', bytes: [0xed, 0xa0, 0x80], expected: '\uFFFD\uFFFD\uFFFD' },
    { name: 'a lead byte followed by ASCII', bytes: [0xe2, 0x41], expected: '\uFFFDA' },
  ])('replaces $name with U+FFFD', ({ bytes, expected }) => {
    expect(run([Buffer.from(bytes)])).toBe(expected)
  })

  it('replaces a lead byte whose sequence is broken by the next chunk', () => {
    const upper = new Utf8Upper()
    expect(upper.push(Buffer.from([0x61, 0xe2])).toString()).toBe('A')
    expect(upper.push(Buffer.from([0x62])).toString()).toBe('\uFFFDB')
  })

  it.each<{ name: string; bytes: number[] }>([
    { name: '2-byte', bytes: [0xc3] },
    { name: '3-byte', bytes: [0xe2, 0x93] },
    { name: '4-byte', bytes: [0xf0, 0x90, 0x90] },
  ])('end() flushes a truncated $name sequence as one U+FFFD', ({ bytes }) => {
    const upper = new Utf8Upper()
    expect(upper.push(Buffer.from([0x61, ...bytes])).toString()).toBe('A')
    expect(upper.end().toString()).toBe('\uFFFD')
  })
})
