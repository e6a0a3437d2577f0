/**
 * Fuzz: protocols/line-splitter.ts. A reference model says what lines a byte stream
 * holds; the splitter must agree with it however the stream is cut into chunks, and never
 * hold more than maxLineBytes + 1 bytes.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { type LineEvent, LineSplitter } from '../../../protocols/line-splitter.ts'
import { check } from '../../support/fuzz-budget.ts'
import { cut, cutPoints, hostile } from '../../support/mutate.ts'

const TOO_LONG = (max: number): LineEvent => ({ error: 'LINE_TOO_LONG', maxLineBytes: max })

/** expectedLines is the model: split at `\n`, drop one trailing `\r`, too long is one error. */
function expectedLines(stream: Buffer, max: number): LineEvent[] {
  const out: LineEvent[] = []
  let start = 0
  for (let nl = stream.indexOf(0x0a); nl !== -1; nl = stream.indexOf(0x0a, start)) {
    let line = stream.subarray(start, nl)
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1)
    out.push(line.length > max ? TOO_LONG(max) : line.toString('utf8'))
    start = nl + 1
  }
  // An unfinished line is reported as soon as it cannot fit any more.
  if (stream.length - start > max + 1) out.push(TOO_LONG(max))
  return out
}

/** streams of short lines, CRLF and LF, some bytes not UTF-8, some lines too long */
const lineStream = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s.replaceAll('\n', ' '))),
        fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a))),
      ),
      fc.constantFrom('\n', '\r\n', '\r\r\n', ''),
    ),
    { maxLength: 20 },
  )
  .map((parts) => Buffer.concat(parts.flatMap(([line, end]) => [line, Buffer.from(end)])))

const anyStream = fc.oneof(lineStream, hostile(lineStream))

describe('fuzz: line splitter', () => {
  it('yields the model lines however the stream is cut, holding at most max + 1 bytes', () => {
    check(
      'line-splitter',
      'chunking',
      fc.property(anyStream, cutPoints, fc.integer({ min: 1, max: 48 }), (stream, points, max) => {
        const splitter = new LineSplitter({ maxLineBytes: max })
        const got: LineEvent[] = []
        for (const chunk of cut(stream, points)) {
          got.push(...splitter.push(chunk))
          if (splitter.pending > max + 1) throw new Error(`pending ${splitter.pending} > ${max + 1}`)
        }
        const want = expectedLines(stream, max)
        if (JSON.stringify(got) !== JSON.stringify(want))
          throw new Error(`got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
      }),
    )
  })
})
