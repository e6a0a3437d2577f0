import { describe, expect, it } from 'vitest'
import { ProtocolError, type ProtocolErrorCode } from '../../../protocols/errors.ts'
import { DEFAULT_PICKLE_LIMITS, decodePickle } from '../../../protocols/pickle/decode.ts'
import { hex } from '../../support/pickle-fixtures.ts'

/** [what, hostile pickle, error code, exact message] */
const HOSTILE: Array<[string, Buffer, ProtocolErrorCode, string]> = [
  [
    "protocol 0 GLOBAL: cos\\nsystem\\n(S'echo hi'\\ntR.",
    Buffer.from("cos\nsystem\n(S'echo hi'\ntR.", 'latin1'),
    'PICKLE_REFUSED',
    'refused pickle opcode GLOBAL (0x63) at offset 0: it would import or call code (os.system)',
  ],
  [
    "protocol 4 STACK_GLOBAL os.system + ('echo hi',) + REDUCE",
    hex(
      `8004 8c026f7394 8c0673797374656d94 93 94 8c07${Buffer.from('echo hi').toString('hex')}94 85 94 52 94 2e`,
    ),
    'PICKLE_REFUSED',
    'refused pickle opcode STACK_GLOBAL (0x93) at offset 16: it would import or call code (os.system)',
  ],
  [
    'REDUCE on plain data: (None, ()) R',
    hex('80044e29522e'),
    'PICKLE_REFUSED',
    'refused pickle opcode REDUCE (0x52) at offset 4: it would import or call code',
  ],
  [
    'BUILD',
    hex('80045d7d622e'),
    'PICKLE_REFUSED',
    'refused pickle opcode BUILD (0x62) at offset 4: it would import or call code',
  ],
  [
    'NEWOBJ',
    hex('80024e29812e'),
    'PICKLE_REFUSED',
    'refused pickle opcode NEWOBJ (0x81) at offset 4: it would import or call code',
  ],
  [
    'NEWOBJ_EX',
    hex('80044e297d922e'),
    'PICKLE_REFUSED',
    'refused pickle opcode NEWOBJ_EX (0x92) at offset 5: it would import or call code',
  ],
  [
    'EXT1',
    hex('800282012e'),
    'PICKLE_REFUSED',
    'refused pickle opcode EXT1 (0x82) at offset 2: it would import or call code',
  ],
  [
    'PERSID',
    Buffer.from('P0\n.', 'latin1'),
    'PICKLE_REFUSED',
    'refused pickle opcode PERSID (0x50) at offset 0: it would import or call code',
  ],
  [
    'INST',
    Buffer.from('(ios\nsystem\n.', 'latin1'),
    'PICKLE_REFUSED',
    'refused pickle opcode INST (0x69) at offset 1: it would import or call code',
  ],
  [
    'NEXT_BUFFER (out-of-band data, protocol 5)',
    hex('8005972e'),
    'PICKLE_REFUSED',
    'refused pickle opcode NEXT_BUFFER (0x97) at offset 2: it would import or call code',
  ],
  [
    'a recursive list (r = []; r.append(r))',
    hex('80049506000000000000005d946800612e'),
    'PICKLE_REFUSED',
    'refused pickle opcode APPEND (0x61) at offset 15: the list is already inside another container; recursive structures are not supported',
  ],
  [
    'a list grown after it was placed (deep nesting via the memo)',
    hex('8004 5d94 5d94 6800 6801 61 30 6801 5d 61 2e'),
    'PICKLE_REFUSED',
    'refused pickle opcode APPEND (0x61) at offset 15: the list is already inside another container; recursive structures are not supported',
  ],
  [
    '100000 nested lists: ] × 100000, then APPEND × 99999',
    Buffer.concat([Buffer.alloc(100_000, 0x5d), Buffer.alloc(99_999, 0x61), Buffer.from('.')]),
    'PICKLE_LIMIT',
    'pickle nests deeper than 100 levels (offset 100099)',
  ],
  [
    '100000 MARKs',
    Buffer.concat([hex('8004'), Buffer.alloc(100_000, 0x28), Buffer.from(')t.')]),
    'PICKLE_LIMIT',
    'pickle nests deeper than 100 levels (MARK at offset 102)',
  ],
  [
    'LONG4 claiming 2 GiB',
    hex('80028bffffff7f2e'),
    'PICKLE_LIMIT',
    'LONG4 at offset 2 is 2147483647 bytes long; the limit is 1024 bytes',
  ],
  [
    'LONG4 with a negative length',
    hex('80028bffffffff2e'),
    'PICKLE_FORMAT',
    'LONG4 at offset 2 has a negative byte count -1',
  ],
  [
    'BINUNICODE claiming 4096 bytes, 3 present',
    hex('80045800100000616263'),
    'PICKLE_FORMAT',
    'pickle data was truncated: BINUNICODE at offset 2 needs 4096 bytes, 3 remain',
  ],
  [
    'BINUNICODE8 claiming 2^64 - 1 bytes',
    hex('80048dffffffffffffffff61'),
    'PICKLE_FORMAT',
    'pickle data was truncated: BINUNICODE8 at offset 2 needs 18446744073709552000 bytes, 1 remain',
  ],
  [
    'BINBYTES8 cut inside its length',
    hex('80048e0100'),
    'PICKLE_FORMAT',
    'pickle data was truncated: BINBYTES8 at offset 2 needs 8 bytes, 2 remain',
  ],
  [
    'FRAME longer than the data',
    hex('80049500010000000000004e2e'),
    'PICKLE_FORMAT',
    'pickle data was truncated: FRAME at offset 2 announces 256 bytes, 2 remain',
  ],
  [
    'BINGET of a memo index never set',
    hex('8004680 52e'),
    'PICKLE_FORMAT',
    'memo value not found at index 5 (BINGET at offset 2)',
  ],
  [
    'LONG_BINPUT at index 2^32 - 1',
    hex('80044e72ffffffff2e'),
    'PICKLE_LIMIT',
    'memo index 4294967295 at offset 3 exceeds the limit of 1000000 entries',
  ],
  [
    'APPEND on an empty stack',
    hex('8004612e'),
    'PICKLE_FORMAT',
    'unpickling stack underflow: APPEND at offset 2 needs 2 values, found 0',
  ],
  [
    'TUPLE2 with one value above the MARK',
    hex('80044e284e862e'),
    'PICKLE_FORMAT',
    'unpickling stack underflow: TUPLE2 at offset 5 needs 2 values above the MARK, found 1',
  ],
  [
    'STOP on an empty stack',
    hex('80042e'),
    'PICKLE_FORMAT',
    'unpickling stack underflow: STOP at offset 2 needs 1 value, found 0',
  ],
  [
    'TUPLE without a MARK',
    hex('80044e742e'),
    'PICKLE_FORMAT',
    'TUPLE at offset 3 needs a MARK, and none is open',
  ],
  ['no STOP', hex('80044e'), 'PICKLE_FORMAT', 'pickle data was truncated: no STOP opcode in 3 bytes'],
  [
    'an empty pickle',
    Buffer.alloc(0),
    'PICKLE_FORMAT',
    'pickle data was truncated: no STOP opcode in 0 bytes',
  ],
  ['an unknown opcode', hex('8004ff2e'), 'PICKLE_FORMAT', 'unknown pickle opcode 0xff at offset 2'],
  ['protocol 6', hex('80064e2e'), 'PICKLE_FORMAT', 'unsupported pickle protocol 6'],
  [
    'a protocol 0 INT that is no int',
    Buffer.from('I1x\n.', 'latin1'),
    'PICKLE_FORMAT',
    'INT at offset 0 is not an int',
  ],
  [
    'invalid UTF-8 in a str',
    hex('80048c02c3282e'),
    'PICKLE_FORMAT',
    'SHORT_BINUNICODE at offset 2 is not valid UTF-8',
  ],
  [
    'an overlong UTF-8 form (C0 80)',
    hex('80048c02c0802e'),
    'PICKLE_FORMAT',
    'SHORT_BINUNICODE at offset 2 is not valid UTF-8',
  ],
  [
    'a long str with invalid UTF-8 past byte 64',
    Buffer.concat([hex('80048c50'), Buffer.alloc(79, 'a'), hex('ff2e')]),
    'PICKLE_FORMAT',
    'SHORT_BINUNICODE at offset 2 is not valid UTF-8',
  ],
  [
    'a list as a dict key',
    hex('80047d5d4e732e'),
    'PICKLE_FORMAT',
    "SETITEM at offset 5: unhashable type: 'list'",
  ],
  [
    'SETITEMS with an odd number of items',
    hex('80047d284e752e'),
    'PICKLE_FORMAT',
    'SETITEMS at offset 5 has an odd number of items',
  ],
  ['APPEND onto a dict', hex('80047d4e612e'), 'PICKLE_FORMAT', 'APPEND at offset 4 cannot add to a dict'],
]

