import { describe, expect, it } from 'vitest'
import { type LineEvent, LineSplitter } from '../../../protocols/line-splitter.ts'

const MAX = 8
const tooLong: LineEvent = { error: 'LINE_TOO_LONG', maxLineBytes: MAX }

/** feed pushes every chunk into a fresh splitter and returns all events, in order. */
function feed(chunks: readonly (string | Buffer)[], maxLineBytes = MAX): LineEvent[] {
  const splitter = new LineSplitter({ maxLineBytes })
  return chunks.flatMap((c) => splitter.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c))
}

/** bytes splits a string's UTF-8 encoding at the given byte offsets. */
function bytes(text: string, ...cuts: number[]): Buffer[] {
  const buf = Buffer.from(text, 'utf8')
  const edges = [0, ...cuts, buf.length]
  return edges.slice(1).map((end, i) => buf.subarray(edges[i], end))
}

describe('LineSplitter', () => {
  it.each<{ name: string; chunks: (string | Buffer)[]; expected: LineEvent[] }>([
    { name: 'returns one line without its newline', chunks: ['hello\n'], expected: ['hello'] },
    { name: 'returns nothing until the newline arrives', chunks: ['hello'], expected: [] },
    {
      name: 'joins a line split across several chunks',
      chunks: ['he', 'l', 'lo', '\n'],
      expected: ['hello'],
    },
    { name: 'returns several lines from one chunk', chunks: ['a\nbb\nccc\n'], expected: ['a', 'bb', 'ccc'] },
    {
      name: 'carries the unfinished tail of a chunk into the next',
      chunks: ['a\nb', 'c\nd', '\n'],
      expected: ['a', 'bc', 'd'],
    },
    { name: 'strips the \\r of a CRLF', chunks: ['one\r\ntwo\r\n'], expected: ['one', 'two'] },
    {
      name: 'strips a \\r that arrives in one chunk and its \\n in the next',
      chunks: ['one\r', '\ntwo\n'],
      expected: ['one', 'two'],
    },
    { name: 'keeps a \\r that is not before the \\n', chunks: ['a\rb\n'], expected: ['a\rb'] },
    { name: 'strips only one \\r', chunks: ['a\r\r\n'], expected: ['a\r'] },
    { name: 'returns empty lines as empty strings', chunks: ['\n\r\n'], expected: ['', ''] },
    { name: 'accepts a line of exactly maxLineBytes', chunks: ['12345678\n'], expected: ['12345678'] },
    {
      name: 'accepts a line of exactly maxLineBytes with CRLF in one chunk',
      chunks: ['12345678\r\n'],
      expected: ['12345678'],
    },
    {
      name: 'accepts a line of exactly maxLineBytes with its \\r and \\n in separate chunks',
      chunks: ['12345678\r', '\n'],
      expected: ['12345678'],
    },
    {
      name: 'accepts a line of exactly maxLineBytes split across chunks',
      chunks: ['1234', '5678', '\n'],
      expected: ['12345678'],
    },
    { name: 'reports a line of maxLineBytes + 1', chunks: ['123456789\n'], expected: [tooLong] },
    {
      name: 'reports a line of maxLineBytes + 1 with CRLF',
      chunks: ['123456789\r\n'],
      expected: [tooLong],
    },
    {
      name: 'reports a line of maxLineBytes + 1 whose last byte was held for a possible \\r',
      chunks: ['123456789', '\n'],
      expected: [tooLong],
    },
    {
      name: 'reports a line of maxLineBytes + 1 when its extra byte comes with the \\n',
      chunks: ['12345678', '9\n'],
      expected: [tooLong],
    },
    {
      name: 'counts bytes, not characters, against the limit (4 × é = 8 bytes)',
      chunks: ['éééé\n'],
      expected: ['éééé'],
    },
    {
      name: 'counts bytes, not characters, against the limit (5 × é = 10 bytes)',
      chunks: ['ééééé\n'],
      expected: [tooLong],
    },
    {
      name: 'reports an over-long line split across many chunks once, then parses the next line',
      chunks: [...Array.from({ length: 20 }, () => 'xxxxx'), 'xx\r', '\nPING\n'],
      expected: [tooLong, 'PING'],
    },
    {
      name: 'reports an over-long line in the middle of a chunk and keeps the lines around it',
      chunks: ['a\nxxxxxxxxxxxxxxxxxxxx\nb\n'],
      expected: ['a', tooLong, 'b'],
    },
    {
      name: 'reports each of two over-long lines',
      chunks: ['xxxxxxxxxxxx\n', 'yyyyyyyyyyyy', 'y\nz\n'],
      expected: [tooLong, tooLong, 'z'],
    },
    {
      name: 'decodes a 2-byte character split across chunks',
      chunks: bytes('é\n', 1),
      expected: ['é'],
    },
    {
      name: 'decodes a 3-byte character split after each of its first two bytes',
      chunks: bytes('€\n', 1, 2),
      expected: ['€'],
    },
    {
      name: 'decodes a 4-byte character split into single bytes',
      chunks: bytes('😀\n', 1, 2, 3),
      expected: ['😀'],
    },
  ])('$name', ({ chunks, expected }) => {
    expect(feed(chunks)).toEqual(expected)
  })

  it.each(
    Array.from({ length: Buffer.byteLength('aé€😀\n') - 1 }, (_, i) => i + 1),
  )('decodes mixed multi-byte UTF-8 split at byte %i the same as unsplit', (cut) => {
    expect(feed(bytes('aé€😀\n', cut), 64)).toEqual(['aé€😀'])
  })

  it.each<{ name: string; chunk: string; pending: number }>([
    { name: 'counts the bytes of an unfinished line', chunk: 'abc', pending: 3 },
    { name: 'counts multi-byte characters in bytes', chunk: 'é€', pending: 5 },
    { name: 'holds maxLineBytes + 1 bytes, the last maybe a \\r', chunk: '12345678\r', pending: 9 },
    { name: 'holds nothing once a line is complete', chunk: 'abc\n', pending: 0 },
    { name: 'holds only the tail after the last newline', chunk: 'abc\nde', pending: 2 },
    { name: 'holds nothing of a line it is discarding', chunk: '1234567890', pending: 0 },
  ])('pending $name', ({ chunk, pending }) => {
    const splitter = new LineSplitter({ maxLineBytes: MAX })
    splitter.push(Buffer.from(chunk))
    expect(splitter.pending).toBe(pending)
  })

  it('never holds more than maxLineBytes + 1 bytes, whatever the line lengths and chunk sizes', () => {
    // Lines of 0..40 bytes (limit 16) cut into chunks of 1..23 bytes, from a fixed-seed LCG.
    let seed = 12345
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const maxLineBytes = 16
    const lines = Array.from({ length: 500 }, (_, i) => 'x'.repeat(rand(41)) + (i % 3 === 0 ? '\r' : ''))
    const stream = Buffer.from(lines.map((l) => `${l}\n`).join(''))
    const splitter = new LineSplitter({ maxLineBytes })
    const events: LineEvent[] = []
    let maxPending = 0
    for (let at = 0; at < stream.length; ) {
      const end = Math.min(stream.length, at + 1 + rand(23))
      events.push(...splitter.push(stream.subarray(at, end)))
      maxPending = Math.max(maxPending, splitter.pending)
      at = end
    }
    const expected = lines.map((l): LineEvent => {
      const text = l.endsWith('\r') ? l.slice(0, -1) : l
      return text.length > maxLineBytes ? { error: 'LINE_TOO_LONG', maxLineBytes } : text
    })
    expect(events).toEqual(expected)
    expect(maxPending).toBe(maxLineBytes + 1)
    expect(splitter.pending).toBe(0)
  })
})
