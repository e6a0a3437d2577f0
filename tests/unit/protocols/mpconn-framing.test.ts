/** multiprocessing.connection framing: the codec chunk by chunk, limits as soon as a header is complete. */
import { describe, expect, it } from 'vitest'
import { invalidFrame } from '../../../protocols/mpconn/errors.ts'
import { encodeFrame, encodeFrameHeader, FrameDecoder } from '../../../protocols/mpconn/framing.ts'
import { hex } from '../../support/mpconn-sockets.ts'

describe('encodeFrame', () => {
  it.each([
    [0, '00000000'],
    [5, '00000005'],
    [0x7fff_ffff, '7fffffff'],
    // 3.8+: -1 then a uint64 for anything larger
    [0x8000_0000, 'ffffffff 0000000080000000'],
    [2 ** 40, 'ffffffff 0000010000000000'],
  ])('a %d-byte payload has header %s', (length, header) => {
    expect(encodeFrameHeader(length).toString('hex')).toBe(header.replace(' ', ''))
  })

  it('puts header and payload in one buffer', () => {
    expect(encodeFrame(Buffer.from('hi')).toString('hex')).toBe('000000026869')
    expect(encodeFrame(Buffer.alloc(0)).toString('hex')).toBe('00000000')
  })
})

describe('FrameDecoder', () => {
  const stream = Buffer.concat([
    encodeFrame(Buffer.from('one')),
    encodeFrame(Buffer.alloc(0)),
    hex('ffffffff 0000000000000003'), // a small frame in the long form: CPython accepts it too
    Buffer.from('two'),
    encodeFrame(Buffer.alloc(300, 'x')),
  ])
  const expected = ['one', '', 'two', 'x'.repeat(300)]

  it('splits a stream fed byte by byte', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    const frames: string[] = []
    for (let i = 0; i < stream.length; i++) frames.push(...d.push(stream.subarray(i, i + 1)).map(String))
    expect(frames).toEqual(expected)
    expect(d.pending).toBe(0)
  })

  it('splits a stream fed in every two-piece split', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder({ maxFrameBytes: 1024 })
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))].map(String)
      expect(frames).toEqual(expected)
    }
  })

  it('returns the frames of one chunk as views of it, without copying', () => {
    const chunk = Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('bc'))])
    const frames = new FrameDecoder({ maxFrameBytes: 1024 }).push(chunk)
    expect(frames.map(String)).toEqual(['a', 'bc'])
    for (const f of frames) expect(f.buffer).toBe(chunk.buffer)
  })

  it('returns an empty frame for 00 00 00 00', () => {
    expect(new FrameDecoder({ maxFrameBytes: 0 }).push(hex('00000000'))).toEqual([Buffer.alloc(0)])
  })

  it('reports what it holds: pending bytes and the announced length', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    d.push(hex('0000'))
    expect({ pending: d.pending, announced: d.announced }).toEqual({ pending: 2, announced: undefined })
    d.push(hex('000a 6162'))
    expect({ pending: d.pending, announced: d.announced }).toEqual({ pending: 2, announced: 10 })
  })

  it.each([
    ['a 4-byte header', hex('00100000'), 'frame of 1048576 bytes exceeds the limit of 1024 bytes'],
    [
      'a long-form header',
      hex('ffffffff 0000010000000000'),
      'frame of 1099511627776 bytes exceeds the limit of 1024 bytes',
    ],
    [
      'a uint64 beyond 2^53',
      hex('ffffffff ffffffffffffffff'),
      'frame of 18446744073709551615 bytes exceeds the limit of 1024 bytes',
    ],
  ])('fails on %s over the limit as soon as the header is complete', (_what, header, message) => {
    // Fed one byte at a time: nothing is thrown until the last header byte, and no payload is waited for.
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    for (let i = 0; i < header.length - 1; i++) expect(d.push(header.subarray(i, i + 1))).toEqual([])
    expect(() => d.push(header.subarray(-1))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }))
    expect(() => d.push(Buffer.from('more'))).toThrow(message)
  })

  it('fails on negative lengths other than -1', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    expect(() => d.push(hex('fffffffb'))).toThrow(invalidFrame(-5))
    expect(() => d.push(hex('fffffffb'))).toThrow('invalid frame length -5')
  })

  it('applies a per-frame limit when push is given one', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1024 })
    const chunk = Buffer.concat([encodeFrame(Buffer.alloc(10)), encodeFrame(Buffer.alloc(300))])
    expect(() => d.push(chunk, (i) => (i === 0 ? 256 : 1024))).not.toThrow()
    const tight = new FrameDecoder({ maxFrameBytes: 1024 })
    expect(() => tight.push(chunk, () => 256)).toThrow('frame of 300 bytes exceeds the limit of 256 bytes')
  })
})