describe('decodePickle refuses hostile and malformed pickles', () => {
  it.each(HOSTILE)('%s', (_what, data, code, message) => {
    const started = performance.now()
    let caught: unknown
    try {
      decodePickle(data)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ProtocolError)
    expect(caught).toMatchObject({ code })
    expect((caught as Error).message).toBe(message)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('says which opcode and where, with a stable code', () => {
    const data = HOSTILE[1]?.[1] ?? Buffer.alloc(0)
    expect(() => decodePickle(data)).toThrow(
      expect.objectContaining({ code: 'PICKLE_REFUSED', opcode: 'STACK_GLOBAL', offset: 16 }),
    )
    expect(() => decodePickle(hex('8004'))).toThrow(expect.objectContaining({ code: 'PICKLE_FORMAT' }))
    expect(() => decodePickle(hex('80028bffffff7f2e'))).toThrow(
      expect.objectContaining({ code: 'PICKLE_LIMIT', limit: 'maxIntBytes' }),
    )
  })

  it('refuses before looking further: the GLOBAL is refused even when the rest is garbage', () => {
    expect(() => decodePickle(Buffer.from('cos\nsystem\n\xff', 'latin1'))).toThrow(
      expect.objectContaining({ code: 'PICKLE_REFUSED' }),
    )
  })

  it.each([
    ['maxBytes', { maxBytes: 3 }, hex('80044e2e'), 'pickle of 4 bytes exceeds the limit of 3 bytes'],
    [
      'maxItems (values in containers)',
      { maxItems: 3 },
      hex('80045d 284e4e65 284e4e65 2e'),
      'pickle holds more than 3 values (offset 10)',
    ],
    [
      'maxItems (values on the stack)',
      { maxItems: 3 },
      hex('80045d 284e4e4e 652e'),
      'pickle holds more than 3 values (offset 6)',
    ],
    ['maxDepth', { maxDepth: 2 }, hex('80045d5d5d6161 2e'), 'pickle nests deeper than 2 levels (offset 6)'],
    [
      'maxMemo',
      { maxMemo: 1 },
      hex('80044e944e942e'),
      'memo index 1 at offset 5 exceeds the limit of 1 entries',
    ],
    [
      'maxIntBytes',
      { maxIntBytes: 8 },
      hex('80048a09000000000000000001 2e'),
      'LONG1 at offset 2 is 9 bytes long; the limit is 8 bytes',
    ],
  ])('enforces %s', (name, override, data, message) => {
    const limit = name.split(' ')[0]
    const limits = { ...DEFAULT_PICKLE_LIMITS, ...override }
    expect(() => decodePickle(data, limits)).toThrow(message)
    expect(() => decodePickle(data, limits)).toThrow(expect.objectContaining({ code: 'PICKLE_LIMIT', limit }))
  })

  it('allows nesting up to maxDepth exactly', () => {
    const deep = Buffer.concat([Buffer.alloc(100, 0x5d), Buffer.alloc(99, 0x61), Buffer.from('.')])
    let v = decodePickle(deep)
    let depth = 0
    while (Array.isArray(v)) {
      depth++
      v = v[0] ?? null
    }
    expect(depth).toBe(100)
  })
})
